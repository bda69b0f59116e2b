//! Validated identifiers. Every constructor checks its input, and decoding
//! from the wire goes through the same checks (`serde(try_from)`), so an
//! invalid identifier can never exist in memory, whatever the source.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a piece of text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {reason} (got {input:?})")]
pub struct IdError {
    pub kind: &'static str,
    pub reason: &'static str,
    pub input: String,
}

impl IdError {
    fn new(kind: &'static str, reason: &'static str, input: impl fmt::Display) -> Self {
        Self {
            kind,
            reason,
            input: input.to_string(),
        }
    }
}

fn all_ascii_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The names of the 16 Länder, indexed by code - 1 (the AGS scheme).
const LAND_NAMES: [&str; 16] = [
    "Schleswig-Holstein",
    "Hamburg",
    "Niedersachsen",
    "Bremen",
    "Nordrhein-Westfalen",
    "Hessen",
    "Rheinland-Pfalz",
    "Baden-Württemberg",
    "Bayern",
    "Saarland",
    "Berlin",
    "Brandenburg",
    "Mecklenburg-Vorpommern",
    "Sachsen",
    "Sachsen-Anhalt",
    "Thüringen",
];

/// A Land by its two-digit code, 01 (Schleswig-Holstein) to 16 (Thüringen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct LandCode(u8);

impl LandCode {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 16;

    pub fn new(code: u8) -> Result<Self, IdError> {
        if (Self::MIN..=Self::MAX).contains(&code) {
            Ok(Self(code))
        } else {
            Err(IdError::new("LandCode", "must be 01 to 16", code))
        }
    }

    /// Parses the two-digit form ("04"); a single digit ("4") is accepted too.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if !all_ascii_digits(text) || text.len() > 2 {
            return Err(IdError::new("LandCode", "must be two digits", text));
        }
        let code: u8 = text
            .parse()
            .map_err(|_| IdError::new("LandCode", "must be two digits", text))?;
        Self::new(code)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        LAND_NAMES[usize::from(self.0 - 1)]
    }

    pub fn all() -> impl Iterator<Item = LandCode> {
        (Self::MIN..=Self::MAX).map(LandCode)
    }

    /// Every AGS the Land's municipalities may have, in order: its code
    /// followed by six digits.
    pub fn municipalities(self) -> std::ops::RangeInclusive<Ags> {
        let first = u32::from(self.0) * 1_000_000;
        Ags(first)..=Ags(first + 999_999)
    }
}

impl TryFrom<u8> for LandCode {
    type Error = IdError;
    fn try_from(code: u8) -> Result<Self, IdError> {
        Self::new(code)
    }
}

impl From<LandCode> for u8 {
    fn from(code: LandCode) -> u8 {
        code.0
    }
}

impl fmt::Display for LandCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// Amtlicher Gemeindeschlüssel: 8 digits, the first two naming the Land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Ags(u32);

impl Ags {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.len() != 8 || !all_ascii_digits(text) {
            return Err(IdError::new("AGS", "must be exactly 8 digits", text));
        }
        let value: u32 = text
            .parse()
            .map_err(|_| IdError::new("AGS", "must be exactly 8 digits", text))?;
        Self::try_from(value)
    }

    pub fn land(self) -> LandCode {
        LandCode((self.0 / 1_000_000) as u8)
    }

    /// The Kreis this municipality belongs to (the first five digits).
    pub fn kreis(self) -> KreisKey {
        KreisKey(self.0 / 1_000)
    }
}

impl TryFrom<u32> for Ags {
    type Error = IdError;
    fn try_from(value: u32) -> Result<Self, IdError> {
        if value > 99_999_999 {
            return Err(IdError::new("AGS", "must be exactly 8 digits", value));
        }
        LandCode::new((value / 1_000_000) as u8).map_err(|_| {
            IdError::new(
                "AGS",
                "first two digits must be a Land code 01-16",
                format!("{value:08}"),
            )
        })?;
        Ok(Self(value))
    }
}

impl From<Ags> for u32 {
    fn from(ags: Ags) -> u32 {
        ags.0
    }
}

impl fmt::Display for Ags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08}", self.0)
    }
}

/// Kreis key: 5 digits (Land, Regierungsbezirk, Kreis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct KreisKey(u32);

impl KreisKey {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.len() != 5 || !all_ascii_digits(text) {
            return Err(IdError::new("Kreis key", "must be exactly 5 digits", text));
        }
        let value: u32 = text
            .parse()
            .map_err(|_| IdError::new("Kreis key", "must be exactly 5 digits", text))?;
        Self::try_from(value)
    }

    pub fn land(self) -> LandCode {
        LandCode((self.0 / 1_000) as u8)
    }

    /// Every AGS the Kreis's municipalities may have, in order: its key
    /// followed by three digits.
    pub fn municipalities(self) -> std::ops::RangeInclusive<Ags> {
        let first = self.0 * 1_000;
        Ags(first)..=Ags(first + 999)
    }
}

impl TryFrom<u32> for KreisKey {
    type Error = IdError;
    fn try_from(value: u32) -> Result<Self, IdError> {
        if value > 99_999 {
            return Err(IdError::new("Kreis key", "must be exactly 5 digits", value));
        }
        LandCode::new((value / 1_000) as u8).map_err(|_| {
            IdError::new(
                "Kreis key",
                "first two digits must be a Land code 01-16",
                format!("{value:05}"),
            )
        })?;
        Ok(Self(value))
    }
}

impl From<KreisKey> for u32 {
    fn from(key: KreisKey) -> u32 {
        key.0
    }
}

impl fmt::Display for KreisKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:05}", self.0)
    }
}

/// Checks a slug: lowercase ASCII letters, digits and single hyphens,
/// starting with a letter, 3 to 64 characters. Readable in URLs and logs.
fn check_slug(kind: &'static str, text: &str) -> Result<(), IdError> {
    let valid_chars = text
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(3..=64).contains(&text.len()) {
        return Err(IdError::new(kind, "must be 3 to 64 characters", text));
    }
    if !valid_chars
        || !text.starts_with(|c: char| c.is_ascii_lowercase())
        || text.ends_with('-')
        || text.contains("--")
    {
        return Err(IdError::new(
            kind,
            "must be lowercase letters, digits and single hyphens, starting with a letter",
            text,
        ));
    }
    Ok(())
}

/// An EfA service's identifier, a readable slug such as `digitale-baugenehmigung`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ServiceId(String);

/// Written as its text, borrowed: the same bytes as through `String`,
/// without copying the text for every event encoded or hashed.
impl Serialize for ServiceId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl ServiceId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        check_slug("ServiceId", text)?;
        Ok(Self(text.to_owned()))
    }

    /// Derives a slug from a German title: umlauts transliterated, other
    /// letters with accents or in compatibility forms by their base
    /// letters (`Café` and `Cafe` with a combining accent both give
    /// `cafe`, `ﬁ` gives `fi`), other characters folded to hyphens. The
    /// result may still be rejected by `parse` (for example a title of
    /// only punctuation).
    pub fn slug_from_title(title: &str) -> Result<Self, IdError> {
        use unicode_normalization::UnicodeNormalization;
        use unicode_normalization::char::is_combining_mark;

        let mut slug = String::with_capacity(title.len());
        let hyphen = |slug: &mut String| {
            if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        };
        // Composed first, so that an umlaut written with a combining mark
        // is an umlaut too.
        for c in title.nfc().flat_map(char::to_lowercase) {
            match c {
                'ä' => slug.push_str("ae"),
                'ö' => slug.push_str("oe"),
                'ü' => slug.push_str("ue"),
                'ß' => slug.push_str("ss"),
                c if c.is_ascii_alphanumeric() => slug.push(c),
                c if c.is_ascii() => hyphen(&mut slug),
                c => {
                    let base: Vec<char> = std::iter::once(c)
                        .nfkd()
                        .filter(|part| !is_combining_mark(*part))
                        .flat_map(char::to_lowercase)
                        .collect();
                    if !base.is_empty() && base.iter().all(char::is_ascii_alphanumeric) {
                        slug.extend(base);
                    } else {
                        hyphen(&mut slug);
                    }
                }
            }
        }
        let mut slug = slug.trim_end_matches('-').to_owned();
        if slug.len() > 64 {
            slug.truncate(64);
            slug = slug.trim_end_matches('-').to_owned();
        }
        Self::parse(&slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ServiceId {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, IdError> {
        check_slug("ServiceId", &text)?;
        Ok(Self(text))
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An operator (IT service provider acting for a region), e.g. `kiv-thueringen`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct OperatorId(String);

/// Written as its text, borrowed: the same bytes as through `String`,
/// without copying the text for every event encoded or hashed.
impl Serialize for OperatorId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl OperatorId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        check_slug("OperatorId", text)?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OperatorId {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, IdError> {
        check_slug("OperatorId", &text)?;
        Ok(Self(text))
    }
}

impl From<OperatorId> for String {
    fn from(id: OperatorId) -> String {
        id.0
    }
}

impl fmt::Display for OperatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 16 opaque bytes, shown as 32 lowercase hex digits.
fn parse_hex16(kind: &'static str, text: &str) -> Result<[u8; 16], IdError> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IdError::new(kind, "must be 32 hex digits (a UUID)", text));
    }
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
            .map_err(|_| IdError::new(kind, "must be 32 hex digits (a UUID)", text))?;
    }
    Ok(bytes)
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// The idempotency key of a command, made by the client. The ledger
/// remembers every command id it has processed, forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CommandId(pub [u8; 16]);

impl CommandId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        parse_hex16("CommandId", text).map(Self)
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

/// The unique id of one event; also its `Nats-Msg-Id` on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub [u8; 16]);

impl EventId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        parse_hex16("EventId", text).map(Self)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn land_codes_are_01_to_16() {
        assert_eq!(LandCode::parse("04").unwrap().name(), "Bremen");
        assert_eq!(LandCode::parse("16").unwrap().to_string(), "16");
        for bad in ["00", "17", "", "4a", "004", "-1"] {
            assert!(LandCode::parse(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn a_lands_and_a_kreiss_municipalities_are_a_range_of_ags() {
        let ags = |text| Ags::parse(text).unwrap();
        let bremen = LandCode::parse("04").unwrap().municipalities();
        assert_eq!(bremen, ags("04000000")..=ags("04999999"));
        let erfurt = ags("16051000");
        assert!(erfurt.kreis().municipalities().contains(&erfurt));
        assert_eq!(
            erfurt.kreis().municipalities(),
            ags("16051000")..=ags("16051999")
        );
        assert!(!erfurt.land().municipalities().contains(&ags("15051000")));
    }

    #[test]
    fn ags_knows_its_land_and_kreis() {
        let erfurt = Ags::parse("16051000").unwrap();
        assert_eq!(erfurt.land(), LandCode::new(16).unwrap());
        assert_eq!(erfurt.kreis().to_string(), "16051");
        assert_eq!(erfurt.to_string(), "16051000");
        let hamburg = Ags::parse("02000000").unwrap();
        assert_eq!(hamburg.to_string(), "02000000");
        for bad in ["1605100", "160510000", "17051000", "00051000", "1605100x"] {
            assert!(Ags::parse(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn service_ids_are_slugs() {
        assert!(ServiceId::parse("digitale-baugenehmigung").is_ok());
        for bad in ["", "ab", "Digitale", "1abc", "a--b", "abc-", "a b c", "äbc"] {
            assert!(ServiceId::parse(bad).is_err(), "{bad} must be rejected");
        }
        let slug = ServiceId::slug_from_title("Wohngeld-Antrag (Ümzug & Größe)").unwrap();
        assert_eq!(slug.as_str(), "wohngeld-antrag-uemzug-groesse");
    }

    #[test]
    fn accents_and_their_combining_forms_give_one_slug() {
        let slug = |title: &str| ServiceId::slug_from_title(title).unwrap().to_string();
        assert_eq!(slug("Café Antrag"), "cafe-antrag");
        assert_eq!(slug("Cafe\u{301} Antrag"), "cafe-antrag");
        assert_eq!(
            slug("Bu\u{308}rgergeld"),
            "buergergeld",
            "a combining umlaut"
        );
        assert_eq!(slug("Señor ﬁnanz Øre"), "senor-finanz-re");
        assert_eq!(slug("Antrag – § 5 α"), "antrag-5");
    }

    #[test]
    fn command_ids_are_uuids() {
        let id = CommandId::parse("0b5e2f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(id.to_string(), "0b5e2f3a1c4d4e5f8a9b0c1d2e3f4a5b");
        assert!(CommandId::parse("xyz").is_err());
    }
}
