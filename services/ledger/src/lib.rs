//! The ledger: the only writer of the registry. It receives commands over
//! NATS, checks idempotency and expected versions, lets the pure domain
//! decide, appends the events to sled in one durable group commit with a
//! hash chain, answers, and relays the events to JetStream from its own log
//! (the outbox). It also serves the log for replay and gap filling.

pub mod bulk;
pub mod cluster;
mod handlers;
pub mod keys;
mod relay;
pub mod restore;
pub mod store;
pub mod stream_ahead;
pub mod take_in;
mod verifier;
mod verify;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;

use efa_proto::subjects;
use efa_runtime::Shutdown;
use tokio::sync::{mpsc, watch};

pub use verify::{Break, ChainReport, VerifyError, WitnessCheck, verify, verify_store};

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
    /// `Some` for a node of a cluster (see `cluster`), `None` for the one
    /// ledger of a single machine.
    pub cluster: Option<cluster::ClusterConfig>,
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
    #[error(transparent)]
    Lease(#[from] cluster::lease::LeaseError),
    #[error("follow the stream: {0}")]
    Follow(#[from] cluster::follow::FollowError),
    #[error(transparent)]
    StreamAhead(#[from] stream_ahead::StreamAhead),
}

/// The checking stage and the writer, each on a thread of its own, with
/// the queues that lead to them.
#[derive(Debug)]
struct Pipeline {
    queue: mpsc::Sender<writer::Submission>,
    checks: mpsc::Sender<verifier::Received>,
    writer: std::thread::JoinHandle<()>,
    verifier: std::thread::JoinHandle<()>,
}

/// What the pipeline starts from.
#[derive(Debug, Clone)]
struct Parts {
    store: Arc<store::LedgerStore>,
    key: Arc<efa_trust::SigningKey>,
    signers: Arc<efa_trust::SignerSource>,
    head_tx: watch::Sender<u64>,
    signatures: bool,
}

impl Pipeline {
    /// Starts a writer on the store as it is now; in a cluster it sends
    /// every group commit to `replicate` first.
    fn start(
        parts: &Parts,
        replicate: Option<Box<dyn writer::Replicate>>,
    ) -> Result<Self, LedgerError> {
        let mut writer = writer::Writer::new(
            parts.store.clone(),
            parts.head_tx.clone(),
            parts.key.clone(),
        )?;
        if !parts.signatures {
            writer.sign_no_checkpoints();
        }
        if let Some(replicate) = replicate {
            writer.replicate_to(replicate);
        }
        let (queue, queue_rx) = mpsc::channel(QUEUE_LEN_MAX);
        let writer = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || writer.run(queue_rx))
            .map_err(LedgerError::Thread)?;
        let (checks, checks_rx) = mpsc::channel(QUEUE_LEN_MAX);
        let verifier = {
            let (signers, queue, signatures) =
                (parts.signers.clone(), queue.clone(), parts.signatures);
            std::thread::Builder::new()
                .name("ledger-verifier".into())
                .spawn(move || verifier::run(checks_rx, signers, signatures, queue))
                .map_err(LedgerError::Thread)?
        };
        Ok(Self {
            queue,
            checks,
            writer,
            verifier,
        })
    }

    /// Serves `efa.cmd` into this pipeline until `until` is cancelled.
    async fn serve_commands(
        &self,
        service: &async_nats::service::Service,
        until: Shutdown,
    ) -> Result<tokio::task::JoinHandle<()>, LedgerError> {
        let commands = service
            .endpoint(subjects::COMMAND)
            .await
            .map_err(|e| LedgerError::Service(e.to_string()))?;
        let checks = self.checks.clone();
        Ok(tokio::spawn(efa_runtime::endpoint::serve(
            commands,
            IN_FLIGHT_MAX,
            until,
            move |p| handlers::handle_command(checks.clone(), p),
        )))
    }

    /// Closes the queues and waits for both threads: the checking stage
    /// exits once its queue is closed, which closes the writer's; the
    /// writer finishes the batch in hand and exits.
    async fn stop(self) {
        drop(self.queue);
        drop(self.checks);
        let (verifier, writer) = (self.verifier, self.writer);
        let _ = tokio::task::spawn_blocking(move || {
            let _ = verifier.join();
            writer.join()
        })
        .await;
    }
}

/// A started ledger, ready to `run`.
#[derive(Debug)]
pub struct Ledger {
    parts: Parts,
    nats: async_nats::Client,
    head: watch::Receiver<u64>,
    published: watch::Receiver<u64>,
    published_tx: watch::Sender<u64>,
    /// The one ledger's pipeline; a cluster node starts one per term.
    pipeline: Option<Pipeline>,
    service: async_nats::service::Service,
    cluster: Option<cluster::ClusterConfig>,
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
        let key = keys::ledger_key(&config.data_dir)?;
        let store = Arc::new(store::LedgerStore::open_for(
            &config.data_dir,
            &key.public(),
        )?);
        if config.cluster.is_none() {
            stream_ahead::check(&nats, store.durable_seq(), &key.public()).await?;
        }
        let signers = keys::signers(&config.data_dir)?;
        let (head_tx, head) = watch::channel(store.durable_seq());
        let parts = Parts {
            store,
            key,
            signers,
            head_tx,
            signatures: signatures_on(),
        };
        let pipeline = match config.cluster {
            None => Some(Pipeline::start(&parts, None)?),
            Some(_) => None,
        };
        let service = nats
            .service_builder()
            .description("efa-registry ledger: commands and the event log")
            .start(subjects::LEDGER_SERVICE, env!("CARGO_PKG_VERSION"))
            .await
            .map_err(|e| LedgerError::Service(e.to_string()))?;
        let (published_tx, published) = watch::channel(0);
        tracing::info!(
            head = *head.borrow(),
            dir = %config.data_dir.display(),
            node = config.cluster.as_ref().map(|c| c.node.as_str()),
            "ledger started"
        );
        Ok(Ledger {
            parts,
            nats,
            head,
            published,
            published_tx,
            pipeline,
            service,
            cluster: config.cluster,
        })
    }

    /// The last durable sequence.
    pub fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    /// The ledger's public key, which checks its signed checkpoints.
    pub fn public_key(&self) -> efa_trust::PublicKey {
        self.parts.key.public()
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
        let reads = endpoint(subjects::LEDGER_READ).await?;
        let checkpoints = endpoint(subjects::LEDGER_CHECKPOINT).await?;
        let (store, key) = (self.parts.store.clone(), self.parts.key.clone());
        let read_task = tokio::spawn(efa_runtime::endpoint::serve(
            reads,
            64,
            shutdown.clone(),
            move |p| handlers::handle_read(store.clone(), key.clone(), p),
        ));
        let (store, key) = (self.parts.store.clone(), self.parts.key.clone());
        let checkpoint_task = tokio::spawn(efa_runtime::endpoint::serve(
            checkpoints,
            64,
            shutdown.clone(),
            move |p| handlers::handle_checkpoint(store.clone(), key.clone(), p),
        ));
        let result = match (self.pipeline, &self.cluster) {
            (Some(pipeline), _) => {
                run_single(
                    pipeline,
                    &self.parts,
                    &self.service,
                    &self.nats,
                    self.published_tx,
                    &shutdown,
                )
                .await
            }
            (None, Some(config)) => {
                let node = cluster::Node {
                    config,
                    parts: &self.parts,
                    service: &self.service,
                    nats: &self.nats,
                    published: self.published_tx,
                };
                let result = node.run(&shutdown).await;
                shutdown.cancel();
                result
            }
            (None, None) => Ok(()),
        };
        let _ = tokio::join!(read_task, checkpoint_task);
        let _ = self.service.stop().await;
        if result.is_ok() {
            tracing::info!("ledger stopped");
        }
        result
    }
}

/// The one ledger of a single machine: commands into the pipeline, and
/// the outbox relay from the log to the stream.
async fn run_single(
    pipeline: Pipeline,
    parts: &Parts,
    service: &async_nats::service::Service,
    nats: &async_nats::Client,
    published: watch::Sender<u64>,
    shutdown: &Shutdown,
) -> Result<(), LedgerError> {
    let command_task = pipeline.serve_commands(service, shutdown.clone()).await?;
    let js = async_nats::jetstream::new(nats.clone());
    let relay_task = tokio::spawn(relay::run(
        js,
        parts.store.clone(),
        parts.signatures.then(|| parts.key.clone()),
        parts.head_tx.subscribe(),
        published,
        shutdown.clone(),
    ));
    // The writer drops its queue only when a group commit failed.
    let writer_failed = tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = pipeline.queue.closed() => {
            shutdown.cancel();
            true
        }
    };
    let _ = tokio::join!(command_task, relay_task);
    pipeline.stop().await;
    if writer_failed {
        return Err(LedgerError::WriterFailed);
    }
    Ok(())
}
