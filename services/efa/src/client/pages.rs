//! Putting the pages of a long list (catalogue, history) back together:
//! CSV pages into one table with one header, JSON pages into the first
//! page with the items of all of them.

use serde_json::Value;

const BOM: &str = "\u{feff}";

/// The records of a CSV page as the API writes it (`;`, quoted fields
/// that may hold line breaks), read with the `csv` crate; the byte order
/// mark is dropped. A page that cannot be read yields the records before
/// the fault.
fn csv_records(text: &str) -> Vec<csv::StringRecord> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records()
        .map_while(Result::ok)
        .collect()
}

/// CSV pages collected into one table.
#[derive(Debug, Default)]
pub struct CsvTable {
    header: Option<csv::StringRecord>,
    rows: Vec<csv::StringRecord>,
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
        if let Some(header) = records.next() {
            self.header.get_or_insert(header);
        }
        let rows: Vec<csv::StringRecord> = records.collect();
        let last_key = rows.last().and_then(|row| row.get(0)).map(str::to_owned);
        let count = rows.len();
        self.rows.extend(rows);
        CsvPage {
            rows: count,
            last_key,
        }
    }

    /// The whole table as the API writes CSV: BOM, `;`, CRLF line ends,
    /// quotes where a field needs them.
    pub fn render(&self) -> String {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::from(BOM.as_bytes()));
        for record in self.header.iter().chain(&self.rows) {
            if writer.write_record(record).is_err() {
                break;
            }
        }
        let bytes = writer
            .into_inner()
            .unwrap_or_else(|error| error.into_inner().get_ref().clone());
        String::from_utf8_lossy(&bytes).into_owned()
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
    fn csv_records_respect_quoted_line_breaks_and_render_as_they_came() {
        let text = "\u{feff}Sequenz;Notiz\r\n1;\"zwei\r\nZeilen\"\r\n2;\"mit \"\"Zitat\"\"\"\r\n";
        let records = csv_records(text);
        assert_eq!(records.len(), 3);
        assert_eq!(&records[1][1], "zwei\r\nZeilen");
        assert_eq!(&records[2][1], "mit \"Zitat\"");
        assert!(csv_records("").is_empty());
        let mut table = CsvTable::default();
        table.add(text);
        assert_eq!(table.render(), text);
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
