//! Who acts: the principal a command is recorded for. The gateway turns an
//! authenticated caller into an `Actor`; the domain decides what it may do.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{Ags, LandCode, OperatorId};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A Land, acting for itself (announcing, joining, reporting costs).
    Land(LandCode),
    /// A municipality, acting for itself.
    Gemeinde(Ags),
    /// An operator such as KIV Thüringen, acting inside its region.
    Operator(OperatorId),
    /// A registry administrator (reference data, participants).
    Admin,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Land(code) => write!(f, "land:{code}"),
            Self::Gemeinde(ags) => write!(f, "gemeinde:{ags}"),
            Self::Operator(id) => write!(f, "operator:{id}"),
            Self::Admin => f.write_str("admin"),
        }
    }
}

impl Actor {
    /// Parses the form `Display` writes: `land:04`, `gemeinde:16051000`,
    /// `operator:kiv-thueringen`, `admin`.
    pub fn parse(text: &str) -> Result<Self, crate::ids::IdError> {
        let invalid = || crate::ids::IdError {
            kind: "principal",
            reason: "must be land:NN, gemeinde:AGS, operator:ID or admin",
            input: text.to_owned(),
        };
        match text.split_once(':') {
            None if text == "admin" => Ok(Self::Admin),
            Some(("land", code)) => LandCode::parse(code).map(Self::Land),
            Some(("gemeinde", ags)) => Ags::parse(ags).map(Self::Gemeinde),
            Some(("operator", id)) => OperatorId::parse(id).map(Self::Operator),
            _ => Err(invalid()),
        }
    }
}
