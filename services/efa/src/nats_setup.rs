//! `efa nats init|rotate|keys`: the NATS credentials of the four roles in
//! a data directory and the nats-server configuration that admits them.
//! `efa up` does `init` itself before it starts its nats-server; on a
//! deployment with separate hosts an operator runs it once and hands each
//! service its seed file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use efa_runtime::auth::{Role, ServerTls, User, credential, server_config};

use crate::out::say;

/// The base configuration (limits, JetStream); the users and TLS are added.
const NATS_BASE_CONFIG: &str = include_str!("../../../ops/nats/nats.conf");
/// File names below `<data-dir>/nats/`.
const CONFIG_FILE: &str = "nats.conf";
const AUTHORIZATION_FILE: &str = "authorization.conf";

#[derive(Debug, Subcommand)]
pub enum NatsCmd {
    /// Die fehlenden NATS-Zugänge anlegen und die nats-server-Konfiguration
    /// nach DATA_DIR/nats/ schreiben.
    Init {
        /// Das Datenverzeichnis mit den NATS-Zugängen (DATA_DIR/secrets/nats/) und der nats-server-Konfiguration (DATA_DIR/nats/).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        #[command(flatten)]
        tls: ServerTlsArgs,
    },
    /// Den NATS-Zugang einer Rolle ersetzen und die Konfiguration neu schreiben;
    /// danach den nats-server neu laden und diesen Dienst neu starten.
    Rotate {
        /// Das Datenverzeichnis mit den NATS-Zugängen (DATA_DIR/secrets/nats/) und der nats-server-Konfiguration (DATA_DIR/nats/).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// ledger, projector, gateway oder operator.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        tls: ServerTlsArgs,
    },
    /// Den öffentlichen Schlüssel jeder Rolle zeigen und wo ihr Seed liegt
    /// (nie den Seed selbst).
    Keys {
        /// Das Datenverzeichnis mit den NATS-Zugängen (DATA_DIR/secrets/nats/) und der nats-server-Konfiguration (DATA_DIR/nats/).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
}

/// TLS of the nats-server that the written configuration starts.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServerTlsArgs {
    /// Das Zertifikat des NATS-Servers (PEM); ist es angegeben, müssen Clients
    /// TLS verwenden.
    #[arg(long, env = "EFA_NATS_SERVER_CERT", requires = "nats_server_key")]
    pub nats_server_cert: Option<PathBuf>,
    /// Der Schlüssel zum Zertifikat des NATS-Servers (PEM).
    #[arg(long, env = "EFA_NATS_SERVER_KEY", requires = "nats_server_cert")]
    pub nats_server_key: Option<PathBuf>,
    /// Eine CA (PEM): der Server nimmt dann nur Clients mit einem von ihr
    /// signierten Zertifikat an (zusätzlich zu ihrem nkey).
    #[arg(long, env = "EFA_NATS_CLIENT_CA", requires = "nats_server_cert")]
    pub nats_client_ca: Option<PathBuf>,
}

impl ServerTlsArgs {
    pub fn server_tls(&self) -> Option<ServerTls> {
        let (cert_file, key_file) = self
            .nats_server_cert
            .clone()
            .zip(self.nats_server_key.clone())?;
        Some(ServerTls {
            cert_file: absolute(&cert_file),
            key_file: absolute(&key_file),
            client_ca_file: self.nats_client_ca.as_deref().map(absolute),
        })
    }
}

/// nats-server reads paths relative to where it runs; write them whole.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        format!("unbekannte Rolle „{text}“ (ledger, projector, gateway oder operator)")
    })
}

pub fn run(command: NatsCmd) -> Result<()> {
    match command {
        NatsCmd::Init { data_dir, tls } => {
            let config = write_server_config(&data_dir, tls.server_tls().as_ref())?;
            say(&format!(
                "NATS-Zugänge in {} (je Rolle eine Datei, nur für den Eigentümer lesbar).\n\
                 nats-server-Konfiguration: {}",
                data_dir.join(credential::SECRETS_SUBDIR).display(),
                config.display()
            ));
            Ok(())
        }
        NatsCmd::Rotate {
            data_dir,
            role,
            tls,
        } => {
            let fresh = credential::rotate(&data_dir, role)
                .with_context(|| format!("NATS-Zugang der Rolle {role} ersetzen"))?;
            let config = write_server_config(&data_dir, tls.server_tls().as_ref())?;
            say(&format!(
                "Neuer NATS-Schlüssel für {role}: {}\n\
                 Konfiguration neu geschrieben: {}\n\
                 Jetzt den nats-server die Konfiguration neu laden lassen \
                 (nats-server --signal reload) und {role} neu starten; \
                 bis dahin weist der Server den alten Schlüssel ab.",
                fresh.public_key(),
                config.display()
            ));
            Ok(())
        }
        NatsCmd::Keys { data_dir } => {
            for role in Role::ALL {
                let path = credential::path_in(&data_dir, role);
                let key = credential::Credential::from_data_dir(&data_dir, role)
                    .with_context(|| format!("NATS-Zugang der Rolle {role} lesen"))?
                    .map_or_else(|| "(keiner)".to_owned(), |c| c.public_key().to_owned());
                say(&format!("{role}\t{key}\t{}", path.display()));
            }
            Ok(())
        }
    }
}

/// Creates the roles' missing credentials in `data_dir` and writes the
/// nats-server configuration for them (public keys only): returns the
/// path of `nats.conf`, which includes `authorization.conf` beside it.
pub fn write_server_config(data_dir: &Path, tls: Option<&ServerTls>) -> Result<PathBuf> {
    let credentials = credential::ensure_all(data_dir).context("NATS-Zugänge anlegen")?;
    let users: Vec<User> = credentials
        .iter()
        .map(|c| User::for_role(c.role(), c.public_key()))
        .collect();
    let nats_dir = data_dir.join("nats");
    std::fs::create_dir_all(&nats_dir).context("NATS-Datenverzeichnis anlegen")?;
    replace(
        &nats_dir.join(AUTHORIZATION_FILE),
        &server_config::authorization(&users),
    )?;
    let mut config = NATS_BASE_CONFIG.trim_end().to_owned();
    config.push_str(&format!("\n\ninclude ./{AUTHORIZATION_FILE}\n"));
    if let Some(tls) = tls {
        config.push('\n');
        config.push_str(
            &server_config::tls(tls).context("TLS-Einstellungen des NATS-Servers schreiben")?,
        );
    }
    let path = nats_dir.join(CONFIG_FILE);
    replace(&path, &config)?;
    Ok(path)
}

/// Writes `text` to `path` whole (`durable_file`), so a server reloading
/// it never reads half a file. (No secret in it.)
fn replace(path: &Path, text: &str) -> Result<()> {
    efa_runtime::durable_file::replace(path, text.as_bytes())
        .with_context(|| format!("{} schreiben", path.display()))
}
