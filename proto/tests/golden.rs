//! Golden bytes: the encoding of one sample of every message, pinned. If
//! one of these fails, a change altered what is on the wire or on disk;
//! events are never edited, so add a new variant or a `V2` type instead.

#![allow(clippy::unwrap_used)] // test code: a failed step should fail the test loudly

mod samples;

use efa_proto::*;
use samples::*;

#[track_caller]
fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    message: &T,
    golden: &str,
) {
    let bytes = encode(message);
    assert_eq!(
        hex::encode(&bytes),
        golden,
        "the encoding of {message:?} changed"
    );
    assert_eq!(&decode::<T>(&bytes).unwrap(), message);
}

/// The hex of each query (asked with `min_seq` 3), then of each reply,
/// to compare with a golden list; each reply is read back as itself.
#[track_caller]
fn query_and_reply_hex(queries: &[QueryKind], replies: &[QueryReply]) -> Vec<String> {
    for reply in replies {
        assert_eq!(&decode::<QueryReply>(&encode(reply)).unwrap(), reply);
    }
    let queries = queries.iter().map(|kind| {
        encode(&Query {
            min_seq: 3,
            kind: kind.clone(),
        })
    });
    queries
        .chain(replies.iter().map(encode))
        .map(hex::encode)
        .collect()
}

#[test]
fn command_envelope() {
    check(&samples::command_envelope(), GOLDEN_COMMAND);
}

#[test]
fn sealed_event() {
    check(&samples::sealed_event(), GOLDEN_EVENT);
}

#[test]
fn command_replies() {
    let accepted = CommandReply::Accepted(Accepted {
        first_seq: 7,
        last_seq: 8,
        stream_version: 2,
        replayed: true,
    });
    check(&accepted, GOLDEN_ACCEPTED);
    let goldens: Vec<String> = rejections()
        .into_iter()
        .map(|r| hex::encode(encode(&CommandReply::Rejected(r))))
        .collect();
    assert_eq!(goldens, GOLDEN_REJECTIONS);
}

#[test]
fn read_api() {
    check(
        &ReadEvents {
            from_seq: 300,
            limit: 500,
        },
        GOLDEN_READ,
    );
    let page = ReadReply::Events(EventsPage {
        events: vec![],
        head_seq: 9,
    });
    check(&page, GOLDEN_PAGE);
}

#[test]
fn queries() {
    check(
        &Query {
            min_seq: 5,
            kind: QueryKind::Catalogue,
        },
        GOLDEN_QUERY_CATALOGUE,
    );
    let one = Query {
        min_seq: 0,
        kind: QueryKind::Service(ServiceId::parse("bafoeg-digital").unwrap()),
    };
    check(&one, GOLDEN_QUERY_SERVICE);
    let reply = QueryReply::Catalogue(CatalogueView {
        services: vec![service_view()],
        as_of_seq: 1,
    });
    check(&reply, GOLDEN_QUERY_REPLY);
}

#[test]
fn every_command_and_every_event() {
    let encoded_commands: Vec<String> = samples::commands()
        .iter()
        .map(|c| hex::encode(encode(c)))
        .collect();
    assert_eq!(
        encoded_commands, GOLDEN_COMMANDS,
        "the encoding of a command changed"
    );
    let encoded_events: Vec<String> = samples::events()
        .iter()
        .map(|e| hex::encode(encode(e)))
        .collect();
    assert_eq!(
        encoded_events, GOLDEN_EVENTS,
        "the encoding of an event changed"
    );
    for (command, golden) in samples::commands().iter().zip(GOLDEN_COMMANDS) {
        assert_eq!(
            &decode::<Command>(&hex::decode(golden).unwrap()).unwrap(),
            command
        );
    }
    for (event, golden) in samples::events().iter().zip(GOLDEN_EVENTS) {
        assert_eq!(
            &decode::<Event>(&hex::decode(golden).unwrap()).unwrap(),
            event
        );
    }
}

const GOLDEN_COMMANDS: [&str; 22] = [
    "0100176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d0310010304",
    "0101176469676974616c652d62617567656e65686d6967756e67194469676974616c652042617567656e65686d6967756e67203200000e426175656e202620576f686e656e024d560001",
    "0102176469676974616c652d62617567656e65686d6967756e6702",
    "0103176469676974616c652d62617567656e65686d6967756e6703",
    "0104176469676974616c652d62617567656e65686d6967756e6709616267656cc3b67374",
    "0105176469676974616c652d62617567656e65686d6967756e6710",
    "0106176469676974616c652d62617567656e65686d6967756e6710",
    "0107176469676974616c652d62617567656e65686d6967756e67e50f009c85e30b054c6f732031",
    "0108176469676974616c652d62617567656e65686d6967756e6701c8010a47757473636872696674",
    "0109b8d6d3070645726675727401c3850dd09702",
    "010ab8d6d307184572667572742c204c616e64657368617570747374616474",
    "010ba1dbd407a2dbd407",
    "010ca1dbd407",
    "010dc47d0953c3b66d6d6572646101c3850dd09702",
    "010e0e6b69762d7468756572696e67656e0e4b4956205468c3bc72696e67656e0101b37d",
    "010f176469676974616c652d62617567656e65686d6967756e67b8d6d307056269747465",
    "0110176469676974616c652d62617567656e65686d6967756e67b8d6d3070300",
    "0111176469676974616c652d62617567656e65686d6967756e67b8d6d3070178",
    "0112e00f1001e8922602e8922603e8922604e8922605e8922606e8922607e8922608e8922609e892260ae892260be892260ce892260de892260ee892260fe8922610e89226",
    "0113d097021001c0843d02c0843d03c0843d04c0843d05c0843d06c0843d07c0843d08c0843d09c0843d0ac0843d0bc0843d0cc0843d0dc0843d0ec0843d0fc0843d10c0843d",
    "0114176469676974616c652d62617567656e65686d6967756e67e80f0200020d011001c09a0c020da08d0610a08d06000201022a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    "0115176469676974616c652d62617567656e65686d6967756e671001224175737472697474207a756d2033312e31322e323032332076657265696e62617274",
];

const GOLDEN_EVENTS: [&str; 23] = [
    "0100176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d0310010304",
    "0101176469676974616c652d62617567656e65686d6967756e67194469676974616c652042617567656e65686d6967756e67203200000e426175656e202620576f686e656e024d560001",
    "0102176469676974616c652d62617567656e65686d6967756e670002",
    "0103176469676974616c652d62617567656e65686d6967756e6703",
    "0104176469676974616c652d62617567656e65686d6967756e6709616267656cc3b67374",
    "0105176469676974616c652d62617567656e65686d6967756e6710",
    "0106176469676974616c652d62617567656e65686d6967756e6710",
    "0107176469676974616c652d62617567656e65686d6967756e6701e50f01c60100",
    "0108176469676974616c652d62617567656e65686d6967756e6701c8010a47757473636872696674",
    "0109b8d6d3070645726675727401c3850dd09702",
    "010ab8d6d30706457266757274",
    "010ba1dbd407a2dbd407",
    "010ca1dbd407",
    "010dc47d0953c3b66d6d6572646100",
    "010e0e6b69762d7468756572696e67656e0e4b4956205468c3bc72696e67656e0010",
    "010f176469676974616c652d62617567656e65686d6967756e67b8d6d3070100",
    "0110176469676974616c652d62617567656e65686d6967756e67b8d6d307010200",
    "0111176469676974616c652d62617567656e65686d6967756e67b8d6d3070100",
    "0112e00f1001e8922602e8922603e8922604e8922605e8922606e8922607e8922608e8922609e892260ae892260be892260ce892260de892260ee892260fe8922610e89226",
    "0113d097021001c0843d02c0843d03c0843d04c0843d05c0843d06c0843d07c0843d08c0843d09c0843d0ac0843d0bc0843d0cc0843d0dc0843d0ec0843d0fc0843d10c0843d",
    "0114176469676974616c652d62617567656e65686d6967756e67e80f0200020d011001c09a0c020da08d0610a08d06000201022a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    "0115176469676974616c652d62617567656e65686d6967756e671001224175737472697474207a756d2033312e31322e323032332076657265696e62617274",
    "0116176469676974616c652d62617567656e65686d6967756e671000b2af0218566572747261672065727374207a756d20312e204a756c69",
];

const GOLDEN_COMMAND: &str = "01c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0000d01000188a30200176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d0310010304";
const GOLDEN_EVENT: &str = "010101e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e000176469676974616c652d62617567656e65686d6967756e67018080acbeedf2db0588a302000dc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0000000000000000000000000000000000000000000000000000000000000000000176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d031001030432ceafd53937f7ebd68c365010ce34701d905bb36384a1c8beee5fc6fcd271c4";
const GOLDEN_ACCEPTED: &str = "010007080201";
const GOLDEN_REJECTIONS: [&str; 12] = [
    "0101000178",
    "0101010201",
    "01010280897a808040",
    "010103057469746c65046c656572",
    "01010401",
    "0101050173",
    "0101060173",
    "0101070102",
    "010108",
    "0101090175",
    "010111e70f",
    "010112d8bd02",
];
const GOLDEN_READ: &str = "01ac02f403";
const GOLDEN_PAGE: &str = "01000009";
const GOLDEN_QUERY_CATALOGUE: &str = "010500";
const GOLDEN_QUERY_SERVICE: &str = "0100010e6261666f65672d6469676974616c";
const GOLDEN_QUERY_REPLY: &str = "010001176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d031001030488a3028080acbeedf2db05010101";

#[test]
fn rebuild_api() {
    check(&RebuildRequest {}, "01");
    let done = RebuildReply::Done {
        version: 2,
        seq: 300,
        content_hash: "ab".to_owned(),
    };
    check(&done, "010002ac02026162");
    let busy = RebuildReply::Rejected(Rejection::Unavailable {
        reason: "x".to_owned(),
    });
    check(&busy, "0101090178");
    let progress = RebuildProgress {
        version: 2,
        applied: 300,
        target: 1000,
        events_per_second: 150,
        seconds_left: 4,
    };
    check(&progress, "0102ac02e807960104");
}

/// The paged queries and their answers, and the refusals of a busy or
/// too large answer, added after the first schema.
#[test]
fn pages_and_refusals() {
    let service = ServiceId::parse("bafoeg-digital").unwrap();
    let page = pages::Page {
        offset: 200,
        limit: 100,
    };
    let scope = views::RolloutScope {
        land: LandCode::parse("16").unwrap(),
        kreis: None,
        service: Some(service.clone()),
        as_of: None,
    };
    let queries = [
        QueryKind::Services {
            after: Some(service.clone()),
            limit: 500,
        },
        QueryKind::Rollout2 {
            scope: scope.clone(),
            page,
        },
        QueryKind::Stalled2 {
            land: LandCode::parse("16").unwrap(),
            days_min: 90,
            as_of: None,
            page,
        },
        QueryKind::Gemeinde2 {
            ags: ags("16051000"),
            as_of: None,
            page,
        },
        QueryKind::Land2 {
            land: LandCode::parse("04").unwrap(),
            as_of: None,
            page,
        },
        QueryKind::LandCosts2 {
            land: LandCode::parse("04").unwrap(),
            year: 2024,
            page,
        },
        QueryKind::Reuse2 { as_of: None, page },
        QueryKind::Stalled3 {
            land: LandCode::parse("16").unwrap(),
            service: Some(service.clone()),
            days_min: 90,
            as_of: None,
            page,
        },
    ];
    let goldens: Vec<String> = queries
        .into_iter()
        .map(|kind| hex::encode(encode(&Query { min_seq: 3, kind })))
        .collect();
    assert_eq!(goldens, GOLDEN_PAGED_QUERIES);
    let day = Date::parse("2025-01-02").unwrap();
    let replies = [
        QueryReply::Services(pages::ServicesPage {
            services: vec![],
            next_after: Some(service.clone()),
            total: 2,
            as_of_seq: 9,
        }),
        QueryReply::Rollout2(pages::RolloutPage {
            scope,
            as_of: day,
            kreise: vec![],
            kreise_total: 0,
            municipalities: vec![],
            municipalities_total: 1,
            land_participates: vec![(service.clone(), true)],
            next_offset: Some(1),
        }),
        QueryReply::Stalled2(pages::StalledPage {
            land: LandCode::parse("16").unwrap(),
            days_min: 90,
            as_of: day,
            stalled: vec![],
            total: 0,
            next_offset: None,
        }),
        QueryReply::Gemeinde2(Some(pages::GemeindePage {
            ags: ags("16051000"),
            name: "Erfurt".into(),
            population: Some(5),
            status_de: "aktiv".into(),
            adoptions: vec![],
            adoptions_total: 0,
            available: vec![(service.clone(), "B".into(), false)],
            available_total: 1,
            as_of: day,
            next_offset: None,
            beneath: (),
        })),
        QueryReply::Rejected(Rejection::Busy {
            retry_after_ms: 250,
        }),
        QueryReply::Rejected(Rejection::AnswerTooLarge {
            bytes: 2_000_000,
            max: 1_048_576,
        }),
        QueryReply::Land2(pages::LandPage {
            land: LandCode::parse("04").unwrap(),
            leads: vec![service],
            leads_total: 1,
            joined: vec![],
            joined_total: 0,
            municipalities_registered: 2,
            municipalities_live_any: 1,
            as_of: day,
            next_offset: None,
        }),
        QueryReply::LandCosts2(pages::LandCostsPage {
            land: LandCode::parse("04").unwrap(),
            year: 2024,
            lines: vec![],
            lines_total: 0,
            total: Cents(12_345),
            next_offset: None,
        }),
        QueryReply::Reuse2(pages::ReusePage {
            services: 3,
            participations: 5,
            lead_only: vec![],
            lead_only_total: 1,
            per_land: vec![(LandCode::parse("04").unwrap(), 1, 2)],
            as_of: day,
            next_offset: Some(1),
        }),
    ];
    let goldens: Vec<String> = replies
        .iter()
        .map(|reply| hex::encode(encode(reply)))
        .collect();
    assert_eq!(goldens, GOLDEN_PAGED_REPLIES);
    for reply in replies {
        assert_eq!(decode::<QueryReply>(&encode(&reply)).unwrap(), reply);
    }
}

const GOLDEN_PAGED_QUERIES: [&str; 8] = [
    "01030d010e6261666f65672d6469676974616cf403",
    "01030e1000010e6261666f65672d6469676974616c00c80164",
    "01030f105a00c80164",
    "010310b8d6d30700c80164",
    "0103110400c80164",
    "01031204e80fc80164",
    "01031300c80164",
    "01031610010e6261666f65672d6469676974616c5a00c80164",
];
const GOLDEN_PAGED_REPLIES: [&str; 9] = [
    "010e00010e6261666f65672d6469676974616c0209",
    "010f1000010e6261666f65672d6469676974616c00f4b90200000001010e6261666f65672d6469676974616c010101",
    "0110105af4b902000000",
    "011101b8d6d30706457266757274010505616b7469760000010e6261666f65672d6469676974616c01420001f4b90200",
    "01020bfa01",
    "01020c80897a808040",
    "011204010e6261666f65672d6469676974616c0100000201f4b90200",
    "011304e80f0000f2c00100",
    "01140305000101040102f4b9020101",
];

/// The signed messages of the trust boundary, and the rejections added
/// with them (appended after `AnswerTooLarge`, so older ones keep their
/// bytes).
#[test]
fn trust_messages() {
    let checkpoint = SignedCheckpoint {
        seq: 300,
        hash: [0xab; 32],
        key_id: "ledger".into(),
        signature: vec![0x5a; 64],
    };
    check(&checkpoint, GOLDEN_SIGNED_CHECKPOINT);
    let command = SignedCommand {
        envelope: encode(&samples::command_envelope()),
        key_id: "gateway".into(),
        signature: vec![0x11; 64],
    };
    check(&command, GOLDEN_SIGNED_COMMAND);
    let page = ReadReply::SignedEvents(SignedEventsPage {
        page: EventsPage {
            events: vec![samples::sealed_event()],
            head_seq: 9,
        },
        checkpoint: Some(checkpoint.clone()),
    });
    check(&page, GOLDEN_SIGNED_PAGE);
    check(&CheckpointRequest, GOLDEN_CHECKPOINT_REQUEST);
    let published = LedgerCheckpoint {
        key_id: "ledger".into(),
        public_key: vec![0x77; 32],
        checkpoint: Some(checkpoint),
    };
    check(&published, GOLDEN_LEDGER_CHECKPOINT);
    let rejections = [
        Rejection::Unsigned,
        Rejection::UnknownSigner { key_id: "k".into() },
        Rejection::BadSignature { key_id: "k".into() },
        Rejection::SignerNotAllowed {
            key_id: "k".into(),
            principal: "admin".into(),
        },
    ];
    let goldens: Vec<String> = rejections
        .into_iter()
        .map(|r| hex::encode(encode(&CommandReply::Rejected(r))))
        .collect();
    assert_eq!(goldens, GOLDEN_TRUST_REJECTIONS);
    assert_eq!(
        SignedCheckpoint::signed_bytes(1, &[2; 32]),
        [
            b"efa-registry checkpoint v1\0".as_slice(),
            &1u64.to_be_bytes(),
            &[2; 32]
        ]
        .concat()
    );
}

const GOLDEN_SIGNED_CHECKPOINT: &str = "01ac02abababababababababababababababababababababababababababababababab066c6564676572405a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const GOLDEN_SIGNED_COMMAND: &str = "019a0101c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0000d01000188a30200176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d031001030407676174657761794011111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111";
const GOLDEN_SIGNED_PAGE: &str = "0102010101e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e000176469676974616c652d62617567656e65686d6967756e67018080acbeedf2db0588a302000dc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0000000000000000000000000000000000000000000000000000000000000000000176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d031001030432ceafd53937f7ebd68c365010ce34701d905bb36384a1c8beee5fc6fcd271c40901ac02abababababababababababababababababababababababababababababababab066c6564676572405a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const GOLDEN_CHECKPOINT_REQUEST: &str = "01";
const GOLDEN_LEDGER_CHECKPOINT: &str = "01066c656467657220777777777777777777777777777777777777777777777777777777777777777701ac02abababababababababababababababababababababababababababababababab066c6564676572405a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const GOLDEN_TRUST_REJECTIONS: [&str; 4] = [
    "01010d",
    "01010e016b",
    "01010f016b",
    "010110016b0561646d696e",
];

/// The cost views as recorded up to a ledger sequence: variants after
/// every earlier one, so an older projector's variants keep their numbers.
#[test]
fn cost_queries_as_recorded_up_to_a_sequence() {
    let queries = [
        QueryKind::CostYear2 {
            service: ServiceId::parse("bafoeg-digital").unwrap(),
            year: 2024,
            as_of: Some(Date::parse("2025-01-02").unwrap()),
            known_at_seq: Some(300),
        },
        QueryKind::Statement2 {
            land: LandCode::parse("16").unwrap(),
            year: 2024,
            as_of: None,
            known_at_seq: None,
        },
    ];
    let goldens: Vec<String> = queries
        .into_iter()
        .map(|kind| hex::encode(encode(&Query { min_seq: 3, kind })))
        .collect();
    assert_eq!(goldens, GOLDEN_COST_QUERIES);
}

const GOLDEN_COST_QUERIES: [&str; 2] = [
    "0103170e6261666f65672d6469676974616ce80f01f4b90201ac02",
    "01031810e80f0000",
];

/// Rows of a municipality's adoption with whose adoption it is, and a
/// municipality's adoptions beneath those that count (`Rollout3`,
/// `Gemeinde3`, appended), and the same row without it in
/// `Rollout2` as older clients read it: the bytes of the row before the
/// adopter was added.
#[test]
fn rows_with_their_adopter() {
    let day = Date::parse("2025-01-02").unwrap();
    let scope = views::RolloutScope {
        land: LandCode::parse("16").unwrap(),
        kreis: None,
        service: None,
        as_of: None,
    };
    let page = pages::Page {
        offset: 0,
        limit: 10,
    };
    let row = views::MunicipalityRollout {
        ags: ags("16055000"),
        name: "Weimar".into(),
        service: ServiceId::parse("bafoeg-digital").unwrap(),
        stage: efa_proto::AdoptionStage::Agreed,
        since: day,
        adopter: ags("16071001"),
    };
    let rollout = pages::RolloutPage {
        scope: scope.clone(),
        as_of: day,
        kreise: vec![],
        kreise_total: 0,
        municipalities: vec![row.clone()],
        municipalities_total: 1,
        land_participates: vec![],
        next_offset: None,
    };
    let gemeinde = pages::GemeindePage {
        ags: ags("16055000"),
        name: "Weimar".into(),
        population: None,
        status_de: "aktiv".into(),
        adoptions: vec![row.clone()],
        adoptions_total: 1,
        available: vec![],
        available_total: 0,
        as_of: day,
        next_offset: None,
        beneath: vec![views::MunicipalityRollout {
            stage: efa_proto::AdoptionStage::Requested,
            adopter: ags("16055000"),
            ..row
        }],
    };
    let queries = [
        QueryKind::Rollout3 { scope, page },
        QueryKind::Gemeinde3 {
            ags: ags("16055000"),
            as_of: None,
            page,
        },
    ];
    let replies = [
        QueryReply::Rollout2(rollout.clone().into_v1()),
        QueryReply::Rollout3(rollout),
        QueryReply::Gemeinde3(Some(gemeinde)),
    ];
    assert_eq!(
        query_and_reply_hex(&queries, &replies),
        GOLDEN_ROWS_WITH_ADOPTER
    );
}

const GOLDEN_ROWS_WITH_ADOPTER: [&str; 5] = [
    "01031910000000000a",
    "01031ad8f5d30700000a",
    "010f10000000f4b902000001d8f5d307065765696d61720e6261666f65672d6469676974616c01f4b902010000",
    "011710000000f4b902000001d8f5d307065765696d61720e6261666f65672d6469676974616c01f4b902d9f2d407010000",
    "011801d8f5d307065765696d61720005616b74697601d8f5d307065765696d61720e6261666f65672d6469676974616c01f4b902d9f2d407010000f4b9020001d8f5d307065765696d61720e6261666f65672d6469676974616c00f4b902d8f5d307",
];

/// A stalled adoption with whose adoption it is (`Stalled4`, appended),
/// and the same row without it in `Stalled2` as older clients read it:
/// the bytes of the row before the adopter was added, which the new row
/// only extends.
#[test]
fn stalled_rows_with_their_adopter() {
    let day = Date::parse("2025-01-02").unwrap();
    let page = pages::Page {
        offset: 0,
        limit: 10,
    };
    let row = views::StalledRollout {
        ags: ags("16055000"),
        name: "Weimar".into(),
        service: ServiceId::parse("bafoeg-digital").unwrap(),
        stage: efa_proto::AdoptionStage::Agreed,
        last_step: day,
        days: 120,
        adopter: ags("16071001"),
    };
    let stalled = pages::StalledPage {
        land: LandCode::parse("16").unwrap(),
        days_min: 90,
        as_of: day,
        stalled: vec![row.clone()],
        total: 1,
        next_offset: None,
    };
    let query = QueryKind::Stalled4 {
        land: LandCode::parse("16").unwrap(),
        service: None,
        days_min: 90,
        as_of: None,
        page,
    };
    let replies = [
        QueryReply::Stalled2(stalled.clone().into_v1()),
        QueryReply::Stalled4(stalled),
    ];
    assert_eq!(
        query_and_reply_hex(&[query], &replies),
        GOLDEN_STALLED_WITH_ADOPTER
    );
    let v1_row = encode(&views::StalledRolloutV1::from(&row));
    let row_bytes = encode(&row);
    assert_eq!(
        row_bytes[..v1_row.len()],
        v1_row[..],
        "the old row, then the adopter"
    );
    // Each encoding begins with the schema version; the adopter's bytes
    // follow it.
    assert_eq!(row_bytes[v1_row.len()..], encode(&row.adopter)[1..]);
}

const GOLDEN_STALLED_WITH_ADOPTER: [&str; 3] = [
    "01031b10005a00000a",
    "0110105af4b90201d8f5d307065765696d61720e6261666f65672d6469676974616c01f4b902780100",
    "0119105af4b90201d8f5d307065765696d61720e6261666f65672d6469676974616c01f4b90278d9f2d4070100",
];

/// A conditional read (`IfChanged`, appended) and its two answers; a
/// `Stamped` made from the answer already encoded is the same bytes.
#[test]
fn conditional_reads() {
    let stamp = AnswerStamp {
        applied_seq: 300,
        store_version: 2,
        layout: 7,
        today: Date::parse("2025-01-02").unwrap(),
        digest: [5; 32],
    };
    let inner = QueryKind::Funnel {
        service: ServiceId::parse("bafoeg-digital").unwrap(),
        land: None,
        as_of: None,
    };
    let queries = [
        QueryKind::IfChanged {
            kind: Box::new(inner.clone()),
            known: None,
        },
        QueryKind::IfChanged {
            kind: Box::new(inner),
            known: Some(stamp),
        },
    ];
    let answer = QueryReply::Funnel(None);
    let replies = [
        QueryReply::Stamped {
            stamp,
            reply: Box::new(answer.clone()),
        },
        QueryReply::Unchanged(stamp),
    ];
    assert_eq!(
        query_and_reply_hex(&queries, &replies),
        GOLDEN_CONDITIONAL_READS
    );
    assert_eq!(
        QueryReply::encode_stamped(&stamp, &encode(&answer)),
        encode(&replies[0])
    );
    let large = QueryReply::Catalogue(CatalogueView {
        services: vec![service_view(); 40],
        as_of_seq: 300,
    });
    assert_eq!(
        QueryReply::encode_stamped(&stamp, &encode(&large)),
        encode(&QueryReply::Stamped {
            stamp,
            reply: Box::new(large)
        })
    );
}

const GOLDEN_CONDITIONAL_READS: [&str; 4] = [
    "01031c0a0e6261666f65672d6469676974616c000000",
    "01031c0a0e6261666f65672d6469676974616c000001ac020207f4b9020505050505050505050505050505050505050505050505050505050505050505",
    "011aac020207f4b90205050505050505050505050505050505050505050505050505050505050505050b00",
    "011bac020207f4b9020505050505050505050505050505050505050505050505050505050505050505",
];

/// A page of a Land's registered municipalities: the query and its
/// answer, appended after the conditional reads.
#[test]
fn a_lands_municipalities() {
    let land = LandCode::parse("16").unwrap();
    let query = QueryKind::Gemeinden {
        land,
        as_of: Some(Date::parse("2024-06-30").unwrap()),
        page: pages::Page {
            offset: 0,
            limit: 2,
        },
    };
    let reply = QueryReply::Gemeinden(pages::GemeindenPage {
        land,
        as_of: Date::parse("2024-06-30").unwrap(),
        gemeinden: vec![efa_proto::views::GemeindeEntry {
            ags: Ags::parse("16051000").unwrap(),
            name: "Erfurt".into(),
            population: Some(213_699),
            status_de: "aktiv".into(),
        }],
        total: 3,
        next_offset: Some(2),
    });
    assert_eq!(query_and_reply_hex(&[query], &[reply]), GOLDEN_GEMEINDEN);
}

const GOLDEN_GEMEINDEN: [&str; 2] = [
    "01031d100180b7020002",
    "011c1080b70201b8d6d3070645726675727401c3850d05616b746976030102",
];

/// A page of a Land's municipalities without a service: the query and
/// its answer, appended after the Land's municipalities.
#[test]
fn a_lands_municipalities_without_a_service() {
    let land = LandCode::parse("16").unwrap();
    let service = ServiceId::parse("wohngeld").unwrap();
    let day = Date::parse("2024-06-30").unwrap();
    let query = QueryKind::NotAdopted {
        land,
        service: service.clone(),
        as_of: Some(day),
        page: pages::Page {
            offset: 0,
            limit: 2,
        },
    };
    let reply = QueryReply::NotAdopted(pages::NotAdoptedPage {
        land,
        service,
        as_of: day,
        gemeinden: vec![efa_proto::views::NotAdoptedEntry {
            ags: Ags::parse("16051000").unwrap(),
            name: "Erfurt".into(),
            kreis_name: "Erfurt".into(),
            population: Some(213_699),
            withdrawn_on: Some(Date::parse("2024-05-02").unwrap()),
        }],
        total: 3,
        population: 250_000,
        next_offset: Some(2),
    });
    assert_eq!(query_and_reply_hex(&[query], &[reply]), GOLDEN_NOT_ADOPTED);
}

const GOLDEN_NOT_ADOPTED: [&str; 2] = [
    "01031e1008776f686e67656c640180b7020002",
    "011d1008776f686e67656c6480b70201b8d6d307064572667572740645726675727401c3850d018ab6020390a10f0102",
];

/// A page of a Land's funnels in an order: the query and its answer,
/// appended after the municipalities without a service.
#[test]
fn a_lands_funnels_in_an_order() {
    let land = LandCode::parse("16").unwrap();
    let day = Date::parse("2024-06-30").unwrap();
    let order = pages::FunnelOrder::FewestLive;
    let query = QueryKind::LandFunnels {
        land,
        as_of: Some(day),
        order,
        page: pages::Page {
            offset: 0,
            limit: 2,
        },
    };
    let reply = QueryReply::LandFunnels(pages::LandFunnelsPage {
        land,
        as_of: day,
        order,
        funnels: vec![efa_proto::views::FunnelView {
            service: ServiceId::parse("wohngeld").unwrap(),
            land: Some(land),
            as_of: day,
            reached: [5, 4, 3, 2, 1],
            days_to_live_median: Some(40),
            days_to_live_p90: Some(90),
            live_count: 2,
        }],
        total: 3,
        next_offset: Some(2),
    });
    assert_eq!(query_and_reply_hex(&[query], &[reply]), GOLDEN_LAND_FUNNELS);
}

const GOLDEN_LAND_FUNNELS: [&str; 2] = [
    "01031f100180b702010002",
    "011e1080b702010108776f686e67656c64011080b70205040302010128015a02030102",
];
