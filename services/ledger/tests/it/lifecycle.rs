//! The domain through the real ledger: participants, Beitritt, adoption
//! steps with effective dates, costs, and the rules enforced on the way.

use efa_proto::*;

use crate::{Harness, announce, envelope};

struct Script<'a> {
    h: &'a Harness,
    next_id: u8,
}

impl Script<'_> {
    async fn send(
        &mut self,
        actor: &str,
        effective: Option<&str>,
        command: Command,
    ) -> CommandReply {
        self.next_id += 1;
        let envelope = CommandEnvelope {
            command_id: CommandId([self.next_id; 16]),
            actor: Actor::parse(actor).unwrap(),
            expected_version: None,
            effective: effective.map(|d| Date::parse(d).unwrap()),
            command,
        };
        self.h.send(&envelope).await
    }

    async fn ok(&mut self, actor: &str, effective: Option<&str>, command: Command) -> Accepted {
        match self.send(actor, effective, command).await {
            CommandReply::Accepted(accepted) => accepted,
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_service_is_joined_adopted_and_costed_through_the_ledger() {
    let h = Harness::start().await;
    let mut s = Script {
        h: &h,
        next_id: 100,
    };
    let service = ServiceId::parse("wohngeld-antrag").unwrap();
    let erfurt = Ags::parse("16051000").unwrap();
    let bremen_city = Ags::parse("04011000").unwrap();
    let kiv = OperatorId::parse("kiv-thueringen").unwrap();

    s.ok(
        "admin",
        None,
        Command::RegisterOperator(RegisterOperator {
            operator: kiv,
            name: "KIV Thüringen".into(),
            region: Region::Land(LandCode::new(16).unwrap()),
        }),
    )
    .await;
    for (ags, name) in [(erfurt, "Erfurt"), (bremen_city, "Bremen")] {
        s.ok(
            "admin",
            None,
            Command::RegisterGemeinde(RegisterGemeinde {
                ags,
                name: name.into(),
                population: None,
            }),
        )
        .await;
    }
    s.ok(
        "land:01",
        Some("2019-12-01"),
        Command::AnnounceService(AnnounceService {
            service: service.clone(),
            title: "Online-Wohngeldantrag".into(),
            lead: LandCode::new(1).unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Bauen & Wohnen".into(),
            provider: "Dataport".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::KoenigsteinerSchluessel { year: None },
            status: ServiceStatus::Pilot,
            reifegrad: Reifegrad::new(3).unwrap(),
        }),
    )
    .await;
    let joined = s
        .ok(
            "land:16",
            Some("2023-03-01"),
            Command::JoinService(JoinService {
                service: service.clone(),
                land: LandCode::new(16).unwrap(),
            }),
        )
        .await;
    assert_eq!(joined.stream_version, 2);

    s.ok(
        "operator:kiv-thueringen",
        Some("2023-04-01"),
        Command::RequestAdoption(RequestAdoption {
            service: service.clone(),
            ags: erfurt,
            note: String::new(),
        }),
    )
    .await;
    let outside = s
        .send(
            "operator:kiv-thueringen",
            None,
            Command::RequestAdoption(RequestAdoption {
                service: service.clone(),
                ags: bremen_city,
                note: String::new(),
            }),
        )
        .await;
    assert_eq!(
        outside,
        CommandReply::Rejected(Rejection::Forbidden {
            reason: ForbiddenReason::OutsideRegion
        })
    );
    s.ok(
        "gemeinde:16051000",
        Some("2023-09-15"),
        Command::RecordAdoptionStep(RecordAdoptionStep {
            service: service.clone(),
            ags: erfurt,
            stage: AdoptionStage::Live,
            note: "Go-live".into(),
        }),
    )
    .await;
    let back = s
        .send(
            "gemeinde:16051000",
            None,
            Command::RecordAdoptionStep(RecordAdoptionStep {
                service: service.clone(),
                ags: erfurt,
                stage: AdoptionStage::Onboarding,
                note: String::new(),
            }),
        )
        .await;
    assert!(
        matches!(back, CommandReply::Rejected(Rejection::InvalidState { .. })),
        "{back:?}"
    );

    s.ok(
        "land:01",
        None,
        Command::ReportCost(ReportCost {
            service: service.clone(),
            year: 2023,
            category: CostCategory::Operation,
            amount: Cents(48_000_000),
            note: String::new(),
        }),
    )
    .await;
    let not_lead = s
        .send(
            "land:16",
            None,
            Command::ReportCost(ReportCost {
                service: service.clone(),
                year: 2023,
                category: CostCategory::Operation,
                amount: Cents(1),
                note: String::new(),
            }),
        )
        .await;
    assert_eq!(
        not_lead,
        CommandReply::Rejected(Rejection::Forbidden {
            reason: ForbiddenReason::NotLeadLand
        })
    );

    let events = h.read(1, 100).await.events;
    let names: Vec<&str> = events.iter().map(|e| e.record.event.name()).collect();
    assert_eq!(
        names,
        [
            "OperatorRegistered",
            "GemeindeRegistered",
            "GemeindeRegistered",
            "ServiceAnnounced",
            "LandJoined",
            "AdoptionRequested",
            "AdoptionStepRecorded",
            "CostReported"
        ]
    );
    let live = &events[6].record;
    assert_eq!(
        live.effective,
        Date::parse("2023-09-15").unwrap(),
        "the go-live takes effect when it happened"
    );
    assert_eq!(live.stream, StreamId::Adoption(service.clone(), erfurt));
    assert_eq!(live.actor, Actor::Gemeinde(erfurt));
    assert!(
        live.recorded_at.date() > live.effective,
        "recorded later than effective"
    );

    // Relayed on the subject of their service or municipality; the
    // adoption's events on the one of its service in Thüringen.
    h.stream_messages(8).await;
    let js = async_nats::jetstream::new(h.client.clone());
    let stream = js.get_stream(subjects::EVENT_STREAM).await.unwrap();
    let mut relayed = Vec::new();
    for seq in 2..=7 {
        relayed.push(
            stream
                .get_raw_message(seq)
                .await
                .unwrap()
                .subject
                .to_string(),
        );
    }
    assert_eq!(
        relayed,
        [
            "efa.evt.gemeinde.16051000",
            "efa.evt.gemeinde.04011000",
            "efa.evt.service.wohngeld-antrag",
            "efa.evt.service.wohngeld-antrag",
            "efa.evt.adoption.wohngeld-antrag.16",
            "efa.evt.adoption.wohngeld-antrag.16",
        ]
    );
}

/// A message put into the event stream by someone else, at the sequence
/// the ledger's next event needs, is found by its event id: the relay
/// reports the disagreement, recreates the stream from there and
/// publishes the ledger's own event at that sequence.
#[tokio::test]
async fn the_relay_repairs_a_stream_that_disagrees_with_the_ledger() {
    let h = Harness::start().await;
    let reply = h
        .send(&envelope(1, "land:04", announce("dienst-1", "04")))
        .await;
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    let first = h.stream_messages(1).await;

    let js = async_nats::jetstream::new(h.client.clone());
    let forged = SealedEvent::seal(EventRecord {
        seq: 2,
        prev_hash: first[0].hash,
        event_id: EventId([0xee; 16]),
        ..first[0].record.clone()
    });
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", forged.record.event_id.to_string().as_str());
    js.publish_with_headers(
        subjects::event_subject(&forged.record.stream),
        headers,
        encode(&forged).into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let reply = h
        .send(&envelope(2, "land:04", announce("dienst-2", "04")))
        .await;
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    let real = h.read(2, 1).await.events.remove(0);
    let mut stream = js.get_stream(subjects::EVENT_STREAM).await.unwrap();
    for _ in 0..500 {
        if let Ok(message) = stream.get_raw_message(2).await {
            let id = message
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.as_str().to_owned());
            if id == Some(real.record.event_id.to_string()) {
                assert_eq!(decode::<SealedEvent>(&message.payload).unwrap(), real);
                let info = stream.info().await.unwrap();
                assert_eq!(info.state.last_sequence, 2);
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the stream still disagrees with the ledger at sequence 2");
}

/// A new stream that keeps only the newest events (as one of one replica
/// keeps the newest million) starts with the first of them: the relay
/// publishes those, not the whole log for the stream to drop.
#[tokio::test]
async fn a_new_stream_that_keeps_the_newest_events_starts_with_them() {
    let mut h = Harness::start().await;
    h.announce_services(1..=12).await;
    h.stream_messages(12).await;
    h.stop_ledger().await;

    // Full at five, refusing more: a relay that published the whole log
    // would be stopped at the sixth event.
    h.replace_stream(async_nats::jetstream::stream::Config {
        max_messages: 5,
        discard: async_nats::jetstream::stream::DiscardPolicy::New,
        ..efa_runtime::jetstream::event_stream_config()
    })
    .await;
    h.start_ledger().await;

    let (stream, info) = h.stream_reaching(12).await;
    assert_eq!((info.state.first_sequence, info.state.messages), (8, 5));
    let ledger = h.read(8, 5).await.events;
    for (seq, event) in (8..=12).zip(ledger) {
        let message = stream.get_raw_message(seq).await.unwrap();
        assert_eq!(decode::<SealedEvent>(&message.payload).unwrap(), event);
    }
}

/// A relay far behind the ledger (here: a log of 30,000 events written
/// without NATS, and a new stream) stops between two windows when the
/// ledger stops, instead of holding the shutdown until it has published
/// everything; the next start goes on from where the stream stands.
#[tokio::test]
async fn a_relay_far_behind_stops_with_the_ledger_and_goes_on_at_the_next_start() {
    const EVENTS: u32 = 30_000;
    let mut h = Harness::start().await;
    h.stop_ledger().await;
    let mut bulk =
        efa_ledger::bulk::BulkLoader::open(&h.data_dir, Box::new(efa_ledger::writer::wall_clock))
            .unwrap();
    let replies = bulk.load((0..EVENTS).map(crate::numbered_announcement).collect());
    assert!(
        replies
            .iter()
            .all(|r| matches!(r, CommandReply::Accepted(_)))
    );
    drop(bulk);

    h.start_ledger().await;
    h.stop_ledger().await;
    let stopped_at = h
        .stream_info()
        .await
        .map_or(0, |(_, info)| info.state.last_sequence);
    assert!(
        stopped_at < u64::from(EVENTS),
        "the relay published all {stopped_at} events before the ledger stopped"
    );

    h.start_ledger().await;
    h.stream_reaching(u64::from(EVENTS)).await;
}

/// The stream of an earlier version (keeping everything) is replaced at
/// the next start by one that keeps the newest events and goes on from the
/// next event: nothing is published again, the ledger keeps the rest.
#[tokio::test]
async fn the_stream_of_an_earlier_version_is_replaced_from_the_next_event() {
    let mut h = Harness::start().await;
    h.announce_services(1..=3).await;
    let (stream, _) = h.stream_reaching(3).await;
    let mut relayed = Vec::new();
    for seq in 1..=3 {
        relayed.push(stream.get_raw_message(seq).await.unwrap());
    }
    h.stop_ledger().await;
    h.replace_stream(async_nats::jetstream::stream::Config {
        max_messages: -1,
        discard: async_nats::jetstream::stream::DiscardPolicy::New,
        ..efa_runtime::jetstream::event_stream_config()
    })
    .await;
    let js = async_nats::jetstream::new(h.client.clone());
    for message in relayed {
        js.publish_with_headers(message.subject, message.headers, message.payload)
            .await
            .unwrap()
            .await
            .unwrap();
    }

    h.start_ledger().await;
    h.announce_services(4..=5).await;
    let (_, info) = h.stream_reaching(5).await;
    assert_eq!((info.state.first_sequence, info.state.messages), (4, 2));
    assert_eq!(
        info.config.max_messages,
        efa_runtime::jetstream::KEPT_ON_ONE_REPLICA
    );
}
