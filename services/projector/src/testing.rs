//! Test fixtures: announcements and correctly chained sealed events, as
//! the ledger would write them.

use efa_proto::{
    Actor, Channel, CommandId, CostModel, Date, Event, EventId, EventRecord, LandCode, Reifegrad,
    SCHEMA_VERSION, SealedEvent, ServiceAnnounced, ServiceId, ServiceStatus, StreamId, Timestamp,
};

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
