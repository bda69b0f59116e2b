//! `efa up`: the whole registry on one machine, in one process. Starts a
//! nats-server child (unless `--nats-url` names a running one) that admits
//! only the services' own NATS credentials, created in the data directory
//! on the first start, then the ledger, the projector and the gateway,
//! each connected as itself, and stops them all, the child last, on
//! Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use efa_runtime::auth::{Credential, Role, credential};
use efa_runtime::nats_server::{self, NatsServerProcess, ServerOptions};
use efa_runtime::{ClientTls, NatsAccess};

use crate::cli::{UpArgs, gateway_config, projector_config, session_key, shutdown_on_signal};
use crate::out::say;

pub async fn run(args: UpArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data_dir).context("Datenverzeichnis anlegen")?;
    // Held until this returns: a second `efa up` on the same data dir
    // would take this one's nats-server for a leftover and stop it.
    let _in_use = claim_data_dir(&args.data_dir)?;
    crate::tokens::close_open_secret_files(&args.data_dir)?;
    // The signers the ledger trusts exist before it starts.
    crate::signers::gateway_key(&args.data_dir)?;
    crate::signers::operator_key(&args.data_dir)?;
    // The views open (sled's recovery, the index) while the NATS server
    // and the ledger start: on a large history both take seconds.
    let views = tokio::spawn(efa_projector::Projector::open(projector_config(
        args.data_dir.clone(),
    )));
    let (nats_url, mut nats_process) = match &args.nats_url {
        Some(url) => (url.clone(), None),
        None => {
            let process = start_nats(&args)?;
            (process.url(), Some(process))
        }
    };
    let shutdown = shutdown_on_signal();
    let result = run_services(&args, &nats_url, views, shutdown).await;
    if let Some(process) = nats_process.as_mut() {
        stop_nats(process);
    }
    result
}

/// How `role` connects: its credential from the data directory (none
/// when `--nats-url` names a server set up without them; the credential
/// flags and variables of the single services do not apply, as `up` runs
/// four roles), and TLS when a CA is given.
fn access(args: &UpArgs, role: Role) -> Result<NatsAccess> {
    let credential = Credential::from_data_dir(&args.data_dir, role)
        .with_context(|| format!("NATS-Zugang der Rolle {role} lesen"))?;
    let tls = match &args.nats_tls_ca {
        Some(ca) => Some(ClientTls::new(ca.clone(), None).context("TLS-Dateien für NATS lesen")?),
        None => None,
    };
    Ok(NatsAccess { credential, tls })
}

async fn connect(args: &UpArgs, nats_url: &str, role: Role) -> Result<async_nats::Client> {
    crate::nats_access::connect(nats_url, &format!("efa-{role}"), &access(args, role)?).await
}

async fn run_services(
    args: &UpArgs,
    nats_url: &str,
    views: tokio::task::JoinHandle<
        Result<efa_projector::OpenedViews, efa_projector::ProjectorError>,
    >,
    shutdown: efa_runtime::Shutdown,
) -> Result<()> {
    let ledger_nats = connect(args, nats_url, Role::Ledger).await?;
    let projector_nats = connect(args, nats_url, Role::Projector).await?;
    let gateway_nats = connect(args, nats_url, Role::Gateway).await?;

    let ledger = efa_ledger::Ledger::start(
        efa_ledger::LedgerConfig {
            data_dir: args.data_dir.clone(),
            cluster: None,
        },
        ledger_nats,
    )
    .await
    .context("Ledger starten")?;
    let fresh = *ledger.head().borrow() == 0;
    // The demo logins exist only where the demo is loaded.
    let demo_logins = if fresh && !args.no_demo {
        crate::tokens::ensure_demo_tokens(&args.data_dir)?
    } else {
        crate::tokens::existing_demo_logins(&args.data_dir)?
    };
    let views = views
        .await
        .context("Ansichten öffnen")?
        .context("Ansichten öffnen")?;
    let projector = efa_projector::Projector::start_opened(views, projector_nats)
        .await
        .context("Projektor starten")?;
    let gateway =
        efa_gateway::Gateway::bind(gateway_config(&args.data_dir, args.http)?, gateway_nats)
            .await
            .context("Gateway starten")?
            .with_session_key(
                session_key(&args.data_dir)?,
                args.data_dir.join(crate::cli::LOGOUTS_FILE),
            )
            .with_rate_limit(args.api_rate_limit, std::time::Duration::from_secs(10))
            .with_token_file(crate::tokens::table_path(&args.data_dir))
            .with_signing_key(crate::signers::gateway_key(&args.data_dir)?);
    let address = gateway.local_addr();

    let gateway = args.metrics.apply(gateway);
    let mut services = Supervisor::new(shutdown.clone());
    services.spawn("Ledger", ledger.run(shutdown.clone()));
    services.spawn("Projektor", projector.run(shutdown.clone()));
    services.spawn("Gateway", gateway.run(shutdown.clone()));
    if fresh {
        let operator = connect(args, nats_url, Role::Operator).await?;
        load_seeds(&operator, &args.data_dir, !args.no_demo).await?;
    }

    say(&format!(
        "efa-registry läuft.\n  Dashboard und API: http://{}/\n  NATS:              {nats_url}\n  \
         Daten:             {}\n  NATS-Zugänge:      {}\n  {}\nBeenden mit Strg+C.",
        address,
        args.data_dir.display(),
        credentials_line(&args.data_dir),
        demo_line(demo_logins.as_deref(), &args.data_dir),
    ));

    services.wait().await?;
    say("efa-registry beendet.");
    Ok(())
}

/// The services of one `efa up`, watched together: when one of them ends
/// before the shutdown was asked for (with an error, a panic, or simply
/// ended), the others are stopped through the shared shutdown and waited
/// for, and `wait` fails naming the one that ended, so the process exits
/// non-zero instead of running on without it.
pub struct Supervisor {
    shutdown: efa_runtime::Shutdown,
    tasks: tokio::task::JoinSet<(&'static str, Result<()>)>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Supervisor({} services)", self.tasks.len())
    }
}

impl Supervisor {
    pub fn new(shutdown: efa_runtime::Shutdown) -> Self {
        Self {
            shutdown,
            tasks: tokio::task::JoinSet::new(),
        }
    }

    /// Runs `service` as the one called `name`.
    pub fn spawn<F, E>(&mut self, name: &'static str, service: F)
    where
        F: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error>,
    {
        self.tasks
            .spawn(async move { (name, service.await.map_err(Into::into)) });
    }

    /// Waits for every service; the first failure (or early end) stops
    /// the others and is the result.
    pub async fn wait(mut self) -> Result<()> {
        let mut first: Option<anyhow::Error> = None;
        while let Some(joined) = self.tasks.join_next().await {
            let failure = match joined {
                Ok((_, Ok(()))) if self.shutdown.is_cancelled() => None,
                Ok((name, Ok(()))) => Some(anyhow::anyhow!("{name} hat sich unerwartet beendet")),
                Ok((name, Err(error))) => Some(error.context(format!("{name} ist ausgefallen"))),
                Err(error) => Some(anyhow::anyhow!("ein Dienst ist abgestürzt: {error}")),
            };
            if let Some(failure) = failure {
                if first.is_none() {
                    tracing::error!(error = %format!("{failure:#}"), "a service failed; stopping the others");
                    self.shutdown.cancel();
                    first = Some(failure);
                } else {
                    tracing::warn!(error = %format!("{failure:#}"), "another service failed while stopping");
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// Where the NATS credentials are (none with a `--nats-url` server that
/// was set up without them).
fn credentials_line(data_dir: &Path) -> String {
    let dir = data_dir.join(credential::SECRETS_SUBDIR);
    if dir.is_dir() {
        dir.display().to_string()
    } else {
        "keine (NATS ohne Anmeldung)".to_owned()
    }
}

/// The line about the demo logins: where they are, or how to make a login
/// (naming `data_dir` unless it is the default, so the command given
/// writes where this registry reads).
fn demo_line(demo_logins: Option<&Path>, data_dir: &Path) -> String {
    match demo_logins {
        Some(path) => format!("Demo-Zugänge:      {}", path.display()),
        None => {
            let data_dir_flag = if data_dir == Path::new(crate::cli::DEFAULT_DATA_DIR) {
                String::new()
            } else {
                format!("--data-dir {} ", data_dir.display())
            };
            format!(
                "Zugänge:           keine Demo-Zugänge; ein Token gibt \
                 efa token create {data_dir_flag}--principal admin --name NAME"
            )
        }
    }
}

/// On a fresh data directory: the reference data and, unless declined,
/// the demo scenario, sent as the operator. The reference data is signed
/// with the administration's key; the demo's Länder, municipalities and
/// operator stand for people the gateway would have authenticated, so the
/// gateway's key signs what the operator key may not.
async fn load_seeds(client: &async_nats::Client, data_dir: &Path, demo: bool) -> Result<()> {
    let keys = crate::signers::KeyRing::new(vec![
        (
            crate::signers::operator_key(data_dir)?,
            efa_trust::Scope::parse(crate::signers::OPERATOR_SCOPE)?,
        ),
        (
            crate::signers::gateway_key(data_dir)?,
            efa_trust::Scope::Any,
        ),
    ]);
    let mut seeds = efa_reference::reference_seeds().context("Referenzdaten lesen")?;
    if demo {
        seeds.extend(efa_reference::demo::demo_seeds().context("Demo-Szenario lesen")?);
    }
    let loaded = crate::seed::load(client, &seeds, &keys).await?;
    say(&format!(
        "Referenzdaten{} geladen: {} Ereignisse geschrieben, {} unverändert, {} abgelehnt.",
        if demo { " und Demo" } else { "" },
        loaded.written,
        loaded.unchanged + loaded.existing.len(),
        loaded.rejected
    ));
    Ok(())
}

/// The lock file that says an `efa up` runs on its data directory.
const IN_USE_FILE: &str = "efa-up.lock";

/// Takes the data directory for this process: an exclusive lock on
/// [`IN_USE_FILE`] (the system drops it when the process ends, however it
/// ends), with the process id written into the file for the message of
/// the next one that tries.
fn claim_data_dir(data_dir: &Path) -> Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = data_dir.join(IN_USE_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("{} öffnen", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "Im Datenverzeichnis {} läuft bereits efa up (Prozess {}); ein zweites würde es stören.",
                data_dir.display(),
                holder.trim()
            );
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("{} sperren", path.display()));
        }
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()))
        .with_context(|| format!("{} schreiben", path.display()))?;
    Ok(file)
}

/// How long a nats-server left behind by a killed `efa up` gets to quit
/// (flushing JetStream) before it is killed.
const LEFTOVER_QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts the nats-server child with the configuration `efa nats init`
/// writes: the services' credentials (created on the first start), their
/// permissions, and TLS if asked for.
fn start_nats(args: &UpArgs) -> Result<NatsServerProcess> {
    let binary = nats_server::locate().context("nats-server suchen")?;
    let server_tls = args.nats_server_tls.server_tls();
    let config_file: PathBuf =
        crate::nats_setup::write_server_config(&args.data_dir, server_tls.as_ref())?;
    let nats_dir = args.data_dir.join("nats");
    let pid_file = nats_dir.join("nats-server.pid");
    // A server an earlier `efa up` on this data dir left behind when it
    // was killed holds the port and the JetStream store.
    if let Some(pid) =
        nats_server::stop_leftover(&binary, &pid_file, &config_file, LEFTOVER_QUIT_WAIT)
    {
        tracing::warn!(
            pid,
            "stopped the nats-server an earlier efa up on this data dir had left running"
        );
    }
    let options = ServerOptions {
        port: args.nats_port,
        store_dir: nats_dir.join("jetstream"),
        config_file: Some(config_file),
        log_file: Some(nats_dir.join("nats-server.log")),
        pid_file: Some(pid_file),
    };
    NatsServerProcess::spawn(&binary, &options)
        .with_context(|| format!("{} starten", binary.display()))
}

/// Asks the server to shut down gracefully (it flushes JetStream), and
/// kills it if it has not gone within a few seconds.
fn stop_nats(process: &mut NatsServerProcess) {
    if let Err(error) = process.terminate(std::time::Duration::from_secs(5)) {
        tracing::warn!(%error, "nats-server did not stop gracefully; killed");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// A service that runs until the shutdown and notes that it stopped.
    fn until_shutdown(
        shutdown: &efa_runtime::Shutdown,
        stopped: &Arc<AtomicBool>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let shutdown = shutdown.clone();
        let stopped = stopped.clone();
        async move {
            shutdown.cancelled().await;
            stopped.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn the_token_hint_names_a_data_dir_other_than_the_default() {
        let default = demo_line(None, Path::new(crate::cli::DEFAULT_DATA_DIR));
        assert!(
            default.ends_with("efa token create --principal admin --name NAME"),
            "{default}"
        );
        let elsewhere = demo_line(None, Path::new("/srv/efa"));
        assert!(
            elsewhere
                .ends_with("efa token create --data-dir /srv/efa --principal admin --name NAME"),
            "{elsewhere}"
        );
    }

    #[tokio::test]
    async fn a_failing_service_stops_the_others_and_the_whole() {
        let shutdown = efa_runtime::Shutdown::new();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut services = Supervisor::new(shutdown.clone());
        services.spawn("Ledger", until_shutdown(&shutdown, &stopped));
        services.spawn("Projektor", async {
            Err::<(), _>(anyhow::anyhow!("Sicht nicht lesbar"))
        });
        let error = services.wait().await.unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains("Projektor ist ausgefallen"), "{text}");
        assert!(text.contains("Sicht nicht lesbar"), "{text}");
        assert!(shutdown.is_cancelled());
        assert!(stopped.load(Ordering::SeqCst), "the ledger stopped cleanly");
    }

    #[tokio::test]
    async fn a_service_that_ends_early_or_panics_counts_as_failed() {
        let shutdown = efa_runtime::Shutdown::new();
        let mut services = Supervisor::new(shutdown.clone());
        services.spawn("Gateway", async { Ok::<(), anyhow::Error>(()) });
        let error = services.wait().await.unwrap_err();
        assert!(format!("{error}").contains("Gateway hat sich unerwartet beendet"));

        let shutdown = efa_runtime::Shutdown::new();
        let mut services = Supervisor::new(shutdown.clone());
        services.spawn("Ledger", async {
            if shutdown_never() {
                return Ok::<(), anyhow::Error>(());
            }
            panic!("Absturz");
        });
        assert!(services.wait().await.is_err());
        assert!(shutdown.is_cancelled());
    }

    #[test]
    fn a_data_dir_in_use_is_refused_until_its_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let held = claim_data_dir(dir.path()).unwrap();
        let refused = claim_data_dir(dir.path()).unwrap_err().to_string();
        assert!(refused.contains("läuft bereits efa up"), "{refused}");
        assert!(
            refused.contains(&std::process::id().to_string()),
            "{refused}"
        );
        drop(held);
        claim_data_dir(dir.path()).unwrap();
    }

    fn shutdown_never() -> bool {
        false
    }

    #[tokio::test]
    async fn a_requested_shutdown_ends_without_error() {
        let shutdown = efa_runtime::Shutdown::new();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut services = Supervisor::new(shutdown.clone());
        services.spawn("Ledger", until_shutdown(&shutdown, &stopped));
        services.spawn("Gateway", until_shutdown(&shutdown, &stopped));
        shutdown.cancel();
        services.wait().await.unwrap();
        assert!(stopped.load(Ordering::SeqCst));
    }
}
