//! JSON of cost sharing: a service's costs of a year split among the
//! Länder under its own model and the others, and what one Land owes.
//! Every share comes with its weight, its days and its exact value.

use efa_proto::statement::StatementLine;
use efa_proto::views::{CostSharingView, CostSplit, ShareLine};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

use super::catalogue::CostLineJson;
use super::statement::{ClosedLineJson, LandCosts};
use super::{CostModelJson, LandJson, MoneyJson, all, exact};

/// One Land's share, with what it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Share)]
pub struct ShareJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub weight: u64,
    pub days: u32,
    /// The share before rounding, in cents, exactly.
    #[schema(value_type = values::Exact)]
    pub exact_cents: String,
    #[schema(value_type = values::Exact)]
    pub fraction: String,
    pub amount: MoneyJson,
}

impl From<&ShareLine> for ShareJson {
    fn from(line: &ShareLine) -> Self {
        Self {
            land: LandJson::from(line.land),
            weight: line.weight,
            days: line.days,
            exact_cents: exact(&line.exact_cents),
            fraction: exact(&line.fraction),
            amount: MoneyJson::from(line.cents),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = CostSplit)]
pub struct SplitJson {
    pub model: CostModelJson,
    pub model_label: String,
    pub weights_source: String,
    pub total: MoneyJson,
    pub allocated: MoneyJson,
    pub unallocated: MoneyJson,
    pub days_in_year: u32,
    pub shares: Vec<ShareJson>,
    #[schema(required)]
    pub problem: Option<String>,
}

impl From<&CostSplit> for SplitJson {
    fn from(split: &CostSplit) -> Self {
        Self {
            model: CostModelJson::from(&split.model),
            model_label: split.model.label_de(),
            weights_source: split.weights_source.clone(),
            total: MoneyJson::from(split.total),
            allocated: MoneyJson::from(split.allocated),
            unallocated: MoneyJson::from(split.unallocated),
            days_in_year: split.days_in_year,
            shares: all(&split.shares),
            problem: split.problem.clone(),
        }
    }
}

/// `GET /api/v1/services/{id}/costs/{year}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = CostSharing)]
pub struct CostSharingJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub year: u16,
    pub costs: Vec<CostLineJson>,
    pub split: SplitJson,
    pub alternatives: Vec<SplitJson>,
}

impl From<&CostSharingView> for CostSharingJson {
    fn from(view: &CostSharingView) -> Self {
        Self {
            service: view.service.to_string(),
            year: view.year,
            costs: all(&view.costs),
            split: SplitJson::from(&view.split),
            alternatives: all(&view.alternatives),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandCostLine)]
pub struct LandCostLineJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub title: String,
    pub service_total: MoneyJson,
    /// The share as computed now.
    pub share: ShareJson,
    /// For a closed year: what the closing settled and the Nachtrag since
    /// (now minus settled); `null` for an open year.
    #[schema(required)]
    pub closed: Option<ClosedLineJson>,
}

impl From<&StatementLine> for LandCostLineJson {
    fn from(line: &StatementLine) -> Self {
        Self {
            service: line.service.to_string(),
            title: line.title.clone(),
            service_total: MoneyJson::from(line.service_total),
            share: ShareJson::from(&line.share),
            closed: line.closed.as_ref().map(ClosedLineJson::from),
        }
    }
}

/// `GET /api/v1/lands/{land}/costs/{year}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandCosts)]
pub struct LandCostsJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub year: u16,
    /// The shares as computed for the day, summed over all lines; for a
    /// closed year not what was settled (each line's `closed` has that,
    /// and the statement's `total` sums settled or open).
    pub total: MoneyJson,
    pub lines: Vec<LandCostLineJson>,
    /// The day the figures are for, and the ledger sequence and chain
    /// hash they rest on, as the statement they are read from says.
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub chain_hash: String,
}

impl From<&LandCosts> for LandCostsJson {
    fn from(view: &LandCosts) -> Self {
        let statement = &view.statement;
        Self {
            land: LandJson::from(statement.land),
            year: statement.year,
            total: MoneyJson::from(view.total),
            lines: all(&statement.lines),
            as_of: statement.as_of.to_string(),
            seq: statement.seq,
            chain_hash: hex::encode(statement.chain_hash),
        }
    }
}
