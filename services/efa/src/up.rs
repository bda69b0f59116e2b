//! `efa up`: the whole registry on one machine, in one process. Starts a
//! nats-server child (unless `--nats-url` names a running one), then the
//! ledger, the projector and the gateway, and stops them all, the child
//! last, on Ctrl-C or SIGTERM.

use std::path::Path;

use anyhow::{Context, Result};
use efa_runtime::nats_server::{self, NatsServerProcess, ServerOptions};

use crate::cli::{UpArgs, gateway_config, projector_config, session_key, shutdown_on_signal};
use crate::out::say;

const NATS_CONFIG: &str = include_str!("../../../ops/nats/nats.conf");

pub async fn run(args: UpArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data_dir).context("create the data directory")?;
    // The signers the ledger trusts exist before it starts.
    crate::signers::gateway_key(&args.data_dir)?;
    crate::signers::operator_key(&args.data_dir)?;
    let (nats_url, mut nats_process) = match &args.nats_url {
        Some(url) => (url.clone(), None),
        None => {
            let process = start_nats(&args.data_dir, args.nats_port)?;
            (process.url(), Some(process))
        }
    };
    let demo_logins = crate::tokens::ensure_demo_tokens(&args.data_dir)?;
    let shutdown = shutdown_on_signal();
    let result = run_services(&args, &nats_url, &demo_logins, shutdown).await;
    if let Some(process) = nats_process.as_mut() {
        stop_nats(process);
    }
    result
}

async fn run_services(
    args: &UpArgs,
    nats_url: &str,
    demo_logins: &Path,
    shutdown: efa_runtime::Shutdown,
) -> Result<()> {
    let ledger_nats = efa_runtime::connect(nats_url, "efa-ledger").await?;
    let projector_nats = efa_runtime::connect(nats_url, "efa-projector").await?;
    let gateway_nats = efa_runtime::connect(nats_url, "efa-gateway").await?;

    let ledger = efa_ledger::Ledger::start(
        efa_ledger::LedgerConfig {
            data_dir: args.data_dir.clone(),
        },
        ledger_nats,
    )
    .await
    .context("start the ledger")?;
    let projector =
        efa_projector::Projector::start(projector_config(args.data_dir.clone()), projector_nats)
            .await
            .context("start the projector")?;
    let gateway =
        efa_gateway::Gateway::bind(gateway_config(&args.data_dir, args.http)?, gateway_nats)
            .await
            .context("start the gateway")?
            .with_session_key(session_key(&args.data_dir)?)
            .with_token_file(crate::tokens::table_path(&args.data_dir))
            .with_signing_key(crate::signers::gateway_key(&args.data_dir)?);
    let fresh = *ledger.head().borrow() == 0;
    let address = gateway.local_addr();

    let ledger_task = tokio::spawn(ledger.run(shutdown.clone()));
    let projector_task = tokio::spawn(projector.run(shutdown.clone()));
    let gateway_task = tokio::spawn(gateway.run(shutdown.clone()));
    if fresh {
        load_seeds(&args.data_dir, nats_url, !args.no_demo).await?;
    }

    say(&format!(
        "efa-registry läuft.\n  Dashboard und API: http://{}/\n  NATS:              {nats_url}\n  \
         Daten:             {}\n  Demo-Zugänge:      {}\nBeenden mit Strg+C.",
        address,
        args.data_dir.display(),
        demo_logins.display()
    ));

    let (ledger, projector, gateway) = tokio::join!(ledger_task, projector_task, gateway_task);
    ledger.context("ledger task")?.context("ledger")?;
    projector.context("projector task")?.context("projector")?;
    gateway.context("gateway task")?.context("gateway")?;
    say("efa-registry beendet.");
    Ok(())
}

/// On a fresh data directory: the reference data and, unless declined,
/// the demo scenario. The reference data is signed with the
/// administration's key; the demo's Länder, municipalities and operator
/// stand for people the gateway would have authenticated, so the gateway's
/// key signs what the operator key may not.
async fn load_seeds(data_dir: &Path, nats_url: &str, demo: bool) -> Result<()> {
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
    let client = efa_runtime::connect(nats_url, "efa-seed").await?;
    let mut seeds = efa_reference::reference_seeds().context("read the reference data")?;
    if demo {
        seeds.extend(efa_reference::demo::demo_seeds().context("read the demo scenario")?);
    }
    let loaded = crate::seed::load(&client, &seeds, &keys).await?;
    say(&format!(
        "Referenzdaten{} geladen: {} Ereignisse geschrieben, {} unverändert, {} abgelehnt.",
        if demo { " und Demo" } else { "" },
        loaded.written,
        loaded.unchanged,
        loaded.rejected
    ));
    Ok(())
}

fn start_nats(data_dir: &Path, port: u16) -> Result<NatsServerProcess> {
    let binary = nats_server::locate().context("find nats-server")?;
    let nats_dir = data_dir.join("nats");
    std::fs::create_dir_all(&nats_dir).context("create the NATS data directory")?;
    let config_file = nats_dir.join("nats.conf");
    std::fs::write(&config_file, NATS_CONFIG).context("write the NATS config")?;
    let options = ServerOptions {
        port,
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
