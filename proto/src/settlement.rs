//! Jahresabrechnung: what the ledger records when a service's year is
//! closed (the split as it stood, with the weights it used and the ledger
//! position it rests on), and the explicit correction of a Land's
//! participation that the lead Land or the administration may record
//! afterwards. Fields and variants are only appended.

use serde::{Deserialize, Serialize};

use crate::event::Hash;
use crate::ids::{LandCode, ServiceId};
use crate::money::Cents;
use crate::service::CostModel;

/// The split of one service's costs of one year as it was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// The cost model that applied to the year.
    pub model: CostModel,
    /// Where its weights came from (e.g. "Königsteiner Schlüssel 2023").
    pub weights_source: String,
    /// The weight of every Land the model weighs, frozen with the year:
    /// a key published later does not re-split it.
    pub weights: Vec<(LandCode, u64)>,
    /// The year's amount: the sum of `cost_lines` after corrections.
    pub total: Cents,
    /// Each taking part Land's rounded share, by Land code.
    pub shares: Vec<(LandCode, Cents)>,
    /// Days on which no Land took part.
    pub unallocated: Cents,
    /// The cost lines (`cost_no`) of the year the split includes.
    pub cost_lines: Vec<u32>,
    /// The ledger sequence of the last event the split was read at, and
    /// that event's chain hash.
    pub based_on_seq: u64,
    pub based_on_hash: Hash,
}

/// The lead Land or the administration closes a service's year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseYear {
    pub service: ServiceId,
    pub year: u16,
    pub settlement: Settlement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParticipationChange {
    /// A Beitritt, from the effective date.
    Join,
    /// An Austritt, from the effective date.
    Leave,
}

impl ParticipationChange {
    pub fn label_de(self) -> &'static str {
        match self {
            Self::Join => "Beitritt",
            Self::Leave => "Austritt",
        }
    }
}

/// The lead Land or the administration records a Land's Beitritt or
/// Austritt with an effective date further back than the Land may date it
/// itself, or in a closed year: an explicit correction with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectParticipation {
    pub service: ServiceId,
    pub land: LandCode,
    pub change: ParticipationChange,
    pub reason: String,
}
