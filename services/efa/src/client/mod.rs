//! `efa service|cost|adoption|key|export`: the web app's operations for
//! scripts, as requests to a running gateway's HTTP API. Every command
//! takes `--api`, `--token` and `--json`; every write sends an
//! `Idempotency-Key` (random, or `--idempotency-key` so that a script can
//! retry safely). Success prints a short German line, or with `--json` the
//! API's JSON answer; a failure prints the problem's German title and
//! detail to stderr and ends with an exit code by kind ([`EXIT_CODES`]).

mod adoptions;
pub mod backup;
mod costs;
mod export;
mod http;
mod keys;
mod pages;
mod rollout_import;
mod services;
mod sink;

use std::time::Duration;

use clap::Subcommand;
use reqwest::{Method, Url};
use serde_json::{Map, Value};

pub use http::Failure;
use http::{Answer, Api};

/// The exit codes, as every client command's `--help` shows them.
pub const EXIT_CODES: &str = "\
Exit-Codes:
  0  Erfolg, auch eine idempotente Wiederholung (gleicher --idempotency-key)
  1  anderer Fehler
  2  ungültige Eingabe oder von den Regeln abgelehnt (HTTP 400, 403, 404, 409, 412, 413, 422)
  3  Anmeldung fehlgeschlagen (HTTP 401: Token fehlt oder ist ungültig)
  4  Register nicht erreichbar (HTTP 503/504, Verbindung abgelehnt, Zeitüberschreitung)";

/// The client's command groups, flattened into `efa`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientCmd {
    /// Leistungen ankündigen, Beitritt und Austritt, Status, Reifegrad (über die HTTP-API).
    #[command(after_help = EXIT_CODES)]
    Service {
        #[command(subcommand)]
        command: services::ServiceCmd,
        #[command(flatten)]
        connection: Connection,
    },
    /// Kosten melden und berichtigen (über die HTTP-API).
    #[command(after_help = EXIT_CODES)]
    Cost {
        #[command(subcommand)]
        command: costs::CostCmd,
        #[command(flatten)]
        connection: Connection,
    },
    /// Einführungen durch Kommunen: beantragen, Schritte, zurückziehen (über die HTTP-API).
    #[command(after_help = EXIT_CODES)]
    Adoption {
        #[command(subcommand)]
        command: adoptions::AdoptionCmd,
        #[command(flatten)]
        connection: Connection,
    },
    /// Verteilungsschlüssel veröffentlichen (über die HTTP-API).
    #[command(after_help = EXIT_CODES)]
    Key {
        #[command(subcommand)]
        command: keys::KeyCmd,
        #[command(flatten)]
        connection: Connection,
    },
    /// Ansichten als CSV oder JSON exportieren (über die HTTP-API).
    #[command(after_help = EXIT_CODES)]
    Export {
        #[command(subcommand)]
        view: export::ExportCmd,
        #[command(flatten)]
        connection: Connection,
    },
    /// Die Historie des Ledgers im laufenden Betrieb sichern: geprüfte
    /// Exportdateien in ein Verzeichnis, eine spätere Sicherung setzt fort;
    /// `efa restore` stellt daraus einen Ledger wieder her (über die HTTP-API).
    #[command(after_help = backup::EXIT_CODES)]
    Backup {
        #[command(flatten)]
        args: backup::BackupArgs,
        #[command(flatten)]
        connection: Connection,
    },
}

/// Where the API is, who calls it, and how to answer.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// Basisadresse des Registers.
    #[arg(
        long,
        env = "EFA_API",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    api: String,
    /// API-Token (efa_…); für schreibende Befehle nötig.
    #[arg(long, env = "EFA_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// Die JSON-Antwort der API ausgeben statt einer Zeile.
    #[arg(long, global = true)]
    json: bool,
    /// Höchstens so viele Sekunden auf eine Antwort warten.
    #[arg(long, env = "EFA_TIMEOUT", default_value_t = 30, global = true)]
    timeout: u64,
}

/// The options every write has.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Schlüssel des Schreibvorgangs (sonst zufällig): derselbe Schlüssel
    /// wiederholt den Vorgang nicht, sondern liefert die gespeicherte Antwort.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Wirksam ab (JJJJ-MM-TT); ohne Angabe der Tag der Erfassung.
    #[arg(long)]
    effective: Option<String>,
}

/// Runs one client command against the API.
pub async fn run(command: ClientCmd) -> Result<(), Failure> {
    match command {
        ClientCmd::Service {
            command,
            connection,
        } => services::run(&Client::new(&connection)?, command).await,
        ClientCmd::Cost {
            command,
            connection,
        } => costs::run(&Client::new(&connection)?, command).await,
        ClientCmd::Adoption {
            command,
            connection,
        } => adoptions::run(&Client::new(&connection)?, command).await,
        ClientCmd::Key {
            command,
            connection,
        } => keys::run(&Client::new(&connection)?, command).await,
        ClientCmd::Export { view, connection } => {
            export::run(&Client::new(&connection)?, view).await
        }
        ClientCmd::Backup { args, connection } => {
            backup::run(&Client::new(&connection)?, args).await
        }
    }
}

/// The API and how to print what it answers.
#[derive(Debug, Clone)]
struct Client {
    api: Api,
    json: bool,
}

impl Client {
    fn new(connection: &Connection) -> Result<Self, Failure> {
        let timeout = Duration::from_secs(connection.timeout.max(1));
        Ok(Self {
            api: Api::new(&connection.api, connection.token.clone(), timeout)?,
            json: connection.json,
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        self.api.url(segments, query)
    }

    /// Sends a write and prints its answer: the JSON, or `line` made from
    /// it with the ledger sequence.
    async fn write(
        &self,
        request: Write,
        line: impl FnOnce(&Value) -> String,
    ) -> Result<(), Failure> {
        let key = request
            .args
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = request.body.map(Value::Object);
        let answer = self
            .api
            .write(request.method, request.url, body.as_ref(), &key)
            .await?;
        self.print_written(&answer, line)
    }

    fn print_written(
        &self,
        answer: &Answer,
        line: impl FnOnce(&Value) -> String,
    ) -> Result<(), Failure> {
        if self.json {
            crate::out::say(answer.body.trim_end());
            return Ok(());
        }
        let json = answer.json()?;
        let seq = json.get("seq").and_then(Value::as_u64).unwrap_or_default();
        let replay = if answer.replayed {
            ", Wiederholung: nichts neu geschrieben"
        } else {
            ""
        };
        crate::out::say(&format!("{} (Sequenz {seq}{replay})", line(&json)));
        Ok(())
    }
}

/// One write: where, what, and the options every write has.
#[derive(Debug)]
struct Write {
    method: Method,
    url: Url,
    body: Option<Map<String, Value>>,
    args: WriteArgs,
}

impl Write {
    /// A `POST` with a JSON object body; `effective` is added when given.
    fn post(url: Url, mut body: Map<String, Value>, args: WriteArgs) -> Self {
        if let Some(effective) = &args.effective {
            body.insert("effective".to_owned(), Value::String(effective.clone()));
        }
        Self {
            method: Method::POST,
            url,
            body: Some(body),
            args,
        }
    }
}

/// A JSON object from fields; `None` values are left out.
fn object<const N: usize>(fields: [(&str, Option<Value>); N]) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name.to_owned(), value)))
        .collect()
}

/// A text field's value.
fn text(value: &str) -> Option<Value> {
    Some(Value::String(value.to_owned()))
}
