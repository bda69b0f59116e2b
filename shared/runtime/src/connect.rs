//! One way to connect to NATS, with reconnects that never give up: the
//! services must come back by themselves after a NATS restart. A
//! connection may authenticate as one of the registry's roles (its nkey,
//! and reply inboxes below the role's own prefix, the only ones the server
//! lets it read) and may require TLS with a given CA. The URL may name
//! several servers of one cluster, comma-separated; the client connects
//! to one of them and fails over to the others.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::auth::Credential;

#[derive(Debug, thiserror::Error)]
#[error("connect to NATS at {url}: {source}")]
pub struct ConnectError {
    pub url: String,
    #[source]
    pub source: async_nats::ConnectError,
}

/// TLS towards the server: the CA that signed its certificate, and a
/// client certificate when the server asks for one.
#[derive(Debug, Clone)]
pub struct ClientTls {
    pub ca_file: PathBuf,
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

#[derive(Debug, thiserror::Error)]
#[error("the TLS file {path} cannot be read: {source}")]
pub struct TlsFileError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl ClientTls {
    /// Checks that the files can be read now (the client reads them at
    /// every connect, where an error would only be retried).
    pub fn new(
        ca_file: PathBuf,
        client_cert: Option<(PathBuf, PathBuf)>,
    ) -> Result<Self, TlsFileError> {
        let readable = |path: &Path| {
            std::fs::File::open(path)
                .map(drop)
                .map_err(|source| TlsFileError {
                    path: path.to_owned(),
                    source,
                })
        };
        readable(&ca_file)?;
        if let Some((cert, key)) = &client_cert {
            readable(cert)?;
            readable(key)?;
        }
        Ok(Self {
            ca_file,
            client_cert,
        })
    }
}

/// How a connection identifies itself: anonymous (a server without
/// authorization, as in most tests) unless a credential is given.
#[derive(Debug, Clone, Default)]
pub struct NatsAccess {
    pub credential: Option<Credential>,
    pub tls: Option<ClientTls>,
}

impl NatsAccess {
    pub fn as_role(credential: Credential) -> Self {
        Self {
            credential: Some(credential),
            tls: None,
        }
    }
}

/// Connects to `url` anonymously, naming the connection after the service.
pub async fn connect(url: &str, name: &str) -> Result<async_nats::Client, ConnectError> {
    connect_with(url, name, &NatsAccess::default()).await
}

/// The servers named in `url`: one URL, or several separated by commas
/// (`nats://a:4222,nats://b:4222`), blanks around them ignored. The
/// client library parses a single `&str` as one URL, so the list is
/// split here.
pub fn server_urls(url: &str) -> Vec<String> {
    url.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Connects to `url` (one server, or a comma-separated list of a
/// cluster's servers) with `access`, naming the connection after the
/// service. Waits for the server on the first connect (it may still be
/// starting); a refused credential is logged and tried again, like any
/// other failed connect, so that a key rotated on the server and then at
/// the service needs no restart of the other.
pub async fn connect_with(
    url: &str,
    name: &str,
    access: &NatsAccess,
) -> Result<async_nats::Client, ConnectError> {
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((50 * attempts as u64).min(1_000))
        })
        .event_callback(|event| async move { log_event(event) });
    if let Some(credential) = &access.credential {
        options = options
            .nkey(credential.seed().to_owned())
            .custom_inbox_prefix(credential.role().inbox_prefix());
    }
    if let Some(tls) = &access.tls {
        options = options
            .require_tls(true)
            .add_root_certificates(tls.ca_file.clone());
        if let Some((cert, key)) = &tls.client_cert {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
    }
    options
        .connect(server_urls(url))
        .await
        .map_err(|source| ConnectError {
            url: url.to_owned(),
            source,
        })
}

/// Connection events worth a line in the log: a refused credential or a
/// denied subject is an operator's business (the server names the subject).
fn log_event(event: async_nats::Event) {
    use async_nats::Event;
    match event {
        Event::ServerError(error) => tracing::error!(%error, "NATS server reports an error"),
        Event::ClientError(error) => tracing::warn!(%error, "NATS connection failed"),
        Event::SlowConsumer(sid) => tracing::warn!(sid, "NATS: slow consumer"),
        Event::Disconnected => tracing::info!("NATS disconnected"),
        Event::Connected => tracing::debug!("NATS connected"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_list_is_split_at_commas() {
        assert_eq!(
            server_urls("nats://127.0.0.1:4222"),
            ["nats://127.0.0.1:4222"]
        );
        assert_eq!(
            server_urls("nats://127.0.0.1:4222, nats://127.0.0.1:4223,nats://127.0.0.1:4224"),
            [
                "nats://127.0.0.1:4222",
                "nats://127.0.0.1:4223",
                "nats://127.0.0.1:4224"
            ]
        );
        assert_eq!(server_urls("nats://a:1,,"), ["nats://a:1"]);
    }
}
