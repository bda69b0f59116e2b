//! Command-line interface: the subcommands and their flags, each flag also
//! readable from an `EFA_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use efa_runtime::Shutdown;

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
    /// Run only the ledger against a running NATS.
    Ledger(ServiceArgs),
    /// Run only the projector against a running NATS.
    Projector(ServiceArgs),
    /// Run only the gateway against a running NATS.
    Gateway(GatewayArgs),
    /// Ask a running projector to rebuild its views from the ledger and
    /// swap them in while it keeps answering queries.
    Rebuild {
        #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
    },
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
        #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// The administration's signing key (made by `efa up`).
        #[arg(
            long,
            env = "EFA_SIGNING_KEY",
            default_value = "./data/secrets/operator.key"
        )]
        signing_key: PathBuf,
    },
    /// Gemeinden and Kreise: `schluessel;name;einwohner;stichtag`.
    Participants {
        file: PathBuf,
        #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// The administration's signing key (made by `efa up`).
        #[arg(
            long,
            env = "EFA_SIGNING_KEY",
            default_value = "./data/secrets/operator.key"
        )]
        signing_key: PathBuf,
    },
    /// An allocation key (Königsteiner Schlüssel): `jahr;land;prozent`.
    Key {
        file: PathBuf,
        #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// The administration's signing key (made by `efa up`).
        #[arg(
            long,
            env = "EFA_SIGNING_KEY",
            default_value = "./data/secrets/operator.key"
        )]
        signing_key: PathBuf,
    },
    /// Services: `kennung;titel;federfuehrend;themenfeld;anbieter;kanal;kostenmodell;status;reifegrad;angekuendigt`.
    Services {
        file: PathBuf,
        #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// The administration's signing key (made by `efa up`).
        #[arg(
            long,
            env = "EFA_SIGNING_KEY",
            default_value = "./data/secrets/operator.key"
        )]
        signing_key: PathBuf,
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
}

#[derive(Debug, clap::Args)]
struct ServiceArgs {
    #[arg(long, env = "EFA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
}

#[derive(Debug, clap::Args)]
struct GatewayArgs {
    #[arg(long, env = "EFA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The gateway's signing key; by default `DATA_DIR/secrets/gateway.key`,
    /// created and trusted in `DATA_DIR` on first start.
    #[arg(long, env = "EFA_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    #[arg(long, env = "EFA_HTTP", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
}

/// How long the gateway waits for the ledger or a projector.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Cmd::Up(args) => crate::up::run(args).await,
        Cmd::Ledger(args) => {
            let nats = efa_runtime::connect(&args.nats_url, "efa-ledger").await?;
            let ledger = efa_ledger::Ledger::start(
                efa_ledger::LedgerConfig {
                    data_dir: args.data_dir,
                },
                nats,
            )
            .await
            .context("start the ledger")?;
            let shutdown = shutdown_on_signal();
            ledger.run(shutdown).await.context("run the ledger")
        }
        Cmd::Projector(args) => {
            let nats = efa_runtime::connect(&args.nats_url, "efa-projector").await?;
            let projector = efa_projector::Projector::start(projector_config(args.data_dir), nats)
                .await
                .context("start the projector")?;
            projector
                .run(shutdown_on_signal())
                .await
                .context("run the projector")
        }
        Cmd::Gateway(args) => {
            let nats = efa_runtime::connect(&args.nats_url, "efa-gateway").await?;
            let gateway =
                efa_gateway::Gateway::bind(gateway_config(&args.data_dir, args.http)?, nats)
                    .await
                    .context("start the gateway")?
                    .with_session_key(session_key(&args.data_dir)?)
                    .with_token_file(crate::tokens::table_path(&args.data_dir))
                    .with_signing_key(match &args.signing_key {
                        Some(path) => efa_trust::SigningKey::load(path)
                            .context("load the gateway's signing key")?,
                        None => crate::signers::gateway_key(&args.data_dir)?,
                    });
            crate::out::say(&format!("efa-registry: http://{}/", gateway.local_addr()));
            gateway
                .run(shutdown_on_signal())
                .await
                .context("run the gateway")
        }
        Cmd::Rebuild { nats_url } => crate::rebuild::run(&nats_url).await,
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
            nats_url,
            signing_key,
        } => crate::import::gv100ad(&nats_url, &file, mergers.as_deref(), &signing_key).await,
        ImportCmd::Participants {
            file,
            nats_url,
            signing_key,
        } => tabular(&nats_url, &file, Tabular::Participants, &signing_key).await,
        ImportCmd::Key {
            file,
            nats_url,
            signing_key,
        } => tabular(&nats_url, &file, Tabular::AllocationKey, &signing_key).await,
        ImportCmd::Services {
            file,
            nats_url,
            signing_key,
        } => tabular(&nats_url, &file, Tabular::Services, &signing_key).await,
    }
}

pub fn projector_config(data_dir: PathBuf) -> efa_projector::ProjectorConfig {
    efa_projector::ProjectorConfig {
        data_dir,
        query_wait_max: Duration::from_secs(5),
    }
}

/// The key that signs the web app's session cookies, kept in the data
/// directory so sessions survive a restart and replicas agree.
pub fn session_key(data_dir: &std::path::Path) -> Result<efa_gateway::SessionKey> {
    efa_gateway::SessionKey::load_or_create(&data_dir.join("sitzung.key"))
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
