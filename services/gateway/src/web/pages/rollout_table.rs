//! `/rollout/tabelle`: a rollout table from a spreadsheet brought into
//! the registry from the browser, as `efa adoption import` does from a
//! script. The file is uploaded and each row planned against the
//! registry's adoptions (`efa_reference::rollout`: only forward, never
//! undone); the plan is shown. Nothing is sent until the same file is
//! uploaded with „Übernehmen“, and then as the logged-in principal, so the
//! rules decide each row (an operator only inside its region). The keys
//! of the writes come from the rows, so a file sent twice is recorded
//! once. The gateway keeps nothing between the two uploads.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::pages::Page as Rows;
use efa_proto::{Actor, Ags, Date, QueryKind, QueryReply, ServiceId, ServiceStatus};
use efa_reference::rollout::FileError;
use efa_reference::rollout::{self, Planned, Row, Service, Standing, Standings};
use futures::StreamExt;
use maud::{Markup, html};

use super::super::forms::{self, FormData};
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{section, table, thousands};
use super::super::view;
use super::super::visit::Visit;
use crate::problem::ApiError;
use efa_api::contract::Parsed;

/// The largest file taken here; the command line takes larger ones.
pub const FILE_BYTES_MAX: usize = 512 * 1024;
/// The largest upload: the file and the form's other fields.
pub const UPLOAD_BYTES_MAX: usize = FILE_BYTES_MAX + 16 * 1024;
/// The most a workbook may unpack to here.
const XLSX_UNPACKED_MAX: u64 = 16 * 1024 * 1024;
/// The most rows a file may have here.
const ROWS_MAX: usize = 5_000;
/// Reads and writes in flight at once.
const IN_FLIGHT: usize = 8;
/// The planned writes listed on the page, at most.
const LISTED_MAX: usize = 500;
const TITLE: &str = "Rollout-Stand aus einer Tabelle übernehmen";
const ADMIN: &str = "Einführungen erfassen Kommunen, ihr Land und die Betreiber ihrer Region, nicht die Administration.";
const NOTHING_TO_SEND: &str = "Nichts zu senden: Das Register steht auf dem Stand der Datei, soweit Schritte vorwärts ihn erreichen.";

/// `GET /rollout/tabelle`.
pub async fn show(visit: Visit) -> Response {
    answer(&visit, StatusCode::OK, html! {}, None)
}

/// What an upload carries.
#[derive(Default)]
struct Upload {
    csrf: String,
    send: bool,
    bytes: Vec<u8>,
}

/// `POST /rollout/tabelle` (multipart): the plan, or with `aktion=senden`
/// the plan sent.
pub async fn submit(visit: Visit, multipart: Result<Multipart, MultipartRejection>) -> Response {
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err((status, message)) => return failed(&visit, status, message),
    };
    let form = FormData(vec![(super::super::csrf::FIELD.to_owned(), upload.csrf)]);
    let actor = match forms::guard(&visit, &form) {
        Ok(Actor::Admin) => return failed(&visit, StatusCode::FORBIDDEN, ADMIN.to_owned()),
        Ok(actor) => actor,
        Err(failure) => return failed(&visit, failure.status, failure.message),
    };
    let rows = match rows_of(&upload.bytes) {
        Ok(rows) => rows,
        Err(message) => return failed(&visit, StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let planned = match plan_rows(&visit, rows).await {
        Ok(planned) => planned,
        Err(message) => return failed(&visit, StatusCode::SERVICE_UNAVAILABLE, message),
    };
    if upload.send {
        let outcomes = send(&visit, &actor, &planned).await;
        answer(&visit, StatusCode::OK, sent_html(&planned, &outcomes), None)
    } else {
        answer(&visit, StatusCode::OK, plan_html(&planned), None)
    }
}

/// The fields of the upload: the CSRF token, the action and the file.
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, (StatusCode, String)> {
    let unreadable = |status| {
        let message = "Die Datei konnte nicht gelesen werden: Das Formular ist unvollständig \
                       oder größer als erlaubt (höchstens 512 KiB; größere Tabellen übernimmt \
                       `efa adoption import`).";
        (status, message.to_owned())
    };
    let mut multipart = multipart.map_err(|rejection| unreadable(rejection.status()))?;
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(unreadable(error.status())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|error| unreadable(error.status()))?;
        match name.as_str() {
            "aktion" => upload.send = bytes.as_ref() == b"senden",
            "datei" if bytes.len() > FILE_BYTES_MAX => {
                return Err(unreadable(StatusCode::PAYLOAD_TOO_LARGE));
            }
            "datei" => upload.bytes = bytes.to_vec(),
            name if name == super::super::csrf::FIELD => {
                upload.csrf = String::from_utf8_lossy(&bytes).into_owned();
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The file's rows (a CSV file, or a workbook's first visible sheet), or why it
/// cannot be taken (every bad row by line).
fn rows_of(bytes: &[u8]) -> Result<Vec<Row>, String> {
    let rows = match rollout::read_file(bytes, XLSX_UNPACKED_MAX) {
        Ok((rows, _)) => rows,
        Err(FileError::Empty) => return Err("Bitte wählen Sie eine CSV- oder Excel-Datei.".into()),
        Err(error) => {
            return Err(format!(
                "Die Datei wurde nicht übernommen, nichts wurde gesendet: {}",
                error.message_de(20)
            ));
        }
    };
    if rows.len() > ROWS_MAX {
        return Err(format!(
            "Die Datei hat {} Zeilen; hier werden höchstens {} übernommen. Größere Tabellen \
             übernimmt `efa adoption import`, oder teilen Sie die Datei.",
            thousands(rows.len() as u64),
            thousands(ROWS_MAX as u64)
        ));
    }
    Ok(rows)
}

/// Each row planned against its Gemeinde's adoptions as of today (or the
/// file's latest day, if later).
async fn plan_rows(visit: &Visit, rows: Vec<Row>) -> Result<Vec<Planned>, String> {
    let as_of = rollout::as_of(&rows, visit.today);
    let places: BTreeSet<Ags> = rows.iter().map(|row| row.ags).collect();
    let reads = futures::stream::iter(places)
        .map(|ags| async move { (ags, adoptions(visit, ags, as_of).await) })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    let mut standings = Standings::new();
    for (ags, read) in reads {
        if let Some(found) = read? {
            standings.insert(ags, found);
        }
    }
    let services = super::all_services(&visit.state, 0, None).await?;
    // Only a whole list can tell that a service is not in it.
    let whole = super::all_listed(&services);
    let service = |id: &ServiceId| match services.iter().find(|s| s.service.id == *id) {
        Some(s) => Service::Known {
            announced_on: Some(s.service.announced_on),
            retired: s.service.status == ServiceStatus::Retired,
        },
        None if whole => Service::Unknown,
        None => Service::Known {
            announced_on: None,
            retired: false,
        },
    };
    Ok(rollout::plan_all(rows, &standings, service))
}

/// A Gemeinde's adoptions by service, all pages; `None` if the registry
/// does not know it.
async fn adoptions(
    visit: &Visit,
    ags: Ags,
    as_of: Date,
) -> Result<Option<BTreeMap<ServiceId, Standing>>, String> {
    let mut counted = Vec::new();
    let mut offset = 0;
    loop {
        let page = Rows {
            offset,
            limit: efa_api::query::PAGE_LIMIT_MAX,
        };
        let as_of = Some(as_of);
        let kind = QueryKind::Gemeinde3 { ags, as_of, page };
        let gemeinde = match view(&visit.state, 0, kind).await? {
            QueryReply::Gemeinde3(Some(gemeinde)) => gemeinde,
            QueryReply::Gemeinde3(None) => return Ok(None),
            _ => return Err(super::super::UNAVAILABLE.to_owned()),
        };
        counted.extend(gemeinde.adoptions);
        match gemeinde.next_offset {
            Some(next) if next > offset => offset = next,
            // The adoptions beneath come whole with every page.
            _ => {
                let standings = rollout::standings_of(ags, &counted, &gemeinde.beneath);
                return Ok(Some(standings));
            }
        }
    }
}

/// How sending a row ended.
enum Sent {
    /// Nothing to send.
    Nothing,
    /// Every write taken; how many were replays; the last sequence.
    Done { replays: usize, seq: u64 },
    /// Refused, after `done` writes were taken.
    Refused { done: usize, message: String },
}

/// Sends the planned writes as `actor`, rows side by side, each row's
/// writes in order; once the registry cannot be reached, the rest is not
/// tried.
async fn send(visit: &Visit, actor: &Actor, planned: &[Planned]) -> Vec<Sent> {
    let stop = AtomicBool::new(false);
    let rows: Vec<_> = planned
        .iter()
        .map(|p| send_row(visit, actor, p, &stop))
        .collect();
    futures::stream::iter(rows)
        .buffered(IN_FLIGHT)
        .collect()
        .await
}

async fn send_row(visit: &Visit, actor: &Actor, p: &Planned, stop: &AtomicBool) -> Sent {
    let writes = p.writes();
    if writes.is_empty() {
        return Sent::Nothing;
    }
    let (mut replays, mut seq) = (0, 0);
    for (done, write) in writes.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            let message = "nicht gesendet: Das Register war nicht erreichbar.".to_owned();
            return Sent::Refused { done, message };
        }
        let key = p.key(*write);
        let parsed = Parsed::new(p.command(*write), p.row.since);
        match crate::state::submit(&visit.state, actor, &key, None, parsed).await {
            Ok(accepted) => {
                replays += usize::from(accepted.replayed);
                seq = seq.max(accepted.last_seq);
            }
            Err(error) => {
                if !matches!(error, ApiError::Rejected { .. }) {
                    stop.store(true, Ordering::Relaxed);
                }
                let message = forms::Failure::of_api(error).message;
                return Sent::Refused { done, message };
            }
        }
    }
    Sent::Done { replays, seq }
}

/// The plan: sums, the rows that need attention, the writes it would send.
fn plan_html(planned: &[Planned]) -> Markup {
    let to_send: Vec<&Planned> = planned.iter().filter(|p| !p.writes().is_empty()).collect();
    let writes: usize = to_send.iter().map(|p| p.writes().len()).sum();
    // Rows to send show their remark with their writes; the others with a
    // remark are listed apart.
    let remarks: Vec<&Planned> = (planned.iter())
        .filter(|p| p.writes().is_empty() && p.remark_de().is_some())
        .collect();
    html! {
        section aria-labelledby="plan-titel" {
            h2 #plan-titel { "Plan" }
            p role="status" {
                (count(planned.len(), "Zeile", "Zeilen")) " gelesen; "
                @if to_send.is_empty() { (NOTHING_TO_SEND) } @else {
                    "zu senden: " (count(to_send.len(), "Zeile", "Zeilen")) " mit "
                    (count(writes, "Schreibvorgang", "Schreibvorgängen")) ". Noch ist nichts gesendet."
                }
            }
            (rows_table("Zu senden", &to_send, LISTED_MAX))
            (rows_table("Zu beachten", &remarks, LISTED_MAX))
        }
    }
}

/// A table of rows with what each needs (or how it went), at most `max`.
fn rows_table(caption: &str, rows: &[&Planned], max: usize) -> Markup {
    if rows.is_empty() {
        return html! {};
    }
    let more = rows.len().saturating_sub(max);
    let body = html! {
        @for p in rows.iter().take(max) {
            tr {
                td.zahl { (p.row.line) }
                td { (p.row.ags) }
                td { (p.row.service) }
                td { (p.row.stage.label_de()) }
                td { (p.text_de()) }
            }
        }
    };
    let columns = [
        Num("Zeile"),
        Text("AGS"),
        Text("Leistung"),
        Text("Stufe laut Datei"),
        Text("Vorhaben"),
    ];
    html! {
        (table(caption, &columns, body))
        @if more > 0 { p { "… und " (thousands(more as u64)) " weitere Zeilen." } }
    }
}

/// What was sent, and each row refused.
fn sent_html(planned: &[Planned], outcomes: &[Sent]) -> Markup {
    let (mut rows, mut replays, mut seq) = (0, 0, 0);
    let mut refused = Vec::new();
    for (p, outcome) in planned.iter().zip(outcomes) {
        match outcome {
            Sent::Nothing => {}
            Sent::Done {
                replays: r,
                seq: last,
            } => {
                rows += 1;
                replays += r;
                seq = seq.max(*last);
            }
            Sent::Refused { done, message } => refused.push((p, *done, message)),
        }
    }
    let problems: Vec<&Planned> = planned.iter().filter(|p| p.falls_short()).collect();
    let body = html! {
        @for (p, done, message) in refused.iter().take(LISTED_MAX) {
            tr {
                td.zahl { (p.row.line) }
                td { (p.row.ags) }
                td { (p.row.service) }
                td { (p.row.stage.label_de()) }
                td {
                    @if let (Some(first), 1..) = (p.writes().first(), *done) {
                        (first.label_de()) ", dann abgelehnt: "
                    } @else { "Abgelehnt: " }
                    (message)
                }
            }
        }
    };
    let columns = [
        Num("Zeile"),
        Text("AGS"),
        Text("Leistung"),
        Text("Stufe laut Datei"),
        Text("Ergebnis"),
    ];
    html! {
        section aria-labelledby="ergebnis-titel" {
            h2 #ergebnis-titel { "Ergebnis" }
            @if rows == 0 && refused.is_empty() {
                p role="status" { (NOTHING_TO_SEND) }
            } @else {
                p role="status" {
                    (count(rows, "Zeile", "Zeilen")) " übernommen"
                    @if replays > 0 { " (" (replays) " Schreibvorgänge schon früher erfasst)" }
                    @if seq > 0 { ", bis Ledger-Sequenz " (seq) }
                    "; abgelehnt: " (refused.len()) "."
                }
            }
            @if seq > 0 {
                p { a href=(monitor_link(planned, seq)) { "Zum Rollout-Monitor" } }
            }
            @if !refused.is_empty() { (table("Abgelehnt", &columns, body)) }
            (rows_table("Nicht auf dem Stand der Datei", &problems, LISTED_MAX))
        }
    }
}

/// The rollout monitor once it has applied `seq`: of the file's Land, if
/// its rows lie in one.
fn monitor_link(planned: &[Planned], seq: u64) -> String {
    let lands: BTreeSet<_> = planned.iter().map(|p| p.row.ags.land()).collect();
    match lands.iter().next() {
        Some(land) if lands.len() == 1 => format!("/rollout?land={land}&seq={seq}"),
        _ => format!("/rollout?seq={seq}"),
    }
}

/// The page: the explanation, `result` (a plan or what was sent) and the
/// upload form; anonymous visitors and the administration see why they
/// cannot use it.
fn answer(visit: &Visit, status: StatusCode, result: Markup, notice: Option<Notice>) -> Response {
    let may = visit
        .actor()
        .is_some_and(|actor| !matches!(actor, Actor::Admin));
    let body = html! {
        p {
            "Eine Tabelle mit den Spalten AGS, Leistung, Stufe und, wenn vorhanden, Seit und "
            "Notiz – so wie der Rollout-Monitor sie als CSV herunterlädt, auch nach dem "
            "Bearbeiten in einer Tabellenkalkulation. Für jede Zeile werden fehlende "
            "Einführungen beantragt, Schritte vorwärts festgehalten und „zurückgezogen“ "
            "zurückgezogen; was im Register schon weiter ist, bleibt, und Gemeinden oder "
            "Leistungen, die die Datei nicht nennt, bleiben unberührt."
        }
        (result)
        @if may {
            (section("hochladen-titel", "Datei hochladen").with(html! {
                form.block method="post" action="/rollout/tabelle" enctype="multipart/form-data" {
                    (visit.csrf_input())
                    div.feld {
                        label for="tabelle-datei" { "CSV- oder Excel-Datei (Pflichtfeld)" }
                        input type="file" id="tabelle-datei" name="datei"
                            accept=".csv,text/csv,.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            required aria-describedby="tabelle-datei-hilfe";
                        p.hilfe id="tabelle-datei-hilfe" {
                            "Höchstens " (thousands(ROWS_MAX as u64)) " Zeilen und 512 KiB; als CSV mit "
                            "Semikolon, Komma oder Tabulator (UTF-8 oder Windows-1252) oder als Excel-Arbeitsmappe "
                            "(.xlsx, das erste sichtbare Tabellenblatt)."
                        }
                    }
                    button type="submit" name="aktion" value="plan" { "Plan anzeigen" }
                    " "
                    button.zweit type="submit" name="aktion" value="senden" { "Übernehmen" }
                }
                p { "„Plan anzeigen“ sendet nichts. Zum Übernehmen wählen Sie dieselbe Datei und "
                    "drücken „Übernehmen“; eine zweimal übernommene Datei wird einmal erfasst." }
            }))
        } @else if visit.actor().is_some() {
            p role="status" { (ADMIN) }
        } @else {
            p role="status" { a href="/anmelden" { "Bitte melden Sie sich an" } ", um eine Tabelle zu übernehmen." }
        }
    };
    visit.page(
        status,
        Page::new(TITLE, Nav::Rollout, body).with_notice(notice),
    )
}

/// "1 Zeile", "1.234 Zeilen".
fn count(n: usize, one: &str, many: &str) -> String {
    let word = if n == 1 { one } else { many };
    format!("{} {word}", thousands(n as u64))
}

/// The page with the upload refused and why.
fn failed(visit: &Visit, status: StatusCode, message: String) -> Response {
    answer(visit, status, html! {}, Some(Notice::Error(message)))
}
