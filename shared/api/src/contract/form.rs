//! Reading a posted web form into the request structs of the API, so a
//! form and the API build the same command and name the same field when
//! it is wrong; a read's query string is read the same way. A form differs from a JSON body only in its spelling:
//! every value is text (numbers are read from it), a blank field is
//! absent, a list is comma-separated, a nested object's fields are
//! prefixed with its name (`cost_model_kind`), and fields the struct does
//! not know (the CSRF token, the idempotency key) are left aside.

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use efa_proto::Rejection;

/// Reads `pairs` (name, value) into `T`.
pub fn from_form<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, Rejection> {
    serde_path_to_error::deserialize(Form(pairs)).map_err(super::refusal)
}

/// The German label of a JSON field, as the forms show it.
pub fn label_de(json_field: &str) -> &str {
    match json_field {
        "title" => "Titel",
        "id" => "Kennung",
        "themenfeld" => "Themenfeld",
        "provider" => "Anbieter",
        "channel" => "Bezugsweg",
        "cost_model" | "cost_model.kind" => "Kostenmodell",
        "cost_model.year" => "Schlüsseljahr",
        "status" => "Status",
        "reifegrad" => "Reifegrad",
        "effective" => "Wirksam ab",
        "year" => "Jahr",
        "category" => "Kategorie",
        "amount" => "Betrag",
        "note" => "Bemerkung",
        "ozg_id" => "OZG-ID",
        "leika" => "LeiKa-Schlüssel",
        "service" => "Leistung",
        "ags" => "Gemeindeschlüssel",
        "stage" => "Schritt",
        "land" | "lead" => "Land",
        "change" => "Art",
        "reason" => "Begründung",
        other => other,
    }
}

/// The form field a refusal names, for the path of a JSON field: the
/// spelling above backwards. `cost_model.year` is `cost_model_year`; the
/// cost model itself is chosen by `cost_model_kind`; an item of a list
/// (`leika.0`) is the list's one text field.
pub fn field_name(json_field: &str) -> String {
    match json_field {
        "cost_model" | "cost_model.kind" => "cost_model_kind".to_owned(),
        other => other
            .split('.')
            .take_while(|part| !part.bytes().all(|b| b.is_ascii_digit()))
            .collect::<Vec<_>>()
            .join("_"),
    }
}

/// The whole form, read as the struct asks for it.
struct Form<'a>(&'a [(String, String)]);

/// One value: a text, or the fields of a nested object.
#[derive(Debug, Clone)]
enum Value<'a> {
    Text(&'a str),
    Object(Vec<(&'a str, Value<'a>)>),
}

impl<'a> Form<'a> {
    /// The entries for a struct with `fields`: its own fields by name,
    /// a nested object's fields by their prefix; blank values left out.
    fn entries(&self, fields: &[&'a str]) -> Vec<(&'a str, Value<'a>)> {
        let mut entries: Vec<(&'a str, Value<'a>)> = Vec::new();
        for (name, value) in self.0.iter().filter(|(_, value)| !value.trim().is_empty()) {
            let value = Value::Text(value.trim());
            let own = fields.iter().find(|field| **field == name.as_str());
            let nested = fields
                .iter()
                .find_map(|field| Some((*field, name.strip_prefix(field)?.strip_prefix('_')?)));
            match (own, nested) {
                (Some(field), _) if !entries.iter().any(|(known, _)| known == field) => {
                    entries.push((field, value));
                }
                (None, Some((field, inner))) => {
                    match entries.iter_mut().find(|(known, _)| *known == field) {
                        Some((_, Value::Object(members))) => members.push((inner, value)),
                        Some(_) => {}
                        None => entries.push((field, Value::Object(vec![(inner, value)]))),
                    }
                }
                _ => {}
            }
        }
        entries
    }
}

impl<'de, 'a> Deserializer<'de> for Form<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_struct("", &[], visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(MapDeserializer::new(self.entries(fields).into_iter()))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, Error> for Value<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'a> Value<'a> {
    fn text(&self) -> Result<&'a str, Error> {
        match self {
            Value::Text(text) => Ok(text),
            Value::Object(_) => Err(de::Error::custom("muss ein Text sein")),
        }
    }
}

impl<'de, 'a> Deserializer<'de> for Value<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Text(text) => visitor.visit_str(text),
            Value::Object(members) => visitor.visit_map(MapDeserializer::new(members.into_iter())),
        }
    }

    /// A whole number from its digits; anything else is handed on as text
    /// for the field's reader to refuse in its own words.
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.text()?;
        match digits(text) {
            Some(number) => visitor.visit_u64(number),
            None => visitor.visit_str(text),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.text()?;
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        match digits(unsigned).and_then(|_| text.parse::<i64>().ok()) {
            Some(number) => visitor.visit_i64(number),
            None => visitor.visit_str(text),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    /// A comma-separated list.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let items = self
            .text()?
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Value::Text);
        visitor.visit_seq(SeqDeserializer::new(items))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i128 u8 u16 u32 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Only ASCII digits (no sign, no space), as a number.
pub fn digits(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}
