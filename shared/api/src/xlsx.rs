//! The CSV tables (`csv::Table`) as Excel workbooks, for the offices that
//! open every download in a spreadsheet. A CSV cannot say what a cell is,
//! so Excel guesses: an AGS `01001000` or a Land `01` loses its leading
//! zero, a share `1/6` becomes the first of June. Here each column has a
//! kind, decided by its German header (the same headers as the CSV):
//! euro amounts and counts are numbers, dates are dates, everything else
//! (keys, codes, fractions, names) is text and stays as written. A cell
//! that does not read as its column's kind (the label of a sum row, an
//! empty cell) is written as text or left empty. Text is never a formula:
//! the writer stores it as a string cell.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::csv::Table;

/// The most rows a workbook is made of: a whole list with more is
/// refused (its CSV streams), so one download cannot take the gateway's
/// memory. A workbook holds its cells in memory until it is written.
pub const ROWS_MAX: usize = 50_000;

/// What a column holds, as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// Whole numbers: counts, days, weights, sequences, years.
    Integer,
    /// Euros with a decimal comma (`-1234,05`).
    Euros,
    /// A percentage with a decimal comma (`12,5`).
    Percent,
    /// `2024-03-15`.
    Date,
    /// `2024-03-15T08:51:24Z`, in UTC.
    Timestamp,
}

/// Columns of whole numbers, by header.
const INTEGER_COLUMNS: [&str; 24] = [
    "Reifegrad",
    "Version",
    "Gewicht",
    "Tage",
    "Gemeinden",
    "Einwohner",
    "Einwohner in Betrieb",
    "beantragt",
    "vereinbart",
    "Anbindung",
    "in Betrieb",
    "zurückgezogen",
    "Sequenz",
    "Ledger-Sequenz",
    "Seit Ledger-Sequenz",
    "Kostennummer",
    "Jahr",
    "Korrekturen",
    "Schlüsseljahr",
    "Abrechnung (Sequenz)",
    "Beruht auf Sequenz",
    "Tage seit dem letzten Schritt",
    "Tage bis in Betrieb (Median)",
    "Tage bis in Betrieb (90 %)",
];

/// Columns of dates, by header.
const DATE_COLUMNS: [&str; 9] = [
    "Angekündigt am",
    "Beigetreten am",
    "Ausgetreten am",
    "Seit",
    "Letzter Schritt",
    "Wirksam ab",
    "Stand",
    "Modell gilt seit",
    "Zurückgezogen am",
];

fn kind_of(header: &str) -> Kind {
    if header.ends_with("(Euro)") {
        Kind::Euros
    } else if header.ends_with("(Prozent)") {
        Kind::Percent
    } else if header == "Erfasst am" {
        Kind::Timestamp
    } else if DATE_COLUMNS.contains(&header) {
        Kind::Date
    } else if INTEGER_COLUMNS.contains(&header) {
        Kind::Integer
    } else {
        Kind::Text
    }
}

/// The number formats, as German Excel shows them (it localises the
/// separators itself).
struct Formats {
    header: Format,
    /// Whole numbers as they are (bold in a row of sums).
    integer: Format,
    euros: Format,
    percent: Format,
    date: Format,
    /// Times are UTC, as in the CSV (`Z`) and on the audit page.
    timestamp: Format,
    /// Text with a line break shows its lines.
    wrapped: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold(),
            integer: Format::new(),
            euros: Format::new().set_num_format("#,##0.00 \"€\";-#,##0.00 \"€\""),
            percent: Format::new().set_num_format("0.00####"),
            date: Format::new().set_num_format("dd.mm.yyyy"),
            timestamp: Format::new().set_num_format("dd.mm.yyyy hh:mm:ss \"UTC\""),
            wrapped: Format::new().set_text_wrap(),
        }
    }

    /// The same, bold: for the rows of sums.
    fn bold(&self) -> Self {
        Self {
            header: self.header.clone(),
            integer: self.integer.clone().set_bold(),
            euros: self.euros.clone().set_bold(),
            percent: self.percent.clone().set_bold(),
            date: self.date.clone().set_bold(),
            timestamp: self.timestamp.clone().set_bold(),
            wrapped: self.wrapped.clone().set_bold(),
        }
    }
}

/// How wide a column of dates or times is, in characters: Excel does not
/// count a number format's width when fitting a column to its contents.
fn fixed_width(kind: Kind) -> Option<f64> {
    match kind {
        Kind::Date => Some(12.0),
        Kind::Timestamp => Some(25.0),
        _ => None,
    }
}

/// A whole number, if the cell is one Excel holds exactly (below 2^53).
fn integer(cell: &str) -> Option<f64> {
    const EXACT: i64 = 1 << 53;
    let number: i64 = cell.parse().ok()?;
    #[allow(clippy::cast_precision_loss)] // checked to be exact
    (number.abs() < EXACT).then_some(number as f64)
}

/// `2024-03-15` or `2024-03-15T08:51:24Z`.
fn date_time(cell: &str) -> Option<ExcelDateTime> {
    let (date, time) = match cell.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z')?)),
        None => (cell, None),
    };
    let (year, month, day) = efa_proto::Date::parse(date).ok()?.ymd();
    let date = ExcelDateTime::from_ymd(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let Some(time) = time else {
        return Some(date);
    };
    let mut parts = time.splitn(3, ':');
    let hour = parts.next()?.parse().ok()?;
    let minute = parts.next()?.parse().ok()?;
    // Whole seconds, as the CSV's reader reads them: Excel would round a
    // fraction up to the next second when it shows the time.
    let second: f64 = parts.next()?.parse::<f64>().ok()?.trunc();
    date.and_hms(hour, minute, second).ok()
}

fn write_cell(
    sheet: &mut Worksheet,
    (row, column): (u32, u16),
    (kind, cell): (Kind, &str),
    (formats, bold): (&Formats, bool),
) -> Result<(), XlsxError> {
    if cell.is_empty() {
        return Ok(());
    }
    let written = match kind {
        Kind::Integer => {
            integer(cell).map(|n| sheet.write_number_with_format(row, column, n, &formats.integer))
        }
        Kind::Euros => crate::csv::number_de(cell)
            .map(|n| sheet.write_number_with_format(row, column, n, &formats.euros)),
        Kind::Percent => crate::csv::number_de(cell)
            .map(|n| sheet.write_number_with_format(row, column, n, &formats.percent)),
        Kind::Date => date_time(cell)
            .map(|date| sheet.write_datetime_with_format(row, column, &date, &formats.date)),
        Kind::Timestamp => date_time(cell)
            .map(|at| sheet.write_datetime_with_format(row, column, &at, &formats.timestamp)),
        Kind::Text => None,
    };
    match written {
        Some(result) => result.map(drop),
        None if cell.contains('\n') => sheet
            .write_string_with_format(row, column, cell, &formats.wrapped)
            .map(drop),
        None if bold => sheet
            .write_string_with_format(row, column, cell, &formats.header)
            .map(drop),
        None => sheet.write_string(row, column, cell).map(drop),
    }
}

/// The sheet's name: the table's name without the day it is as of
/// (`kostenaufstellung-16-2024` of `kostenaufstellung-16-2024-stand-…`,
/// which the file's name carries), cut at a `-` to Excel's 31
/// characters; none of `[]:*?/\`.
fn sheet_name(table: &str) -> String {
    const MAX: usize = 31;
    let name = crate::csv::safe_file_name(table);
    let name = name.split("-stand-").next().unwrap_or(&name);
    if name.chars().count() <= MAX {
        return name.to_owned();
    }
    let cut: String = name.chars().take(MAX).collect();
    match cut.rfind('-') {
        Some(at) if at > 0 => cut[..at].to_owned(),
        _ => cut,
    }
}

/// The day a table named `…-stand-JJJJ-MM-TT…` is as of, at midnight: the
/// workbook's creation time, so that the same figures give the same
/// bytes (a statement asked for again as recorded up to its sequence is
/// the same file); `None` for a table without a Stand, created now.
fn stand_of(table: &str) -> Option<ExcelDateTime> {
    let (_, after) = table.split_once("-stand-")?;
    date_time(&format!("{}T00:00:00Z", after.get(..10)?))
}

/// The workbook's bytes: one sheet named after the table, the header row
/// bold, frozen and filterable, the columns as wide as their contents,
/// the rows of sums bold and apart, below an empty row and outside the
/// filter, so that sorting and filtering leave them out.
pub fn render(table: &Table) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let bold = formats.bold();
    let kinds: Vec<Kind> = table.header.iter().map(|h| kind_of(h)).collect();
    let mut workbook = Workbook::new();
    let mut properties = DocProperties::new()
        .set_title(&table.name)
        .set_author("EfA-Register");
    if let Some(stand) = stand_of(&table.name) {
        properties = properties.set_creation_datetime(&stand);
    }
    workbook.set_properties(&properties);
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&table.name))?;
    for (column, title) in (0u16..).zip(&table.header) {
        sheet.write_string_with_format(0, column, title, &formats.header)?;
    }
    let data = table.rows.len().saturating_sub(table.totals);
    let last_row = u32::try_from(data).unwrap_or(u32::MAX);
    // The sums a row further down: an empty row between.
    let places = (1u32..).map(|row| if row > last_row { row + 1 } else { row });
    for ((row, cells), index) in places.zip(&table.rows).zip(0..) {
        let style = if index < data {
            (&formats, false)
        } else {
            (&bold, true)
        };
        for ((column, cell), kind) in (0u16..).zip(cells).zip(&kinds) {
            write_cell(sheet, (row, column), (*kind, cell), style)?;
        }
    }
    let last_column = u16::try_from(table.header.len().saturating_sub(1)).unwrap_or(0);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_column)?;
    sheet.set_autofit_max_width(400);
    sheet.autofit();
    for (column, kind) in (0u16..).zip(&kinds) {
        if let Some(width) = fixed_width(*kind) {
            sheet.set_column_width(column, width)?;
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    use super::*;

    /// The workbook of `table` read back as a spreadsheet reads it.
    fn read_back(table: &Table) -> Vec<Vec<Data>> {
        let bytes = render(table).expect("the workbook is written");
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX");
        assert_eq!(workbook.sheet_names().len(), 1);
        let range = workbook
            .worksheet_range_at(0)
            .expect("a sheet")
            .expect("its sheet");
        range.rows().map(<[Data]>::to_vec).collect()
    }

    fn text(cell: &Data) -> &str {
        match cell {
            Data::String(text) => text,
            other => panic!("expected text, got {other:?}"),
        }
    }

    fn number(cell: &Data) -> f64 {
        match cell {
            Data::Float(n) => *n,
            #[allow(clippy::cast_precision_loss)]
            Data::Int(n) => *n as f64,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    fn serial_day(cell: &Data) -> f64 {
        match cell {
            Data::DateTime(date) => date.as_f64(),
            other => panic!("expected a date, got {other:?}"),
        }
    }

    /// A table with a Stand gives the same bytes whenever it is written:
    /// the workbook's creation time is the Stand, not the moment (whole
    /// seconds; the second write comes more than a second later).
    #[test]
    fn a_table_with_a_stand_gives_the_same_bytes_later() {
        let mut table = Table::new(
            "kostenaufstellung-16-2024-stand-2024-12-31",
            "Land;Anteil (Euro)",
        );
        table.push(vec!["16".to_owned(), "12,34".to_owned()]);
        let first = render(&table).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(render(&table).unwrap(), first);
        assert!(stand_of("katalog").is_none());
    }

    #[test]
    fn keys_stay_text_amounts_are_numbers_and_dates_are_dates() {
        let mut table = Table::new(
            "kostenaufstellung-01-2024",
            "Land;AGS;Anteil (Bruch);Tage;Anteil (Euro);Gewicht (Prozent);Seit;Erfasst am;Titel",
        );
        table.push(
            [
                "01",
                "01001000",
                "1/6",
                "366",
                "-1234,05",
                "12,5",
                "2024-03-15",
                "2024-03-15T12:00:00Z",
                "=HYPERLINK(\"x\")",
            ]
            .map(str::to_owned)
            .to_vec(),
        );
        table.push(
            ["", "", "", "", "1234567,89", "", "", "", "Summe"]
                .map(str::to_owned)
                .to_vec(),
        );
        let rows = read_back(&table);
        assert_eq!(rows.len(), 3);
        let header: Vec<&str> = rows[0].iter().map(text).collect();
        assert_eq!(header, table.header);
        let row = &rows[1];
        assert_eq!(text(&row[0]), "01");
        assert_eq!(text(&row[1]), "01001000");
        assert_eq!(text(&row[2]), "1/6");
        assert!((number(&row[3]) - 366.0).abs() < f64::EPSILON);
        assert!((number(&row[4]) - -1234.05).abs() < 1e-9);
        assert!((number(&row[5]) - 12.5).abs() < 1e-9);
        // 2024-03-15 is day 45366 of Excel's calendar; noon is half a day.
        assert!((serial_day(&row[6]) - 45366.0).abs() < 1e-9);
        assert!((serial_day(&row[7]) - 45366.5).abs() < 1e-9);
        assert_eq!(text(&row[8]), "=HYPERLINK(\"x\")");
        let sum = &rows[2];
        assert_eq!(sum[0], Data::Empty);
        assert!((number(&sum[4]) - 1_234_567.89).abs() < 1e-6);
        assert_eq!(text(&sum[8]), "Summe");
    }

    /// The rows of sums stand below an empty row, apart from the rows a
    /// spreadsheet sorts and filters; a cell with a line break keeps it.
    #[test]
    fn sums_stand_apart_below_the_data() {
        let mut table = Table::new("t", "Titel;Anteil (Euro)");
        table.push(vec!["Zeile\nzwei".to_owned(), "1,00".to_owned()]);
        table.push(vec!["b".to_owned(), "2,00".to_owned()]);
        table.push(vec!["Summe".to_owned(), "3,00".to_owned()]);
        table.totals = 1;
        let rows = read_back(&table);
        assert_eq!(rows.len(), 5, "{rows:?}");
        assert_eq!(text(&rows[1][0]), "Zeile\nzwei");
        assert!(rows[3].iter().all(|cell| *cell == Data::Empty), "{rows:?}");
        assert_eq!(text(&rows[4][0]), "Summe");
        assert!((number(&rows[4][1]) - 3.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_cell_that_is_not_of_its_columns_kind_stays_text() {
        let mut table = Table::new("t", "Tage;Anteil (Euro);Seit");
        let cells = ["12 Tage", "1.234,00", "15.03.2024"];
        table.push(cells.map(str::to_owned).to_vec());
        let rows = read_back(&table);
        for (cell, written) in rows[1].iter().zip(cells) {
            assert_eq!(text(cell), written);
        }
    }

    #[test]
    fn a_long_name_is_cut_to_a_sheet_name_and_the_file_named_like_the_csv() {
        let sheet_of = |name: &str| {
            let bytes = render(&Table::new(name, "Land")).expect("the workbook is written");
            let workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX");
            workbook.sheet_names()
        };
        for (table, sheet) in [
            (
                "kostenaufstellung-16-2024-stand-2024-12-31",
                "kostenaufstellung-16-2024",
            ),
            // A history's name holds a `:`, which a sheet's name may not.
            (
                "historie-service:wohngeld/[x]*?",
                "historie-service-wohngeld--x---",
            ),
            // Longer than 31 characters: cut where a word ends.
            (
                "abrechnung-unterhaltsvorschuss-online-2022-stand-2024-01-01",
                "abrechnung-unterhaltsvorschuss",
            ),
            ("16:2024", "16-2024"),
        ] {
            assert_eq!(sheet_of(table), vec![sheet.to_owned()], "{table}");
        }
        let table = Table::new("kostenaufstellung-16-2024-stand-2024-12-31", "Land");
        assert_eq!(
            table.file_name("xlsx"),
            "kostenaufstellung-16-2024-stand-2024-12-31.xlsx"
        );
    }

    #[test]
    fn numbers_beyond_what_excel_holds_exactly_stay_text() {
        assert_eq!(integer("9007199254740991"), Some(9_007_199_254_740_991.0));
        assert_eq!(integer("9007199254740992"), None);
        // A time shows its whole seconds, as its text reads.
        let at = date_time("2024-03-15T12:00:00.900Z").expect("a time");
        assert!((at.to_excel() - 45366.5).abs() < 1e-9);
        assert_eq!(crate::csv::number_de("-0,05"), Some(-0.05));
        assert_eq!(crate::csv::number_de("1,"), None);
        assert_eq!(crate::csv::number_de(",5"), None);
        assert!(date_time("2024-02-30").is_none());
    }
}
