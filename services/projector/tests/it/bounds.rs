//! Queries are bounded: a replica answers at most so many at once and
//! refuses one more at once as busy instead of queueing it, and a query
//! whose caller has given up stops holding its place. The queries that
//! hold a place wait for a sequence the views have not applied (the
//! ledger's read API does not answer, so nothing fills the gap).

use std::time::Duration;

use efa_projector::{Projector, ProjectorConfig};
use efa_proto::{Query, QueryKind, QueryReply, Rejection, subjects};
use efa_runtime::{RpcError, Shutdown};
use efa_testkit::TestNats;
use tokio::sync::watch;

use crate::support::{FakeLedger, PATIENCE, connect, event_stream};

/// A projector that answers one query at once and lets a query wait
/// `wait_max` for its `min_seq`; the ledger is silent.
async fn one_at_a_time(
    nats: &TestNats,
    wait_max: Duration,
) -> (async_nats::Client, Shutdown, watch::Sender<bool>) {
    let client = connect(&nats.url()).await;
    event_stream(&client).await;
    let ledger = FakeLedger::default();
    ledger.announce("aaa-service");
    let (closed, gate) = watch::channel(false);
    ledger.serve_reads_gated(&client, gate).await;
    let config = ProjectorConfig {
        query_wait_max: wait_max,
        ..ProjectorConfig::new(nats.scratch_dir("views"))
    };
    let projector = Projector::start(config, client.clone())
        .await
        .unwrap()
        .with_queries_in_flight_max(1);
    let shutdown = Shutdown::new();
    tokio::spawn(projector.run(shutdown.clone()));
    (client, shutdown, closed)
}

async fn ask(
    client: &async_nats::Client,
    min_seq: u64,
    timeout: Duration,
) -> Result<QueryReply, RpcError> {
    let query = Query {
        min_seq,
        kind: QueryKind::Catalogue,
    };
    efa_runtime::request(client, subjects::QUERY, &query, timeout).await
}

/// Asks until the answer is not "busy", a bounded number of times.
async fn ask_until_not_busy(client: &async_nats::Client) -> QueryReply {
    for _ in 0..100 {
        match ask(client, 0, PATIENCE).await.unwrap() {
            QueryReply::Rejected(Rejection::Busy { .. }) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
    panic!("the replica stayed busy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_beyond_the_limit_is_refused_at_once() {
    let nats = TestNats::start();
    let (client, shutdown, _ledger_gate) = one_at_a_time(&nats, PATIENCE).await;
    // The projector is up once a plain query is answered.
    assert!(matches!(
        ask_until_not_busy(&client).await,
        QueryReply::Catalogue(_)
    ));
    // This one holds the only place: it waits for sequence 1.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { ask(&client, 1, PATIENCE).await }
    });
    // Sent after it on the same connection, so it arrives after it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = ask(&client, 0, PATIENCE).await.unwrap();
    assert_eq!(
        refused,
        QueryReply::Rejected(Rejection::Busy {
            retry_after_ms: 1_000
        })
    );
    assert!(!waiting.is_finished(), "the first query still waits");
    waiting.abort();
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_whose_caller_has_gone_frees_its_place() {
    let nats = TestNats::start();
    // Without the caller's deadline the wait would hold the place for
    // the whole test's patience.
    let (client, shutdown, _ledger_gate) = one_at_a_time(&nats, PATIENCE).await;
    ask_until_not_busy(&client).await;
    let gone = ask(&client, 1, Duration::from_millis(300)).await;
    assert!(matches!(gone, Err(RpcError::TimedOut { .. })), "{gone:?}");
    // The place is free again soon after: answered, not hung.
    assert!(matches!(
        ask_until_not_busy(&client).await,
        QueryReply::Catalogue(_)
    ));
    shutdown.cancel();
}
