//! `efa backup --out DIR`: the ledger's history saved while the registry
//! runs, as the history exports the API serves (`GET
//! /api/v1/ledger/export`), one file per `--events-per-file` events, each
//! named by its range so that the files sort in the order of the log
//! (`historie-0000000001-0000010000.txt`). A later run goes on after the
//! last file (an incremental backup), once it has checked every file
//! already there (a damaged backup is found the night it is damaged, not
//! the day it is needed) and that the registry still holds the backup's
//! last event (a registry set back, or another one, is refused). Each new
//! file is checked against the ledger's public key and as the
//! continuation of the file before before it is written, under its name
//! only once whole and on disk, so DIR only ever holds checked files.
//! `efa restore` makes a ledger of them; `efa verify --export` checks
//! them.

use std::path::{Path, PathBuf};

use efa_proto::Hash;
use efa_trust::{ChainProblem, CheckedExport, PublicKey};

use super::{Client, Failure};

/// The most events one export holds (the API's limit).
const EVENTS_PER_FILE_MAX: u32 = 10_000;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Das Verzeichnis der Sicherung; ein Verzeichnis mit einer früheren
    /// Sicherung wird fortgesetzt.
    #[arg(long)]
    out: PathBuf,
    /// Höchstens so viele Ereignisse je Datei (1 bis 10000).
    #[arg(long, default_value_t = EVENTS_PER_FILE_MAX,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(EVENTS_PER_FILE_MAX)))]
    events_per_file: u32,
    /// Der öffentliche Schlüssel des Ledgers, `<key-id> <hex>` oder eine Datei
    /// damit (etwa `ledger-public-key.txt`), auf anderem Weg erhalten; ohne
    /// Angabe der, den das Register selbst nennt.
    #[arg(long)]
    public_key: Option<String>,
}

/// One file of a backup: its range and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub first: u64,
    pub last: u64,
    pub path: PathBuf,
}

/// The name of the file holding events `first` to `last`.
fn file_name(first: u64, last: u64) -> String {
    format!("historie-{first:010}-{last:010}.txt")
}

/// The backup files in `dir`, in the order of the log (other files are
/// left out).
pub fn parts(dir: &Path) -> std::io::Result<Vec<Part>> {
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let range = name
            .strip_prefix("historie-")
            .and_then(|rest| rest.strip_suffix(".txt"))
            .and_then(|range| range.split_once('-'));
        let Some((first, last)) = range else {
            continue;
        };
        if let (Ok(first), Ok(last)) = (first.parse(), last.parse()) {
            parts.push(Part { first, last, path });
        }
    }
    parts.sort_by_key(|part| part.first);
    Ok(parts)
}

/// The exit codes of `efa backup`.
pub const EXIT_CODES: &str = "\
Exit-Codes:
  0  Erfolg (auch wenn nichts Neues zu sichern war)
  1  die Sicherung oder das Register passt nicht (verändert, lückenhaft, ein anderes
     Register), oder ein anderer Fehler
  2  ungültige Eingabe (etwa ein unlesbarer --public-key)
  3  Anmeldung fehlgeschlagen (HTTP 401: ein mitgesendetes Token ist ungültig)
  4  Register nicht erreichbar (HTTP 503/504, Verbindung abgelehnt, Zeitüberschreitung)";

pub(super) async fn run(client: &Client, args: BackupArgs) -> Result<(), Failure> {
    let named = registry_key(client).await?;
    let key = match &args.public_key {
        Some(given) => crate::verify::read_public_key(given)
            .map_err(|error| Failure::Invalid(format!("{error:#}")))?,
        None => {
            eprintln!(
                "Geprüft mit dem Schlüssel, den das Register nennt: {named} (mit --public-key \
                 einen auf anderem Weg erhaltenen angeben)"
            );
            named.clone()
        }
    };
    if named != key {
        return Err(Failure::Other(format!(
            "Das Register nennt einen anderen Ledger-Schlüssel ({named}) als --public-key \
             ({key}): es ist nicht das Register dieser Sicherung. Nichts gesichert."
        )));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|error| Failure::Other(format!("{} anlegen: {error}", args.out.display())))?;
    let saved = parts(&args.out)
        .map_err(|error| Failure::Other(format!("{} lesen: {error}", args.out.display())))?;
    let (mut last, mut last_hash) = check_all(&saved, &key, |_| {})
        .map_err(|why| Failure::Other(format!("{why} Nichts gesichert.")))?;
    if last > 0 {
        still_holds(client, &key, last, last_hash).await?;
    }
    let mut written = 0;
    loop {
        let query = [
            ("from_seq", (last + 1).to_string()),
            ("limit", args.events_per_file.to_string()),
        ];
        let url = client.url(&["ledger", "export"], &query);
        let Some(answer) = client.api.find(url).await? else {
            break;
        };
        let what = format!("ab Sequenz {}", last + 1);
        let checked = efa_trust::read_export(&answer.body, &key)
            .map_err(|broken| Failure::Other(crate::verify::export_break_de(&what, &broken)))?;
        let report = &checked.report;
        if report.first_seq != last + 1 || report.prev_hash != last_hash {
            return Err(Failure::Other(format!(
                "Die Historie des Registers ab Sequenz {} schließt nicht an die Sicherung an \
                 (sie endet bei {last}): ein zurückgesetztes oder ein anderes Register.",
                report.first_seq
            )));
        }
        let path = args.out.join(file_name(report.first_seq, report.last_seq));
        efa_runtime::durable_file::replace(&path, answer.body.as_bytes())
            .map_err(|error| Failure::Other(format!("{} schreiben: {error}", path.display())))?;
        crate::out::say(&format!(
            "{}: Ereignisse {} bis {}",
            path.display(),
            report.first_seq,
            report.last_seq
        ));
        (last, last_hash) = (report.last_seq, checked.checkpoint.hash);
        written += 1;
    }
    let files = match written {
        1 => "1 neue Datei".to_owned(),
        n => format!("{n} neue Dateien"),
    };
    crate::out::say(&format!(
        "Gesichert: {files}; {} hält die Historie bis Sequenz {last} (Kettenhash {}).",
        args.out.display(),
        hex::encode(last_hash)
    ));
    Ok(())
}

/// The ledger's public key as the registry names it.
async fn registry_key(client: &Client) -> Result<PublicKey, Failure> {
    let answer = client
        .api
        .get(client.url(&["ledger", "checkpoint"], &[]))
        .await?;
    let json = answer.json()?;
    let line = json["public_key_line"].as_str().unwrap_or_default();
    PublicKey::parse(line).map_err(|error| {
        Failure::Other(format!(
            "Der Schlüssel des Ledgers ist nicht lesbar: {error}"
        ))
    })
}

/// Refuses a registry that does not hold the backup's last event as the
/// backup has it: one set back (restored from an older state, its later
/// events written anew) or another registry signing with the same key.
async fn still_holds(
    client: &Client,
    key: &PublicKey,
    last: u64,
    hash: Hash,
) -> Result<(), Failure> {
    let query = [("from_seq", last.to_string()), ("limit", "1".to_owned())];
    let answer = client
        .api
        .find(client.url(&["ledger", "export"], &query))
        .await?;
    let held = answer
        .and_then(|answer| efa_trust::read_export(&answer.body, key).ok())
        .map(|checked| checked.checkpoint.hash);
    if held == Some(hash) {
        return Ok(());
    }
    Err(Failure::Other(format!(
        "Das Register hält das letzte Ereignis der Sicherung ({last}) nicht so, wie die \
         Sicherung es hat: ein zurückgesetztes oder ein anderes Register. Nichts gesichert."
    )))
}

/// Checks every file of a backup (`parts`, in order): against `key`, its
/// range as its name says, each the continuation of the one before from
/// event 1 on; `on_part` sees each checked file. Where the backup ends
/// (0 and zeros for an empty one), or what is wrong, in German.
pub fn check_all(
    parts: &[Part],
    key: &PublicKey,
    mut on_part: impl FnMut(&CheckedExport),
) -> Result<(u64, Hash), String> {
    let mut end = (0, [0; 32]);
    for part in parts {
        let checked = read_part(part, key)?;
        end = follows(part, &checked, end)?;
        on_part(&checked);
    }
    Ok(end)
}

/// One file of a backup, read and checked against `key`.
pub fn read_part(part: &Part, key: &PublicKey) -> Result<CheckedExport, String> {
    let what = part.path.display().to_string();
    let text =
        std::fs::read_to_string(&part.path).map_err(|error| format!("{what} lesen: {error}."))?;
    let checked = efa_trust::read_export(&text, key).map_err(|broken| match broken.problem {
        ChainProblem::BadSignature { .. } => format!(
            "{what} ist mit einem anderen Ledger-Schlüssel signiert als dem, gegen den geprüft \
             wird ({key}), oder verändert: die Sicherung eines anderen Registers?"
        ),
        _ => format!("{}.", crate::verify::export_break_de(&what, &broken)),
    })?;
    let report = &checked.report;
    if (report.first_seq, report.last_seq) != (part.first, part.last) {
        return Err(format!(
            "{what} hält die Ereignisse {} bis {}, nicht die, die ihr Name sagt.",
            report.first_seq, report.last_seq
        ));
    }
    Ok(checked)
}

/// Where the backup ends after `checked`, which must go on from `end`.
fn follows(part: &Part, checked: &CheckedExport, end: (u64, Hash)) -> Result<(u64, Hash), String> {
    let report = &checked.report;
    let what = part.path.display();
    if report.first_seq > end.0 + 1 {
        return Err(format!(
            "Der Sicherung fehlen die Ereignisse {} bis {} (vor {what}).",
            end.0 + 1,
            report.first_seq - 1
        ));
    }
    if report.first_seq != end.0 + 1 {
        return Err(format!(
            "{what} überschneidet sich mit der Datei davor, die bis Ereignis {} reicht.",
            end.0
        ));
    }
    if report.prev_hash != end.1 {
        return Err(format!(
            "{what} schließt nicht an die Datei davor an: ihre Ereignisse gehören zu einer \
             anderen Historie."
        ));
    }
    Ok((report.last_seq, checked.checkpoint.hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_and_found_in_the_order_of_the_log() {
        let dir = tempfile::tempdir().unwrap();
        for (first, last) in [(10_001, 20_000), (1, 10_000), (20_001, 20_005)] {
            std::fs::write(dir.path().join(file_name(first, last)), "").unwrap();
        }
        std::fs::write(dir.path().join("notizen.txt"), "").unwrap();
        std::fs::write(dir.path().join("historie-x-y.txt"), "").unwrap();
        let found: Vec<(u64, u64)> = parts(dir.path())
            .unwrap()
            .iter()
            .map(|part| (part.first, part.last))
            .collect();
        assert_eq!(found, [(1, 10_000), (10_001, 20_000), (20_001, 20_005)]);
        assert_eq!(file_name(1, 10_000), "historie-0000000001-0000010000.txt");
    }
}
