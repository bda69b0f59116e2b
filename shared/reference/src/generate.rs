//! A Germany-scale synthetic history for benchmarks: the 16 Länder with a
//! realistic spread of about 11,000 municipalities, 600 services announced
//! by random lead Länder, Beitritte, the lead Länder's yearly cost reports
//! split by the published Königsteiner Schlüssel, and full adoption
//! lifecycles, until a target number of events is reached. Reproducible: the same seed gives
//! the same commands with the same ids, in the same order.

use efa_proto::{
    Actor, AdoptionStage, Ags, AnnounceService, Cents, Channel, Command, CommandEnvelope,
    CommandId, CostCategory, CostModel, Date, JoinService, KreisKey, LandCode, Population,
    PublishAllocationKey, RecordAdoptionStep, RegisterGemeinde, RegisterKreis, Reifegrad,
    ReportCost, RequestAdoption, ServiceId, ServiceStatus, WithdrawAdoption,
};
use sha2::{Digest, Sha256};

use crate::tables;

/// Municipalities per Land, roughly as in Germany (sums to 10,862);
/// scaled up to the requested total.
const MUNICIPALITIES: [u32; 16] = [
    1106, 1, 941, 2, 396, 421, 2301, 1101, 2056, 52, 1, 413, 726, 418, 218, 709,
];
/// Municipalities per Kreis in the generated keys.
const PER_KREIS: u32 = 150;

/// xorshift64*: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The shape of the history to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub seed: u64,
    pub municipalities: u32,
    pub services: u32,
    /// Stop adding adoptions once about this many events are planned.
    pub events: u64,
}

/// Produces the commands in batches; see `Generator::next_batch`.
#[derive(Debug)]
pub struct Generator {
    shape: Shape,
    rng: Rng,
    counter: u64,
    planned: u64,
    gemeinden: Vec<Ags>,
    /// Per service: lead, announced day, and per Land the day it joins.
    services: Vec<(ServiceId, LandCode, i32, [Option<i32>; 16])>,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Kreise,
    Keys,
    Gemeinden(usize),
    Services(usize),
    Adoptions { gemeinde: usize, round: u32 },
    Done,
}

fn day(text: &str) -> i32 {
    Date::parse(text).expect("a valid date").days_since_epoch()
}

fn date_of(days: i32) -> Date {
    Date::try_from(days).expect("generated dates stay in range")
}

impl Generator {
    pub fn new(shape: Shape) -> Self {
        let mut rng = Rng(shape.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let scale = f64::from(shape.municipalities) / f64::from(MUNICIPALITIES.iter().sum::<u32>());
        let mut gemeinden = Vec::new();
        for (index, count) in MUNICIPALITIES.iter().enumerate() {
            let land = index as u32 + 1;
            let count = ((f64::from(*count) * scale).round() as u32).max(1);
            for j in 0..count {
                let ags = land * 1_000_000 + (j / PER_KREIS + 1) * 1_000 + j % PER_KREIS + 1;
                gemeinden.push(Ags::try_from(ags).expect("generated AGS are valid"));
            }
        }
        let services = (0..shape.services)
            .map(|i| Self::service(&mut rng, i))
            .collect();
        Self {
            shape,
            rng,
            counter: 0,
            planned: 0,
            gemeinden,
            services,
            phase: Phase::Kreise,
        }
    }

    fn service(rng: &mut Rng, index: u32) -> (ServiceId, LandCode, i32, [Option<i32>; 16]) {
        let id = ServiceId::parse(&format!("leistung-{index:04}")).expect("a valid slug");
        let lead = LandCode::new(rng.below(16) as u8 + 1).expect("1-16 is a Land");
        let announced = day("2019-01-01") + rng.below(5 * 365) as i32;
        let mut joins = [None; 16];
        for (i, join) in joins.iter_mut().enumerate() {
            if i as u8 + 1 == lead.get() {
                *join = Some(announced);
            } else if rng.chance(55) {
                *join = Some(announced + rng.below(700) as i32);
            }
        }
        (id, lead, announced, joins)
    }

    fn envelope(
        &mut self,
        actor: Actor,
        effective: Option<i32>,
        command: Command,
    ) -> CommandEnvelope {
        self.counter += 1;
        self.planned += 1;
        let digest = Sha256::digest(format!("efa generate {} {}", self.shape.seed, self.counter));
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        CommandEnvelope {
            command_id: CommandId(id),
            actor,
            expected_version: None,
            effective: effective.map(date_of),
            command,
        }
    }

    /// The next batch of at most `len` commands; empty when done.
    pub fn next_batch(&mut self, len: usize) -> Vec<CommandEnvelope> {
        let mut batch = Vec::with_capacity(len);
        while batch.len() < len && self.phase != Phase::Done {
            self.step(&mut batch);
        }
        batch
    }

    fn step(&mut self, batch: &mut Vec<CommandEnvelope>) {
        match self.phase {
            Phase::Kreise => {
                let mut kreise: Vec<KreisKey> = self.gemeinden.iter().map(|a| a.kreis()).collect();
                kreise.dedup();
                for key in kreise {
                    let command = Command::RegisterKreis(RegisterKreis {
                        key,
                        name: format!("Kreis {key}"),
                        population: None,
                    });
                    let envelope = self.envelope(Actor::Admin, None, command);
                    batch.push(envelope);
                }
                self.phase = Phase::Keys;
            }
            Phase::Keys => {
                let keys = tables::koenigsteiner()
                    .expect("the key table built into the crate parses (tested in tables.rs)");
                for (year, shares) in keys {
                    let command =
                        Command::PublishAllocationKey(PublishAllocationKey { year, shares });
                    let effective = crate::seed::key_effective(year).days_since_epoch();
                    let envelope = self.envelope(Actor::Admin, Some(effective), command);
                    batch.push(envelope);
                }
                self.phase = Phase::Gemeinden(0);
            }
            Phase::Gemeinden(index) => match self.gemeinden.get(index).copied() {
                Some(ags) => {
                    let count = 500 + self.rng.below(60_000);
                    let population = Some(Population {
                        count,
                        reference_date: date_of(day("2023-12-31")),
                    });
                    let command = Command::RegisterGemeinde(RegisterGemeinde {
                        ags,
                        name: format!("Gemeinde {ags}"),
                        population,
                    });
                    let envelope = self.envelope(Actor::Admin, None, command);
                    batch.push(envelope);
                    self.phase = Phase::Gemeinden(index + 1);
                }
                None => self.phase = Phase::Services(0),
            },
            Phase::Services(index) => match self.services.get(index).cloned() {
                Some(service) => {
                    self.announce(batch, &service);
                    self.phase = Phase::Services(index + 1);
                }
                None => {
                    self.phase = Phase::Adoptions {
                        gemeinde: 0,
                        round: 0,
                    }
                }
            },
            Phase::Adoptions { gemeinde, round } => self.adoptions(batch, gemeinde, round),
            Phase::Done => {}
        }
    }

    fn announce(
        &mut self,
        batch: &mut Vec<CommandEnvelope>,
        service: &(ServiceId, LandCode, i32, [Option<i32>; 16]),
    ) {
        let (id, lead, announced, joins) = service;
        let command = Command::AnnounceService(AnnounceService {
            service: id.clone(),
            title: format!("Leistung {}", id.as_str().trim_start_matches("leistung-")),
            lead: *lead,
            ozg_id: None,
            leika: vec![],
            themenfeld: [
                "Familie & Kind",
                "Bauen & Wohnen",
                "Bildung",
                "Mobilität & Reisen",
                "Arbeit & Ruhestand",
            ][self.rng.below(5) as usize]
                .to_owned(),
            provider: "Generator".to_owned(),
            channel: Channel::ALL[self.rng.below(3) as usize],
            cost_model: CostModel::KoenigsteinerSchluessel { year: None },
            status: ServiceStatus::Available,
            reifegrad: Reifegrad::new(self.rng.below(5) as u8).expect("0-4"),
        });
        let envelope = self.envelope(Actor::Land(*lead), Some(*announced), command);
        batch.push(envelope);
        for (index, join) in joins.iter().enumerate() {
            let land = LandCode::new(index as u8 + 1).expect("1-16 is a Land");
            if let Some(on) = join.filter(|_| land != *lead) {
                let command = Command::JoinService(JoinService {
                    service: id.clone(),
                    land,
                });
                let envelope = self.envelope(Actor::Land(land), Some(on), command);
                batch.push(envelope);
            }
        }
        self.costs(batch, id, *lead, *announced);
    }

    /// The lead Land's cost reports, so that the cost views have something
    /// to split: development costs in the year of the announcement and the
    /// year after, operating costs in every year from then on, each
    /// effective on the last day of its year (2026's on the generator's
    /// last effective day).
    fn costs(
        &mut self,
        batch: &mut Vec<CommandEnvelope>,
        id: &ServiceId,
        lead: LandCode,
        announced: i32,
    ) {
        let first = date_of(announced).year();
        let latest = day("2026-10-31");
        for year in first..=2026 {
            let categories: &[CostCategory] = if year <= first + 1 {
                &[CostCategory::Development, CostCategory::Operation]
            } else {
                &[CostCategory::Operation]
            };
            for category in categories {
                // 50,000.00 to 2,000,000.00 EUR, to the cent.
                let amount = Cents(5_000_000 + self.rng.below(195_000_000) as i64);
                let command = Command::ReportCost(ReportCost {
                    service: id.clone(),
                    year: year as u16,
                    category: *category,
                    amount,
                    note: String::new(),
                });
                let effective = day(&format!("{year}-12-31")).min(latest);
                let envelope = self.envelope(Actor::Land(lead), Some(effective), command);
                batch.push(envelope);
            }
        }
    }

    /// One municipality's adoption of one service per call, round-robin
    /// over municipalities, until the planned events reach the target.
    fn adoptions(&mut self, batch: &mut Vec<CommandEnvelope>, gemeinde: usize, round: u32) {
        if self.planned >= self.shape.events || round >= self.shape.services {
            self.phase = Phase::Done;
            return;
        }
        let ags = self.gemeinden[gemeinde];
        let service_index = ((gemeinde as u64 * 7919 + u64::from(round) * 104_729)
            % self.services.len() as u64) as usize;
        let (id, _, announced, joins) = self.services[service_index].clone();
        let start = joins[usize::from(ags.land().get() - 1)]
            .unwrap_or(announced)
            .max(announced);
        self.lifecycle(batch, id, ags, start);
        let next = gemeinde + 1;
        self.phase = if next < self.gemeinden.len() {
            Phase::Adoptions {
                gemeinde: next,
                round,
            }
        } else {
            Phase::Adoptions {
                gemeinde: 0,
                round: round + 1,
            }
        };
    }

    fn lifecycle(
        &mut self,
        batch: &mut Vec<CommandEnvelope>,
        service: ServiceId,
        ags: Ags,
        start: i32,
    ) {
        let latest = day("2026-10-31");
        let mut on = (start + self.rng.below(400) as i32).min(latest);
        let actor = Actor::Gemeinde(ags);
        let command = Command::RequestAdoption(RequestAdoption {
            service: service.clone(),
            ags,
            note: String::new(),
        });
        let envelope = self.envelope(actor.clone(), Some(on), command);
        batch.push(envelope);
        let stop_after = [1usize, 2, 3, 3, 3, 3, 3, 3][self.rng.below(8) as usize];
        for stage in [
            AdoptionStage::Agreed,
            AdoptionStage::Onboarding,
            AdoptionStage::Live,
        ]
        .into_iter()
        .take(stop_after)
        {
            on = (on + 10 + self.rng.below(120) as i32).min(latest);
            let command = Command::RecordAdoptionStep(RecordAdoptionStep {
                service: service.clone(),
                ags,
                stage,
                note: String::new(),
            });
            let envelope = self.envelope(actor.clone(), Some(on), command);
            batch.push(envelope);
        }
        if self.rng.chance(3) {
            on = (on + 30).min(latest);
            let command = Command::WithdrawAdoption(WithdrawAdoption {
                service,
                ags,
                note: String::new(),
            });
            let envelope = self.envelope(actor, Some(on), command);
            batch.push(envelope);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(shape: Shape) -> Vec<CommandEnvelope> {
        let mut generator = Generator::new(shape);
        let mut commands = Vec::new();
        loop {
            let batch = generator.next_batch(1000);
            if batch.is_empty() {
                return commands;
            }
            commands.extend(batch);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let shape = Shape {
            seed: 7,
            municipalities: 300,
            services: 20,
            events: 5_000,
        };
        let first = all(shape);
        assert_eq!(first, all(shape));
        assert!(first.len() >= 5_000);
        assert_ne!(first, all(Shape { seed: 8, ..shape }));
    }

    #[test]
    fn the_keys_are_published_and_every_service_reports_costs_every_year() {
        let commands = all(Shape {
            seed: 3,
            municipalities: 100,
            services: 10,
            events: 2_000,
        });
        let keys = commands
            .iter()
            .filter(|c| matches!(c.command, Command::PublishAllocationKey(_)))
            .count();
        assert_eq!(keys, tables::koenigsteiner().unwrap().len());
        for index in 0..10 {
            let id = ServiceId::parse(&format!("leistung-{index:04}")).unwrap();
            let years: std::collections::BTreeSet<u16> = commands
                .iter()
                .filter_map(|c| match &c.command {
                    Command::ReportCost(cost) if cost.service == id => Some(cost.year),
                    _ => None,
                })
                .collect();
            let (first, last) = (years.first().copied(), years.last().copied());
            assert_eq!(last, Some(2026), "{id}: {years:?}");
            let first = first.unwrap();
            assert_eq!(
                years.len(),
                usize::from(2026 - first + 1),
                "{id}: {years:?}"
            );
        }
    }
}
