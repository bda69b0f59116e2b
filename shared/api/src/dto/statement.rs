//! JSON of the yearly cost views: a service's year with the model in
//! force, its closing (Jahresabrechnung) and the supplements since; and a
//! Land's statement (Kostenaufstellung). Both say what date they are as of
//! and the ledger sequence and chain hash they rest on.

use efa_proto::statement::{
    ClosedLine, ClosingView, CorrectionLine, CostYearView, ModelInForce, StatementLine,
    StatementView, SupplementLine,
};
use efa_proto::{Cents, ServiceId, Settlement};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

use super::costs::{CostSharingJson, ShareJson};
use super::{CostModelJson, LandJson, MoneyJson, all};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ModelInForce)]
pub struct ModelInForceJson {
    pub model: CostModelJson,
    pub model_label: String,
    /// The effective date of the change that set the model; absent: since
    /// the announcement.
    #[schema(value_type = Option<values::Date>, required)]
    pub since: Option<String>,
    #[schema(required)]
    pub key_year: Option<u16>,
}

impl From<&ModelInForce> for ModelInForceJson {
    fn from(model: &ModelInForce) -> Self {
        Self {
            model: CostModelJson::from(&model.model),
            model_label: model.model.label_de(),
            since: model.since.map(|d| d.to_string()),
            key_year: model.key_year,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandAmount)]
pub struct AmountJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub amount: MoneyJson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandWeight)]
pub struct WeightJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub weight: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Settlement)]
pub struct SettlementJson {
    pub model: CostModelJson,
    pub model_label: String,
    pub weights_source: String,
    pub weights: Vec<WeightJson>,
    pub total: MoneyJson,
    pub unallocated: MoneyJson,
    pub shares: Vec<AmountJson>,
    pub cost_lines: Vec<u32>,
    pub based_on_seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub based_on_hash: String,
}

impl From<&Settlement> for SettlementJson {
    fn from(s: &Settlement) -> Self {
        Self {
            model: CostModelJson::from(&s.model),
            model_label: s.model.label_de(),
            weights_source: s.weights_source.clone(),
            weights: s
                .weights
                .iter()
                .map(|(land, weight)| WeightJson {
                    land: LandJson::from(*land),
                    weight: *weight,
                })
                .collect(),
            total: MoneyJson::from(s.total),
            unallocated: MoneyJson::from(s.unallocated),
            shares: s
                .shares
                .iter()
                .map(|(land, cents)| AmountJson {
                    land: LandJson::from(*land),
                    amount: MoneyJson::from(*cents),
                })
                .collect(),
            cost_lines: s.cost_lines.clone(),
            based_on_seq: s.based_on_seq,
            based_on_hash: hex::encode(s.based_on_hash),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Supplement)]
pub struct SupplementJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub settled: MoneyJson,
    pub now: MoneyJson,
    pub difference: MoneyJson,
}

impl From<&SupplementLine> for SupplementJson {
    fn from(line: &SupplementLine) -> Self {
        Self {
            land: LandJson::from(line.land),
            settled: MoneyJson::from(line.settled),
            now: MoneyJson::from(line.now),
            difference: MoneyJson::from(line.difference),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Correction)]
pub struct CorrectionJson {
    pub seq: u64,
    #[schema(value_type = values::Date)]
    pub effective: String,
    pub what: String,
    pub reason: String,
}

impl From<&CorrectionLine> for CorrectionJson {
    fn from(line: &CorrectionLine) -> Self {
        Self {
            seq: line.seq,
            effective: line.effective.to_string(),
            what: line.what_de.clone(),
            reason: line.reason.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Closing)]
pub struct ClosingJson {
    pub settled: SettlementJson,
    pub seq: u64,
    #[schema(value_type = values::Timestamp)]
    pub recorded_at: String,
    #[schema(value_type = values::Principal)]
    pub closed_by: String,
    pub supplements: Vec<SupplementJson>,
    pub corrections: Vec<CorrectionJson>,
}

impl From<&ClosingView> for ClosingJson {
    fn from(view: &ClosingView) -> Self {
        Self {
            settled: SettlementJson::from(&view.settlement),
            seq: view.seq,
            recorded_at: view.recorded_at.to_string(),
            closed_by: view.closed_by.to_string(),
            supplements: all(&view.supplements),
            corrections: all(&view.corrections),
        }
    }
}

/// `GET /api/v1/services/{id}/costs/{year}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = CostYear)]
pub struct CostYearJson {
    #[serde(flatten)]
    pub sharing: CostSharingJson,
    pub model_in_force: ModelInForceJson,
    #[schema(required)]
    pub closing: Option<ClosingJson>,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub chain_hash: String,
}

impl From<&CostYearView> for CostYearJson {
    fn from(view: &CostYearView) -> Self {
        Self {
            sharing: CostSharingJson::from(&view.sharing),
            model_in_force: ModelInForceJson::from(&view.model),
            closing: view.closing.as_ref().map(ClosingJson::from),
            as_of: view.as_of.to_string(),
            seq: view.seq,
            chain_hash: hex::encode(view.chain_hash),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ClosedLine)]
pub struct ClosedLineJson {
    pub settled: MoneyJson,
    pub supplement: MoneyJson,
    pub closed_seq: u64,
    pub based_on_seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub based_on_hash: String,
}

impl From<&ClosedLine> for ClosedLineJson {
    fn from(line: &ClosedLine) -> Self {
        Self {
            settled: MoneyJson::from(line.settled),
            supplement: MoneyJson::from(line.supplement),
            closed_seq: line.closed_seq,
            based_on_seq: line.based_on_seq,
            based_on_hash: hex::encode(line.based_on_hash),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StatementLine)]
pub struct StatementLineJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub title: String,
    pub lead: LandJson,
    pub model_in_force: ModelInForceJson,
    pub weights_source: String,
    #[schema(value_type = values::WeightPercent)]
    pub weight_percent: String,
    pub share: ShareJson,
    pub service_total: MoneyJson,
    #[schema(required)]
    pub closed: Option<ClosedLineJson>,
    pub corrections: Vec<CorrectionJson>,
}

impl From<&StatementLine> for StatementLineJson {
    fn from(line: &StatementLine) -> Self {
        Self {
            service: line.service.to_string(),
            title: line.title.clone(),
            lead: LandJson::from(line.lead),
            model_in_force: ModelInForceJson::from(&line.model),
            weights_source: line.weights_source.clone(),
            weight_percent: line.weight_percent.clone(),
            share: ShareJson::from(&line.share),
            service_total: MoneyJson::from(line.service_total),
            closed: line.closed.as_ref().map(ClosedLineJson::from),
            corrections: all(&line.corrections),
        }
    }
}

/// `GET /api/v1/lands/{land}/statements/{year}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Statement)]
pub struct StatementJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub year: u16,
    /// The day the figures are for: changes in effect by that day, as
    /// recorded up to `seq` (a correction recorded later but in effect
    /// earlier counts; asked for with this `as_of` and `known_at_seq` =
    /// `seq`, it is this statement again).
    #[schema(value_type = values::Date)]
    pub as_of: String,
    /// Per line the settled share for a closed year, else the share now.
    pub total: MoneyJson,
    /// The Nachträge since the closings, summed.
    pub supplements: MoneyJson,
    /// `total` plus `supplements`: what the Land owes for the year now.
    pub total_with_supplements: MoneyJson,
    pub lines: Vec<StatementLineJson>,
    pub seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub chain_hash: String,
}

impl From<&StatementView> for StatementJson {
    fn from(view: &StatementView) -> Self {
        Self {
            land: LandJson::from(view.land),
            year: view.year,
            as_of: view.as_of.to_string(),
            total: MoneyJson::from(view.total),
            supplements: MoneyJson::from(view.supplements),
            total_with_supplements: MoneyJson::from(total_with_supplements(view)),
            lines: all(&view.lines),
            seq: view.seq,
            chain_hash: hex::encode(view.chain_hash),
        }
    }
}

/// What a statement line comes to: in a closed year the settled amount
/// with the supplement since, in an open one the share.
pub fn amount_of(line: &StatementLine) -> Cents {
    line.closed.as_ref().map_or(line.share.cents, |closed| {
        Cents(closed.settled.0 + closed.supplement.0)
    })
}

/// The sum of a statement's lines with the supplements.
pub fn total_with_supplements(view: &StatementView) -> Cents {
    Cents(view.total.0 + view.supplements.0)
}

/// A service whose amount differs between a statement as recorded up to
/// a sequence and the same statement (Land, year, day) as recorded now;
/// `None` where the service has no line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementChange {
    pub service: ServiceId,
    pub title: String,
    pub then: Option<Cents>,
    pub now: Option<Cents>,
}

impl StatementChange {
    pub fn difference(&self) -> Cents {
        difference(self.then, self.now)
    }
}

/// `now` minus `then`, an absent amount counting as nothing.
pub fn difference(then: Option<Cents>, now: Option<Cents>) -> Cents {
    let amount = |cents: Option<Cents>| cents.map_or(0, |c| c.0);
    Cents(amount(now) - amount(then))
}

/// The services whose amount differs between `then` and `now`, by id:
/// what a finance office holding the earlier statement reconciles.
pub fn changes(then: &StatementView, now: &StatementView) -> Vec<StatementChange> {
    let amount_in = |statement: &StatementView, service: &ServiceId| {
        (statement.lines.iter())
            .find(|line| &line.service == service)
            .map(amount_of)
    };
    let mut lines: Vec<&StatementLine> = then.lines.iter().chain(&now.lines).collect();
    lines.sort_by(|a, b| a.service.cmp(&b.service));
    lines.dedup_by(|a, b| a.service == b.service);
    lines
        .into_iter()
        .map(|line| StatementChange {
            service: line.service.clone(),
            title: line.title.clone(),
            then: amount_in(then, &line.service),
            now: amount_in(now, &line.service),
        })
        .filter(|change| change.then != change.now)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StatementChange)]
pub struct StatementChangeJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub title: String,
    /// The amount as recorded up to `since_seq`; `null`: no line then.
    #[schema(required)]
    pub then: Option<MoneyJson>,
    /// The amount as recorded now; `null`: no line now.
    #[schema(required)]
    pub now: Option<MoneyJson>,
    pub difference: MoneyJson,
}

/// `GET /api/v1/lands/{land}/statements/{year}/changes`: the statement as
/// recorded up to `since_seq` against the same statement as recorded at
/// `seq`, both as of `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StatementChanges)]
pub struct StatementChangesJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub year: u16,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub since_seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub since_chain_hash: String,
    pub seq: u64,
    #[schema(value_type = values::ChainHash)]
    pub chain_hash: String,
    pub changes: Vec<StatementChangeJson>,
    /// The statement's sum with supplements, then and now.
    pub total_then: MoneyJson,
    pub total_now: MoneyJson,
    pub difference: MoneyJson,
}

impl StatementChangesJson {
    pub fn of(then: &StatementView, now: &StatementView) -> Self {
        let (total_then, total_now) = (total_with_supplements(then), total_with_supplements(now));
        let money = |cents: Option<Cents>| cents.map(MoneyJson::from);
        Self {
            land: LandJson::from(now.land),
            year: now.year,
            as_of: now.as_of.to_string(),
            since_seq: then.seq,
            since_chain_hash: hex::encode(then.chain_hash),
            seq: now.seq,
            chain_hash: hex::encode(now.chain_hash),
            changes: (changes(then, now).iter())
                .map(|change| StatementChangeJson {
                    service: change.service.to_string(),
                    title: change.title.clone(),
                    then: money(change.then),
                    now: money(change.now),
                    difference: MoneyJson::from(change.difference()),
                })
                .collect(),
            total_then: MoneyJson::from(total_then),
            total_now: MoneyJson::from(total_now),
            difference: MoneyJson::from(difference(Some(total_then), Some(total_now))),
        }
    }
}

/// What a Land owes in a year across all services: its statement, with
/// the lines the cost view shows (or one page of them), and the sum of
/// their shares now. Each line has the share computed for the
/// statement's date and, for a closed year, what was settled and the
/// Nachtrag since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandCosts {
    pub statement: StatementView,
    /// The shares now, summed over all the view's lines (not one page's).
    pub total: Cents,
}

impl LandCosts {
    /// Whether any line's year is closed.
    pub fn any_closed(&self) -> bool {
        self.statement
            .lines
            .iter()
            .any(|line| line.closed.is_some())
    }
}

/// The lines of a statement as a Land's cost view shows them: each
/// service the Land took part in during the year, and each whose closing
/// settled a share of it (a correction may since have taken the Land out
/// of the year: its line shows the refund).
pub fn land_costs_of(statement: &StatementView) -> LandCosts {
    let mut statement = statement.clone();
    (statement.lines).retain(|line| line.share.days > 0 || line.closed.is_some());
    let total = Cents(statement.lines.iter().map(|line| line.share.cents.0).sum());
    LandCosts { statement, total }
}
