//! Whom a rollout has still to reach: the active municipalities of a
//! Land that do not offer a service on a day. The rollout and its funnel
//! count adoptions; an operator planning the next round asks the other
//! way round, which municipalities have none, and starts with those where
//! the most people live.

use std::cmp::Reverse;

use efa_proto::views::NotAdoptedEntry;
use efa_proto::{AdoptionStage, Ags, Date};

use crate::facts::KreisFacts;
use crate::views::{Counted, Gemeinden, kreis_name};

/// The municipalities of `gemeinden` (one Land's) active on `day` whose
/// counted adoption of the service, from `counted` (by the municipality
/// it counts for), is missing or withdrawn; most inhabitants first (with
/// those merged into them), then by AGS; each with its Kreis's name from
/// `kreise` (the Land's, by key).
pub fn not_adopted(
    (gemeinden, kreise): (&Gemeinden, &[KreisFacts]),
    counted: &[(Ags, Counted)],
    day: Date,
) -> Vec<NotAdoptedEntry> {
    let counted_for = |ags: Ags| {
        counted
            .binary_search_by_key(&ags, |(target, _)| *target)
            .ok()
            .map(|at| counted[at].1)
    };
    let mut list: Vec<NotAdoptedEntry> = (gemeinden.active(day).into_iter())
        .filter_map(|gemeinde| {
            let withdrawn_on = match counted_for(gemeinde.ags) {
                Some(c) if c.stage == AdoptionStage::Withdrawn => Some(c.since),
                Some(_) => return None,
                None => None,
            };
            let inhabitants = gemeinden.inhabitants(gemeinde, day);
            let known = inhabitants > 0 || gemeinde.population.is_some();
            Some(NotAdoptedEntry {
                ags: gemeinde.ags,
                name: gemeinde.name_on(day).to_owned(),
                kreis_name: kreis_name(kreise, gemeinde.ags.kreis()),
                population: known.then_some(inhabitants),
                withdrawn_on,
            })
        })
        .collect();
    list.sort_by_key(|entry| (Reverse(entry.population.unwrap_or(0)), entry.ags));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use efa_proto::Population;

    use crate::facts::{At, GemeindeFacts};
    use crate::testing::date;

    fn at(day: &str) -> At {
        At {
            effective: date(day),
            seq: 1,
            version: 1,
        }
    }

    fn gemeinde(ags: &str, inhabitants: Option<u64>) -> GemeindeFacts {
        GemeindeFacts {
            ags: Ags::parse(ags).unwrap(),
            registered: at("2020-01-01"),
            name: format!("Gemeinde {ags}"),
            population: inhabitants.map(|count| Population {
                count,
                reference_date: date("2019-12-31"),
            }),
            renames: Vec::new(),
            merged: None,
            retired: None,
        }
    }

    fn counted(ags: &str, stage: AdoptionStage, since: &str) -> (Ags, Counted) {
        let ags = Ags::parse(ags).unwrap();
        let since = date(since);
        (
            ags,
            Counted {
                stage,
                since,
                adopter: ags,
            },
        )
    }

    fn ags_of(list: &[NotAdoptedEntry]) -> Vec<String> {
        list.iter().map(|entry| entry.ags.to_string()).collect()
    }

    #[test]
    fn those_without_a_counted_adoption_most_inhabitants_first() {
        let mut merged = gemeinde("16061001", Some(500));
        merged.merged = Some((at("2024-01-01"), Ags::parse("16061002").unwrap()));
        let mut retired = gemeinde("16061004", Some(9_000));
        retired.retired = Some(at("2023-01-01"));
        let facts = [
            merged,
            gemeinde("16061002", Some(1_000)),
            gemeinde("16061003", None),
            retired,
            gemeinde("16061005", Some(2_000)),
            gemeinde("16061006", Some(7_000)),
            gemeinde("16061007", Some(1_000)),
        ];
        let gemeinden = Gemeinden::new(&facts);
        let counted = [
            counted("16061005", AdoptionStage::Withdrawn, "2023-05-02"),
            counted("16061006", AdoptionStage::Requested, "2023-06-01"),
        ];
        let day = date("2024-06-30");
        let kreise = [KreisFacts {
            key: Ags::parse("16061001").unwrap().kreis(),
            registered: at("2020-01-01"),
            name: "Eichsfeld".into(),
            population: None,
        }];
        let list = not_adopted((&gemeinden, &kreise), &counted, day);
        // 16061002 has taken in 16061001's 500; 16061004 is retired,
        // 16061006 has an adoption under way.
        assert_eq!(
            ags_of(&list),
            ["16061005", "16061002", "16061007", "16061003"]
        );
        assert_eq!(list[0].withdrawn_on, Some(date("2023-05-02")));
        assert_eq!(list[1].population, Some(1_500));
        assert_eq!(list[3].population, None, "no figure registered");
        assert_eq!(list[0].kreis_name, "Eichsfeld");
        // Before the merger both stand on their own.
        let before = not_adopted((&gemeinden, &[]), &counted, date("2023-12-31"));
        assert_eq!(
            ags_of(&before),
            ["16061005", "16061002", "16061007", "16061001", "16061003"]
        );
        assert_eq!(before[0].kreis_name, "16061", "no Kreis registered");
    }
}
