//! `efa restore --from DIR --data-dir DATA`: a ledger made again from the
//! files `efa backup` wrote, into a data dir that holds the ledger's key
//! (restored from where the secrets are kept) but no events. Every file
//! is checked first, against the data dir's ledger key and as the
//! continuation of the file before, and only then is anything written;
//! then `efa up` starts on the data dir, relays the events into a new
//! event stream and fills the views from them.

use std::path::Path;

use anyhow::{Context, Result, bail};
use efa_ledger::restore::{self, RestoreError};

use crate::client::backup::{check_all, parts, read_part};

pub fn run(from: &Path, data_dir: &Path) -> Result<()> {
    if !from.is_dir() {
        bail!(
            "Das Verzeichnis der Sicherung {} gibt es nicht (--from).",
            from.display()
        );
    }
    let parts = parts(from).with_context(|| format!("{} lesen", from.display()))?;
    if parts.is_empty() {
        bail!(
            "{} hält keine Sicherung (Dateien historie-…-….txt von `efa backup`)",
            from.display()
        );
    }
    let key = restore::ledger_public_key(data_dir).map_err(german)?;
    let witness = restore::witness(data_dir);
    let mut witnessed_hash = None;
    let (last, last_hash) = check_all(&parts, &key, |checked| {
        if let Some(witness) = &witness {
            witnessed_hash = witnessed_hash.or(checked.report.hash_of(witness.seq).copied());
        }
    })
    .map_err(|why| anyhow::anyhow!("{why} Nichts wiederhergestellt."))?;
    crate::out::say(&format!(
        "{} Dateien geprüft: Ereignisse 1 bis {last}, Kettenhash {}",
        parts.len(),
        hex::encode(last_hash)
    ));
    if let Some(witness) = &witness {
        restore::set_witness_aside(data_dir, witness, last, witnessed_hash).map_err(german)?;
    }
    let mut failed = None;
    let written = parts.iter().map_while(|part| match read_part(part, &key) {
        Ok(checked) => Some(checked),
        Err(why) => {
            failed = Some(why);
            None
        }
    });
    let head = restore::restore(data_dir, written, |head| {
        crate::out::say(&format!(
            "Wiederhergestellt bis Sequenz {} von {last}",
            head.seq
        ));
    })
    .map_err(german)?;
    if let Some(why) = failed {
        bail!(
            "{why} Die Datei hat sich seit ihrer Prüfung geändert; der Ledger ist nur bis \
             Sequenz {} wiederhergestellt.",
            head.seq
        );
    }
    crate::out::say(&format!(
        "Der Ledger in {} hält die Historie bis Sequenz {} (Kettenhash {}). `efa up` startet \
         darauf und füllt die Ansichten aus ihm.",
        data_dir.display(),
        head.seq,
        hex::encode(head.hash)
    ));
    Ok(())
}

/// A refused restore said in German.
fn german(error: RestoreError) -> anyhow::Error {
    let message = match &error {
        RestoreError::NoKey { path } => format!(
            "Das Datenverzeichnis hat keinen Schlüssel des Ledgers ({}): ein Ledger wird mit dem \
             Schlüssel wiederhergestellt, mit dem er signiert hat. Legen Sie das Verzeichnis \
             secrets/ aus seiner Aufbewahrung zurück.",
            path.display()
        ),
        RestoreError::NotEmpty { events } => format!(
            "Der Ledger des Datenverzeichnisses hält schon {events} Ereignisse; wiederhergestellt \
             wird nur in einen leeren."
        ),
        RestoreError::Empty => "Die Sicherung hält keine Ereignisse.".to_owned(),
        RestoreError::BehindWitness { witnessed, last } => format!(
            "Der festgehaltene Kopf des Ledgers (ledger-head.txt im Datenverzeichnis) nennt \
             Ereignis {witnessed}, die Sicherung endet bei {last}: die Ereignisse danach waren bestätigt und gingen \
             verloren. Ist der Stand der Sicherung gewollt, entfernen Sie ledger-head.txt."
        ),
        RestoreError::OtherHistory { seq } => format!(
            "Der festgehaltene Kopf des Ledgers (ledger-head.txt im Datenverzeichnis) nennt \
             Ereignis {seq} mit einem anderen Hash als die Sicherung: sie ist die Historie eines anderen Ledgers."
        ),
        _ => return anyhow::Error::new(error).context("Wiederherstellung abgebrochen"),
    };
    anyhow::anyhow!(message)
}
