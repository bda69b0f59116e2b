//! The projector: builds the read models (views) from the ledger's event
//! stream and answers queries from them. It keeps its own view store with a
//! checkpoint, so it resumes where it stopped; several replicas can run at
//! once and share the queries (NATS queue group). The store is versioned
//! (`versions.rs`): `efa rebuild` fills a new version from the ledger and
//! swaps it in while queries go on (`live_rebuild.rs`).
//!
//! `start` opens the store and registers the NATS service; `run` consumes
//! events and serves queries and rebuild requests until shutdown.

mod apply;
mod asof;
mod carry;
mod catalogue;
mod consume;
mod cost_read;
mod evolve;
mod facts;
mod gap;
mod handle;
mod index;
mod index_file;
mod land_pages;
mod live_rebuild;
mod pack;
mod pages;
mod progress;
mod queries;
mod read;
#[cfg(test)]
mod rebuild;
mod signatures;
mod store;
#[cfg(test)]
mod testing;
mod versions;
mod views;

#[doc(hidden)]
pub mod bench_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_nats::service::ServiceExt;
use async_nats::service::endpoint::Endpoint;
use efa_proto::subjects;
use tokio::sync::watch;

pub use store::StoreError;
pub use versions::VersionError;

/// The version the NATS service registers with.
const SERVICE_VERSION: &str = "0.1.0";
/// Queries answered at once per replica, unless set with
/// [`Projector::with_queries_in_flight_max`]; more are refused as busy.
pub const QUERIES_IN_FLIGHT_MAX: usize = 64;
/// Rebuild requests handled at once: one rebuilds, the others are told so.
const REBUILDS_IN_FLIGHT_MAX: usize = 4;

#[derive(Debug, Clone)]
pub struct ProjectorConfig {
    /// The view store lives under `data_dir` (`views.current` names the
    /// version in use, `views-v<N>` holds it).
    pub data_dir: PathBuf,
    /// How long a read-your-writes query waits for its `min_seq`.
    pub query_wait_max: Duration,
    /// An empty view store at least this many events behind the ledger is
    /// filled as a rebuild fills one (`live_rebuild.rs`) rather than
    /// caught up in atomic commits.
    pub fill_empty_min: u64,
}

impl ProjectorConfig {
    pub const QUERY_WAIT_MAX_DEFAULT: Duration = Duration::from_secs(5);
    /// Below this, catching up takes a few seconds at most, and a fill's
    /// fixed steps (building the index, opening the store again) would
    /// take about as long.
    pub const FILL_EMPTY_MIN_DEFAULT: u64 = 100_000;

    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            query_wait_max: Self::QUERY_WAIT_MAX_DEFAULT,
            fill_empty_min: Self::FILL_EMPTY_MIN_DEFAULT,
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
    #[error(transparent)]
    Versions(#[from] VersionError),
}

/// A started projector, ready to `run`.
pub struct Projector {
    config: ProjectorConfig,
    nats: async_nats::Client,
    js: async_nats::jetstream::Context,
    versions: versions::Versions,
    store: Arc<handle::StoreHandle>,
    applier: apply::Applier,
    applied: watch::Receiver<u64>,
    service: async_nats::service::Service,
    endpoints: Endpoints,
    queries_in_flight_max: usize,
}

/// A projector's views opened, not yet on NATS ([`Projector::open`]).
#[derive(Debug)]
pub struct OpenedViews {
    config: ProjectorConfig,
    versions: versions::Versions,
    version: u64,
    store: store::Store,
}

/// The NATS endpoints a projector serves.
struct Endpoints {
    query: Endpoint,
    rebuild: Endpoint,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("config", &self.config)
            .field("version", &self.store.version())
            .field("checkpoint", &self.applier.checkpoint().seq)
            .finish_non_exhaustive()
    }
}

impl Projector {
    /// Opens (or creates) the view store version in use under `data_dir`,
    /// ensures the event stream exists and registers the NATS service
    /// `efa-projector` with the query and rebuild endpoints.
    pub async fn start(
        config: ProjectorConfig,
        nats: async_nats::Client,
    ) -> Result<Projector, ProjectorError> {
        let opened = Self::open(config).await?;
        Self::start_opened(opened, nats).await
    }

    /// Opens the view store in use (the longer part of a start on a large
    /// history: sled's recovery and the index), before and apart from
    /// NATS, so that a caller can do it while the server starts.
    pub async fn open(config: ProjectorConfig) -> Result<OpenedViews, ProjectorError> {
        let versions = versions::Versions::new(&config.data_dir);
        let opening = versions.clone();
        let (version, store) =
            tokio::task::spawn_blocking(move || opening.open_current()).await??;
        Ok(OpenedViews {
            config,
            versions,
            version,
            store,
        })
    }

    /// Starts serving and applying on NATS with views opened by
    /// [`Projector::open`].
    pub async fn start_opened(
        opened: OpenedViews,
        nats: async_nats::Client,
    ) -> Result<Projector, ProjectorError> {
        let OpenedViews {
            config,
            versions,
            version,
            store,
        } = opened;
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
        let endpoints = Endpoints {
            query: service
                .endpoint(subjects::QUERY)
                .await
                .map_err(service_error)?,
            rebuild: service
                .endpoint(subjects::PROJECTOR_REBUILD)
                .await
                .map_err(service_error)?,
        };
        let checkpoint = applier.checkpoint().seq;
        tracing::info!(checkpoint, version, data_dir = %config.data_dir.display(), "projector started");
        Ok(Projector {
            config,
            nats,
            js,
            versions,
            store: Arc::new(handle::StoreHandle::new(version, store)),
            applier,
            applied,
            service,
            endpoints,
            queries_in_flight_max: QUERIES_IN_FLIGHT_MAX,
        })
    }

    /// Sets how many queries this replica answers at once; a query beyond
    /// is refused at once as busy (at least 1).
    pub fn with_queries_in_flight_max(mut self, max: usize) -> Self {
        self.queries_in_flight_max = max.max(1);
        self
    }

    /// The last ledger sequence applied, updated after every event.
    pub fn applied_seq(&self) -> watch::Receiver<u64> {
        self.applied.clone()
    }

    /// Consumes events and serves queries and rebuilds until `shutdown`;
    /// returns after all have stopped and the store is flushed. A broken
    /// event chain stops everything and is returned as an error.
    pub async fn run(self, shutdown: efa_runtime::Shutdown) -> Result<(), ProjectorError> {
        let Projector {
            config,
            nats,
            js,
            versions,
            store,
            applier,
            applied,
            service,
            endpoints,
            queries_in_flight_max,
        } = self;
        let empty_at_start = applier.checkpoint().seq == 0;
        let applier: apply::SharedApplier = Arc::new(tokio::sync::Mutex::new(applier));
        // One ledger reader, so the ledger's key is pinned once for all.
        let ledger = gap::Ledger::with_key(
            nats.clone(),
            signatures::LedgerKey::pinned(config.data_dir.join("ledger-public-key.txt")),
        );
        let serving = shutdown.child_token();
        let rebuilder = Arc::new(live_rebuild::Rebuilder::new(
            versions,
            store.clone(),
            applier.clone(),
            applied.clone(),
            ledger.clone(),
            empty_at_start,
            serving.clone(),
        ));
        let views = Arc::new(queries::Views {
            state: rebuilder.state(),
            store: store.clone(),
            applied,
            wait_max: config.query_wait_max,
            reply_bytes_max: reply_bytes_max(&nats),
            ledger: ledger.clone(),
            nats: nats.clone(),
        });
        let warming = store.store();
        // Not awaited: it only saves the first pages' time.
        drop(tokio::task::spawn_blocking(move || {
            queries::make_todays_land_days(&warming)
        }));
        let empty = consume::EmptyFill {
            rebuilder: rebuilder.clone(),
            events_min: config.fill_empty_min,
        };
        // One limit for the queries in hand, from both query endpoints.
        let permits = Arc::new(tokio::sync::Semaphore::new(queries_in_flight_max));
        let answering = views.clone();
        let serve_queries = efa_runtime::endpoint::serve_or_refuse(
            endpoints.query,
            permits.clone(),
            serving.clone(),
            move |call| {
                let views = answering.clone();
                async move { views.answer(call).await }
            },
            queries::busy,
        );
        let serve_handed_on = serve_handed_on(&service, views, permits, serving.clone());
        let serve_rebuilds = efa_runtime::endpoint::serve(
            endpoints.rebuild,
            REBUILDS_IN_FLIGHT_MAX,
            serving.clone(),
            move |payload| {
                let rebuilder = rebuilder.clone();
                async move { rebuilder.answer(payload).await }
            },
        );
        let consume = async {
            let result = consume::run(applier, js, ledger, empty, shutdown).await;
            serving.cancel();
            result
        };
        let (consumed, (), (), ()) =
            tokio::join!(consume, serve_queries, serve_handed_on, serve_rebuilds);
        let stopped = stop(service, &store).await;
        consumed.and(stopped)
    }
}

/// Serves the queries that replicas still filling their views hand on
/// (`QUERY_SERVING`), from when this replica's views are in use (a store
/// in use stays in use; only an empty one is filled in its place at the
/// start) until `serving` ends. Before, this replica is not subscribed,
/// so a handed-on query never reaches a replica that would hand it on
/// again.
async fn serve_handed_on(
    service: &async_nats::service::Service,
    views: Arc<queries::Views>,
    permits: Arc<tokio::sync::Semaphore>,
    serving: tokio_util::sync::CancellationToken,
) {
    let mut state = views.state.clone();
    tokio::select! {
        in_use = state.wait_for(|state| *state == live_rebuild::ViewsState::Serving) => {
            if in_use.is_err() {
                return;
            }
        }
        () = serving.cancelled() => return,
    }
    let endpoint = match service.endpoint(subjects::QUERY_SERVING).await {
        Ok(endpoint) => endpoint,
        Err(error) => {
            tracing::warn!(%error, "cannot serve the queries other replicas hand on");
            return;
        }
    };
    efa_runtime::endpoint::serve_or_refuse(
        endpoint,
        permits,
        serving,
        move |call| {
            let views = views.clone();
            async move { views.answer(call).await }
        },
        queries::busy,
    )
    .await;
}

/// The largest answer that can be sent: the server's `max_payload`, but
/// no more than the codec reads; the codec's limit when the server has
/// not said (it always does once connected).
fn reply_bytes_max(nats: &async_nats::Client) -> usize {
    let max_payload = nats.server_info().max_payload;
    let codec_max = efa_proto::codec::MESSAGE_BYTES_MAX;
    if max_payload == 0 {
        codec_max
    } else {
        max_payload.min(codec_max)
    }
}

/// Deregisters the NATS service, flushes the store in use and writes its
/// index for the next start.
async fn stop(
    service: async_nats::service::Service,
    store: &handle::StoreHandle,
) -> Result<(), ProjectorError> {
    if let Err(error) = service.stop().await {
        tracing::warn!(%error, "could not deregister the NATS service");
    }
    let store = store.store();
    let flushed = tokio::task::spawn_blocking(move || {
        store.flush()?;
        store.save_index()
    })
    .await;
    tracing::info!("projector stopped");
    Ok(flushed??)
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
    let versions = versions::Versions::new(data_dir);
    let store = store::Store::open(&versions.dir(versions.current()?))?;
    Ok(store.content_hash()?)
}

/// The view store version in use under `data_dir` (offline, like
/// [`view_content_hash`]).
pub fn view_store_version(data_dir: &Path) -> Result<u64, ProjectorError> {
    Ok(versions::Versions::new(data_dir).current()?)
}
