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

const GOLDEN_COMMAND: &str = "01c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0000d01000188a30200176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d0310010304";
const GOLDEN_EVENT: &str = "010101e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e000176469676974616c652d62617567656e65686d6967756e67018080acbeedf2db0588a302000dc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0000000000000000000000000000000000000000000000000000000000000000000176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d031001030432ceafd53937f7ebd68c365010ce34701d905bb36384a1c8beee5fc6fcd271c4";
const GOLDEN_ACCEPTED: &str = "010007080201";
const GOLDEN_REJECTIONS: [&str; 10] = [
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
];
const GOLDEN_READ: &str = "01ac02f403";
const GOLDEN_PAGE: &str = "01000009";
const GOLDEN_QUERY_CATALOGUE: &str = "010500";
const GOLDEN_QUERY_SERVICE: &str = "0100010e6261666f65672d6469676974616c";
const GOLDEN_QUERY_REPLY: &str = "010001176469676974616c652d62617567656e65686d6967756e67174469676974616c652042617567656e65686d6967756e670d01094f5a472d3130303539010e39393132313030313030303030300e426175656e202620576f686e656e1b4c616e64204d65636b6c656e627572672d566f72706f6d6d65726e0103020d031001030488a3028080acbeedf2db05010101";
