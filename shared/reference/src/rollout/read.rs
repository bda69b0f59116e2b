//! Reading a rollout file: a CSV text as the registry writes it or as a
//! spreadsheet saved it again, or an Excel workbook's first visible sheet;
//! every row that does not read is named by its line.

use std::collections::BTreeMap;

use efa_proto::{AdoptionStage, Ags, Date, ServiceId};

use crate::csv::{self, CsvError, Record};
use crate::encoding::{self, Encoding};
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
    /// The predecessor whose adoption the row shows, as the registry's
    /// tables write it (`Vorgängergemeinde`). Read for the registry's own
    /// tables; a plan goes by the registry's standing, not by this.
    pub predecessor: Option<Ags>,
}

/// The columns a rollout file is read by, by name (case aside); any other
/// column (`Gemeinde`, `Kreis`) is ignored. Each has the names it goes by.
const AGS: &[&str] = &["ags", "gemeindeschlüssel", "gemeindeschluessel"];
const SERVICE: &[&str] = &["leistung", "kennung"];
const STAGE: &[&str] = &["stufe"];
const SINCE: &[&str] = &["seit", "wirksam", "datum"];
const NOTE: &[&str] = &["notiz"];
const PREDECESSOR: &[&str] = &["vorgängergemeinde", "vorgaengergemeinde"];

/// Where each column stands in the header.
struct Columns {
    /// How many columns the header names.
    count: usize,
    /// The columns without a name, whose cells must stay empty.
    unnamed: Vec<usize>,
    ags: usize,
    service: usize,
    stage: usize,
    since: Option<usize>,
    note: Option<usize>,
    predecessor: Option<usize>,
}

impl Columns {
    /// The columns a row is read from.
    fn read(&self) -> impl Iterator<Item = usize> + '_ {
        [self.ags, self.service, self.stage]
            .into_iter()
            .chain(self.since)
            .chain(self.note)
            .chain(self.predecessor)
    }

    fn find(header: &[String]) -> Result<Self, String> {
        let named =
            |names: &[&str], found: &String| names.contains(&found.trim().to_lowercase().as_str());
        // A column named twice (or by two of its names): which is meant?
        for names in [AGS, SERVICE, STAGE, SINCE, NOTE, PREDECESSOR] {
            let twice: Vec<&String> = header.iter().filter(|found| named(names, found)).collect();
            if let [first, second, ..] = twice.as_slice() {
                return Err(format!(
                    "die Kopfzeile nennt die Spalte „{}“ zweimal („{first}“ und „{second}“)",
                    names[0]
                ));
            }
        }
        let position = |names: &[&str]| header.iter().position(|found| named(names, found));
        let required = |names: &[&str]| {
            position(names).ok_or_else(|| {
                format!(
                    "die Kopfzeile nennt keine Spalte „{}“ (nötig: AGS, Leistung, Stufe; \
                     dazu Seit und Notiz, wenn vorhanden)",
                    names[0]
                )
            })
        };
        let unnamed = (header.iter().enumerate())
            .filter(|(_, name)| name.trim().is_empty())
            .map(|(index, _)| index)
            .collect();
        Ok(Self {
            count: header.len(),
            unnamed,
            ags: required(AGS)?,
            service: required(SERVICE)?,
            stage: required(STAGE)?,
            since: position(SINCE),
            note: position(NOTE),
            predecessor: position(PREDECESSOR),
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
    if let Some(line) = unclosed_quote(body) {
        return Err(vec![CsvError {
            line,
            reason: "ein Anführungszeichen wird hier geöffnet und nicht wieder geschlossen; \
                     der Rest der Datei stünde sonst in diesem Feld"
                .to_owned(),
        }]);
    }
    let records = csv::parse(text, separator).map_err(|error| vec![error])?;
    rows(&header, &records, &Unreadable::new())
}

/// The line of a quote that opens a field and is never closed (a quote
/// inside a quoted field is doubled, so quotes pair up in a good file).
fn unclosed_quote(text: &str) -> Option<usize> {
    let (mut open, mut line, mut opened_on) = (false, 1, 1);
    for c in text.chars() {
        match c {
            '"' => {
                open = !open;
                if open {
                    opened_on = line;
                }
            }
            '\n' => line += 1,
            _ => {}
        }
    }
    open.then_some(opened_on)
}

/// Reads the first visible sheet of an Excel workbook (`.xlsx`) as a rollout
/// file, such as the monitor's „Excel (XLSX)“ download after it was
/// edited and saved: the first row names the columns, a line is a row of
/// the sheet; numbers count as their digits (an AGS typed as a number
/// loses its leading zero, which [`read`]'s rule gives back), dates as
/// days. A cell read from that holds an Excel error, or a formula whose
/// result the file does not carry (saved by a program that does not
/// compute it), fails its row rather than count as empty. A workbook
/// that would unpack to more than `unpacked_max` bytes is refused before
/// it is read.
pub fn read_xlsx(bytes: &[u8], unpacked_max: u64) -> Result<Vec<Row>, Vec<CsvError>> {
    use calamine::Reader;
    let unreadable = |reason: String| vec![CsvError { line: 1, reason }];
    unpacks_within(bytes, unpacked_max).map_err(unreadable)?;
    let not_a_workbook = || unreadable("keine lesbare Excel-Arbeitsmappe (.xlsx)".to_owned());
    let mut workbook =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| not_a_workbook())?;
    // The first sheet a person sees: hidden ones and charts are passed over.
    let first = (workbook.sheets_metadata().iter())
        .find(|sheet| {
            sheet.visible == calamine::SheetVisible::Visible
                && sheet.typ == calamine::SheetType::WorkSheet
        })
        .map(|sheet| sheet.name.clone());
    let Some(first) = first else {
        let reason = "die Excel-Arbeitsmappe hat kein sichtbares Tabellenblatt";
        return Err(unreadable(reason.to_owned()));
    };
    let sheet = workbook
        .worksheet_range(&first)
        .map_err(|_| not_a_workbook())?;
    let formulas = workbook
        .worksheet_formula(&first)
        .map_err(|_| not_a_workbook())?;
    let origin = sheet.start().unwrap_or((0, 0));
    let line_of = |row: u32| row as usize + 1;
    let mut cells = Unreadable::new();
    for (row, column, value) in sheet.cells() {
        if let calamine::Data::Error(error) = value {
            let position = (line_of(origin.0 + row as u32), origin.1 as usize + column);
            cells.insert(
                position,
                format!("eine Zelle zeigt den Excel-Fehler {error}"),
            );
        }
    }
    let formula_origin = formulas.start().unwrap_or((0, 0));
    for (row, column, formula) in formulas.cells() {
        let (row, column) = (
            formula_origin.0 + row as u32,
            formula_origin.1 + column as u32,
        );
        let value = sheet.get_value((row, column));
        if !formula.is_empty() && value.is_none_or(|v| *v == calamine::Data::Empty) {
            cells.insert(
                (line_of(row), column as usize),
                format!(
                    "eine Formel ohne gespeichertes Ergebnis (={formula}); bitte die Datei in \
                     einer Tabellenkalkulation öffnen und speichern"
                ),
            );
        }
    }
    let mut lines = sheet.rows().enumerate().map(|(index, cells)| {
        let mut fields = vec![String::new(); origin.1 as usize];
        fields.extend(cells.iter().map(cell_text));
        Record {
            line: line_of(origin.0) + index,
            fields,
        }
    });
    let header = lines.next().map(|record| record.fields).unwrap_or_default();
    let records: Vec<Record> = lines
        .filter(|record| record.fields.iter().any(|field| !field.trim().is_empty()))
        .collect();
    rows(&header, &records, &cells)
}

/// Checks that a workbook unpacks to at most `max` bytes, by unpacking it
/// (a part's stated size may lie), so that a small file cannot make the
/// reader take gigabytes.
fn unpacks_within(bytes: &[u8], max: u64) -> Result<(), String> {
    use std::io::Read;
    let unreadable = || "keine lesbare Excel-Arbeitsmappe (.xlsx)".to_owned();
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| unreadable())?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive.by_index(index).map_err(|_| unreadable())?;
        let left = max.saturating_sub(total);
        let read = std::io::copy(&mut part.take(left + 1), &mut std::io::sink())
            .map_err(|_| unreadable())?;
        total = total.saturating_add(read);
        if total > max {
            return Err(format!(
                "die Excel-Arbeitsmappe ist entpackt größer als {} MiB; bitte als CSV speichern \
                 oder teilen",
                max / (1024 * 1024)
            ));
        }
    }
    Ok(())
}

/// Whether `bytes` are neither text nor a workbook: a NUL byte outside
/// UTF-16 (which says so by its byte-order mark).
pub fn is_binary(bytes: &[u8]) -> bool {
    let utf16 = bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
    !is_xlsx(bytes) && !utf16 && bytes.contains(&0)
}

/// Whether `bytes` are a workbook (a ZIP archive) rather than text.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Why a rollout file's rows cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    /// Neither a text nor an Excel workbook.
    NotATable,
    /// UTF-8 up to this line (1-based) and not there: the file mixes
    /// encodings, and reading it as Windows-1252 would garble the rest.
    MixedEncoding {
        line: usize,
    },
    /// The rows that do not read, by line (the header as line 1).
    Rows(Vec<CsvError>),
}

impl FileError {
    /// What is wrong with the file, in German, for the person who chose
    /// it; of the rows that do not read, the first `shown` by line.
    pub fn message_de(&self, shown: usize) -> String {
        match self {
            Self::Empty => "Die Datei ist leer.".to_owned(),
            Self::NotATable => {
                "Die Datei ist weder eine CSV-Datei noch eine Excel-Arbeitsmappe (.xlsx)."
                    .to_owned()
            }
            Self::MixedEncoding { line } => format!(
                "Zeile {line} ist kein UTF-8, die Zeilen davor sind es; die Datei mischt \
                 Kodierungen. Bitte als UTF-8 speichern."
            ),
            Self::Rows(errors) => {
                let listed: Vec<String> =
                    errors.iter().take(shown).map(ToString::to_string).collect();
                match errors.len() - listed.len() {
                    0 => listed.join("; "),
                    more => format!("{} … und {more} weitere.", listed.join("; ")),
                }
            }
        }
    }
}

/// A rollout file's rows, whichever kind it is: an Excel workbook's first
/// visible sheet (unpacked at most to `unpacked_max` bytes), or a CSV
/// text in UTF-8, UTF-16 with its byte-order mark, or Windows-1252; with
/// how a text was read (`None` for a workbook).
pub fn read_file(
    bytes: &[u8],
    unpacked_max: u64,
) -> Result<(Vec<Row>, Option<Encoding>), FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if is_xlsx(bytes) {
        let rows = read_xlsx(bytes, unpacked_max).map_err(FileError::Rows)?;
        return Ok((rows, None));
    }
    if is_binary(bytes) {
        return Err(FileError::NotATable);
    }
    let (text, encoding) = encoding::decode(bytes);
    if let Encoding::Mixed { line } = encoding {
        return Err(FileError::MixedEncoding { line });
    }
    let rows = read(&text).map_err(FileError::Rows)?;
    Ok((rows, Some(encoding)))
}

/// A cell as a CSV file would have it.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{number:.0}")
        }
        Data::Float(number) => number.to_string(),
        Data::Bool(true) => "wahr".to_owned(),
        Data::Bool(false) => "falsch".to_owned(),
        Data::DateTime(serial) => {
            let (year, month, day, ..) = serial.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        Data::Error(error) => format!("#{error:?}"),
        Data::Empty => String::new(),
    }
}

/// Cells of a workbook that have no value to read, by line and column,
/// with why.
type Unreadable = BTreeMap<(usize, usize), String>;

/// The rows of `records` under `header`; a cell in `unreadable` that a
/// row is read from fails its row.
fn rows(
    header: &[String],
    records: &[Record],
    unreadable: &Unreadable,
) -> Result<Vec<Row>, Vec<CsvError>> {
    if header.iter().all(|name| name.trim().is_empty()) {
        let reason = "die Datei ist leer: ihr fehlt die Kopfzeile (AGS, Leistung, Stufe)";
        return Err(vec![CsvError {
            line: 1,
            reason: reason.to_owned(),
        }]);
    }
    let columns = Columns::find(header).map_err(|reason| vec![CsvError { line: 1, reason }])?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeMap::new();
    for record in records {
        let cell = columns
            .read()
            .find_map(|column| unreadable.get(&(record.line, column)));
        if let Some(why) = cell {
            errors.push(record.error(why.clone()));
            continue;
        }
        match row(record, &columns) {
            Ok(row) => match seen.insert((row.ags, row.service.clone()), row.line) {
                Some(earlier) => errors.push(record.error(format!(
                    "{} und {} stehen schon in Zeile {earlier}",
                    row.ags, row.service
                ))),
                None => rows.push(row),
            },
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
    // Cells beyond the header's columns would be dropped: a separator
    // inside a note that is not quoted, most likely.
    let beyond = record.fields.iter().skip(columns.count);
    if beyond.clone().any(|field| !field.trim().is_empty()) {
        return Err(format!(
            "{} Spalten, die Kopfzeile nennt {}; steht ein Trennzeichen in einem Feld ohne \
             Anführungszeichen?",
            record.fields.len(),
            columns.count
        ));
    }
    if let Some(index) = (columns.unnamed.iter()).find(|index| !cell(**index).is_empty()) {
        return Err(format!(
            "Spalte {} hat keine Überschrift, aber einen Wert („{}“); welche Angabe ist es?",
            index + 1,
            cell(*index)
        ));
    }
    let since = columns.since.map(cell).filter(|value| !value.is_empty());
    let note = columns.note.map(cell).filter(|value| !value.is_empty());
    let predecessor = columns
        .predecessor
        .map(cell)
        .filter(|value| !value.is_empty());
    // A line break in a cell as Windows writes it is one line break.
    let note = note.map(|note| note.replace("\r\n", "\n").replace('\r', "\n"));
    if let Some(note) = &note {
        efa_domain::adoption_note_is_valid(note).map_err(|rejection| match rejection {
            efa_proto::Rejection::Invalid { reason, .. } => format!("Notiz: {reason}"),
            other => format!("Notiz: {other}"),
        })?;
    }
    Ok(Row {
        line: record.line,
        ags: ags(named(columns.ags, "AGS")?)?,
        service: ServiceId::parse(named(columns.service, "Leistung")?).map_err(|e| german(&e))?,
        stage: stage(named(columns.stage, "Stufe")?)?,
        since: since.map(date).transpose()?,
        note,
        predecessor: predecessor.map(ags).transpose()?,
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
    let day = match german_form.as_slice() {
        [day, month, year] if year.len() == 4 => match (day.parse(), month.parse(), year.parse()) {
            (Ok(day), Ok(month), Ok(year)) => Date::from_ymd(year, month, day).ok(),
            _ => None,
        },
        [_] => Date::parse(text).ok(),
        _ => None,
    };
    day.ok_or_else(|| {
        format!("Datum „{text}“ ungültig: ein Tag des Kalenders als TT.MM.JJJJ oder JJJJ-MM-TT")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdoptionStage::{Agreed, Live, Onboarding};

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
        assert_eq!(rows[0].predecessor, None);

        // A successor's table names the predecessor whose adoption counts.
        let text = "AGS;Gemeinde;Leistung;Stufe;Seit;Kreis;Vorgängergemeinde\n\
                    16055000;Weimar;wohngeld;vereinbart;2025-03-01;16055;16071001\n\
                    16055000;Weimar;elterngeld;beantragt;2025-03-01;16055;\n";
        let rows = read(text).unwrap();
        assert_eq!(rows[0].predecessor, Some(Ags::parse("16071001").unwrap()));
        assert_eq!(rows[1].predecessor, None);
        let bad = text.replace(";16071001", ";1607100x");
        let errors = read(&bad).unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
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
            errors[3].reason.contains("Datum „31.02.2025“ ungültig"),
            "{errors:?}"
        );
        assert!(
            errors[4].reason.contains("stehen schon in Zeile 2"),
            "{errors:?}"
        );
        assert!(errors[5].reason.contains("„Leistung“ ist leer"));
        let missing = read("Gemeinde;Stufe\nErfurt;live\n").unwrap_err();
        assert_eq!(missing[0].line, 1);
        assert!(
            missing[0].reason.contains("keine Spalte „ags“"),
            "{missing:?}"
        );
    }

    #[test]
    fn a_workbook_reads_as_its_csv_would() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let header = ["AGS", "Gemeinde", "Leistung", "Stufe", "Seit", "Kreis"];
        for (column, title) in (0u16..).zip(header) {
            sheet.write_string(0, column, title).unwrap();
        }
        let date = Format::new().set_num_format("dd.mm.yyyy");
        // The registry's own cells: the AGS as text, the day as a date.
        sheet.write_string(1, 0, "16051000").unwrap();
        sheet.write_string(1, 1, "Erfurt").unwrap();
        sheet.write_string(1, 2, "wohngeld").unwrap();
        sheet.write_string(1, 3, "in Betrieb").unwrap();
        let first_of_march = ExcelDateTime::from_ymd(2025, 3, 1).unwrap();
        sheet
            .write_datetime_with_format(1, 4, &first_of_march, &date)
            .unwrap();
        // A row typed in by hand: the AGS as a number, no day, a blank
        // row before it.
        sheet.write_number(3, 0, 1_001_000.0).unwrap();
        sheet.write_string(3, 2, "wohngeld").unwrap();
        sheet.write_string(3, 3, "beantragt").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        assert!(is_xlsx(&bytes));
        let rows = read_xlsx(&bytes, MIB).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].stage), (2, Live));
        assert_eq!(rows[0].since, Some(day("2025-03-01")));
        assert_eq!(rows[1].ags, Ags::parse("01001000").unwrap());
        assert_eq!((rows[1].line, rows[1].since), (4, None));

        // A hidden sheet before it is passed over.
        let mut hidden = Workbook::new();
        let notes = hidden.add_worksheet();
        notes.write_string(0, 0, "Notizen").unwrap();
        notes.set_hidden(true);
        let sheet = hidden.add_worksheet();
        // A hidden sheet cannot be the one shown on opening.
        sheet.set_active(true);
        for (column, title) in (0u16..).zip(["AGS", "Leistung", "Stufe"]) {
            sheet.write_string(0, column, title).unwrap();
        }
        for (column, value) in (0u16..).zip(["16051000", "wohngeld", "beantragt"]) {
            sheet.write_string(1, column, value).unwrap();
        }
        let rows = read_xlsx(&hidden.save_to_buffer().unwrap(), MIB).unwrap();
        assert_eq!(rows.len(), 1);

        let mut bad = Workbook::new();
        let sheet = bad.add_worksheet();
        sheet.write_string(0, 0, "AGS").unwrap();
        sheet.write_string(0, 1, "Leistung").unwrap();
        sheet.write_string(0, 2, "Stufe").unwrap();
        sheet.write_string(1, 0, "16051000").unwrap();
        sheet.write_string(1, 1, "wohngeld").unwrap();
        sheet.write_string(1, 2, "fertig").unwrap();
        let errors = read_xlsx(&bad.save_to_buffer().unwrap(), MIB).unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(!is_xlsx(b"AGS;Leistung;Stufe"));
        let junk = read_xlsx(b"PK\x03\x04 nicht wirklich", MIB).unwrap_err();
        assert!(
            junk[0].reason.contains("keine lesbare Excel-Arbeitsmappe"),
            "{junk:?}"
        );
    }

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn a_workbook_without_its_values_or_too_large_unpacked_is_refused() {
        use rust_xlsxwriter::Workbook;
        // A note that is an Excel error would be recorded as its code.
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        for (column, title) in (0u16..).zip(["AGS", "Leistung", "Stufe", "Notiz", "Hinweis"]) {
            sheet.write_string(0, column, title).unwrap();
        }
        sheet.write_string(1, 0, "16051000").unwrap();
        sheet.write_string(1, 1, "wohngeld").unwrap();
        sheet.write_string(1, 2, "beantragt").unwrap();
        let note = rust_xlsxwriter::Formula::new("=1/0").set_result("#DIV/0!");
        sheet.write_formula(1, 3, note).unwrap();
        // An error in a column not read is no matter.
        let other = rust_xlsxwriter::Formula::new("=NA()").set_result("#N/A");
        sheet.write_formula(2, 4, other).unwrap();
        for (column, value) in (0u16..).zip(["16052000", "wohngeld", "beantragt"]) {
            sheet.write_string(2, column, value).unwrap();
        }
        let errors = read_xlsx(&workbook.save_to_buffer().unwrap(), MIB).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 2, "{errors:?}");
        assert!(errors[0].reason.contains("Excel-Fehler"), "{errors:?}");

        // A value under a column without a name is not dropped.
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        for (column, title) in (0u16..).zip(["AGS", "Leistung", "Stufe"]) {
            sheet.write_string(0, column, title).unwrap();
        }
        let values = ["16051000", "wohngeld", "beantragt", "2025-02-01"];
        for (column, value) in (0u16..).zip(values) {
            sheet.write_string(1, column, value).unwrap();
        }
        let errors = read_xlsx(&workbook.save_to_buffer().unwrap(), MIB).unwrap_err();
        assert!(
            errors[0].reason.contains("Spalte 4 hat keine Überschrift"),
            "{errors:?}"
        );

        // Small packed, large unpacked: refused before it is read.
        let mut packed = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut packed);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        std::io::Write::write_all(&mut zip, &vec![b' '; 3 * MIB as usize]).unwrap();
        zip.finish().unwrap();
        let bytes = packed.into_inner();
        assert!(bytes.len() < 64 * 1024, "{} bytes packed", bytes.len());
        let errors = read_xlsx(&bytes, 2 * MIB).unwrap_err();
        assert!(
            errors[0].reason.contains("entpackt größer als 2 MiB"),
            "{errors:?}"
        );
    }

    #[test]
    fn what_a_file_would_lose_is_refused() {
        // A quote never closed would take the rows after it into a note.
        let open = "AGS;Leistung;Stufe;Seit;Notiz\n\
                    16055000;wohngeld;beantragt;;\"offen\n\
                    16067901;wohngeld;beantragt;;x\n";
        let errors = read(open).unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
        assert!(errors[0].reason.contains("nicht wieder geschlossen"));
        // A separator in a note without quotes: more cells than columns.
        let split = "AGS;Leistung;Stufe;Seit;Notiz\n\
                     16055000;wohngeld;beantragt;;Termin 3.2.; danach Test\n\
                     16055001;wohngeld;beantragt;;;;\n";
        let errors = read(split).unwrap_err();
        assert_eq!(errors.len(), 1, "empty cells beyond are fine: {errors:?}");
        assert!(
            errors[0]
                .reason
                .contains("6 Spalten, die Kopfzeile nennt 5")
        );
        // A column named twice, also by two of its names.
        for header in [
            "AGS;Leistung;Stufe;Stufe",
            "AGS;Gemeindeschlüssel;Leistung;Stufe",
        ] {
            let text = format!("{header}\n16055000;16055000;wohngeld;beantragt\n");
            let errors = read(&text).unwrap_err();
            assert!(errors[0].reason.contains("zweimal"), "{errors:?}");
        }
        // A note's Windows line break is a line break; a tab is refused.
        let notes = "AGS;Leistung;Stufe;Notiz\r\n\
                     16055000;wohngeld;beantragt;\"zwei\r\nZeilen\"\r\n";
        assert_eq!(
            read(notes).unwrap()[0].note.as_deref(),
            Some("zwei\nZeilen")
        );
        let tab = "AGS,Leistung,Stufe,Notiz\n16055000,wohngeld,beantragt,a\tb\n";
        let errors = read(tab).unwrap_err();
        assert!(
            errors[0].reason.contains("Notiz: enthält Steuerzeichen"),
            "{errors:?}"
        );
        let long = format!(
            "AGS;Leistung;Stufe;Notiz\n16055000;wohngeld;beantragt;{}\n",
            "x".repeat(1001)
        );
        assert!(
            read(&long).unwrap_err()[0]
                .reason
                .contains("höchstens 1000 Zeichen")
        );
    }

    #[test]
    fn a_file_is_read_by_its_kind() {
        let text = "AGS;Leistung;Stufe\n16051000;wohngeld;vereinbart\n";
        let (rows, read_as) = read_file(text.as_bytes(), MIB).unwrap();
        assert_eq!((rows.len(), read_as), (1, Some(Encoding::Utf8)));
        // Windows-1252: "zurückgezogen" with 0xfc.
        let mut latin = b"AGS;Leistung;Stufe\n16051000;wohngeld;zur".to_vec();
        latin.extend_from_slice(b"\xfcckgezogen\n");
        let (rows, read_as) = read_file(&latin, MIB).unwrap();
        assert_eq!(rows[0].stage, AdoptionStage::Withdrawn);
        assert_eq!(read_as, Some(Encoding::Windows1252));
        let mut mixed = "AGS;Leistung;Stufe\n16051000;wohngeld;zurückgezogen\n"
            .as_bytes()
            .to_vec();
        mixed.extend_from_slice(b"16052000;wohngeld;zur\xfcckgezogen\n");
        assert_eq!(
            read_file(&mixed, MIB),
            Err(FileError::MixedEncoding { line: 3 })
        );
        assert_eq!(read_file(b"", MIB), Err(FileError::Empty));
        assert_eq!(
            read_file(b"\x00\x01\x02 binary", MIB),
            Err(FileError::NotATable)
        );
        let bad = read_file(b"AGS;Leistung;Stufe\n16051000;wohngeld;fertig\n", MIB);
        assert!(matches!(bad, Err(FileError::Rows(errors)) if errors[0].line == 2));
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (column, value) in (0u16..).zip(["AGS", "Leistung", "Stufe"]) {
            sheet.write_string(0, column, value).unwrap();
        }
        for (column, value) in (0u16..).zip(["16051000", "wohngeld", "beantragt"]) {
            sheet.write_string(1, column, value).unwrap();
        }
        let (rows, read_as) = read_file(&workbook.save_to_buffer().unwrap(), MIB).unwrap();
        assert_eq!((rows.len(), read_as), (1, None));
    }

    #[test]
    fn a_file_error_is_said_in_german_with_its_first_rows() {
        let text = "AGS;Leistung;Stufe\nx;wohngeld;Live\ny;wohngeld;Live\nz;wohngeld;Live\n";
        let Err(error) = read_file(text.as_bytes(), 1 << 20) else {
            panic!("three bad rows")
        };
        let message = error.message_de(2);
        assert!(message.starts_with("Zeile 2"), "{message}");
        assert!(message.contains("; Zeile 3"), "{message}");
        assert!(message.ends_with(" … und 1 weitere."), "{message}");
        assert!(!message.contains("Zeile 4"), "{message}");
        assert_eq!(FileError::Empty.message_de(5), "Die Datei ist leer.");
    }
}
