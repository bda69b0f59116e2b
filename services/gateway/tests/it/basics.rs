//! The gateway's own mapping: health, authentication, problem documents,
//! status codes and headers, announcing, the plain catalogue, the
//! catalogue page, metrics and shutdown.

use std::time::Duration;

use efa_proto::{
    Accepted, Actor, CatalogueView, CommandEnvelope, CommandReply, ForbiddenReason, LandCode,
    Query, QueryKind, QueryReply, Rejection, subjects,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Harness, as_projector, problem, valid_body};

#[tokio::test]
async fn healthz_answers_ok() {
    let harness = Harness::start().await;
    let response = harness
        .http
        .get(harness.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn readyz_names_the_missing_services_then_turns_ready() {
    let harness = Harness::start().await;
    let response = harness
        .http
        .get(harness.url("/readyz"))
        .send()
        .await
        .unwrap();
    let body = problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service-unavailable",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("efa-ledger") && detail.contains("efa-projector"),
        "{detail}"
    );

    // The ledger is ready once it tells its checkpoint.
    harness
        .respond(
            subjects::LEDGER_CHECKPOINT,
            |_: efa_proto::CheckpointRequest| {
                efa_proto::Rejection::invalid("probe", "any answer counts")
            },
        )
        .await;
    let response = harness
        .http
        .get(harness.url("/readyz"))
        .send()
        .await
        .unwrap();
    let body = problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service-unavailable",
    )
    .await;
    assert!(!body["detail"].as_str().unwrap().contains("efa-ledger"));

    // A projector is ready once it answers a query, if only as busy.
    harness
        .projector(|_| {
            efa_proto::QueryReply::Rejected(efa_proto::Rejection::Busy {
                retry_after_ms: 100,
            })
        })
        .await;
    let response = harness
        .http
        .get(harness.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let harness = Harness::start().await;
    let response = harness
        .http
        .get(harness.url("/nirgendwo"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
    let response = harness
        .http
        .delete(harness.url("/api/v1/services"))
        .send()
        .await
        .unwrap();
    problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
}

#[tokio::test]
async fn announcing_without_a_valid_token_is_unauthorized() {
    let harness = Harness::start().await;
    let url = harness.url("/api/v1/services");
    let response = harness
        .http
        .post(&url)
        .header("Idempotency-Key", "k1")
        .json(&valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let wrong = harness
        .http
        .post(&url)
        .bearer_auth("efa_0000")
        .header("Idempotency-Key", "k1");
    let response = wrong.json(&valid_body()).send().await.unwrap();
    problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Reads are public, but a credential sent along must be one the gateway
/// knows: a mistyped or revoked token is told so at the first read, and
/// no page is answered as if it came from someone. The pages and the
/// health checks do not look at the header.
#[tokio::test]
async fn a_read_with_a_token_the_gateway_does_not_know_is_unauthorized() {
    let harness = Harness::start().await;
    harness
        .respond(subjects::QUERY, |query: Query| {
            as_projector(query, |query| match query.kind {
                QueryKind::Services { .. } => {
                    QueryReply::Services(efa_proto::pages::ServicesPage {
                        services: vec![sample_view()],
                        next_after: None,
                        total: 1,
                        as_of_seq: 9,
                    })
                }
                other => panic!("unexpected {other:?}"),
            })
        })
        .await;
    let url = harness.url("/api/v1/services");
    let read = |authorization: Option<&str>| {
        let request = harness.http.get(&url);
        match authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    };
    assert_eq!(read(None).send().await.unwrap().status(), StatusCode::OK);
    let land = format!("Bearer {}", harness.token_of("land:04"));
    assert_eq!(
        read(Some(&land)).send().await.unwrap().status(),
        StatusCode::OK
    );
    for wrong in [
        "Bearer efa_0000",
        "Basic dXNlcjpwdw==",
        "Bearer",
        "efa_0000",
    ] {
        let response = read(Some(wrong)).send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{wrong}");
        problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let document = harness
        .http
        .get(harness.url("/api/v1/openapi.json"))
        .bearer_auth("efa_0000")
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), StatusCode::UNAUTHORIZED);
    for path in ["/healthz", "/katalog"] {
        let response = harness
            .http
            .get(harness.url(path))
            .bearer_auth("efa_0000")
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn malformed_requests_are_bad_requests() {
    let harness = Harness::start().await;
    let url = harness.url("/api/v1/services");
    let post = || harness.http.post(&url).bearer_auth(&harness.token);

    let response = post()
        .header("Idempotency-Key", "k1")
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    assert_eq!(
        body["detail"],
        "Der Inhalt ist kein gültiges JSON: es bricht vorzeitig ab (Zeile 1, Spalte 10)."
    );

    let response = post()
        .header("Idempotency-Key", "k1")
        .body("title=x")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "bad-request").await;

    let response = post().json(&valid_body()).send().await.unwrap();
    problem(response, StatusCode::BAD_REQUEST, "missing-idempotency-key").await;

    let response = post()
        .header("Idempotency-Key", "k1")
        .header("If-Match", "neu")
        .json(&valid_body())
        .send();
    problem(
        response.await.unwrap(),
        StatusCode::BAD_REQUEST,
        "bad-request",
    )
    .await;

    let response = harness
        .http
        .get(harness.url("/api/v1/services?min_seq=-1"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    let response = harness
        .http
        .get(harness.url("/api/v1/services/Kein%20Slug"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
}

#[tokio::test]
async fn an_invalid_field_is_unprocessable_and_named() {
    let harness = Harness::start().await;
    let mut body = valid_body();
    body["lead"] = json!("17");
    let response = harness.announce("k1", &body).send().await.unwrap();
    let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("„lead“"),
        "{problem}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_payload_too_large() {
    let harness = Harness::start().await;
    let mut body = valid_body();
    body["title"] = json!("x".repeat(70 * 1024));
    let response = harness.announce("k1", &body).send().await.unwrap();
    problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
}

#[tokio::test]
async fn an_oversized_chunked_body_is_payload_too_large_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Without Content-Length the limit can only strike while the body is
    // read, inside the handler's extractor.
    let harness = Harness::start().await;
    let mut stream = tokio::net::TcpStream::connect(harness.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/services HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {}\r\n\
         Idempotency-Key: k1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        harness.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
    for _ in 0..5 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break; // the gateway may answer and close before the end
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(
        answer.contains("urn:efa-registry:problem:payload-too-large"),
        "{answer}"
    );
}

#[tokio::test]
async fn without_a_ledger_a_valid_announcement_is_unavailable() {
    let harness = Harness::start().await;
    let response = harness.announce("k1", &valid_body()).send().await.unwrap();
    let body = problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service-unavailable",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("nicht erreichbar")
    );
}

#[tokio::test]
async fn an_accepted_announcement_is_created_and_a_repeat_replayed() {
    let harness = Harness::start().await;
    let (seen, mut envelopes) = tokio::sync::mpsc::unbounded_channel();
    let calls = std::sync::atomic::AtomicU64::new(0);
    harness
        .respond_commands(move |envelope: CommandEnvelope| {
            let replayed = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0;
            seen.send(envelope).unwrap();
            CommandReply::Accepted(Accepted {
                first_seq: 7,
                last_seq: 7,
                stream_version: 1,
                replayed,
            })
        })
        .await;

    let response = harness
        .announce("schluessel-1", &valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"],
        "/api/v1/services/digitale-baugenehmigung"
    );
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert!(response.headers().get("idempotent-replayed").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": "digitale-baugenehmigung", "seq": 7, "version": 1})
    );

    let response = harness
        .announce("schluessel-1", &valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    assert_eq!(response.json::<Value>().await.unwrap()["seq"], 7);

    let first = envelopes.recv().await.unwrap();
    let second = envelopes.recv().await.unwrap();
    assert_eq!(first.actor, Actor::Land(LandCode::new(4).unwrap()));
    assert_eq!(
        first.command_id, second.command_id,
        "the same key must give the same command id"
    );
    assert_eq!(first.expected_version, None);
}

#[tokio::test]
async fn ledger_rejections_keep_their_meaning() {
    let harness = Harness::start().await;
    harness
        .respond_commands(
            |envelope: CommandEnvelope| match envelope.expected_version {
                Some(expected) => CommandReply::Rejected(Rejection::Conflict {
                    expected,
                    actual: expected + 1,
                }),
                None => CommandReply::Rejected(Rejection::Forbidden {
                    reason: ForbiddenReason::NotOwnLand,
                }),
            },
        )
        .await;

    let response = harness.announce("k1", &valid_body()).send().await.unwrap();
    let body = problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(body["detail"], "Ein Land handelt nur für sich selbst.");

    let response = harness
        .announce("k2", &valid_body())
        .header("If-Match", "\"3\"")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::PRECONDITION_FAILED, "conflict").await;
}

fn sample_view() -> efa_proto::ServiceView {
    efa_proto::ServiceView {
        id: efa_proto::ServiceId::parse("digitale-baugenehmigung").unwrap(),
        title: "Digitale <Baugenehmigung>".into(),
        lead: LandCode::new(4).unwrap(),
        ozg_id: Some("10045".into()),
        leika: vec![],
        themenfeld: "Bauen & Wohnen".into(),
        provider: "Dataport".into(),
        channel: efa_proto::Channel::FitStore,
        cost_model: efa_proto::CostModel::Population,
        status: efa_proto::ServiceStatus::Pilot,
        reifegrad: efa_proto::Reifegrad::new(2).unwrap(),
        announced_on: efa_proto::Date::parse("2026-03-01").unwrap(),
        recorded_at: efa_proto::Timestamp::from_micros(0),
        version: 2,
        last_seq: 9,
    }
}

#[tokio::test]
async fn the_catalogue_is_read_through_the_projector() {
    let harness = Harness::start().await;
    harness
        .respond(subjects::QUERY, |query: Query| {
            as_projector(query, |query| match query.kind {
                QueryKind::Catalogue => QueryReply::Catalogue(CatalogueView {
                    services: vec![sample_view()],
                    as_of_seq: query.min_seq.max(9),
                }),
                QueryKind::Service(id) if id.as_str() == "digitale-baugenehmigung" => {
                    QueryReply::Service(Some(sample_view()))
                }
                QueryKind::Service(_) => QueryReply::Service(None),
                QueryKind::Services { .. } => {
                    QueryReply::Services(efa_proto::pages::ServicesPage {
                        services: vec![sample_view()],
                        next_after: None,
                        total: 1,
                        as_of_seq: query.min_seq.max(9),
                    })
                }
                QueryKind::Catalogue2 { .. } => {
                    QueryReply::Catalogue2(efa_proto::views::CataloguePage {
                        services: vec![efa_proto::views::ServiceSummary {
                            service: sample_view(),
                            lands: vec![LandCode::new(4).unwrap()],
                            adoptions: [0, 0, 0, 2, 0],
                        }],
                        total: 1,
                        as_of: efa_proto::Date::parse("2026-03-02").unwrap(),
                        as_of_seq: 9,
                    })
                }
                other => panic!("this test asks no {other:?}"),
            })
        })
        .await;

    let response = harness
        .http
        .get(harness.url("/api/v1/services?min_seq=12"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["as_of_seq"], 12);
    assert_eq!(body["services"][0]["status"], "pilot");
    assert_eq!(
        body["services"][0]["cost_model"],
        json!({"kind": "population"})
    );

    let response = harness
        .http
        .get(harness.url("/api/v1/services/digitale-baugenehmigung"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");
    assert_eq!(
        response.json::<Value>().await.unwrap()["lead_name"],
        "Bremen"
    );

    let response = harness
        .http
        .get(harness.url("/api/v1/services/gibt-es-nicht"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND, "not-found").await;

    let response = harness.http.get(harness.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Digitale &lt;Baugenehmigung&gt;") && page.contains("Pilotbetrieb"),
        "{page}"
    );
}

#[tokio::test]
async fn the_page_renders_a_notice_without_a_projector() {
    let harness = Harness::start().await;
    let response = harness.http.get(harness.url("/")).send().await.unwrap();
    // An error page, with an error status that monitoring sees.
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<h1>Katalog der EfA-Leistungen</h1>"));
    assert!(page.contains("nicht erreichbar"));
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let harness = Harness::start().await;
    harness
        .http
        .get(harness.url("/healthz"))
        .send()
        .await
        .unwrap();
    let response = harness
        .http
        .get(harness.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "not public");
    let response = harness
        .http
        .get(harness.url("/metrics"))
        .bearer_auth("falsch")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = harness
        .http
        .get(harness.url("/metrics"))
        .bearer_auth(crate::harness::METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.lines()
            .any(|line| line.starts_with("efa_http_requests_total")
                && line.contains("route=\"/healthz\"")
                && line.contains("status=\"200\"")),
        "{text}"
    );
    assert!(
        text.contains("efa_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let harness = Harness::start().await;
    harness.shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), harness.served).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "{result:?}");
    assert!(
        harness
            .http
            .get(format!("{}/healthz", harness.base))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_address_over_the_rate_limit_gets_a_429_problem() {
    let nats = efa_testkit::TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let config = efa_gateway::GatewayConfig {
        http_addr: "127.0.0.1:0".parse().unwrap(),
        tokens: efa_trust::tokens::TokenTable::empty(),
        request_timeout: Duration::from_secs(1),
    };
    let gateway = efa_gateway::Gateway::bind(config, client)
        .await
        .unwrap()
        .with_rate_limit(3, Duration::from_secs(60));
    let base = format!("http://{}", gateway.local_addr());
    let shutdown = efa_runtime::Shutdown::new();
    let served = tokio::spawn(gateway.run(shutdown.clone()));
    let http = reqwest::Client::new();
    // Without a projector these answer 503; they still count.
    for _ in 0..3 {
        let response = http
            .get(format!("{base}/api/v1/services"))
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let response = http
        .get(format!("{base}/api/v1/services"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:efa-registry:problem:too-many-requests"
    );
    for path in ["/healthz", "/metrics", "/katalog", "/gibt-es-nicht"] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: every route is limited"
        );
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=20).contains(&wait), "{path}: {wait}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    shutdown.cancel();
    served.await.unwrap().unwrap();
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_nosniff() {
    let harness = Harness::start().await;
    let send = |id: Option<&'static str>| {
        let mut request = harness.http.get(harness.url("/healthz"));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let kept = send(Some("probe-1.a_b")).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "probe-1.a_b");
    assert_eq!(kept.headers()["x-content-type-options"], "nosniff");
    for id in [None, Some("zwei teile"), Some("ü-ist-kein-ascii")] {
        let made = send(id).await.unwrap();
        let made = made.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(made.len(), 32, "{id:?}: {made}");
        assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    }
}
