//! Every write route: the command built from the body (exact cents, key
//! units, regions, effective dates), the answer (201, `{"seq",
//! "version"}`, ETag, Location), the precondition, and the refusals
//! (401 for the public, 422 naming the field).

use efa_proto::{
    AdoptionStage, Ags, AssessReifegrad, Cents, ChangeServiceStatus, Channel, Command, CorrectCost,
    CostCategory, CostModel, Date, JoinService, KreisKey, LeaveService, MergeGemeinde, OperatorId,
    Population, PublishAllocationKey, PublishPopulation, RecordAdoptionStep, Region,
    RegisterGemeinde, RegisterKreis, RegisterOperator, Reifegrad, RenameGemeinde, ReportCost,
    RequestAdoption, RetireGemeinde, RetireService, ServiceId, ServiceStatus, UpdateServiceDetails,
    WithdrawAdoption,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Harness, accepted_body, land, next, problem};
use crate::schema::{check_request, template_of};

fn service() -> ServiceId {
    ServiceId::parse("wohngeld").unwrap()
}

fn erfurt() -> Ags {
    Ags::parse("16051000").unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

/// One write: the request, the command it must become, its effective
/// date and the Location of the answer.
struct Case {
    method: Method,
    path: &'static str,
    body: Value,
    command: Command,
    effective: Option<&'static str>,
    location: Option<&'static str>,
    /// Who sends it: a principal that may, so the gateway forwards it.
    principal: &'static str,
}

fn case(method: Method, path: &'static str, body: Value, command: Command) -> Case {
    Case {
        method,
        path,
        body,
        command,
        effective: None,
        location: None,
        principal: "land:04",
    }
}

impl Case {
    fn effective(mut self, date: &'static str) -> Self {
        self.effective = Some(date);
        self
    }

    fn location(mut self, location: &'static str) -> Self {
        self.location = Some(location);
        self
    }

    fn by(mut self, principal: &'static str) -> Self {
        self.principal = principal;
        self
    }
}

fn service_cases() -> Vec<Case> {
    let details = json!({"title": "Wohngeld digital", "themenfeld": "Familie", "provider": "KIV",
        "channel": "efa-marktplatz", "cost_model": {"kind": "equal-shares"}, "leika": ["99"],
        "effective": "2024-01-01"});
    vec![
        case(Method::PUT, "/api/v1/services/wohngeld", details, Command::UpdateServiceDetails(UpdateServiceDetails {
            service: service(), title: "Wohngeld digital".into(), ozg_id: None, leika: vec!["99".into()],
            themenfeld: "Familie".into(), provider: "KIV".into(), channel: Channel::EfaMarktplatz,
            cost_model: CostModel::EqualShares,
        })).effective("2024-01-01"),
        case(Method::POST, "/api/v1/services/wohngeld/status", json!({"status": "pilot"}),
            Command::ChangeServiceStatus(ChangeServiceStatus { service: service(), status: ServiceStatus::Pilot })),
        case(Method::POST, "/api/v1/services/wohngeld/reifegrad", json!({"reifegrad": 3}),
            Command::AssessReifegrad(AssessReifegrad { service: service(), reifegrad: Reifegrad::new(3).unwrap() })),
        case(Method::POST, "/api/v1/services/wohngeld/retirement", json!({"reason": "abgelöst"}),
            Command::RetireService(RetireService { service: service(), reason: "abgelöst".into() })),
        case(Method::POST, "/api/v1/services/wohngeld/participations",
            json!({"land": "16", "effective": "2023-07-01"}),
            Command::JoinService(JoinService { service: service(), land: land(16) }))
            .effective("2023-07-01").location("/api/v1/services/wohngeld/participations").by("land:16"),
        case(Method::DELETE, "/api/v1/services/wohngeld/participations/16",
            json!({"effective": "2025-01-01"}),
            Command::LeaveService(LeaveService { service: service(), land: land(16) }))
            .effective("2025-01-01").by("land:16"),
        case(Method::POST, "/api/v1/services/wohngeld/costs",
            json!({"year": 2023, "category": "development", "amount": "1234,56", "note": "Entwicklung"}),
            Command::ReportCost(ReportCost { service: service(), year: 2023, category: CostCategory::Development,
                amount: Cents(123_456), note: "Entwicklung".into() }))
            .location("/api/v1/services/wohngeld/costs/2023"),
        case(Method::POST, "/api/v1/services/wohngeld/costs/2/corrections",
            json!({"amount_cents": 99_999_999_999_i64, "reason": "Tippfehler"}),
            Command::CorrectCost(CorrectCost { service: service(), cost_no: 2,
                amount: Cents(99_999_999_999), reason: "Tippfehler".into() })),
    ]
}

fn participant_cases() -> Vec<Case> {
    let kreise = vec![
        KreisKey::parse("16051").unwrap(),
        KreisKey::parse("16068").unwrap(),
    ];
    vec![
        case(Method::POST, "/api/v1/gemeinden",
            json!({"ags": "16051000", "name": "Erfurt", "population": 213_699, "population_date": "2018-12-31"}),
            Command::RegisterGemeinde(RegisterGemeinde { ags: erfurt(), name: "Erfurt".into(),
                population: Some(Population { count: 213_699, reference_date: date("2018-12-31") }) }))
            .location("/api/v1/gemeinden/16051000"),
        case(Method::PUT, "/api/v1/gemeinden/16051000", json!({"name": "Landeshauptstadt Erfurt"}),
            Command::RenameGemeinde(RenameGemeinde { ags: erfurt(), name: "Landeshauptstadt Erfurt".into() })),
        case(Method::POST, "/api/v1/gemeinden/16051000/merger", json!({"successor": "16052000"}),
            Command::MergeGemeinde(MergeGemeinde { ags: erfurt(), successor: Ags::parse("16052000").unwrap() })),
        case(Method::POST, "/api/v1/gemeinden/16051000/retirement", json!({}),
            Command::RetireGemeinde(RetireGemeinde { ags: erfurt() })),
        case(Method::POST, "/api/v1/kreise", json!({"key": "16068", "name": "Sömmerda"}),
            Command::RegisterKreis(RegisterKreis { key: KreisKey::parse("16068").unwrap(),
                name: "Sömmerda".into(), population: None })),
        case(Method::POST, "/api/v1/operators",
            json!({"id": "kiv-thueringen", "name": "KIV Thüringen", "region": {"kreise": ["16051", "16068"]}}),
            Command::RegisterOperator(RegisterOperator { operator: OperatorId::parse("kiv-thueringen").unwrap(),
                name: "KIV Thüringen".into(), region: Region::Kreise(kreise) })),
        case(Method::POST, "/api/v1/operators",
            json!({"id": "kiv-thueringen", "name": "KIV Thüringen", "region": {"land": "16"}}),
            Command::RegisterOperator(RegisterOperator { operator: OperatorId::parse("kiv-thueringen").unwrap(),
                name: "KIV Thüringen".into(), region: Region::Land(land(16)) })),
    ]
}

fn adoption_and_reference_cases() -> Vec<Case> {
    let shares: serde_json::Map<String, Value> = (1..=16)
        .map(|code| {
            (
                format!("{code:02}"),
                json!(if code == 1 { "3,3907" } else { "6.44062" }),
            )
        })
        .collect();
    let mut units: Vec<_> = (1..=16).map(|code| (land(code), 644_062)).collect();
    units[0].1 = 339_070;
    vec![
        case(
            Method::POST,
            "/api/v1/adoptions",
            json!({"service": "wohngeld", "ags": "16051000"}),
            Command::RequestAdoption(RequestAdoption {
                service: service(),
                ags: erfurt(),
                note: String::new(),
            }),
        )
        .location("/api/v1/gemeinden/16051000"),
        case(
            Method::POST,
            "/api/v1/adoptions/wohngeld/16051000/steps",
            json!({"stage": "onboarding", "note": "Schulung", "effective": "2024-03-01"}),
            Command::RecordAdoptionStep(RecordAdoptionStep {
                service: service(),
                ags: erfurt(),
                stage: AdoptionStage::Onboarding,
                note: "Schulung".into(),
            }),
        )
        .effective("2024-03-01"),
        case(
            Method::POST,
            "/api/v1/adoptions/wohngeld/16051000/withdrawal",
            json!({"note": "kein Bedarf"}),
            Command::WithdrawAdoption(WithdrawAdoption {
                service: service(),
                ags: erfurt(),
                note: "kein Bedarf".into(),
            }),
        ),
        case(
            Method::POST,
            "/api/v1/reference/allocation-keys",
            json!({"year": 2016, "shares": shares}),
            Command::PublishAllocationKey(PublishAllocationKey {
                year: 2016,
                shares: units,
            }),
        ),
        case(
            Method::POST,
            "/api/v1/reference/populations",
            json!({"reference_date": "2018-12-31", "figures": {"16": 2_143_145, "01": 2_896_712}}),
            Command::PublishPopulation(PublishPopulation {
                reference_date: date("2018-12-31"),
                figures: vec![(land(1), 2_896_712), (land(16), 2_143_145)],
            }),
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = service_cases();
    cases.extend(participant_cases().into_iter().map(|c| c.by("admin")));
    cases.extend(adoption_and_reference_cases().into_iter().map(|c| {
        if c.path.starts_with("/api/v1/adoptions") {
            c.by("gemeinde:16051000")
        } else {
            c.by("admin")
        }
    }));
    cases
}

#[tokio::test]
async fn every_write_sends_the_command_its_body_describes() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    for case in all_cases() {
        let what = format!("{} {}", case.method, case.path);
        let token = harness.token_of(case.principal);
        let response = harness
            .write_as(Some(token), case.method.clone(), case.path, &case.body)
            .send()
            .await
            .unwrap();
        // A PUT replaces what exists; every other write records something new.
        let status = if case.method == Method::PUT {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        assert_eq!(response.status(), status, "{what}");
        assert_eq!(response.headers()["etag"], "\"3\"", "{what}");
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        assert_eq!(location.as_deref(), case.location, "{what}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            accepted_body(),
            "{what}"
        );

        let envelope = next(&mut envelopes).await;
        assert_eq!(envelope.command, case.command, "{what}");
        assert_eq!(envelope.effective, case.effective.map(date), "{what}");
        assert_eq!(
            envelope.actor,
            efa_proto::Actor::parse(case.principal).unwrap(),
            "{what}"
        );
        assert_eq!(envelope.expected_version, None, "{what}");
    }
}

#[tokio::test]
async fn the_public_may_not_write_anywhere() {
    let harness = Harness::start().await;
    for case in all_cases() {
        let response = harness
            .http
            .request(case.method.clone(), harness.url(case.path))
            .header("Idempotency-Key", "k1")
            .json(&case.body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
}

#[tokio::test]
async fn a_precondition_and_a_repeat_reach_the_ledger() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    let request = || {
        harness
            .http
            .post(harness.url("/api/v1/services/wohngeld/status"))
            .bearer_auth(&harness.token)
            .header("Idempotency-Key", "status-1")
            .header("If-Match", "\"7\"")
            .json(&json!({"status": "available"}))
    };
    assert_eq!(
        request().send().await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(
        request().send().await.unwrap().status(),
        StatusCode::CREATED
    );
    let (first, second) = (next(&mut envelopes).await, next(&mut envelopes).await);
    assert_eq!(first.expected_version, Some(7));
    assert_eq!(first.command_id, second.command_id);
}

/// A PUT replaces the details of a service that exists: 200, not 201, with
/// the new version as ETag; `If-Match: *` (any current version, RFC 9110)
/// is taken and holds the write to no version.
#[tokio::test]
async fn a_put_answers_200_and_takes_if_match_any() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    let details = json!({"title": "Wohngeld digital", "themenfeld": "Familie", "provider": "KIV",
        "channel": "fit-store", "cost_model": {"kind": "population"}});
    for if_match in [None, Some("*"), Some(" * ")] {
        let mut request = harness.write(Method::PUT, "/api/v1/services/wohngeld", &details);
        if let Some(if_match) = if_match {
            request = request.header("If-Match", if_match);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{if_match:?}");
        assert_eq!(response.headers()["etag"], "\"3\"", "{if_match:?}");
        assert!(response.headers().get("idempotent-replayed").is_none());
        assert_eq!(next(&mut envelopes).await.expected_version, None);
    }
    let document = efa_gateway::openapi_document();
    let responses = &document["paths"]["/api/v1/services/{id}"]["put"]["responses"];
    assert!(responses.get("201").is_none(), "{responses}");
    assert!(
        responses["200"]["headers"]["ETag"].is_object(),
        "{responses}"
    );
}

#[tokio::test]
async fn leaving_takes_the_date_from_the_query_and_needs_no_body() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    let path = "/api/v1/services/wohngeld/participations/04?effective=2025-06-30";
    let response = harness
        .http
        .delete(harness.url(path))
        .bearer_auth(&harness.token)
        .header("Idempotency-Key", "leave-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let envelope = next(&mut envelopes).await;
    assert_eq!(envelope.effective, Some(date("2025-06-30")));
    let leave = LeaveService {
        service: service(),
        land: land(4),
    };
    assert_eq!(envelope.command, Command::LeaveService(leave));

    let response = harness
        .http
        .post(harness.url("/api/v1/gemeinden/16051000/retirement"))
        .bearer_auth(harness.token_of("admin"))
        .header("Idempotency-Key", "retire-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let retire = RetireGemeinde { ags: erfurt() };
    assert_eq!(
        next(&mut envelopes).await.command,
        Command::RetireGemeinde(retire)
    );

    let path = "/api/v1/services/wohngeld/participations/09?min_seq=3";
    let response = harness
        .write(Method::DELETE, path, &json!({}))
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    assert!(
        body["detail"].as_str().unwrap().contains("„min_seq“"),
        "{body}"
    );
}

/// The request, and the field its 422 must name.
fn invalid_cases() -> Vec<(Method, &'static str, Value, &'static str)> {
    vec![
        (
            Method::POST,
            "/api/v1/reference/allocation-keys",
            json!({"year": 2016, "shares": {"01": "3,390745"}}),
            "shares.01",
        ),
        (
            Method::POST,
            "/api/v1/reference/allocation-keys",
            json!({"year": 2016, "shares": {"01": "1"}, "units": {}}),
            "shares",
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/costs",
            json!({"year": 2023, "category": "operation", "amount": "12,345"}),
            "amount",
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/costs",
            json!({"year": 2023, "category": "operation", "amount": "1", "amount_cents": 100}),
            "amount",
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/costs",
            json!({"year": 2023, "category": "travel", "amount": "1"}),
            "category",
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/status",
            json!({"status": "pilot", "reason": "x"}),
            "reason",
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/participations",
            json!({"land": "17"}),
            "land",
        ),
        (
            Method::POST,
            "/api/v1/services/wohngeld/participations",
            json!({"land": "16", "effective": "2023-02-29"}),
            "effective",
        ),
        (
            Method::PUT,
            "/api/v1/services/wohngeld",
            json!({"title": "x", "lead": "04"}),
            "lead",
        ),
        (
            Method::POST,
            "/api/v1/gemeinden",
            json!({"ags": "1605100", "name": "Erfurt"}),
            "ags",
        ),
        (
            Method::POST,
            "/api/v1/gemeinden",
            json!({"ags": "16051000", "name": "Erfurt", "population": 5}),
            "population_date",
        ),
        (
            Method::POST,
            "/api/v1/operators",
            json!({"id": "kiv", "name": "KIV", "region": {"kreise": ["160"]}}),
            "region.kreise.0",
        ),
        (
            Method::POST,
            "/api/v1/adoptions/wohngeld/16051000/steps",
            json!({"stage": "withdrawn"}),
            "stage",
        ),
        (
            Method::POST,
            "/api/v1/reference/populations",
            json!({"reference_date": "2018-12-31", "figures": {"01": -1}}),
            "figures.01",
        ),
    ]
}

#[tokio::test]
async fn an_invalid_field_is_named_and_nothing_is_sent() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    for (method, path, body, field) in invalid_cases() {
        let response = harness.write(method, path, &body).send().await.unwrap();
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("„{field}“")),
            "{path} {body}: {detail}"
        );
    }
    assert!(
        envelopes.try_recv().is_err(),
        "no command may reach the ledger"
    );
}

#[tokio::test]
async fn a_bad_path_parameter_is_a_bad_request_naming_it() {
    let harness = Harness::start().await;
    let cases = [
        ("/api/v1/services/Wohngeld/status", "id"),
        ("/api/v1/services/wohngeld/costs/x/corrections", "cost_no"),
        ("/api/v1/gemeinden/1605/merger", "ags"),
        ("/api/v1/adoptions/wohngeld/99999999/steps", "ags"),
    ];
    for (path, name) in cases {
        let response = harness
            .write(Method::POST, path, &json!({}))
            .send()
            .await
            .unwrap();
        let problem = problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("„{name}“")),
            "{path}"
        );
    }
}

#[test]
fn every_write_body_fits_the_document() {
    let document = efa_gateway::openapi_document();
    for case in all_cases() {
        let method = case.method.as_str().to_ascii_lowercase();
        let template = template_of(&document, &method, case.path)
            .unwrap_or_else(|| panic!("{} {} is not documented", case.method, case.path));
        if let Err(error) = check_request(&document, &method, &template, &case.body) {
            panic!(
                "the body of {} {} does not fit the document: {error}",
                case.method, case.path
            );
        }
    }
}

#[tokio::test]
async fn invisible_characters_are_refused_in_text_fields() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    // Format characters, then fillers, selectors and separators that show
    // as nothing, so that a title would look like another.
    for title in [
        "Wohngeld\u{202E}gnatnA",
        "Wohn\u{200B}geld",
        "\u{2066}Wohngeld\u{2069}",
        "Wohngeld\u{FEFF}",
        "Wohngeld\u{034F}",
        "Wohngeld\u{115F}",
        "Wohngeld\u{3164}",
        "Wohngeld\u{FE0F}",
        "Wohngeld\u{E0100}",
        "Wohngeld\u{2800}",
        "Wohngeld\u{2028}antrag",
    ] {
        let body = json!({"title": title, "lead": "04", "themenfeld": "Bauen & Wohnen",
            "provider": "Dataport", "channel": "efa-marktplatz",
            "cost_model": {"kind": "equal-shares"}});
        let detail = refusal(
            &harness,
            "/api/v1/services",
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        )
        .await;
        assert!(
            detail.contains("„title“") && detail.contains("unsichtbaren Zeichen"),
            "{title:?}: {detail}"
        );
    }
    assert!(envelopes.try_recv().is_err(), "nothing reaches the ledger");
}

#[tokio::test]
async fn a_body_that_repeats_a_key_is_refused() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    let response = harness
        .http
        .post(harness.url("/api/v1/services/wohngeld/status"))
        .bearer_auth(&harness.token)
        .header("Idempotency-Key", "doppelt-1")
        .header("Content-Type", "application/json")
        .body(r#"{"status": "pilot", "status": "retired"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let problem: Value = response.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("„status“ kommt doppelt vor"), "{detail}");
    assert!(envelopes.try_recv().is_err(), "nothing reaches the ledger");
}

/// A write takes what it says from its body: a parameter in its address
/// (an `?effective=` meant for the body) is refused, not dropped.
#[tokio::test]
async fn a_write_refuses_parameters_in_its_address() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    let body = json!({"title": "Wohngeld", "lead": "04", "themenfeld": "Bauen & Wohnen",
        "provider": "Dataport", "channel": "efa-marktplatz",
        "cost_model": {"kind": "equal-shares"}});
    for path in [
        "/api/v1/services?effective=2027-01-01",
        "/api/v1/services/wohngeld/status?foo=1",
    ] {
        let detail = refusal(
            &harness,
            path,
            &body,
            StatusCode::BAD_REQUEST,
            "bad-request",
        )
        .await;
        assert!(detail.contains("ist hier unbekannt"), "{path}: {detail}");
    }
    assert!(envelopes.try_recv().is_err(), "nothing reaches the ledger");
}

/// A note is refused beyond the length the domain takes, with that one
/// limit, as the OpenAPI document states it; LeiKa keys are documented as
/// the 14 digits the domain takes.
#[tokio::test]
async fn notes_and_leika_keys_are_taken_as_documented() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    for length in [1_001, 20_000] {
        let body = json!({"year": 2025, "category": "development", "amount_cents": 5,
            "note": "n".repeat(length)});
        let detail = refusal(
            &harness,
            "/api/v1/services/wohngeld/costs",
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        )
        .await;
        assert!(
            detail.contains("„note“") && detail.contains("höchstens 1000 Zeichen"),
            "{length}: {detail}"
        );
    }
    assert!(envelopes.try_recv().is_err(), "nothing reaches the ledger");
    let document = harness.get_json("/api/v1/openapi.json").await;
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["Note"]["maxLength"], 1000);
    assert_eq!(schemas["LeikaKey"]["pattern"], "^[0-9]{14}$");
}

/// A refusal names the field the client sent and the real reason: an
/// amount in cents too large is too large (not "no whole number"), named
/// `amount_cents`; a key that is not the whole names `units` when units
/// were sent.
#[tokio::test]
async fn refusals_name_the_field_sent_and_the_real_reason() {
    let harness = Harness::start().await;
    let mut envelopes = harness.ledger().await;
    let cases = [
        (
            "/api/v1/services/wohngeld/costs",
            json!({"year": 2025, "category": "development", "amount_cents": 9_223_372_036_854_775_807_i64}),
            "„amount_cents“",
            "unplausibel hoch",
        ),
        (
            "/api/v1/services/wohngeld/costs",
            json!({"year": 2025, "category": "development", "amount_cents": 10_000_000_000_000_000_000_u64}),
            "„amount_cents“",
            "unplausibel hoch",
        ),
        (
            "/api/v1/reference/allocation-keys",
            json!({"year": 2018, "units": {"01": 1, "02": 625_000}}),
            "„units“",
            "nicht genau 100 %",
        ),
    ];
    for (path, body, field, reason) in cases {
        let detail = refusal(
            &harness,
            path,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        )
        .await;
        assert!(
            detail.contains(field) && detail.contains(reason),
            "{body}: {detail}"
        );
    }
    assert!(envelopes.try_recv().is_err(), "nothing reaches the ledger");
}

/// The `detail` of the problem a POST of `body` to `path` is refused with,
/// after checking its `status` and `code`.
async fn refusal(
    harness: &Harness,
    path: &str,
    body: &Value,
    status: StatusCode,
    code: &str,
) -> String {
    let response = harness
        .write(Method::POST, path, body)
        .send()
        .await
        .unwrap();
    let problem = problem(response, status, code).await;
    problem["detail"].as_str().unwrap().to_owned()
}
