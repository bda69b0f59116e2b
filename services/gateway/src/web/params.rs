//! The query string of a page, read leniently: a page always renders, a
//! value that does not parse counts as not given (the filter form shows
//! what was entered, and the page says which value it ignored).

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use efa_proto::{Ags, Date, LandCode, REGISTER_YEARS, ServiceId};

use super::layout::Notice;

/// `?name=value&…` of a page.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(
            Query::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map(|Query(pairs)| Self(pairs))
                .unwrap_or_default(),
        )
    }
}

impl Params {
    /// Parameters made by the page itself (a form shown again with the
    /// year it named).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        )
    }

    /// The value, trimmed and at most 200 characters; "" when absent.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().chars().take(200).collect())
            .unwrap_or_default()
    }

    pub fn date(&self, name: &str) -> Option<Date> {
        Date::parse(&self.get(name)).ok()
    }

    pub fn land(&self, name: &str) -> Option<LandCode> {
        LandCode::parse(&self.get(name)).ok()
    }

    pub fn ags(&self, name: &str) -> Option<Ags> {
        Ags::parse(&self.get(name)).ok()
    }

    pub fn service(&self, name: &str) -> Option<ServiceId> {
        ServiceId::parse(&self.get(name)).ok()
    }

    /// A ledger sequence (1 or more), if one is given.
    pub fn sequence(&self, name: &str) -> Option<u64> {
        self.get(name).parse::<u64>().ok().filter(|seq| *seq >= 1)
    }

    /// A whole number, or `default` when absent or not a number.
    pub fn number(&self, name: &str, default: u32, max: u32) -> u32 {
        self.get(name)
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .unwrap_or(default)
    }

    /// Whether `name` is absent or a whole number up to `max`: what
    /// [`Params::number`] reads without falling back to its default.
    pub fn number_read(&self, name: &str, max: u32) -> bool {
        let text = self.get(name);
        text.is_empty() || text.parse::<u32>().is_ok_and(|n| n <= max)
    }

    /// `?jahr=`: a year the registry keeps costs for.
    pub fn year(&self) -> Option<u16> {
        self.get("jahr")
            .parse::<u16>()
            .ok()
            .filter(|year| REGISTER_YEARS.contains(year))
    }

    /// `?seq=N` after a write: the view must include ledger event N.
    pub fn min_seq(&self) -> u64 {
        self.get("seq").parse().unwrap_or(0)
    }

    /// A notice for values that were given but could not be read.
    pub fn ignored(&self, checks: &[(&str, bool)]) -> Option<Notice> {
        let bad: Vec<String> = checks
            .iter()
            .filter(|(name, ok)| !ok && !self.get(name).is_empty())
            .map(|(name, _)| format!("„{}“", self.get(name)))
            .collect();
        (!bad.is_empty()).then(|| {
            Notice::Error(format!(
                "Diese Angabe konnte nicht gelesen werden und wurde nicht berücksichtigt: {}.",
                bad.join(", ")
            ))
        })
    }

    /// The notice of a page: values that were ignored, or else the
    /// success after a redirect.
    pub fn notice(&self, checks: &[(&str, bool)]) -> Option<Notice> {
        self.ignored(checks).or_else(|| self.success())
    }

    /// The success notice after a redirect (`?erfolg=…`).
    pub fn success(&self) -> Option<Notice> {
        super::notice::success(&self.get("erfolg")).map(|text| Notice::Success(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_one_the_registry_keeps_costs_for() {
        let year = |text: &str| Params::from_pairs(&[("jahr", text)]).year();
        assert_eq!(year("2000"), Some(2000));
        assert_eq!(year("2100"), Some(2100));
        for refused in ["1999", "2101", "0", "abc", ""] {
            assert_eq!(year(refused), None, "{refused}");
        }
    }

    #[test]
    fn values_are_read_leniently() {
        let params = Params::from_pairs(&[
            ("stichtag", "2024-02-30"),
            ("land", "16"),
            ("tage", "abc"),
            ("seq", "17"),
        ]);
        assert_eq!(params.date("stichtag"), None);
        assert_eq!(params.land("land"), LandCode::new(16).ok());
        assert_eq!(params.number("tage", 90, 36_500), 90);
        assert_eq!(params.min_seq(), 17);
        let notice = params.ignored(&[("stichtag", false), ("land", true), ("leer", false)]);
        assert_eq!(
            notice,
            Some(Notice::Error(
                "Diese Angabe konnte nicht gelesen werden und wurde nicht berücksichtigt: „2024-02-30“."
                    .into()
            ))
        );
    }
}
