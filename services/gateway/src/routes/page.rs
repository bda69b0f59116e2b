//! `GET /`: the catalogue as a web page. It asks the projector like the
//! API does; when the projector does not answer, the page still renders,
//! with a notice instead of the table.

use axum::extract::State;
use axum::extract::rejection::QueryRejection;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::response::{Html, IntoResponse};
use efa_proto::{LandCode, Query, QueryKind, QueryReply};
use serde::Deserialize;

use super::AppState;
use crate::html::{self, Filter, Listing};

/// No scripts, no foreign resources; only the inline stylesheet.
const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    land: String,
}

impl PageParams {
    /// A Land that does not parse ("alle Länder" is empty) filters nothing.
    fn filter(self) -> Filter {
        Filter {
            text: self.q.chars().take(200).collect(),
            land: LandCode::parse(&self.land).ok(),
        }
    }
}

pub async fn catalogue(
    State(state): State<AppState>,
    params: Result<axum::extract::Query<PageParams>, QueryRejection>,
) -> impl IntoResponse {
    let filter = params.map(|params| params.0).unwrap_or_default().filter();
    let reply = state
        .query(&Query {
            min_seq: 0,
            kind: QueryKind::Catalogue,
        })
        .await;
    let page = match reply {
        Ok(QueryReply::Catalogue(view)) => {
            let shown = view
                .services
                .iter()
                .filter(|service| filter.matches(service))
                .collect();
            let listing = Listing::Services {
                shown,
                total: view.services.len(),
                as_of_seq: view.as_of_seq,
            };
            html::catalogue_page(&listing, &filter)
        }
        other => {
            tracing::warn!(reply = ?other, "the catalogue page could not ask the projector");
            html::catalogue_page(&Listing::Unavailable, &filter)
        }
    };
    ([(CONTENT_SECURITY_POLICY, POLICY)], Html(page))
}
