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
use efa_reference::gv100ad::{self, Known};

use crate::signers::KeyRing;

/// What the registry knows about Kreise and municipalities, from the log.
async fn known(client: &async_nats::Client) -> Result<(Vec<KreisKey>, BTreeMap<Ags, Known>)> {
    let mut kreise = Vec::new();
    let mut gemeinden: BTreeMap<Ags, Known> = BTreeMap::new();
    let mut from_seq = 1;
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
            Err(rejection) => bail!("der Ledger hat das Lesen abgelehnt: {rejection}"),
        };
        let Some(last) = page.events.last() else {
            break;
        };
        from_seq = last.record.seq + 1;
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
    Ok((kreise, gemeinden))
}

/// Reads a mergers file: `alter AGS;Nachfolge-AGS` per line, with a header.
fn mergers(path: Option<&Path>) -> Result<BTreeMap<Ags, Ags>> {
    let Some(path) = path else {
        return Ok(BTreeMap::new());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{} lesen", path.display()))?;
    let mut map = BTreeMap::new();
    for record in efa_reference::csv::parse(&text, ';')? {
        let ags = |index, column| -> Result<Ags> {
            let value = record.field(index, column)?;
            Ags::parse(value).map_err(|e| record.error(e.to_string()).into())
        };
        map.insert(ags(0, "AGS")?, ags(1, "Nachfolge-AGS")?);
    }
    Ok(map)
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
            bail!("{} fehlerhafte Zeilen; nichts importiert", errors.len());
        }
    };
    if verzeichnis.gemeinden.is_empty() {
        bail!(
            "{} enthält keine Gemeinden (Satzart 60); nichts importiert",
            file.display()
        );
    }
    let mergers = mergers(mergers_file)?;
    // Connected first: a refused credential is the first thing to say.
    let client = connection.connect("efa-import").await?;
    let keys = operator_keys(signing_key)?;
    let (kreise, known) = known(&client).await?;
    let (removing, mut seeds): (Vec<_>, Vec<_>) =
        gv100ad::plan(&verzeichnis, &kreise, &known, &mergers)
            .into_iter()
            .partition(|seed| {
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
    let text = text_of(file, bytes);
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
            bail!("{} fehlerhafte Zeilen; nichts importiert", errors.len());
        }
    };
    check_rows(file, &seeds)?;
    // Connected first: a refused credential is the first thing to say.
    let client = connection.connect("efa-import").await?;
    let keys = operator_keys(signing_key)?;
    send_plan(&client, &seeds, &keys).await
}

/// A CSV file's text: UTF-8, or else Windows-1252, as spreadsheets in
/// German offices save "CSV" (every byte is a character there, so that
/// reading cannot fail; the file's name and encoding are said).
fn text_of(file: &Path, bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(not_utf8) => {
            let bytes = not_utf8.into_bytes();
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            eprintln!("{}: kein UTF-8, als Windows-1252 gelesen", file.display());
            text.into_owned()
        }
    }
}

/// Decides every row's command as the ledger would on a registry that
/// knows nothing yet, so that what a row says wrongly (an empty name, a
/// line break in it, a key that does not add up, a year out of range) is
/// refused with its line before anything is sent: a file with a bad row
/// changes nothing. What depends on the registry (a row that exists
/// already) is the ledger's to say.
fn check_rows(file: &Path, seeds: &[efa_reference::Seed]) -> Result<()> {
    let ctx = efa_domain::Ctx { now: wall_clock() };
    let nothing = efa_domain::Related::new(Vec::new());
    let mut bad = 0;
    for seed in seeds {
        let decided = efa_domain::decide(&StreamState::Empty, &nothing, &seed.envelope(), &ctx);
        if let Err(Rejection::Invalid { field, reason }) = decided {
            bad += 1;
            eprintln!(
                "{}: Zeile {}: Angabe „{field}“ ungültig: {reason}",
                file.display(),
                seed.line.unwrap_or(0)
            );
        }
    }
    if bad > 0 {
        bail!("{bad} fehlerhafte Zeilen; nichts importiert");
    }
    Ok(())
}

fn wall_clock() -> efa_proto::Timestamp {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        });
    efa_proto::Timestamp::from_micros(micros)
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
        bail!("{} Änderungen wurden vom Ledger abgelehnt", loaded.rejected);
    }
    Ok(())
}
