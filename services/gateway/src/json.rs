//! Checking that a JSON document names each key of an object once. serde
//! and serde_json keep the last of two equal keys silently in a map; a
//! body such as `{"lead": "04", "lead": "16"}` is then read differently
//! by the gateway and by whoever checked it before, so it is refused
//! before the body is read into its request struct.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

/// Checks that `bytes` is JSON without an object that repeats a key; what
/// is wrong otherwise is said in German, with where it is.
pub fn check_unique(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<Unique>(bytes)
        .map(|_| ())
        .map_err(|error| in_german(&error))
}

/// serde_json's error in German: its syntax messages are English, and its
/// text appends the place in English too.
fn in_german(error: &serde_json::Error) -> String {
    let place = format!("Zeile {}, Spalte {}", error.line(), error.column());
    match error.classify() {
        Category::Eof => format!("es bricht vorzeitig ab ({place})"),
        Category::Syntax => format!("Syntaxfehler in {place}"),
        // Only `Unique` raises these, in German.
        Category::Data => {
            let text = error.to_string();
            let suffix = format!(" at line {} column {}", error.line(), error.column());
            let own = text.strip_suffix(&suffix).unwrap_or(&text);
            format!("{own} ({place})")
        }
        Category::Io => "es konnte nicht gelesen werden".to_owned(),
    }
}

/// Any JSON value, read only to check its objects' keys; it is its own
/// visitor.
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Unique)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format_args!(
                    "das Feld „{key}“ kommt doppelt vor"
                )));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        let error = check_unique(br#"{"lead": "04", "lead": "16"}"#).unwrap_err();
        assert_eq!(
            error,
            "das Feld „lead“ kommt doppelt vor (Zeile 1, Spalte 21)"
        );
        assert!(check_unique(br#"{"a": [{"b": 1, "b": 2}]}"#).is_err());
    }

    #[test]
    fn everything_else_passes() {
        let text = br#"{"a": [1, -2, 2.5, true, null, "x"], "b": {"a": {}}}"#;
        assert!(check_unique(text).is_ok());
        assert!(check_unique(b"[]").is_ok());
        assert!(check_unique(b"{").is_err());
        assert!(check_unique(b"{} x").is_err());
    }

    #[test]
    fn what_is_not_json_is_said_in_german_with_its_place() {
        assert_eq!(
            check_unique(b"{\"a\": 1,\n \"b\": }").unwrap_err(),
            "Syntaxfehler in Zeile 2, Spalte 7"
        );
        assert_eq!(
            check_unique(b"{\"a\": [1, 2").unwrap_err(),
            "es bricht vorzeitig ab (Zeile 1, Spalte 11)"
        );
    }
}
