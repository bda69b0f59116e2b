//! `efa adoption import DATEI`: brings the registry to the rollout a
//! spreadsheet records, through the HTTP API as the token's holder (an
//! operator inside its region, a Gemeinde for itself). The whole file is
//! read first; a file with a bad row sends nothing. Then each named
//! municipality's adoptions are read from the registry and every row is
//! planned ([`efa_reference::rollout::plan`]): only forward, never undone.
//! Without `--ausfuehren` the plan is shown and nothing is sent. Each write's
//! idempotency key is made from the row and the standing it was planned
//! on, so a run cut short can be started again: what was written is
//! planned as unchanged, and a write sent twice is a replay.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use efa_api::contract::adoptions;
use efa_api::contract::field::{Note, Via};
use efa_proto::views::MunicipalityRollout;
use efa_proto::{AdoptionStage, Ags, Date, ServiceId, Timestamp};
use efa_reference::csv::CsvError;
use efa_reference::encoding::Encoding;
use efa_reference::rollout::{self, FileError, Planned, Row, Service, Standing, Standings, Write};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Map, Value};

use super::{Client, Failure};

/// The exit codes, as `efa adoption import --help` shows them.
pub const EXIT_CODES: &str = "\
Exit-Codes:
  0  jede Zeile steht auf dem Stand der Datei (ohne --ausfuehren: der Plan bringt sie dorthin)
  1  anderer Fehler
  2  die Datei lässt sich nicht lesen (nichts gesendet), oder eine Zeile kommt nicht auf ihren
     Stand: das Register ist weiter, ihr Tag liegt vor dem letzten Schritt, Gemeinde oder
     Leistung sind unbekannt, oder das Register hat sie abgelehnt
  3  Anmeldung fehlgeschlagen (HTTP 401: Token fehlt oder ist ungültig)
  4  Register nicht erreichbar (HTTP 503/504, Verbindung abgelehnt, Zeitüberschreitung)";

/// The most a workbook may unpack to here (the page takes less).
const XLSX_UNPACKED_MAX: u64 = 256 * 1024 * 1024;
/// Reads in flight at once.
const IN_FLIGHT: usize = 8;
/// Rows of a municipality's page asked for at once (the API's most).
const PAGE_LIMIT: u32 = 1000;
/// Rows being sent at once: enough for the ledger's group commits to
/// take several writes each; the gateway's rate limit paces the rest.
const ROWS_IN_FLIGHT: usize = 16;

/// `efa adoption import`'s own arguments.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV-Datei oder Excel-Arbeitsmappe (.xlsx, das erste sichtbare Blatt) mit den
    /// Spalten AGS, Leistung, Stufe und, wenn vorhanden, Seit und Notiz (so
    /// wie `efa export rollout --format csv` sie schreibt; weitere Spalten
    /// werden übergangen).
    file: PathBuf,
    /// Den Plan senden; ohne diese Angabe wird er nur angezeigt.
    #[arg(long)]
    ausfuehren: bool,
    /// Jede geplante Zeile einzeln auflisten, nicht nur die Summen.
    #[arg(long)]
    einzeln: bool,
}

/// How sending a row ended.
enum Sent {
    /// Every write taken; `replays` of them had been taken before; the
    /// ledger sequence of the last.
    Done {
        writes: usize,
        replays: usize,
        seq: u64,
    },
    /// Refused after `done` of its writes were taken.
    Refused { done: usize, failure: Failure },
    /// Not sent: the run stopped before (the registry unreachable, the
    /// token refused).
    Skipped,
}

pub async fn run(client: &Client, args: ImportArgs) -> Result<(), Failure> {
    let name = args.file.display().to_string();
    let rows = read_file(&args.file)?.map_err(|errors| {
        for error in &errors {
            eprintln!("{name}: {error}");
        }
        Failure::Invalid(format!(
            "{} fehlerhaft; nichts gesendet",
            count(errors.len(), "Zeile", "Zeilen")
        ))
    })?;
    let places: BTreeSet<Ags> = rows.iter().map(|row| row.ags).collect();
    let services: BTreeSet<&ServiceId> = rows.iter().map(|row| &row.service).collect();
    let said = !client.json;
    if said {
        crate::out::say(&format!(
            "{name}: {}, {}, {}",
            count(rows.len(), "Zeile", "Zeilen"),
            count(places.len(), "Gemeinde", "Gemeinden"),
            count(services.len(), "Leistung", "Leistungen")
        ));
    }

    let head = ledger_head(client).await?;
    let offered = offered(client).await?;
    let standings = standings(client, &places, rollout::as_of(&rows, today()), head).await?;
    let planned = rollout::plan_all(rows, &standings, |service| {
        offered.get(service).copied().unwrap_or(Service::Unknown)
    });
    let problems = planned.iter().filter(|p| p.falls_short()).count();
    if !said {
        let sent = match args.ausfuehren {
            true => Some(send(client, &planned).await),
            false => None,
        };
        crate::out::say(&report(&planned, sent.as_deref()).to_string());
        let sent = sent.unwrap_or_default();
        if let Some(Sent::Refused { failure, .. }) = (sent.iter())
            .find(|s| matches!(s, Sent::Refused { failure, .. } if stops_the_run(failure)))
        {
            return Err(failure.clone());
        }
        let refused = (sent.iter())
            .filter(|s| matches!(s, Sent::Refused { .. }))
            .count();
        return finish(problems, refused);
    }
    say_plan(&planned, args.einzeln);
    if !args.ausfuehren {
        let to_send: Vec<&Planned> = planned.iter().filter(|p| writes(p) > 0).collect();
        let writes: usize = to_send.iter().map(|p| writes(p)).sum();
        if writes == 0 {
            crate::out::say("Nichts zu senden.");
        } else {
            crate::out::say(&format!(
                "Nichts gesendet. Mit --ausfuehren: {} ({}).",
                count(to_send.len(), "Zeile", "Zeilen"),
                count(writes, "Schreibvorgang", "Schreibvorgänge")
            ));
        }
        return finish(problems, 0);
    }
    let sent = send(client, &planned).await;
    say_sent(&planned, &sent)?;
    let refused = sent
        .iter()
        .filter(|s| matches!(s, Sent::Refused { .. }))
        .count();
    finish(problems, refused)
}

/// The file's rows: a workbook's first visible sheet, or a CSV file's text
/// (`Err` inside: the rows that do not read, by line).
fn read_file(path: &Path) -> Result<Result<Vec<Row>, Vec<CsvError>>, Failure> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|error| {
        let why = match error.kind() {
            std::io::ErrorKind::NotFound => "die Datei gibt es nicht".to_owned(),
            std::io::ErrorKind::PermissionDenied => "keine Berechtigung zum Lesen".to_owned(),
            std::io::ErrorKind::IsADirectory => "das ist ein Verzeichnis".to_owned(),
            _ => error.to_string(),
        };
        Failure::Invalid(format!("{name} lesen: {why}"))
    })?;
    match rollout::read_file(&bytes, XLSX_UNPACKED_MAX) {
        Ok((rows, read_as)) => {
            match read_as {
                Some(Encoding::Utf16) => eprintln!("{name}: als UTF-16 gelesen"),
                Some(Encoding::Windows1252) => {
                    eprintln!("{name}: kein UTF-8, als Windows-1252 gelesen");
                }
                _ => {}
            }
            Ok(Ok(rows))
        }
        Err(FileError::Rows(errors)) => Ok(Err(errors)),
        Err(error) => Err(Failure::Invalid(format!(
            "{name}: {} Nichts gesendet.",
            error.message_de(0)
        ))),
    }
}

/// What the registry says of each service in its catalogue (read page by
/// page, as the web page reads it): since when it is announced and
/// whether it is retired. A service not in it is unknown.
async fn offered(client: &Client) -> Result<BTreeMap<ServiceId, Service>, Failure> {
    const LIMIT: usize = 1000;
    let (mut offered, mut offset) = (BTreeMap::new(), 0);
    loop {
        let query = [("offset", offset.to_string()), ("limit", LIMIT.to_string())];
        let page = client
            .api
            .get(client.url(&["catalogue"], &query))
            .await?
            .json()?;
        let services = page["services"].as_array().cloned().unwrap_or_default();
        for service in &services {
            let Some(id) = service["id"]
                .as_str()
                .and_then(|id| ServiceId::parse(id).ok())
            else {
                continue;
            };
            let announced_on = service["announced_on"]
                .as_str()
                .and_then(|d| Date::parse(d).ok());
            let retired = service["status"] == "retired";
            offered.insert(
                id,
                Service::Known {
                    announced_on,
                    retired,
                },
            );
        }
        if services.len() < LIMIT {
            return Ok(offered);
        }
        offset += services.len();
    }
}

/// Exit code 2 when a row could not be brought to its stage.
fn finish(problems: usize, refused: usize) -> Result<(), Failure> {
    if problems + refused == 0 {
        return Ok(());
    }
    Err(Failure::Invalid(format!(
        "{} nicht auf dem Stand der Datei",
        count(problems + refused, "Zeile", "Zeilen")
    )))
}

/// Today (UTC), by this machine's clock.
fn today() -> Date {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
        });
    Timestamp::from_micros(micros).date()
}

/// The ledger's last signed sequence, so that the plan reads views that
/// have applied everything written before it (`None`: nothing written).
async fn ledger_head(client: &Client) -> Result<Option<u64>, Failure> {
    let answer = client
        .api
        .get(client.url(&["ledger", "checkpoint"], &[]))
        .await?;
    let checkpoint = answer.json()?;
    Ok(checkpoint["checkpoint"]["seq"].as_u64())
}

/// Each municipality's adoptions as the registry has them once the views
/// have applied `head`: by service, the one that counts and those of its
/// family beneath it. A municipality the registry does not know is left
/// out.
async fn standings(
    client: &Client,
    places: &BTreeSet<Ags>,
    as_of: Date,
    head: Option<u64>,
) -> Result<Standings, Failure> {
    let reads = futures::stream::iter(places.iter().map(|ags| async move {
        adoptions(client, *ags, as_of, head)
            .await
            .map(|found| found.map(|found| (*ags, found)))
    }))
    .buffer_unordered(IN_FLIGHT)
    .collect::<Vec<_>>()
    .await;
    let mut standings = BTreeMap::new();
    for read in reads {
        if let Some((ags, found)) = read? {
            standings.insert(ags, found);
        }
    }
    Ok(standings)
}

/// A municipality's adoptions from its pages (JSON, all of them); `None`
/// for a municipality the registry does not know.
async fn adoptions(
    client: &Client,
    ags: Ags,
    as_of: Date,
    head: Option<u64>,
) -> Result<Option<BTreeMap<ServiceId, Standing>>, Failure> {
    let (mut counted, mut offset) = (Vec::new(), 0);
    loop {
        let mut query = vec![
            ("as_of", as_of.to_string()),
            ("limit", PAGE_LIMIT.to_string()),
            ("offset", offset.to_string()),
        ];
        query.extend(head.map(|seq| ("min_seq", seq.to_string())));
        let url = client.url(&["gemeinden", &ags.to_string()], &query);
        let Some(answer) = client.api.find(url).await? else {
            return Ok(None);
        };
        let page = answer.json()?;
        counted.extend(rows_of(&page["adoptions"])?);
        match page["next_offset"].as_u64() {
            Some(next) if next > offset => offset = next,
            // The adoptions beneath come whole with every page.
            _ => {
                let beneath = rows_of(&page["beneath"])?;
                return Ok(Some(rollout::standings_of(ags, &counted, &beneath)));
            }
        }
    }
}

/// The adoption rows of a municipality's JSON page.
fn rows_of(rows: &Value) -> Result<Vec<MunicipalityRollout>, Failure> {
    let unreadable = || Failure::Other("Die Einführungen der Gemeinde sind nicht lesbar.".into());
    let text = |row: &Value, field: &str| row[field].as_str().map(str::to_owned);
    let row = |row: &Value| -> Option<MunicipalityRollout> {
        let stage = text(row, "stage")?;
        Some(MunicipalityRollout {
            ags: Ags::parse(&text(row, "ags")?).ok()?,
            name: text(row, "name")?,
            service: ServiceId::parse(&text(row, "service")?).ok()?,
            stage: AdoptionStage::ALL.into_iter().find(|s| s.key() == stage)?,
            since: Date::parse(&text(row, "since")?).ok()?,
            adopter: Ags::parse(&text(row, "adopter")?).ok()?,
        })
    };
    let rows = rows.as_array().ok_or_else(unreadable)?;
    rows.iter().map(|r| row(r).ok_or_else(unreadable)).collect()
}

fn writes(planned: &Planned) -> usize {
    planned.writes().len()
}

/// The plan's sums, then by line the rows not planned, those that stay
/// short of the file's stage, those whose day differs, and with `each`
/// every row to be sent.
fn say_plan(planned: &[Planned], each: bool) {
    let mut sums: Vec<(&str, usize)> = rollout::KINDS.iter().map(|kind| (kind.de, 0)).collect();
    for kind in planned.iter().map(|p| p.kind().de) {
        if let Some((_, n)) = sums.iter_mut().find(|(known, _)| *known == kind) {
            *n += 1;
        }
    }
    let sums: Vec<String> = sums
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| format!("{kind}: {n}"))
        .collect();
    if sums.is_empty() {
        crate::out::say("Plan: die Datei hat keine Zeilen");
    } else {
        crate::out::say(&format!("Plan: {}", sums.join(", ")));
    }
    for p in planned {
        if p.remark_de().is_some() || (each && !p.writes().is_empty()) {
            say_row(&p.row, &p.text_de());
        }
    }
}

fn say_row(row: &Row, what: &str) {
    crate::out::say(&format!(
        "Zeile {}: {} {}: {what}",
        row.line, row.ags, row.service
    ));
}

/// Sends every row's writes, rows side by side and each row's writes in
/// order. Stops sending when the registry is unreachable or refuses the
/// token: the rest would fail alike.
async fn send(client: &Client, planned: &[Planned]) -> Vec<Sent> {
    let stop = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let total = planned.iter().filter(|p| writes(p) > 0).count();
    let progress = std::io::stderr().is_terminal();
    let (stop, done) = (&stop, &done);
    futures::stream::iter(planned.iter().map(|p| async move {
        let writes = p.writes();
        if writes.is_empty() {
            return Sent::Done {
                writes: 0,
                replays: 0,
                seq: 0,
            };
        }
        let (mut replays, mut seq) = (0, 0);
        for (index, write) in writes.iter().enumerate() {
            if stop.load(Ordering::Relaxed) {
                return Sent::Skipped;
            }
            match send_write(client, p, *write).await {
                Ok((replayed, written)) => {
                    replays += usize::from(replayed);
                    seq = seq.max(written);
                }
                Err(failure) => {
                    if stops_the_run(&failure) {
                        stop.store(true, Ordering::Relaxed);
                    }
                    return Sent::Refused {
                        done: index,
                        failure,
                    };
                }
            }
        }
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if progress && (finished % 100 == 0 || finished == total) {
            eprint!("\rgesendet: {finished} von {total} Zeilen");
            if finished == total {
                eprintln!();
            }
        }
        Sent::Done {
            writes: writes.len(),
            replays,
            seq,
        }
    }))
    .buffered(ROWS_IN_FLIGHT)
    .collect()
    .await
}

/// One write: whether it was a replay, and its ledger sequence. Its body
/// is the API's request struct, so it is written as the gateway reads it.
async fn send_write(
    client: &Client,
    planned: &Planned,
    write: Write,
) -> Result<(bool, u64), Failure> {
    let row = &planned.row;
    let addressee = planned.addressee(write);
    let (service, ags) = (row.service.to_string(), addressee.to_string());
    let note = row.note.clone().map(Note);
    let effective = row.since.map(Via);
    let (url, body) = match write {
        Write::Request => {
            let body = adoptions::Request {
                service: Via(row.service.clone()),
                ags: Via(addressee),
                note,
                effective,
            };
            (client.url(&["adoptions"], &[]), serde_json::to_value(body))
        }
        Write::Step(stage) => {
            let body = adoptions::Step {
                stage,
                note,
                effective,
            };
            let url = client.url(&["adoptions", &service, &ags, "steps"], &[]);
            (url, serde_json::to_value(body))
        }
        Write::Withdraw | Write::WithdrawOf(_) => {
            let body = adoptions::Withdrawal { note, effective };
            let url = client.url(&["adoptions", &service, &ags, "withdrawal"], &[]);
            (url, serde_json::to_value(body))
        }
    };
    let body =
        body.map_err(|error| Failure::Other(format!("Anfrage nicht schreibbar: {error}")))?;
    let key = planned.key(write);
    let answer = client
        .api
        .write(Method::POST, url, Some(&body), &key)
        .await?;
    let seq = answer.json()?["seq"].as_u64().unwrap_or_default();
    Ok((answer.replayed, seq))
}

/// Whether a failure stops the whole run: the rest would fail alike.
fn stops_the_run(failure: &Failure) -> bool {
    matches!(
        failure,
        Failure::Unavailable(_) | Failure::Unauthenticated(_)
    )
}

/// What was sent, and each row the registry refused; a failure that
/// stopped the run is said once.
fn say_sent(planned: &[Planned], sent: &[Sent]) -> Result<(), Failure> {
    let (mut rows, mut writes, mut replays, mut not_sent, mut last) = (0, 0, 0, 0, 0);
    let mut stopped = None;
    for (p, outcome) in planned.iter().zip(sent) {
        match outcome {
            Sent::Done { writes: 0, .. } => {}
            Sent::Done {
                writes: w,
                replays: r,
                seq,
            } => {
                rows += 1;
                writes += w;
                replays += r;
                last = last.max(*seq);
            }
            Sent::Refused { done, failure } if stops_the_run(failure) => {
                stopped.get_or_insert_with(|| failure.clone());
                writes += done;
                not_sent += 1;
            }
            Sent::Refused { done, failure } => {
                let before = match (p.writes().first(), done) {
                    (Some(first), 1..) => format!("{}, dann: ", first.label_de()),
                    _ => String::new(),
                };
                say_row(&p.row, &format!("abgelehnt: {before}{failure}"));
                writes += done;
            }
            Sent::Skipped => not_sent += 1,
        }
    }
    let mut line = format!(
        "Gesendet: {} ({})",
        count(rows, "Zeile", "Zeilen"),
        count(writes, "Schreibvorgang", "Schreibvorgänge")
    );
    if replays > 0 {
        line.push_str(&format!(
            ", davon {replays} schon früher geschrieben (Wiederholung)"
        ));
    }
    if last > 0 {
        line.push_str(&format!(", bis Ledger-Sequenz {last}"));
    }
    crate::out::say(&line);
    match stopped {
        Some(failure) => {
            eprintln!(
                "Abgebrochen, {} nicht oder nicht ganz gesendet; ein neuer Lauf mit derselben \
                 Datei setzt fort.",
                count(not_sent, "Zeile", "Zeilen")
            );
            Err(failure)
        }
        None => Ok(()),
    }
}

/// The plan, and what was sent where `sent`, as JSON for scripts (`--json`):
/// the sums by kind, then each row with its kind, writes, remark and, when
/// sent, how it ended.
fn report(planned: &[Planned], sent: Option<&[Sent]>) -> Value {
    let mut sums = Map::new();
    for kind in rollout::KINDS {
        let n = planned.iter().filter(|p| p.kind() == kind).count();
        sums.insert(kind.key.to_owned(), n.into());
    }
    let outcome = |index: usize| -> Value {
        let Some(sent) = sent.and_then(|sent| sent.get(index)) else {
            return Value::Null;
        };
        match sent {
            Sent::Done { writes: 0, .. } => Value::Null,
            Sent::Done {
                writes,
                replays,
                seq,
            } => serde_json::json!({"status": "sent", "writes": writes,
                "replays": replays, "seq": seq}),
            Sent::Refused { done, failure } => serde_json::json!({"status": "refused",
                "writes": done, "refusal": failure.to_string(), "exit_code": failure.exit_code()}),
            Sent::Skipped => serde_json::json!({"status": "not-sent"}),
        }
    };
    let rows: Vec<Value> = (planned.iter().enumerate())
        .map(|(index, p)| {
            let writes: Vec<String> = p.writes().iter().map(|w| w.key()).collect();
            serde_json::json!({
                "line": p.row.line,
                "ags": p.row.ags.to_string(),
                "service": p.row.service.as_str(),
                "stage": p.row.stage.key(),
                "since": p.row.since.map(|day| day.to_string()),
                "kind": p.kind().key,
                "writes": writes,
                "remark": p.remark_de(),
                "outcome": outcome(index),
            })
        })
        .collect();
    let last_seq = (sent.unwrap_or_default().iter())
        .filter_map(|s| match s {
            Sent::Done { seq, .. } if *seq > 0 => Some(*seq),
            _ => None,
        })
        .max();
    serde_json::json!({"sent": sent.is_some(), "sums": sums, "rows": rows, "last_seq": last_seq})
}

/// "1 Zeile", "3 Zeilen".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use efa_proto::AdoptionStage;

    use super::*;

    #[test]
    fn a_municipalitys_json_rows_are_read() {
        let page = serde_json::json!([
            {"ags": "16055000", "name": "Weimar", "service": "elterngeld",
             "stage": "agreed", "stage_label": "vereinbart", "since": "2025-01-01",
             "adopter": "16071001"}
        ]);
        let rows = rows_of(&page).unwrap();
        assert_eq!(rows[0].stage, AdoptionStage::Agreed);
        assert_eq!(rows[0].adopter, Ags::parse("16071001").unwrap());
        let bad = serde_json::json!([{"ags": "16055000"}]);
        assert!(rows_of(&bad).is_err());
    }
}
