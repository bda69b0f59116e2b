//! One municipality's page as of a day: whether it still exists, its
//! adoptions (those of municipalities merged into it included), the
//! adoptions of that family beneath the one that counts for a service,
//! and the services it could adopt.

use efa_proto::views::MunicipalityRollout;
use efa_proto::{Ags, Date, GemeindeView};

use crate::facts::{AdoptionFacts, GemeindeFacts, ServiceFacts};
use crate::views::{CountedList, Gemeinden};

/// Whether `gemeinde` exists on `day`, in words: "aktiv", "aufgelöst"
/// or "aufgegangen in <AGS>".
pub fn status_de(gemeinde: &GemeindeFacts, day: Date) -> String {
    if gemeinde.retired_by(day) {
        "aufgelöst".to_owned()
    } else if let Some(successor) = gemeinde.successor_on(day) {
        format!("aufgegangen in {successor}")
    } else {
        "aktiv".to_owned()
    }
}

/// The page of `ags` on `day`; `None` if it is not registered (whenever
/// its registration took effect, see `GemeindeFacts::active_on`).
/// `counted` are the counted adoptions of (at least) its Land;
/// `family_adoptions` the adoption facts of the municipality and of those
/// merged into it: its own are shown when it no longer exists (then
/// nothing counts for it, but its history stays visible), the others
/// beneath the counted ones where they do not count.
pub fn gemeinde_view<'a>(
    ags: Ags,
    gemeinden: &Gemeinden,
    counted: &CountedList,
    family_adoptions: &[AdoptionFacts],
    services: impl IntoIterator<Item = &'a ServiceFacts>,
    day: Date,
) -> Option<GemeindeView> {
    let gemeinde = gemeinden.get(ags)?;
    let name = gemeinde.name_on(day).to_owned();
    let status_de = status_de(gemeinde, day);
    let row = |service: &efa_proto::ServiceId, stage, since, adopter| MunicipalityRollout {
        ags,
        name: name.clone(),
        service: service.clone(),
        stage,
        since,
        adopter,
    };
    let current = |a: &AdoptionFacts| {
        let now = a.current_on(day)?;
        Some(row(&a.service, now.stage, now.since, a.ags))
    };
    let (adoptions, beneath) = if gemeinde.active_on(day) {
        let mut rows: Vec<MunicipalityRollout> = counted
            .iter()
            .filter(|((_, target), _)| *target == ags)
            .map(|((service, _), c)| row(service, c.stage, c.since, c.adopter))
            .collect();
        rows.sort_by(|a, b| a.service.cmp(&b.service));
        let counts = |a: &AdoptionFacts| {
            (rows.binary_search_by(|r| r.service.cmp(&a.service)).ok())
                .is_some_and(|at| rows[at].adopter == a.ags)
        };
        let mut beneath: Vec<MunicipalityRollout> = (family_adoptions.iter())
            .filter(|a| !counts(a))
            .filter_map(current)
            .collect();
        beneath.sort_by(|a, b| (&a.service, a.adopter).cmp(&(&b.service, b.adopter)));
        (rows, beneath)
    } else {
        let own = (family_adoptions.iter())
            .filter(|a| a.ags == ags)
            .filter_map(current)
            .collect();
        (own, Vec::new())
    };
    let available = services
        .into_iter()
        .filter(|s| s.announced_by(day) && !s.retired_by(day))
        .map(|s| {
            let title = s.details_on(day).title.clone();
            (s.id.clone(), title, s.takes_part(ags.land(), day))
        })
        .collect();
    Some(GemeindeView {
        ags,
        name,
        population: gemeinde.population.map(|p| p.count),
        status_de,
        adoptions,
        available,
        as_of: day,
        beneath,
    })
}

#[cfg(test)]
mod tests {
    use efa_proto::{AdoptionStage, Event};

    use super::*;
    use crate::testing::{Ledger, World, ags, announce_by, date, service_id};
    use crate::views::counted;

    #[test]
    fn a_merged_municipality_hands_its_adoptions_to_the_successor() {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 1));
        ledger.push("2019-12-01", announce_by("bbb-service", 16));
        for (code, name) in [("16055000", "Weimar"), ("16071001", "Kranichfeld")] {
            ledger.push(
                "2020-01-01",
                Event::GemeindeRegistered {
                    ags: ags(code),
                    name: name.to_owned(),
                    population: None,
                },
            );
        }
        ledger.push(
            "2023-01-01",
            Event::AdoptionRequested {
                service: service_id("aaa-service"),
                ags: ags("16071001"),
                adoption_no: 1,
                note: String::new(),
            },
        );
        ledger.push(
            "2024-06-01",
            Event::GemeindeMerged {
                ags: ags("16071001"),
                successor: ags("16055000"),
            },
        );
        let world = World::replay(&ledger);
        let gemeinden = Gemeinden::new(&world.gemeinden);
        let page = |code: &str, day: &str| {
            let counted: Vec<_> = counted(&world.adoptions, &gemeinden, date(day))
                .into_iter()
                .collect();
            gemeinde_view(
                ags(code),
                &gemeinden,
                &counted,
                &world.adoptions,
                &world.services,
                date(day),
            )
            .unwrap()
        };
        let weimar = page("16055000", "2024-06-01");
        assert_eq!(weimar.status_de, "aktiv");
        assert_eq!(weimar.adoptions.len(), 1);
        assert_eq!(
            (weimar.adoptions[0].ags, weimar.adoptions[0].stage),
            (ags("16055000"), AdoptionStage::Requested)
        );
        assert_eq!(weimar.adoptions[0].adopter, ags("16071001"));
        assert_eq!(
            weimar.available,
            [
                (
                    service_id("aaa-service"),
                    "Titel von aaa-service".to_owned(),
                    false
                ),
                (
                    service_id("bbb-service"),
                    "Titel von bbb-service".to_owned(),
                    true
                ),
            ]
        );
        assert!(page("16055000", "2024-05-31").adoptions.is_empty());
        let kranichfeld = page("16071001", "2024-06-01");
        assert_eq!(kranichfeld.status_de, "aufgegangen in 16055000");
        assert_eq!(kranichfeld.adoptions.len(), 1);
        assert_eq!(kranichfeld.adoptions[0].adopter, ags("16071001"));
        assert_eq!(page("16055000", "2019-01-01").status_de, "aktiv");
        let unknown = gemeinde_view(
            ags("16051000"),
            &gemeinden,
            &[],
            &[],
            &world.services,
            date("2024-01-01"),
        );
        assert_eq!(unknown, None);
    }
}
