//! The rollout monitor of a Land as of a day: per Kreis and service how
//! many municipalities are at which stage and how many inhabitants are
//! covered, one row per municipality and service, and the adoptions that
//! have not moved for a while.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use efa_proto::views::{
    KreisCoverage, MunicipalityRollout, RolloutScope, RolloutView, StalledRollout, StalledView,
};
use efa_proto::{AdoptionStage, Ags, Date, KreisKey, LandCode, ServiceId};

use crate::asof::stage_index;
use crate::facts::{GemeindeFacts, KreisFacts, ServiceFacts};
use crate::views::{CountedList, Gemeinden, days_between};

/// Whether `ags` lies in the scope's Land and Kreis.
fn in_scope(scope: &RolloutScope, ags: Ags) -> bool {
    ags.land() == scope.land && scope.kreis.is_none_or(|kreis| ags.kreis() == kreis)
}

/// The services in scope: the scoped one, or every service with a counted
/// adoption in the Land.
fn services_in_scope<'a>(scope: &'a RolloutScope, counted: &CountedList<'a>) -> Vec<&'a ServiceId> {
    match &scope.service {
        Some(service) => vec![service],
        None => counted
            .iter()
            .map(|(key, _)| key)
            .filter(|(_, ags)| ags.land() == scope.land)
            .map(|(service, _)| *service)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

/// The rollout in `scope` on `day`. `gemeinden` and `counted` cover (at
/// least) the Land's municipalities; `services` every service.
pub fn rollout<'a>(
    scope: &RolloutScope,
    services: impl IntoIterator<Item = &'a ServiceFacts>,
    gemeinden: &Gemeinden,
    kreise: &[KreisFacts],
    counted: &CountedList,
    day: Date,
) -> RolloutView {
    let in_scope_services = services_in_scope(scope, counted);
    let mut per_kreis: BTreeMap<KreisKey, Vec<&GemeindeFacts>> = BTreeMap::new();
    for gemeinde in gemeinden.active(day) {
        if in_scope(scope, gemeinde.ags) {
            per_kreis
                .entry(gemeinde.ags.kreis())
                .or_default()
                .push(gemeinde);
        }
    }
    let kreis_names: HashMap<KreisKey, &str> =
        kreise.iter().map(|k| (k.key, k.name.as_str())).collect();
    let tallies = tally(scope, gemeinden, counted, day);
    let mut rows = Vec::new();
    for (key, members) in &per_kreis {
        let kreis_name = kreis_names
            .get(key)
            .map_or_else(|| key.to_string(), |name| (*name).to_owned());
        let population: u64 = members.iter().map(|g| gemeinden.inhabitants(g, day)).sum();
        for service in &in_scope_services {
            let (stages, population_live) =
                tallies.get(&(*key, *service)).copied().unwrap_or_default();
            rows.push(KreisCoverage {
                kreis: *key,
                kreis_name: kreis_name.clone(),
                service: (*service).clone(),
                municipalities: u32::try_from(members.len()).unwrap_or(u32::MAX),
                stages,
                population,
                population_live,
            });
        }
    }
    let municipalities = counted
        .iter()
        .filter(|((service, ags), _)| {
            in_scope(scope, *ags) && scope.service.as_ref().is_none_or(|s| s == *service)
        })
        .map(|((service, ags), c)| MunicipalityRollout {
            ags: *ags,
            name: gemeinden.name(*ags, day),
            service: (*service).clone(),
            stage: c.stage,
            since: c.since,
            adopter: c.adopter,
        });
    let mut municipalities: Vec<MunicipalityRollout> = municipalities.collect();
    municipalities.sort_by(|a, b| (a.ags, &a.service).cmp(&(b.ags, &b.service)));
    let by_id: HashMap<&ServiceId, &ServiceFacts> =
        services.into_iter().map(|s| (&s.id, s)).collect();
    let land_participates = in_scope_services
        .iter()
        .map(|id| {
            let takes_part = by_id.get(id).is_some_and(|s| s.takes_part(scope.land, day));
            ((*id).clone(), takes_part)
        })
        .collect();
    RolloutView {
        scope: scope.clone(),
        as_of: day,
        kreise: rows,
        municipalities,
        land_participates,
    }
}

/// Per Kreis and service, the stages of the counted adoptions of the
/// Kreis's active municipalities in scope, and the inhabitants of those
/// live: one pass over the counted adoptions.
fn tally<'a>(
    scope: &RolloutScope,
    gemeinden: &Gemeinden,
    counted: &CountedList<'a>,
    day: Date,
) -> HashMap<(KreisKey, &'a ServiceId), ([u32; 5], u64)> {
    let mut tallies: HashMap<(KreisKey, &ServiceId), ([u32; 5], u64)> = HashMap::new();
    for ((service, ags), adoption) in counted {
        if !in_scope(scope, *ags) {
            continue;
        }
        let Some(member) = gemeinden.get(*ags).filter(|g| g.active_on(day)) else {
            continue;
        };
        let (stages, population_live) = tallies.entry((ags.kreis(), *service)).or_default();
        stages[stage_index(adoption.stage)] += 1;
        if adoption.stage == AdoptionStage::Live {
            *population_live += gemeinden.inhabitants(member, day);
        }
    }
    tallies
}

/// Whether an adoption at `stage` is still under way (requested, agreed,
/// onboarding).
pub fn under_way(stage: AdoptionStage) -> bool {
    matches!(
        stage,
        AdoptionStage::Requested | AdoptionStage::Agreed | AdoptionStage::Onboarding
    )
}

/// Adoptions in `land` still under way (requested, agreed, onboarding)
/// whose last step is at least `days_min` days before `day`; the longest
/// waiting first, then by AGS and service.
pub fn stalled(
    land: LandCode,
    days_min: u32,
    gemeinden: &Gemeinden,
    counted: &CountedList,
    day: Date,
) -> StalledView {
    let mut stalled: Vec<StalledRollout> = counted
        .iter()
        .filter(|((_, ags), c)| {
            ags.land() == land && under_way(c.stage) && days_between(c.since, day) >= days_min
        })
        .map(|((service, ags), c)| StalledRollout {
            ags: *ags,
            name: gemeinden.name(*ags, day),
            service: (*service).clone(),
            stage: c.stage,
            last_step: c.since,
            days: days_between(c.since, day),
            adopter: c.adopter,
        })
        .collect();
    stalled.sort_by(|a, b| (b.days, a.ags, &a.service).cmp(&(a.days, b.ags, &b.service)));
    StalledView {
        land,
        days_min,
        as_of: day,
        stalled,
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::{Event, Population};

    use super::*;
    use crate::testing::{Ledger, World, ags, announce_by, date, land, service_id};
    use crate::views::counted;

    fn register(ledger: &mut Ledger, code: &str, name: &str, count: u64) {
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
    }

    fn step(ledger: &mut Ledger, day: &str, code: &str, stage: AdoptionStage) {
        let (service, ags) = (service_id("aaa-service"), ags(code));
        let event = match stage {
            AdoptionStage::Requested => Event::AdoptionRequested {
                service,
                ags,
                adoption_no: 1,
                note: String::new(),
            },
            stage => Event::AdoptionStepRecorded {
                service,
                ags,
                adoption_no: 1,
                stage,
                note: String::new(),
            },
        };
        ledger.push(day, event);
    }

    /// Erfurt live; Weimar requested long ago; Kranichfeld (Weimarer
    /// Land) onboarding, then merged into Weimar on 2024-06-01.
    fn world() -> World {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 16));
        register(&mut ledger, "16051000", "Erfurt", 213_692);
        register(&mut ledger, "16055000", "Weimar", 65_138);
        register(&mut ledger, "16071001", "Kranichfeld", 3_400);
        ledger.push(
            "2020-01-01",
            Event::KreisRegistered {
                key: efa_proto::KreisKey::parse("16051").unwrap(),
                name: "Erfurt, Stadt".to_owned(),
                population: None,
            },
        );
        step(
            &mut ledger,
            "2023-01-10",
            "16051000",
            AdoptionStage::Requested,
        );
        step(&mut ledger, "2023-03-01", "16051000", AdoptionStage::Live);
        step(
            &mut ledger,
            "2023-02-01",
            "16055000",
            AdoptionStage::Requested,
        );
        step(
            &mut ledger,
            "2023-02-01",
            "16071001",
            AdoptionStage::Requested,
        );
        step(
            &mut ledger,
            "2023-05-01",
            "16071001",
            AdoptionStage::Onboarding,
        );
        ledger.push(
            "2024-06-01",
            Event::GemeindeMerged {
                ags: ags("16071001"),
                successor: ags("16055000"),
            },
        );
        World::replay(&ledger)
    }

    fn view(world: &World, day: &str) -> RolloutView {
        let gemeinden = Gemeinden::new(&world.gemeinden);
        let counted: Vec<_> = counted(&world.adoptions, &gemeinden, date(day))
            .into_iter()
            .collect();
        let scope = RolloutScope {
            land: land(16),
            kreis: None,
            service: None,
            as_of: None,
        };
        rollout(
            &scope,
            &world.services,
            &gemeinden,
            &world.kreise,
            &counted,
            date(day),
        )
    }

    #[test]
    fn kreis_rows_and_municipality_rows() {
        let world = world();
        let before = view(&world, "2024-05-31");
        let kreise: Vec<(String, u32, [u32; 5], u64)> = before
            .kreise
            .iter()
            .map(|k| {
                (
                    k.kreis_name.clone(),
                    k.municipalities,
                    k.stages,
                    k.population_live,
                )
            })
            .collect();
        assert_eq!(
            kreise,
            [
                ("Erfurt, Stadt".to_owned(), 1, [0, 0, 0, 1, 0], 213_692),
                ("16055".to_owned(), 1, [1, 0, 0, 0, 0], 0),
                ("16071".to_owned(), 1, [0, 0, 1, 0, 0], 0),
            ]
        );
        assert_eq!(
            before.land_participates,
            [(service_id("aaa-service"), true)]
        );
        assert_eq!(before.municipalities.len(), 3);
    }

    #[test]
    fn a_merger_moves_the_adoption_to_the_successor() {
        let world = world();
        let after = view(&world, "2024-06-01");
        let rows: Vec<(Ags, &str, AdoptionStage)> = after
            .municipalities
            .iter()
            .map(|m| (m.ags, m.name.as_str(), m.stage))
            .collect();
        assert_eq!(
            rows,
            [
                (ags("16051000"), "Erfurt", AdoptionStage::Live),
                (ags("16055000"), "Weimar", AdoptionStage::Onboarding),
            ]
        );
        assert_eq!(
            after.kreise.len(),
            2,
            "Kranichfeld's Kreis has no municipality left"
        );
        assert_eq!(after.kreise[1].stages, [0, 0, 1, 0, 0]);
    }

    #[test]
    fn stalled_counts_days_since_the_last_step() {
        let world = world();
        let gemeinden = Gemeinden::new(&world.gemeinden);
        let day = date("2023-06-01");
        let counted: Vec<_> = counted(&world.adoptions, &gemeinden, day)
            .into_iter()
            .collect();
        let view = stalled(land(16), 31, &gemeinden, &counted, day);
        let rows: Vec<(&str, u32, Date)> = view
            .stalled
            .iter()
            .map(|s| (s.name.as_str(), s.days, s.last_step))
            .collect();
        assert_eq!(
            rows,
            [
                ("Weimar", 120, date("2023-02-01")),
                ("Kranichfeld", 31, date("2023-05-01"))
            ]
        );
        let fewer = stalled(land(16), 32, &gemeinden, &counted, day);
        assert_eq!(fewer.stalled.len(), 1);
    }
}
