//! The query string of a read (`?min_seq=12&as_of=2024-01-01`), checked
//! against the parameters the route knows and read into a typed struct
//! with the request contract's field readers (`read`): an unknown,
//! repeated or malformed parameter is a 400 naming it, so a typo never
//! silently answers something else. Also decides the answer's format: CSV when
//! `?format=csv` or `Accept: text/csv`, an Excel workbook when
//! `?format=xlsx` or `Accept` names its media type, JSON otherwise.

use axum::extract::{FromRequestParts, Query};
use axum::http::header::ACCEPT;
use axum::http::request::Parts;
use efa_proto::Date;

use crate::problem::ApiError;
use efa_api::query::{AsOf, Format, FormatParam, KnownAt, MinSeq};

/// The parameters every read knows (`MinSeq`).
const COMMON: [&str; 1] = ["min_seq"];

/// A read's query string and `Accept` header.
#[derive(Debug, Clone)]
pub struct ReadQuery {
    pairs: Vec<(String, String)>,
    /// The table format `Accept` prefers to JSON, if any.
    accepts_table: Option<Format>,
}

impl<S: Send + Sync> FromRequestParts<S> for ReadQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::BadRequest("Die Parameter der Adresse sind nicht lesbar.".to_owned())
            })?;
        let ranges: Vec<&str> = (parts.headers.get_all(ACCEPT).iter())
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        let accepts_table = preferred_table(&ranges);
        Ok(Self {
            pairs,
            accepts_table,
        })
    }
}

/// The table format the `Accept` ranges prefer: `text/csv` or the XLSX
/// media type named with a higher weight (`q`) than JSON gets (by
/// `application/json`, else `application/*`, else `*/*`). At equal
/// weight, JSON, the API's own; between the two tables, CSV.
fn preferred_table(ranges: &[&str]) -> Option<Format> {
    let weight_of = |wanted: &str| {
        ranges.iter().find_map(|range| {
            let mut parts = range.split(';');
            let essence = parts.next()?.trim();
            essence.eq_ignore_ascii_case(wanted).then(|| {
                parts
                    .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0)
            })
        })
    };
    let csv = weight_of("text/csv").unwrap_or(0.0);
    let xlsx = weight_of(crate::tabular::CONTENT_TYPE_XLSX).unwrap_or(0.0);
    let json = (weight_of("application/json"))
        .or_else(|| weight_of("application/*"))
        .or_else(|| weight_of("*/*"))
        .unwrap_or(0.0);
    let (table, weight) = if xlsx > csv {
        (Format::Xlsx, xlsx)
    } else {
        (Format::Csv, csv)
    };
    (weight > 0.0 && weight > json).then_some(table)
}

fn bad(name: &str, what: &str) -> ApiError {
    ApiError::BadRequest(format!("Der Parameter „{name}“ {what}."))
}

/// `seq` of the parameter `name`, a ledger sequence a view is read at or
/// since: 1 or more.
pub fn sequence(name: &str, seq: u64) -> Result<u64, ApiError> {
    match seq {
        0 => Err(bad(name, "muss eine Ledger-Sequenz ab 1 sein")),
        seq => Ok(seq),
    }
}

impl ReadQuery {
    /// Checks that every parameter is in `COMMON` or `known` and is given
    /// at most once.
    pub fn allow(&self, known: &[&str]) -> Result<&Self, ApiError> {
        let names: Vec<&str> = COMMON.iter().chain(known).copied().collect();
        self.allow_exactly(&names)
    }

    /// Checks that every parameter is in `names` (a write's query knows no
    /// `min_seq`) and is given at most once.
    pub fn allow_exactly(&self, names: &[&str]) -> Result<&Self, ApiError> {
        for (i, (name, _)) in self.pairs.iter().enumerate() {
            if !names.contains(&name.as_str()) {
                let reason = match names {
                    [] => "ist hier unbekannt (diese Adresse nimmt keine Parameter; was eine \
                           Änderung sagt, steht in ihrem Inhalt)"
                        .to_owned(),
                    known => format!("ist hier unbekannt (bekannt: {})", known.join(", ")),
                };
                return Err(bad(name, &reason));
            }
            if self.pairs[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(bad(name, "darf nur einmal vorkommen"));
            }
        }
        Ok(self)
    }

    /// The parameters read into `T` (see `contract::form`: blank is
    /// absent; parameters `T` does not name are left to `allow`); a bad
    /// one is a 400 naming it.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        efa_api::contract::form::from_form(&self.pairs).map_err(|rejection| match rejection {
            efa_proto::Rejection::Invalid { field, reason } => bad(&field, &reason),
            other => ApiError::rejected(other),
        })
    }

    /// Whether the parameter is there at all.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }

    /// `path` with this query string, `name` set to `value` (appended when
    /// absent): the link to another page of the same list.
    pub fn link_with(&self, path: &str, name: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, String)> = self
            .pairs
            .iter()
            .filter(|(key, _)| key != name)
            .map(|(key, value)| (key.as_str(), value.clone()))
            .collect();
        pairs.push((name, value.to_owned()));
        format!("{path}{}", query(&pairs))
    }

    /// `?min_seq=N`: answer from a view that has seen at least ledger event N.
    pub fn min_seq(&self) -> Result<u64, ApiError> {
        Ok(self.read::<MinSeq>()?.min_seq.unwrap_or_default())
    }

    /// `?as_of=`: the view as it was on that day.
    pub fn as_of(&self) -> Result<Option<Date>, ApiError> {
        Ok(self.read::<AsOf>()?.as_of)
    }

    /// `?known_at_seq=N`: the view as the ledger had recorded it up to
    /// sequence N (1 or more).
    pub fn known_at_seq(&self) -> Result<Option<u64>, ApiError> {
        let known_at = self.read::<KnownAt>()?.known_at_seq;
        known_at
            .map(|seq| sequence("known_at_seq", seq))
            .transpose()
    }

    /// `?format=`, else the table format `Accept` prefers (see
    /// `preferred_table`), else JSON.
    pub fn format(&self) -> Result<Format, ApiError> {
        match self.read::<FormatParam>()?.format {
            Some(format) => Ok(format),
            None => Ok(self.accepts_table.unwrap_or(Format::Json)),
        }
    }
}

/// What a query string component keeps as it is: RFC 3986's unreserved
/// characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query string component (`percent-encoding`).
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// `?a=1&b=x` from the pairs whose value is not empty; "" if none.
pub fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_only_when_accept_weighs_it_above_json() {
        const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        for (accept, table) in [
            ("text/csv", Some(Format::Csv)),
            ("text/csv, */*;q=0.1", Some(Format::Csv)),
            ("text/csv;q=0.9, application/json;q=0.5", Some(Format::Csv)),
            ("application/json, text/csv", None),
            ("text/csv, application/json", None),
            ("application/json, text/csv;q=0.5", None),
            ("text/csv;q=0", None),
            ("text/html,application/xhtml+xml,*/*;q=0.8", None),
            ("*/*", None),
            (XLSX, Some(Format::Xlsx)),
            (&format!("{XLSX}, text/csv;q=0.5"), Some(Format::Xlsx)),
            (&format!("{XLSX};q=0.5, text/csv"), Some(Format::Csv)),
            (&format!("{XLSX}, application/json"), None),
        ] {
            let ranges: Vec<&str> = accept.split(',').collect();
            assert_eq!(preferred_table(&ranges), table, "{accept}");
        }
    }

    fn query(pairs: &[(&str, &str)], accepts_csv: bool) -> ReadQuery {
        ReadQuery {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            accepts_table: accepts_csv.then_some(Format::Csv),
        }
    }

    fn detail(error: ApiError) -> String {
        match error {
            ApiError::BadRequest(detail) => detail,
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn unknown_repeated_and_malformed_parameters_are_named() {
        let q = query(&[("lnad", "16")], false);
        assert!(detail(q.allow(&["land"]).unwrap_err()).contains("„lnad“"));
        let q = query(&[("land", "16"), ("land", "01")], false);
        assert!(detail(q.allow(&["land"]).unwrap_err()).contains("nur einmal"));
        let q = query(&[("min_seq", "-1"), ("as_of", "2024-02-30")], false);
        assert!(detail(q.min_seq().unwrap_err()).contains("„min_seq“"));
        assert!(detail(q.as_of().unwrap_err()).contains("„as_of“"));
        assert_eq!(query(&[], false).min_seq().unwrap(), 0);
    }

    #[test]
    fn parameters_read_into_a_struct_name_the_bad_one() {
        use efa_api::contract::field::{self, Whole};
        #[derive(Debug, serde::Deserialize)]
        struct Page {
            #[serde(default, deserialize_with = "field::opt")]
            as_of: Option<Date>,
            limit: Option<Whole<1, 10>>,
        }
        let pairs = [("as_of", "2024-01-31"), ("limit", " 10 "), ("min_seq", "3")];
        let page: Page = query(&pairs, false).read().unwrap();
        assert_eq!(page.as_of, Some(Date::parse("2024-01-31").unwrap()));
        assert_eq!(page.limit, Some(Whole(10)));
        for (name, value) in [("limit", "+5"), ("limit", "11"), ("as_of", "2023-02-29")] {
            let error = query(&[(name, value)], false).read::<Page>().unwrap_err();
            assert!(
                detail(error).contains(&format!("„{name}“")),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn csv_is_chosen_by_parameter_or_accept_header() {
        assert_eq!(query(&[], false).format().unwrap(), Format::Json);
        assert_eq!(query(&[], true).format().unwrap(), Format::Csv);
        assert_eq!(
            query(&[("format", "csv")], false).format().unwrap(),
            Format::Csv
        );
        assert_eq!(
            query(&[("format", "json")], true).format().unwrap(),
            Format::Json
        );
        assert_eq!(
            query(&[("format", "xlsx")], true).format().unwrap(),
            Format::Xlsx
        );
        assert!(query(&[("format", "xml")], false).format().is_err());
    }
}
