//! The physical layout of the log (events on their own, then packed into
//! blocks) and of the command and stream buckets is invisible from outside:
//! whatever the sizes of the group commits, every event reads back by its
//! sequence number and in ranges, the chain verifies, and every command is
//! remembered after a reopen.

use std::sync::Arc;

use efa_ledger::store::LedgerStore;
use efa_ledger::store::log::{BLOCK_LEN, block_key, event_key};
use efa_ledger::writer::Writer;
use efa_proto::*;
use efa_testkit::retry_while_locked;
use tokio::sync::watch;

use crate::numbered_announcement;

fn assert_log_reads_back(store: &LedgerStore, head: u64) {
    for seq in 1..=head {
        let event = store.event(seq).unwrap().unwrap();
        assert_eq!(event.record.seq, seq);
    }
    assert!(store.event(head + 1).unwrap().is_none());
    let starts = [1, 2, BLOCK_LEN, BLOCK_LEN + 1, head / 2 + 1, head, head + 1];
    for from in starts {
        for limit in [1, 7, 100, 1000] {
            let page = store.events_from(from, limit).unwrap();
            let expected = (head + 1).saturating_sub(from).min(limit as u64);
            assert_eq!(page.len() as u64, expected, "from {from}, limit {limit}");
            for (offset, event) in page.iter().enumerate() {
                assert_eq!(event.event.record.seq, from + offset as u64);
            }
        }
    }
}

#[test]
fn events_read_back_whatever_the_group_commit_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let group_sizes = [1, 1, 62, 1, 3, 64, 64, 1, 130, 5, 200, 2];
    let total: u32 = group_sizes.iter().sum();
    {
        let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
        let mut writer =
            Writer::new(store.clone(), watch::channel(0).0, crate::test_key()).unwrap();
        let mut next = 1;
        for size in group_sizes {
            let envelopes = (next..next + size).map(numbered_announcement).collect();
            for answer in writer.commit_envelopes(envelopes) {
                assert!(matches!(answer, CommandReply::Accepted(_)), "{answer:?}");
            }
            next += size;
            assert_eq!(store.head().unwrap().seq, u64::from(next - 1));
            assert_log_reads_back(&store, u64::from(next - 1));
        }
    }
    let reopened = retry_while_locked(|| LedgerStore::open(dir.path()), |_| true);
    let store = Arc::new(reopened.unwrap());
    let report = efa_ledger::verify_store(&store).unwrap();
    assert_eq!(report.events, u64::from(total));
    assert_log_reads_back(&store, u64::from(total));

    // Every command is remembered: sent again, each gets its first answer.
    let mut writer = Writer::new(store.clone(), watch::channel(0).0, crate::test_key()).unwrap();
    let answers = writer.commit_envelopes((1..=total).map(numbered_announcement).collect());
    for (n, answer) in (1..=total).zip(answers) {
        match answer {
            CommandReply::Accepted(accepted) => {
                assert!(accepted.replayed, "command {n}");
                assert_eq!(accepted.last_seq, u64::from(n), "command {n}");
            }
            other => panic!("command {n}: {other:?}"),
        }
    }
    assert_eq!(store.head().unwrap().seq, u64::from(total));
    assert_no_sled_blobs(dir.path());
}

/// Blocks of unusually large events (here 100 LeiKa keys each, about
/// 1.6 KB per event) stay unpacked and still read back; ordinary blocks
/// after them are packed again.
#[test]
fn blocks_of_large_events_keep_their_single_keys() {
    let dir = tempfile::tempdir().unwrap();
    let large = |n: u32| {
        let mut envelope = numbered_announcement(n);
        if let Command::AnnounceService(announce) = &mut envelope.command {
            announce.leika = (0..100)
                .map(|k| format!("{:014}", u64::from(n) * 1000 + k))
                .collect();
        }
        envelope
    };
    let total = 3 * BLOCK_LEN as u32;
    {
        let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
        let mut writer =
            Writer::new(store.clone(), watch::channel(0).0, crate::test_key()).unwrap();
        let mut envelopes: Vec<_> = (1..=2 * BLOCK_LEN as u32).map(large).collect();
        envelopes.extend((2 * BLOCK_LEN as u32 + 1..=total).map(numbered_announcement));
        for answer in writer.commit_envelopes(envelopes) {
            assert!(matches!(answer, CommandReply::Accepted(_)), "{answer:?}");
        }
        assert_log_reads_back(&store, u64::from(total));
        assert_eq!(
            efa_ledger::verify_store(&store).unwrap().events,
            u64::from(total)
        );
    }
    let db = retry_while_locked(|| sled::open(dir.path().join("ledger")), |_| true).unwrap();
    assert!(db.get(block_key(0)).unwrap().is_none());
    assert!(db.get(block_key(1)).unwrap().is_none());
    assert!(db.get(event_key(1)).unwrap().is_some());
    assert!(db.get(block_key(2)).unwrap().is_some());
    assert!(db.get(event_key(total.into())).unwrap().is_none());
}

/// sled writes items over 128 KiB to blob files that it does not fsync;
/// the ledger's records are kept small enough never to need one.
fn assert_no_sled_blobs(data_dir: &std::path::Path) {
    let blobs = data_dir.join("ledger").join("blobs");
    let count = std::fs::read_dir(&blobs).map_or(0, |dir| dir.count());
    assert_eq!(count, 0, "sled wrote {count} blob files");
}
