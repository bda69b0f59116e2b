//! How an `efa` command reaches NATS: the server's URL, the credential of
//! the role it acts as, and TLS. The credential comes, in this order, from
//! `--nats-nkey-file` (or `EFA_NATS_NKEY_FILE`), from `EFA_NATS_NKEY` (the
//! seed itself, for secret stores that hand out environment variables),
//! or from the data directory (`secrets/nats/<role>.nk`, where `efa up`
//! and `efa nats init` put it); without any, the connection is anonymous,
//! which only a server without authorization accepts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use efa_runtime::auth::{Credential, Role, credential};
use efa_runtime::{ClientTls, NatsAccess};

/// The environment variable that may hold the seed itself.
pub const NKEY_ENV: &str = "EFA_NATS_NKEY";

/// The server and how to connect to it.
#[derive(Debug, Clone, clap::Args)]
pub struct NatsArgs {
    /// Der NATS-Server (mehrere durch Kommas getrennt: Knoten eines Clusters).
    #[arg(long, env = "EFA_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    #[command(flatten)]
    pub access: AccessArgs,
}

/// The credential and TLS of a connection.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    /// Datei mit dem NATS-nkey-Seed dieser Rolle (Modus 0600). Voreinstellung:
    /// der Seed in EFA_NATS_NKEY, sonst DATA_DIR/secrets/nats/<role>.nk.
    #[arg(long, env = "EFA_NATS_NKEY_FILE")]
    pub nats_nkey_file: Option<PathBuf>,
    /// CA-Zertifikat (PEM), mit dem das Zertifikat des NATS-Servers signiert
    /// ist; ist es angegeben, verlangt die Verbindung TLS.
    #[arg(long, env = "EFA_NATS_TLS_CA")]
    pub nats_tls_ca: Option<PathBuf>,
    /// Client-Zertifikat (PEM), für einen Server, der Clients prüft.
    #[arg(long, env = "EFA_NATS_TLS_CERT", requires = "nats_tls_key")]
    pub nats_tls_cert: Option<PathBuf>,
    /// Der Schlüssel des Client-Zertifikats (PEM).
    #[arg(long, env = "EFA_NATS_TLS_KEY", requires = "nats_tls_cert")]
    pub nats_tls_key: Option<PathBuf>,
}

impl AccessArgs {
    /// The access of `role`, its seed found as the module says.
    pub fn resolve(&self, data_dir: &Path, role: Role) -> Result<NatsAccess> {
        Ok(NatsAccess {
            credential: self.credential(data_dir, role)?,
            tls: self.tls()?,
        })
    }

    fn credential(&self, data_dir: &Path, role: Role) -> Result<Option<Credential>> {
        if let Some(path) = &self.nats_nkey_file {
            return Credential::from_file(role, path)
                .map(Some)
                .with_context(|| format!("NATS-Zugang der Rolle {role} lesen"));
        }
        if let Ok(seed) = std::env::var(NKEY_ENV) {
            return Credential::from_seed(role, &seed, NKEY_ENV)
                .map(Some)
                .with_context(|| format!("NATS-Zugang der Rolle {role} lesen"));
        }
        let found = Credential::from_data_dir(data_dir, role)
            .with_context(|| format!("NATS-Zugang der Rolle {role} lesen"))?;
        if found.is_none() {
            tracing::info!(
                %role,
                looked_at = %credential::path_in(data_dir, role).display(),
                "no NATS credential given; connecting without one"
            );
        }
        Ok(found)
    }

    fn tls(&self) -> Result<Option<ClientTls>> {
        let Some(ca) = &self.nats_tls_ca else {
            return Ok(None);
        };
        let client_cert = self.nats_tls_cert.clone().zip(self.nats_tls_key.clone());
        Ok(Some(
            ClientTls::new(ca.clone(), client_cert).context("TLS-Dateien für NATS lesen")?,
        ))
    }
}

/// Connects as `role` (the connection named `name`).
pub async fn connect(url: &str, name: &str, access: &NatsAccess) -> Result<async_nats::Client> {
    Ok(efa_runtime::connect_with(url, name, access).await?)
}

/// The connection of an administration command (`efa rebuild`, `efa
/// import`): as the operator, its seed by default from the data directory.
#[derive(Debug, Clone, clap::Args)]
pub struct OperatorArgs {
    /// Das Datenverzeichnis, dessen `secrets/nats/operator.nk` verwendet wird,
    /// wenn kein anderer Zugang angegeben ist.
    #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub nats: NatsArgs,
}

/// A one-off command gives up connecting after this long (a service
/// would wait for its server forever).
const OPERATOR_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl OperatorArgs {
    /// Connects as the operator and waits, bounded, until the server has
    /// admitted the connection, so that a refused credential ends the
    /// command with a message instead of a long wait for an answer.
    pub async fn connect(&self, name: &str) -> Result<async_nats::Client> {
        let access = self.nats.access.resolve(&self.data_dir, Role::Operator)?;
        let url = &self.nats.nats_url;
        let client = connect(url, name, &access).await?;
        let deadline = tokio::time::Instant::now() + OPERATOR_CONNECT_TIMEOUT;
        while client.connection_state() != async_nats::connection::State::Connected {
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "NATS unter {url} nicht erreichbar, oder der Zugang wurde abgewiesen \
                     (Zugang des Operators: --nats-nkey-file, EFA_NATS_NKEY_FILE, EFA_NATS_NKEY \
                     oder {})",
                    credential::path_in(&self.data_dir, Role::Operator).display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(client)
    }
}
