//! What is on disk: the hash chain verifies, tampering is caught with the
//! sequence named, and a restart continues the chain.

use efa_proto::*;

use crate::{Harness, announce, envelope};

#[tokio::test]
async fn the_chain_verifies_and_continues_across_restarts() {
    let mut h = Harness::start().await;
    h.announce_services(1..=3).await;
    h.stop_ledger().await;
    let report = efa_ledger::verify(&h.data_dir, None, &[]).unwrap();
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
    assert_eq!(
        efa_ledger::verify(&h.data_dir, None, &[]).unwrap().events,
        4
    );
}

/// Flips the case of the `nth` "Dienst" (a title, so the record still
/// decodes) in the sled value under `key`.
fn flip_title_byte(data_dir: &std::path::Path, key: &[u8], nth: usize) {
    let db = efa_runtime::store_lock::open_when_unlocked(|| sled::open(data_dir.join("ledger")))
        .unwrap();
    let mut bytes = db.get(key).unwrap().unwrap().to_vec();
    let title_at = bytes
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == b"Dienst")
        .nth(nth)
        .unwrap()
        .0;
    bytes[title_at] ^= 0x20;
    db.insert(key, bytes).unwrap();
    db.flush().unwrap();
}

/// Verifies, once sled has released its file lock.
fn verify_when_unlocked(
    data_dir: &std::path::Path,
) -> Result<efa_ledger::ChainReport, efa_ledger::VerifyError> {
    efa_testkit::retry_while_locked(
        || efa_ledger::verify(data_dir, None, &[]),
        |error| {
            matches!(
                error,
                efa_ledger::VerifyError::Store(efa_ledger::store::StoreError::InUse { .. })
            )
        },
    )
}

fn assert_broken_at(
    result: Result<efa_ledger::ChainReport, efa_ledger::VerifyError>,
    expected_seq: u64,
) {
    match result {
        Err(efa_ledger::VerifyError::Broken { seq, problem }) => {
            assert_eq!(seq, expected_seq, "{problem}");
            assert_eq!(problem, efa_ledger::Break::HashMismatch);
        }
        other => panic!("tampering with event {expected_seq} not caught: {other:?}"),
    }
}

/// The log holds a packed block (events 1 to `BLOCK_LEN`) and newer events on their
/// own; a flipped byte is caught, with its sequence named, in either.
#[tokio::test]
async fn a_flipped_byte_in_a_stored_event_is_caught() {
    use efa_ledger::store::log::{BLOCK_LEN, block_key, event_key};
    let mut h = Harness::start().await;
    let events = BLOCK_LEN + 6;
    h.announce_services(1..=events).await;
    h.stop_ledger().await;
    assert_eq!(verify_when_unlocked(&h.data_dir).unwrap().events, events);

    let loose = BLOCK_LEN + 2;
    flip_title_byte(&h.data_dir, &event_key(loose), 0);
    assert_broken_at(verify_when_unlocked(&h.data_dir), loose);

    // Event 2 is the second title in block 0.
    flip_title_byte(&h.data_dir, &block_key(0), 1);
    assert_broken_at(verify_when_unlocked(&h.data_dir), 2);
}

/// The stored checkpoint of the head carries the ledger's signature:
/// `verify` checks it with the data dir's public key or a given one, and
/// names the head when the signature does not hold.
#[tokio::test]
async fn verify_checks_the_ledgers_signature() {
    let mut h = Harness::start().await;
    h.announce_services(1..=2).await;
    h.stop_ledger().await;
    let report = verify_when_unlocked(&h.data_dir).unwrap();
    assert!(report.checkpoint_signed);

    let other = efa_trust::SigningKey::generate("ledger").unwrap().public();
    let error = efa_ledger::verify(&h.data_dir, Some(&other), &[]).unwrap_err();
    assert!(
        matches!(
            &error,
            efa_ledger::VerifyError::Broken {
                seq: 2,
                problem: efa_ledger::Break::BadSignature { .. }
            }
        ),
        "{error}"
    );

    // One byte of the stored signature changed.
    {
        let db =
            efa_runtime::store_lock::open_when_unlocked(|| sled::open(h.data_dir.join("ledger")))
                .unwrap();
        let mut bytes = db.get(b"m:checkpoint").unwrap().unwrap().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        db.insert(b"m:checkpoint", bytes).unwrap();
        db.flush().unwrap();
    }
    let error = verify_when_unlocked(&h.data_dir).unwrap_err();
    assert!(
        matches!(
            &error,
            efa_ledger::VerifyError::Broken {
                seq: 2,
                problem: efa_ledger::Break::BadSignature { .. }
            }
        ),
        "{error}"
    );
}

/// sled goes back to the last state it can read when its log is damaged,
/// without an error; an older copy of the store put back looks the same.
/// The head witness beside the store names a later event: `verify` says
/// that events are missing, so does a checkpoint kept from earlier
/// without the witness, and the ledger refuses to open the store.
#[tokio::test]
async fn a_store_that_lost_its_newest_events_is_caught() {
    let (mut h, older) = two_events_and_a_copy_of_the_store().await;
    h.start_ledger().await;
    announce_third(&h).await;
    let head = h.read(3, 1).await.events[0].hash;
    h.stop_ledger().await;
    let witness = std::fs::read_to_string(h.data_dir.join("ledger-head.txt")).unwrap();
    assert!(witness.starts_with("checkpoint 3 "), "{witness}");
    let whole = verify_when_unlocked(&h.data_dir).unwrap();
    assert_eq!(whole.witness, efa_ledger::WitnessCheck::Held { seq: 3 });
    // A witness whose signature was changed is not the ledger's.
    let witness_file = h.data_dir.join("ledger-head.txt");
    let flipped = match witness.trim_end().chars().last() {
        Some('0') => format!("{}1\n", &witness.trim_end()[..witness.trim_end().len() - 1]),
        _ => format!("{}0\n", &witness.trim_end()[..witness.trim_end().len() - 1]),
    };
    std::fs::write(&witness_file, flipped).unwrap();
    let error = verify_when_unlocked(&h.data_dir).unwrap_err();
    assert!(
        matches!(
            &error,
            efa_ledger::VerifyError::Broken {
                seq: 3,
                problem: efa_ledger::Break::WitnessUnsigned
            }
        ),
        "{error}"
    );
    std::fs::write(&witness_file, &witness).unwrap();

    // The older store put back in place of the newer one.
    std::fs::remove_dir_all(h.data_dir.join("ledger")).unwrap();
    efa_testkit::copy_dir(&older.path().join("ledger"), &h.data_dir.join("ledger"));
    let error = verify_when_unlocked(&h.data_dir).unwrap_err();
    assert!(
        matches!(
            &error,
            efa_ledger::VerifyError::Broken {
                seq: 3,
                problem: efa_ledger::Break::Truncated {
                    named: 3,
                    ends_at: 2,
                    ..
                }
            }
        ),
        "{error}"
    );
    let refused = efa_ledger::store::LedgerStore::open(&h.data_dir).unwrap_err();
    assert!(
        matches!(
            refused,
            efa_ledger::store::StoreError::BehindWitness {
                head: 2,
                witnessed: 3,
                ..
            }
        ),
        "{refused}"
    );

    // Without the witness, the chain itself is whole; a kept checkpoint
    // still tells.
    std::fs::remove_file(h.data_dir.join("ledger-head.txt")).unwrap();
    let report = verify_when_unlocked(&h.data_dir).unwrap();
    assert_eq!(
        (report.events, report.witness),
        (2, efa_ledger::WitnessCheck::Absent)
    );
    let error = efa_ledger::verify(&h.data_dir, None, &[(3, head)]).unwrap_err();
    assert!(
        matches!(
            &error,
            efa_ledger::VerifyError::Broken {
                problem: efa_ledger::Break::Truncated { named: 3, .. },
                ..
            }
        ),
        "{error}"
    );
}

/// `verify` reads a copy: the data dir's files stay as they were, byte
/// for byte, and none is added.
#[tokio::test]
async fn verify_leaves_the_data_dir_as_it_was() {
    let mut h = Harness::start().await;
    let reply = h
        .send(&envelope(1, "land:04", announce("dienst-1", "04")))
        .await;
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    h.stop_ledger().await;
    let before = files_with_contents(&h.data_dir);
    assert_eq!(verify_when_unlocked(&h.data_dir).unwrap().events, 1);
    assert_eq!(files_with_contents(&h.data_dir), before);
}

/// Announces `dienst-3`, the event the copy of the store lacks.
async fn announce_third(h: &Harness) {
    let reply = h
        .send(&envelope(3, "land:04", announce("dienst-3", "04")))
        .await;
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
}

/// A ledger that recorded two events, stopped, and a copy of its store
/// (with its head witness) as it was then.
async fn two_events_and_a_copy_of_the_store() -> (Harness, tempfile::TempDir) {
    let mut h = Harness::start().await;
    h.announce_services(1..=2).await;
    h.stop_ledger().await;
    let older = tempfile::tempdir().unwrap();
    efa_testkit::copy_dir(&h.data_dir.join("ledger"), &older.path().join("ledger"));
    std::fs::copy(
        h.data_dir.join("ledger-head.txt"),
        older.path().join("ledger-head.txt"),
    )
    .unwrap();
    (h, older)
}

/// Every file below `dir` with its bytes.
fn files_with_contents(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_with_contents(&path));
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

/// An older copy of the store put back together with its head witness:
/// both agree, but the event stream still holds the newer events, signed
/// by this ledger. The ledger refuses to start instead of handing out
/// their sequence numbers again and replacing the stream's copy.
#[tokio::test]
async fn a_store_put_back_with_its_witness_is_caught_by_the_event_stream() {
    let (mut h, older) = two_events_and_a_copy_of_the_store().await;
    h.start_ledger().await;
    announce_third(&h).await;
    let js = async_nats::jetstream::new(h.client.clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mut stream = js.get_stream(subjects::EVENT_STREAM).await.unwrap();
        if stream.info().await.unwrap().state.last_sequence == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "event 3 never relayed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    h.stop_ledger().await;

    std::fs::remove_dir_all(h.data_dir.join("ledger")).unwrap();
    efa_testkit::copy_dir(&older.path().join("ledger"), &h.data_dir.join("ledger"));
    std::fs::copy(
        older.path().join("ledger-head.txt"),
        h.data_dir.join("ledger-head.txt"),
    )
    .unwrap();
    let client = async_nats::connect(h.nats.url()).await.unwrap();
    let config = efa_ledger::LedgerConfig {
        data_dir: h.data_dir.clone(),
        cluster: None,
    };
    let refused = efa_ledger::Ledger::start(config, client).await;
    match refused {
        Err(efa_ledger::LedgerError::StreamAhead(ahead)) => {
            assert_eq!((ahead.head, ahead.signed), (2, 3));
        }
        other => panic!("the ledger started on a store behind its stream: {other:?}"),
    }
    // The stream still holds event 3.
    let mut stream = js.get_stream(subjects::EVENT_STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.last_sequence, 3);
}

/// The ledger renews its head witness from the store's signed head when
/// it opens (also where there was none, as in a store written before
/// witnesses existed), and sets aside a witness its key did not sign
/// instead of refusing to start on its word.
#[tokio::test]
async fn the_ledger_renews_its_witness_and_sets_aside_one_it_did_not_sign() {
    let (mut h, _older) = two_events_and_a_copy_of_the_store().await;
    let witness_file = h.data_dir.join("ledger-head.txt");
    std::fs::remove_file(&witness_file).unwrap();
    h.start_ledger().await;
    let renewed = std::fs::read_to_string(&witness_file).unwrap();
    assert!(renewed.starts_with("checkpoint 2 "), "{renewed}");
    h.stop_ledger().await;

    // Not signed by this ledger, and naming an event the store lacks.
    let other = efa_trust::SigningKey::generate("ledger").unwrap();
    let forged = efa_trust::sign_checkpoint(&other, 9, &[7; 32]);
    std::fs::write(
        &witness_file,
        format!("{}\n", efa_trust::checkpoint_line(&forged)),
    )
    .unwrap();
    h.start_ledger().await;
    let renewed = std::fs::read_to_string(&witness_file).unwrap();
    assert!(renewed.starts_with("checkpoint 2 "), "{renewed}");
    h.stop_ledger().await;
}
