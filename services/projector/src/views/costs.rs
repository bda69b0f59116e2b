//! Cost sharing: a service's costs of a year split among the Länder with
//! the domain's exact arithmetic (`efa_domain::allocation`), under the
//! cost model in force for that year (`model_for`: a model applies from
//! the year of its effective date on) and, for comparison, the others;
//! and what one Land owes across all services. A closed year is split
//! with the weights it was settled with, so a key published later does
//! not re-split it. Every line and every correction counts; "as of" a
//! date is the caller's cut of the facts (`views::settlement`).

use efa_domain::allocation::{
    AllocatedShare, Interval, ReferenceData, allocate, exact_parts, weights_for,
};
use efa_proto::views::{
    CostLineView, CostSharingView, CostSplit, Exact, LandCostLine, LandCostsView, ShareLine,
};
use efa_proto::{Cents, CostModel, Date, LandCode};

use crate::facts::{At, ClosingFact, CostLineFact, KeyFacts, PopulationFacts, ServiceFacts};

/// One cost line after its corrections, with the sequences behind it.
pub fn line_view(line: &CostLineFact) -> CostLineView {
    CostLineView {
        cost_no: line.cost_no,
        year: line.year,
        category: line.category,
        amount: line.amount(),
        reported: line.reported,
        corrections: u32::try_from(line.corrections.len()).unwrap_or(u32::MAX),
        note: line.note.clone(),
        seqs: std::iter::once(line.at.seq)
            .chain(line.corrections.iter().map(|c| c.at.seq))
            .collect(),
    }
}

/// The published keys and population figures as the allocation reads them.
#[cfg(test)]
pub fn reference_data(keys: &[KeyFacts], populations: &[PopulationFacts]) -> ReferenceData {
    reference_data_where(keys, populations, |_| true)
}

/// The keys and population figures whose publication `in_effect`
/// accepts, as the allocation reads them.
pub fn reference_data_where(
    keys: &[KeyFacts],
    populations: &[PopulationFacts],
    in_effect: impl Fn(&At) -> bool,
) -> ReferenceData {
    let weights = |pairs: &mut dyn Iterator<Item = (LandCode, u64)>| pairs.collect();
    ReferenceData {
        keys: keys
            .iter()
            .filter(|k| in_effect(&k.at))
            .map(|k| {
                let mut shares = k.shares.iter().map(|(l, w)| (*l, u64::from(*w)));
                (k.year, weights(&mut shares))
            })
            .collect(),
        populations: populations
            .iter()
            .filter(|p| in_effect(&p.at))
            .map(|p| (p.reference_date, weights(&mut p.figures.iter().copied())))
            .collect(),
    }
}

/// The models every split is compared with (the service's own excluded).
fn alternative_models() -> [CostModel; 3] {
    [
        CostModel::KoenigsteinerSchluessel { year: None },
        CostModel::Population,
        CostModel::EqualShares,
    ]
}

/// Days of `year`, if it is a year the registry can count days in.
fn days_in(year: u16) -> Option<u32> {
    let first = Date::from_ymd(i32::from(year), 1, 1).ok()?;
    let next = Date::from_ymd(i32::from(year) + 1, 1, 1).ok()?;
    u32::try_from(next.days_since_epoch() - first.days_since_epoch()).ok()
}

/// `total` of `year` split under `model` among `participations`.
pub fn split(
    model: &CostModel,
    year: u16,
    total: Cents,
    participations: &[Interval],
    reference: &ReferenceData,
) -> CostSplit {
    let unsplit = |days_in_year: u32, problem: String| CostSplit {
        model: model.clone(),
        weights_source: String::new(),
        total,
        allocated: Cents(0),
        unallocated: total,
        days_in_year,
        shares: Vec::new(),
        problem: Some(problem),
    };
    let Some(days_in_year) = days_in(year) else {
        return unsplit(0, format!("Das Jahr {year} liegt außerhalb 1900 bis 2199."));
    };
    let (weights, source) = match weights_for(model, year, reference) {
        Ok(found) => found,
        Err(problem) => return unsplit(days_in_year, problem),
    };
    split_weighted(model, source, year, total, participations, &weights)
}

/// `total` of `year` split by the given `weights` (named `source`).
pub fn split_weighted(
    model: &CostModel,
    source: String,
    year: u16,
    total: Cents,
    participations: &[Interval],
    weights: &std::collections::BTreeMap<LandCode, u64>,
) -> CostSplit {
    let allocation = allocate(total, i32::from(year), participations, weights);
    CostSplit {
        model: model.clone(),
        // The contract: no source for equal shares.
        weights_source: match model {
            CostModel::EqualShares => String::new(),
            _ => source,
        },
        total: allocation.total,
        allocated: allocation.allocated,
        unallocated: allocation.unallocated,
        days_in_year: allocation.days_in_year,
        shares: allocation.shares.iter().map(share_line).collect(),
        problem: None,
    }
}

fn exact((numerator, denominator): (String, String)) -> Exact {
    Exact {
        numerator,
        denominator,
    }
}

fn share_line(share: &AllocatedShare) -> ShareLine {
    ShareLine {
        land: share.land,
        weight: share.weight,
        days: share.days,
        exact_cents: exact(exact_parts(&share.exact_cents)),
        fraction: exact(exact_parts(&share.fraction)),
        cents: share.cents,
    }
}

/// The service's cost lines of `year` and their sum.
fn costs_of(service: &ServiceFacts, year: u16) -> (Vec<CostLineView>, Cents) {
    let lines: Vec<CostLineView> = service
        .costs
        .iter()
        .filter(|line| line.year == year)
        .map(line_view)
        .collect();
    let total = Cents(lines.iter().map(|line| line.amount.0).sum());
    (lines, total)
}

/// The costs of `year` of `service`, split under its own model and under
/// the others.
pub fn cost_sharing(
    service: &ServiceFacts,
    year: u16,
    reference: &ReferenceData,
) -> CostSharingView {
    let (costs, total) = costs_of(service, year);
    let own = model_for(service, year).0;
    let participations = service.intervals();
    let alternatives = alternative_models()
        .iter()
        .filter(|model| *model != own)
        .map(|model| split(model, year, total, &participations, reference))
        .collect();
    CostSharingView {
        service: service.id.clone(),
        year,
        costs,
        split: own_split(service, year, reference),
        alternatives,
    }
}

/// What `land` owes for `year` as of `day`: its share of every service
/// with costs of that year in effect, under the service's own model.
#[cfg(test)]
pub fn land_costs<'a>(
    land: LandCode,
    year: u16,
    day: Date,
    services: impl IntoIterator<Item = &'a ServiceFacts>,
    reference: &ReferenceData,
) -> LandCostsView {
    land_costs_with(land, year, day, services, |service| {
        let cut = super::settlement::as_of(service, day);
        Box::new(own_split(&cut, year, reference))
    })
}

/// The split of `service`'s costs of `year` under its own model (the one
/// [`land_costs`] takes each Land's share from).
pub fn own_split(service: &ServiceFacts, year: u16, reference: &ReferenceData) -> CostSplit {
    let (_, total) = costs_of(service, year);
    let participations = service.intervals();
    if let Some(closing) = closing_of(service, year) {
        let settled = &closing.settlement;
        let weights = settled.weights.iter().copied().collect();
        return split_weighted(
            &settled.model,
            settled.weights_source.clone(),
            year,
            total,
            &participations,
            &weights,
        );
    }
    split(
        model_for(service, year).0,
        year,
        total,
        &participations,
        reference,
    )
}

/// The closing of `year`, if the year is closed.
pub fn closing_of(service: &ServiceFacts, year: u16) -> Option<&ClosingFact> {
    service.closings.iter().find(|c| c.year == year)
}

/// The cost model in force for `year`: the one of the latest change
/// (announcement or details update) taking effect in that year or before,
/// the later ledger sequence breaking a tie; the announcement's when every
/// change is later. With it, the effective date of the change that last
/// set a different model (`None`: the model is the announcement's).
pub fn model_for(service: &ServiceFacts, year: u16) -> (&CostModel, Option<Date>) {
    let mut changes: Vec<(&At, &CostModel)> = service
        .detail_updates
        .iter()
        .filter(|(at, _)| at.effective.year() <= i32::from(year))
        .map(|(at, details)| (at, &details.cost_model))
        .collect();
    changes.sort_by_key(|(at, _)| (at.effective, at.seq));
    let mut model = &service.details.cost_model;
    let mut since = None;
    for (at, changed) in changes {
        if changed != model {
            model = changed;
            since = Some(at.effective);
        }
    }
    (model, since)
}

/// [`land_costs`], with the split of each service with costs in `year`
/// from `split_of` (which may have it at hand already, and must cut the
/// service's facts as of `day`).
pub fn land_costs_with<'a, S: std::ops::Deref<Target = CostSplit>>(
    land: LandCode,
    year: u16,
    day: Date,
    services: impl IntoIterator<Item = &'a ServiceFacts>,
    split_of: impl Fn(&ServiceFacts) -> S,
) -> LandCostsView {
    let mut lines = Vec::new();
    for service in services {
        // Only a Land taking part on a day of the year, with costs of the
        // year in effect on `day`, has a share: the others are passed over
        // before their split is looked up or made.
        if !super::settlement::has_costs_on(service, year, day)
            || !super::settlement::takes_part_in(service, land, year, day)
        {
            continue;
        }
        let split = split_of(service);
        if let Some(share) = split.shares.iter().find(|s| s.land == land) {
            lines.push(LandCostLine {
                service: service.id.clone(),
                // The title in effect on the day, not one set ahead.
                title: service.details_on(day).title.clone(),
                share: share.clone(),
                service_total: split.total,
            });
        }
    }
    let total = Cents(lines.iter().map(|line| line.share.cents.0).sum());
    LandCostsView {
        land,
        year,
        lines,
        total,
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::{CostCategory, CostReported, Event};

    use std::collections::BTreeMap;

    use super::*;
    use crate::testing::{Ledger, World, announce_by, land, service_id};

    /// Reference data keyed as the allocation expects, for tests.
    fn keys_only(year: u16, shares: &[(u8, u64)]) -> ReferenceData {
        let key: BTreeMap<LandCode, u64> = shares
            .iter()
            .map(|(code, w)| (crate::testing::land(*code), *w))
            .collect();
        ReferenceData {
            keys: BTreeMap::from([(year, key)]),
            populations: BTreeMap::new(),
        }
    }

    fn world(model: CostModel) -> World {
        let mut ledger = Ledger::default();
        let Event::ServiceAnnounced(mut announced) = announce_by("aaa-service", 1) else {
            unreachable!()
        };
        announced.cost_model = model;
        ledger.push("2019-12-01", Event::ServiceAnnounced(announced));
        ledger.push(
            "2023-07-01",
            Event::LandJoined {
                service: service_id("aaa-service"),
                land: land(16),
            },
        );
        for (cost_no, amount) in [(1, 60_000_000), (2, 40_000_000)] {
            ledger.push(
                "2024-01-15",
                Event::CostReported(CostReported {
                    service: service_id("aaa-service"),
                    cost_no,
                    year: 2023,
                    category: CostCategory::Operation,
                    amount: Cents(amount),
                    note: String::new(),
                }),
            );
        }
        World::replay(&ledger)
    }

    #[test]
    fn equal_shares_split_the_second_half_year() {
        let world = world(CostModel::EqualShares);
        let view = cost_sharing(
            world.service("aaa-service"),
            2023,
            &ReferenceData::default(),
        );
        assert_eq!(view.split.total, Cents(100_000_000));
        // 16 pays half of 184/365 of 1,000,000.00 EUR:
        // 100,000,000 * 184 / 730 = 25,205,479.45... cents.
        let th = &view.split.shares[1];
        assert_eq!(
            (th.land, th.days, th.cents),
            (land(16), 184, Cents(25_205_479))
        );
        assert_eq!(th.exact_cents.numerator, "1840000000");
        assert_eq!(th.exact_cents.denominator, "73");
        assert_eq!(view.split.shares[0].cents, Cents(74_794_521));
        assert_eq!(view.split.weights_source, "");
        let models: Vec<&CostModel> = view.alternatives.iter().map(|a| &a.model).collect();
        assert_eq!(
            models,
            [
                &CostModel::KoenigsteinerSchluessel { year: None },
                &CostModel::Population
            ]
        );
        assert!(view.alternatives.iter().all(|a| a.problem.is_some()));
        assert_eq!(view.alternatives[1].unallocated, Cents(100_000_000));
    }

    #[test]
    fn a_land_owes_its_rounded_share() {
        let world = world(CostModel::KoenigsteinerSchluessel { year: Some(2016) });
        let reference = keys_only(2016, &[(1, 339_074), (16, 269_470)]);
        let after = Date::parse("2024-01-15").unwrap();
        let owed = land_costs(land(16), 2023, after, &world.services, &reference);
        assert_eq!(owed.lines.len(), 1);
        assert_eq!(owed.total, owed.lines[0].share.cents);
        assert_eq!(owed.lines[0].service_total, Cents(100_000_000));
        assert_eq!(owed.total, Cents(22_322_529));
        let none = land_costs(land(5), 2023, after, &world.services, &reference);
        assert!(none.lines.is_empty());
        // Reported on 2024-01-15: the day before, there is nothing to owe
        // yet, and no line of 0,00.
        let before = Date::parse("2024-01-14").unwrap();
        let ahead = land_costs(land(16), 2023, before, &world.services, &reference);
        assert!(ahead.lines.is_empty(), "{ahead:?}");
        let split = &cost_sharing(world.service("aaa-service"), 2023, &reference).split;
        assert_eq!(split.weights_source, "Königsteiner Schlüssel 2016");
    }
}
