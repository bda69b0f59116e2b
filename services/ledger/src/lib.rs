//! The ledger: the only writer of the registry. It receives commands over
//! NATS, checks idempotency and expected versions, lets the pure domain
//! decide, appends the events to sled in one durable group commit with a
//! hash chain, answers, and relays the events to JetStream from its own log
//! (the outbox). It also serves the log for replay and gap filling.

pub mod bulk;
mod handlers;
pub mod keys;
mod relay;
pub mod store;
mod verifier;
mod verify;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;

use efa_proto::subjects;
use efa_runtime::Shutdown;
use tokio::sync::{mpsc, watch};

pub use verify::{ChainReport, VerifyError, verify, verify_store};

/// For `benches/append.rs` only: a ledger started while this is set takes
/// unsigned commands and signs no checkpoints, the baseline against which
/// the bench measures what signing costs.
#[cfg(feature = "unsigned-bench")]
#[doc(hidden)]
pub static UNSIGNED_FOR_BENCH: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Whether this ledger checks and makes signatures (always, unless the
/// bench's baseline asks otherwise).
fn signatures_on() -> bool {
    #[cfg(feature = "unsigned-bench")]
    if UNSIGNED_FOR_BENCH.load(std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    true
}

/// Commands waiting for the writer; beyond this, callers wait (bounded).
const QUEUE_LEN_MAX: usize = 8192;
/// Requests handled concurrently per endpoint.
const IN_FLIGHT_MAX: usize = 1024;

#[derive(Debug, Clone)]
pub struct LedgerConfig {
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("register the NATS service: {0}")]
    Service(String),
    #[error("start the writer thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("the writer stopped after a failed group commit; restart the ledger")]
    WriterFailed,
    #[error("ledger keys: {0}")]
    Key(#[from] efa_trust::KeyError),
}

/// A started ledger, ready to `run`.
#[derive(Debug)]
pub struct Ledger {
    store: Arc<store::LedgerStore>,
    nats: async_nats::Client,
    head: watch::Receiver<u64>,
    published: watch::Receiver<u64>,
    published_tx: watch::Sender<u64>,
    queue: mpsc::Sender<writer::Submission>,
    checks: mpsc::Sender<verifier::Received>,
    writer: std::thread::JoinHandle<()>,
    verifier: std::thread::JoinHandle<()>,
    service: async_nats::service::Service,
    key: Arc<efa_trust::SigningKey>,
    signatures: bool,
}

impl Ledger {
    /// Opens the store and registers the NATS service `efa-ledger`.
    pub async fn start(
        config: LedgerConfig,
        nats: async_nats::Client,
    ) -> Result<Ledger, LedgerError> {
        use async_nats::service::ServiceExt;
        std::fs::create_dir_all(&config.data_dir).map_err(|source| {
            store::StoreError::DataFile {
                path: config.data_dir.clone(),
                source,
            }
        })?;
        let store = Arc::new(store::LedgerStore::open(&config.data_dir)?);
        let key = keys::ledger_key(&config.data_dir)?;
        let signers = keys::signers(&config.data_dir)?;
        let (head_tx, head) = watch::channel(0);
        let signatures = signatures_on();
        let mut writer = writer::Writer::new(store.clone(), head_tx, key.clone())?;
        if !signatures {
            writer.sign_no_checkpoints();
        }
        let (queue, queue_rx) = mpsc::channel(QUEUE_LEN_MAX);
        let writer = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || writer.run(queue_rx))
            .map_err(LedgerError::Thread)?;
        let (checks, checks_rx) = mpsc::channel(QUEUE_LEN_MAX);
        let verifier = {
            let (signers, queue) = (signers.clone(), queue.clone());
            std::thread::Builder::new()
                .name("ledger-verifier".into())
                .spawn(move || verifier::run(checks_rx, signers, signatures, queue))
                .map_err(LedgerError::Thread)?
        };
        let service = nats
            .service_builder()
            .description("efa-registry ledger: commands and the event log")
            .start(subjects::LEDGER_SERVICE, env!("CARGO_PKG_VERSION"))
            .await
            .map_err(|e| LedgerError::Service(e.to_string()))?;
        let (published_tx, published) = watch::channel(0);
        tracing::info!(head = *head.borrow(), dir = %config.data_dir.display(), "ledger started");
        Ok(Ledger {
            store,
            nats,
            head,
            published,
            published_tx,
            queue,
            checks,
            writer,
            verifier,
            service,
            key,
            signatures,
        })
    }

    /// The last durable sequence.
    pub fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    /// The ledger's public key, which checks its signed checkpoints.
    pub fn public_key(&self) -> efa_trust::PublicKey {
        self.key.public()
    }

    /// The last sequence the JetStream stream confirmed.
    pub fn published(&self) -> watch::Receiver<u64> {
        self.published.clone()
    }

    /// Serves commands and reads and relays events until shutdown.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), LedgerError> {
        let endpoint = |subject: &'static str| {
            let service = &self.service;
            async move {
                service
                    .endpoint(subject)
                    .await
                    .map_err(|e| LedgerError::Service(e.to_string()))
            }
        };
        let commands = endpoint(subjects::COMMAND).await?;
        let reads = endpoint(subjects::LEDGER_READ).await?;
        let checkpoints = endpoint(subjects::LEDGER_CHECKPOINT).await?;

        let checks = self.checks.clone();
        let command_task = tokio::spawn(efa_runtime::endpoint::serve(
            commands,
            IN_FLIGHT_MAX,
            shutdown.clone(),
            move |p| handlers::handle_command(checks.clone(), p),
        ));
        let (store, key) = (self.store.clone(), self.key.clone());
        let read_task = tokio::spawn(efa_runtime::endpoint::serve(
            reads,
            64,
            shutdown.clone(),
            move |p| handlers::handle_read(store.clone(), key.clone(), p),
        ));
        let (store, key) = (self.store.clone(), self.key.clone());
        let checkpoint_task = tokio::spawn(efa_runtime::endpoint::serve(
            checkpoints,
            64,
            shutdown.clone(),
            move |p| handlers::handle_checkpoint(store.clone(), key.clone(), p),
        ));
        let js = async_nats::jetstream::new(self.nats.clone());
        let relay_task = tokio::spawn(relay::run(
            js,
            self.store.clone(),
            self.signatures.then(|| self.key.clone()),
            self.head.clone(),
            self.published_tx,
            shutdown.clone(),
        ));

        // The writer drops its queue only when a group commit failed.
        let writer_failed = tokio::select! {
            _ = shutdown.cancelled() => false,
            _ = self.queue.closed() => {
                shutdown.cancel();
                true
            }
        };
        let _ = tokio::join!(command_task, read_task, checkpoint_task, relay_task);
        let _ = self.service.stop().await;
        drop(self.queue);
        drop(self.checks);
        // The checking stage exits once its queue is closed, which closes
        // the writer's; the writer finishes the batch in hand and exits.
        let (verifier, writer) = (self.verifier, self.writer);
        let _ = tokio::task::spawn_blocking(move || {
            let _ = verifier.join();
            writer.join()
        })
        .await;
        if writer_failed {
            return Err(LedgerError::WriterFailed);
        }
        tracing::info!("ledger stopped");
        Ok(())
    }
}
