//! Reads about places from the projector's views: a Land's page, what it
//! owes in a year, its rollout per Kreis and municipality and the stalled
//! adoptions, reuse across Germany, and one municipality. All public;
//! lists also as CSV.

use axum::response::Response;
use efa_proto::views::RolloutScope;

use super::exports;
use super::read::{self, Read};
use crate::paging;
use crate::problem::ApiError;
use efa_api::contract::field::Whole;
use efa_api::query::{FunnelsParams, RolloutParams, STALLED_DAYS_DEFAULT, StalledParams};

/// `GET /api/v1/lands/{land}?as_of=&offset=&limit=`: a page of the
/// services the Land leads and of those it joined (the same rows of each).
pub async fn land(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let as_of = query.allow(&["as_of", "offset", "limit"])?.as_of()?;
    paging::serve_json(&state, &query, &exports::Land { land, as_of }).await
}

/// `GET /api/v1/lands/{land}/costs/{year}?as_of=&known_at_seq=&offset=&limit=`:
/// a page of the lines, one per service, with the total over all; as CSV
/// all lines unless a page is asked for. The lines come from the Land's
/// statement as of the date, as recorded up to the sequence if one is
/// asked for (`settlement::land_costs`), so that a closed year's line
/// says what was settled.
pub async fn land_costs(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let (land, year) = (path.land("land")?, path.year("year")?);
    let format = query
        .allow(&["format", "offset", "limit", "as_of", "known_at_seq"])?
        .format()?;
    let min_seq = query.min_seq()?;
    let asked = (land, year, super::settlement::Reading::of(&query)?);
    super::settlement::land_costs(&state, &query, (format, min_seq), asked).await
}

/// `GET /api/v1/lands/{land}/rollout?kreis=&service=&as_of=&offset=&limit=`:
/// a page of the Kreise and of the municipalities (the same rows of each);
/// as CSV the municipalities, or with `table=kreise` the Kreise, whole
/// and streamed unless `offset` or `limit` asks for a page.
pub async fn rollout(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    query.allow(&[
        "kreis", "service", "as_of", "format", "table", "offset", "limit",
    ])?;
    let format = query.format()?;
    let params: RolloutParams = query.read()?;
    if let Some(kreis) = params.kreis.filter(|kreis| kreis.land() != land) {
        return Err(ApiError::BadRequest(format!(
            "Der Kreis {kreis} liegt in {}, nicht in {}.",
            kreis.land().name(),
            land.name()
        )));
    }
    read::known_service(&state, &query, params.service.as_ref()).await?;
    let scope = RolloutScope {
        land,
        kreis: params.kreis,
        service: params.service,
        as_of: query.as_of()?,
    };
    let kreise = params.table.as_deref() == Some("kreise");
    paging::serve(state, &query, format, exports::Rollout { scope, kreise }).await
}

/// `GET /api/v1/lands/{land}/stalled?days=90&service=&as_of=&offset=&limit=`.
pub async fn stalled(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let format = query
        .allow(&["days", "service", "as_of", "format", "offset", "limit"])?
        .format()?;
    let params: StalledParams = query.read()?;
    read::known_service(&state, &query, params.service.as_ref()).await?;
    let list = exports::Stalled {
        land,
        service: params.service,
        days_min: params.days.map_or(STALLED_DAYS_DEFAULT, |Whole(days)| days),
        as_of: query.as_of()?,
    };
    paging::serve(state, &query, format, list).await
}

/// `GET /api/v1/lands/{land}/gemeinden?as_of=&offset=&limit=`: the
/// municipalities registered in the Land, by AGS; as CSV whole and
/// streamed unless a page is asked for.
pub async fn gemeinden(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let as_of = query
        .allow(&["as_of", "format", "offset", "limit"])?
        .as_of()?;
    let format = query.format()?;
    paging::serve(state, &query, format, exports::Gemeinden { land, as_of }).await
}

/// `GET /api/v1/lands/{land}/not-adopted/{service}?as_of=&offset=&limit=`:
/// the active municipalities of the Land that do not offer the service,
/// most inhabitants first; as CSV whole and streamed unless a page is
/// asked for. An unknown service is a 404.
pub async fn not_adopted(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let service = path.service("service")?;
    let as_of = query
        .allow(&["as_of", "format", "offset", "limit"])?
        .as_of()?;
    let format = query.format()?;
    read::known_service(&state, &query, Some(&service)).await?;
    let list = exports::NotAdopted {
        land,
        service,
        as_of,
    };
    paging::serve(state, &query, format, list).await
}

/// `GET /api/v1/lands/{land}/funnels?order=&as_of=&offset=&limit=`: the
/// funnels in the Land of the services with adoptions there, in the order
/// asked for; as CSV whole and streamed unless a page is asked for.
pub async fn land_funnels(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let format = query
        .allow(&["order", "as_of", "format", "offset", "limit"])?
        .format()?;
    let params: FunnelsParams = query.read()?;
    let list = exports::LandFunnels {
        land,
        as_of: query.as_of()?,
        order: params.order,
    };
    paging::serve(state, &query, format, list).await
}

/// `GET /api/v1/reuse?as_of=&offset=&limit=`: the figures over all
/// services, with a page of the services only their lead Land uses.
pub async fn reuse(Read { state, query, .. }: Read) -> Result<Response, ApiError> {
    let as_of = query.allow(&["as_of", "offset", "limit"])?.as_of()?;
    paging::serve_json(&state, &query, &exports::Reuse { as_of }).await
}

/// `GET /api/v1/gemeinden/{ags}?as_of=&offset=&limit=`: a page of its
/// adoptions and of the services it could adopt (the same rows of each);
/// as CSV its adoptions, whole and streamed unless a page is asked for.
pub async fn gemeinde(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let ags = path.ags("ags")?;
    let as_of = query
        .allow(&["as_of", "format", "offset", "limit"])?
        .as_of()?;
    let format = query.format()?;
    paging::serve(state, &query, format, exports::Gemeinde { ags, as_of }).await
}
