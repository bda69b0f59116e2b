//! A rollout as a spreadsheet records it: per municipality and service the
//! stage reached and since when. Operators such as KIV Thüringen keep such
//! tables; the registry writes the same one (`AGS;Gemeinde;Leistung;Stufe;
//! Seit;Kreis`, the rollout's and a Gemeinde's CSV). This module reads such
//! a file, as the registry wrote it or as a spreadsheet saved it again, and
//! plans, row by row, the adoption commands that bring the registry to the
//! file's stages. It plans only forward: the registry's steps go forward,
//! so a row behind the registry is reported, never undone; a municipality
//! or service the file leaves out is left as it is.

use std::collections::BTreeSet;

use efa_proto::{AdoptionStage, Ags, Date, ServiceId};
use sha2::{Digest, Sha256};

use crate::csv::{self, CsvError, Record};
use crate::tabular::german;

/// One row of a rollout file: where the municipality and service should
/// stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file's line, for messages.
    pub line: usize,
    pub ags: Ags,
    pub service: ServiceId,
    pub stage: AdoptionStage,
    /// Since when; absent means the day the registry records it.
    pub since: Option<Date>,
    pub note: Option<String>,
}

/// The columns a rollout file is read by, by name (case aside); any other
/// column (`Gemeinde`, `Kreis`) is ignored. Each has the names it goes by.
const AGS: &[&str] = &["ags", "gemeindeschlüssel", "gemeindeschluessel"];
const SERVICE: &[&str] = &["leistung", "kennung"];
const STAGE: &[&str] = &["stufe"];
const SINCE: &[&str] = &["seit", "wirksam", "datum"];
const NOTE: &[&str] = &["notiz"];

/// Where each column stands in the header.
struct Columns {
    ags: usize,
    service: usize,
    stage: usize,
    since: Option<usize>,
    note: Option<usize>,
}

impl Columns {
    fn find(header: &[String]) -> Result<Self, String> {
        let position = |names: &[&str]| {
            header
                .iter()
                .position(|found| names.contains(&found.trim().to_lowercase().as_str()))
        };
        let required = |names: &[&str]| {
            position(names).ok_or_else(|| {
                format!(
                    "die Kopfzeile nennt keine Spalte „{}“ (nötig: AGS, Leistung, Stufe; \
                     dazu Seit und Notiz, wenn vorhanden)",
                    names[0]
                )
            })
        };
        Ok(Self {
            ags: required(AGS)?,
            service: required(SERVICE)?,
            stage: required(STAGE)?,
            since: position(SINCE),
            note: position(NOTE),
        })
    }
}

/// The separator a header line uses: `;` as the registry and German
/// spreadsheets write, else a tab or a comma.
fn separator(header: &str) -> char {
    [';', '\t', ',']
        .into_iter()
        .max_by_key(|candidate| header.matches(*candidate).count())
        .filter(|candidate| header.contains(*candidate))
        .unwrap_or(';')
}

/// Reads a rollout file: every bad row is reported with its line, and a
/// file with any bad row yields none. A municipality and service named
/// twice is refused: which row is meant?
pub fn read(text: &str) -> Result<Vec<Row>, Vec<CsvError>> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = body.lines().next().unwrap_or("");
    let separator = separator(header_line);
    let header: Vec<String> = header_line
        .split(separator)
        .map(|name| name.trim().trim_matches('"').to_owned())
        .collect();
    let columns = Columns::find(&header).map_err(|reason| vec![CsvError { line: 1, reason }])?;
    let records = csv::parse(text, separator).map_err(|error| vec![error])?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for record in &records {
        match row(record, &columns) {
            Ok(row) if !seen.insert((row.ags, row.service.clone())) => {
                errors.push(record.error(format!(
                    "{} und {} stehen schon in einer Zeile davor",
                    row.ags, row.service
                )));
            }
            Ok(row) => rows.push(row),
            Err(reason) => errors.push(record.error(reason)),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn row(record: &Record, columns: &Columns) -> Result<Row, String> {
    let cell = |index: usize| record.fields.get(index).map_or("", |value| value.trim());
    let named = |index: usize, column: &str| {
        let value = cell(index);
        if value.is_empty() {
            Err(format!("Spalte „{column}“ ist leer"))
        } else {
            Ok(value)
        }
    };
    let since = columns.since.map(cell).filter(|value| !value.is_empty());
    let note = columns.note.map(cell).filter(|value| !value.is_empty());
    Ok(Row {
        line: record.line,
        ags: ags(named(columns.ags, "AGS")?)?,
        service: ServiceId::parse(named(columns.service, "Leistung")?).map_err(|e| german(&e))?,
        stage: stage(named(columns.stage, "Stufe")?)?,
        since: since.map(date).transpose()?,
        note: note.map(str::to_owned),
    })
}

/// An AGS; seven digits are taken as the eight of an AGS whose leading
/// zero a spreadsheet dropped when it read the column as a number (the
/// Länder 01 to 09). A Gemeinde the registry does not know is refused
/// when the plan is made, so a digit missing elsewhere does not pass.
fn ags(text: &str) -> Result<Ags, String> {
    let padded;
    let text = if text.len() == 7 && text.bytes().all(|b| b.is_ascii_digit()) {
        padded = format!("0{text}");
        &padded
    } else {
        text
    };
    Ags::parse(text).map_err(|e| german(&e))
}

/// A stage by its German label, as the registry writes it, or by its key.
fn stage(text: &str) -> Result<AdoptionStage, String> {
    let lower = text.to_lowercase();
    let umlaut = lower.replace("ue", "ü");
    AdoptionStage::ALL
        .into_iter()
        .find(|stage| stage.label_de().to_lowercase() == umlaut || stage.key() == lower)
        .ok_or_else(|| {
            let labels: Vec<&str> = AdoptionStage::ALL.map(AdoptionStage::label_de).to_vec();
            format!(
                "Stufe „{text}“ unbekannt: eine von {}",
                labels
                    .iter()
                    .map(|label| format!("„{label}“"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// A day as `JJJJ-MM-TT`, or as German spreadsheets show it, `TT.MM.JJJJ`.
fn date(text: &str) -> Result<Date, String> {
    let german_form = text.split('.').collect::<Vec<_>>();
    if let [day, month, year] = german_form.as_slice()
        && let (Ok(day), Ok(month), Ok(year)) = (day.parse(), month.parse(), year.parse())
        && year >= 1000
    {
        return Date::from_ymd(year, month, day).map_err(|e| german(&e));
    }
    Date::parse(text).map_err(|e| german(&e))
}

/// Where an adoption stands in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub stage: AdoptionStage,
    pub since: Date,
}

/// One write that brings a row to its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// The municipality asks to adopt the service.
    Request,
    /// The next stage of a running adoption.
    Step(AdoptionStage),
    /// The adoption ends.
    Withdraw,
}

impl Write {
    /// The write in German, as a plan lists it.
    pub fn label_de(self) -> String {
        match self {
            Self::Request => "beantragen".to_owned(),
            Self::Step(stage) => format!("„{}“ festhalten", stage.label_de()),
            Self::Withdraw => "zurückziehen".to_owned(),
        }
    }
}

/// What a row needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// These writes, in this order, each dated the row's day.
    Send(Vec<Write>),
    /// The registry stands where the row says.
    Unchanged,
    /// The registry has the row's stage, since another day; that day
    /// stays (a step is not recorded twice).
    OtherDay(Standing),
    /// The registry is further than the row; steps go only forward.
    Behind(Standing),
}

/// What `row` needs, given where its adoption stands (`None`: the
/// municipality never asked to adopt the service).
pub fn plan(row: &Row, standing: Option<Standing>) -> Plan {
    let running = standing.filter(|s| s.stage != AdoptionStage::Withdrawn);
    match (row.stage, running) {
        (AdoptionStage::Withdrawn, None) => Plan::Unchanged,
        (AdoptionStage::Withdrawn, Some(_)) => Plan::Send(vec![Write::Withdraw]),
        (AdoptionStage::Requested, None) => Plan::Send(vec![Write::Request]),
        (stage, None) => Plan::Send(vec![Write::Request, Write::Step(stage)]),
        (stage, Some(now)) if stage == now.stage => match row.since {
            Some(day) if day != now.since => Plan::OtherDay(now),
            _ => Plan::Unchanged,
        },
        (stage, Some(now)) if stage > now.stage => Plan::Send(vec![Write::Step(stage)]),
        (_, Some(now)) => Plan::Behind(now),
    }
}

/// The idempotency key of `write` for `row`, planned on `standing`: the
/// same file on the same registry sends the same keys, so a run cut short
/// and started again is answered from the ledger's memory for what it had
/// sent; once the registry has moved on, a new plan has new keys (a
/// municipality that withdrew and asks again is asked anew, not answered
/// from its first request).
pub fn write_key(row: &Row, standing: Option<Standing>, write: Write) -> String {
    let standing = standing.map_or_else(
        || "-".to_owned(),
        |s| format!("{}@{}", s.stage.key(), s.since),
    );
    let since = row.since.map(|d| d.to_string()).unwrap_or_default();
    let write = match write {
        Write::Request => "request".to_owned(),
        Write::Step(stage) => format!("step:{}", stage.key()),
        Write::Withdraw => "withdraw".to_owned(),
    };
    let fields = [
        &row.ags.to_string(),
        row.service.as_str(),
        &standing,
        &write,
        row.stage.key(),
        &since,
        row.note.as_deref().unwrap_or(""),
    ];
    let digest = Sha256::digest(fields.join("\u{1f}"));
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("rollout-import-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdoptionStage::{Agreed, Live, Onboarding, Requested, Withdrawn};

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn the_registrys_own_file_reads_back() {
        let text = "\u{feff}AGS;Gemeinde;Leistung;Stufe;Seit;Kreis\r\n\
                    16051000;Erfurt;wohngeld;in Betrieb;2025-03-01;16051\r\n\
                    16052000;Gera;wohngeld;Anbindung;2025-02-01;16052\r\n";
        let rows = read(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].ags, Ags::parse("16051000").unwrap());
        assert_eq!(rows[0].stage, Live);
        assert_eq!(rows[0].since, Some(day("2025-03-01")));
        assert_eq!((rows[1].line, rows[1].stage), (3, Onboarding));
    }

    #[test]
    fn a_spreadsheet_saved_again_reads_too() {
        // Columns in another order, a comma, a German date, the stage's
        // key, a dropped leading zero, no Seit in one row, a note.
        let text = "Leistung,Stufe,AGS,Datum,Notiz\n\
                    wohngeld,live,1001000,01.03.2025,\"Pilot, erste Welle\"\n\
                    wohngeld,VEREINBART,16051000,,\n";
        let rows = read(text).unwrap();
        assert_eq!(rows[0].ags, Ags::parse("01001000").unwrap());
        assert_eq!(rows[0].stage, Live);
        assert_eq!(rows[0].since, Some(day("2025-03-01")));
        assert_eq!(rows[0].note.as_deref(), Some("Pilot, erste Welle"));
        assert_eq!((rows[1].stage, rows[1].since), (Agreed, None));
    }

    #[test]
    fn every_bad_row_is_named_and_none_is_taken() {
        let text = "AGS;Leistung;Stufe;Seit\n\
                    16051000;wohngeld;in Betrieb;2025-03-01\n\
                    160510;wohngeld;live;\n\
                    16051000;Wohngeld!;live;\n\
                    16052000;wohngeld;fertig;\n\
                    16053000;wohngeld;live;31.02.2025\n\
                    16051000;wohngeld;Anbindung;\n\
                    16054000;;live;\n";
        let errors = read(text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8], "{errors:?}");
        assert!(errors[2].reason.contains("Stufe „fertig“ unbekannt"));
        assert!(
            errors[4]
                .reason
                .contains("stehen schon in einer Zeile davor")
        );
        assert!(errors[5].reason.contains("„Leistung“ ist leer"));
        let missing = read("Gemeinde;Stufe\nErfurt;live\n").unwrap_err();
        assert_eq!(missing[0].line, 1);
        assert!(
            missing[0].reason.contains("keine Spalte „ags“"),
            "{missing:?}"
        );
    }

    fn row(stage: AdoptionStage, since: Option<&str>) -> Row {
        Row {
            line: 2,
            ags: Ags::parse("16051000").unwrap(),
            service: ServiceId::parse("wohngeld").unwrap(),
            stage,
            since: since.map(day),
            note: None,
        }
    }

    fn at(stage: AdoptionStage, since: &str) -> Option<Standing> {
        Some(Standing {
            stage,
            since: day(since),
        })
    }

    #[test]
    fn keys_repeat_for_the_same_plan_and_change_with_the_standing() {
        let live = row(Live, Some("2025-03-01"));
        let key = write_key(&live, None, Write::Request);
        assert_eq!(key, write_key(&live.clone(), None, Write::Request));
        assert!(
            key.len() <= 64 && key.starts_with("rollout-import-"),
            "{key}"
        );
        assert_ne!(key, write_key(&live, None, Write::Step(Live)));
        assert_ne!(
            key,
            write_key(&live, at(Withdrawn, "2025-01-01"), Write::Request),
            "asked anew after a withdrawal"
        );
    }

    #[test]
    fn plans_go_only_forward() {
        let live = row(Live, Some("2025-03-01"));
        assert_eq!(
            plan(&live, None),
            Plan::Send(vec![Write::Request, Write::Step(Live)])
        );
        assert_eq!(
            plan(&live, at(Withdrawn, "2024-01-01")),
            Plan::Send(vec![Write::Request, Write::Step(Live)]),
            "a withdrawn adoption is asked for again"
        );
        assert_eq!(
            plan(&live, at(Agreed, "2025-01-01")),
            Plan::Send(vec![Write::Step(Live)])
        );
        assert_eq!(plan(&live, at(Live, "2025-03-01")), Plan::Unchanged);
        assert_eq!(
            plan(&live, at(Live, "2025-02-01")),
            Plan::OtherDay(at(Live, "2025-02-01").unwrap())
        );
        assert_eq!(
            plan(&row(Live, None), at(Live, "2025-02-01")),
            Plan::Unchanged
        );
        assert_eq!(
            plan(&row(Agreed, None), at(Onboarding, "2025-02-01")),
            Plan::Behind(at(Onboarding, "2025-02-01").unwrap())
        );
        assert_eq!(
            plan(&row(Requested, None), None),
            Plan::Send(vec![Write::Request])
        );
        assert_eq!(plan(&row(Withdrawn, None), None), Plan::Unchanged);
        assert_eq!(
            plan(&row(Withdrawn, None), at(Withdrawn, "2025-01-01")),
            Plan::Unchanged
        );
        assert_eq!(
            plan(&row(Withdrawn, None), at(Onboarding, "2025-01-01")),
            Plan::Send(vec![Write::Withdraw])
        );
    }
}
