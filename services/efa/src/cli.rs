//! Command-line interface: the subcommands and their flags, each flag also
//! readable from an `EFA_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use efa_runtime::Shutdown;
use efa_runtime::auth::Role;

use crate::nats_access::{NatsArgs, OperatorArgs};

#[derive(Debug, Parser)]
#[command(
    name = "efa",
    version,
    about = "efa-registry: das Register der EfA-Onlinedienste"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Start everything on this machine: nats-server, ledger, projector, gateway.
    Up(UpArgs),
    /// Run only the ledger against a running NATS (one node of a cluster
    /// with `--cluster-node`).
    Ledger(LedgerArgs),
    /// Run only the projector against a running NATS.
    Projector(ProjectorArgs),
    /// Run only the gateway against a running NATS.
    Gateway(GatewayArgs),
    /// Ask a running projector to rebuild its views from the ledger and
    /// swap them in while it keeps answering queries.
    Rebuild {
        #[command(flatten)]
        connection: OperatorArgs,
    },
    /// Drive a running registry with N clients doing the registry's
    /// ordinary work over NATS and over HTTP, and print throughput and
    /// latencies beside a no-op NATS responder measured in the same run.
    Bench(crate::bench::BenchArgs),
    /// Check the ledger's hash chain and its signed checkpoint offline and
    /// name the first bad sequence; with `--export FILE`, check an
    /// exported history against the ledger's public key instead.
    Verify {
        #[arg(long, env = "EFA_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
        /// The ledger's public key: `<key-id> <hex>`, or a file holding it
        /// (default for a data dir: its `ledger-public-key.txt`).
        #[arg(long)]
        public_key: Option<String>,
        /// An exported history (`efa export ledger`) to check.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Signing keys and the ledger's trusted signers.
    Signer {
        #[command(subcommand)]
        command: crate::signers::SignerCmd,
    },
    /// Write a synthetic Germany-scale history into an empty ledger data dir.
    Generate {
        #[arg(long, env = "EFA_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        #[arg(long, default_value_t = 11_000)]
        municipalities: u32,
        #[arg(long, default_value_t = 600)]
        services: u32,
    },
    /// Print the OpenAPI document of the HTTP API (no running system needed).
    Openapi,
    /// Import reference data through the ledger.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// The NATS credentials of the services and the nats-server
    /// configuration that admits them.
    Nats {
        #[command(subcommand)]
        command: crate::nats_setup::NatsCmd,
    },
    /// Manage API tokens (stored as hashes in DATA_DIR/tokens.json).
    Token {
        #[command(subcommand)]
        command: crate::tokens::TokenCmd,
    },
    /// Scripting against a running system over its HTTP API: `efa service`,
    /// `efa cost`, `efa adoption`, `efa key`, `efa export`.
    #[command(flatten)]
    Client(Box<crate::client::ClientCmd>),
}

impl Cli {
    /// Whether this is a client command, whose stdout is for its answer
    /// alone (no log lines).
    pub fn is_client(&self) -> bool {
        matches!(self.command, Cmd::Client(_))
    }
}

#[derive(Debug, Subcommand)]
enum ImportCmd {
    /// The Destatis Gemeindeverzeichnis (GV100AD, fixed width, Windows-1252).
    Gv100ad {
        file: PathBuf,
        /// CSV `AGS;Nachfolge-AGS` naming the successor of municipalities
        /// that disappeared by merger; others that disappeared are retired.
        #[arg(long)]
        mergers: Option<PathBuf>,
        #[command(flatten)]
        connection: OperatorArgs,
        /// The administration's signing key; by default
        /// `DATA_DIR/secrets/operator.key` (made by `efa up`).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
    /// Gemeinden and Kreise: `schluessel;name;einwohner;stichtag`.
    Participants {
        file: PathBuf,
        #[command(flatten)]
        connection: OperatorArgs,
        /// The administration's signing key; by default
        /// `DATA_DIR/secrets/operator.key` (made by `efa up`).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
    /// An allocation key (Königsteiner Schlüssel): `jahr;land;prozent`.
    Key {
        file: PathBuf,
        #[command(flatten)]
        connection: OperatorArgs,
        /// The administration's signing key; by default
        /// `DATA_DIR/secrets/operator.key` (made by `efa up`).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
    /// Services: `kennung;titel;federfuehrend;themenfeld;anbieter;kanal;kostenmodell;status;reifegrad;angekuendigt`.
    Services {
        file: PathBuf,
        #[command(flatten)]
        connection: OperatorArgs,
        /// The administration's signing key; by default
        /// `DATA_DIR/secrets/operator.key` (made by `efa up`).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    #[arg(long, env = "EFA_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    #[arg(long, env = "EFA_HTTP", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Port of the nats-server that `up` starts; 0 picks a free one.
    #[arg(long, env = "EFA_NATS_PORT", default_value_t = 4222)]
    pub nats_port: u16,
    /// Use this running NATS server instead of starting one.
    #[arg(long, env = "EFA_NATS_URL")]
    pub nats_url: Option<String>,
    /// On an empty data directory, load only the reference data, not the
    /// demo scenario.
    #[arg(long)]
    pub no_demo: bool,
    /// Requests per client address (IPv6: per /64) and 10 seconds before
    /// 429, on every route (behind a reverse proxy every request has the
    /// proxy's address: raise it).
    #[arg(long, env = "EFA_API_RATE_LIMIT", default_value_t = efa_gateway::API_REQUESTS_PER_10S)]
    pub api_rate_limit: u32,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// TLS of the nats-server that `up` starts.
    #[command(flatten)]
    pub nats_server_tls: crate::nats_setup::ServerTlsArgs,
    /// CA certificate (PEM) the services trust for the nats-server's
    /// certificate (needed with --nats-server-cert unless the system trusts it).
    #[arg(long, env = "EFA_NATS_TLS_CA")]
    pub nats_tls_ca: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ServiceArgs {
    #[arg(long, env = "EFA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    #[command(flatten)]
    nats: NatsArgs,
}

impl ServiceArgs {
    async fn connect(&self, role: Role) -> Result<async_nats::Client> {
        let access = self.nats.access.resolve(&self.data_dir, role)?;
        crate::nats_access::connect(&self.nats.nats_url, &format!("efa-{role}"), &access).await
    }
}

#[derive(Debug, clap::Args)]
struct LedgerArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// Run as this node of a cluster: active while it holds the lease,
    /// else a standby that follows the replicated stream.
    #[arg(long, env = "EFA_CLUSTER_NODE")]
    cluster_node: Option<String>,
    /// How long the lease lasts without renewal (a standby takes over
    /// about this long after the active node is gone).
    #[arg(long, env = "EFA_LEASE_TTL_MS", default_value_t = 3000)]
    lease_ttl_ms: u64,
}

#[derive(Debug, clap::Args)]
struct ProjectorArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// An empty view store this many events or more behind the ledger (a
    /// new replica) is filled as `efa rebuild` fills one, in a new version
    /// put in its place when done; fewer are caught up event by event.
    #[arg(long, env = "EFA_FILL_EMPTY_FROM",
          default_value_t = efa_projector::ProjectorConfig::FILL_EMPTY_MIN_DEFAULT)]
    fill_empty_from: u64,
}

#[derive(Debug, clap::Args)]
struct GatewayArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// The gateway's signing key; by default `DATA_DIR/secrets/gateway.key`,
    /// created and trusted in `DATA_DIR` on first start.
    #[arg(long, env = "EFA_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    #[arg(long, env = "EFA_HTTP", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Requests per client address (IPv6: per /64) and 10 seconds before
    /// 429, on every route (behind a reverse proxy every request has the
    /// proxy's address: raise it).
    #[arg(long, env = "EFA_API_RATE_LIMIT", default_value_t = efa_gateway::API_REQUESTS_PER_10S)]
    api_rate_limit: u32,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArgs {
    /// The bearer token a Prometheus scraper sends to read `/metrics`;
    /// without one `/metrics` is not served.
    #[arg(
        long = "metrics-token",
        env = "EFA_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

impl MetricsArgs {
    /// The gateway with `/metrics` open to the token, if one is given.
    pub fn apply(&self, gateway: efa_gateway::Gateway) -> efa_gateway::Gateway {
        match &self.token {
            Some(token) if !token.is_empty() => gateway.with_metrics_token(token.clone()),
            _ => gateway,
        }
    }
}

/// How long the gateway waits for the ledger or a projector.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Cmd::Up(args) => crate::up::run(args).await,
        Cmd::Ledger(args) => {
            let nats = args.service.connect(Role::Ledger).await?;
            let cluster = args
                .cluster_node
                .map(|node| efa_ledger::cluster::ClusterConfig {
                    node,
                    lease_ttl: std::time::Duration::from_millis(args.lease_ttl_ms.max(300)),
                    replicas: efa_runtime::jetstream::replicas(),
                });
            let ledger = efa_ledger::Ledger::start(
                efa_ledger::LedgerConfig {
                    data_dir: args.service.data_dir,
                    cluster,
                },
                nats,
            )
            .await
            .context("start the ledger")?;
            let shutdown = shutdown_on_signal();
            ledger.run(shutdown).await.context("run the ledger")
        }
        Cmd::Projector(args) => {
            let nats = args.service.connect(Role::Projector).await?;
            let config = efa_projector::ProjectorConfig {
                fill_empty_min: args.fill_empty_from,
                ..projector_config(args.service.data_dir)
            };
            let projector = efa_projector::Projector::start(config, nats)
                .await
                .context("start the projector")?;
            projector
                .run(shutdown_on_signal())
                .await
                .context("run the projector")
        }
        Cmd::Gateway(args) => {
            let nats = args.service.connect(Role::Gateway).await?;
            let data_dir = &args.service.data_dir;
            let gateway = efa_gateway::Gateway::bind(gateway_config(data_dir, args.http)?, nats)
                .await
                .context("start the gateway")?
                .with_session_key(session_key(data_dir)?)
                .with_token_file(crate::tokens::table_path(data_dir))
                .with_rate_limit(args.api_rate_limit, Duration::from_secs(10))
                .with_signing_key(match &args.signing_key {
                    Some(path) => efa_trust::SigningKey::load(path)
                        .context("load the gateway's signing key")?,
                    None => crate::signers::gateway_key(data_dir)?,
                });
            let gateway = args.metrics.apply(gateway);
            crate::out::say(&format!("efa-registry: http://{}/", gateway.local_addr()));
            gateway
                .run(shutdown_on_signal())
                .await
                .context("run the gateway")
        }
        Cmd::Rebuild { connection } => crate::rebuild::run(&connection).await,
        Cmd::Bench(args) => crate::bench::run(args).await,
        Cmd::Nats { command } => crate::nats_setup::run(command),
        Cmd::Verify {
            data_dir,
            public_key,
            export,
        } => crate::verify::run(&data_dir, public_key.as_deref(), export.as_deref()),
        Cmd::Signer { command } => crate::signers::run(command),
        Cmd::Token { command } => crate::tokens::run(command),
        Cmd::Generate {
            data_dir,
            seed,
            events,
            municipalities,
            services,
        } => {
            let shape = efa_reference::generate::Shape {
                seed,
                municipalities,
                services,
                events,
            };
            tokio::task::spawn_blocking(move || crate::generate::run(&data_dir, shape))
                .await
                .context("the generator task")?
        }
        Cmd::Openapi => {
            let document = efa_gateway::openapi_document();
            crate::out::say(
                &serde_json::to_string_pretty(&document).context("render the OpenAPI document")?,
            );
            Ok(())
        }
        Cmd::Import { what } => import(what).await,
        Cmd::Client(command) => Ok(crate::client::run(*command).await?),
    }
}

async fn import(what: ImportCmd) -> Result<()> {
    use crate::import::{Tabular, tabular};
    match what {
        ImportCmd::Gv100ad {
            file,
            mergers,
            connection,
            signing_key,
        } => {
            let key = operator_key_path(&connection, signing_key);
            crate::import::gv100ad(&connection, &file, mergers.as_deref(), &key).await
        }
        ImportCmd::Participants {
            file,
            connection,
            signing_key,
        } => {
            let key = operator_key_path(&connection, signing_key);
            tabular(&connection, &file, Tabular::Participants, &key).await
        }
        ImportCmd::Key {
            file,
            connection,
            signing_key,
        } => {
            let key = operator_key_path(&connection, signing_key);
            tabular(&connection, &file, Tabular::AllocationKey, &key).await
        }
        ImportCmd::Services {
            file,
            connection,
            signing_key,
        } => {
            let key = operator_key_path(&connection, signing_key);
            tabular(&connection, &file, Tabular::Services, &key).await
        }
    }
}

/// The administration's signing key: the one named, or the one `efa up`
/// made in the data directory.
fn operator_key_path(connection: &OperatorArgs, named: Option<PathBuf>) -> PathBuf {
    named.unwrap_or_else(|| {
        connection
            .data_dir
            .join("secrets")
            .join(crate::signers::OPERATOR_KEY_FILE)
    })
}

pub fn projector_config(data_dir: PathBuf) -> efa_projector::ProjectorConfig {
    efa_projector::ProjectorConfig {
        query_wait_max: Duration::from_secs(5),
        ..efa_projector::ProjectorConfig::new(data_dir)
    }
}

/// The file with the key that signs the session cookies, in the data dir.
pub const SESSION_KEY_FILE: &str = "sitzung.key";

/// The key that signs the web app's session cookies, kept in the data
/// directory so sessions survive a restart and replicas agree.
pub fn session_key(data_dir: &std::path::Path) -> Result<efa_gateway::SessionKey> {
    efa_gateway::SessionKey::load_or_create(&data_dir.join(SESSION_KEY_FILE))
        .context("load the session key")
}

pub fn gateway_config(
    data_dir: &std::path::Path,
    http: SocketAddr,
) -> Result<efa_gateway::GatewayConfig> {
    let tokens = efa_gateway::TokenTable::load(&crate::tokens::table_path(data_dir))
        .context("load the token table")?;
    Ok(efa_gateway::GatewayConfig {
        http_addr: http,
        tokens,
        request_timeout: REQUEST_TIMEOUT,
    })
}

/// A shutdown token cancelled by Ctrl-C or SIGTERM.
pub fn shutdown_on_signal() -> Shutdown {
    let shutdown = Shutdown::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        trigger.cancel();
    });
    shutdown
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
