//! The vocabulary of participants and of municipal adoption: regions of
//! operators, adoption stages, cost categories, allocation keys.

use serde::{Deserialize, Serialize};

use crate::ids::{Ags, KreisKey, LandCode};
use crate::time::Date;

/// Where an operator may act for municipalities.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Region {
    /// Every municipality of a Land (e.g. KIV Thüringen for 16).
    Land(LandCode),
    /// The municipalities of these Kreise.
    Kreise(Vec<KreisKey>),
}

impl Region {
    pub fn covers(&self, ags: Ags) -> bool {
        match self {
            Self::Land(land) => ags.land() == *land,
            Self::Kreise(kreise) => kreise.contains(&ags.kreis()),
        }
    }
}

/// The steps of a municipality's adoption of a service, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AdoptionStage {
    Requested,
    Agreed,
    Onboarding,
    Live,
    Withdrawn,
}

impl AdoptionStage {
    pub const ALL: [AdoptionStage; 5] = [
        Self::Requested,
        Self::Agreed,
        Self::Onboarding,
        Self::Live,
        Self::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Agreed => "agreed",
            Self::Onboarding => "onboarding",
            Self::Live => "live",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Self::Requested => "beantragt",
            Self::Agreed => "vereinbart",
            Self::Onboarding => "Anbindung",
            Self::Live => "in Betrieb",
            Self::Withdrawn => "zurückgezogen",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// What a reported cost pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CostCategory {
    Development,
    Operation,
}

impl CostCategory {
    pub fn key(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Operation => "operation",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Self::Development => "Entwicklung",
            Self::Operation => "Betrieb",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Development, Self::Operation]
            .into_iter()
            .find(|c| c.key() == key)
    }
}

/// Allocation key shares in units of 1/100,000 percent: the Königsteiner
/// Schlüssel is published with five decimals, so 100 % is 10,000,000.
pub const KEY_UNITS_TOTAL: u32 = 10_000_000;

/// Decimals of a published key share (in percent).
const PERCENT_DECIMALS: usize = 5;

/// A key share written as a percentage, `"3,39074"` or `"3.39074"` (up to
/// five decimals, comma or point), in units of 1/100,000 percent: `"100"`
/// is `KEY_UNITS_TOTAL`. Exact, no floats; `None` for anything else,
/// including more decimals and more than 100 %.
pub fn percent_to_key_units(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, fraction) = text.split_once([',', '.']).unwrap_or((text, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || !is_digits(whole) || !is_digits(fraction) {
        return None;
    }
    if fraction.len() > PERCENT_DECIMALS || (text.len() > whole.len() && fraction.is_empty()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = format!("{fraction:0<PERCENT_DECIMALS$}").parse().ok()?;
    let units = whole.checked_mul(100_000)?.checked_add(fraction)?;
    (units <= KEY_UNITS_TOTAL).then_some(units)
}

/// A population figure with its reference date (Stichtag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Population {
    pub count: u64,
    pub reference_date: Date,
}
