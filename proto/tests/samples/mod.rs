//! One sample of every wire message, shared by the golden and the
//! round-trip tests.

#![allow(dead_code)] // each test binary uses a different part of the samples

use efa_proto::*;

pub fn land(code: &str) -> LandCode {
    LandCode::parse(code).unwrap()
}

pub fn announce() -> AnnounceService {
    AnnounceService {
        service: ServiceId::parse("digitale-baugenehmigung").unwrap(),
        title: "Digitale Baugenehmigung".into(),
        lead: land("13"),
        ozg_id: Some("OZG-10059".into()),
        leika: vec!["99121001000000".into()],
        themenfeld: "Bauen & Wohnen".into(),
        provider: "Land Mecklenburg-Vorpommern".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::FixedShares {
            weights: vec![(land("13"), 3), (land("16"), 1)],
        },
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(4).unwrap(),
    }
}

pub fn command_envelope() -> CommandEnvelope {
    CommandEnvelope {
        command_id: CommandId([0xc0; 16]),
        actor: Actor::Land(land("13")),
        expected_version: Some(0),
        effective: Some(Date::parse("2021-01-01").unwrap()),
        command: Command::AnnounceService(announce()),
    }
}

pub fn sealed_event() -> SealedEvent {
    SealedEvent::seal(EventRecord {
        schema_version: SCHEMA_VERSION,
        seq: 1,
        event_id: EventId([0xe0; 16]),
        stream: StreamId::Service(announce().service),
        stream_version: 1,
        recorded_at: Timestamp::from_micros(1_609_459_200_000_000),
        effective: Date::parse("2021-01-01").unwrap(),
        actor: Actor::Land(land("13")),
        command_id: CommandId([0xc0; 16]),
        prev_hash: [0; 32],
        event: Event::ServiceAnnounced(announce().into()),
    })
}

pub fn service_view() -> ServiceView {
    let a = announce();
    ServiceView {
        id: a.service,
        title: a.title,
        lead: a.lead,
        ozg_id: a.ozg_id,
        leika: a.leika,
        themenfeld: a.themenfeld,
        provider: a.provider,
        channel: a.channel,
        cost_model: a.cost_model,
        status: a.status,
        reifegrad: a.reifegrad,
        announced_on: Date::parse("2021-01-01").unwrap(),
        recorded_at: Timestamp::from_micros(1_609_459_200_000_000),
        version: 1,
        last_seq: 1,
    }
}

/// Every rejection variant, in declaration order.
pub fn rejections() -> Vec<Rejection> {
    vec![
        Rejection::Malformed { reason: "x".into() },
        Rejection::UnsupportedSchema {
            got: 2,
            supported: 1,
        },
        Rejection::TooLarge {
            bytes: 2_000_000,
            max: 1_048_576,
        },
        Rejection::Invalid {
            field: "title".into(),
            reason: "leer".into(),
        },
        Rejection::Forbidden {
            reason: ForbiddenReason::NotOwnLand,
        },
        Rejection::NotFound { what: "s".into() },
        Rejection::AlreadyExists { what: "s".into() },
        Rejection::Conflict {
            expected: 1,
            actual: 2,
        },
        Rejection::IdempotencyKeyReused,
        Rejection::Unavailable { reason: "u".into() },
    ]
}
