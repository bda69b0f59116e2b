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

/// The data directory of every command that is given none.
pub const DEFAULT_DATA_DIR: &str = "./data";

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
    /// Alles auf diesem Rechner starten: nats-server, Ledger, Projektor, Gateway.
    Up(UpArgs),
    /// Nur den Ledger starten, an einem bereits laufenden NATS (mit
    /// `--cluster-node` als ein Knoten eines Clusters).
    Ledger(LedgerArgs),
    /// Nur den Projektor starten, an einem bereits laufenden NATS.
    Projector(ProjectorArgs),
    /// Nur das Gateway starten, an einem bereits laufenden NATS.
    Gateway(GatewayArgs),
    /// Einen laufenden Projektor die Ansichten aus dem Ledger neu berechnen
    /// und dann austauschen lassen; Abfragen beantwortet er währenddessen weiter.
    Rebuild {
        #[command(flatten)]
        connection: OperatorArgs,
    },
    /// Ein laufendes Register mit N Clients belasten, die seine übliche Arbeit
    /// über NATS und über HTTP erledigen, und Durchsatz und Latenzen ausgeben,
    /// neben einem im selben Lauf gemessenen no-op NATS responder als Vergleich.
    Bench(crate::bench::BenchArgs),
    /// Die Hash-Kette des Ledgers und seinen signierten Stand offline prüfen
    /// und die erste fehlerhafte Sequenz nennen; mit `--export FILE` stattdessen
    /// eine exportierte Historie gegen den öffentlichen Schlüssel des Ledgers prüfen.
    Verify {
        /// Das Datenverzeichnis des Ledgers, dessen Hash-Kette geprüft wird.
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Der öffentliche Schlüssel des Ledgers: `<key-id> <hex>` oder eine Datei
        /// damit (Voreinstellung bei einem Datenverzeichnis: dessen
        /// `ledger-public-key.txt`).
        #[arg(long)]
        public_key: Option<String>,
        /// Die zu prüfende exportierte Historie (aus `GET /api/v1/ledger/export`);
        /// mehrfach für aufeinanderfolgende Teile (`from_seq` des nächsten ist
        /// die letzte Sequenz des vorigen plus 1), deren Anschluss mitgeprüft wird.
        #[arg(long)]
        export: Vec<PathBuf>,
        /// Ein früher festgehaltener Stand `SEQUENZ:KETTENHASH` (etwa aus `GET
        /// /api/v1/ledger/checkpoint` oder einer Kostenaufstellung), den die Kette
        /// enthalten muss; mehrfach möglich. So fällt auch ein Ledger auf, dem am
        /// Ende Ereignisse fehlen.
        #[arg(long = "contains", value_name = "SEQUENZ:KETTENHASH")]
        contains: Vec<String>,
    },
    /// Einen Ledger aus einer Sicherung (`efa backup`) wiederherstellen: in ein
    /// Datenverzeichnis mit dem Schlüssel des Ledgers, aber ohne Ereignisse.
    /// Jede Datei wird vorher gegen den Schlüssel und ihre Vorgängerin
    /// geprüft; erst dann wird geschrieben.
    Restore {
        /// Das Verzeichnis der Sicherung.
        #[arg(long)]
        from: PathBuf,
        /// Das Datenverzeichnis, dessen Ledger wiederhergestellt wird.
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Signaturschlüssel und die Unterzeichner, denen der Ledger vertraut.
    Signer {
        #[command(subcommand)]
        command: crate::signers::SignerCmd,
    },
    /// Eine synthetische Historie im Umfang ganz Deutschlands in ein leeres
    /// Datenverzeichnis des Ledgers schreiben.
    Generate {
        /// Das leere Datenverzeichnis, in das die Historie geschrieben wird.
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Startwert des Zufalls: derselbe gibt dieselbe Historie.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Wie viele Ereignisse geschrieben werden.
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Wie viele Gemeinden die Historie hat.
        #[arg(long, default_value_t = 11_000)]
        municipalities: u32,
        /// Wie viele Leistungen die Historie hat.
        #[arg(long, default_value_t = 600)]
        services: u32,
    },
    /// Das OpenAPI-Dokument der HTTP-API ausgeben (ohne laufendes System).
    Openapi,
    /// Referenzdaten über den Ledger importieren.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// Die NATS-Zugänge der Dienste und die nats-server-Konfiguration,
    /// die sie zulässt.
    Nats {
        #[command(subcommand)]
        command: crate::nats_setup::NatsCmd,
    },
    /// API-Tokens verwalten (als Hashes gespeichert in DATA_DIR/tokens.json).
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

/// The exit codes of `efa import`.
const IMPORT_EXIT_CODES: &str = "\
Exit-Codes:
  0  Erfolg, auch wenn nichts zu ändern war
  1  anderer Fehler (z. B. NATS nicht erreichbar, Zugang abgelehnt)
  2  Datei abgelehnt (nichts importiert) oder Zeilen vom Ledger abgelehnt (genannt)";

#[derive(Debug, Subcommand)]
enum ImportCmd {
    /// Das Gemeindeverzeichnis von Destatis (GV100AD, feste Spaltenbreiten,
    /// Windows-1252). Registriert neue Kreise und Gemeinden und benennt um;
    /// Gemeinden eines Landes der Datei, die in ihr fehlen, werden nur mit
    /// `--aufloesen` aufgelöst oder eingegliedert (sonst nur aufgelistet).
    /// Gemeinden anderer Länder bleiben unberührt.
    #[command(after_help = IMPORT_EXIT_CODES)]
    Gv100ad {
        file: PathBuf,
        /// CSV `AGS;Nachfolge-AGS`: für jede durch Fusion weggefallene Gemeinde
        /// ihre Nachfolgerin; andere weggefallene Gemeinden gelten als aufgelöst.
        #[arg(long)]
        mergers: Option<PathBuf>,
        /// Die fehlenden Gemeinden wirklich auflösen bzw. eingliedern. Das
        /// lässt sich nicht rückgängig machen; ohne diese Angabe werden sie
        /// nur aufgelistet.
        #[arg(long)]
        aufloesen: bool,
        #[command(flatten)]
        connection: OperatorArgs,
        /// Der Signaturschlüssel der Administration; Voreinstellung
        /// `DATA_DIR/secrets/operator.key` (von `efa up` angelegt).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
    /// Gemeinden und Kreise: `schluessel;name;einwohner;stichtag`.
    #[command(after_help = IMPORT_EXIT_CODES)]
    Participants {
        file: PathBuf,
        #[command(flatten)]
        connection: OperatorArgs,
        /// Der Signaturschlüssel der Administration; Voreinstellung
        /// `DATA_DIR/secrets/operator.key` (von `efa up` angelegt).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
    /// Ein Verteilungsschlüssel (Königsteiner Schlüssel): `jahr;land;prozent`.
    #[command(after_help = IMPORT_EXIT_CODES)]
    Key {
        file: PathBuf,
        #[command(flatten)]
        connection: OperatorArgs,
        /// Der Signaturschlüssel der Administration; Voreinstellung
        /// `DATA_DIR/secrets/operator.key` (von `efa up` angelegt).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
    /// Leistungen: `kennung;titel;federfuehrend;themenfeld;anbieter;kanal;kostenmodell;status;reifegrad;angekuendigt`.
    #[command(after_help = IMPORT_EXIT_CODES)]
    Services {
        file: PathBuf,
        #[command(flatten)]
        connection: OperatorArgs,
        /// Der Signaturschlüssel der Administration; Voreinstellung
        /// `DATA_DIR/secrets/operator.key` (von `efa up` angelegt).
        #[arg(long, env = "EFA_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Das Datenverzeichnis des Registers: Schlüssel, Zugänge, Ledger und Ansichten (beim ersten Start angelegt).
    #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Adresse, an der das Gateway HTTP annimmt (Port 0 wählt einen freien).
    #[arg(long, env = "EFA_HTTP", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Port des nats-server, den `up` startet; 0 wählt einen freien Port.
    #[arg(long, env = "EFA_NATS_PORT", default_value_t = 4222)]
    pub nats_port: u16,
    /// Diesen laufenden NATS-Server verwenden, statt einen zu starten.
    #[arg(long, env = "EFA_NATS_URL")]
    pub nats_url: Option<String>,
    /// Bei leerem Datenverzeichnis nur die Referenzdaten laden, nicht das
    /// Demo-Szenario.
    #[arg(long)]
    pub no_demo: bool,
    /// Anfragen je Client-Adresse (IPv6: je /64) und 10 Sekunden, bevor 429
    /// folgt, auf jeder Route (hinter einem Reverse Proxy haben alle Anfragen
    /// die Adresse des Proxys: dann erhöhen).
    #[arg(long, env = "EFA_API_RATE_LIMIT", default_value_t = efa_gateway::API_REQUESTS_PER_10S)]
    pub api_rate_limit: u32,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// TLS of the nats-server that `up` starts.
    #[command(flatten)]
    pub nats_server_tls: crate::nats_setup::ServerTlsArgs,
    /// CA-Zertifikat (PEM), mit dem die Dienste das Zertifikat des NATS-Servers
    /// prüfen (nötig mit --nats-server-cert, sofern das System ihm nicht
    /// ohnehin vertraut).
    #[arg(long, env = "EFA_NATS_TLS_CA")]
    pub nats_tls_ca: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ServiceArgs {
    /// Das Datenverzeichnis dieses Dienstes: seine Schlüssel, sein NATS-Zugang und seine Daten.
    #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
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
    /// Als dieser Knoten eines Clusters laufen: aktiv, solange er die Lease
    /// hält, sonst als Standby, der dem replizierten Stream folgt.
    #[arg(long, env = "EFA_CLUSTER_NODE")]
    cluster_node: Option<String>,
    /// Wie lange die Lease ohne Erneuerung gilt, in Millisekunden (etwa so
    /// lange nach dem Ausfall des aktiven Knotens übernimmt ein Standby).
    #[arg(long, env = "EFA_LEASE_TTL_MS", default_value_t = 3000)]
    lease_ttl_ms: u64,
}

#[derive(Debug, clap::Args)]
struct ProjectorArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// Ein leerer Ansichtsspeicher, der so viele Ereignisse oder mehr hinter dem
    /// Ledger liegt (eine neue Replik), wird wie bei `efa rebuild` in einer neuen
    /// Version gefüllt, die danach an seine Stelle tritt; bei weniger holt er
    /// Ereignis für Ereignis auf.
    #[arg(long, env = "EFA_FILL_EMPTY_FROM",
          default_value_t = efa_projector::ProjectorConfig::FILL_EMPTY_MIN_DEFAULT)]
    fill_empty_from: u64,
}

#[derive(Debug, clap::Args)]
struct GatewayArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// Der Signaturschlüssel des Gateways; Voreinstellung
    /// `DATA_DIR/secrets/gateway.key`, beim ersten Start angelegt und in
    /// `DATA_DIR` als vertrauenswürdig eingetragen.
    #[arg(long, env = "EFA_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    /// Adresse, an der das Gateway HTTP annimmt (Port 0 wählt einen freien).
    #[arg(long, env = "EFA_HTTP", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Anfragen je Client-Adresse (IPv6: je /64) und 10 Sekunden, bevor 429
    /// folgt, auf jeder Route (hinter einem Reverse Proxy haben alle Anfragen
    /// die Adresse des Proxys: dann erhöhen).
    #[arg(long, env = "EFA_API_RATE_LIMIT", default_value_t = efa_gateway::API_REQUESTS_PER_10S)]
    api_rate_limit: u32,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArgs {
    /// Der Bearer-Token, den ein Prometheus-Scraper zum Lesen von `/metrics`
    /// sendet; ohne ihn wird `/metrics` nicht ausgeliefert.
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
            .context("Ledger starten")?;
            let shutdown = shutdown_on_signal();
            ledger.run(shutdown).await.context("Ledger ist ausgefallen")
        }
        Cmd::Projector(args) => {
            let nats = args.service.connect(Role::Projector).await?;
            let config = efa_projector::ProjectorConfig {
                fill_empty_min: args.fill_empty_from,
                ..projector_config(args.service.data_dir)
            };
            let projector = efa_projector::Projector::start(config, nats)
                .await
                .context("Projektor starten")?;
            projector
                .run(shutdown_on_signal())
                .await
                .context("Projektor ist ausgefallen")
        }
        Cmd::Gateway(args) => {
            let nats = args.service.connect(Role::Gateway).await?;
            let data_dir = &args.service.data_dir;
            let gateway = efa_gateway::Gateway::bind(gateway_config(data_dir, args.http)?, nats)
                .await
                .context("Gateway starten")?
                .with_session_key(session_key(data_dir)?, data_dir.join(LOGOUTS_FILE))
                .with_token_file(crate::tokens::table_path(data_dir))
                .with_rate_limit(args.api_rate_limit, Duration::from_secs(10))
                .with_signing_key(match &args.signing_key {
                    Some(path) => efa_trust::SigningKey::load(path)
                        .context("Signaturschlüssel des Gateways laden")?,
                    None => crate::signers::gateway_key(data_dir)?,
                });
            let gateway = args.metrics.apply(gateway);
            crate::out::say(&format!("efa-registry: http://{}/", gateway.local_addr()));
            gateway
                .run(shutdown_on_signal())
                .await
                .context("Gateway ist ausgefallen")
        }
        Cmd::Rebuild { connection } => crate::rebuild::run(&connection).await,
        Cmd::Bench(args) => crate::bench::run(args).await,
        Cmd::Nats { command } => crate::nats_setup::run(command),
        Cmd::Verify {
            data_dir,
            public_key,
            export,
            contains,
        } => crate::verify::run(&data_dir, public_key.as_deref(), &export, &contains),
        Cmd::Restore { from, data_dir } => {
            tokio::task::spawn_blocking(move || crate::restore::run(&from, &data_dir))
                .await
                .context("Wiederherstellung ist abgestürzt")?
        }
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
                .context("Generator ist abgestürzt")?
        }
        Cmd::Openapi => {
            let document = efa_gateway::openapi_document();
            crate::out::say(
                &serde_json::to_string_pretty(&document).context("OpenAPI-Dokument erzeugen")?,
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
            aufloesen,
            connection,
            signing_key,
        } => {
            let key = operator_key_path(&connection, signing_key);
            let removals = if aufloesen {
                crate::import::Removals::Send
            } else {
                crate::import::Removals::List
            };
            crate::import::gv100ad(&connection, &file, mergers.as_deref(), removals, &key).await
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

/// The file with the web sessions' logouts, in the data dir, beside the
/// session key: a logout must outlast a restart as the key does.
pub const LOGOUTS_FILE: &str = "abmeldungen.json";

/// The key that signs the web app's session cookies, kept in the data
/// directory so sessions survive a restart and replicas agree.
pub fn session_key(data_dir: &std::path::Path) -> Result<efa_gateway::SessionKey> {
    efa_gateway::SessionKey::load_or_create(&data_dir.join(SESSION_KEY_FILE))
        .context("Sitzungsschlüssel laden")
}

pub fn gateway_config(
    data_dir: &std::path::Path,
    http: SocketAddr,
) -> Result<efa_gateway::GatewayConfig> {
    let tokens = efa_trust::tokens::TokenTable::load(&crate::tokens::table_path(data_dir))
        .context("Token-Tabelle laden")?;
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every option of every subcommand says what it is for.
    #[test]
    fn every_option_has_a_help_text() {
        let mut missing = Vec::new();
        let mut commands = vec![(String::from("efa"), super::Cli::command())];
        while let Some((path, command)) = commands.pop() {
            for arg in command.get_arguments() {
                let generated = ["help", "version"].contains(&arg.get_id().as_str());
                if arg.get_long().is_some() && !generated && arg.get_help().is_none() {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                commands.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
        }
        assert!(missing.is_empty(), "options without help: {missing:?}");
    }
}
