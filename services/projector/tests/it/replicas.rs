//! Several projector replicas on one NATS, each with its own data
//! directory: they share the queries (one queue group), each builds the
//! same views from the stream, whenever it started.

use std::time::Duration;

use efa_projector::view_content_hash;
use efa_proto::{QueryKind, QueryReply, subjects};
use efa_testkit::TestNats;
use futures::StreamExt;

use crate::WAIT;
use crate::support::{
    FakeLedger, Running, connect, event_stream, publish_each, query, varied_history,
};

const REPLICAS: usize = 3;
const QUERIES: usize = 90;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_queries_and_converge_on_equal_views() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let early = varied_history(&ledger, 400);
    publish_each(&js, &early).await;

    let dirs: Vec<tempfile::TempDir> = (0..REPLICAS)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let mut replicas = Vec::new();
    for dir in &dirs[..REPLICAS - 1] {
        replicas.push(Running::start(&client, dir.path(), WAIT).await);
    }
    let late = varied_history(&ledger, 400);
    publish_each(&js, &late).await;
    // The last replica starts after every event was published.
    replicas.push(Running::start(&client, dirs[REPLICAS - 1].path(), WAIT).await);
    let head = (early.len() + late.len()) as u64;

    for _ in 0..QUERIES {
        match query(&client, head, QueryKind::Catalogue).await {
            QueryReply::Catalogue(view) => {
                assert!(view.as_of_seq >= head);
                assert_eq!(view.services.len(), 160, "every fifth event announces");
            }
            other => panic!("expected the catalogue, got {other:?}"),
        }
    }
    let answered = queries_answered_per_replica(&client).await;
    assert_eq!(answered.len(), REPLICAS, "every replica reports");
    assert_eq!(answered.iter().sum::<u64>(), QUERIES as u64);
    assert!(
        answered.iter().filter(|count| **count > 0).count() >= 2,
        "the queue group spreads the queries: {answered:?}"
    );

    for replica in &mut replicas {
        replica.applied(head).await;
    }
    for replica in replicas {
        replica.stop().await.unwrap();
    }
    let hashes: Vec<String> = dirs
        .iter()
        .map(|dir| view_content_hash(dir.path()).unwrap())
        .collect();
    assert!(
        hashes.iter().all(|hash| *hash == hashes[0]),
        "replicas differ: {hashes:?}"
    );
}

/// The query endpoint's request count of each replica, from the NATS
/// service API's `STATS` (every instance answers; collected for a while).
async fn queries_answered_per_replica(client: &async_nats::Client) -> Vec<u64> {
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.unwrap();
    let subject = format!("$SRV.STATS.{}", subjects::PROJECTOR_SERVICE);
    client
        .publish_with_reply(subject, inbox, "".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let mut counts = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(Some(reply)) = tokio::time::timeout_at(deadline, replies.next()).await {
        let stats: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
        let endpoints = stats["endpoints"].as_array().unwrap();
        let queries = endpoints
            .iter()
            .find(|endpoint| endpoint["subject"] == subjects::QUERY)
            .unwrap();
        counts.push(queries["num_requests"].as_u64().unwrap());
    }
    counts
}
