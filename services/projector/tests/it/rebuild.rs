//! Rebuilding the views while the projector runs: queries keep being
//! answered, events keep being applied, the rebuilt views equal the old
//! ones, and the new store takes the events that follow.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use efa_projector::{view_content_hash, view_store_version};
use efa_proto::views::{CatalogueFilter, HistorySubject};
use efa_proto::{QueryKind, QueryReply, RebuildReply, RebuildRequest, Rejection, subjects};
use efa_testkit::TestNats;
use tokio::sync::watch;

use crate::WAIT;
use crate::support::{
    FakeLedger, PATIENCE, Running, catalogue, connect, event_stream, publish, publish_each, query,
    varied_history,
};

async fn rebuild(client: &async_nats::Client) -> RebuildReply {
    efa_runtime::request(
        client,
        subjects::PROJECTOR_REBUILD,
        &RebuildRequest {},
        PATIENCE,
    )
    .await
    .unwrap()
}

/// Queries of three kinds, one after another until `stop`; every answer
/// must be a view. Returns how many were answered.
fn query_load(client: &async_nats::Client, min_seq: u64, stop: Arc<AtomicBool>) -> QueryLoad {
    let answered = Arc::new(AtomicU32::new(0));
    let counter = answered.clone();
    let client = client.clone();
    let task = tokio::spawn(async move {
        let kinds = [
            QueryKind::Catalogue,
            QueryKind::Catalogue2 {
                filter: CatalogueFilter::default(),
                as_of: None,
            },
            QueryKind::History {
                subject: HistorySubject::All,
                from_seq: 1,
                limit: 50,
            },
        ];
        for round in 0..100_000usize {
            if stop.load(Ordering::Acquire) {
                break;
            }
            let kind = kinds[round % kinds.len()].clone();
            let reply = query(&client, min_seq, kind).await;
            assert!(
                !matches!(reply, QueryReply::Rejected(_)),
                "query {round} failed: {reply:?}"
            );
            counter.fetch_add(1, Ordering::AcqRel);
        }
    });
    QueryLoad { answered, task }
}

struct QueryLoad {
    answered: Arc<AtomicU32>,
    task: tokio::task::JoinHandle<()>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_swaps_in_equal_views_while_queries_go_on() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let (gate, open) = watch::channel(false);
    let reads = ledger.serve_reads_gated(&client, open).await;
    let events = varied_history(&ledger, 2_500);
    publish_each(&js, &events).await;
    let head = events.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(head).await;
    projector.stop().await.unwrap();
    let before = view_content_hash(dir.path()).unwrap();
    assert_eq!(view_store_version(dir.path()).unwrap(), 1);

    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(head).await;
    let stop = Arc::new(AtomicBool::new(false));
    let load = query_load(&client, head, stop.clone());
    let requested = tokio::spawn({
        let client = client.clone();
        async move { rebuild(&client).await }
    });
    // The rebuild is under way (it asked the ledger) before it may go on.
    wait_until(|| *reads.lock().unwrap() >= 1).await;
    let answered_before = load.answered.load(Ordering::Acquire);
    wait_until(|| load.answered.load(Ordering::Acquire) >= answered_before + 5).await;
    gate.send_replace(true);
    let reply = requested.await.unwrap();
    stop.store(true, Ordering::Release);
    load.task.await.unwrap();
    assert_eq!(
        reply,
        RebuildReply::Done {
            version: 2,
            seq: head,
            content_hash: before,
        }
    );
    assert_eq!(view_store_version(dir.path()).unwrap(), 2);
    // The old store is compared with the new one and removed after the
    // answer, on its own.
    wait_until(|| !dir.path().join("views-v1").exists()).await;

    let later = ledger.announce("zzz-spaeter");
    publish(&js, &later).await;
    projector.applied(head + 1).await;
    let view = catalogue(&client, head + 1).await;
    assert_eq!(view.as_of_seq, head + 1);
    assert!(view.services.iter().any(|s| s.id.as_str() == "zzz-spaeter"));
    projector.stop().await.unwrap();
    assert_same_views_as_a_fresh_projector(&client, dir.path(), head + 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_on_during_a_rebuild_and_a_second_one_is_rejected() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    // Open while the projector starts (it asks the ledger for its head),
    // closed while the rebuild reads.
    let (gate, open) = watch::channel(true);
    let reads = ledger.serve_reads_gated(&client, open).await;
    let first = varied_history(&ledger, 1_500);
    publish_each(&js, &first).await;
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    projector.applied(1_500).await;
    gate.send_replace(false);
    let before = *reads.lock().unwrap();

    let requested = tokio::spawn({
        let client = client.clone();
        async move { rebuild(&client).await }
    });
    wait_until(|| *reads.lock().unwrap() > before).await;
    match rebuild(&client).await {
        RebuildReply::Rejected(Rejection::Unavailable { reason }) => {
            assert!(reason.contains("läuft bereits"), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // Applying goes on while the rebuild waits for the ledger.
    let more = varied_history(&ledger, 300);
    publish_each(&js, &more).await;
    projector.applied(1_800).await;
    gate.send_replace(true);
    match requested.await.unwrap() {
        // The hash is taken on the way, before the last events are caught up.
        RebuildReply::Done {
            version: 2, seq, ..
        } => assert!((1_500..=1_800).contains(&seq), "hashed at {seq}"),
        other => panic!("expected the rebuild to finish, got {other:?}"),
    }
    assert_eq!(view_store_version(dir.path()).unwrap(), 2);
    let last = ledger.announce("zzz-danach");
    publish(&js, &last).await;
    projector.applied(1_801).await;
    projector.stop().await.unwrap();
    assert_same_views_as_a_fresh_projector(&client, dir.path(), 1_801).await;
}

/// The views under `dir` equal those of a projector that builds them from
/// the stream in a data directory of its own.
async fn assert_same_views_as_a_fresh_projector(
    client: &async_nats::Client,
    dir: &std::path::Path,
    head: u64,
) {
    let fresh = tempfile::tempdir().unwrap();
    let mut projector = Running::start(client, fresh.path(), WAIT).await;
    projector.applied(head).await;
    projector.stop().await.unwrap();
    assert_eq!(
        view_content_hash(dir).unwrap(),
        view_content_hash(fresh.path()).unwrap()
    );
}

/// Waits, bounded, until `condition` holds.
async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..(PATIENCE.as_millis() / 10) {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition did not come true in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_store_far_behind_is_filled_as_a_rebuild_fills_one() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    ledger.serve_reads(&client).await;
    let events = varied_history(&ledger, 2_500);
    publish_each(&js, &events).await;
    let head = events.len() as u64;
    let dir = tempfile::tempdir().unwrap();

    let mut projector = Running::start_filling(&client, dir.path(), 1_000).await;
    projector.applied(head).await;
    // A new version took the place of the empty one, which is removed.
    assert_eq!(view_store_version(dir.path()).unwrap(), 2);
    wait_until(|| !dir.path().join("views-v1").exists()).await;
    let view = catalogue(&client, head).await;
    assert_eq!(view.as_of_seq, head);
    // The filled store takes the events that follow from the stream.
    let later = ledger.announce("zzz-spaeter");
    publish(&js, &later).await;
    projector.applied(head + 1).await;
    let view = catalogue(&client, head + 1).await;
    assert!(view.services.iter().any(|s| s.id.as_str() == "zzz-spaeter"));
    projector.stop().await.unwrap();
    assert_same_views_as_a_fresh_projector(&client, dir.path(), head + 1).await;
}

/// A stand-in ledger with a history of 2,500 events, also published to
/// the stream, whose reads after the first `free` wait until `gate` opens.
struct GatedHistory {
    _nats: TestNats,
    client: async_nats::Client,
    gate: watch::Sender<bool>,
    reads: Arc<std::sync::Mutex<u32>>,
    head: u64,
    dir: tempfile::TempDir,
}

async fn gated_history(free: u32) -> GatedHistory {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let (gate, open) = watch::channel(false);
    let reads = ledger.serve_reads_gated_after(&client, free, open).await;
    let events = varied_history(&ledger, 2_500);
    publish_each(&js, &events).await;
    GatedHistory {
        _nats: nats,
        client,
        gate,
        reads,
        head: events.len() as u64,
        dir: tempfile::tempdir().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_store_is_not_answered_before_the_ledger_tells_its_head() {
    // Not even the head is answered until the gate opens.
    let GatedHistory {
        _nats,
        client,
        gate,
        reads,
        head,
        dir,
    } = gated_history(0).await;

    let mut projector = Running::start_filling(&client, dir.path(), 1_000).await;
    wait_until(|| *reads.lock().unwrap() >= 1).await;
    // The projector has asked for the head and waits for it; a query
    // asked now waits too, and is then refused while the store fills
    // (or, if it came late, answered from the filled views), but never
    // answered from the empty views.
    let asking = tokio::spawn({
        let client = client.clone();
        async move { query(&client, 0, QueryKind::Catalogue).await }
    });
    // Time for the query to arrive while the head is still unknown; far
    // less than the projector waits for the head.
    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.send_replace(true);
    match asking.await.unwrap() {
        QueryReply::Rejected(Rejection::Unavailable { .. }) => {}
        QueryReply::Catalogue(view) => assert_eq!(view.as_of_seq, head, "{view:?}"),
        other => panic!("neither refused nor the filled views: {other:?}"),
    }
    projector.applied(head).await;
    assert_eq!(
        view_store_version(dir.path()).unwrap(),
        2,
        "the store was filled"
    );
    let view = catalogue(&client, head).await;
    assert_eq!(view.as_of_seq, head);
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_fill_leaves_the_empty_store_and_the_next_start_fills_again() {
    // The head and the first page are answered; the fill's next read waits.
    let GatedHistory {
        _nats,
        client,
        gate,
        reads,
        head,
        dir,
    } = gated_history(2).await;

    let projector = Running::start_filling(&client, dir.path(), 1_000).await;
    wait_until(|| *reads.lock().unwrap() >= 3).await;
    assert!(dir.path().join("views-v2").exists(), "the fill has begun");
    assert_eq!(*projector.applied.borrow(), 0, "the store in use is empty");
    // Its empty views are not the registry's: every query is refused at
    // once meanwhile.
    let asked = query(&client, 0, QueryKind::Catalogue).await;
    assert!(
        matches!(&asked, QueryReply::Rejected(Rejection::Unavailable { reason }) if reason.contains("aufgebaut")),
        "queries are refused while the store fills: {asked:?}"
    );
    projector.stop().await.unwrap();
    assert_eq!(view_store_version(dir.path()).unwrap(), 1);
    assert!(
        !dir.path().join("views-v2").exists(),
        "the half-filled store is removed"
    );

    gate.send_replace(true);
    let mut projector = Running::start_filling(&client, dir.path(), 1_000).await;
    projector.applied(head).await;
    assert_eq!(view_store_version(dir.path()).unwrap(), 2);
    projector.stop().await.unwrap();
    assert_same_views_as_a_fresh_projector(&client, dir.path(), head).await;
}
