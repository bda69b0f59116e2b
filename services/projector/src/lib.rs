//! The projector: builds the read models (views) from the ledger's event
//! stream and answers queries from them. It keeps its own view store with a
//! checkpoint, so it resumes where it stopped; several replicas can run at
//! once and share the queries (NATS queue group).
//!
//! `start` opens the store and registers the NATS service; `run` consumes
//! events and serves queries until shutdown.

mod apply;
mod asof;
mod catalogue;
mod consume;
mod evolve;
mod facts;
mod gap;
mod queries;
mod read;
#[cfg(test)]
mod rebuild;
mod store;
#[cfg(test)]
mod testing;
mod views;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_nats::service::ServiceExt;
use efa_proto::subjects;
use tokio::sync::watch;

pub use store::StoreError;

/// The version the NATS service registers with.
const SERVICE_VERSION: &str = "0.1.0";
/// Queries answered at once per replica.
const QUERIES_IN_FLIGHT_MAX: usize = 64;

#[derive(Debug, Clone)]
pub struct ProjectorConfig {
    /// The view store lives at `data_dir/views`.
    pub data_dir: PathBuf,
    /// How long a read-your-writes query waits for its `min_seq`.
    pub query_wait_max: Duration,
}

impl ProjectorConfig {
    pub const QUERY_WAIT_MAX_DEFAULT: Duration = Duration::from_secs(5);

    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            query_wait_max: Self::QUERY_WAIT_MAX_DEFAULT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    StreamSetup(#[from] efa_runtime::jetstream::StreamSetupError),
    #[error("register the NATS service {}: {reason}", subjects::PROJECTOR_SERVICE)]
    Service { reason: String },
    #[error("the event chain is broken at sequence {seq}: {detail}")]
    BrokenChain { seq: u64, detail: String },
    #[error("a blocking store task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A started projector, ready to `run`.
pub struct Projector {
    config: ProjectorConfig,
    nats: async_nats::Client,
    js: async_nats::jetstream::Context,
    store: store::Store,
    applier: apply::Applier,
    applied: watch::Receiver<u64>,
    service: async_nats::service::Service,
    endpoint: async_nats::service::endpoint::Endpoint,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("config", &self.config)
            .field("checkpoint", &self.applier.checkpoint().seq)
            .finish_non_exhaustive()
    }
}

impl Projector {
    /// Opens (or creates) the view store under `data_dir`, ensures the
    /// event stream exists and registers the NATS service `efa-projector`
    /// with the query endpoint.
    pub async fn start(
        config: ProjectorConfig,
        nats: async_nats::Client,
    ) -> Result<Projector, ProjectorError> {
        let data_dir = config.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || store::Store::open(&data_dir)).await??;
        let (applied_tx, applied) = watch::channel(0);
        let applier = apply::Applier::new(store.clone(), applied_tx)?;
        let js = async_nats::jetstream::new(nats.clone());
        efa_runtime::jetstream::ensure_event_stream(&js).await?;
        let service = nats
            .service_builder()
            .description("efa-registry read models: catalogue, reuse, costs, rollout, history")
            .start(subjects::PROJECTOR_SERVICE, SERVICE_VERSION)
            .await
            .map_err(service_error)?;
        let endpoint = service
            .endpoint(subjects::QUERY)
            .await
            .map_err(service_error)?;
        let checkpoint = applier.checkpoint().seq;
        tracing::info!(checkpoint, data_dir = %config.data_dir.display(), "projector started");
        Ok(Projector {
            config,
            nats,
            js,
            store,
            applier,
            applied,
            service,
            endpoint,
        })
    }

    /// The last ledger sequence applied, updated after every event.
    pub fn applied_seq(&self) -> watch::Receiver<u64> {
        self.applied.clone()
    }

    /// Consumes events and serves queries until `shutdown`; returns after
    /// both have stopped and the store is flushed. A broken event chain
    /// stops both and is returned as an error.
    pub async fn run(self, shutdown: efa_runtime::Shutdown) -> Result<(), ProjectorError> {
        let Projector {
            config,
            nats,
            js,
            store,
            applier,
            applied,
            service,
            endpoint,
        } = self;
        let views = Arc::new(queries::Views {
            store: store.clone(),
            applied,
            wait_max: config.query_wait_max,
        });
        let queries_stop = shutdown.child_token();
        let serve = efa_runtime::endpoint::serve(
            endpoint,
            QUERIES_IN_FLIGHT_MAX,
            queries_stop.clone(),
            move |payload| {
                let views = views.clone();
                async move { views.answer(payload).await }
            },
        );
        let consume = async {
            let result = consume::run(applier, js, gap::Ledger::new(nats), shutdown).await;
            queries_stop.cancel();
            result
        };
        let (consumed, ()) = tokio::join!(consume, serve);
        if let Err(error) = service.stop().await {
            tracing::warn!(%error, "could not deregister the NATS service");
        }
        let flushed = tokio::task::spawn_blocking(move || store.flush()).await;
        tracing::info!("projector stopped");
        consumed?;
        Ok(flushed??)
    }
}

fn service_error(error: async_nats::Error) -> ProjectorError {
    ProjectorError::Service {
        reason: error.to_string(),
    }
}

/// A deterministic content hash (SHA-256, hex) of the views under
/// `data_dir`, for comparing replicas and rebuilds. Offline: the store must
/// not be open in a running projector.
pub fn view_content_hash(data_dir: &Path) -> Result<String, ProjectorError> {
    Ok(store::Store::open(data_dir)?.content_hash()?)
}
