//! How one field of a request is read, with the German words that say
//! what a valid value looks like. The proto's identifiers, codes and dates
//! are read from their text with the proto's own `parse`: their derived
//! `Deserialize` is the wire form (a Land as a byte, a date as a day
//! number), not the form the API and the web forms use. Whether a value is
//! allowed for this caller or in this state is the domain's job.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use efa_proto::{
    Ags, Cents, Channel, CostCategory, Date, KreisKey, LandCode, OperatorId, Reifegrad, Rejection,
    ServiceId, ServiceStatus,
};
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};

pub const SLUG_FORMAT: &str =
    "muss aus 3 bis 64 Kleinbuchstaben, Ziffern und einzelnen Bindestrichen bestehen";
pub const LAND_FORMAT: &str = "muss ein Ländercode von 01 bis 16 sein";
const AGS_FORMAT: &str = "muss ein Gemeindeschlüssel aus 8 Ziffern sein (Text)";
const KREIS_FORMAT: &str = "muss ein Kreisschlüssel aus 5 Ziffern sein (Text)";
const DATE_FORMAT: &str = "muss ein Datum JJJJ-MM-TT sein";
const WHOLE_FORMAT: &str = "muss eine nicht-negative ganze Zahl sein";
/// Said of a negative amount in a request: costs are reported and
/// corrected as what was spent, so no request amount is below zero (the
/// domain refuses one too, but names its own field, not the one sent).
const NEGATIVE_AMOUNT: &str = "darf nicht negativ sein";

/// The longest text read from any field at all: as long as a whole body
/// may be, so that a field's own limit (a title's, a note's, the
/// domain's) is the one a refusal names.
pub const TEXT_CHARS_MAX: usize = crate::keys::BODY_BYTES_MAX;

/// A value read from one field of a body or form.
pub trait Field: Sized {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// `deserialize_with` for a required field.
pub fn req<'de, D: Deserializer<'de>, T: Field>(deserializer: D) -> Result<T, D::Error> {
    T::read(deserializer)
}

/// `deserialize_with` for an optional field (with `default`): `null` is
/// absent.
pub fn opt<'de, D: Deserializer<'de>, T: Field>(deserializer: D) -> Result<Option<T>, D::Error> {
    Option::<Via<T>>::deserialize(deserializer).map(|value| value.map(|Via(value)| value))
}

/// `deserialize_with` for a nested object: only a JSON object, never the
/// array form serde's derive would also take.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

/// A [`Field`] as a `Deserialize` type: a field of a request struct
/// declared `Via<T>` or `Option<Via<T>>` is read by `T`'s reader (absent
/// or `null` is `None`), without `deserialize_with`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<T>(pub T);

impl<'de, T: Field> Deserialize<'de> for Via<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(Via)
    }
}

/// A value a body spells as text, as its reader reads it (`Display` is
/// that text): so a client writes the field as the API reads it.
pub trait Spelled: Field + fmt::Display {}

impl Spelled for ServiceId {}
impl Spelled for Ags {}
impl Spelled for Date {}

impl<T: Spelled> Serialize for Via<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// An object read into `T`.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object(deserializer).map(Object)
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("muss ein JSON-Objekt sein")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// A scalar: text parsed by `text`, a whole number by `number`; anything
/// else, or a value they refuse, is answered with `reason`, or for a text
/// with what `explain` says of it, where it says more.
struct Scalar<T> {
    reason: String,
    text: Option<fn(&str) -> Option<T>>,
    number: Option<fn(i128) -> Option<T>>,
    explain: Option<fn(&str) -> Option<String>>,
}

impl<T> Scalar<T> {
    fn text(reason: impl Into<String>, parse: fn(&str) -> Option<T>) -> Self {
        Self {
            reason: reason.into(),
            text: Some(parse),
            number: None,
            explain: None,
        }
    }

    /// [`Scalar::text`] whose refusal of a text `explain` may name more
    /// precisely than `reason` (the range, not the format).
    fn explained(
        reason: impl Into<String>,
        parse: fn(&str) -> Option<T>,
        explain: fn(&str) -> Option<String>,
    ) -> Self {
        Self {
            explain: Some(explain),
            ..Self::text(reason, parse)
        }
    }

    fn number(reason: impl Into<String>, parse: fn(i128) -> Option<T>) -> Self {
        Self {
            reason: reason.into(),
            text: None,
            number: Some(parse),
            explain: None,
        }
    }

    fn refuse<E: de::Error>(&self) -> E {
        E::custom(&self.reason)
    }
}

impl<'de, T> Visitor<'de> for Scalar<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        let parse = self.text.ok_or_else(|| self.refuse())?;
        let text = checked_text(value)?.trim();
        parse(text).ok_or_else(|| match self.explain.and_then(|explain| explain(text)) {
            Some(reason) => E::custom(reason),
            None => self.refuse(),
        })
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        self.visit_i128(i128::from(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        self.visit_i128(i128::from(value))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<T, E> {
        let parse = self.number.ok_or_else(|| self.refuse())?;
        parse(value).ok_or_else(|| self.refuse())
    }
}

/// A text without invisible characters (`efa_proto::text`), of at most
/// `TEXT_CHARS_MAX` characters.
fn checked_text<E: de::Error>(text: &str) -> Result<&str, E> {
    if text.chars().count() > TEXT_CHARS_MAX {
        return Err(E::custom(format_args!(
            "höchstens {TEXT_CHARS_MAX} Zeichen"
        )));
    }
    if text.chars().any(efa_proto::text::is_invisible) {
        return Err(E::custom(
            "darf keine unsichtbaren Zeichen enthalten (etwa Richtungswechsel, \
             Zeichen ohne Breite, Füllzeichen oder Zeilentrenner)",
        ));
    }
    Ok(text)
}

/// Any text, checked and trimmed, in Unicode's composed form (NFC): a
/// letter with an accent typed as a base letter and a combining mark is
/// stored as the one letter, so that two titles that look the same are
/// the same text.
fn any_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    use unicode_normalization::UnicodeNormalization;

    deserializer.deserialize_str(Scalar::text("muss ein Text sein", |t| {
        Some(t.nfc().collect())
    }))
}

/// A text of 1 to `MAX` characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(pub String);

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = any_text(deserializer)?;
        if text.is_empty() || text.chars().count() > MAX {
            return Err(de::Error::custom(format_args!(
                "muss 1 bis {MAX} Zeichen lang sein"
            )));
        }
        Ok(Self(text))
    }
}

/// The longest note, as the domain takes it.
pub const NOTE_CHARS_MAX: usize = 1_000;

/// An optional text such as a note, trimmed, of at most
/// [`NOTE_CHARS_MAX`] characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note(pub String);

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = any_text(deserializer)?;
        if text.chars().count() > NOTE_CHARS_MAX {
            return Err(de::Error::custom(format_args!(
                "höchstens {NOTE_CHARS_MAX} Zeichen"
            )));
        }
        Ok(Self(text))
    }
}

impl Note {
    pub fn of(note: Option<Note>) -> String {
        note.unwrap_or_default().0
    }
}

impl Serialize for Note {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Year(pub u16);

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u64(Scalar::number("muss eine Jahreszahl sein", |n| {
            u16::try_from(n).ok().map(Year)
        }))
    }
}

/// A whole number from `MIN` to `MAX` (a page's `limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<const MIN: u32, const MAX: u32>(pub u32);

impl<'de, const MIN: u32, const MAX: u32> Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let reason = format!("muss eine ganze Zahl von {MIN} bis {MAX} sein");
        deserializer.deserialize_u64(Scalar::number(reason, |n| {
            u32::try_from(n)
                .ok()
                .filter(|n| (MIN..=MAX).contains(n))
                .map(Whole)
        }))
    }
}

/// A euro amount as text: `"1234,56"` or `"1234.56"`, not negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Euros(pub Cents);

impl<'de> Deserialize<'de> for Euros {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let reason =
            "muss ein Euro-Betrag mit höchstens zwei Nachkommastellen sein, etwa \"1234,56\"";
        let cents =
            deserializer.deserialize_str(Scalar::text(reason, |t| Cents::parse_euros(t).ok()))?;
        not_negative(cents).map(Euros)
    }
}

fn not_negative<E: de::Error>(amount: Cents) -> Result<Cents, E> {
    if amount.0 < 0 {
        return Err(E::custom(NEGATIVE_AMOUNT));
    }
    Ok(amount)
}

/// One of the `keys`, as `from_key` reads it.
pub fn choice<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    keys: &[&str],
    from_key: fn(&str) -> Option<T>,
) -> Result<T, D::Error> {
    let reason = format!("muss einer von {} sein", keys.join(", "));
    let key = deserializer.deserialize_str(Scalar::text(reason.clone(), |t| Some(t.to_owned())))?;
    Some(key.as_str())
        .filter(|key| keys.contains(key))
        .and_then(from_key)
        .ok_or_else(|| de::Error::custom(reason))
}

/// A table of [`Field`] impls: each type with the expression that reads
/// it from a deserializer.
macro_rules! fields {
    ($($type:ty => |$d:ident| $read:expr;)*) => {$(
        impl Field for $type {
            fn read<'de, D: Deserializer<'de>>($d: D) -> Result<Self, D::Error> {
                $read
            }
        }
    )*};
}

fields! {
    ServiceId => |d| d.deserialize_str(Scalar::text(SLUG_FORMAT, |t| ServiceId::parse(t).ok()));
    OperatorId => |d| d.deserialize_str(Scalar::text(SLUG_FORMAT, |t| OperatorId::parse(t).ok()));
    Ags => |d| d.deserialize_str(Scalar::explained(AGS_FORMAT, |t| Ags::parse(t).ok(), |t| {
        no_land_in(t, 8)
    }));
    KreisKey => |d| d.deserialize_str(Scalar::explained(KREIS_FORMAT, |t| KreisKey::parse(t).ok(), |t| {
        no_land_in(t, 5)
    }));
    Date => |d| d.deserialize_str(Scalar::explained(DATE_FORMAT, |t| Date::parse(t).ok(), out_of_range));
    u64 => |d| d.deserialize_u64(Scalar::number(WHOLE_FORMAT, |n| u64::try_from(n).ok()));
    u32 => |d| d.deserialize_u64(Scalar::number(WHOLE_FORMAT, |n| u32::try_from(n).ok()));
    Reifegrad => |d| {
        let reason = "muss eine ganze Zahl von 0 bis 4 sein";
        d.deserialize_u64(Scalar::number(reason, |n| {
            u8::try_from(n).ok().and_then(|n| Reifegrad::new(n).ok())
        }))
    };
    Channel => |d| choice(d, &Channel::ALL.map(Channel::key), Channel::from_key);
    ServiceStatus => |d| {
        choice(d, &ServiceStatus::ALL.map(ServiceStatus::key), ServiceStatus::from_key)
    };
    // As text (`"04"`) or number (`4`).
    LandCode => |d| d.deserialize_any(Scalar {
        reason: LAND_FORMAT.to_owned(),
        text: Some(|t| LandCode::parse(t).ok()),
        number: Some(|n| u8::try_from(n).ok().and_then(|c| LandCode::new(c).ok())),
        explain: None,
    });
    // A whole number of cents (`amount_cents`), not negative, not beyond
    // the largest amount the domain takes (a number too large for any
    // amount is told so, not that it is no whole number).
    Cents => |d| {
        let cents = d.deserialize_i64(Scalar {
            reason: "muss eine ganze Zahl von Cent sein".to_owned(),
            text: None,
            number: Some(|n| Some(Cents(i64::try_from(n).unwrap_or(i64::MAX)))),
            explain: None,
        })?;
        let cents = not_negative(cents)?;
        if cents > efa_proto::AMOUNT_MAX {
            return Err(de::Error::custom(format_args!(
                "ist unplausibel hoch (höchstens {} Cent)",
                efa_proto::AMOUNT_MAX.0
            )));
        }
        Ok(cents)
    };
    CostCategory => |d| {
        let keys = [CostCategory::Development, CostCategory::Operation].map(CostCategory::key);
        choice(d, &keys, CostCategory::from_key)
    };
}

/// Why a key of `digits` digits (an AGS, a Kreis key) that has its digits
/// is still refused: its first two, the Land, are no Land code. `None`
/// for a text of other form, which the format's sentence answers.
pub fn no_land_in(text: &str, digits: usize) -> Option<String> {
    let text = text.trim();
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let land = &text[..2];
    LandCode::parse(land).is_err().then(|| {
        format!("beginnt mit „{land}“, das ist kein Ländercode (die ersten zwei Ziffern nennen das Land, 01 bis 16)")
    })
}

/// Why a date in the form `JJJJ-MM-TT` is still refused: its year is
/// outside the years the registry takes. `None` for anything else (a
/// wrong form, a day its month does not have), which the format's
/// sentence answers.
fn out_of_range(text: &str) -> Option<String> {
    let (year, rest) = text.split_at_checked(4)?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|_| year.bytes().all(|b| b.is_ascii_digit()))?;
    // The same day in a year the registry takes would be a date.
    let same_day = Date::parse(&format!("2000{rest}")).is_ok();
    (same_day && !efa_proto::DATE_YEARS.contains(&year)).then(|| {
        format!(
            "muss ein Datum der Jahre {} bis {} sein",
            efa_proto::DATE_YEARS.start(),
            efa_proto::DATE_YEARS.end()
        )
    })
}

/// The entries of an object keyed by Land code (`{"01": …}`), sorted by
/// Land, each value read by `value`. A Land named twice (`"1"` and
/// `"01"`) is refused.
pub fn per_land<T, U>(
    name: &str,
    entries: BTreeMap<String, T>,
    value: fn(T) -> U,
) -> Result<Vec<(LandCode, U)>, Rejection> {
    let mut lands = Vec::with_capacity(entries.len());
    for (code, entry) in entries {
        let land = LandCode::parse(code.trim())
            .map_err(|_| Rejection::invalid(&format!("{name}.{code}"), LAND_FORMAT))?;
        lands.push((land, value(entry)));
    }
    lands.sort_by_key(|(land, _)| *land);
    if let Some(pair) = lands.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        let field = format!("{name}.{}", pair[0].0);
        return Err(Rejection::invalid(&field, "kommt doppelt vor"));
    }
    Ok(lands)
}
