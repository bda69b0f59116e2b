//! Property test: once a year is closed, no sequence of later commands
//! changes its split (recomputed from the state the ledger keeps and the
//! cost lines recorded) except an explicit correction: a participation
//! correction (also one moving a Beitritt or Austritt), a cost correction,
//! or a cost reported late with its reason.

use std::collections::{BTreeMap, HashMap};

use efa_domain::allocation::{Interval, allocate};
use efa_domain::{Related, StreamState, decide, evolve, related_streams};
use efa_proto::*;
use proptest::prelude::*;

use crate::*;

const CLOSED: u16 = 2024;
const ACTORS: [&str; 5] = ["land:04", "land:16", "land:09", "land:05", "admin"];

/// The ledger as far as this test needs it: stream states and cost lines.
#[derive(Default)]
struct World {
    states: HashMap<StreamId, StreamState>,
    lines: BTreeMap<u32, (u16, i64)>,
}

impl World {
    fn run(&mut self, actor_text: &str, command: Command, effective: Date) -> Option<Vec<Event>> {
        let envelope = CommandEnvelope {
            command_id: CommandId([3; 16]),
            actor: actor(actor_text),
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
            match event {
                Event::CostReported(r) => {
                    self.lines.insert(r.cost_no, (r.year, r.amount.0));
                }
                Event::CostCorrected {
                    cost_no, amount, ..
                } => {
                    if let Some(line) = self.lines.get_mut(cost_no) {
                        line.1 = amount.0;
                    }
                }
                _ => {}
            }
        }
        self.states.insert(stream, next);
        Some(events)
    }

    fn year_of_line(&self, cost_no: u32) -> Option<u16> {
        self.lines.get(&cost_no).map(|(year, _)| *year)
    }

    /// The split of `year` as the views compute it: fixed weights, the
    /// participations the ledger holds, the lines' amounts.
    fn split(&self, year: u16) -> (Vec<(LandCode, Cents)>, Cents) {
        let StreamState::Service(service) = &self.states[&StreamId::Service(elterngeld())] else {
            panic!("the service exists");
        };
        let intervals: Vec<Interval> = service
            .participations
            .iter()
            .map(|p| Interval {
                land: p.land,
                joined: p.joined,
                left: p.left,
            })
            .collect();
        let total: i64 = self
            .lines
            .values()
            .filter(|(y, _)| *y == year)
            .map(|(_, a)| a)
            .sum();
        let allocation = allocate(Cents(total), i32::from(year), &intervals, &weights());
        (
            allocation
                .shares
                .iter()
                .map(|s| (s.land, s.cents))
                .collect(),
            allocation.unallocated,
        )
    }
}

fn weights() -> BTreeMap<LandCode, u64> {
    LandCode::all()
        .map(|l| (l, u64::from(u8::from(l)) % 4 + 1))
        .collect()
}

fn day(offset: u16) -> Date {
    // 2020-01-01 plus up to about six years: every year of the history.
    Date::try_from(date("2020-01-01").days_since_epoch() + i32::from(offset) % 2160).unwrap()
}

fn command(kind: u8, land_no: u8, amount: u32, cost_no: u8) -> Command {
    let service = elterngeld();
    let land = LandCode::new(land_no % 16 + 1).unwrap();
    match kind % 8 {
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
            year: 2023 + (cost_no % 3) as u16,
            category: CostCategory::Operation,
            amount: Cents(i64::from(amount % 1_000_000) + 1),
            note: if amount.is_multiple_of(3) {
                String::new()
            } else {
                "Nachmeldung".into()
            },
        }),
        4 => Command::CorrectCost(CorrectCost {
            service,
            cost_no: u32::from(cost_no % 6),
            amount: Cents(i64::from(amount % 1_000_000)),
            reason: "Gutschrift".into(),
        }),
        5 => Command::UpdateServiceDetails(UpdateServiceDetails {
            service,
            title: "Elterngeld digital".into(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Familie & Kind".into(),
            provider: "Dataport".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::EqualShares,
        }),
        6 => Command::RetireService(RetireService {
            service,
            reason: "abgelöst".into(),
        }),
        _ => Command::CloseYear(CloseYear {
            service,
            year: 2022 + (cost_no % 3) as u16,
            settlement: Settlement {
                model: CostModel::EqualShares,
                weights_source: String::new(),
                weights: vec![],
                total: Cents(0),
                shares: vec![],
                unallocated: Cents(0),
                cost_lines: vec![],
                based_on_seq: 1,
                based_on_hash: [0; 32],
            },
        }),
    }
}

/// Whether `event`, accepted, is an explicit correction touching `year`.
fn corrects(world: &World, event: &Event, effective: Date, year: u16) -> bool {
    match event {
        Event::ParticipationCorrected { .. } => effective.year() <= i32::from(year),
        // A moved Beitritt or Austritt touches every day between its old
        // date and its new one.
        Event::ParticipationMoved { from, .. } => (*from).min(effective).year() <= i32::from(year),
        Event::CostCorrected { cost_no, .. } => world.year_of_line(*cost_no) == Some(year),
        Event::CostReported(r) => r.year == year,
        _ => false,
    }
}

/// Bremen's service with Thüringen and Bayern, 2024's costs, 2024 closed
/// with the split as it stands.
fn closed_world() -> (World, Vec<(LandCode, Cents)>, Cents) {
    let mut world = World::default();
    let on = |text| date(text);
    let mut announce = announce_cmd("elterngeld-digital", "04");
    announce.cost_model = CostModel::EqualShares;
    world.run(
        "land:04",
        Command::AnnounceService(announce),
        on("2020-01-01"),
    );
    for (land_text, joined) in [("16", "2021-05-01"), ("09", "2024-03-01")] {
        let join = Command::JoinService(JoinService {
            service: elterngeld(),
            land: land(land_text),
        });
        world
            .run(&format!("land:{land_text}"), join, on(joined))
            .unwrap();
    }
    for amount in [12_345_678, 9_876_543] {
        let report = Command::ReportCost(ReportCost {
            service: elterngeld(),
            year: CLOSED,
            category: CostCategory::Operation,
            amount: Cents(amount),
            note: String::new(),
        });
        world.run("land:04", report, on("2025-01-15")).unwrap();
    }
    let (shares, unallocated) = world.split(CLOSED);
    let total = Cents(shares.iter().map(|(_, c)| c.0).sum::<i64>() + unallocated.0);
    let close = Command::CloseYear(CloseYear {
        service: elterngeld(),
        year: CLOSED,
        settlement: Settlement {
            model: CostModel::FixedShares { weights: vec![] },
            weights_source: String::new(),
            weights: weights().into_iter().collect(),
            total,
            shares: shares.clone(),
            unallocated,
            cost_lines: vec![1, 2],
            based_on_seq: 6,
            based_on_hash: [0; 32],
        },
    });
    world.run("land:04", close, on("2025-02-01")).unwrap();
    (world, shares, unallocated)
}

proptest! {
    #[test]
    fn a_closed_year_changes_only_through_an_explicit_correction(
        steps in proptest::collection::vec(
            (any::<u8>(), any::<u8>(), any::<u32>(), any::<u8>(), 0usize..5, any::<u16>()),
            1..60,
        )
    ) {
        let (mut world, settled, settled_rest) = closed_world();
        let mut corrected = false;
        for (kind, land_no, amount, cost_no, actor_index, offset) in steps {
            let effective = day(offset);
            let command = command(kind, land_no, amount, cost_no);
            let before = world.split(CLOSED);
            // The line's year before the event (a correction names a line).
            let is_correction = |world: &World, events: &[Event]| {
                events.iter().any(|e| corrects(world, e, effective, CLOSED))
            };
            let lines_before = World { states: HashMap::new(), lines: world.lines.clone() };
            if let Some(events) = world.run(ACTORS[actor_index], command, effective) {
                let explicit = is_correction(&lines_before, &events);
                corrected |= explicit;
                let after = world.split(CLOSED);
                if !explicit {
                    prop_assert_eq!(&after, &before, "{:?} changed the closed year", events);
                }
            }
            if !corrected {
                prop_assert_eq!(world.split(CLOSED), (settled.clone(), settled_rest));
            }
        }
    }
}
