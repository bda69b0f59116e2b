//! `efa backup --out DIR`: the ledger's history saved while the registry
//! runs, as the history exports the API serves (`GET
//! /api/v1/ledger/export`), one file per `--events-per-file` events, each
//! named by its range so that the files sort in the order of the log
//! (`historie-0000000001-0000010000.txt`). A later run goes on after the
//! last file (an incremental backup). Each file is checked against the
//! ledger's public key and as the continuation of the file before before
//! it is written, under its name only once whole and on disk, so DIR
//! only ever holds checked files. `efa restore` makes a ledger of them;
//! `efa verify --export` checks them.

use std::path::{Path, PathBuf};

use efa_proto::Hash;
use efa_trust::PublicKey;

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

pub(super) async fn run(client: &Client, args: BackupArgs) -> Result<(), Failure> {
    let key = match &args.public_key {
        Some(given) => crate::verify::read_public_key(given)
            .map_err(|error| Failure::Invalid(format!("{error:#}")))?,
        None => registry_key(client).await?,
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|error| Failure::Other(format!("{} anlegen: {error}", args.out.display())))?;
    let (mut last, mut last_hash) = saved_until(&args.out, &key)?;
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
                "Die Historie ab Sequenz {} schließt nicht an die Sicherung an (sie endet bei {last}).",
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
    crate::out::say(&format!(
        "Gesichert: {written} neue Datei(en); {} hält die Historie bis Sequenz {last} \
         (Kettenhash {}).",
        args.out.display(),
        hex::encode(last_hash)
    ));
    Ok(())
}

/// The ledger's public key as the registry names it, said on stderr so
/// that it can be compared with one kept from elsewhere.
async fn registry_key(client: &Client) -> Result<PublicKey, Failure> {
    let answer = client
        .api
        .get(client.url(&["ledger", "checkpoint"], &[]))
        .await?;
    let json = answer.json()?;
    let line = json["public_key_line"].as_str().unwrap_or_default();
    let key = PublicKey::parse(line).map_err(|error| {
        Failure::Other(format!(
            "Der Schlüssel des Ledgers ist nicht lesbar: {error}"
        ))
    })?;
    eprintln!(
        "Geprüft mit dem Schlüssel, den das Register nennt: {line} (mit --public-key einen \
         auf anderem Weg erhaltenen angeben)"
    );
    Ok(key)
}

/// Where the backup in `dir` ends: the last file's last sequence and
/// chain hash, that file checked (0 and zeros for an empty one).
fn saved_until(dir: &Path, key: &PublicKey) -> Result<(u64, Hash), Failure> {
    let parts =
        parts(dir).map_err(|error| Failure::Other(format!("{} lesen: {error}", dir.display())))?;
    let Some(part) = parts.last() else {
        return Ok((0, [0; 32]));
    };
    let text = std::fs::read_to_string(&part.path)
        .map_err(|error| Failure::Other(format!("{} lesen: {error}", part.path.display())))?;
    let what = part.path.display().to_string();
    let checked = efa_trust::read_export(&text, key)
        .map_err(|broken| Failure::Other(crate::verify::export_break_de(&what, &broken)))?;
    Ok((checked.report.last_seq, checked.checkpoint.hash))
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
