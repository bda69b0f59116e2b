//! The projector against a real nats-server, with the test playing the
//! ledger: events published to the stream, the read API served from memory.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test loudly

mod bounds;
mod conditional;
mod costs;
mod rebuild;
mod replicas;
mod rollout;
mod support;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use efa_projector::view_content_hash;
use efa_proto::{QueryKind, QueryReply, Rejection, SealedEvent, ServiceId, subjects};
use efa_testkit::TestNats;

use support::{
    FakeLedger, Running, catalogue, connect, event_stream, ids, publish, publish_bytes, query,
    varied_history,
};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_events_show_in_the_catalogue() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    for service in [
        "wohngeld-antrag",
        "digitale-baugenehmigung",
        "kfz-zulassung",
    ] {
        publish(&js, &ledger.announce(service)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let projector = Running::start(&client, dir.path(), WAIT).await;

    let view = catalogue(&client, 3).await;
    assert_eq!(view.as_of_seq, 3);
    assert_eq!(
        ids(&view),
        [
            "digitale-baugenehmigung",
            "kfz-zulassung",
            "wohngeld-antrag"
        ]
    );
    let last_seqs: Vec<u64> = view
        .services
        .iter()
        .map(|service| service.last_seq)
        .collect();
    assert_eq!(last_seqs, [2, 3, 1]);

    let one = ServiceId::parse("kfz-zulassung").unwrap();
    match query(&client, 0, QueryKind::Service(one)).await {
        QueryReply::Service(Some(service)) => assert_eq!(
            (service.title.as_str(), service.version),
            ("Titel von kfz-zulassung", 1)
        ),
        other => panic!("expected the service, got {other:?}"),
    }
    let unknown = ServiceId::parse("gibt-es-nicht").unwrap();
    assert_eq!(
        query(&client, 0, QueryKind::Service(unknown)).await,
        QueryReply::Service(None)
    );
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_wait_for_their_min_seq_within_bounds() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    publish(&js, &ledger.announce("wohngeld-antrag")).await;
    let dir = tempfile::tempdir().unwrap();
    let wait_max = Duration::from_millis(700);
    let mut projector = Running::start(&client, dir.path(), wait_max).await;
    projector.applied(1).await;

    let asked = Instant::now();
    let reply = query(&client, 5, QueryKind::Catalogue).await;
    assert!(
        asked.elapsed() >= wait_max,
        "answered after {:?}, before the wait cap",
        asked.elapsed()
    );
    let reason = "Ansicht hat Sequenz 5 noch nicht erreicht (Stand: 1)".to_owned();
    assert_eq!(
        reply,
        QueryReply::Rejected(Rejection::Unavailable { reason })
    );

    let waiting = tokio::spawn({
        let client = client.clone();
        async move { catalogue(&client, 2).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    publish(&js, &ledger.announce("kfz-zulassung")).await;
    let view = waiting.await.unwrap();
    assert!(view.as_of_seq >= 2);
    assert_eq!(ids(&view), ["kfz-zulassung", "wohngeld-antrag"]);
    projector.stop().await.unwrap();
}

/// A `min_seq` the ledger has not reached yet can never be waited for: it
/// is refused at once as invalid, not after the whole wait. One the ledger
/// holds but the views have not applied yet is waited for as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_min_seq_beyond_the_ledger_head_is_refused_at_once() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    publish(&js, &ledger.announce("wohngeld-antrag")).await;
    ledger.serve_reads(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let wait_max = Duration::from_secs(3);
    let mut projector = Running::start(&client, dir.path(), wait_max).await;
    projector.applied(1).await;

    // Waiting would end in `Unavailable`; the refusal is `Invalid`.
    match query(&client, 1000, QueryKind::Catalogue).await {
        QueryReply::Rejected(Rejection::Invalid { field, reason }) => {
            assert_eq!(field, "min_seq");
            assert!(reason.contains("es reicht bis Sequenz 1"), "{reason}");
        }
        other => panic!("{other:?}"),
    }

    // The ledger holds event 2 before the stream does: the query waits.
    let second = ledger.announce("kfz-zulassung");
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { catalogue(&client, 2).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    publish(&js, &second).await;
    let view = waiting.await.unwrap();
    assert!(view.as_of_seq >= 2);
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_projector_resumes_and_matches_a_rebuild() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let resumed = tempfile::tempdir().unwrap();
    let services = [
        "aaa-service",
        "bbb-service",
        "ccc-service",
        "ddd-service",
        "eee-service",
    ];

    let mut first = Running::start(&client, resumed.path(), WAIT).await;
    for service in &services[..3] {
        publish(&js, &ledger.announce(service)).await;
    }
    first.applied(3).await;
    first.stop().await.unwrap();

    let mut second = Running::start(&client, resumed.path(), WAIT).await;
    assert_eq!(
        *second.applied.borrow(),
        3,
        "the checkpoint survives the restart"
    );
    for service in &services[3..] {
        publish(&js, &ledger.announce(service)).await;
    }
    second.applied(5).await;
    let view = catalogue(&client, 5).await;
    assert_eq!(view.as_of_seq, 5);
    assert_eq!(ids(&view), services);
    for (index, service) in view.services.iter().enumerate() {
        assert_eq!(
            (service.version, service.last_seq),
            (1, index as u64 + 1),
            "{} applied once",
            service.id
        );
    }
    second.stop().await.unwrap();

    let rebuilt = tempfile::tempdir().unwrap();
    let mut fresh = Running::start(&client, rebuilt.path(), WAIT).await;
    fresh.applied(5).await;
    fresh.stop().await.unwrap();
    assert_eq!(
        view_content_hash(resumed.path()).unwrap(),
        view_content_hash(rebuilt.path()).unwrap()
    );
}

/// The services of the tests of what the stream lacks, announced as
/// events 1 to 4.
const FOUR_SERVICES: [&str; 4] = ["aaa-service", "bbb-service", "ccc-service", "ddd-service"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_in_the_stream_is_filled_from_the_ledger() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let reads = ledger.serve_reads(&client).await;
    let events = FOUR_SERVICES.map(|s| ledger.announce(s));
    for event in [&events[0], &events[1], &events[3]] {
        publish(&js, event).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(4).await;

    let view = catalogue(&client, 4).await;
    assert_eq!(ids(&view), FOUR_SERVICES);
    assert_eq!(view.services[2].last_seq, 3);
    assert!(*reads.lock().unwrap() >= 1, "event 3 came from the ledger");
    projector.stop().await.unwrap();
}

/// A stream that keeps only the newest events starts after the
/// projector's checkpoint: what it no longer holds comes from the ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_a_stream_no_longer_keeps_come_from_the_ledger() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = jetstream::new(client.clone());
    js.create_stream(jetstream::stream::Config {
        first_sequence: Some(3),
        ..efa_runtime::jetstream::event_stream_config()
    })
    .await
    .unwrap();
    let ledger = FakeLedger::default();
    let reads = ledger.serve_reads(&client).await;
    let events = FOUR_SERVICES.map(|s| ledger.announce(s));
    for event in &events[2..] {
        publish(&js, event).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(4).await;

    assert_eq!(ids(&catalogue(&client, 4).await), FOUR_SERVICES);
    assert!(
        *reads.lock().unwrap() >= 1,
        "events 1 and 2 came from the ledger"
    );
    projector.stop().await.unwrap();
}

/// A new replica far behind the ledger reads the ledger's pages (a page
/// per commit) instead of waiting for the stream: here the stream holds
/// nothing, so every event must come from the read API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_far_behind_catches_up_from_the_ledger() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    event_stream(&client).await;
    let ledger = FakeLedger::default();
    let events = varied_history(&ledger, 6_000);
    let reads = ledger.serve_reads(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(events.len() as u64).await;
    let pages = *reads.lock().unwrap();
    assert!(
        (6..=20).contains(&pages),
        "6,000 events in pages of up to 1,000, and a few asks for the head: {pages} reads"
    );
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_message_is_replaced_by_the_ledgers_event() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    ledger.serve_reads(&client).await;
    let events: Vec<SealedEvent> = ["aaa-service", "bbb-service", "ccc-service"]
        .iter()
        .map(|s| ledger.announce(s))
        .collect();
    publish(&js, &events[0]).await;
    publish_bytes(&js, &events[1], b"not an event".to_vec()).await;
    publish(&js, &events[2]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(3).await;
    assert_eq!(
        ids(&catalogue(&client, 3).await),
        ["aaa-service", "bbb-service", "ccc-service"]
    );
    projector.stop().await.unwrap();
}

/// A self-made event on the stream, chained correctly to the one before
/// but not signed by the ledger (a checkpoint by another key, or none at
/// all), is refused; the projector reads the true event from the ledger,
/// applies it and keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_events_on_the_stream_are_refused_and_the_real_ones_served() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let first = ledger.announce("aaa-service");
    publish(&js, &first).await;

    let intruder = efa_trust::SigningKey::generate("ledger").unwrap();
    let forged = SealedEvent::seal(support::announcement(2, first.hash, "forged-service"));
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "forged-2");
    let checkpoint = efa_trust::sign_checkpoint(&intruder, 2, &forged.hash);
    headers.insert(
        efa_proto::trust::CHECKPOINT_HEADER,
        checkpoint.to_header_value().as_str(),
    );
    let subject = subjects::event_subject(&forged.record.stream);
    js.publish_with_headers(subject.clone(), headers, efa_proto::encode(&forged).into())
        .await
        .unwrap()
        .await
        .unwrap();
    let second = ledger.announce("bbb-service");

    // Without any checkpoint, chained to the true event 2.
    let unsigned = SealedEvent::seal(support::announcement(3, second.hash, "unsigned-service"));
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "forged-3");
    js.publish_with_headers(subject, headers, efa_proto::encode(&unsigned).into())
        .await
        .unwrap()
        .await
        .unwrap();
    ledger.announce("ccc-service");
    ledger.serve_reads(&client).await;

    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(3).await;
    assert_eq!(
        ids(&catalogue(&client, 3).await),
        ["aaa-service", "bbb-service", "ccc-service"]
    );
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_queries_get_a_typed_rejection() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let projector = Running::start(&client, dir.path(), WAIT).await;
    let mut wrong_variant = efa_proto::encode(&efa_proto::SCHEMA_VERSION);
    wrong_variant.extend_from_slice(&[0, 9]);
    for payload in [Vec::new(), wrong_variant, b"\x01\x00\x00\x00".to_vec()] {
        let answer = client
            .request(subjects::QUERY, payload.clone().into())
            .await
            .unwrap();
        match efa_proto::decode::<QueryReply>(&answer.payload).unwrap() {
            QueryReply::Rejected(Rejection::Malformed { .. }) => {}
            other => panic!("{payload:?}: expected Malformed, got {other:?}"),
        }
    }
    // postcard writes a u16 below 128 as one byte.
    let future_schema = vec![efa_proto::SCHEMA_VERSION as u8 + 1, 0, 0];
    let answer = client
        .request(subjects::QUERY, future_schema.into())
        .await
        .unwrap();
    assert!(matches!(
        efa_proto::decode::<QueryReply>(&answer.payload).unwrap(),
        QueryReply::Rejected(Rejection::UnsupportedSchema { .. })
    ));
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_comes_back_after_a_nats_restart() {
    let mut nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    publish(&js, &ledger.announce("aaa-service")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(1).await;

    nats.restart();
    let second = ledger.announce("bbb-service");
    let deadline = Instant::now() + support::PATIENCE;
    while let Err(error) = support::try_publish(&js, &second).await {
        assert!(
            Instant::now() < deadline,
            "could not publish after the restart: {error}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    projector.applied(2).await;
    assert_eq!(
        ids(&catalogue(&client, 2).await),
        ["aaa-service", "bbb-service"]
    );
    projector.stop().await.unwrap();
}
