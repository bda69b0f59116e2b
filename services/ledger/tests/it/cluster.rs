//! Ledger nodes of a cluster in one process, over a real nats-server: one
//! node takes commands while it holds the lease, the other follows the
//! stream; a handover keeps every answer (a repeated command gets its
//! stored reply from the new node), the returning node follows, both logs
//! end equal to the stream, and a node that is not active cannot append.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use efa_ledger::cluster::ClusterConfig;
use efa_ledger::store::LedgerStore;
use efa_ledger::{Ledger, LedgerConfig};
use efa_proto::*;
use efa_runtime::Shutdown;
use efa_testkit::TestNats;

use crate::{announce, envelope};

const LEASE_TTL: Duration = Duration::from_millis(900);

struct Node {
    dir: PathBuf,
    running: Option<(Shutdown, tokio::task::JoinHandle<()>)>,
}

impl Node {
    async fn start(nats: &TestNats, dir: &Path, name: &str) -> Self {
        let client = async_nats::connect(nats.url()).await.unwrap();
        let ledger = Ledger::start(
            LedgerConfig {
                data_dir: dir.to_owned(),
                cluster: Some(ClusterConfig {
                    node: name.to_owned(),
                    lease_ttl: LEASE_TTL,
                    replicas: 1,
                }),
            },
            client,
        )
        .await
        .unwrap();
        let shutdown = Shutdown::new();
        let task = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { ledger.run(shutdown).await.unwrap() }
        });
        Self {
            dir: dir.to_owned(),
            running: Some((shutdown, task)),
        }
    }

    async fn stop(&mut self) {
        if let Some((shutdown, task)) = self.running.take() {
            shutdown.cancel();
            task.await.unwrap();
        }
    }

    /// The node's log, read after it stopped.
    fn head(&self) -> (u64, Hash) {
        let store = efa_testkit::retry_while_locked(
            || LedgerStore::open_to_read(&self.dir),
            |e| e.to_string().contains("lock"),
        )
        .unwrap();
        let report = efa_ledger::verify_store(&store).unwrap();
        let head = store.head().unwrap();
        assert_eq!(report.events, head.seq);
        (head.seq, head.hash)
    }
}

/// Two data dirs with the same ledger key and trusted signer.
fn node_dirs(nats: &TestNats) -> (PathBuf, PathBuf, efa_trust::SigningKey) {
    let a = nats.scratch_dir("node-a");
    let signer =
        efa_trust::ensure_trusted_signer(&a, "gateway.key", "gateway", efa_trust::Scope::Any)
            .unwrap();
    efa_ledger::keys::ledger_key(&a).unwrap();
    let b = nats.scratch_dir("node-b");
    efa_testkit::copy_dir(&a, &b);
    (a, b, signer)
}

/// Sends until an answer comes (no active node answers during a
/// handover), with the same bytes each time.
async fn send(client: &async_nats::Client, command: &SignedCommand) -> Accepted {
    let started = Instant::now();
    loop {
        let answer: Result<CommandReply, _> =
            efa_runtime::request(client, subjects::COMMAND, command, Duration::from_secs(2)).await;
        match answer {
            Ok(CommandReply::Accepted(accepted)) => return accepted,
            Ok(CommandReply::Rejected(Rejection::Unavailable { .. })) | Err(_) => {}
            Ok(other) => panic!("command answered {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no node took the command within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stream_last(client: &async_nats::Client) -> u64 {
    let js = async_nats::jetstream::new(client.clone());
    let mut stream = js.get_stream(subjects::EVENT_STREAM).await.unwrap();
    stream.info().await.unwrap().state.last_sequence
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_keeps_every_answer_and_the_logs_equal_the_stream() {
    efa_runtime::telemetry::init();
    let nats = TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let (dir_a, dir_b, signer) = node_dirs(&nats);
    let mut a = Node::start(&nats, &dir_a, "node-a").await;
    let first = efa_trust::sign_command(
        &signer,
        &envelope(1, "land:01", announce("erster-dienst", "01")),
    );
    let accepted = send(&client, &first).await;
    assert_eq!((accepted.last_seq, accepted.replayed), (1, false));
    let mut b = Node::start(&nats, &dir_b, "node-b").await;
    for n in 2..=20u8 {
        let command = efa_trust::sign_command(
            &signer,
            &envelope(n, "land:01", announce(&format!("dienst-{n}"), "01")),
        );
        assert_eq!(send(&client, &command).await.last_seq, u64::from(n));
    }

    // The active node stops; the standby takes over and answers the
    // first command again from what it followed, with the same sequence.
    a.stop().await;
    let again = send(&client, &first).await;
    assert_eq!((again.last_seq, again.replayed), (1, true));
    for n in 21..=30u8 {
        let command = efa_trust::sign_command(
            &signer,
            &envelope(n, "land:01", announce(&format!("dienst-{n}"), "01")),
        );
        assert_eq!(send(&client, &command).await.last_seq, u64::from(n));
    }
    assert_eq!(stream_last(&client).await, 30);

    // The old node comes back as a standby and follows.
    let mut a = Node::start(&nats, &dir_a, "node-a").await;
    let command = efa_trust::sign_command(
        &signer,
        &envelope(31, "land:01", announce("dienst-31", "01")),
    );
    assert_eq!(send(&client, &command).await.last_seq, 31);
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.stop().await;
    a.stop().await;
    let (head_a, head_b) = (a.head(), b.head());
    assert_eq!(head_a.0, 31);
    assert_eq!(head_a, head_b, "both logs end in the same event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_is_not_active_cannot_append() {
    efa_runtime::telemetry::init();
    let nats = TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let (dir_a, _, signer) = node_dirs(&nats);
    let mut a = Node::start(&nats, &dir_a, "node-a").await;
    for n in 1..=3u8 {
        let command = efa_trust::sign_command(
            &signer,
            &envelope(n, "land:01", announce(&format!("dienst-{n}"), "01")),
        );
        send(&client, &command).await;
    }
    a.stop().await;
    // A deposed node that still believes the stream ends at event 2
    // offers another event 3 (another command decided there): the stream
    // refuses it by sequence.
    let store = efa_testkit::retry_while_locked(
        || LedgerStore::open_to_read(&dir_a),
        |e| e.to_string().contains("lock"),
    )
    .unwrap();
    let mut record = store.event(3).unwrap().unwrap().record;
    record.command_id = CommandId([99; 16]);
    record.event_id = EventId([99; 16]);
    let event = SealedEvent::seal(record);
    let stale = vec![efa_ledger::store::StoredEvent {
        encoded: encode(&event),
        event,
    }];
    let key = efa_ledger::keys::ledger_key(&dir_a).unwrap();
    let js = async_nats::jetstream::new(client.clone());
    let refused = efa_ledger::cluster::append::publish(&js, &key, &stale, &[[0; 32]]).await;
    assert!(
        matches!(
            refused,
            Err(efa_ledger::writer::ReplicateError::Refused { seq: 3, .. })
        ),
        "{refused:?}"
    );
    assert_eq!(stream_last(&client).await, 3);
}
