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
use efa_proto::Hash;
use efa_trust::{CheckedExport, PublicKey};

use crate::client::backup::{Part, parts};

pub fn run(from: &Path, data_dir: &Path) -> Result<()> {
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
    let mut end = (0, [0; 32]);
    for part in &parts {
        let checked = read(part, &key)?;
        end = follows(part, &checked, end)?;
        if let Some(witness) = &witness {
            witnessed_hash = witnessed_hash.or(checked.report.hash_of(witness.seq).copied());
        }
    }
    let (last, last_hash) = end;
    crate::out::say(&format!(
        "{} Dateien geprüft: Ereignisse 1 bis {last}, Kettenhash {}",
        parts.len(),
        hex::encode(last_hash)
    ));
    if let Some(witness) = &witness {
        restore::set_witness_aside(data_dir, witness, last, witnessed_hash).map_err(german)?;
    }
    let checked = parts.iter().map(|part| read(part, &key));
    let mut failed = None;
    let written = checked.map_while(|checked| match checked {
        Ok(checked) => Some(checked),
        Err(error) => {
            failed = Some(error);
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
    if let Some(error) = failed {
        return Err(error.context("eine Datei der Sicherung hat sich seit ihrer Prüfung geändert"));
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

/// One file of the backup, read and checked against `key`.
fn read(part: &Part, key: &PublicKey) -> Result<CheckedExport> {
    let text = std::fs::read_to_string(&part.path)
        .with_context(|| format!("{} lesen", part.path.display()))?;
    let checked = efa_trust::read_export(&text, key).map_err(|broken| {
        anyhow::anyhow!(crate::verify::export_break_de(
            &part.path.display().to_string(),
            &broken
        ))
    })?;
    let report = &checked.report;
    if (report.first_seq, report.last_seq) != (part.first, part.last) {
        bail!(
            "{} hält die Ereignisse {} bis {}, nicht die, die ihr Name sagt",
            part.path.display(),
            report.first_seq,
            report.last_seq
        );
    }
    Ok(checked)
}

/// Where the backup ends after `checked`, which must go on from `end`.
fn follows(part: &Part, checked: &CheckedExport, end: (u64, Hash)) -> Result<(u64, Hash)> {
    let report = &checked.report;
    if report.first_seq != end.0 + 1 || report.prev_hash != end.1 {
        bail!(
            "{} schließt nicht an: die Sicherung endet davor bei Ereignis {}{}",
            part.path.display(),
            end.0,
            if end.0 == 0 {
                " (es fehlt der Anfang)"
            } else {
                ""
            }
        );
    }
    Ok((report.last_seq, checked.checkpoint.hash))
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
            "Der Kopf-Zeuge des Datenverzeichnisses (ledger-head.txt) nennt Ereignis {witnessed}, \
             die Sicherung endet bei {last}: die Ereignisse danach waren bestätigt und gingen \
             verloren. Ist der Stand der Sicherung gewollt, entfernen Sie ledger-head.txt."
        ),
        RestoreError::OtherHistory { seq } => format!(
            "Der Kopf-Zeuge des Datenverzeichnisses (ledger-head.txt) nennt Ereignis {seq} mit \
             einem anderen Hash als die Sicherung: sie ist die Historie eines anderen Ledgers."
        ),
        _ => return anyhow::Error::new(error).context("Wiederherstellung abgebrochen"),
    };
    anyhow::anyhow!(message)
}
