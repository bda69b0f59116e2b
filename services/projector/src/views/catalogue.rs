//! The catalogue with filters, sorting, paging and reuse figures, as of a
//! day: which services were announced by then, in what state, which Länder
//! took part and how far the municipalities got.

use std::collections::HashMap;

use efa_proto::views::{CatalogueFilter, CataloguePage, CatalogueSort, ServiceSummary};
use efa_proto::{Date, ServiceId};

use crate::facts::ServiceFacts;
use crate::views::capped;

const LIMIT_DEFAULT: u32 = 50;
const LIMIT_MAX: u32 = 1000;

/// One service as the catalogue shows it on `day`.
pub fn summary(service: &ServiceFacts, adoptions: [u32; 5], day: Date) -> ServiceSummary {
    ServiceSummary {
        service: service.view_on(day),
        lands: service.lands_on(day),
        adoptions,
    }
}

/// The page of the catalogue `filter` asks for. `services` are every
/// service's facts; `counts` the per-stage adoption counts per service
/// (`views::stage_counts`). Sorting by announcement shows the newest first;
/// every order falls back to the title, then the id.
pub fn page<'a>(
    services: impl IntoIterator<Item = &'a ServiceFacts>,
    counts: &HashMap<&ServiceId, [u32; 5]>,
    filter: &CatalogueFilter,
    day: Date,
    as_of_seq: u64,
) -> CataloguePage {
    let needle = filter.text.as_ref().map(|text| text.to_lowercase());
    let mut matching: Vec<ServiceSummary> = services
        .into_iter()
        .filter(|service| service.announced_by(day))
        .map(|service| {
            let adoptions = counts.get(&service.id).copied().unwrap_or_default();
            summary(service, adoptions, day)
        })
        .filter(|summary| matches(summary, filter, needle.as_deref()))
        .collect();
    sort(&mut matching, filter.sort);
    let total = u32::try_from(matching.len()).unwrap_or(u32::MAX);
    let services = matching
        .into_iter()
        .skip(filter.offset as usize)
        .take(capped(filter.limit, LIMIT_DEFAULT, LIMIT_MAX))
        .collect();
    CataloguePage {
        services,
        total,
        as_of: day,
        as_of_seq,
    }
}

fn matches(summary: &ServiceSummary, filter: &CatalogueFilter, needle: Option<&str>) -> bool {
    let view = &summary.service;
    let land = filter
        .land
        .is_none_or(|land| view.lead == land || summary.lands.contains(&land));
    let text = needle.is_none_or(|needle| {
        [
            Some(view.title.as_str()),
            Some(view.id.as_str()),
            view.ozg_id.as_deref(),
            Some(view.provider.as_str()),
        ]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(needle))
    });
    land && text
        && filter
            .themenfeld
            .as_ref()
            .is_none_or(|t| *t == view.themenfeld)
        && filter.status.is_none_or(|s| s == view.status)
        && filter.reifegrad.is_none_or(|r| r == view.reifegrad)
        && filter.channel.is_none_or(|c| c == view.channel)
}

fn sort(summaries: &mut [ServiceSummary], order: CatalogueSort) {
    summaries.sort_by_cached_key(|s| {
        let primary: i64 = match order {
            CatalogueSort::Title => 0,
            CatalogueSort::Reuse => -(s.lands.len() as i64),
            CatalogueSort::Live => -i64::from(s.adoptions[3]),
            CatalogueSort::Announced => -i64::from(s.service.announced_on.days_since_epoch()),
        };
        (
            primary,
            s.service.title.to_lowercase(),
            s.service.id.clone(),
        )
    });
}

#[cfg(test)]
mod tests {
    use efa_proto::{Event, ServiceStatus};

    use super::*;
    use crate::testing::{Ledger, World, announce_by, date, land, service_id};

    fn world() -> World {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 1));
        ledger.push("2022-05-01", announce_by("bbb-service", 16));
        ledger.push(
            "2023-07-01",
            Event::LandJoined {
                service: service_id("aaa-service"),
                land: land(16),
            },
        );
        ledger.push(
            "2024-01-01",
            Event::ServiceRetired {
                service: service_id("bbb-service"),
                reason: "ersetzt".to_owned(),
            },
        );
        World::replay(&ledger)
    }

    fn ids(page: &CataloguePage) -> Vec<&str> {
        page.services
            .iter()
            .map(|s| s.service.id.as_str())
            .collect()
    }

    #[test]
    fn a_land_filter_sees_a_join_only_from_its_date() {
        let world = world();
        let filter = CatalogueFilter {
            land: Some(land(16)),
            ..CatalogueFilter::default()
        };
        let before = page(
            &world.services,
            &HashMap::new(),
            &filter,
            date("2023-06-30"),
            4,
        );
        assert_eq!(ids(&before), ["bbb-service"]);
        let after = page(
            &world.services,
            &HashMap::new(),
            &filter,
            date("2023-07-01"),
            4,
        );
        assert_eq!(ids(&after), ["aaa-service", "bbb-service"]);
        assert_eq!(after.services[0].lands, [land(1), land(16)]);
        assert_eq!(before.total, 1);
    }

    #[test]
    fn status_and_announcement_follow_the_date() {
        let world = world();
        let all = CatalogueFilter::default();
        let early = page(
            &world.services,
            &HashMap::new(),
            &all,
            date("2020-01-01"),
            4,
        );
        assert_eq!(ids(&early), ["aaa-service"]);
        let retired = CatalogueFilter {
            status: Some(ServiceStatus::Retired),
            ..CatalogueFilter::default()
        };
        let now = page(
            &world.services,
            &HashMap::new(),
            &retired,
            date("2024-06-01"),
            4,
        );
        assert_eq!(ids(&now), ["bbb-service"]);
        assert!(now.services[0].lands.is_empty());
        let then = page(
            &world.services,
            &HashMap::new(),
            &retired,
            date("2023-12-31"),
            4,
        );
        assert_eq!(then.total, 0);
    }

    #[test]
    fn sorting_and_paging() {
        let world = world();
        let by_reuse = CatalogueFilter {
            sort: CatalogueSort::Reuse,
            limit: 1,
            offset: 0,
            ..CatalogueFilter::default()
        };
        let first = page(
            &world.services,
            &HashMap::new(),
            &by_reuse,
            date("2023-12-01"),
            4,
        );
        assert_eq!((ids(&first), first.total), (vec!["aaa-service"], 2));
        let newest = CatalogueFilter {
            sort: CatalogueSort::Announced,
            text: Some("BBB".to_owned()),
            ..CatalogueFilter::default()
        };
        let found = page(
            &world.services,
            &HashMap::new(),
            &newest,
            date("2023-12-01"),
            4,
        );
        assert_eq!(ids(&found), ["bbb-service"]);
    }
}
