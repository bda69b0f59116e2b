//! The registry's own CSV files and imports, read with the `csv` crate:
//! a configurable separator, RFC 4180 quoting (a quoted field may hold
//! the separator, doubled quotes and line breaks), a header row that is
//! skipped, blank lines ignored. Every record keeps the line it started
//! on for error messages.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Zeile {line}: {reason}")]
pub struct CsvError {
    pub line: usize,
    pub reason: String,
}

/// A record and the (1-based) line it started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

impl Record {
    /// The field at `index`, or an error naming the column.
    pub fn field(&self, index: usize, column: &str) -> Result<&str, CsvError> {
        self.fields
            .get(index)
            .map(String::as_str)
            .ok_or_else(|| CsvError {
                line: self.line,
                reason: format!("Spalte „{column}“ fehlt"),
            })
    }

    pub fn error(&self, reason: impl Into<String>) -> CsvError {
        CsvError {
            line: self.line,
            reason: reason.into(),
        }
    }
}

/// Parses `text` into records, skipping the header line and blank lines.
/// A leading byte-order mark is ignored.
pub fn parse(text: &str, separator: char) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = u8::try_from(separator).map_err(|_| CsvError {
        line: 1,
        reason: format!("Trennzeichen „{separator}“ ist kein ASCII-Zeichen"),
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Lines::new(text);
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| CsvError {
            line: error
                .position()
                .map_or(0, |position| lines.at(position.byte())),
            reason: reason(&error),
        })?;
        let line = record
            .position()
            .map_or(0, |position| lines.at(position.byte()));
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        records.push(Record {
            line,
            fields: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(records)
}

/// [`parse`], after checking the header line names `columns` (in this
/// order, case and surrounding blanks aside): a file without its header,
/// or with its columns in another order, would otherwise lose its first
/// row or read one column as another.
pub fn parse_with_header(
    text: &str,
    separator: char,
    columns: &[&str],
) -> Result<Vec<Record>, CsvError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = body.lines().next().unwrap_or("");
    let found: Vec<String> = header
        .split(separator)
        .map(|name| name.trim().trim_matches('"').to_lowercase())
        .collect();
    if found != columns {
        return Err(CsvError {
            line: 1,
            reason: format!(
                "Kopfzeile „{}“ erwartet, gefunden „{}“",
                columns.join(&separator.to_string()),
                header.trim()
            ),
        });
    }
    parse(text, separator)
}

/// Line numbers (from 1) of byte offsets, asked in increasing order. The
/// csv crate's position of a record may lie before the line ends and
/// blank lines in front of it; a record never starts with a line end, so
/// those are skipped.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> usize {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte > self.offset {
            self.line += self.text[self.offset..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.offset = byte;
        }
        self.line
    }
}

fn reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "kein gültiges UTF-8".to_owned(),
        _ => format!("nicht lesbar ({error})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_separators_and_quotes() {
        let records = parse("a,b,c\n1,\"x, \"\"y\"\"\",3\n\n4,,6\n", ',').unwrap();
        assert_eq!(records[0].fields, ["1", "x, \"y\"", "3"]);
        assert_eq!(records[0].line, 2);
        assert_eq!(records[1].fields, ["4", "", "6"]);
        assert_eq!(records[1].line, 4);
    }

    #[test]
    fn a_header_names_its_columns_in_order() {
        let columns = ["schluessel", "name"];
        let good = parse_with_header("\u{feff}Schluessel ; Name\n16068;Sömmerda\n", ';', &columns);
        assert_eq!(good.unwrap().len(), 1);
        for bad in ["16068;Sömmerda\n16069;Weimar\n", "name;schluessel\n", ""] {
            let error = parse_with_header(bad, ';', &columns).unwrap_err();
            assert_eq!(error.line, 1);
            assert!(
                error.reason.contains("„schluessel;name“ erwartet"),
                "{}",
                error.reason
            );
        }
    }

    #[test]
    fn a_quoted_line_break_stays_inside_its_field() {
        let text = "\u{feff}Titel;Land\r\n\"Wohngeld\r\nAntrag\";04\r\nElterngeld;16\r\n";
        let records = parse(text, ';').unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].fields, ["Wohngeld\r\nAntrag", "04"]);
        assert_eq!(records[0].line, 2);
        assert_eq!(records[1].fields, ["Elterngeld", "16"]);
        assert_eq!(records[1].line, 4, "the line after the broken field");
    }
}
