//! The first path through the whole system: a Land announces an EfA
//! service over HTTP, the ledger decides and stores it, the projector shows
//! it in the catalogue.

use crate::system::System;

const ELTERNGELD: &str = r#"{
    "id": "elterngeld-digital",
    "title": "Elterngeld digital",
    "lead": "04",
    "ozg_id": "OZG-10213",
    "themenfeld": "Familie & Kind",
    "provider": "Dataport",
    "channel": "efa-marktplatz",
    "cost_model": {"kind": "koenigsteiner-schluessel", "year": 2016},
    "status": "in-development",
    "reifegrad": 2
}"#;

#[tokio::test]
async fn a_land_announces_a_service_and_the_catalogue_shows_it() {
    let system = System::start().await;
    let response = system
        .announce(&system.bremen, "announce-elterngeld-1", ELTERNGELD)
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["location"],
        "/api/v1/services/elterngeld-digital"
    );
    let written: serde_json::Value = response.json().await.unwrap();
    let seq = written["seq"].as_u64().unwrap();
    assert_eq!(seq, 1);

    let catalogue = system.catalogue(seq).await;
    let services = catalogue["services"].as_array().unwrap();
    assert_eq!(services.len(), 1);
    let service = &services[0];
    assert_eq!(service["id"], "elterngeld-digital");
    assert_eq!(service["title"], "Elterngeld digital");
    assert_eq!(service["lead"], "04");
    assert_eq!(service["lead_name"], "Bremen");
    assert_eq!(service["status"], "in-development");
    assert_eq!(service["reifegrad"], 2);
    assert!(catalogue["as_of_seq"].as_u64().unwrap() >= seq);

    let one = system
        .http
        .get(format!(
            "{}/api/v1/services/elterngeld-digital",
            system.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let page = system
        .http
        .get(format!("{}/", system.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Elterngeld digital"),
        "the dashboard lists the service"
    );
    system.stop().await;
}

#[tokio::test]
async fn the_same_idempotency_key_creates_no_second_event() {
    let system = System::start().await;
    let first = system
        .announce(&system.bremen, "same-key", ELTERNGELD)
        .await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();

    let second = system
        .announce(&system.bremen, "same-key", ELTERNGELD)
        .await;
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first, second);

    assert_eq!(system.ledger_head().await, 1, "one event, not two");
    assert_eq!(
        system.catalogue(1).await["services"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    system.stop().await;
}

#[tokio::test]
async fn a_malformed_body_gets_a_problem_document() {
    let system = System::start().await;
    let response = system
        .announce(
            &system.bremen,
            "bad-body",
            r#"{"title": "Elterngeld", "lead": "#,
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 400);
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:efa-registry:problem:")
    );
    assert!(!problem["title"].as_str().unwrap().is_empty());
    assert_eq!(system.ledger_head().await, 0, "nothing was written");
    system.stop().await;
}

#[tokio::test]
async fn the_ledger_rejects_an_announcement_for_another_land() {
    let system = System::start().await;
    // Thüringen claims Bremen as lead: the gateway passes it on, the
    // ledger's domain refuses.
    let response = system
        .announce(&system.thueringen, "not-mine", ELTERNGELD)
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "urn:efa-registry:problem:forbidden");
    assert_eq!(system.ledger_head().await, 0);

    // The same command sent straight to the ledger, past the gateway.
    let envelope = efa_proto::CommandEnvelope {
        command_id: efa_proto::CommandId([9; 16]),
        actor: efa_proto::Actor::parse("land:16").unwrap(),
        expected_version: None,
        effective: None,
        command: efa_proto::Command::AnnounceService(efa_proto::AnnounceService {
            service: efa_proto::ServiceId::parse("elterngeld-digital").unwrap(),
            title: "Elterngeld digital".into(),
            lead: efa_proto::LandCode::parse("04").unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Familie & Kind".into(),
            provider: "Dataport".into(),
            channel: efa_proto::Channel::EfaMarktplatz,
            cost_model: efa_proto::CostModel::EqualShares,
            status: efa_proto::ServiceStatus::Planned,
            reifegrad: efa_proto::Reifegrad::new(0).unwrap(),
        }),
    };
    let reply: efa_proto::CommandReply = efa_runtime::request(
        &system.client,
        efa_proto::subjects::COMMAND,
        &system.sign(&envelope),
        std::time::Duration::from_secs(10),
    )
    .await
    .unwrap();
    let forbidden = efa_proto::Rejection::Forbidden {
        reason: efa_proto::ForbiddenReason::NotOwnLand,
    };
    assert_eq!(reply, efa_proto::CommandReply::Rejected(forbidden));
    assert_eq!(system.ledger_head().await, 0);
    assert!(
        system.catalogue(0).await["services"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    system.stop().await;
}
