//! CSV for spreadsheets as German offices use them, written with the
//! `csv` crate: UTF-8 with a byte order mark (so Excel reads the umlauts),
//! `;` between fields (the comma is the decimal separator), CRLF line
//! ends, a German header row, and quoting per RFC 4180 where a field needs
//! it. Numbers are plain integers, euro amounts have a decimal comma
//! (`1234,56`), dates are ISO 8601. A text cell that a spreadsheet would
//! read as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a
//! leading `'`, so a title such as `=HYPERLINK(…)` stays text; a number
//! (`-12`, `-0,05`) stays a number.

use std::borrow::Cow;
use std::fmt::Display;

use efa_proto::Cents;

const BOM: &str = "\u{feff}";
const SEPARATOR: u8 = b';';

/// A table to be written as CSV: a file name, a header and rows of
/// already formatted fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The file name without `.csv`, e.g. `katalog`.
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// How many of the last rows are sums, not data: a workbook sets them
    /// apart from the rows a spreadsheet sorts and filters.
    pub totals: usize,
}

impl Table {
    /// The table of a view read as recorded up to a ledger sequence is
    /// named with it (`…-bis-sequenz-N`), so that its file is not taken
    /// for, nor overwrites, the same view as recorded now.
    pub fn recorded_up_to(mut self, known_at_seq: Option<u64>) -> Self {
        if let Some(seq) = known_at_seq {
            self.name = format!("{}-bis-sequenz-{seq}", self.name);
        }
        self
    }

    /// An empty table; `header` is the header row as in the file, its
    /// fields separated by `;`.
    pub fn new(name: impl Into<String>, header: &str) -> Self {
        Self {
            name: name.into(),
            header: header.split(';').map(str::to_owned).collect(),
            rows: Vec::new(),
            totals: 0,
        }
    }

    /// A table with the row `row` makes of each of `items`.
    pub fn of<T>(
        name: impl Into<String>,
        header: &str,
        items: impl IntoIterator<Item = T>,
        row: impl FnMut(T) -> Vec<String>,
    ) -> Self {
        let mut table = Self::new(name, header);
        table.rows = items.into_iter().map(row).collect();
        table
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The CSV text, BOM first.
    pub fn render(&self) -> String {
        format!(
            "{BOM}{}",
            write_rows(std::iter::once(&self.header).chain(&self.rows))
        )
    }

    /// The rows alone, without BOM and header: a later part of a CSV
    /// that is sent in parts.
    pub fn render_rows(&self) -> String {
        write_rows(&self.rows)
    }

    /// The name of the table's file ending in `extension`, safe to put
    /// in a header unquoted.
    pub fn file_name(&self, extension: &str) -> String {
        format!("{}.{extension}", safe_file_name(&self.name))
    }
}

/// The rows as CSV text. Writing into memory fails only on a bug of the
/// writer; what was written until then is returned.
fn write_rows<'a>(rows: impl IntoIterator<Item = &'a Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(SEPARATOR)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        let row: Vec<Cow<'_, str>> = row.iter().map(|field| neutralise(field)).collect();
        if let Err(error) = writer.write_record(row.iter().map(|field| field.as_bytes())) {
            tracing::warn!(%error, "a CSV row could not be written");
            break;
        }
    }
    let bytes = writer
        .into_inner()
        .unwrap_or_else(|error| error.into_inner().get_ref().clone());
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// A text cell a spreadsheet would take for a formula, with a `'` before
/// it; numbers and other text unchanged.
fn neutralise(field: &str) -> Cow<'_, str> {
    let risky = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && number_de(field).is_none() {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// `-12`, `3`, `-0,05`: an integer or a number with a decimal comma,
/// as this module writes numbers, read as one; `None` for anything else.
pub fn number_de(field: &str) -> Option<f64> {
    let (whole, fraction) = field.split_once(',').unwrap_or((field, "0"));
    let digits = whole.strip_prefix('-').unwrap_or(whole);
    let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    (plain(digits) && plain(fraction))
        .then(|| format!("{whole}.{fraction}").parse().ok())
        .flatten()
}

/// Letters, digits, `-` and `_` only: a file name that needs no quoting.
pub fn safe_file_name(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    name.chars()
        .map(|c| if safe(c) { c } else { '-' })
        .collect()
}

/// A row of fields as they display.
pub fn cells(fields: &[&dyn Display]) -> Vec<String> {
    fields.iter().map(ToString::to_string).collect()
}

/// Euros with a decimal comma and no thousands separator: `-1234,05`.
pub fn euros(cents: Cents) -> String {
    cents.to_string().replace('.', ",")
}

/// `ja` or `nein`.
pub fn yes_no(value: bool) -> String {
    if value { "ja" } else { "nein" }.to_owned()
}

/// An optional value, empty when absent.
pub fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut table = Table::new("probe", "Name;Betrag");
        table.push(vec!["Bauen; Wohnen".into(), euros(Cents(123_456))]);
        table.push(vec!["Sag \"Hallo\"".into(), euros(Cents(-5))]);
        table.push(vec!["zwei\nZeilen".into(), "plain".into()]);
        table.push(vec!["Zeile\r".into(), String::new()]);
        assert_eq!(
            table.render(),
            "\u{feff}Name;Betrag\r\n\"Bauen; Wohnen\";1234,56\r\n\"Sag \"\"Hallo\"\"\";-0,05\r\n\
             \"zwei\nZeilen\";plain\r\n\"Zeile\r\";\r\n"
        );
    }

    #[test]
    fn formula_cells_are_neutralised_and_numbers_stay_numbers() {
        let mut table = Table::new("probe", "A;B;C;D;E;F");
        table.push(vec![
            "=HYPERLINK(\"http://x\")".into(),
            "+1".into(),
            "-A1".into(),
            "@SUM(A1)".into(),
            "\tx".into(),
            "\rx".into(),
        ]);
        table.push(vec![
            "-12".into(),
            euros(Cents(-5)),
            "12".into(),
            "a=b".into(),
            "-".into(),
            "-1,".into(),
        ]);
        assert_eq!(
            table.render_rows(),
            "\"'=HYPERLINK(\"\"http://x\"\")\";'+1;'-A1;'@SUM(A1);'\tx;\"'\rx\"\r\n\
             -12;-0,05;12;a=b;'-;'-1,\r\n"
        );
    }

    #[test]
    fn the_file_name_needs_no_quoting() {
        let table = Table::new("kosten 2023/ü", "A");
        assert_eq!(table.file_name("csv"), "kosten-2023--.csv");
    }
}
