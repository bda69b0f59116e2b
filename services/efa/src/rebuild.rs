//! `efa rebuild`: asks a running projector to rebuild its views from the
//! ledger into a new store version and to swap it in while it keeps
//! answering queries, and tells the user in German how that went. With
//! several replicas, one of them (the queue group's choice) rebuilds.

use std::time::Duration;

use anyhow::{Result, bail};
use efa_proto::{RebuildReply, RebuildRequest, Rejection, subjects};
use efa_runtime::RpcError;

use crate::nats_access::OperatorArgs;
use crate::out::say;

/// A rebuild reads the whole ledger; this bounds the wait for it.
const REBUILD_TIMEOUT: Duration = Duration::from_secs(600);

pub async fn run(connection: &OperatorArgs) -> Result<()> {
    let client = connection.connect("efa-rebuild").await?;
    say("Neuberechnung der Ansichten angefordert; das kann einige Minuten dauern …");
    let reply: RebuildReply = efa_runtime::request(
        &client,
        subjects::PROJECTOR_REBUILD,
        &RebuildRequest {},
        REBUILD_TIMEOUT,
    )
    .await
    .map_err(explain)?;
    match reply {
        RebuildReply::Done {
            version,
            seq,
            content_hash,
        } => {
            say(&format!(
                "Ansichten neu berechnet und in Betrieb: Version {version}, Stand Sequenz {seq}, \
                 Inhalts-Prüfsumme {content_hash}"
            ));
            Ok(())
        }
        RebuildReply::Rejected(rejection) => {
            bail!("Neuberechnung abgelehnt: {}", german(&rejection))
        }
    }
}

fn explain(error: RpcError) -> anyhow::Error {
    let text = match &error {
        RpcError::NoResponders { .. } => "kein Projektor erreichbar".to_owned(),
        RpcError::TimedOut { timeout_ms, .. } => {
            format!("keine Antwort des Projektors nach {} s", timeout_ms / 1000)
        }
        _ => "Anfrage an den Projektor fehlgeschlagen".to_owned(),
    };
    anyhow::Error::new(error).context(text)
}

/// The rejection as a German sentence; the reasons the projector gives are
/// German already.
fn german(rejection: &Rejection) -> String {
    match rejection {
        Rejection::Unavailable { reason } | Rejection::InvalidState { reason } => reason.clone(),
        Rejection::Malformed { reason } => format!("Anfrage nicht lesbar ({reason})"),
        Rejection::UnsupportedSchema { got, supported } => {
            format!("Schema-Version {got} wird nicht unterstützt (unterstützt: {supported})")
        }
        other => other.to_string(),
    }
}
