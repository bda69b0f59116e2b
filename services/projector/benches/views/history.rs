//! A synthetic, seeded, Germany-like history for the projection benchmark:
//! reference data, 16 Länder with about 400 Kreise and 11,000
//! municipalities (1,000 of them later merged into a neighbour), 600
//! services announced and joined, costs, and municipal adoptions going
//! through their stages, all sealed into a correct hash chain as the
//! ledger would write them. Same seed, same events.

use std::collections::HashMap;

use efa_proto::*;

/// Municipalities per Land (roughly Germany's, scaled to 11,000 below).
const GEMEINDEN_PER_LAND: [u32; 16] = [
    1106, 1, 941, 2, 396, 421, 2301, 1101, 2056, 52, 1, 413, 726, 418, 218, 605,
];
/// Kreise per Land (roughly Germany's).
const KREISE_PER_LAND: [u32; 16] = [15, 1, 45, 2, 53, 26, 36, 44, 96, 6, 1, 18, 8, 13, 14, 22];
/// Population on 2018-12-31 per Land, rounded.
const POPULATION: [u64; 16] = [
    2_896_712, 1_841_179, 7_982_448, 682_986, 17_932_651, 6_265_809, 4_084_844, 11_069_533,
    13_076_721, 990_509, 3_644_826, 2_511_917, 1_609_675, 4_077_937, 2_208_321, 2_143_145,
];
/// Königsteiner Schlüssel 2016 in units of 1/100,000 percent.
const KEY_2016: [u32; 16] = [
    339_074, 255_752, 933_138, 95_331, 2_114_424, 739_885, 483_089, 1_296_662, 1_553_327, 121_111,
    508_324, 303_655, 201_240, 505_577, 279_941, 269_470,
];
pub const GEMEINDEN: u32 = 11_000;
pub const MERGED: u32 = 1_000;
pub const SERVICES: u32 = 600;
/// Adoptions under way at once (more start, then steps catch up).
const ACTIVE_TARGET: usize = 5_000;

/// splitmix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub fn land(code: u32) -> LandCode {
    LandCode::new(code as u8).expect("1 to 16 are Länder")
}

pub fn service_id(n: u32) -> ServiceId {
    ServiceId::parse(&format!("dienst-{n:03}")).expect("a valid slug")
}

fn date(days: i32) -> Date {
    Date::try_from(days).expect("a date in range")
}

fn day(text: &str) -> i32 {
    Date::parse(text).expect("a valid date").days_since_epoch()
}

/// Seals events into a chain, keeping each stream's version.
struct Sealer {
    events: Vec<SealedEvent>,
    versions: HashMap<StreamId, u64>,
}

impl Sealer {
    fn push(&mut self, effective: i32, actor: Actor, event: Event) {
        let seq = self.events.len() as u64 + 1;
        let stream = event.stream();
        let version = self.versions.entry(stream.clone()).or_default();
        *version += 1;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&seq.to_be_bytes());
        let record = EventRecord {
            schema_version: SCHEMA_VERSION,
            seq,
            event_id: EventId(id),
            stream,
            stream_version: *version,
            recorded_at: Timestamp::from_micros(
                i64::from(effective) * 86_400_000_000 + 36_000_000_000,
            ),
            effective: date(effective),
            actor,
            command_id: CommandId(id),
            prev_hash: self.events.last().map_or([0; 32], |last| last.hash),
            event,
        };
        self.events.push(SealedEvent::seal(record));
    }
}

/// The municipalities: AGS, Kreis, and whether merged away.
pub struct Gemeinden {
    pub ags: Vec<Ags>,
    merged: Vec<bool>,
}

/// A history of about `total` events (at least the fixed part).
pub fn generate(total: usize, seed: u64) -> (Vec<SealedEvent>, Gemeinden) {
    let mut rng = Rng::new(seed);
    let mut sealer = Sealer {
        events: Vec::with_capacity(total),
        versions: HashMap::new(),
    };
    reference(&mut sealer);
    let mut gemeinden = municipalities(&mut sealer, &mut rng);
    services(&mut sealer, &mut rng);
    adoptions(&mut sealer, &mut rng, &mut gemeinden, total);
    (sealer.events, gemeinden)
}

fn reference(sealer: &mut Sealer) {
    let shares: Vec<(LandCode, u32)> = (1..=16)
        .map(|c| (land(c), KEY_2016[c as usize - 1]))
        .collect();
    for year in 2016..=2024 {
        let event = Event::AllocationKeyPublished {
            year,
            shares: shares.clone(),
        };
        sealer.push(day("2016-06-01"), Actor::Admin, event);
    }
    let figures = (1..=16)
        .map(|c| (land(c), POPULATION[c as usize - 1]))
        .collect();
    let event = Event::PopulationPublished {
        reference_date: Date::parse("2018-12-31").expect("a valid date"),
        figures,
    };
    sealer.push(day("2019-06-30"), Actor::Admin, event);
}

/// Kreise and municipalities, per Land, scaled to `GEMEINDEN` in all.
fn municipalities(sealer: &mut Sealer, rng: &mut Rng) -> Gemeinden {
    let listed: u32 = GEMEINDEN_PER_LAND.iter().sum();
    let mut ags = Vec::with_capacity(GEMEINDEN as usize);
    for code in 1..=16u32 {
        let kreise = KREISE_PER_LAND[code as usize - 1];
        for k in 1..=kreise {
            let key = KreisKey::try_from(code * 1000 + k).expect("a Kreis key");
            let event = Event::KreisRegistered {
                key,
                name: format!("Kreis {key}"),
                population: None,
            };
            sealer.push(day("2019-01-01"), Actor::Admin, event);
        }
        let mut count = GEMEINDEN_PER_LAND[code as usize - 1] * GEMEINDEN / listed;
        if code == 9 {
            // Bavaria takes what the rounding left over.
            let others: u32 = (1..=16u32)
                .filter(|c| *c != 9)
                .map(|c| GEMEINDEN_PER_LAND[c as usize - 1] * GEMEINDEN / listed)
                .sum();
            count = GEMEINDEN - others;
        }
        for g in 0..count.max(1) {
            let kreis = code * 1000 + 1 + g % kreise;
            let next = Ags::try_from(kreis * 1000 + 1 + g / kreise).expect("an AGS");
            let population = Population {
                count: 500 + rng.below(40_000),
                reference_date: Date::parse("2018-12-31").expect("a valid date"),
            };
            let event = Event::GemeindeRegistered {
                ags: next,
                name: format!("Gemeinde {next}"),
                population: Some(population),
            };
            sealer.push(day("2019-01-01"), Actor::Admin, event);
            ags.push(next);
        }
    }
    let merged = vec![false; ags.len()];
    Gemeinden { ags, merged }
}

/// 600 services announced 2019 to 2023, each joined by some Länder, with
/// yearly costs and a few status changes.
fn services(sealer: &mut Sealer, rng: &mut Rng) {
    let (first, span) = announcements();
    for n in 0..SERVICES {
        let lead = 1 + rng.below(16) as u32;
        let announced = first + (i64::from(span) * i64::from(n) / i64::from(SERVICES)) as i32;
        let cost_model = match n % 3 {
            0 => CostModel::KoenigsteinerSchluessel { year: Some(2016) },
            1 => CostModel::Population,
            _ => CostModel::EqualShares,
        };
        let event = Event::ServiceAnnounced(ServiceAnnounced {
            service: service_id(n),
            title: format!("Onlinedienst {n}"),
            lead: land(lead),
            ozg_id: Some(format!("OZG-{n:05}")),
            leika: vec![format!("99{n:012}")],
            themenfeld: ["Familie & Kind", "Bauen & Wohnen", "Mobilität & Reisen"][n as usize % 3]
                .to_owned(),
            provider: format!("Dienstleister {}", n % 20),
            channel: Channel::EfaMarktplatz,
            cost_model,
            status: ServiceStatus::Available,
            reifegrad: Reifegrad::new(3).expect("3 is a Reifegrad"),
        });
        sealer.push(announced, Actor::Land(land(lead)), event);
        let joining: Vec<u32> = (1..=16u32)
            .filter(|c| *c != lead && rng.below(100) < 40)
            .collect();
        for code in joining {
            let event = Event::LandJoined {
                service: service_id(n),
                land: land(code),
            };
            sealer.push(
                announced + 30 + rng.below(300) as i32,
                Actor::Land(land(code)),
                event,
            );
        }
        for (cost_no, year) in (2020u16..=2024).enumerate() {
            let event = Event::CostReported(CostReported {
                service: service_id(n),
                cost_no: cost_no as u32 + 1,
                year,
                category: CostCategory::Operation,
                amount: Cents(10_000_000 + rng.below(90_000_000) as i64),
                note: String::new(),
            });
            sealer.push(
                day(&format!("{year}-12-31")),
                Actor::Land(land(lead)),
                event,
            );
        }
    }
}

/// The first announcement's day and the span over which all are made.
fn announcements() -> (i32, i32) {
    (day("2019-03-01"), day("2023-12-31") - day("2019-03-01"))
}

/// How many services are announced by `today` (service n is announced
/// at `first + span * n / SERVICES`).
fn announced_by(today: i32) -> u32 {
    let (first, span) = announcements();
    let announced = i64::from(today - first) * i64::from(SERVICES) / i64::from(span) + 1;
    announced.clamp(1, i64::from(SERVICES)) as u32
}

/// One running adoption: service, municipality (index), its number and
/// the stage reached.
type Running = (u32, u32, u32, AdoptionStage);

/// Adoption lifecycles until the history holds `total` events; halfway,
/// `MERGED` municipalities merge into a neighbour of their Kreis.
fn adoptions(sealer: &mut Sealer, rng: &mut Rng, gemeinden: &mut Gemeinden, total: usize) {
    let start = sealer.events.len();
    let remaining = total.saturating_sub(start).max(1);
    let (first, span) = (day("2020-01-01"), day("2025-06-30") - day("2020-01-01"));
    // Per (service, municipality): the last adoption's number and whether
    // it still runs.
    let mut adoptions: HashMap<(u32, u32), (u32, bool)> = HashMap::new();
    let mut active: Vec<Running> = Vec::new();
    let mut merged_done = false;
    while sealer.events.len() < total {
        let done = sealer.events.len() - start;
        let today = first + (i64::from(span) * done as i64 / remaining as i64) as i32;
        if !merged_done && done >= remaining / 2 {
            merge(sealer, rng, gemeinden, &mut active, today);
            merged_done = true;
        }
        let new = active.is_empty() || (active.len() < ACTIVE_TARGET && rng.below(100) < 30);
        if new {
            start_adoption(sealer, rng, gemeinden, &mut adoptions, &mut active, today);
        } else if let Some(ended) = step_adoption(sealer, rng, gemeinden, &mut active, today) {
            adoptions.insert((ended.0, ended.1), (ended.2, false));
        }
    }
}

fn start_adoption(
    sealer: &mut Sealer,
    rng: &mut Rng,
    gemeinden: &Gemeinden,
    adoptions: &mut HashMap<(u32, u32), (u32, bool)>,
    active: &mut Vec<Running>,
    today: i32,
) {
    let service = rng.below(u64::from(announced_by(today))) as u32;
    let g = rng.below(gemeinden.ags.len() as u64) as u32;
    let (number, running) = adoptions.entry((service, g)).or_insert((0, false));
    if gemeinden.merged[g as usize] || *running {
        return;
    }
    *number += 1;
    *running = true;
    let ags = gemeinden.ags[g as usize];
    let event = Event::AdoptionRequested {
        service: service_id(service),
        ags,
        adoption_no: *number,
        note: String::new(),
    };
    sealer.push(today, Actor::Gemeinde(ags), event);
    active.push((service, g, *number, AdoptionStage::Requested));
}

/// Moves a running adoption on by one step (or withdraws it); returns it
/// when it has ended.
fn step_adoption(
    sealer: &mut Sealer,
    rng: &mut Rng,
    gemeinden: &Gemeinden,
    active: &mut Vec<Running>,
    today: i32,
) -> Option<Running> {
    let index = rng.below(active.len() as u64) as usize;
    let (service, g, adoption_no, stage) = active[index];
    let ags = gemeinden.ags[g as usize];
    let withdraw = rng.below(100) < 5;
    let next = match stage {
        AdoptionStage::Requested => AdoptionStage::Agreed,
        AdoptionStage::Agreed => AdoptionStage::Onboarding,
        _ => AdoptionStage::Live,
    };
    let event = if withdraw {
        Event::AdoptionWithdrawn {
            service: service_id(service),
            ags,
            adoption_no,
            note: String::new(),
        }
    } else {
        Event::AdoptionStepRecorded {
            service: service_id(service),
            ags,
            adoption_no,
            stage: next,
            note: String::new(),
        }
    };
    sealer.push(today, Actor::Gemeinde(ags), event);
    if withdraw || next == AdoptionStage::Live {
        return Some(active.swap_remove(index));
    }
    active[index].3 = next;
    None
}

/// `MERGED` municipalities merge into another of their Kreis; their
/// running adoptions stop where they are.
fn merge(
    sealer: &mut Sealer,
    rng: &mut Rng,
    gemeinden: &mut Gemeinden,
    active: &mut Vec<Running>,
    today: i32,
) {
    let mut merged = 0;
    for _ in 0..MERGED * 20 {
        if merged == MERGED {
            break;
        }
        let g = rng.below(gemeinden.ags.len() as u64) as usize;
        let ags = gemeinden.ags[g];
        let successor =
            gemeinden.ags.iter().enumerate().find(|(s, other)| {
                *s != g && !gemeinden.merged[*s] && other.kreis() == ags.kreis()
            });
        let Some((_, successor)) = successor else {
            continue;
        };
        if gemeinden.merged[g] {
            continue;
        }
        let event = Event::GemeindeMerged {
            ags,
            successor: *successor,
        };
        sealer.push(today, Actor::Admin, event);
        gemeinden.merged[g] = true;
        active.retain(|(_, x, _, _)| *x as usize != g);
        merged += 1;
    }
}
