//! `efa rebuild`: asks a running projector to rebuild its views from the
//! ledger into a new store version and to swap it in while it keeps
//! answering queries, and tells the user in German how that went. With
//! several replicas, one of them (the queue group's choice) rebuilds.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use efa_api::de::thousands;
use efa_proto::{RebuildProgress, RebuildReply, RebuildRequest, subjects};
use efa_runtime::RpcError;
use futures::StreamExt;

use crate::nats_access::OperatorArgs;
use crate::out::say;

/// A rebuild reads the whole ledger: at 10 million events several
/// minutes on a quiet machine, more under load; the progress lines show
/// that it goes on, and Ctrl-C ends the wait (not the rebuild).
const REBUILD_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

pub async fn run(connection: &OperatorArgs) -> Result<()> {
    let client = connection.connect("efa-rebuild").await?;
    // Subscribed before asking, so that no progress line is missed.
    let mut progress = client
        .subscribe(subjects::PROJECTOR_REBUILD_PROGRESS)
        .await
        .context("Fortschritt der Neuberechnung abonnieren")?;
    say("Neuberechnung der Ansichten angefordert; das kann einige Minuten dauern …");
    let request = efa_runtime::request::<_, RebuildReply>(
        &client,
        subjects::PROJECTOR_REBUILD,
        &RebuildRequest {},
        REBUILD_TIMEOUT,
    );
    tokio::pin!(request);
    let reply = loop {
        tokio::select! {
            reply = &mut request => break reply.map_err(explain)?,
            Some(message) = progress.next() => {
                if let Ok(line) = efa_proto::decode::<RebuildProgress>(&message.payload) {
                    say(&progress_line(&line));
                }
            }
        }
    };
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
            bail!("Neuberechnung abgelehnt: {}", rejection.message_de())
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

/// One progress line in German, e.g. "Version 2: 1.234.567 von
/// 10.000.003 Ereignissen, 95.000 je Sekunde, noch etwa 1 min 32 s".
fn progress_line(progress: &RebuildProgress) -> String {
    let left = progress.seconds_left;
    let left = if left >= 60 {
        format!("{} min {} s", left / 60, left % 60)
    } else {
        format!("{left} s")
    };
    format!(
        "Version {}: {} von {} Ereignissen, {} je Sekunde, noch etwa {left}",
        progress.version,
        thousands(progress.applied),
        thousands(progress.target),
        thousands(progress.events_per_second),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_german() {
        let line = progress_line(&RebuildProgress {
            version: 2,
            applied: 1_234_567,
            target: 10_000_003,
            events_per_second: 95_000,
            seconds_left: 92,
        });
        assert_eq!(
            line,
            "Version 2: 1.234.567 von 10.000.003 Ereignissen, 95.000 je Sekunde, noch etwa 1 min 32 s"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1.000");
    }
}
