//! The rollout monitor's list of whom a service has still to reach: the
//! municipalities of the Land that do not offer it on the day shown, most
//! inhabitants first, a page at a time (`?seite_ohne=`). Shown when the
//! monitor is asked for one service; the API's
//! `/api/v1/lands/{land}/not-adopted/{service}` gives the same list whole.

use efa_proto::pages::NotAdoptedPage;
use efa_proto::{Date, LandCode, QueryKind, QueryReply, ServiceId};
use maud::{Markup, html};

use super::super::markup::Col::{Num, Text};
use super::super::markup::{date_de, section, table, thousands};
use super::super::paging;
use super::super::view;
use super::kommune_link;
use crate::state::AppState;

/// Rows per page of the list.
pub const ROWS: u32 = 50;

/// Page `number` of the municipalities of `land` without `service` as of
/// `as_of`; `None` when it could not be read.
pub async fn load(
    state: &AppState,
    min_seq: u64,
    (land, service): (LandCode, &ServiceId),
    as_of: Option<Date>,
    number: u32,
) -> Option<NotAdoptedPage> {
    let kind = QueryKind::NotAdopted {
        land,
        service: service.clone(),
        as_of,
        page: paging::rows(number, ROWS),
    };
    match view(state, min_seq, kind).await {
        Ok(QueryReply::NotAdopted(page)) => Some(page),
        _ => None,
    }
}

/// The list's section: how many municipalities and inhabitants, then the
/// page's rows, each leading to the municipality's page as of `as_of`.
pub fn html(
    list: Option<&NotAdoptedPage>,
    (land, title): (LandCode, &str),
    as_of: Option<Date>,
) -> Markup {
    section("ohne", "Noch ohne diese Leistung").with(html! {
        @match list {
            None => p { "Die Liste ist gerade nicht erreichbar." },
            Some(list) if list.total == 0 => p role="status" {
                "Jede Gemeinde in " (land.name()) " bietet „" (title) "“ zum Stichtag an oder führt sie gerade ein."
            },
            Some(list) => {
                p {
                    (gemeinden(list.total)) " in " (land.name()) " mit zusammen "
                    (thousands(list.population)) " Einwohnern bieten „" (title) "“ zum Stichtag nicht an \
                     und führen sie auch nicht gerade ein: nie beantragt oder zurückgezogen."
                }
                @if list.gemeinden.is_empty() {
                    p role="status" { "Auf dieser Seite folgen keine weiteren; sie stehen auf den Seiten davor." }
                } @else {
                    p.hilfe { "Die mit den meisten Einwohnern zuerst." }
                    (table(
                        html! { "Gemeinden ohne „" (title) "“, " (land.name()) },
                        &[Text("Gemeinde"), Text("Kreis"), Num("Einwohner"), Text("Einführung")],
                        rows(list, as_of),
                    ))
                }
            }
        }
    })
}

fn rows(list: &NotAdoptedPage, as_of: Option<Date>) -> Markup {
    html! {
        @for gemeinde in &list.gemeinden {
            tr {
                th scope="row" { (kommune_link(gemeinde.ags, &gemeinde.name, as_of)) " (" (gemeinde.ags) ")" }
                td { (gemeinde.kreis_name) }
                td.zahl { @match gemeinde.population {
                    Some(count) => (thousands(count)),
                    None => "keine Angabe",
                } }
                td { @match gemeinde.withdrawn_on {
                    Some(day) => { "zurückgezogen am " (date_de(day)) },
                    None => "nie beantragt",
                } }
            }
        }
    }
}

/// "1 Gemeinde", "1.253 Gemeinden".
fn gemeinden(count: u32) -> String {
    match count {
        1 => "1 Gemeinde".to_owned(),
        n => format!("{} Gemeinden", thousands(u64::from(n))),
    }
}
