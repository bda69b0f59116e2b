//! Putting the pages of a long list (catalogue, history, rollout) back
//! together: CSV pages into one table with one header, JSON pages into
//! the first page with the items of all of them, each page written as it
//! arrives ([`CsvJoin`], [`JsonJoin`]), so an
//! export of Germany's whole history is never held whole.

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

/// CSV pages joined as they arrive: the first page's header once, then
/// every page's rows, written as the API writes CSV (BOM, `;`, CRLF line
/// ends, quotes where a field needs them).
#[derive(Debug, Default)]
pub struct CsvJoin {
    header_written: bool,
}

/// What one CSV page held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvPage {
    pub rows: usize,
    /// The first field of the last row (the sequence, in the history).
    pub last_key: Option<String>,
}

impl CsvJoin {
    /// The bytes page `text` adds to the export (its header only if it is
    /// the first page), and what the page held.
    pub fn add(&mut self, text: &str) -> (Vec<u8>, CsvPage) {
        let mut records = csv_records(text).into_iter();
        let header = records.next();
        let rows: Vec<csv::StringRecord> = records.collect();
        let mut start = Vec::new();
        let header = match header {
            Some(header) if !self.header_written => {
                self.header_written = true;
                start.extend_from_slice(BOM.as_bytes());
                Some(header)
            }
            _ => None,
        };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(start);
        for record in header.iter().chain(&rows) {
            if writer.write_record(record).is_err() {
                break;
            }
        }
        let bytes = writer
            .into_inner()
            .unwrap_or_else(|error| error.into_inner().get_ref().clone());
        let page = CsvPage {
            rows: rows.len(),
            last_key: rows.last().and_then(|row| row.get(0)).map(str::to_owned),
        };
        (bytes, page)
    }
}

/// JSON pages joined as they arrive into one document: the first page's
/// other members, then the list under `streamed` with every page's items,
/// written item by item, then the lists under `kept`, collected from every
/// page and written at the end (a rollout's Kreise beside its
/// municipalities: bounded by Kreise and services, where the
/// municipalities' rows run into hundreds of thousands).
#[derive(Debug)]
pub struct JsonJoin {
    streamed: &'static str,
    kept: Vec<(&'static str, Vec<Value>)>,
    started: bool,
}

impl JsonJoin {
    pub fn new(streamed: &'static str, kept: &[&'static str]) -> Self {
        Self {
            streamed,
            kept: kept.iter().map(|field| (*field, Vec::new())).collect(),
            started: false,
        }
    }

    /// The bytes `page` adds to the document and how many items of the
    /// streamed list it had; `adjust` changes the first page's other
    /// members before they are written.
    pub fn add(
        &mut self,
        mut page: Value,
        adjust: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Result<(Vec<u8>, usize), serde_json::Error> {
        let mut take = |field: &str| match page.get_mut(field).map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let items = take(self.streamed);
        for (field, kept) in &mut self.kept {
            kept.extend(take(field));
        }
        let mut bytes = Vec::new();
        if !self.started {
            self.started = true;
            let mut members = match page {
                Value::Object(members) => members,
                _ => serde_json::Map::new(),
            };
            members.remove(self.streamed);
            for (field, _) in &self.kept {
                members.remove(*field);
            }
            adjust(&mut members);
            let head = serde_json::to_vec(&members)?;
            // `{…}` without its closing brace, then the list.
            bytes.extend_from_slice(&head[..head.len() - 1]);
            if !members.is_empty() {
                bytes.push(b',');
            }
            serde_json::to_writer(&mut bytes, self.streamed)?;
            bytes.extend_from_slice(b":[");
        } else if !items.is_empty() {
            bytes.push(b',');
        }
        for (at, item) in items.iter().enumerate() {
            if at > 0 {
                bytes.push(b',');
            }
            serde_json::to_writer(&mut bytes, item)?;
        }
        Ok((bytes, items.len()))
    }

    /// The document's end: the streamed list's closing, the kept lists,
    /// the document's closing.
    pub fn end(&self) -> Result<Vec<u8>, serde_json::Error> {
        if !self.started {
            return Ok(b"null".to_vec());
        }
        let mut bytes = b"]".to_vec();
        for (field, items) in &self.kept {
            bytes.push(b',');
            serde_json::to_writer(&mut bytes, field)?;
            bytes.push(b':');
            serde_json::to_writer(&mut bytes, items)?;
        }
        bytes.push(b'}');
        Ok(bytes)
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
        let (bytes, _) = CsvJoin::default().add(text);
        assert_eq!(String::from_utf8(bytes).unwrap(), text);
    }

    #[test]
    fn csv_pages_keep_one_header() {
        let mut join = CsvJoin::default();
        let mut joined = Vec::new();
        let mut add = |text: &str| {
            let (bytes, page) = join.add(text);
            joined.extend(bytes);
            page
        };
        let first = add("\u{feff}Sequenz;Ereignis\r\n1;a\r\n2;b\r\n");
        let second = add("\u{feff}Sequenz;Ereignis\r\n3;c\r\n");
        let empty = add("\u{feff}Sequenz;Ereignis\r\n");
        assert_eq!((first.rows, first.last_key.as_deref()), (2, Some("2")));
        assert_eq!((second.rows, empty.rows, empty.last_key), (1, 0, None));
        assert_eq!(
            String::from_utf8(joined).unwrap(),
            "\u{feff}Sequenz;Ereignis\r\n1;a\r\n2;b\r\n3;c\r\n"
        );
    }

    #[test]
    fn json_pages_are_joined_into_one_document_as_they_arrive() {
        let mut join = JsonJoin::new("entries", &[]);
        let mut text = Vec::new();
        let first = json!({"more": true, "entries": [{"seq": 1}, {"seq": 2}], "next": "/x"});
        let (bytes, count) = join
            .add(first, |members| {
                members.insert("more".to_owned(), json!(false));
                members.insert("next".to_owned(), Value::Null);
            })
            .unwrap();
        assert_eq!(count, 2);
        text.extend(bytes);
        let (bytes, _) = join
            .add(json!({"more": true, "entries": []}), |_| {})
            .unwrap();
        text.extend(bytes);
        let (bytes, _) = join.add(json!({"entries": [{"seq": 3}]}), |_| {}).unwrap();
        text.extend(bytes);
        text.extend(join.end().unwrap());
        let document: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            document,
            json!({"more": false, "next": null, "entries": [{"seq": 1}, {"seq": 2}, {"seq": 3}]})
        );
        let empty = JsonJoin::new("entries", &[]);
        assert_eq!(empty.end().unwrap(), b"null");
        let mut bare = JsonJoin::new("entries", &[]);
        let (bytes, _) = bare.add(json!({"entries": [1]}), |_| {}).unwrap();
        let document: Value =
            serde_json::from_slice(&[bytes, bare.end().unwrap()].concat()).unwrap();
        assert_eq!(document, json!({"entries": [1]}));
    }

    #[test]
    fn lists_kept_beside_the_streamed_one_hold_every_pages_items() {
        let mut join = JsonJoin::new("municipalities", &["kreise"]);
        let mut text = Vec::new();
        let pages = [
            json!({"next_offset": 2, "kreise": ["k1", "k2"], "municipalities": ["m1", "m2"]}),
            json!({"next_offset": null, "kreise": ["k3"], "municipalities": ["m3"]}),
        ];
        for page in pages {
            let (bytes, _) = join
                .add(page, |members| {
                    members.insert("next_offset".to_owned(), Value::Null);
                })
                .unwrap();
            text.extend(bytes);
        }
        text.extend(join.end().unwrap());
        let document: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            document,
            json!({
                "next_offset": null,
                "kreise": ["k1", "k2", "k3"],
                "municipalities": ["m1", "m2", "m3"],
            })
        );
    }
}
