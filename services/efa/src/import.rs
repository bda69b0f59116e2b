//! `efa import gv100ad FILE`: loads the official Gemeindeverzeichnis into
//! the registry through the ledger. The whole file is checked first; a file
//! with any bad line, or without municipalities, sends nothing. Retiring or
//! merging the municipalities missing from the file cannot be undone: they
//! are listed, and sent only when asked for (`--aufloesen`). What the registry knows now is read
//! from the ledger's log, the plan is sent with a progress line, and a
//! re-run of the same file sends the same command ids and writes nothing.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use efa_domain::StreamState;
use efa_proto::{Ags, Command, Event, KreisKey, ReadEvents, ReadReply, Rejection, subjects};
use efa_reference::encoding::Encoding;
use efa_reference::gv100ad::{self, Known};

use crate::signers::KeyRing;

/// What the registry knows about Kreise and municipalities, from the log.
/// On a log of millions of events that reading takes a while (28-42 s
/// for 10 million), so it is said, with a progress line on a terminal.
async fn known(client: &async_nats::Client) -> Result<(Vec<KreisKey>, BTreeMap<Ags, Known>)> {
    let mut kreise = Vec::new();
    let mut gemeinden: BTreeMap<Ags, Known> = BTreeMap::new();
    let mut from_seq = 1;
    let mut progress = Progress::new();
    loop {
        let request = ReadEvents {
            from_seq,
            limit: 1000,
        };
        let reply: ReadReply = efa_runtime::request_retrying(
            client,
            subjects::LEDGER_READ,
            &request,
            Duration::from_secs(30),
        )
        .await
        .context("Log des Ledgers lesen")?;
        let page = match reply.into_page() {
            Ok(page) => page,
            Err(rejection) => bail!(
                "der Ledger hat das Lesen abgelehnt: {}",
                rejection.message_de()
            ),
        };
        let Some(last) = page.events.last() else {
            break;
        };
        from_seq = last.record.seq + 1;
        progress.read(last.record.seq, page.head_seq);
        for event in &page.events {
            match &event.record.event {
                Event::KreisRegistered { key, .. } => kreise.push(*key),
                Event::GemeindeRegistered { ags, name, .. } => {
                    gemeinden.insert(
                        *ags,
                        Known {
                            name: name.clone(),
                            active: true,
                        },
                    );
                }
                Event::GemeindeRenamed { ags, name } => {
                    if let Some(known) = gemeinden.get_mut(ags) {
                        known.name = name.clone();
                    }
                }
                Event::GemeindeMerged { ags, .. } | Event::GemeindeRetired { ags } => {
                    if let Some(known) = gemeinden.get_mut(ags) {
                        known.active = false;
                    }
                }
                _ => {}
            }
        }
    }
    progress.done();
    Ok((kreise, gemeinden))
}

/// The progress of reading the log: said once a log is long enough for
/// it to take a while, and on a terminal as a line every two seconds.
struct Progress {
    said: bool,
    terminal: bool,
    last_line: std::time::Instant,
}

impl Progress {
    /// Logs shorter than this are read without a word.
    const EVENTS_TO_SAY: u64 = 100_000;
    const EVERY: Duration = Duration::from_secs(2);

    fn new() -> Self {
        Self {
            said: false,
            terminal: std::io::stderr().is_terminal(),
            last_line: std::time::Instant::now(),
        }
    }

    fn read(&mut self, seq: u64, head: u64) {
        if head < Self::EVENTS_TO_SAY {
            return;
        }
        if !self.said {
            self.said = true;
            eprintln!(
                "Stand des Registers aus dem Log des Ledgers lesen ({} Ereignisse) …",
                efa_api::de::thousands(head)
            );
        }
        if self.terminal && self.last_line.elapsed() >= Self::EVERY {
            self.last_line = std::time::Instant::now();
            eprint!(
                "\rGelesen: {} von {} Ereignissen ({} %)",
                efa_api::de::thousands(seq),
                efa_api::de::thousands(head),
                seq * 100 / head.max(1)
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn done(&self) {
        if self.said && self.terminal {
            eprintln!();
        }
    }
}

/// Reads a mergers file: `AGS;Nachfolge-AGS` per line, after that header.
/// An AGS named twice is refused: which successor is meant?
fn mergers(path: Option<&Path>) -> Result<BTreeMap<Ags, Ags>> {
    let Some(path) = path else {
        return Ok(BTreeMap::new());
    };
    let bytes = std::fs::read(path).with_context(|| format!("{} lesen", path.display()))?;
    let text = text_of(path, bytes)?;
    let records = efa_reference::csv::parse_with_header(&text, ';', &["ags", "nachfolge-ags"])
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    let mut map = BTreeMap::new();
    let mut errors = Vec::new();
    for record in records {
        let ags = |index, column| -> Result<Ags, String> {
            let value = record.field(index, column).map_err(|e| e.reason)?;
            Ags::parse(value.trim()).map_err(|e| efa_reference::tabular::german(&e))
        };
        match (ags(0, "AGS"), ags(1, "Nachfolge-AGS")) {
            (Ok(gone), Ok(successor)) => {
                if map.insert(gone, successor).is_some() {
                    errors.push(record.error(format!("{gone} steht zweimal in der Datei")));
                }
            }
            (Err(reason), _) | (_, Err(reason)) => errors.push(record.error(reason)),
        }
    }
    if !errors.is_empty() {
        for error in &errors {
            eprintln!("{}: {error}", path.display());
        }
        return Err(refused(format!(
            "{}; nichts importiert",
            bad_lines(errors.len())
        )));
    }
    Ok(map)
}

/// Every merger the plan would make must name a successor that the
/// directory still has (not the municipality itself, not one missing
/// from it, not one unknown): an irreversible merger into nothing is
/// refused before anything is sent, in the listing as in the run.
fn check_mergers(
    verzeichnis: &gv100ad::Verzeichnis,
    planned: &[efa_reference::Seed],
    mergers: &BTreeMap<Ags, Ags>,
) -> Result<()> {
    let mut bad = 0;
    for seed in planned {
        if let Command::MergeGemeinde(merge) = &seed.command
            && !verzeichnis.gemeinden.contains_key(&merge.successor)
        {
            bad += 1;
            eprintln!(
                "{}: Nachfolgerin {} steht nicht im Gemeindeverzeichnis",
                merge.ags, merge.successor
            );
        }
    }
    let merged: Vec<Ags> = (planned.iter())
        .filter_map(|seed| match &seed.command {
            Command::MergeGemeinde(merge) => Some(merge.ags),
            _ => None,
        })
        .collect();
    for (gone, successor) in mergers.iter().filter(|(gone, _)| !merged.contains(gone)) {
        eprintln!("Fusionsdatei: {gone} → {successor} nicht verwendet (keine fehlende Gemeinde)");
    }
    if bad > 0 {
        return Err(refused(format!(
            "{bad} Eingliederungen ohne Nachfolgerin; nichts importiert"
        )));
    }
    Ok(())
}

/// What happens to the municipalities a GV100AD file no longer has:
/// retiring or merging them cannot be undone, so it is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removals {
    /// Listed, not sent.
    List,
    /// Sent with the other changes.
    Send,
}

pub async fn gv100ad(
    connection: &crate::nats_access::OperatorArgs,
    file: &Path,
    mergers_file: Option<&Path>,
    removals: Removals,
    signing_key: &Path,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("{} lesen", file.display()))?;
    let verzeichnis = match gv100ad::parse(&gv100ad::decode_text(&bytes)) {
        Ok(verzeichnis) => verzeichnis,
        Err(errors) => {
            for error in &errors {
                eprintln!("{}: {error}", file.display());
            }
            return Err(refused(format!(
                "{}; nichts importiert",
                bad_lines(errors.len())
            )));
        }
    };
    if verzeichnis.gemeinden.is_empty() {
        return Err(refused(format!(
            "{} enthält keine Gemeinden (Satzart 60); nichts importiert",
            file.display()
        )));
    }
    let mergers = mergers(mergers_file)?;
    // Connected first: a refused credential is the first thing to say.
    let client = connection.connect("efa-import").await?;
    let keys = operator_keys(signing_key)?;
    let (kreise, known) = known(&client).await?;
    let planned = gv100ad::plan(&verzeichnis, &kreise, &known, &mergers);
    check_mergers(&verzeichnis, &planned, &mergers)?;
    check_rows(file, &planned)?;
    let (removing, mut seeds): (Vec<_>, Vec<_>) = planned.into_iter().partition(|seed| {
        matches!(
            seed.command,
            Command::RetireGemeinde(_) | Command::MergeGemeinde(_)
        )
    });
    eprintln!(
        "GV100AD {}: {} Kreise, {} Gemeinden; {} Änderungen, {} Gemeinden fehlen in der Datei",
        verzeichnis
            .gebietsstand
            .map(|d| d.to_string())
            .unwrap_or_default(),
        verzeichnis.kreise.len(),
        verzeichnis.gemeinden.len(),
        seeds.len(),
        removing.len()
    );
    for seed in &removing {
        eprintln!("  {}", removal_de(&seed.command, &known));
    }
    // A municipality the registry has dissolved or merged stays so: said,
    // not silently passed over.
    for (ags, (name, _)) in &verzeichnis.gemeinden {
        if known.get(ags).is_some_and(|k| !k.active) {
            eprintln!(
                "  {ags} {name}: im Register aufgelöst oder eingegliedert, steht aber im \
                 Verzeichnis; nicht geändert"
            );
        }
    }
    match removals {
        Removals::Send => seeds.extend(removing),
        Removals::List if removing.is_empty() => {}
        Removals::List => eprintln!(
            "Die {} fehlenden Gemeinden bleiben bestehen; mit --aufloesen werden sie aufgelöst \
             bzw. eingegliedert (nicht rückgängig zu machen).",
            removing.len()
        ),
    }
    send_plan(&client, &seeds, &keys).await
}

/// A line saying what happens to a municipality missing from the file.
fn removal_de(command: &Command, known: &BTreeMap<Ags, Known>) -> String {
    let name = |ags: &Ags| known.get(ags).map_or_else(String::new, |k| k.name.clone());
    match command {
        Command::MergeGemeinde(merge) => format!(
            "{} {}: wird in {} eingegliedert",
            merge.ags,
            name(&merge.ags),
            merge.successor
        ),
        Command::RetireGemeinde(retire) => {
            format!("{} {}: wird aufgelöst", retire.ags, name(&retire.ags))
        }
        other => format!("{other:?}"),
    }
}

/// Which of the registry's own CSV formats a file is in.
#[derive(Debug, Clone, Copy)]
pub enum Tabular {
    Participants,
    AllocationKey,
    Services,
}

/// Imports one of the registry's own CSV files; a file with any bad row
/// sends nothing.
pub async fn tabular(
    connection: &crate::nats_access::OperatorArgs,
    file: &Path,
    kind: Tabular,
    signing_key: &Path,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("{} lesen", file.display()))?;
    let text = text_of(file, bytes)?;
    let parsed = match kind {
        Tabular::Participants => efa_reference::tabular::participants(&text),
        Tabular::AllocationKey => efa_reference::tabular::allocation_key(&text),
        Tabular::Services => efa_reference::tabular::services(&text),
    };
    let seeds = match parsed {
        Ok(seeds) => seeds,
        Err(errors) => {
            for error in &errors {
                eprintln!("{}: {error}", file.display());
            }
            return Err(refused(format!(
                "{}; nichts importiert",
                bad_lines(errors.len())
            )));
        }
    };
    check_rows(file, &seeds)?;
    // Connected first: a refused credential is the first thing to say.
    let client = connection.connect("efa-import").await?;
    let keys = operator_keys(signing_key)?;
    send_plan(&client, &seeds, &keys).await
}

/// A CSV file's text: UTF-8; UTF-16 with its byte-order mark; or else
/// Windows-1252, as spreadsheets in German offices save "CSV" (the
/// encoding is said). A file that is UTF-8 in places and not in others
/// is refused with the first line that is not: reading it as Windows-1252
/// would garble the UTF-8 in it.
pub(crate) fn text_of(file: &Path, bytes: Vec<u8>) -> Result<String> {
    let (text, encoding) = efa_reference::encoding::decode(&bytes);
    match encoding {
        Encoding::Utf8 => {}
        Encoding::Utf16 => eprintln!("{}: als UTF-16 gelesen", file.display()),
        Encoding::Windows1252 => {
            eprintln!("{}: kein UTF-8, als Windows-1252 gelesen", file.display());
        }
        Encoding::Mixed { line } => {
            return Err(refused(format!(
                "{}: Zeile {line} ist kein UTF-8, die Zeilen davor sind es; die Datei mischt \
                 Kodierungen. Bitte als UTF-8 speichern; nichts importiert",
                file.display()
            )));
        }
    }
    Ok(text)
}

/// An import refused for what its file says (bad rows, its header, its
/// encoding, mergers into nothing) or for rows the ledger refused: exit
/// code 2, as the other scripting commands for refused input.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

fn refused(message: String) -> anyhow::Error {
    Refused(message).into()
}

/// "1 fehlerhafte Zeile", "3 fehlerhafte Zeilen".
fn bad_lines(count: usize) -> String {
    match count {
        1 => "1 fehlerhafte Zeile".to_owned(),
        n => format!("{n} fehlerhafte Zeilen"),
    }
}

/// Decides every row's command as the ledger would on a registry that
/// knows nothing yet, so that what a row says wrongly (an empty name, a
/// line break in it, a key that does not add up, a year out of range) is
/// refused with its line before anything is sent: a file with a bad row
/// changes nothing. What depends on the registry (a row that exists
/// already) is the ledger's to say.
fn check_rows(file: &Path, seeds: &[efa_reference::Seed]) -> Result<()> {
    let ctx = efa_domain::Ctx {
        now: efa_ledger::writer::wall_clock(),
    };
    let nothing = efa_domain::Related::new(Vec::new());
    let place = |seed: &efa_reference::Seed| {
        seed.line
            .map_or_else(|| seed.label.clone(), |line| format!("Zeile {line}"))
    };
    let mut bad = 0;
    let mut seen: BTreeMap<efa_proto::StreamId, String> = BTreeMap::new();
    for seed in seeds {
        // Two rows for one thing in one file: which is meant?
        let stream = seed.command.stream();
        if let Some(first) = seen.get(&stream) {
            bad += 1;
            eprintln!(
                "{}: {}: {} steht schon in {first}",
                file.display(),
                place(seed),
                what_de(&stream)
            );
            continue;
        }
        seen.insert(stream, place(seed));
        let decided = efa_domain::decide(&StreamState::Empty, &nothing, &seed.envelope(), &ctx);
        if let Err(Rejection::Invalid { field, reason }) = decided {
            bad += 1;
            eprintln!(
                "{}: {}: Angabe „{field}“ ungültig: {reason}",
                file.display(),
                place(seed)
            );
        }
    }
    if bad > 0 {
        return Err(refused(format!("{}; nichts importiert", bad_lines(bad))));
    }
    Ok(())
}

/// What a row is about, in German.
fn what_de(stream: &efa_proto::StreamId) -> String {
    use efa_proto::StreamId;
    match stream {
        StreamId::Service(id) => format!("Leistung {id}"),
        StreamId::Gemeinde(ags) => format!("Gemeinde {ags}"),
        StreamId::Kreis(key) => format!("Kreis {key}"),
        StreamId::AllocationKey(year) => format!("Verteilungsschlüssel {year}"),
        other => other.dotted_name(),
    }
}

/// Sends the planned commands with a progress line and a summary.
/// The administration's key, which signs every imported command: an
/// import goes through the ledger's signature check like any other write.
fn operator_keys(path: &Path) -> Result<KeyRing> {
    let key = efa_trust::SigningKey::load(path).with_context(|| {
        format!(
            "Signaturschlüssel der Administration {} laden",
            path.display()
        )
    })?;
    KeyRing::operator(key)
}

async fn send_plan(
    client: &async_nats::Client,
    seeds: &[efa_reference::Seed],
    keys: &KeyRing,
) -> Result<()> {
    let mut loaded = crate::seed::Loaded::default();
    let terminal = std::io::stderr().is_terminal();
    for (done, chunk) in seeds.chunks(100).enumerate() {
        let part = crate::seed::load(client, chunk, keys).await?;
        loaded.written += part.written;
        loaded.unchanged += part.unchanged;
        loaded.existing.extend(part.existing);
        loaded.rejected += part.rejected;
        loaded.refusals.extend(part.refusals);
        let sent = (done * 100 + chunk.len()).min(seeds.len());
        // A progress line where a person watches; a log gets the summary.
        if terminal {
            eprint!(
                "\rImport: {sent}/{} ({} %)",
                seeds.len(),
                sent * 100 / seeds.len().max(1)
            );
            let _ = std::io::stderr().flush();
        }
    }
    if terminal {
        eprintln!();
    }
    let line = |refusal: &crate::seed::Refusal| {
        refusal
            .line
            .map_or_else(|| refusal.label.clone(), |line| format!("Zeile {line}"))
    };
    for existing in &loaded.existing {
        eprintln!(
            "{}: bereits vorhanden, nicht geändert ({})",
            line(existing),
            existing.rejection
        );
    }
    for refusal in &loaded.refusals {
        eprintln!("{}: abgelehnt: {}", line(refusal), refusal.rejection);
    }
    crate::out::say(&format!(
        "Import abgeschlossen: {} geschrieben, {} unverändert, {} bereits vorhanden, {} abgelehnt.",
        loaded.written,
        loaded.unchanged,
        loaded.existing.len(),
        loaded.rejected
    ));
    if loaded.rejected > 0 {
        return Err(refused(format!(
            "{} Änderungen wurden vom Ledger abgelehnt",
            loaded.rejected
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_in_the_encoding_it_says_or_is_written_in() {
        let path = Path::new("test.csv");
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Köln".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(text_of(path, utf16).unwrap(), "Köln");
        assert_eq!(text_of(path, b"K\xf6ln".to_vec()).unwrap(), "Köln");
        assert_eq!(text_of(path, "Köln".as_bytes().to_vec()).unwrap(), "Köln");
        let mixed = ["Köln\n".as_bytes(), b"M\xfcnchen\n"].concat();
        let refused = text_of(path, mixed).unwrap_err().to_string();
        assert!(refused.contains("Zeile 2 ist kein UTF-8"), "{refused}");
    }
}
