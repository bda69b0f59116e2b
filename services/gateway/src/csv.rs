//! CSV for spreadsheets as German offices use them: UTF-8 with a byte
//! order mark (so Excel reads the umlauts), `;` between fields (the comma
//! is the decimal separator), CRLF line ends, a German header row, and
//! quoting per RFC 4180: a field containing `;`, `"`, CR or LF is quoted,
//! with inner quotes doubled. Numbers are plain integers, euro amounts
//! have a decimal comma (`1234,56`), dates are ISO 8601.

use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use efa_proto::Cents;

/// The media type of every CSV answer.
pub const CONTENT_TYPE_CSV: &str = "text/csv; charset=utf-8";
const BOM: &str = "\u{feff}";
const SEPARATOR: char = ';';

/// A table to be written as CSV: a file name, a header and rows of
/// already formatted fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The file name without `.csv`, e.g. `katalog`.
    pub name: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(name: impl Into<String>, header: &[&'static str]) -> Self {
        Self {
            name: name.into(),
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The CSV text, BOM first.
    pub fn render(&self) -> String {
        let mut out = String::from(BOM);
        write_row(&mut out, self.header.iter().copied());
        out.push_str(&self.render_rows());
        out
    }

    /// The rows alone, without BOM and header: a later part of a CSV
    /// that is sent in parts.
    pub fn render_rows(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            write_row(&mut out, row.iter().map(String::as_str));
        }
        out
    }

    /// `Content-Disposition`: an attachment named after the table.
    pub fn disposition(&self) -> HeaderValue {
        let file = safe_file_name(&self.name);
        HeaderValue::from_str(&format!("attachment; filename=\"{file}.csv\""))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    }
}

impl IntoResponse for Table {
    fn into_response(self) -> Response {
        let disposition = self.disposition();
        (
            [
                (CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_CSV)),
                (CONTENT_DISPOSITION, disposition),
            ],
            self.render(),
        )
            .into_response()
    }
}

fn write_row<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        write_field(out, field);
    }
    out.push_str("\r\n");
}

fn write_field(out: &mut String, field: &str) {
    if field.contains([SEPARATOR, '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Letters, digits, `-` and `_` only: a file name that needs no quoting.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
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
        let mut table = Table::new("probe", &["Name", "Betrag"]);
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
    fn the_response_is_an_attachment() {
        let response = Table::new("kosten 2023/ü", &["A"]).into_response();
        assert_eq!(response.headers()[CONTENT_TYPE], CONTENT_TYPE_CSV);
        assert_eq!(
            response.headers()[CONTENT_DISPOSITION],
            "attachment; filename=\"kosten-2023--.csv\""
        );
    }
}
