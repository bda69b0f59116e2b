//! Reads about places from the projector's views: a Land's page, what it
//! owes in a year, its rollout per Kreis and municipality and the stalled
//! adoptions, reuse across Germany, and one municipality. All public;
//! lists also as CSV.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use efa_proto::views::RolloutScope;
use efa_proto::{QueryKind, QueryReply};

use super::AppState;
use super::read::{self, ask};
use crate::dto::costs::LandCostsJson;
use crate::dto::rollout::{GemeindeJson, LandViewJson, ReuseJson, RolloutJson, StalledJson};
use crate::extract::PathParams;
use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::tables;

/// Days without a step after which an adoption counts as stalled, unless
/// `?days=` says otherwise.
pub const STALLED_DAYS_DEFAULT: u32 = 90;

/// `GET /api/v1/lands/{land}?as_of=`.
pub async fn land(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let as_of = query.allow(&["as_of"])?.date("as_of")?;
    match ask(&state, query.min_seq()?, QueryKind::Land { land, as_of }).await? {
        QueryReply::Land(view) => Ok(Json(LandViewJson::from(&view)).into_response()),
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/lands/{land}/costs/{year}`.
pub async fn land_costs(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let (land, year) = (path.land("land")?, path.year("year")?);
    let format = query.allow(&["format"])?.format()?;
    match ask(
        &state,
        query.min_seq()?,
        QueryKind::LandCosts { land, year },
    )
    .await?
    {
        QueryReply::LandCosts(view) => Ok(read::list(
            format,
            || LandCostsJson::from(&view),
            || tables::land_costs(&view),
        )),
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/lands/{land}/rollout?kreis=&service=&as_of=`; as CSV the
/// municipalities, or with `table=kreise` the Kreise.
pub async fn rollout(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    query.allow(&["kreis", "service", "as_of", "format", "table"])?;
    let (format, table) = (
        query.format()?,
        query.choice("table", &["gemeinden", "kreise"])?,
    );
    let scope = RolloutScope {
        land,
        kreis: query.kreis("kreis")?,
        service: query.service("service")?,
        as_of: query.date("as_of")?,
    };
    match ask(&state, query.min_seq()?, QueryKind::Rollout(scope)).await? {
        QueryReply::Rollout(view) => Ok(read::list(
            format,
            || RolloutJson::from(&view),
            || {
                let name = format!("rollout-{table}-{land}-{}", view.as_of);
                match table {
                    "kreise" => tables::kreise(name, &view.kreise),
                    _ => tables::municipalities(name, &view.municipalities),
                }
            },
        )),
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/lands/{land}/stalled?days=90&as_of=`.
pub async fn stalled(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let format = query.allow(&["days", "as_of", "format"])?.format()?;
    let kind = QueryKind::Stalled {
        land,
        days_min: query.number("days", STALLED_DAYS_DEFAULT, 0..=36_500)?,
        as_of: query.date("as_of")?,
    };
    match ask(&state, query.min_seq()?, kind).await? {
        QueryReply::Stalled(view) => Ok(read::list(
            format,
            || StalledJson::from(&view),
            || tables::stalled(&view),
        )),
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/reuse?as_of=`.
pub async fn reuse(State(state): State<AppState>, query: ReadQuery) -> Result<Response, ApiError> {
    let as_of = query.allow(&["as_of"])?.date("as_of")?;
    match ask(&state, query.min_seq()?, QueryKind::Reuse { as_of }).await? {
        QueryReply::Reuse(view) => Ok(Json(ReuseJson::from(&view)).into_response()),
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/gemeinden/{ags}?as_of=`; as CSV its adoptions.
pub async fn gemeinde(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let ags = path.ags("ags")?;
    let as_of = query.allow(&["as_of", "format"])?.date("as_of")?;
    let format = query.format()?;
    match ask(&state, query.min_seq()?, QueryKind::Gemeinde { ags, as_of }).await? {
        QueryReply::Gemeinde(view) => {
            let view = read::found(view, || {
                format!("Die Gemeinde mit dem Schlüssel {ags} ist nicht registriert.")
            })?;
            Ok(read::list(
                format,
                || GemeindeJson::from(&view),
                || {
                    let name = format!("uebernahmen-{ags}-{}", view.as_of);
                    tables::municipalities(name, &view.adoptions)
                },
            ))
        }
        _ => Err(read::unexpected()),
    }
}
