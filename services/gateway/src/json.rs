//! Checking that a JSON document names each key of an object once. serde
//! and serde_json keep the last of two equal keys silently in a map; a
//! body such as `{"lead": "04", "lead": "16"}` is then read differently
//! by the gateway and by whoever checked it before, so it is refused
//! before the body is read into its request struct.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Checks that `bytes` is JSON without an object that repeats a key.
pub fn check_unique(bytes: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Unique>(bytes).map(|_| ())
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
        assert!(
            error.to_string().contains("„lead“ kommt doppelt vor"),
            "{error}"
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
}
