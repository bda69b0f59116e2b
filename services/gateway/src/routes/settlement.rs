//! The yearly cost views and the commands of a Jahresabrechnung: a
//! service's costs of a year as of a date (the model in force, the
//! closing, the supplements since), a Land's statement (Kostenaufstellung)
//! as JSON or CSV, and closing a service's year with the split as it
//! stands.

use axum::extract::State;
use axum::response::Response;
use efa_proto::statement::{CostYearView, StatementView};
use efa_proto::{
    CheckpointRequest, CloseYear, Command, Date, LandCode, LedgerCheckpoint, QueryKind, ServiceId,
    Settlement, subjects,
};

use super::AppState;
use super::read::{self, Read, ask, reply_of};
use super::write::submit;
use crate::extract::{JsonBody, PathParams, WriteHeaders};
use crate::paging::{self, Cursor};
use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::tabular::Answer as _;
use efa_api::contract::{Parsed, settlement};
use efa_api::dto::LandCostsTotals;
use efa_api::dto::costs::LandCostsJson;
use efa_api::dto::statement::{CostYearJson, StatementChangesJson, StatementJson, land_costs_of};
use efa_api::query::Format;
use efa_api::query::{CostYearParams, SinceSeq};
use efa_api::{statement_tables, tables};

/// When a cost view is read: the day whose facts are in effect, and the
/// ledger sequence up to which they were recorded (the latest when
/// `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    pub as_of: Option<Date>,
    pub known_at_seq: Option<u64>,
}

impl Reading {
    /// `?as_of=` and `?known_at_seq=`.
    pub fn of(query: &ReadQuery) -> Result<Self, ApiError> {
        Ok(Self {
            as_of: query.as_of()?,
            known_at_seq: query.known_at_seq()?,
        })
    }
}

/// Asks for a cost view; one as recorded up to a sequence waits until
/// the views have applied it, and one beyond the ledger's head is
/// refused as such.
async fn ask_cost_view(
    state: &AppState,
    min_seq: u64,
    reading: Reading,
    kind: QueryKind,
) -> Result<efa_proto::QueryReply, ApiError> {
    let known_at = reading.known_at_seq.unwrap_or_default();
    let ours = |field: &str| field == "min_seq" && known_at > min_seq;
    (ask(state, min_seq.max(known_at), kind).await).map_err(|e| refusing(e, ours, "known_at_seq"))
}

/// `error`, where it refuses a field `ours` accepts, as refusing the
/// parameter `name` the caller gave instead.
fn refusing(error: ApiError, ours: impl Fn(&str) -> bool, name: &str) -> ApiError {
    match error {
        ApiError::Rejected {
            rejection: efa_proto::Rejection::Invalid { field, reason },
            if_match,
        } if ours(&field) => ApiError::Rejected {
            rejection: efa_proto::Rejection::Invalid {
                field: name.to_owned(),
                reason,
            },
            if_match,
        },
        other => other,
    }
}

/// Asks for a service's costs of a year as of a date, as recorded up to
/// a sequence or as recorded now.
pub async fn cost_year_view(
    state: &AppState,
    min_seq: u64,
    service: &ServiceId,
    year: u16,
    reading: Reading,
) -> Result<CostYearView, ApiError> {
    let (service_id, as_of) = (service.clone(), reading.as_of);
    let kind = match reading.known_at_seq {
        None => QueryKind::CostYear {
            service: service_id,
            year,
            as_of,
        },
        known_at_seq => QueryKind::CostYear2 {
            service: service_id,
            year,
            as_of,
            known_at_seq,
        },
    };
    let reply = ask_cost_view(state, min_seq, reading, kind).await?;
    let view = reply_of!(reply, CostYear)?;
    read::found(view.map(|v| *v), || match reading.known_at_seq {
        Some(seq) => {
            format!(
                "Die Leistung „{service}“ ist nicht im Katalog, oder sie war bis \
                 Ledger-Sequenz {seq} noch nicht angekündigt."
            )
        }
        None => read::no_service(service),
    })
}

/// Asks for a Land's statement of a year as of a date, as recorded up to
/// a sequence or as recorded now.
pub async fn statement_view(
    state: &AppState,
    min_seq: u64,
    land: LandCode,
    year: u16,
    reading: Reading,
) -> Result<StatementView, ApiError> {
    let as_of = reading.as_of;
    let kind = match reading.known_at_seq {
        None => QueryKind::Statement { land, year, as_of },
        known_at_seq => QueryKind::Statement2 {
            land,
            year,
            as_of,
            known_at_seq,
        },
    };
    reply_of!(
        ask_cost_view(state, min_seq, reading, kind).await?,
        Statement
    )
}

/// `GET /api/v1/services/{id}/costs/{year}?as_of=`: the split under the
/// model in force for the year, the others for comparison, the closing
/// and the supplements since; as CSV the shares (`table=shares`, with the
/// other models' `table=alternatives`), the cost lines (`table=costs`) or
/// per Land what was settled, its share now and the Nachtrag
/// (`table=closing`).
pub async fn cost_year(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let (service, year) = (path.service("id")?, path.year("year")?);
    let format = (query.allow(&["format", "table", "as_of", "known_at_seq"])?).format()?;
    let params: CostYearParams = query.read()?;
    let table = params.table.as_deref().unwrap_or("shares");
    let reading = Reading::of(&query)?;
    let view = cost_year_view(&state, query.min_seq()?, &service, year, reading).await?;
    read::list(
        format,
        || CostYearJson::from(&view),
        || {
            let table = match table {
                "costs" => statement_tables::cost_lines(&service, &view),
                "closing" => statement_tables::closing(&service, &view),
                "alternatives" => statement_tables::split(&service, &view, true),
                _ => statement_tables::split(&service, &view, false),
            };
            table.recorded_up_to(reading.known_at_seq)
        },
    )
}

/// `GET /api/v1/lands/{land}/statements/{year}?as_of=&known_at_seq=`:
/// the Land's Kostenaufstellung, as JSON or CSV; with `known_at_seq` the
/// one the ledger's sequence of an earlier statement gave.
pub async fn statement(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let (land, year) = (path.land("land")?, path.year("year")?);
    let format = (query.allow(&["format", "as_of", "known_at_seq"])?).format()?;
    let reading = Reading::of(&query)?;
    let view = statement_view(&state, query.min_seq()?, land, year, reading).await?;
    read::list(
        format,
        || StatementJson::from(&view),
        || statement_tables::statement(&view).recorded_up_to(reading.known_at_seq),
    )
}

/// `GET /api/v1/lands/{land}/statements/{year}/changes?since_seq=&as_of=`:
/// the Land's statement as recorded up to `since_seq` against the same
/// statement (the same day: `as_of`, else today) as recorded now, per
/// service whose amount changed, as JSON, CSV or XLSX.
pub async fn statement_changes(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let (land, year) = (path.land("land")?, path.year("year")?);
    let format = (query.allow(&["format", "as_of", "since_seq"])?).format()?;
    let since = crate::params::sequence("since_seq", query.read::<SinceSeq>()?.since_seq)?;
    let min_seq = query.min_seq()?;
    let now_reading = Reading {
        as_of: query.as_of()?,
        known_at_seq: None,
    };
    let now = statement_view(&state, min_seq, land, year, now_reading).await?;
    let then_reading = Reading {
        as_of: Some(now.as_of),
        known_at_seq: Some(since),
    };
    let then = (statement_view(&state, min_seq, land, year, then_reading).await)
        .map_err(|e| refusing(e, |field| field == "known_at_seq", "since_seq"))?;
    read::list(
        format,
        || StatementChangesJson::of(&then, &now),
        || statement_tables::statement_changes(&then, &now),
    )
}

/// The ledger's durable head, so that a closing reads a view that has
/// applied everything recorded before it.
async fn ledger_head(state: &AppState) -> Result<u64, ApiError> {
    let answer: LedgerCheckpoint = state
        .request(subjects::LEDGER_CHECKPOINT, &CheckpointRequest)
        .await?;
    Ok(answer.checkpoint.map_or(0, |c| c.seq))
}

/// The settlement of a year as the view shows it.
fn settlement_of(view: &CostYearView) -> Result<Settlement, ApiError> {
    let split = &view.sharing.split;
    if let Some(problem) = &split.problem {
        return Err(ApiError::rejected(efa_proto::Rejection::invalid(
            "year",
            format!(
                "die Kosten des Jahres lassen sich nicht aufteilen: {}",
                problem.trim_end_matches('.')
            ),
        )));
    }
    Ok(Settlement {
        model: split.model.clone(),
        weights_source: split.weights_source.clone(),
        weights: view.weights.clone(),
        total: split.total,
        shares: split.shares.iter().map(|s| (s.land, s.cents)).collect(),
        unallocated: split.unallocated,
        cost_lines: view.sharing.costs.iter().map(|c| c.cost_no).collect(),
        based_on_seq: view.seq,
        based_on_hash: view.chain_hash,
    })
}

/// `POST /api/v1/services/{id}/closings` with `{"year": 2024}`: the lead
/// Land or the administration closes the year with the split as it stands
/// at the ledger's head; the ledger records it with the sequence and chain
/// hash it rests on.
pub async fn close_year(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    query: ReadQuery,
    body: JsonBody,
) -> Result<Response, ApiError> {
    query.allow_exactly(&[])?;
    let service = path.service("id")?;
    let year = body.read::<settlement::Closing>()?.year.0;
    // The early "no" before reading the split: only a Land or the
    // administration ever closes a year.
    crate::authz::allowed(&headers.actor, crate::authz::Rule::LandOrAdmin)
        .map_err(|reason| ApiError::rejected(efa_proto::Rejection::Forbidden { reason }))?;
    let parsed = closing(&state, service, year).await?;
    submit(&state, headers, parsed).await
}

/// The command closing `year` of `service` with the split as it stands
/// at the ledger's head (the API's and the web form's).
pub async fn closing(state: &AppState, service: ServiceId, year: u16) -> Result<Parsed, ApiError> {
    let head = ledger_head(state).await?;
    let view = cost_year_view(state, head, &service, year, Reading::default()).await?;
    let command = Command::CloseYear(CloseYear {
        service,
        year,
        settlement: settlement_of(&view)?,
    });
    Ok(Parsed::new(command, None))
}

/// `GET /api/v1/lands/{land}/costs/{year}?as_of=`: what the Land owes,
/// today or as of a date, from its statement of that day, a page at a
/// time.
pub async fn land_costs(
    state: &AppState,
    query: &ReadQuery,
    (format, min_seq): (Format, u64),
    (land, year, reading): (LandCode, u16, Reading),
) -> Result<Response, ApiError> {
    let statement = statement_view(state, min_seq, land, year, reading).await?;
    let mut view = land_costs_of(&statement);
    let table = |view: &efa_api::dto::statement::LandCosts| {
        tables::land_costs(view).recorded_up_to(reading.known_at_seq)
    };
    if format.is_table() && !paging::asks_for_a_page(query) {
        return table(&view).answer(format);
    }
    let page = paging::page(query)?;
    let lines = &mut view.statement.lines;
    let lines_total = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    let start = page.offset.min(lines_total);
    let end = start.saturating_add(page.limit).min(lines_total);
    lines.truncate(end as usize);
    lines.drain(..start as usize);
    if format.is_table() {
        return table(&view).answer(format);
    }
    let next_offset = (end < lines_total).then_some(end);
    let path = format!("/api/v1/lands/{land}/costs/{year}");
    let next = paging::next_link(query, &path, next_offset.map(Cursor::Offset));
    let totals = LandCostsTotals {
        lines_total,
        next_offset,
    };
    Ok(paging::json(LandCostsJson::from(&view), totals, next))
}
