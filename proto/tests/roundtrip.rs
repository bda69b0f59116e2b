//! Property tests of the codec: random messages round-trip; random bytes
//! decode to a value or an error, never a panic.

#![allow(clippy::unwrap_used)] // test code: a failed step should fail the test loudly

mod samples;

use efa_proto::*;
use proptest::prelude::*;

fn land() -> impl Strategy<Value = LandCode> {
    (1u8..=16).prop_map(|c| LandCode::new(c).unwrap())
}

fn slug() -> impl Strategy<Value = ServiceId> {
    "[a-z][a-z0-9]{2,10}(-[a-z0-9]{1,8}){0,3}".prop_map(|s| ServiceId::parse(&s).unwrap())
}

fn date() -> impl Strategy<Value = Date> {
    (1950i32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Date::from_ymd(y, m, d).unwrap())
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        land().prop_map(Actor::Land),
        (1_000_000u32..16_999_999).prop_map(|n| Actor::Gemeinde(Ags::try_from(n).unwrap())),
        "[a-z]{3,12}".prop_map(|s| Actor::Operator(OperatorId::parse(&s).unwrap())),
        Just(Actor::Admin),
    ]
}

fn cost_model() -> impl Strategy<Value = CostModel> {
    prop_oneof![
        proptest::option::of(1949u16..2200)
            .prop_map(|year| CostModel::KoenigsteinerSchluessel { year }),
        Just(CostModel::Population),
        Just(CostModel::EqualShares),
        proptest::collection::vec((land(), any::<u32>()), 0..16)
            .prop_map(|weights| CostModel::FixedShares { weights }),
    ]
}

fn announce() -> impl Strategy<Value = AnnounceService> {
    (
        slug(),
        ".{0,40}",
        land(),
        proptest::option::of(".{0,12}"),
        proptest::collection::vec("[0-9]{14}", 0..3),
        ".{0,20}",
        ".{0,20}",
        0usize..3,
        cost_model(),
        0usize..5,
        0u8..=4,
    )
        .prop_map(
            |(
                service,
                title,
                lead,
                ozg_id,
                leika,
                themenfeld,
                provider,
                channel,
                cost_model,
                status,
                level,
            )| {
                AnnounceService {
                    service,
                    title,
                    lead,
                    ozg_id,
                    leika,
                    themenfeld,
                    provider,
                    channel: Channel::ALL[channel],
                    cost_model,
                    status: ServiceStatus::ALL[status],
                    reifegrad: Reifegrad::new(level).unwrap(),
                }
            },
        )
}

fn command_envelope() -> impl Strategy<Value = CommandEnvelope> {
    (
        any::<[u8; 16]>(),
        actor(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(date()),
        announce(),
    )
        .prop_map(
            |(id, actor, expected_version, effective, cmd)| CommandEnvelope {
                command_id: CommandId(id),
                actor,
                expected_version,
                effective,
                command: Command::AnnounceService(cmd),
            },
        )
}

fn sealed_event() -> impl Strategy<Value = SealedEvent> {
    (
        any::<u64>(),
        any::<[u8; 16]>(),
        any::<u64>(),
        any::<i64>(),
        date(),
        actor(),
        any::<[u8; 32]>(),
        announce(),
    )
        .prop_map(
            |(seq, id, version, micros, effective, actor, prev_hash, cmd)| {
                SealedEvent::seal(EventRecord {
                    schema_version: SCHEMA_VERSION,
                    seq,
                    event_id: EventId(id),
                    stream: StreamId::Service(cmd.service.clone()),
                    stream_version: version,
                    recorded_at: Timestamp::from_micros(micros),
                    effective,
                    actor,
                    command_id: CommandId(id),
                    prev_hash,
                    event: Event::ServiceAnnounced(cmd.into()),
                })
            },
        )
}

proptest! {
    #[test]
    fn commands_round_trip(envelope in command_envelope()) {
        prop_assert_eq!(decode::<CommandEnvelope>(&encode(&envelope)).unwrap(), envelope);
    }

    #[test]
    fn events_round_trip_and_keep_their_hash(event in sealed_event()) {
        let decoded = decode::<SealedEvent>(&encode(&event)).unwrap();
        prop_assert!(decoded.hash_is_valid());
        prop_assert_eq!(decoded, event);
    }

    #[test]
    fn an_event_encoded_while_checked_is_encoded_as_usual_and_a_broken_seal_gives_none(
        event in sealed_event(),
        flipped in 0usize..32,
    ) {
        prop_assert_eq!(encode_sealed_if_valid(&event), Some(encode(&event)));
        prop_assert_eq!(encode_sealed(&event), encode(&event));
        let mut broken = event.clone();
        broken.hash[flipped] ^= 1;
        prop_assert_eq!(encode_sealed_if_valid(&broken), None);
        let mut changed = event;
        changed.record.stream_version = changed.record.stream_version.wrapping_add(1);
        prop_assert!(!changed.hash_is_valid());
        prop_assert_eq!(encode_sealed_if_valid(&changed), None);
    }

    #[test]
    fn replies_round_trip(index in 0usize..10, seqs in any::<(u64, u64, u64, bool)>()) {
        let rejected = CommandReply::Rejected(samples::rejections()[index].clone());
        prop_assert_eq!(decode::<CommandReply>(&encode(&rejected)).unwrap(), rejected);
        let accepted = CommandReply::Accepted(Accepted { first_seq: seqs.0, last_seq: seqs.1, stream_version: seqs.2, replayed: seqs.3 });
        prop_assert_eq!(decode::<CommandReply>(&encode(&accepted)).unwrap(), accepted);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::<CommandEnvelope>(&bytes);
        let _ = decode::<SealedEvent>(&bytes);
        let _ = decode::<CommandReply>(&bytes);
        let _ = decode::<Query>(&bytes);
        let _ = decode::<QueryReply>(&bytes);
        let _ = decode::<ReadReply>(&bytes);
    }

    #[test]
    fn corrupted_commands_never_panic(envelope in command_envelope(), position in any::<usize>(), value in any::<u8>()) {
        let mut bytes = encode(&envelope);
        let at = position % bytes.len();
        bytes[at] = value;
        let _ = decode::<CommandEnvelope>(&bytes);
        bytes.truncate(at);
        prop_assert!(decode::<CommandEnvelope>(&bytes).is_err() || bytes.is_empty());
    }
}

#[test]
fn oversized_messages_are_refused_before_decoding() {
    let bytes = vec![1u8; codec::MESSAGE_BYTES_MAX + 1];
    assert!(matches!(
        decode::<CommandEnvelope>(&bytes),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = encode(&samples::command_envelope());
    bytes.push(0);
    assert!(matches!(
        decode::<CommandEnvelope>(&bytes),
        Err(DecodeError::Malformed(_))
    ));
}
