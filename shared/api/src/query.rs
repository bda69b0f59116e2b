//! The query strings of the reads, one struct per set of parameters,
//! read with the contract's field readers: a malformed value names its
//! parameter. Which parameters a route takes at all is the route's list;
//! these structs say what each one may hold, and the OpenAPI document
//! takes their schemas from them.

use efa_proto::pages::FunnelOrder;
use efa_proto::views::{CatalogueFilter, CatalogueSort};
use efa_proto::{Ags, Channel, Date, KreisKey, LandCode, Reifegrad, ServiceId, ServiceStatus};
use serde::{Deserialize, Deserializer};
use utoipa::IntoParams;

use crate::contract::field::{self, Text, Whole};
use crate::keys::{COST_TABLES, FORMATS, FUNNEL_ORDERS, ROLLOUT_TABLES, SORT_KEYS};
use crate::values;

/// The most services one catalogue page holds.
pub const PAGE_LIMIT_MAX: u32 = 1000;
/// The most history entries one page holds, and a page's length unless
/// `limit` says otherwise.
pub const HISTORY_LIMIT_MAX: u32 = 1000;
pub const HISTORY_LIMIT_DEFAULT: u32 = 100;
/// Rows per page of the other lists when the request names no `limit`,
/// and the most it may.
pub const LIMIT_DEFAULT: u32 = 500;
pub const LIMIT_MAX: u32 = 5_000;
/// The fewest rows a page asks for.
pub const LIMIT_MIN: u32 = 1;
/// The most events one export of the ledger holds.
pub const EXPORT_LIMIT_MAX: u32 = 10_000;
/// Days without a step after which an adoption counts as stalled.
pub const STALLED_DAYS_DEFAULT: u32 = 90;
/// The longest text of a catalogue filter.
const TEXT_CHARS_MAX: usize = 200;

/// The parameters of `/api/v1/catalogue`.
pub const CATALOGUE_PARAMS: [&str; 11] = [
    "land",
    "themenfeld",
    "status",
    "reifegrad",
    "channel",
    "q",
    "sort",
    "offset",
    "limit",
    "as_of",
    "format",
];

/// How to answer a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    /// An Excel workbook (Office Open XML) of the same table as the CSV.
    Xlsx,
}

impl Format {
    /// CSV or XLSX: the list as a table with German headers.
    pub fn is_table(self) -> bool {
        matches!(self, Format::Csv | Format::Xlsx)
    }
}

/// `?min_seq=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MinSeq {
    #[serde(default, deserialize_with = "field::opt")]
    pub min_seq: Option<u64>,
}

/// `?as_of=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::Date>)]
    pub as_of: Option<Date>,
}

/// `?known_at_seq=`: the second time axis. `as_of` says which day's
/// facts count, by when they take effect; this says up to which ledger
/// sequence they count, by when they were recorded. A statement names
/// its sequence, so asking with it gives that statement again.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnownAt {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(minimum = 1)]
    pub known_at_seq: Option<u64>,
}

/// `?format=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    #[serde(default, deserialize_with = "format")]
    #[param(value_type = Option<values::Format>)]
    pub format: Option<Format>,
}

fn format<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Format>, D::Error> {
    field::choice(deserializer, &FORMATS, |key| match key {
        "csv" => Some(Format::Csv),
        "xlsx" => Some(Format::Xlsx),
        _ => Some(Format::Json),
    })
    .map(Some)
}

/// `?offset=&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(default = 0)]
    pub offset: Option<u32>,
    #[param(inline)]
    pub limit: Option<Whole<1, { LIMIT_MAX }>>,
}

/// The filters, order and page of `/api/v1/catalogue`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueQuery {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::LandKey>)]
    land: Option<LandCode>,
    #[param(inline)]
    themenfeld: Option<Text<{ TEXT_CHARS_MAX }>>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::ServiceStatus>)]
    status: Option<ServiceStatus>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::Reifegrad>)]
    reifegrad: Option<Reifegrad>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::Channel>)]
    channel: Option<Channel>,
    #[param(inline)]
    q: Option<Text<{ TEXT_CHARS_MAX }>>,
    #[serde(default, deserialize_with = "sort")]
    #[param(value_type = values::CatalogueSort)]
    sort: CatalogueSort,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(default = 0)]
    offset: Option<u32>,
    #[param(inline)]
    limit: Option<Whole<1, { PAGE_LIMIT_MAX }>>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::Date>)]
    pub as_of: Option<Date>,
}

fn sort<'de, D: Deserializer<'de>>(deserializer: D) -> Result<CatalogueSort, D::Error> {
    field::choice(deserializer, &SORT_KEYS, |key| match key {
        "reuse" => Some(CatalogueSort::Reuse),
        "live" => Some(CatalogueSort::Live),
        "announced" => Some(CatalogueSort::Announced),
        _ => Some(CatalogueSort::Title),
    })
}

impl CatalogueQuery {
    /// The filter the projector takes.
    pub fn filter(self) -> CatalogueFilter {
        CatalogueFilter {
            land: self.land,
            themenfeld: self.themenfeld.map(|t| t.0),
            status: self.status,
            reifegrad: self.reifegrad,
            channel: self.channel,
            text: self.q.map(|t| t.0),
            sort: self.sort,
            offset: self.offset.unwrap_or(0),
            limit: self.limit.map_or(100, |Whole(limit)| limit),
        }
    }
}

/// `?limit=&cursor=` of `/api/v1/services`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServicesPage {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::ServiceId>)]
    pub cursor: Option<ServiceId>,
    #[param(inline)]
    pub limit: Option<Whole<{ LIMIT_MIN }, { LIMIT_MAX }>>,
}

/// `?land=` of the adoption funnel.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunnelParams {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::LandKey>)]
    pub land: Option<LandCode>,
}

/// `?from_seq=&limit=` of a history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    #[serde(default, deserialize_with = "field::opt")]
    pub from_seq: Option<u64>,
    #[param(inline)]
    pub limit: Option<Whole<1, { HISTORY_LIMIT_MAX }>>,
}

/// `?gemeinde=` of the history of everything.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GemeindeParam {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::Ags>)]
    pub gemeinde: Option<Ags>,
}

/// `?table=&kreis=&service=` of the rollout monitor.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RolloutParams {
    #[serde(default, deserialize_with = "rollout_table")]
    #[param(value_type = Option<values::RolloutTable>)]
    pub table: Option<String>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::KreisKey>)]
    pub kreis: Option<KreisKey>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::ServiceId>)]
    pub service: Option<ServiceId>,
}

fn rollout_table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    field::choice(d, &ROLLOUT_TABLES, |key| Some(key.to_owned())).map(Some)
}

/// `?days=&service=` of the stalled adoptions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StalledParams {
    #[param(inline)]
    pub days: Option<Whole<0, 36_500>>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::ServiceId>)]
    pub service: Option<ServiceId>,
}

/// `?order=` of a Land's funnels.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunnelsParams {
    #[serde(default, deserialize_with = "funnel_order")]
    #[param(value_type = Option<values::FunnelOrder>)]
    pub order: FunnelOrder,
}

fn funnel_order<'de, D: Deserializer<'de>>(d: D) -> Result<FunnelOrder, D::Error> {
    field::choice(d, &FUNNEL_ORDERS, |key| {
        (FunnelOrder::ALL.into_iter()).find(|order| funnel_order_key(*order) == key)
    })
}

/// The `?order=` key of a Land's funnels in `order`.
pub fn funnel_order_key(order: FunnelOrder) -> &'static str {
    match order {
        FunnelOrder::Service => FUNNEL_ORDERS[0],
        FunnelOrder::FewestLive => FUNNEL_ORDERS[1],
        FunnelOrder::MostLive => FUNNEL_ORDERS[2],
        FunnelOrder::SlowestToLive => FUNNEL_ORDERS[3],
    }
}

/// `?table=` of a year's costs as CSV.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CostYearParams {
    #[serde(default, deserialize_with = "cost_table")]
    #[param(value_type = Option<values::CostTable>)]
    pub table: Option<String>,
}

fn cost_table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    field::choice(d, &COST_TABLES, |key| Some(key.to_owned())).map(Some)
}

/// `?since_seq=` of a statement's changes: the sequence of the earlier
/// statement (required).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceSeq {
    #[serde(deserialize_with = "field::req")]
    #[param(minimum = 1)]
    pub since_seq: u64,
}

/// `?from_seq=&limit=` of the ledger's export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    #[serde(default, deserialize_with = "field::opt")]
    pub from_seq: Option<u64>,
    #[param(inline)]
    pub limit: Option<Whole<1, { EXPORT_LIMIT_MAX }>>,
}
