//! The vocabulary of an EfA service: status, Reifegrad, channel, cost model.

use serde::{Deserialize, Serialize};

use crate::ids::{IdError, LandCode};

/// Where a service's lifecycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServiceStatus {
    Planned,
    InDevelopment,
    Pilot,
    Available,
    Retired,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 5] = [
        Self::Planned,
        Self::InDevelopment,
        Self::Pilot,
        Self::Available,
        Self::Retired,
    ];

    /// The stable machine name used in the API (`in-development`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InDevelopment => "in-development",
            Self::Pilot => "pilot",
            Self::Available => "available",
            Self::Retired => "retired",
        }
    }

    /// The German label shown to users.
    pub fn label_de(self) -> &'static str {
        match self {
            Self::Planned => "geplant",
            Self::InDevelopment => "in Entwicklung",
            Self::Pilot => "Pilotbetrieb",
            Self::Available => "verfügbar",
            Self::Retired => "eingestellt",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// OZG Reifegrad 0 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Reifegrad(u8);

impl Reifegrad {
    pub fn new(level: u8) -> Result<Self, IdError> {
        if level <= 4 {
            Ok(Self(level))
        } else {
            Err(IdError {
                kind: "Reifegrad",
                reason: "must be 0 to 4",
                input: level.to_string(),
            })
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Reifegrad {
    type Error = IdError;
    fn try_from(level: u8) -> Result<Self, IdError> {
        Self::new(level)
    }
}

impl From<Reifegrad> for u8 {
    fn from(level: Reifegrad) -> u8 {
        level.0
    }
}

/// How other Länder obtain the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Channel {
    FitStore,
    EfaMarktplatz,
    Verwaltungsabkommen,
}

impl Channel {
    pub const ALL: [Channel; 3] = [
        Self::FitStore,
        Self::EfaMarktplatz,
        Self::Verwaltungsabkommen,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::FitStore => "fit-store",
            Self::EfaMarktplatz => "efa-marktplatz",
            Self::Verwaltungsabkommen => "verwaltungsabkommen",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Self::FitStore => "FIT-Store",
            Self::EfaMarktplatz => "EfA-Marktplatz",
            Self::Verwaltungsabkommen => "Verwaltungsabkommen",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// How a service's costs are shared among the Länder taking part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CostModel {
    /// Königsteiner Schlüssel of the named year, or of each cost's own year
    /// (falling back to the latest published year before it) when `None`.
    KoenigsteinerSchluessel { year: Option<u16> },
    /// Population of the latest reference date not after the cost's year.
    Population,
    /// Every participating Land weighs 1.
    EqualShares,
    /// A fixed weight per Land; Länder not listed weigh 0.
    FixedShares { weights: Vec<(LandCode, u32)> },
}

impl CostModel {
    pub fn label_de(&self) -> String {
        match self {
            Self::KoenigsteinerSchluessel { year: Some(year) } => {
                format!("Königsteiner Schlüssel {year}")
            }
            Self::KoenigsteinerSchluessel { year: None } => {
                "Königsteiner Schlüssel des Kostenjahres".to_owned()
            }
            Self::Population => "Einwohnerzahl".to_owned(),
            Self::EqualShares => "gleiche Anteile".to_owned(),
            Self::FixedShares { .. } => "feste Anteile".to_owned(),
        }
    }
}
