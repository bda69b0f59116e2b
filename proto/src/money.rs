//! Money as integer euro cents. Never a float: every figure the registry
//! shows must be recomputable to the cent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::IdError;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Cents(pub i64);

/// The largest single amount the registry takes: 100 billion euros, far
/// above any EfA budget, so a typo of a few digits is caught while sums
/// cannot overflow.
pub const AMOUNT_MAX: Cents = Cents(10_000_000_000_000);

/// A euro amount as people type it, in the form [`Cents::parse_euros`]
/// reads: blanks and the euro sign go, and with a decimal comma the
/// points are thousands separators (`12.500,00 €` is `12500,00`). Shared
/// by the web forms and the command line; the API takes the plain form.
pub fn plain_euros(text: &str) -> String {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€')
        .collect();
    if compact.contains(',') {
        compact.replace('.', "")
    } else {
        compact
    }
}

impl Cents {
    /// Parses a euro amount such as `1234`, `1234.5` or `1234,56` (German
    /// decimal comma). More than two decimals is an error, not a rounding.
    pub fn parse_euros(text: &str) -> Result<Self, IdError> {
        let invalid = || IdError {
            kind: "amount",
            reason: "must be euros with at most two decimals",
            input: text.to_owned(),
        };
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once(['.', ',']) {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) || fraction.len() > 2 {
            return Err(invalid());
        }
        let euros: i64 = whole.parse().map_err(|_| invalid())?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        let total = euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .ok_or_else(invalid)?;
        Ok(Cents(if negative { -total } else { total }))
    }
}

impl fmt::Display for Cents {
    /// Euros with two decimals and a point, e.g. `-12.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_people_type_them_become_plain() {
        assert_eq!(plain_euros("12.500,00 €"), "12500,00");
        assert_eq!(plain_euros("1 234,5"), "1234,5");
        assert_eq!(plain_euros("1234.56"), "1234.56");
        assert_eq!(plain_euros("1.234"), "1.234");
        assert_eq!(plain_euros("-0,50"), "-0,50");
    }

    #[test]
    fn euros_parse_to_cents() {
        assert_eq!(Cents::parse_euros("1234").unwrap(), Cents(123_400));
        assert_eq!(Cents::parse_euros("1234,5").unwrap(), Cents(123_450));
        assert_eq!(Cents::parse_euros("-0.05").unwrap(), Cents(-5));
        for bad in ["", "1.234", "abc", "1,2,3", "--1", ".5"] {
            assert!(Cents::parse_euros(bad).is_err(), "{bad} must be rejected");
        }
        assert_eq!(Cents(-1205).to_string(), "-12.05");
    }
}
