//! The yearly cost views that a Land books from: a service's year with
//! the model that applied, its closing and the supplements since
//! (`CostYearView`), and a Land's statement over every service it takes
//! part in (`StatementView`, the Kostenaufstellung). Both carry the date
//! they are "as of" and the ledger position they rest on.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::event::Hash;
use crate::ids::{LandCode, ServiceId};
use crate::money::Cents;
use crate::service::CostModel;
use crate::settlement::Settlement;
use crate::time::{Date, Timestamp};
use crate::views::{CostSharingView, ShareLine};

/// The model that applied to a year, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInForce {
    pub model: CostModel,
    /// The effective date of the change that set it; `None`: since the
    /// announcement.
    pub since: Option<Date>,
    /// The allocation key's year, for the Königsteiner Schlüssel.
    pub key_year: Option<u16>,
}

/// One explicit correction recorded after a year was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionLine {
    pub seq: u64,
    pub effective: Date,
    /// What was corrected, in German.
    pub what_de: String,
    pub reason: String,
}

/// One Land's supplement (Nachtrag): its share now minus its settled share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementLine {
    pub land: LandCode,
    pub settled: Cents,
    pub now: Cents,
    pub difference: Cents,
}

/// A closed year: what was settled, by whom, and what changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingView {
    pub settlement: Settlement,
    /// The ledger sequence of the closing itself.
    pub seq: u64,
    pub recorded_at: Timestamp,
    pub closed_by: Actor,
    /// Every Land whose share differs from the settled one.
    pub supplements: Vec<SupplementLine>,
    pub corrections: Vec<CorrectionLine>,
}

/// A service's costs of a year as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostYearView {
    /// The split under the model in force for the year (for a closed
    /// year: with the weights it was settled with), and the others.
    pub sharing: CostSharingView,
    pub model: ModelInForce,
    /// The weight of every Land the model weighs for the year (for a
    /// closed year: as settled); empty when the model has none yet.
    pub weights: Vec<(LandCode, u64)>,
    pub closing: Option<ClosingView>,
    pub as_of: Date,
    /// The ledger sequence the view stands at, and its chain hash.
    pub seq: u64,
    pub chain_hash: Hash,
}

/// One service in a Land's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub service: ServiceId,
    pub title: String,
    pub lead: LandCode,
    pub model: ModelInForce,
    pub weights_source: String,
    /// The Land's weight in percent, five decimals, e.g. "3.39074".
    pub weight_percent: String,
    /// The share as computed now, with its explanation.
    pub share: ShareLine,
    pub service_total: Cents,
    /// The closing, if the year is closed: the settled share, and the
    /// supplement (now minus settled).
    pub closed: Option<ClosedLine>,
    pub corrections: Vec<CorrectionLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedLine {
    pub settled: Cents,
    pub supplement: Cents,
    pub closed_seq: u64,
    pub based_on_seq: u64,
    pub based_on_hash: Hash,
}

/// A Land's Kostenaufstellung for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementView {
    pub land: LandCode,
    pub year: u16,
    pub lines: Vec<StatementLine>,
    /// The sum of the shares: settled ones for closed years, current
    /// ones for open years.
    pub total: Cents,
    /// The sum of the supplements of closed years.
    pub supplements: Cents,
    pub as_of: Date,
    pub seq: u64,
    pub chain_hash: Hash,
}

/// A Land's weight in percent with five decimals, `.` as the decimal
/// point: a Königsteiner value as published (its units are 1/100,000
/// percent), any other weight relative to `weights_sum`, the sum of the
/// weights of the Länder in the split, rounded half up.
pub fn weight_percent(model: &CostModel, weight: u64, weights_sum: u128) -> String {
    let scaled = match model {
        CostModel::KoenigsteinerSchluessel { .. } => u128::from(weight),
        _ if weights_sum == 0 => 0,
        _ => (u128::from(weight) * 10_000_000 * 2 + weights_sum) / (2 * weights_sum),
    };
    format!("{}.{:05}", scaled / 100_000, scaled % 100_000)
}

/// The sum of the weights of the Länder in a split.
pub fn weights_sum(shares: &[ShareLine]) -> u128 {
    shares.iter().map(|s| u128::from(s.weight)).sum()
}
