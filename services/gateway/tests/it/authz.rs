//! The authorisation matrix: every write endpoint × every kind of
//! principal. The gateway answers 401 for the public and 403 where the
//! principal's kind (or the command's own fields) can never pass, with the
//! domain's reason, and otherwise forwards the command to the (stand-in)
//! ledger, which here accepts everything.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Harness, PRINCIPALS, next, problem};

/// What the gateway does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 401: no token.
    U,
    /// 403 before the ledger.
    F,
    /// Sent to the ledger (201 from the stand-in).
    S,
}
use Outcome::{F, S, U};

/// The columns: the public, then `PRINCIPALS` in order (land:04, land:16,
/// gemeinde:16051000, gemeinde:04011000, operator:kiv-thueringen, admin).
type Row = (Method, &'static str, Value, [Outcome; 7]);

const LEAD: [Outcome; 7] = [U, S, S, F, F, F, F];
const ADMIN: [Outcome; 7] = [U, F, F, F, F, F, S];
const FOR_ERFURT: [Outcome; 7] = [U, F, S, S, F, S, F];
const THUERINGEN_ITSELF: [Outcome; 7] = [U, F, S, F, F, F, F];
const LAND_OR_ADMIN: [Outcome; 7] = [U, S, S, F, F, F, S];

fn rows() -> Vec<Row> {
    let details = json!({"title": "Wohngeld", "themenfeld": "Familie", "provider": "KIV",
        "channel": "fit-store", "cost_model": {"kind": "equal-shares"}});
    let announce = json!({"title": "Wohngeld", "lead": "04", "themenfeld": "Familie",
        "provider": "KIV", "channel": "fit-store", "cost_model": {"kind": "equal-shares"}});
    let keys: serde_json::Map<String, Value> = (1..=16)
        .map(|code| (format!("{code:02}"), json!(625_000)))
        .collect();
    vec![
        (
            Method::POST,
            "/api/v1/services",
            announce,
            [U, S, F, F, F, F, F],
        ),
        (Method::PUT, "/api/v1/services/wohngeld", details, LEAD),
        (
            Method::POST,
            "/api/v1/services/wohngeld/status",
            json!({"status": "pilot"}),
            LEAD,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/reifegrad",
            json!({"reifegrad": 2}),
            LEAD,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/retirement",
            json!({"reason": "alt"}),
            LEAD,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/participations",
            json!({"land": "16"}),
            THUERINGEN_ITSELF,
        ),
        (
            Method::DELETE,
            "/api/v1/services/wohngeld/participations/16",
            json!({}),
            THUERINGEN_ITSELF,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/costs",
            json!({"year": 2024, "category": "operation", "amount": "10"}),
            LEAD,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/costs/1/corrections",
            json!({"amount": "9", "reason": "Tippfehler"}),
            LEAD,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/closings",
            json!({"year": 2023}),
            LAND_OR_ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/participation-corrections",
            json!({"land": "16", "change": "austritt", "reason": "laut Vertrag",
                "effective": "2023-10-01"}),
            LAND_OR_ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/gemeinden",
            json!({"ags": "16051000", "name": "Erfurt"}),
            ADMIN,
        ),
        (
            Method::PUT,
            "/api/v1/gemeinden/16051000",
            json!({"name": "Erfurt"}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/gemeinden/16051000/merger",
            json!({"successor": "16052000"}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/gemeinden/16051000/retirement",
            json!({}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/kreise",
            json!({"key": "16051", "name": "Erfurt"}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/operators",
            json!({"id": "kiv", "name": "KIV", "region": {"land": "16"}}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/reference/allocation-keys",
            json!({"year": 2030, "units": keys}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/reference/populations",
            json!({"reference_date": "2030-12-31", "figures": {"16": 1}}),
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/adoptions",
            json!({"service": "wohngeld", "ags": "16051000"}),
            FOR_ERFURT,
        ),
        (
            Method::POST,
            "/api/v1/adoptions/wohngeld/16051000/steps",
            json!({"stage": "live"}),
            FOR_ERFURT,
        ),
        // Any municipality reaches the ledger: the successor of a merged
        // one may end the adoptions merged into it, which only the domain
        // knows; it refuses every other.
        (
            Method::POST,
            "/api/v1/adoptions/wohngeld/16051000/withdrawal",
            json!({}),
            [U, F, S, S, S, S, F],
        ),
    ]
}

/// Sends one request as one principal (`None`: the public) and checks the
/// outcome; returns whether the ledger must have seen it.
async fn check(harness: &Harness, row: &Row, principal: Option<&str>, expected: Outcome) -> bool {
    let (method, path, body, _) = row;
    let what = format!("{method} {path} as {}", principal.unwrap_or("public"));
    let token = principal.map(|p| harness.token_of(p));
    let response = harness
        .write_as(token, method.clone(), path, body)
        .send()
        .await
        .unwrap();
    match expected {
        U => {
            problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
        F => {
            let body = problem(response, StatusCode::FORBIDDEN, "forbidden").await;
            let detail = body["detail"].as_str().unwrap_or_default();
            assert!(detail.to_lowercase().contains("nur"), "{what}: {detail}");
        }
        S => {
            // A PUT replaces what exists; every other write records something new.
            let status = if *method == Method::PUT {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            assert_eq!(response.status(), status, "{what}");
        }
    }
    expected == S
}

/// The administration records no adoption; its refusal says who may,
/// without calling it a municipality.
#[tokio::test]
async fn an_admin_asking_for_an_adoption_is_told_who_may() {
    let harness = Harness::start().await;
    let response = harness
        .write_as(
            Some(harness.token_of("admin")),
            Method::POST,
            "/api/v1/adoptions",
            &json!({"service": "wohngeld", "ags": "16051000"}),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(!detail.contains("Eine Kommune handelt"), "{detail}");
    assert_eq!(
        detail,
        "Für eine Kommune handeln nur die Kommune selbst, ihr Land und die Betreiber ihrer Region."
    );
}

#[tokio::test]
async fn every_write_endpoint_by_every_kind_of_principal() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    // Closing a year reads the ledger's head and the split first.
    harness
        .respond(
            efa_proto::subjects::LEDGER_CHECKPOINT,
            |_: efa_proto::CheckpointRequest| efa_proto::LedgerCheckpoint {
                key_id: "ledger".into(),
                public_key: vec![0; 32],
                checkpoint: None,
            },
        )
        .await;
    let _queries = harness
        .projector(|_| efa_proto::QueryReply::CostYear(Some(Box::new(crate::samples::cost_year()))))
        .await;
    let rows = rows();
    assert_eq!(
        rows.len(),
        22,
        "every write endpoint of the API is in the table"
    );
    for row in &rows {
        let principals = std::iter::once(None).chain(PRINCIPALS.iter().map(|p| Some(*p)));
        for (principal, expected) in principals.zip(row.3) {
            if check(&harness, row, principal, expected).await {
                let envelope = next(&mut envelopes).await;
                let actor = efa_proto::Actor::parse(principal.unwrap_or_default()).unwrap();
                assert_eq!(envelope.actor, actor, "{} {}", row.0, row.1);
            }
        }
    }
    assert!(
        envelopes.try_recv().is_err(),
        "nothing refused early reached the ledger"
    );
}

#[test]
fn the_table_covers_every_documented_write() {
    let document = efa_gateway::openapi_document();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    for (method, path) in &documented {
        let covered = rows().iter().any(|(m, p, _, _)| {
            m.as_str() == method
                && crate::schema::template_of(&document, &method.to_lowercase(), p).as_deref()
                    == Some(path)
        });
        assert!(
            covered,
            "{method} {path} is not in the authorisation matrix"
        );
    }
}
