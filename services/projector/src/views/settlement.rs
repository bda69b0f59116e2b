//! The yearly cost views a Land books from: a service's year "as of" a
//! date with the model in force, its closing and what changed since
//! (`cost_year`), and a Land's statement over every service it takes part
//! in (`statement`, the Kostenaufstellung). A closed year shows its settled
//! shares; an explicit correction recorded after the closing shows as a
//! supplement (Nachtrag): the share computed now minus the settled one.
//! Pure: the facts, the reference data and the ledger position come in.

use std::borrow::Cow;
use std::collections::BTreeMap;

use efa_domain::allocation::ReferenceData;
use efa_proto::statement::{
    ClosedLine, ClosingView, CorrectionLine, CostYearView, ModelInForce, StatementLine,
    StatementView, SupplementLine,
};
use efa_proto::views::{CostSplit, Exact, ShareLine};
use efa_proto::{Cents, CostModel, Date, Hash, LandCode, ParticipationChange};

use super::costs::{closing_of, cost_sharing, model_for};
use super::history::euros_de;
use crate::facts::{
    At, ClosingFact, CostLineFact, KeyFacts, ParticipationFact, PopulationFacts, ServiceFacts,
};

/// Where a view stands in the ledger: the last sequence and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub seq: u64,
    pub hash: Hash,
}

/// The service's facts as they stood in effect on `day`: changes taking
/// effect later are left out, and a participation that ends later is
/// still open.
pub fn as_of(service: &ServiceFacts, day: Date) -> ServiceFacts {
    // Only what is kept is copied: a service's later cost lines may be
    // many. Every field is named, so that a new one is cut or kept here
    // on purpose.
    let ServiceFacts {
        id,
        lead,
        announced,
        recorded_at,
        details,
        status,
        reifegrad,
        detail_updates,
        status_changes,
        assessments,
        retired,
        participations,
        costs,
        closings,
        participation_corrections,
        stream_version,
        event_seqs,
    } = service;
    let by_day = |at: &At| at.by(day);
    ServiceFacts {
        id: id.clone(),
        lead: *lead,
        announced: *announced,
        recorded_at: *recorded_at,
        details: details.clone(),
        status: *status,
        reifegrad: *reifegrad,
        detail_updates: kept(detail_updates, |(at, _)| by_day(at)),
        status_changes: status_changes.clone(),
        assessments: assessments.clone(),
        retired: retired.clone(),
        participations: participations
            .iter()
            .filter(|p| p.joined <= day)
            .map(|p| ParticipationFact {
                left: p.left.filter(|left| *left <= day),
                ..*p
            })
            .collect(),
        costs: costs_on(costs, day),
        closings: kept(closings, |c| by_day(&c.at)),
        participation_corrections: kept(participation_corrections, |c| by_day(&c.at)),
        stream_version: *stream_version,
        event_seqs: event_seqs.clone(),
    }
}

/// [`as_of`], without a copy when nothing of the service takes effect
/// after `day`.
pub fn facts_on(service: &ServiceFacts, day: Date) -> Cow<'_, ServiceFacts> {
    match cut_of(service, day) {
        Cut::Whole => Cow::Borrowed(service),
        Cut::Upto(_) => Cow::Owned(as_of(service, day)),
    }
}

/// The cost lines in effect on `day`, each with the corrections in effect
/// by then.
pub fn costs_on(costs: &[CostLineFact], day: Date) -> Vec<CostLineFact> {
    costs
        .iter()
        .filter(|line| line.at.by(day))
        .map(|line| {
            let mut line = line.clone();
            line.corrections.retain(|c| c.at.by(day));
            line
        })
        .collect()
}

/// The items of `list` that `keep` accepts, copied.
fn kept<T: Clone>(list: &[T], keep: impl Fn(&T) -> bool) -> Vec<T> {
    list.iter().filter(|item| keep(item)).cloned().collect()
}

/// Which cut of a service's facts `as_of` makes for a day. Every fact it
/// keeps or drops takes effect on a date (an effective date, a joining,
/// a leaving), and it keeps those on or before the day: two days between
/// which nothing takes effect give the same cut, and so the same split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cut {
    /// Nothing takes effect after the day: the facts as they are.
    Whole,
    /// The facts up to this date, the last on or before the day on which
    /// something took effect (`None`: the day is before all of them).
    Upto(Option<Date>),
}

/// The cut of the reference data (allocation keys, population figures)
/// in effect on `day`: those published to take effect on or before it.
/// Each key year and reference date is published once, so a cut is the
/// set of publications in effect.
pub fn reference_cut(keys: &[KeyFacts], populations: &[PopulationFacts], day: Date) -> Cut {
    let dates = (keys.iter().map(|key| key.at.effective))
        .chain(populations.iter().map(|figures| figures.at.effective));
    cut_by(dates, day)
}

/// The cut `as_of(service, day)` makes.
pub fn cut_of(service: &ServiceFacts, day: Date) -> Cut {
    let dates = service
        .detail_updates
        .iter()
        .map(|(at, _)| at.effective)
        .chain(
            service
                .participations
                .iter()
                .flat_map(|p| std::iter::once(p.joined).chain(p.left)),
        )
        .chain(service.costs.iter().flat_map(|line| {
            std::iter::once(line.at.effective)
                .chain(line.corrections.iter().map(|c| c.at.effective))
        }))
        .chain(service.closings.iter().map(|c| c.at.effective))
        .chain(
            service
                .participation_corrections
                .iter()
                .map(|c| c.at.effective),
        );
    cut_by(dates, day)
}

/// The cut on `day` of facts taking effect on `dates`.
fn cut_by(dates: impl Iterator<Item = Date>, day: Date) -> Cut {
    let (mut last, mut later) = (None, false);
    for date in dates {
        if date <= day {
            last = last.max(Some(date));
        } else {
            later = true;
        }
    }
    if later { Cut::Upto(last) } else { Cut::Whole }
}

/// Whether `land` takes part in `service` on any day of `year`, as far
/// as it is in effect on `day` (a joining after `day` does not count yet,
/// nor does a leaving after it).
pub fn takes_part_in(service: &ServiceFacts, land: LandCode, year: u16, day: Date) -> bool {
    let (Ok(first), Ok(next)) = (
        Date::from_ymd(i32::from(year), 1, 1),
        Date::from_ymd(i32::from(year) + 1, 1, 1),
    ) else {
        return false;
    };
    service.participations.iter().any(|p| {
        let left = p.left.filter(|left| *left <= day);
        p.land == land && p.joined <= day && p.joined < next && left.is_none_or(|l| l > first)
    })
}

/// Whether `service` has a cost line of `year` in effect on `day`.
pub fn has_costs_on(service: &ServiceFacts, year: u16, day: Date) -> bool {
    service
        .costs
        .iter()
        .any(|line| line.year == year && line.at.by(day))
}

/// The model in force for `year`, with the key year the split used.
pub fn model_in_force(service: &ServiceFacts, year: u16, split: &CostSplit) -> ModelInForce {
    let (model, since) = match closing_of(service, year) {
        Some(closing) => (&closing.settlement.model, model_for(service, year).1),
        None => model_for(service, year),
    };
    let key_year = match model {
        CostModel::KoenigsteinerSchluessel { .. } => split
            .weights_source
            .rsplit(' ')
            .next()
            .and_then(|y| y.parse().ok()),
        _ => None,
    };
    ModelInForce {
        model: model.clone(),
        since,
        key_year,
    }
}

/// The explicit corrections touching `year` recorded after its closing.
pub fn corrections_since(service: &ServiceFacts, closing: &ClosingFact) -> Vec<CorrectionLine> {
    let year = closing.year;
    let after = closing.at.seq;
    let mut lines = Vec::new();
    for line in service.costs.iter().filter(|l| l.year == year) {
        if line.at.seq > after {
            lines.push(CorrectionLine {
                seq: line.at.seq,
                effective: line.at.effective,
                what_de: format!(
                    "Position {} nachgemeldet: {}",
                    line.cost_no,
                    euros_de(line.reported)
                ),
                reason: line.note.clone(),
            });
        }
        for correction in line.corrections.iter().filter(|c| c.at.seq > after) {
            let before = service
                .cost_before(line.cost_no, correction.at.seq)
                .unwrap_or(line.reported);
            lines.push(CorrectionLine {
                seq: correction.at.seq,
                effective: correction.at.effective,
                what_de: format!(
                    "Position {} berichtigt von {} auf {}",
                    line.cost_no,
                    euros_de(before),
                    euros_de(correction.amount)
                ),
                reason: correction.reason.clone(),
            });
        }
    }
    for correction in service
        .participation_corrections
        .iter()
        .filter(|c| c.at.seq > after && c.touches_from().year() <= i32::from(year))
    {
        let what = match correction.change {
            ParticipationChange::Join => "Beitritt",
            ParticipationChange::Leave => "Austritt",
        };
        // An Austritt is the first day without the Land: "wirksam ab"
        // says so, where "zum" would read as the last day taking part.
        let previous = correction
            .previous
            .map(|previous| format!(" (bisher wirksam ab {})", previous.de()))
            .unwrap_or_default();
        lines.push(CorrectionLine {
            seq: correction.at.seq,
            effective: correction.at.effective,
            what_de: format!(
                "{what} von {} wirksam ab {}{previous}",
                correction.land.name(),
                correction.at.effective.de()
            ),
            reason: correction.reason.clone(),
        });
    }
    lines.sort_by_key(|line| line.seq);
    lines
}

/// Every Land whose share now differs from its settled share.
pub fn supplements(closing: &ClosingFact, now: &CostSplit) -> Vec<SupplementLine> {
    let mut both: BTreeMap<LandCode, (Cents, Cents)> = BTreeMap::new();
    for (land, cents) in &closing.settlement.shares {
        both.entry(*land).or_default().0 = *cents;
    }
    for share in &now.shares {
        both.entry(share.land).or_default().1 = share.cents;
    }
    both.into_iter()
        .filter(|(_, (settled, now))| settled != now)
        .map(|(land, (settled, now))| SupplementLine {
            land,
            settled,
            now,
            difference: Cents(now.0 - settled.0),
        })
        .collect()
}

/// A service's costs of `year` as of `day` (the facts already cut).
pub fn cost_year(
    service: &ServiceFacts,
    year: u16,
    reference: &ReferenceData,
    day: Date,
    position: Position,
) -> CostYearView {
    let sharing = cost_sharing(service, year, reference);
    let model = model_in_force(service, year, &sharing.split);
    let weights = match closing_of(service, year) {
        Some(closing) => closing.settlement.weights.clone(),
        None => efa_domain::allocation::weights_for(&model.model, year, reference)
            .map(|(weights, _)| weights.into_iter().collect())
            .unwrap_or_default(),
    };
    let closing = closing_of(service, year).map(|closing| ClosingView {
        settlement: closing.settlement.clone(),
        seq: closing.at.seq,
        recorded_at: closing.recorded_at,
        closed_by: closing.actor.clone(),
        supplements: supplements(closing, &sharing.split),
        corrections: corrections_since(service, closing),
    });
    CostYearView {
        sharing,
        model,
        weights,
        closing,
        as_of: day,
        seq: position.seq,
        chain_hash: position.hash,
    }
}

/// The Land's weight in percent with five decimals: a Königsteiner value
/// as published (units of 1/100,000 percent), any other weight relative to
/// the weights of the Länder in the split.
pub fn weight_percent(model: &CostModel, weight: u64, split: &CostSplit) -> String {
    efa_proto::statement::weight_percent(
        model,
        weight,
        efa_proto::statement::weights_sum(&split.shares),
    )
}

fn no_share(land: LandCode) -> ShareLine {
    let zero = || Exact {
        numerator: "0".into(),
        denominator: "1".into(),
    };
    ShareLine {
        land,
        weight: 0,
        days: 0,
        exact_cents: zero(),
        fraction: zero(),
        cents: Cents(0),
    }
}

/// One service's line of `land`'s statement, if the Land has a share or a
/// settled share in `year` (the facts already cut, `split` their split).
pub fn statement_line(
    service: &ServiceFacts,
    land: LandCode,
    year: u16,
    split: &CostSplit,
) -> Option<StatementLine> {
    let closing = closing_of(service, year);
    let settled = closing.and_then(|c| {
        c.settlement
            .shares
            .iter()
            .find(|(l, _)| *l == land)
            .map(|(_, cents)| *cents)
    });
    let share = split.shares.iter().find(|s| s.land == land).cloned();
    if share.is_none() && settled.is_none() {
        return None;
    }
    let share = share.unwrap_or_else(|| no_share(land));
    let model = model_in_force(service, year, split);
    Some(StatementLine {
        service: service.id.clone(),
        title: service.current_details().title.clone(),
        lead: service.lead,
        weight_percent: weight_percent(&model.model, share.weight, split),
        model,
        weights_source: split.weights_source.clone(),
        service_total: split.total,
        closed: closing.map(|c| {
            let settled = settled.unwrap_or(Cents(0));
            ClosedLine {
                settled,
                supplement: Cents(share.cents.0 - settled.0),
                closed_seq: c.at.seq,
                based_on_seq: c.settlement.based_on_seq,
                based_on_hash: c.settlement.based_on_hash,
            }
        }),
        corrections: closing.map_or_else(Vec::new, |c| corrections_since(service, c)),
        share,
    })
}

/// `land`'s statement of `year` from its lines.
pub fn statement(
    land: LandCode,
    year: u16,
    mut lines: Vec<StatementLine>,
    day: Date,
    position: Position,
) -> StatementView {
    lines.sort_by(|a, b| a.service.cmp(&b.service));
    let total = Cents(
        lines
            .iter()
            .map(|l| l.closed.as_ref().map_or(l.share.cents, |c| c.settled).0)
            .sum(),
    );
    let supplements = Cents(
        lines
            .iter()
            .filter_map(|l| l.closed.as_ref())
            .map(|c| c.supplement.0)
            .sum(),
    );
    StatementView {
        land,
        year,
        lines,
        total,
        supplements,
        as_of: day,
        seq: position.seq,
        chain_hash: position.hash,
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::{CostCategory, CostReported, Event, Settlement};

    use super::*;
    use crate::testing::{Ledger, World, announce_by, date, land, model_changed, service_id};
    use crate::views::costs::{own_split, reference_data};

    const AT: Position = Position {
        seq: 0,
        hash: [0; 32],
    };

    fn sid() -> efa_proto::ServiceId {
        service_id("aaa-service")
    }

    /// Schleswig-Holstein's service under the Königsteiner Schlüssel of
    /// each cost's year; Thüringen in from 2023-07-01; 2023 costs 1,000,000.00 EUR.
    fn ledger() -> Ledger {
        let mut ledger = Ledger::default();
        let Event::ServiceAnnounced(mut announced) = announce_by("aaa-service", 1) else {
            unreachable!()
        };
        announced.cost_model = CostModel::KoenigsteinerSchluessel { year: None };
        ledger.push("2019-12-01", Event::ServiceAnnounced(announced));
        ledger.push(
            "2019-12-01",
            Event::AllocationKeyPublished {
                year: 2022,
                shares: vec![(land(1), 339_074), (land(16), 269_470)],
            },
        );
        ledger.push(
            "2023-07-01",
            Event::LandJoined {
                service: sid(),
                land: land(16),
            },
        );
        ledger.push(
            "2024-01-15",
            Event::CostReported(CostReported {
                service: sid(),
                cost_no: 1,
                year: 2023,
                category: CostCategory::Operation,
                amount: efa_proto::Cents(100_000_000),
                note: String::new(),
            }),
        );
        ledger
    }

    fn reference(world: &World) -> ReferenceData {
        reference_data(&world.keys, &world.populations)
    }

    /// Closes 2023 with the split as it stands.
    fn close_2023(ledger: &mut Ledger) -> Settlement {
        let world = World::replay(ledger);
        let split = own_split(world.service("aaa-service"), 2023, &reference(&world));
        let weights = efa_domain::allocation::weights_for(
            &CostModel::KoenigsteinerSchluessel { year: None },
            2023,
            &reference(&world),
        )
        .unwrap()
        .0;
        let settlement = Settlement {
            model: split.model.clone(),
            weights_source: split.weights_source.clone(),
            weights: weights.into_iter().collect(),
            total: split.total,
            shares: split.shares.iter().map(|s| (s.land, s.cents)).collect(),
            unallocated: split.unallocated,
            cost_lines: vec![1],
            based_on_seq: 4,
            based_on_hash: ledger.events()[3].hash,
        };
        ledger.push(
            "2024-02-01",
            Event::YearClosed {
                service: sid(),
                year: 2023,
                settlement: settlement.clone(),
            },
        );
        settlement
    }

    fn shares(split: &CostSplit) -> Vec<(LandCode, Cents)> {
        split.shares.iter().map(|s| (s.land, s.cents)).collect()
    }

    #[test]
    fn a_model_applies_from_the_year_of_its_effective_date_on() {
        let mut ledger = ledger();
        let before = World::replay(&ledger);
        let split_2023 = own_split(before.service("aaa-service"), 2023, &reference(&before));
        ledger.push(
            "2026-06-01",
            model_changed("aaa-service", CostModel::EqualShares),
        );
        let world = World::replay(&ledger);
        let service = world.service("aaa-service");
        // 2023 keeps the Königsteiner split; 2026 is split equally.
        assert_eq!(own_split(service, 2023, &reference(&world)), split_2023);
        assert_eq!(
            model_for(service, 2023),
            (&CostModel::KoenigsteinerSchluessel { year: None }, None)
        );
        assert_eq!(
            model_for(service, 2026),
            (&CostModel::EqualShares, Some(date("2026-06-01")))
        );
        let view = cost_year(service, 2023, &reference(&world), date("2026-07-01"), AT);
        assert_eq!(view.model.key_year, Some(2022));
        assert_eq!(
            view.sharing.split.weights_source,
            "Königsteiner Schlüssel 2022"
        );
    }

    #[test]
    fn a_key_published_after_the_closing_does_not_resplit_the_year() {
        let mut ledger = ledger();
        let settled = close_2023(&mut ledger);
        ledger.push(
            "2024-03-01",
            Event::AllocationKeyPublished {
                year: 2023,
                shares: vec![(land(1), 100_000), (land(16), 900_000)],
            },
        );
        let world = World::replay(&ledger);
        let service = world.service("aaa-service");
        let split = own_split(service, 2023, &reference(&world));
        assert_eq!(shares(&split), settled.shares);
        let view = cost_year(service, 2023, &reference(&world), date("2024-03-01"), AT);
        let closing = view.closing.unwrap();
        assert!(closing.supplements.is_empty());
        assert!(closing.corrections.is_empty());
    }

    #[test]
    fn a_beitritt_moved_out_of_a_closed_year_is_listed_there_with_its_old_date() {
        let mut ledger = ledger();
        close_2023(&mut ledger);
        // Thüringen's Beitritt, recorded for 2023-07-01, really was on
        // 2024-01-01: the correction takes effect in 2024 and still
        // changes the closed year 2023.
        ledger.push(
            "2024-01-01",
            Event::ParticipationMoved {
                service: sid(),
                land: land(16),
                change: ParticipationChange::Join,
                from: date("2023-07-01"),
                reason: "Vertrag erst zum Jahreswechsel".into(),
            },
        );
        let world = World::replay(&ledger);
        let service = world.service("aaa-service");
        let lands: Vec<_> = service
            .participations
            .iter()
            .map(|p| (p.land, p.joined, p.left))
            .collect();
        assert_eq!(
            lands,
            vec![
                (land(1), date("2019-12-01"), None),
                (land(16), date("2024-01-01"), None)
            ]
        );
        let now = own_split(service, 2023, &reference(&world));
        assert_eq!(
            shares(&now),
            vec![(land(1), Cents(100_000_000))],
            "Schleswig-Holstein alone carries 2023"
        );
        let closing = cost_year(service, 2023, &reference(&world), date("2024-03-01"), AT)
            .closing
            .unwrap();
        let what: Vec<&str> = closing
            .corrections
            .iter()
            .map(|c| c.what_de.as_str())
            .collect();
        assert_eq!(
            what,
            ["Beitritt von Thüringen wirksam ab 01.01.2024 (bisher wirksam ab 01.07.2023)"]
        );
        let thueringen = closing
            .supplements
            .iter()
            .find(|line| line.land == land(16))
            .unwrap();
        assert_eq!(thueringen.now, Cents(0));
        assert_eq!(thueringen.difference, Cents(-thueringen.settled.0));
    }

    #[test]
    fn a_correction_after_the_closing_shows_as_a_supplement_of_the_difference() {
        let mut ledger = ledger();
        let settled = close_2023(&mut ledger);
        ledger.push(
            "2023-10-01",
            Event::ParticipationCorrected {
                service: sid(),
                land: land(16),
                change: ParticipationChange::Leave,
                reason: "Austritt laut Vertrag zum 1.10.".into(),
            },
        );
        let world = World::replay(&ledger);
        let service = world.service("aaa-service");
        let now = own_split(service, 2023, &reference(&world));
        let closing = cost_year(service, 2023, &reference(&world), date("2024-03-01"), AT)
            .closing
            .unwrap();
        assert_eq!(closing.corrections.len(), 1);
        assert!(
            closing.corrections[0]
                .what_de
                .starts_with("Austritt von Thüringen")
        );
        for line in &closing.supplements {
            let was = settled
                .shares
                .iter()
                .find(|(l, _)| *l == line.land)
                .unwrap()
                .1;
            let is = now
                .shares
                .iter()
                .find(|s| s.land == line.land)
                .unwrap()
                .cents;
            assert_eq!((line.settled, line.now), (was, is));
            assert_eq!(line.difference, Cents(is.0 - was.0));
        }
        // The amount did not change: what Thüringen pays less, the lead pays more.
        let sum: i64 = closing.supplements.iter().map(|s| s.difference.0).sum();
        assert_eq!(sum, 0);
        assert!(
            closing
                .supplements
                .iter()
                .any(|s| s.land == land(16) && s.difference.0 < 0)
        );
        // Thüringen's statement: settled share plus the (negative) supplement.
        let line = statement_line(service, land(16), 2023, &now).unwrap();
        let closed = line.closed.unwrap();
        assert_eq!(closed.settled.0 + closed.supplement.0, line.share.cents.0);
        assert_eq!(line.corrections.len(), 1);
    }

    #[test]
    fn as_of_a_date_before_a_beitritt_the_land_has_no_share() {
        let world = World::replay(&ledger());
        let service = world.service("aaa-service");
        let early = as_of(service, date("2023-06-30"));
        let split = own_split(&early, 2023, &reference(&world));
        assert!(split.shares.iter().all(|s| s.land != land(16)));
        // Costs recorded later are not known as of that date either.
        assert_eq!(split.total, Cents(0));
        let later = as_of(service, date("2024-01-15"));
        let split = own_split(&later, 2023, &reference(&world));
        let line = statement_line(&later, land(16), 2023, &split).unwrap();
        assert_eq!(line.weight_percent, "2.69470");
        assert_eq!(line.model.key_year, Some(2022));
        assert!(line.closed.is_none());
    }

    #[test]
    fn weights_other_than_the_key_are_shown_relative_to_the_split() {
        let world = World::replay(&ledger());
        let mut split = own_split(world.service("aaa-service"), 2023, &reference(&world));
        for share in &mut split.shares {
            share.weight = 1;
        }
        assert_eq!(
            weight_percent(&CostModel::EqualShares, 1, &split),
            "50.00000"
        );
        split.shares[0].weight = 2;
        assert_eq!(
            weight_percent(&CostModel::EqualShares, 1, &split),
            "33.33333"
        );
        assert_eq!(
            weight_percent(&CostModel::EqualShares, 2, &split),
            "66.66667"
        );
    }
}

/// Property test: random commands, decided by the domain as the ledger
/// would, then projected. Until an explicit correction is recorded, the
/// closed year's split equals the settled one and shows no supplement;
/// afterwards each Land's supplement is its share now minus its settled
/// share, to the cent, and every correction is listed.
#[cfg(test)]
mod properties {
    use std::collections::{BTreeMap, HashMap};

    use efa_domain::allocation::ReferenceData;
    use efa_domain::{Ctx, Related, StreamState, decide, evolve, related_streams};
    use efa_proto::{
        Actor, AnnounceService, Cents, Channel, CloseYear, Command, CommandEnvelope, CommandId,
        CorrectCost, CorrectParticipation, CostCategory, CostModel, Date, Event, JoinService,
        LandCode, LeaveService, ParticipationChange, Reifegrad, ReportCost, ServiceStatus,
        Settlement, StreamId, Timestamp,
    };
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{Ledger, World, service_id};
    use crate::views::costs::own_split;

    const CLOSED: u16 = 2024;
    const ACTORS: [&str; 4] = ["land:01", "land:16", "land:09", "admin"];

    /// 2025-11-30, as the domain's tests use.
    fn ctx() -> Ctx {
        Ctx {
            now: Timestamp::from_micros(1_764_460_800_000_000),
        }
    }

    #[derive(Default)]
    struct Registry {
        states: HashMap<StreamId, StreamState>,
        ledger: Ledger,
        line_years: BTreeMap<u32, u16>,
    }

    impl Registry {
        fn run(&mut self, actor: &str, command: Command, effective: Date) -> Option<Vec<Event>> {
            let envelope = CommandEnvelope {
                command_id: CommandId([5; 16]),
                actor: Actor::parse(actor).unwrap(),
                expected_version: None,
                effective: Some(effective),
                command,
            };
            let stream = envelope.command.stream();
            let state = self.states.get(&stream).cloned().unwrap_or_default();
            let related = related_streams(&envelope)
                .into_iter()
                .map(|id| {
                    let s = self.states.get(&id).cloned().unwrap_or_default();
                    (id, s)
                })
                .collect();
            let events = decide(&state, &Related::new(related), &envelope, &ctx()).ok()?;
            let mut next = state;
            for event in &events {
                next = evolve(next, event, effective);
                if let Event::CostReported(r) = event {
                    self.line_years.insert(r.cost_no, r.year);
                }
                self.ledger
                    .push_dated(effective, ctx().now.date(), event.clone());
            }
            self.states.insert(stream, next);
            Some(events)
        }

        fn service(&self) -> crate::facts::ServiceFacts {
            World::replay(&self.ledger).service("aaa-service").clone()
        }
    }

    fn model() -> CostModel {
        CostModel::FixedShares {
            weights: vec![
                (LandCode::new(1).unwrap(), 5),
                (LandCode::new(9).unwrap(), 3),
                (LandCode::new(16).unwrap(), 2),
                (LandCode::new(5).unwrap(), 7),
            ],
        }
    }

    fn on(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// The service, Thüringen and Bayern in, 2024's costs, 2024 closed
    /// with the split the views show; the settled shares.
    fn closed_registry() -> (Registry, Vec<(LandCode, Cents)>) {
        let mut registry = Registry::default();
        let announce = AnnounceService {
            service: service_id("aaa-service"),
            title: "Leistung".into(),
            lead: LandCode::new(1).unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Familie".into(),
            provider: "Dataport".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: model(),
            status: ServiceStatus::Available,
            reifegrad: Reifegrad::new(2).unwrap(),
        };
        registry
            .run(
                "land:01",
                Command::AnnounceService(announce),
                on("2020-01-01"),
            )
            .unwrap();
        for (code, day) in [(16, "2021-05-01"), (9, "2024-03-01")] {
            let join = Command::JoinService(JoinService {
                service: service_id("aaa-service"),
                land: LandCode::new(code).unwrap(),
            });
            registry
                .run(&format!("land:{code:02}"), join, on(day))
                .unwrap();
        }
        for amount in [12_345_678, 9_876_543] {
            let report = Command::ReportCost(ReportCost {
                service: service_id("aaa-service"),
                year: CLOSED,
                category: CostCategory::Operation,
                amount: Cents(amount),
                note: String::new(),
            });
            registry.run("land:01", report, on("2025-01-15")).unwrap();
        }
        let split = own_split(&registry.service(), CLOSED, &ReferenceData::default());
        let shares: Vec<(LandCode, Cents)> =
            split.shares.iter().map(|s| (s.land, s.cents)).collect();
        let close = Command::CloseYear(CloseYear {
            service: service_id("aaa-service"),
            year: CLOSED,
            settlement: Settlement {
                model: model(),
                weights_source: split.weights_source.clone(),
                weights: efa_domain::allocation::weights_for(
                    &model(),
                    CLOSED,
                    &ReferenceData::default(),
                )
                .unwrap()
                .0
                .into_iter()
                .collect(),
                total: split.total,
                shares: shares.clone(),
                unallocated: split.unallocated,
                cost_lines: vec![1, 2],
                based_on_seq: 5,
                based_on_hash: [0; 32],
            },
        });
        registry.run("admin", close, on("2025-02-01")).unwrap();
        (registry, shares)
    }

    fn command(kind: u8, land_no: u8, amount: u32, cost_no: u8) -> Command {
        let service = service_id("aaa-service");
        let land = LandCode::new(land_no % 16 + 1).unwrap();
        match kind % 6 {
            0 => Command::JoinService(JoinService { service, land }),
            1 => Command::LeaveService(LeaveService { service, land }),
            2 => Command::CorrectParticipation(CorrectParticipation {
                service,
                land,
                change: if amount.is_multiple_of(2) {
                    ParticipationChange::Join
                } else {
                    ParticipationChange::Leave
                },
                reason: "Berichtigung".into(),
            }),
            3 => Command::ReportCost(ReportCost {
                service,
                year: 2023 + u16::from(cost_no % 3),
                category: CostCategory::Operation,
                amount: Cents(i64::from(amount % 1_000_000) + 1),
                note: "Nachmeldung".into(),
            }),
            _ => Command::CorrectCost(CorrectCost {
                service,
                cost_no: u32::from(cost_no % 6),
                amount: Cents(i64::from(amount % 1_000_000)),
                reason: "Gutschrift".into(),
            }),
        }
    }

    fn touches_closed_year(registry: &Registry, event: &Event, effective: Date) -> bool {
        match event {
            Event::ParticipationCorrected { .. } => effective.year() <= i32::from(CLOSED),
            // A moved Beitritt or Austritt touches every day from the
            // earlier of its old and new dates.
            Event::ParticipationMoved { from, .. } => {
                (*from).min(effective).year() <= i32::from(CLOSED)
            }
            Event::CostCorrected { cost_no, .. } => {
                registry.line_years.get(cost_no) == Some(&CLOSED)
            }
            Event::CostReported(r) => r.year == CLOSED,
            _ => false,
        }
    }

    /// Random commands: kind, Land, amount, cost number, actor, and the
    /// day they take effect (from 2020 on).
    fn steps() -> impl Strategy<Value = Vec<(u8, u8, u32, u8, usize, i32)>> {
        proptest::collection::vec(
            (
                any::<u8>(),
                any::<u8>(),
                any::<u32>(),
                any::<u8>(),
                0usize..4,
                0i32..2160,
            ),
            1..40,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn days_with_the_same_cut_see_the_same_facts(steps in steps()) {
            let (mut registry, _) = closed_registry();
            for (kind, land_no, amount, cost_no, actor, offset) in steps {
                let effective = Date::try_from(on("2020-01-01").days_since_epoch() + offset).unwrap();
                registry.run(ACTORS[actor], command(kind, land_no, amount, cost_no), effective);
            }
            let service = registry.service();
            let mut seen: HashMap<Cut, ServiceFacts> = HashMap::new();
            for offset in 0..3300 {
                let day = Date::try_from(on("2019-01-01").days_since_epoch() + offset).unwrap();
                let facts = as_of(&service, day);
                match cut_of(&service, day) {
                    Cut::Whole => prop_assert_eq!(&facts, &service, "{}", day),
                    cut => match seen.get(&cut) {
                        Some(before) => prop_assert_eq!(before, &facts, "{}", day),
                        None => {
                            seen.insert(cut, facts);
                        }
                    },
                }
            }
        }

        #[test]
        fn a_closed_year_shows_a_supplement_only_for_explicit_corrections(steps in steps()) {
            let (mut registry, settled) = closed_registry();
            let mut corrections = 0;
            for (kind, land_no, amount, cost_no, actor, offset) in steps {
                let effective = Date::try_from(on("2020-01-01").days_since_epoch() + offset).unwrap();
                let command = command(kind, land_no, amount, cost_no);
                if let Some(events) = registry.run(ACTORS[actor], command, effective) {
                    corrections += events
                        .iter()
                        .filter(|e| touches_closed_year(&registry, e, effective))
                        .count();
                }
                let service = registry.service();
                let view = cost_year(&service, CLOSED, &ReferenceData::default(), ctx().now.date(), Position { seq: 0, hash: [0; 32] });
                let closing = view.closing.expect("the year is closed");
                let now: BTreeMap<LandCode, Cents> = view.sharing.split.shares.iter().map(|s| (s.land, s.cents)).collect();
                prop_assert_eq!(closing.corrections.len(), corrections);
                if corrections == 0 {
                    prop_assert!(closing.supplements.is_empty(), "{:?}", closing.supplements);
                    prop_assert_eq!(now.into_iter().collect::<Vec<_>>(), settled.clone());
                } else {
                    for line in &closing.supplements {
                        let was = settled.iter().find(|(l, _)| *l == line.land).map_or(Cents(0), |(_, c)| *c);
                        let is = now.get(&line.land).copied().unwrap_or(Cents(0));
                        prop_assert_eq!((line.settled, line.now), (was, is));
                        prop_assert_eq!(line.difference.0, is.0 - was.0);
                    }
                    // A Land without a supplement pays what was settled.
                    for (land, was) in &settled {
                        if closing.supplements.iter().all(|s| s.land != *land) {
                            prop_assert_eq!(now.get(land).copied().unwrap_or(Cents(0)), *was);
                        }
                    }
                }
            }
        }
    }
}
