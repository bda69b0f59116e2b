//! One module per page (and the forms that belong to it), and the pieces
//! several pages show alike.

pub mod audit;
pub mod catalogue;
pub mod closing;
pub mod edit;
pub mod kommune;
pub mod land;
pub mod land_forms;
pub mod login;
pub mod not_adopted;
pub mod rollout;
pub mod rollout_table;
pub mod service;
pub mod statement;

use efa_proto::views::{CatalogueFilter, Exact, ServiceSummary};
use efa_proto::{Ags, Date, LandCode, QueryKind, QueryReply, ServiceId};
use maud::{Markup, Render, html};

use super::markup::{Col, land_de, table_or};
use super::view;
use crate::state::AppState;

/// Every service (up to 1000) with its reuse figures, for titles and for
/// the choices of the forms.
pub async fn all_services(
    state: &AppState,
    min_seq: u64,
    as_of: Option<Date>,
) -> Result<Vec<ServiceSummary>, String> {
    let filter = CatalogueFilter {
        limit: efa_api::query::PAGE_LIMIT_MAX,
        ..CatalogueFilter::default()
    };
    match view(state, min_seq, QueryKind::Catalogue2 { filter, as_of }).await? {
        QueryReply::Catalogue2(page) => Ok(page.services),
        _ => Err(super::UNAVAILABLE.to_owned()),
    }
}

/// Whether `services`, read by [`all_services`], are all of them: a list
/// as long as the largest page may have been cut short.
pub fn all_listed(services: &[ServiceSummary]) -> bool {
    services.len() < efa_api::query::PAGE_LIMIT_MAX as usize
}

/// The title of a service in `services`, if it is there.
pub fn listed_title<'a>(services: &'a [ServiceSummary], id: &ServiceId) -> Option<&'a str> {
    (services.iter())
        .find(|s| s.service.id == *id)
        .map(|s| s.service.title.as_str())
}

/// The title of a service, or its id.
pub fn title_of(services: &[ServiceSummary], id: &ServiceId) -> String {
    listed_title(services, id).map_or_else(|| id.to_string(), str::to_owned)
}

/// A link to a service's page; from a page asked for as of a date, to
/// the service as of the same date.
pub fn service_link(id: &ServiceId, title: &str, as_of: Option<Date>) -> Markup {
    let path = format!("/leistungen/{}", super::markup::encode(id.as_str()));
    html! { a href=(dated(&path, as_of)) { (title) } }
}

/// A link to a municipality's page, as of the date asked for.
pub fn kommune_link(ags: Ags, name: &str, as_of: Option<Date>) -> Markup {
    html! { a href=(dated(&format!("/kommune?ags={ags}"), as_of)) { (name) } }
}

/// `path` (with its query and fragment) with `stichtag=` the date a page
/// was asked for, so that a link from a page as of a date leads on as of
/// that date; unchanged for a page as of today.
pub fn dated(path: &str, as_of: Option<Date>) -> String {
    let Some(date) = as_of else {
        return path.to_owned();
    };
    let (head, fragment) = path.split_at(path.find('#').unwrap_or(path.len()));
    let joiner = if head.contains('?') { '&' } else { '?' };
    format!("{head}{joiner}stichtag={date}{fragment}")
}

/// A table of `items`, a row each, or the sentence `none` if there are none.
pub fn table_of<T>(
    items: &[T],
    none: &str,
    caption: impl Render,
    columns: &[Col],
    row: impl Fn(&T) -> Markup,
) -> Markup {
    let rows = html! { @for item in items { (row(item)) } };
    table_or(none, caption, columns, rows)
}

/// A table row headed by a Land (`Bremen (04)`), then `cells`.
pub fn land_row(land: LandCode, cells: Markup) -> Markup {
    html! { tr { th scope="row" { (land_de(land)) } (cells) } }
}

/// An exact fraction as it is: `123/456`.
pub fn fraction(exact: &Exact) -> Markup {
    html! { code { (exact.numerator) "/" (exact.denominator) } }
}
