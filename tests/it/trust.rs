//! The trust boundary end to end: a forged event in the stream does not
//! reach the views and does not take them down, and the ledger's history
//! exported over HTTP is checked offline with its public key.

use std::time::Duration;

use efa_proto::{Event, EventId, EventRecord, ReadEvents, ReadReply, SealedEvent, subjects};

use crate::system::System;

fn announcement(id: &str, title: &str) -> String {
    format!(
        r#"{{"id": "{id}", "title": "{title}", "lead": "04", "themenfeld": "Familie & Kind",
            "provider": "Dataport", "channel": "efa-marktplatz",
            "cost_model": {{"kind": "equal-shares"}}}}"#
    )
}

async fn ledger_event(system: &System, seq: u64) -> SealedEvent {
    let reply: ReadReply = efa_runtime::request(
        &system.client,
        subjects::LEDGER_READ,
        &ReadEvents {
            from_seq: seq,
            limit: 1,
        },
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    reply.into_page().unwrap().events.remove(0)
}

async fn get(system: &System, path: &str) -> reqwest::Response {
    system
        .http
        .get(format!("{}{path}", system.base))
        .send()
        .await
        .unwrap()
}

/// Someone allowed to publish into the event stream puts a self-made
/// event at the ledger's next sequence, chained to the real head. The
/// projector refuses it (no ledger signature), reads the real event from
/// the ledger, stays ready and shows the real event, never the forged one.
#[tokio::test]
async fn a_forged_event_in_the_stream_is_refused_and_the_real_one_served() {
    let system = System::start().await;
    let response = system
        .announce(
            &system.bremen,
            "trust-1",
            &announcement("elterngeld", "Elterngeld"),
        )
        .await;
    assert_eq!(response.status(), 201);
    system.catalogue(1).await;

    let head = ledger_event(&system, 1).await;
    let mut forged_record = EventRecord {
        seq: 2,
        prev_hash: head.hash,
        event_id: EventId([0xee; 16]),
        ..head.record.clone()
    };
    if let Event::ServiceAnnounced(announced) = &mut forged_record.event {
        announced.title = "Gefälschte Leistung".into();
        announced.service = efa_proto::ServiceId::parse("gefaelscht").unwrap();
    }
    forged_record.stream = forged_record.event.stream();
    let forged = SealedEvent::seal(forged_record);
    let js = async_nats::jetstream::new(system.client.clone());
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", forged.record.event_id.to_string().as_str());
    js.publish_with_headers(
        subjects::event_subject(&forged.record.stream),
        headers,
        efa_proto::encode(&forged).into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let response = system
        .announce(
            &system.bremen,
            "trust-2",
            &announcement("wohngeld", "Wohngeld"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let catalogue = system.catalogue(2).await;
    let ids: Vec<&str> = catalogue["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["elterngeld", "wohngeld"]);
    assert_eq!(get(&system, "/readyz").await.status(), 200);

    // The stream is repaired too: the next event reaches the views.
    let response = system
        .announce(&system.bremen, "trust-3", &announcement("bafoeg", "BAföG"))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        system.catalogue(3).await["services"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(get(&system, "/readyz").await.status(), 200);
    system.stop().await;
}

/// A Land fetches the ledger's public key and an export of its history
/// over HTTP and checks it offline; one changed byte is named by its event.
#[tokio::test]
async fn an_exported_history_is_verified_offline_and_a_changed_byte_named() {
    let system = System::start().await;
    for (n, id) in ["elterngeld", "wohngeld", "bafoeg"].iter().enumerate() {
        let response = system
            .announce(
                &system.bremen,
                &format!("export-{n}"),
                &announcement(id, id),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let published: serde_json::Value = get(&system, "/api/v1/ledger/checkpoint")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["checkpoint"]["seq"], 3);
    let key = efa_trust::PublicKey::parse(published["public_key_line"].as_str().unwrap()).unwrap();

    let response = get(&system, "/api/v1/ledger/export?from_seq=1").await;
    assert_eq!(response.status(), 200);
    let export = response.text().await.unwrap();
    let report = efa_trust::verify_export(&export, &key).unwrap();
    assert_eq!((report.first_seq, report.last_seq), (1, 3));

    let at = export.find("event 2 ").unwrap() + "event 2 ".len() + 40;
    let mut bytes = export.clone().into_bytes();
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    let changed = String::from_utf8(bytes).unwrap();
    let broken = efa_trust::verify_export(&changed, &key).unwrap_err();
    assert_eq!(broken.seq, 2, "{broken}");

    let other = efa_trust::SigningKey::generate("ledger").unwrap().public();
    assert!(efa_trust::verify_export(&export, &other).is_err());
    system.stop().await;
}
