//! Everything about one service as of a day: its summary, the
//! participations, the population of the Länder taking part, the coverage
//! per Land, and its cost lines.

use std::collections::BTreeMap;

use efa_proto::views::{LandCoverage, ParticipationView, ServiceDetail};
use efa_proto::{AdoptionStage, Date, LandCode};

use crate::facts::{PopulationFacts, ServiceFacts};
use crate::views::costs::line_view;
use crate::views::{CountedAdoptions, Gemeinden, catalogue, settlement, stage_counts};

/// The detail of `service` on `day`; `counted` are the counted adoptions
/// of this service (`views::counted`), `gemeinden` every municipality.
/// Cost lines are those in effect on `day`, with their corrections by then.
pub fn service_detail(
    service: &ServiceFacts,
    counted: &CountedAdoptions,
    gemeinden: &Gemeinden,
    populations: &[PopulationFacts],
    day: Date,
) -> ServiceDetail {
    let counts = stage_counts(counted)
        .get(&service.id)
        .copied()
        .unwrap_or_default();
    let summary = catalogue::summary(service, counts, day);
    let population_lands = population_of(&summary.lands, populations, day);
    ServiceDetail {
        participations: participations(service, day),
        population_lands,
        coverage: coverage(service, counted, gemeinden, day),
        costs: settlement::costs_on(&service.costs, day)
            .iter()
            .map(line_view)
            .collect(),
        summary,
    }
}

/// The participations begun by `day`; an end after `day` is not shown.
pub fn participations(service: &ServiceFacts, day: Date) -> Vec<ParticipationView> {
    service
        .participations
        .iter()
        .filter(|p| p.joined <= day)
        .map(|p| ParticipationView {
            land: p.land,
            joined: p.joined,
            left: p.left.filter(|left| *left <= day),
            is_lead: p.land == service.lead,
        })
        .collect()
}

/// The population of `lands` by the latest figures with a reference date
/// not after `day` and in effect on it; 0 without any.
pub fn population_of(lands: &[LandCode], populations: &[PopulationFacts], day: Date) -> u64 {
    let Some(latest) = populations
        .iter()
        .filter(|p| p.reference_date <= day && p.at.by(day))
        .max_by_key(|p| (p.reference_date, p.at.seq))
    else {
        return 0;
    };
    latest
        .figures
        .iter()
        .filter(|(land, _)| lands.contains(land))
        .map(|(_, count)| *count)
        .sum()
}

/// Coverage per Land with a registered municipality or a participation:
/// the municipalities active on `day` counted per Land in one pass, the
/// live ones found among the service's counted adoptions (not by asking
/// for each of Germany's municipalities whether it adopted).
pub(crate) fn coverage(
    service: &ServiceFacts,
    counted: &CountedAdoptions,
    gemeinden: &Gemeinden,
    day: Date,
) -> Vec<LandCoverage> {
    let mut per_land = land_rows(service, day);
    for gemeinde in gemeinden.active(day) {
        land_row(&mut per_land, service, gemeinde.ags.land(), day).municipalities_registered += 1;
    }
    let live = counted
        .iter()
        .filter(|((id, _), adoption)| **id == service.id && adoption.stage == AdoptionStage::Live)
        .filter_map(|((_, ags), _)| gemeinden.get(*ags))
        .filter(|gemeinde| gemeinde.active_on(day));
    for gemeinde in live {
        let row = land_row(&mut per_land, service, gemeinde.ags.land(), day);
        row.municipalities_live += 1;
        row.population_live += gemeinden.inhabitants(gemeinde, day);
    }
    finished(per_land)
}

/// A row, nothing counted yet, for each Land taking part on `day`.
fn land_rows(service: &ServiceFacts, day: Date) -> BTreeMap<LandCode, LandCoverage> {
    let mut rows = BTreeMap::new();
    for land in service.lands_on(day) {
        land_row(&mut rows, service, land, day);
    }
    rows
}

/// `land`'s row, made with nothing counted if there is none yet.
fn land_row<'a>(
    rows: &'a mut BTreeMap<LandCode, LandCoverage>,
    service: &ServiceFacts,
    land: LandCode,
    day: Date,
) -> &'a mut LandCoverage {
    rows.entry(land).or_insert_with(|| LandCoverage {
        land,
        participating: service.takes_part(land, day),
        municipalities_registered: 0,
        municipalities_live: 0,
        population_live: 0,
        flaechendeckend: false,
    })
}

/// The rows in Land order, each marked flächendeckend where every
/// registered municipality is live.
fn finished(rows: BTreeMap<LandCode, LandCoverage>) -> Vec<LandCoverage> {
    rows.into_values()
        .map(|mut row| {
            row.flaechendeckend = row.municipalities_registered > 0
                && row.municipalities_live == row.municipalities_registered;
            row
        })
        .collect()
}

/// The coverage as first computed, asking for each active municipality
/// whether it counts a live adoption: the oracle of `coverage` in the
/// index's property test.
#[cfg(test)]
pub(crate) fn coverage_by_every_municipality(
    service: &ServiceFacts,
    counted: &CountedAdoptions,
    gemeinden: &Gemeinden,
    day: Date,
) -> Vec<LandCoverage> {
    let mut per_land = land_rows(service, day);
    for gemeinde in gemeinden.active(day) {
        let row = land_row(&mut per_land, service, gemeinde.ags.land(), day);
        row.municipalities_registered += 1;
        let live = counted
            .get(&(&service.id, gemeinde.ags))
            .is_some_and(|c| c.stage == AdoptionStage::Live);
        if live {
            row.municipalities_live += 1;
            row.population_live += gemeinden.inhabitants(gemeinde, day);
        }
    }
    finished(per_land)
}

#[cfg(test)]
mod tests {
    use efa_proto::{AdoptionStage, Event, Population};

    use super::*;
    use crate::testing::{Ledger, World, ags, announce_by, date, land, service_id};
    use crate::views::counted;

    fn world() -> World {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 1));
        ledger.push(
            "2023-07-01",
            Event::LandJoined {
                service: service_id("aaa-service"),
                land: land(16),
            },
        );
        for (code, name, count) in [
            ("16051000", "Erfurt", 213_692),
            ("16055000", "Weimar", 65_138),
        ] {
            ledger.push(
                "2020-01-01",
                Event::GemeindeRegistered {
                    ags: ags(code),
                    name: name.to_owned(),
                    population: Some(Population {
                        count,
                        reference_date: date("2022-12-31"),
                    }),
                },
            );
            ledger.push(
                "2023-08-01",
                Event::AdoptionRequested {
                    service: service_id("aaa-service"),
                    ags: ags(code),
                    adoption_no: 1,
                    note: String::new(),
                },
            );
        }
        // Erfurt's go-live, reported on 2024-02-20, took effect on 2024-02-01.
        ledger.push_recorded(
            "2024-02-01",
            "2024-02-20",
            Event::AdoptionStepRecorded {
                service: service_id("aaa-service"),
                ags: ags("16051000"),
                adoption_no: 1,
                stage: AdoptionStage::Live,
                note: String::new(),
            },
        );
        ledger.push(
            "2023-01-15",
            Event::PopulationPublished {
                reference_date: date("2022-12-31"),
                figures: vec![
                    (land(1), 2_953_270),
                    (land(16), 2_126_846),
                    (land(5), 18_139_116),
                ],
            },
        );
        World::replay(&ledger)
    }

    fn detail(world: &World, day: &str) -> ServiceDetail {
        let gemeinden = Gemeinden::new(&world.gemeinden);
        let counted = counted(&world.adoptions, &gemeinden, date(day));
        let service = world.service("aaa-service");
        service_detail(service, &counted, &gemeinden, &world.populations, date(day))
    }

    #[test]
    fn before_and_after_the_join() {
        let world = world();
        let before = detail(&world, "2023-06-30");
        assert_eq!(before.participations.len(), 1);
        assert!(before.participations[0].is_lead);
        assert_eq!(before.population_lands, 2_953_270);
        let th = before.coverage.iter().find(|c| c.land == land(16)).unwrap();
        assert!(!th.participating);
        assert_eq!(th.municipalities_registered, 2);
        let after = detail(&world, "2023-07-01");
        assert_eq!(after.summary.lands, [land(1), land(16)]);
        assert_eq!(after.population_lands, 2_953_270 + 2_126_846);
        // Before the figures take effect they do not count.
        assert_eq!(detail(&world, "2023-01-14").population_lands, 0);
    }

    #[test]
    fn a_late_go_live_counts_from_its_effective_date() {
        let world = world();
        let th = |day: &str| {
            let detail = detail(&world, day);
            let row = detail
                .coverage
                .into_iter()
                .find(|c| c.land == land(16))
                .unwrap();
            (
                detail.summary.adoptions,
                row.municipalities_live,
                row.population_live,
            )
        };
        assert_eq!(th("2024-01-31"), ([2, 0, 0, 0, 0], 0, 0));
        assert_eq!(th("2024-02-01"), ([1, 0, 0, 1, 0], 1, 213_692));
        assert_eq!(detail(&world, "2022-01-01").population_lands, 0);
    }
}
