//! The physical layout of the log (events on their own, then packed into
//! blocks) and of the command and stream buckets is invisible from outside:
//! whatever the sizes of the group commits, every event reads back by its
//! sequence number and in ranges, the chain verifies, and every command is
//! remembered after a reopen.

use std::sync::Arc;

use efa_ledger::store::LedgerStore;
use efa_ledger::store::log::BLOCK_LEN;
use efa_ledger::writer::Writer;
use efa_proto::*;
use tokio::sync::watch;

use crate::announce;

fn command(n: u32) -> CommandEnvelope {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    CommandEnvelope {
        command_id: CommandId(id),
        actor: Actor::parse("land:04").unwrap(),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(announce(&format!("dienst-{n}"), "04")),
    }
}

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
                assert_eq!(event.record.seq, from + offset as u64);
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
        let mut writer = Writer::new(store.clone(), watch::channel(0).0).unwrap();
        let mut next = 1;
        for size in group_sizes {
            let envelopes = (next..next + size).map(command).collect();
            for answer in writer.commit_envelopes(envelopes) {
                assert!(matches!(answer, CommandReply::Accepted(_)), "{answer:?}");
            }
            next += size;
            assert_eq!(store.head().unwrap().seq, u64::from(next - 1));
            assert_log_reads_back(&store, u64::from(next - 1));
        }
    }
    // sled releases its lock from a background thread; wait for it (bounded).
    let mut reopened = LedgerStore::open(dir.path());
    for _ in 0..250 {
        if reopened.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        reopened = LedgerStore::open(dir.path());
    }
    let store = Arc::new(reopened.unwrap());
    let report = efa_ledger::verify_store(&store).unwrap();
    assert_eq!(report.events, u64::from(total));
    assert_log_reads_back(&store, u64::from(total));

    // Every command is remembered: sent again, each gets its first answer.
    let mut writer = Writer::new(store.clone(), watch::channel(0).0).unwrap();
    let answers = writer.commit_envelopes((1..=total).map(command).collect());
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

/// sled writes items over 128 KiB to blob files that it does not fsync;
/// the ledger's records are kept small enough never to need one.
fn assert_no_sled_blobs(data_dir: &std::path::Path) {
    let blobs = data_dir.join("ledger").join("blobs");
    let count = std::fs::read_dir(&blobs).map_or(0, |dir| dir.count());
    assert_eq!(count, 0, "sled wrote {count} blob files");
}
