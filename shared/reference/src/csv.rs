//! A small CSV reader for the registry's own files and imports: one record
//! per line, a configurable separator, double-quoted fields with doubled
//! quotes inside. Every record keeps its line number for error messages.

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
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split(line, separator).map_err(|reason| CsvError {
            line: index + 1,
            reason,
        })?;
        records.push(Record {
            line: index + 1,
            fields,
        });
    }
    Ok(records)
}

fn split(line: &str, separator: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == separator => fields.push(std::mem::take(&mut field)),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("Anführungszeichen nicht geschlossen".to_owned());
    }
    fields.push(field);
    Ok(fields)
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
        assert!(parse("h\n\"open,1\n", ',').is_err());
    }
}
