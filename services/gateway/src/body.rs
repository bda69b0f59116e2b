//! Reading a JSON request body field by field. A body is an object with a
//! fixed set of known fields (anything else is most likely a typo and is
//! refused, like serde's `deny_unknown_fields`); each getter checks one
//! field's JSON type and format with the proto's validators and names the
//! field in its `Rejection::Invalid` (answered with 422). Whether a value
//! is allowed for this caller or in this state is not checked here: that
//! is the domain's job, behind the ledger.

use efa_proto::{Ags, Date, KreisKey, LandCode, OperatorId, Rejection, ServiceId};
use serde_json::{Map, Value};

/// The longest text accepted in any field; the domain applies the real,
/// per-field limits.
const TEXT_CHARS_MAX: usize = 10_000;

/// Whether `c` is a Unicode format character (general category Cf):
/// bidirectional overrides and isolates, zero-width characters, the byte
/// order mark and their kin. They change how a text is shown without
/// being seen (a title could read backwards or hide a second title), so
/// no text field takes them.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The fields of a JSON object body; `null` counts as absent.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a>(pub &'a Map<String, Value>);

/// Reads `body` as an object whose keys are all in `known`.
pub fn object<'a>(body: &'a Value, known: &[&str]) -> Result<Fields<'a>, Rejection> {
    let Some(object) = body.as_object() else {
        return Err(Rejection::invalid("body", "muss ein JSON-Objekt sein"));
    };
    if let Some(unknown) = object.keys().find(|key| !known.contains(&key.as_str())) {
        return Err(Rejection::invalid(unknown, "ist kein bekanntes Feld"));
    }
    Ok(Fields(object))
}

impl<'a> Fields<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    /// A value that must be there.
    pub fn required(&self, name: &str) -> Result<&'a Value, Rejection> {
        self.get(name)
            .ok_or_else(|| Rejection::invalid(name, "fehlt"))
    }

    pub fn text(&self, name: &str) -> Result<Option<&'a str>, Rejection> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.chars().count() > TEXT_CHARS_MAX => Err(
                Rejection::invalid(name, format!("höchstens {TEXT_CHARS_MAX} Zeichen")),
            ),
            Some(Value::String(text)) if text.chars().any(is_format_char) => {
                Err(Rejection::invalid(
                    name,
                    "darf keine unsichtbaren Steuerzeichen enthalten (etwa Richtungswechsel \
                     oder Zeichen ohne Breite)",
                ))
            }
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(Rejection::invalid(name, "muss ein Text sein")),
        }
    }

    /// A required text, trimmed, of 1 to `max_chars` characters.
    pub fn required_text(&self, name: &str, max_chars: usize) -> Result<String, Rejection> {
        let text = self
            .text(name)?
            .ok_or_else(|| Rejection::invalid(name, "fehlt"))?
            .trim();
        if text.is_empty() || text.chars().count() > max_chars {
            return Err(Rejection::invalid(
                name,
                format!("muss 1 bis {max_chars} Zeichen lang sein"),
            ));
        }
        Ok(text.to_owned())
    }

    /// An optional text such as a note, trimmed; empty when absent. Its
    /// length and characters are the domain's rule.
    pub fn note(&self, name: &str) -> Result<String, Rejection> {
        Ok(self
            .text(name)?
            .map(str::trim)
            .unwrap_or_default()
            .to_owned())
    }

    /// A required text parsed by `parse`; `format` says what it must be.
    fn parsed<T, E>(
        &self,
        name: &str,
        format: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, Rejection> {
        match self.required(name)? {
            Value::String(text) => parse(text.trim()).map_err(|_| Rejection::invalid(name, format)),
            _ => Err(Rejection::invalid(name, format)),
        }
    }

    pub fn service(&self, name: &str) -> Result<ServiceId, Rejection> {
        self.parsed(name, SLUG_FORMAT, ServiceId::parse)
    }

    pub fn operator(&self, name: &str) -> Result<OperatorId, Rejection> {
        self.parsed(name, SLUG_FORMAT, OperatorId::parse)
    }

    pub fn ags(&self, name: &str) -> Result<Ags, Rejection> {
        self.parsed(name, AGS_FORMAT, Ags::parse)
    }

    pub fn kreis(&self, name: &str) -> Result<KreisKey, Rejection> {
        self.parsed(name, KREIS_FORMAT, KreisKey::parse)
    }

    pub fn required_date(&self, name: &str) -> Result<Date, Rejection> {
        self.parsed(name, DATE_FORMAT, Date::parse)
    }

    pub fn date(&self, name: &str) -> Result<Option<Date>, Rejection> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.required_date(name).map(Some),
        }
    }

    /// The optional `effective` date of every write.
    pub fn effective(&self) -> Result<Option<Date>, Rejection> {
        self.date("effective")
    }

    /// A Land code as text (`"04"`) or number (`4`).
    pub fn land(&self, name: &str) -> Result<LandCode, Rejection> {
        match self.required(name)? {
            Value::String(code) => land_code(name, code),
            Value::Number(code) => code
                .as_u64()
                .and_then(|c| u8::try_from(c).ok())
                .and_then(|c| LandCode::new(c).ok())
                .ok_or_else(|| Rejection::invalid(name, LAND_FORMAT)),
            _ => Err(Rejection::invalid(name, LAND_FORMAT)),
        }
    }

    /// A required non-negative whole number that fits `T`.
    pub fn whole<T: TryFrom<u64>>(&self, name: &str) -> Result<T, Rejection> {
        self.required(name)?
            .as_u64()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| Rejection::invalid(name, "muss eine nicht-negative ganze Zahl sein"))
    }

    /// An optional non-negative whole number that fits `T`.
    pub fn optional_whole<T: TryFrom<u64>>(&self, name: &str) -> Result<Option<T>, Rejection> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.whole(name).map(Some),
        }
    }

    /// A calendar year.
    pub fn year(&self, name: &str) -> Result<u16, Rejection> {
        self.required(name)?
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| Rejection::invalid(name, "muss eine Jahreszahl sein"))
    }

    /// A key from a fixed list, turned into a value by `from_key`.
    pub fn choice<T>(
        &self,
        name: &str,
        keys: &[&str],
        from_key: impl Fn(&str) -> Option<T>,
    ) -> Result<T, Rejection> {
        let invalid =
            || Rejection::invalid(name, format!("muss einer von {} sein", keys.join(", ")));
        let key = self
            .text(name)?
            .ok_or_else(|| Rejection::invalid(name, "fehlt"))?;
        if !keys.contains(&key) {
            return Err(invalid());
        }
        from_key(key).ok_or_else(invalid)
    }
}

pub const SLUG_FORMAT: &str =
    "muss aus 3 bis 64 Kleinbuchstaben, Ziffern und einzelnen Bindestrichen bestehen";
pub const AGS_FORMAT: &str = "muss ein Gemeindeschlüssel aus 8 Ziffern sein (Text)";
pub const KREIS_FORMAT: &str = "muss ein Kreisschlüssel aus 5 Ziffern sein (Text)";
pub const DATE_FORMAT: &str = "muss ein Datum JJJJ-MM-TT sein";
pub const LAND_FORMAT: &str = "muss ein Ländercode von 01 bis 16 sein";

/// A Land code in text form, named `name` in the rejection.
pub fn land_code(name: &str, code: &str) -> Result<LandCode, Rejection> {
    LandCode::parse(code.trim()).map_err(|_| Rejection::invalid(name, LAND_FORMAT))
}

/// `{"01": value, ...}`: Land code to a value read by `value`, sorted by
/// Land. A Land named twice (`"1"` and `"01"`) is refused.
pub fn per_land<T>(
    name: &str,
    value: &Value,
    read: impl Fn(&str, &Value) -> Result<T, Rejection>,
) -> Result<Vec<(LandCode, T)>, Rejection> {
    let Value::Object(object) = value else {
        return Err(Rejection::invalid(
            name,
            "muss ein Objekt mit Ländercodes als Schlüsseln sein",
        ));
    };
    let mut entries = Vec::with_capacity(object.len());
    for (code, value) in object {
        let land = land_code(&format!("{name}.{code}"), code)?;
        entries.push((land, read(&format!("{name}.{land}"), value)?));
    }
    entries.sort_by_key(|(land, _)| *land);
    if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Rejection::invalid(
            &format!("{name}.{}", pair[0].0),
            "kommt doppelt vor",
        ));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of<T: std::fmt::Debug>(result: Result<T, Rejection>) -> String {
        match result {
            Err(Rejection::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_and_non_objects_are_named() {
        assert_eq!(field_of(object(&json!({"nmae": 1}), &["name"])), "nmae");
        assert_eq!(field_of(object(&json!([1]), &["name"])), "body");
        assert!(object(&json!({"name": null}), &["name"]).is_ok());
    }

    #[test]
    fn typed_getters_name_their_field() {
        let body = json!({
            "land": 16, "land2": "4", "bad_land": "17", "ags": "16051000",
            "short_ags": "1605100", "number_ags": 16051000, "date": "2024-02-29",
            "bad_date": "2023-02-29", "year": 2023, "neg": -1, "text": 5,
        });
        let fields = Fields(body.as_object().unwrap());
        assert_eq!(fields.land("land").unwrap().get(), 16);
        assert_eq!(fields.land("land2").unwrap().get(), 4);
        assert_eq!(field_of(fields.land("bad_land")), "bad_land");
        assert_eq!(fields.ags("ags").unwrap().to_string(), "16051000");
        assert_eq!(field_of(fields.ags("short_ags")), "short_ags");
        assert_eq!(field_of(fields.ags("number_ags")), "number_ags");
        assert_eq!(
            fields.required_date("date").unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(field_of(fields.date("bad_date")), "bad_date");
        assert_eq!(fields.date("absent").unwrap(), None);
        assert_eq!(fields.year("year").unwrap(), 2023);
        assert_eq!(field_of(fields.whole::<u64>("neg")), "neg");
        assert_eq!(field_of(fields.text("text")), "text");
        assert_eq!(field_of(fields.required_text("absent", 10)), "absent");
    }

    #[test]
    fn per_land_maps_are_sorted_and_unique() {
        let read = |_: &str, value: &Value| Ok(value.as_u64().unwrap_or(0));
        let entries = per_land("figures", &json!({"16": 2, "01": 1}), read).unwrap();
        assert_eq!(entries[0], (LandCode::new(1).unwrap(), 1));
        assert_eq!(entries[1], (LandCode::new(16).unwrap(), 2));
        assert_eq!(
            field_of(per_land("figures", &json!({"1": 1, "01": 2}), read)),
            "figures.01"
        );
        assert_eq!(
            field_of(per_land("figures", &json!({"17": 1}), read)),
            "figures.17"
        );
        assert_eq!(field_of(per_land("figures", &json!([1]), read)), "figures");
    }
}
