//! A Land's page and reuse across Germany ("Einer für Alle" at work), as of
//! a day. Services count from their announcement until their retirement.

use efa_proto::views::{LandParticipation, LandView, ReuseSummary};
use efa_proto::{Date, LandCode};

use crate::facts::ServiceFacts;
use crate::views::Gemeinden;

/// Announced by `day` and not retired by then.
fn in_service(service: &ServiceFacts, day: Date) -> bool {
    service.announced_by(day) && !service.retired_by(day)
}

/// `land`'s page. `gemeinden` covers (at least) the Land's
/// municipalities; `live_any` is how many of them have a live adoption
/// counted for them on `day` (the index keeps it; [`live_any`] counts it).
pub fn land_view<'a>(
    land: LandCode,
    services: impl IntoIterator<Item = &'a ServiceFacts> + Clone,
    gemeinden: &Gemeinden,
    live_any: u32,
    day: Date,
) -> LandView {
    let leads = services
        .clone()
        .into_iter()
        .filter(|s| s.lead == land && in_service(s, day))
        .map(|s| s.id.clone())
        .collect();
    let mut joined = Vec::new();
    for service in services.into_iter().filter(|s| s.announced_by(day)) {
        for p in &service.participations {
            if p.land == land && p.land != service.lead && p.joined <= day {
                joined.push(LandParticipation {
                    service: service.id.clone(),
                    title: service.details_on(day).title.clone(),
                    lead: service.lead,
                    joined: p.joined,
                    left: p.left.filter(|left| *left <= day),
                });
            }
        }
    }
    let registered = gemeinden
        .active(day)
        .into_iter()
        .filter(|g| g.ags.land() == land)
        .count();
    LandView {
        land,
        leads,
        joined,
        municipalities_registered: u32::try_from(registered).unwrap_or(u32::MAX),
        municipalities_live_any: live_any,
        as_of: day,
    }
}

/// How many of `land`'s registered municipalities active on `day` have a
/// live adoption among `counted` (those counted for the Land on `day`):
/// the slow path, the oracle of the index's count in its property test.
#[cfg(test)]
pub fn live_any(
    land: LandCode,
    gemeinden: &Gemeinden,
    counted: &crate::views::CountedList,
    day: Date,
) -> u32 {
    let live: std::collections::BTreeSet<_> = counted
        .iter()
        .filter(|(_, c)| c.stage == efa_proto::AdoptionStage::Live)
        .map(|((_, ags), _)| *ags)
        .collect();
    let count = gemeinden
        .active(day)
        .into_iter()
        .filter(|g| g.ags.land() == land && live.contains(&g.ags))
        .count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Reuse across Germany on `day`.
pub fn reuse<'a>(services: impl IntoIterator<Item = &'a ServiceFacts>, day: Date) -> ReuseSummary {
    let mut summary = ReuseSummary {
        services: 0,
        participations: 0,
        lead_only: Vec::new(),
        per_land: LandCode::all().map(|land| (land, 0, 0)).collect(),
        as_of: day,
    };
    for service in services.into_iter().filter(|s| in_service(s, day)) {
        let lands = service.lands_on(day);
        summary.services += 1;
        summary.participations += u32::try_from(lands.len()).unwrap_or(u32::MAX);
        if lands.iter().all(|land| *land == service.lead) {
            summary.lead_only.push(service.id.clone());
        }
        for (land, led, joined) in &mut summary.per_land {
            if *land == service.lead {
                *led += 1;
            } else if lands.contains(land) {
                *joined += 1;
            }
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use efa_proto::Event;

    use super::*;
    use crate::testing::{Ledger, World, announce_by, date, land, service_id};

    fn world() -> World {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 1));
        ledger.push("2020-02-01", announce_by("bbb-service", 16));
        ledger.push("2020-03-01", announce_by("ccc-service", 16));
        let join = |service: &str, code: u8| Event::LandJoined {
            service: service_id(service),
            land: land(code),
        };
        ledger.push("2023-07-01", join("aaa-service", 16));
        ledger.push("2021-01-01", join("bbb-service", 5));
        ledger.push(
            "2022-01-01",
            Event::LandLeft {
                service: service_id("bbb-service"),
                land: land(5),
            },
        );
        ledger.push(
            "2024-01-01",
            Event::ServiceRetired {
                service: service_id("ccc-service"),
                reason: "ersetzt".to_owned(),
            },
        );
        World::replay(&ledger)
    }

    #[test]
    fn reuse_counts_the_lands_on_the_day_and_skips_retired_services() {
        let world = world();
        let summary = reuse(&world.services, date("2023-07-01"));
        assert_eq!((summary.services, summary.participations), (3, 4));
        assert_eq!(
            summary.lead_only,
            [service_id("bbb-service"), service_id("ccc-service")]
        );
        assert_eq!(summary.per_land[15], (land(16), 2, 1));
        assert_eq!(summary.per_land[0], (land(1), 1, 0));
        let later = reuse(&world.services, date("2024-01-01"));
        assert_eq!(later.services, 2);
        let earlier = reuse(&world.services, date("2021-06-01"));
        assert_eq!(earlier.per_land[4], (land(5), 0, 1));
        assert_eq!(
            earlier.lead_only,
            [service_id("aaa-service"), service_id("ccc-service")]
        );
    }

    #[test]
    fn a_lands_page_shows_a_leaving_only_once_it_took_effect() {
        let world = world();
        let gemeinden = Gemeinden::default();
        let view = |day: &str| land_view(land(5), &world.services, &gemeinden, 0, date(day));
        assert_eq!(view("2021-06-01").joined[0].left, None);
        assert_eq!(view("2022-01-01").joined[0].left, Some(date("2022-01-01")));
        assert!(view("2020-12-31").joined.is_empty());
        let th = land_view(land(16), &world.services, &gemeinden, 0, date("2024-01-01"));
        assert_eq!(th.leads, [service_id("bbb-service")]);
        assert_eq!(th.joined.len(), 1);
    }
}
