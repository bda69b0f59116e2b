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
    std::fs::create_dir_all(&args.data_dir).context("create the data directory")?;
    crate::tokens::close_open_secret_files(&args.data_dir)?;
    // The signers the ledger trusts exist before it starts.
    crate::signers::gateway_key(&args.data_dir)?;
    crate::signers::operator_key(&args.data_dir)?;
    let (nats_url, mut nats_process) = match &args.nats_url {
        Some(url) => (url.clone(), None),
        None => {
            let process = start_nats(&args)?;
            (process.url(), Some(process))
        }
    };
    let shutdown = shutdown_on_signal();
    let result = run_services(&args, &nats_url, shutdown).await;
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
        .with_context(|| format!("read the NATS credential of the {role}"))?;
    let tls = match &args.nats_tls_ca {
        Some(ca) => Some(ClientTls::new(ca.clone(), None).context("read the NATS TLS files")?),
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
    shutdown: efa_runtime::Shutdown,
) -> Result<()> {
    let ledger_nats = connect(args, nats_url, Role::Ledger).await?;
    let projector_nats = connect(args, nats_url, Role::Projector).await?;
    let gateway_nats = connect(args, nats_url, Role::Gateway).await?;

    let ledger = efa_ledger::Ledger::start(
        efa_ledger::LedgerConfig {
            data_dir: args.data_dir.clone(),
        },
        ledger_nats,
    )
    .await
    .context("start the ledger")?;
    let fresh = *ledger.head().borrow() == 0;
    // The demo logins exist only where the demo is loaded.
    let demo_logins = if fresh && !args.no_demo {
        crate::tokens::ensure_demo_tokens(&args.data_dir)?
    } else {
        crate::tokens::existing_demo_logins(&args.data_dir)?
    };
    let projector =
        efa_projector::Projector::start(projector_config(args.data_dir.clone()), projector_nats)
            .await
            .context("start the projector")?;
    let gateway =
        efa_gateway::Gateway::bind(gateway_config(&args.data_dir, args.http)?, gateway_nats)
            .await
            .context("start the gateway")?
            .with_session_key(session_key(&args.data_dir)?)
            .with_rate_limit(args.api_rate_limit, std::time::Duration::from_secs(10))
            .with_token_file(crate::tokens::table_path(&args.data_dir))
            .with_signing_key(crate::signers::gateway_key(&args.data_dir)?);
    let address = gateway.local_addr();

    let ledger_task = tokio::spawn(ledger.run(shutdown.clone()));
    let projector_task = tokio::spawn(projector.run(shutdown.clone()));
    let gateway_task = tokio::spawn(gateway.run(shutdown.clone()));
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
        demo_line(demo_logins.as_deref()),
    ));

    let (ledger, projector, gateway) = tokio::join!(ledger_task, projector_task, gateway_task);
    ledger.context("ledger task")?.context("ledger")?;
    projector.context("projector task")?.context("projector")?;
    gateway.context("gateway task")?.context("gateway")?;
    say("efa-registry beendet.");
    Ok(())
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

/// The line about the demo logins: where they are, or how to make a login.
fn demo_line(demo_logins: Option<&Path>) -> String {
    match demo_logins {
        Some(path) => format!("Demo-Zugänge:      {}", path.display()),
        None => "Zugänge:           keine Demo-Zugänge; ein Token gibt \
                 efa token create --principal admin --name NAME"
            .to_owned(),
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
    let mut seeds = efa_reference::reference_seeds().context("read the reference data")?;
    if demo {
        seeds.extend(efa_reference::demo::demo_seeds().context("read the demo scenario")?);
    }
    let loaded = crate::seed::load(client, &seeds, &keys).await?;
    say(&format!(
        "Referenzdaten{} geladen: {} Ereignisse geschrieben, {} unverändert, {} abgelehnt.",
        if demo { " und Demo" } else { "" },
        loaded.written,
        loaded.unchanged,
        loaded.rejected
    ));
    Ok(())
}

/// Starts the nats-server child with the configuration `efa nats init`
/// writes: the services' credentials (created on the first start), their
/// permissions, and TLS if asked for.
fn start_nats(args: &UpArgs) -> Result<NatsServerProcess> {
    let binary = nats_server::locate().context("find nats-server")?;
    let server_tls = args.nats_server_tls.server_tls();
    let config_file: PathBuf =
        crate::nats_setup::write_server_config(&args.data_dir, server_tls.as_ref())?;
    let nats_dir = args.data_dir.join("nats");
    let options = ServerOptions {
        port: args.nats_port,
        store_dir: nats_dir.join("jetstream"),
        config_file: Some(config_file),
        log_file: Some(nats_dir.join("nats-server.log")),
    };
    NatsServerProcess::spawn(&binary, &options)
        .with_context(|| format!("start {}", binary.display()))
}

/// Asks the server to shut down gracefully (it flushes JetStream), and
/// kills it if it has not gone within a few seconds.
fn stop_nats(process: &mut NatsServerProcess) {
    if let Err(error) = process.terminate(std::time::Duration::from_secs(5)) {
        tracing::warn!(%error, "nats-server did not stop gracefully; killed");
    }
}
