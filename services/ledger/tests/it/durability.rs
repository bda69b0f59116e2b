//! What is on disk: the hash chain verifies, tampering is caught with the
//! sequence named, and a restart continues the chain.

use efa_proto::*;

use crate::{Harness, announce, envelope};

#[tokio::test]
async fn the_chain_verifies_and_continues_across_restarts() {
    let mut h = Harness::start().await;
    for n in 1..=3 {
        let reply = h
            .send(&envelope(
                n,
                "land:04",
                announce(&format!("dienst-{n}"), "04"),
            ))
            .await;
        assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    }
    h.stop_ledger().await;
    let report = efa_ledger::verify(&h.data_dir).unwrap();
    assert_eq!(report.events, 3);

    h.start_ledger().await;
    let reply = h
        .send(&envelope(4, "land:04", announce("dienst-4", "04")))
        .await;
    let CommandReply::Accepted(accepted) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(accepted.last_seq, 4);
    let events = h.read(1, 10).await.events;
    assert_eq!(events[3].record.prev_hash, events[2].hash);
    h.stop_ledger().await;
    assert_eq!(efa_ledger::verify(&h.data_dir).unwrap().events, 4);
}

#[tokio::test]
async fn a_flipped_byte_in_a_stored_event_is_caught() {
    let mut h = Harness::start().await;
    for n in 1..=3 {
        h.send(&envelope(
            n,
            "land:04",
            announce(&format!("dienst-{n}"), "04"),
        ))
        .await;
    }
    h.stop_ledger().await;
    {
        let db = sled::open(h.data_dir.join("ledger")).unwrap();
        let key = efa_ledger::store::event_key(2);
        let mut bytes = db.get(key).unwrap().unwrap().to_vec();
        // Flip a byte inside the title text ("Dienst dienst-2"), keeping the record decodable.
        let title_at = bytes.windows(6).position(|w| w == b"Dienst").unwrap();
        bytes[title_at] ^= 0x20;
        db.insert(key, bytes).unwrap();
        db.flush().unwrap();
    }
    // sled releases its file lock from a background thread after the
    // handle is dropped; wait for it (bounded).
    let mut result = efa_ledger::verify(&h.data_dir);
    for _ in 0..250 {
        if !matches!(
            result,
            Err(efa_ledger::VerifyError::Store(
                efa_ledger::store::StoreError::Open { .. }
            ))
        ) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        result = efa_ledger::verify(&h.data_dir);
    }
    match result {
        Err(efa_ledger::VerifyError::Broken { seq, problem }) => {
            assert_eq!(seq, 2, "{problem}");
            assert!(problem.contains("hash"), "{problem}");
        }
        other => panic!("tampering not caught: {other:?}"),
    }
}
