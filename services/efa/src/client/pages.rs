//! Putting the pages of a long list (catalogue, history) back together:
//! CSV pages into one table with one header, JSON pages into the first
//! page with the items of all of them.

use serde_json::Value;

const BOM: &str = "\u{feff}";

/// The records of a CSV text, split at line ends outside quotes (a quoted
/// field may hold a line break); the byte order mark is dropped.
pub fn csv_records(text: &str) -> Vec<&str> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut records = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                records.push(text[start..index].trim_end_matches('\r'));
                start = index + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        records.push(text[start..].trim_end_matches('\r'));
    }
    records
}

/// CSV pages collected into one table.
#[derive(Debug, Default)]
pub struct CsvTable {
    header: Option<String>,
    rows: Vec<String>,
}

/// What one CSV page held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvPage {
    pub rows: usize,
    /// The first field of the last row (the sequence, in the history).
    pub last_key: Option<String>,
}

impl CsvTable {
    /// Adds a page: its header only if this is the first page.
    pub fn add(&mut self, page: &str) -> CsvPage {
        let mut records = csv_records(page).into_iter();
        let header = records.next().unwrap_or_default();
        self.header.get_or_insert_with(|| header.to_owned());
        let rows: Vec<&str> = records.collect();
        let last_key = rows
            .last()
            .and_then(|row| row.split(';').next())
            .map(str::to_owned);
        self.rows.extend(rows.iter().map(|row| (*row).to_owned()));
        CsvPage {
            rows: rows.len(),
            last_key,
        }
    }

    /// The whole table as the API writes CSV: BOM, CRLF line ends.
    pub fn render(&self) -> String {
        let mut out = String::from(BOM);
        for line in self.header.iter().chain(&self.rows) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out
    }
}

/// JSON pages collected: the first page, with the list under `field`
/// holding the items of every page.
#[derive(Debug)]
pub struct JsonList {
    field: &'static str,
    first: Option<Value>,
    items: Vec<Value>,
}

impl JsonList {
    pub fn new(field: &'static str) -> Self {
        Self {
            field,
            first: None,
            items: Vec::new(),
        }
    }

    /// Adds a page; answers how many items it had.
    pub fn add(&mut self, mut page: Value) -> usize {
        let items = match page.get_mut(self.field).map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let count = items.len();
        self.items.extend(items);
        self.first.get_or_insert(page);
        count
    }

    /// The merged document; `finish` may adjust the paging fields.
    pub fn finish(self, finish: impl FnOnce(&mut Value)) -> Value {
        let mut document = self.first.unwrap_or(Value::Null);
        if let Some(object) = document.as_object_mut() {
            object.insert(self.field.to_owned(), Value::Array(self.items));
        }
        finish(&mut document);
        document
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn csv_records_respect_quoted_line_breaks() {
        let text = "\u{feff}Sequenz;Notiz\r\n1;\"zwei\r\nZeilen\"\r\n2;\"mit \"\"Zitat\"\"\"\r\n";
        assert_eq!(
            csv_records(text),
            vec![
                "Sequenz;Notiz",
                "1;\"zwei\r\nZeilen\"",
                "2;\"mit \"\"Zitat\"\"\""
            ]
        );
        assert!(csv_records("").is_empty());
    }

    #[test]
    fn csv_pages_keep_one_header() {
        let mut table = CsvTable::default();
        let first = table.add("\u{feff}Sequenz;Ereignis\r\n1;a\r\n2;b\r\n");
        let second = table.add("\u{feff}Sequenz;Ereignis\r\n3;c\r\n");
        let empty = table.add("\u{feff}Sequenz;Ereignis\r\n");
        assert_eq!((first.rows, first.last_key.as_deref()), (2, Some("2")));
        assert_eq!((second.rows, empty.rows, empty.last_key), (1, 0, None));
        assert_eq!(
            table.render(),
            "\u{feff}Sequenz;Ereignis\r\n1;a\r\n2;b\r\n3;c\r\n"
        );
    }

    #[test]
    fn json_pages_are_merged_into_the_first() {
        let mut list = JsonList::new("entries");
        assert_eq!(list.add(json!({"more": true, "entries": [1, 2]})), 2);
        assert_eq!(list.add(json!({"more": false, "entries": [3]})), 1);
        let merged = list.finish(|document| document["more"] = json!(false));
        assert_eq!(merged, json!({"more": false, "entries": [1, 2, 3]}));
    }
}
