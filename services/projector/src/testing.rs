//! Test fixtures: announcements and correctly chained sealed events, as
//! the ledger would write them.

use efa_proto::{
    Actor, Channel, CommandId, CostModel, Date, Event, EventId, EventRecord, LandCode, Reifegrad,
    SCHEMA_VERSION, SealedEvent, ServiceAnnounced, ServiceId, ServiceStatus, StreamId, Timestamp,
};

/// A piece of time of `adopter`'s own adoption at `stage`, from its step
/// on `from` until `until` (`None`: from then on).
pub fn piece(
    from: &str,
    until: Option<&str>,
    stage: efa_proto::AdoptionStage,
    adopter: &str,
) -> crate::index::pieces::Piece {
    crate::index::pieces::Piece {
        from: date(from),
        until: until.map(date),
        counted: crate::views::Counted {
            stage,
            since: date(from),
            adopter: ags(adopter),
        },
    }
}

/// An announcement of service `id` by Land 16.
pub fn announce(id: &str) -> Event {
    Event::ServiceAnnounced(ServiceAnnounced {
        service: ServiceId::parse(id).unwrap(),
        title: format!("Titel von {id}"),
        lead: LandCode::new(16).unwrap(),
        ozg_id: Some("OZG-1234".to_owned()),
        leika: vec!["99012345000000".to_owned()],
        themenfeld: "Bauen & Wohnen".to_owned(),
        provider: "KIV Thüringen".to_owned(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::KoenigsteinerSchluessel { year: Some(2024) },
        status: ServiceStatus::Pilot,
        reifegrad: Reifegrad::new(3).unwrap(),
    })
}

/// Seals `events` as ledger sequences 1, 2, ... with a correct hash chain;
/// each is the first event (version 1) of its stream.
pub fn chain(events: Vec<Event>) -> Vec<SealedEvent> {
    let mut sealed: Vec<SealedEvent> = Vec::new();
    for (index, event) in events.into_iter().enumerate() {
        let seq = index as u64 + 1;
        let prev_hash = sealed.last().map_or([0; 32], |previous| previous.hash);
        let service = crate::catalogue::service_of(&event).expect("fixture events name a service");
        let stream = StreamId::Service(service.clone());
        sealed.push(SealedEvent::seal(EventRecord {
            schema_version: SCHEMA_VERSION,
            seq,
            event_id: EventId([seq as u8; 16]),
            stream,
            stream_version: 1,
            recorded_at: Timestamp::from_micros(1_700_000_000_000_000 + seq as i64),
            effective: Date::from_ymd(2024, 3, 1).unwrap(),
            actor: Actor::Land(LandCode::new(16).unwrap()),
            command_id: CommandId([seq as u8; 16]),
            prev_hash,
            event,
        }));
    }
    sealed
}

pub fn land(code: u8) -> LandCode {
    LandCode::new(code).unwrap()
}

pub fn ags(text: &str) -> efa_proto::Ags {
    efa_proto::Ags::parse(text).unwrap()
}

pub fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

pub fn service_id(text: &str) -> ServiceId {
    ServiceId::parse(text).unwrap()
}

/// An announcement of service `id` led by Land `lead`, with equal shares.
pub fn announce_by(id: &str, lead: u8) -> Event {
    let Event::ServiceAnnounced(mut announced) = announce(id) else {
        unreachable!("announce returns an announcement")
    };
    announced.lead = land(lead);
    announced.cost_model = CostModel::EqualShares;
    Event::ServiceAnnounced(announced)
}

/// A details update of `id` (announced by `announce_by`) that keeps its
/// details and sets its cost model to `cost_model`.
pub fn model_changed(id: &str, cost_model: CostModel) -> Event {
    let Event::ServiceAnnounced(announced) = announce_by(id, 1) else {
        unreachable!("announce_by announces")
    };
    Event::ServiceDetailsUpdated(efa_proto::ServiceDetailsUpdated {
        service: announced.service,
        title: announced.title,
        ozg_id: None,
        leika: vec![],
        themenfeld: announced.themenfeld,
        provider: announced.provider,
        channel: announced.channel,
        cost_model,
    })
}

/// A ledger in memory: events sealed in order with a correct chain, each
/// with its effective date, its stream version and a recording time.
#[derive(Debug, Default)]
pub struct Ledger {
    events: Vec<SealedEvent>,
    versions: std::collections::HashMap<StreamId, u64>,
}

impl Ledger {
    /// Appends `event` effective on `effective`, recorded that same day.
    pub fn push(&mut self, effective: &str, event: Event) -> &SealedEvent {
        self.push_recorded(effective, effective, event)
    }

    /// Appends `event` effective on `effective`, recorded on `recorded`.
    pub fn push_recorded(&mut self, effective: &str, recorded: &str, event: Event) -> &SealedEvent {
        self.push_dated(date(effective), date(recorded), event)
    }

    /// Appends `event` effective on `effective`, recorded on `recorded`.
    pub fn push_dated(&mut self, effective: Date, recorded: Date, event: Event) -> &SealedEvent {
        let seq = self.events.len() as u64 + 1;
        let prev_hash = self.events.last().map_or([0; 32], |previous| previous.hash);
        let stream = event.stream();
        let version = self.versions.entry(stream.clone()).or_default();
        *version += 1;
        let recorded_at = i64::from(recorded.days_since_epoch()) * 86_400_000_000 + 3_600_000_000;
        self.events.push(SealedEvent::seal(EventRecord {
            schema_version: SCHEMA_VERSION,
            seq,
            event_id: EventId(seq_bytes(seq)),
            stream,
            stream_version: *version,
            recorded_at: Timestamp::from_micros(recorded_at),
            effective,
            actor: Actor::Admin,
            command_id: CommandId(seq_bytes(seq)),
            prev_hash,
            event,
        }));
        self.events.last().unwrap()
    }

    pub fn events(&self) -> &[SealedEvent] {
        &self.events
    }
}

fn seq_bytes(seq: u64) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&seq.to_be_bytes());
    bytes
}

/// Every stream's facts after replaying a ledger, as `read.rs` would load
/// them from the store, by key order.
#[derive(Debug, Default)]
pub struct World {
    pub services: Vec<crate::facts::ServiceFacts>,
    pub gemeinden: Vec<crate::facts::GemeindeFacts>,
    pub kreise: Vec<crate::facts::KreisFacts>,
    pub adoptions: Vec<crate::facts::AdoptionFacts>,
    pub keys: Vec<crate::facts::KeyFacts>,
    pub populations: Vec<crate::facts::PopulationFacts>,
}

impl World {
    pub fn replay(ledger: &Ledger) -> World {
        use crate::facts::Facts;
        let mut streams: std::collections::BTreeMap<String, Option<Facts>> = Default::default();
        for sealed in ledger.events() {
            // A service's closed years are kept with its facts, as the store does.
            let stream = crate::evolve::facts_stream(sealed.record.event.stream());
            let key = format!("{stream:?}");
            let before = streams.remove(&key).flatten();
            streams.insert(key, crate::evolve::evolve(before, &sealed.record));
        }
        let mut world = World::default();
        for facts in streams.into_values().flatten() {
            match facts {
                Facts::Service(f) => world.services.push(*f),
                Facts::Gemeinde(f) => world.gemeinden.push(f),
                Facts::Kreis(f) => world.kreise.push(f),
                Facts::Operator(_) => {}
                Facts::Adoption(f) => world.adoptions.push(f),
                Facts::Key(f) => world.keys.push(f),
                Facts::Population(f) => world.populations.push(f),
            }
        }
        world.services.sort_by(|a, b| a.id.cmp(&b.id));
        world.gemeinden.sort_by_key(|g| g.ags);
        world.kreise.sort_by_key(|k| k.key);
        world
            .adoptions
            .sort_by(|a, b| (&a.service, a.ags).cmp(&(&b.service, b.ags)));
        world
    }

    pub fn service(&self, id: &str) -> &crate::facts::ServiceFacts {
        self.services.iter().find(|s| s.id.as_str() == id).unwrap()
    }
}
