//! What the store does when a group commit cannot be made durable, and a
//! command helper for the store's tests.

use std::sync::Arc;

use efa_proto::*;
use tokio::sync::watch;

use super::LedgerStore;
use super::log::{BLOCK_LEN, event_key};
use crate::writer::Writer;

/// Land 09 announces `dienst-<n>`, under a command id made from `n`.
pub(super) fn announce(n: u32) -> CommandEnvelope {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    CommandEnvelope {
        command_id: CommandId(id),
        actor: Actor::parse("land:09").unwrap(),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(AnnounceService {
            service: ServiceId::parse(&format!("dienst-{n}")).unwrap(),
            title: format!("Dienst {n}"),
            lead: LandCode::new(9).unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Familie & Kind".into(),
            provider: "AKDB".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::EqualShares,
            status: ServiceStatus::Planned,
            reifegrad: Reifegrad::new(1).unwrap(),
        }),
    }
}

/// Reading a directory without a ledger is refused, and creates nothing
/// there (sled would create an empty store).
#[test]
fn reading_a_directory_without_a_ledger_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nonexistent");

    let opened = LedgerStore::open_to_read(&missing);

    assert!(
        matches!(opened, Err(super::StoreError::NoLedger { ref path }) if *path == missing.join("ledger")),
        "{opened:?}"
    );
    assert!(!missing.exists());
    let empty = LedgerStore::open_to_read(dir.path());
    assert!(
        matches!(empty, Err(super::StoreError::NoLedger { .. })),
        "{empty:?}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A commit that fails (here: completing a block whose earlier event has
/// gone missing) acknowledges nothing, and the writer decides nothing
/// more until a restart: no command after it is accepted.
#[test]
fn a_failed_group_commit_stops_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
    let (head_tx, head) = watch::channel(0);
    let mut writer = Writer::new(store.clone(), head_tx, crate::writer::test_key()).unwrap();
    for answer in writer.commit_envelopes((1..=3).map(announce).collect()) {
        assert!(matches!(answer, CommandReply::Accepted(_)), "{answer:?}");
    }
    store.db.remove(event_key(2)).unwrap();

    let completing = (4..=BLOCK_LEN as u32).map(announce).collect();
    for answer in writer.commit_envelopes(completing) {
        assert!(
            matches!(
                answer,
                CommandReply::Rejected(Rejection::Unavailable { .. })
            ),
            "{answer:?}"
        );
    }
    let later = writer.commit_envelopes(vec![announce(100)]);
    assert!(
        matches!(
            later[..],
            [CommandReply::Rejected(Rejection::Unavailable { .. })]
        ),
        "{later:?}"
    );
    assert_eq!(*head.borrow(), 3);
    assert_eq!(store.head().unwrap().seq, 3);
}

/// The newest events come from memory, the older ones from sled, and
/// both give what is on disk; nothing beyond the durable head is served.
#[test]
fn events_from_memory_equal_the_log_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
    let (head_tx, _) = watch::channel(0);
    let mut writer = Writer::new(store.clone(), head_tx, crate::writer::test_key()).unwrap();
    let count = super::cache::RECENT_EVENTS_MAX as u32 + 100;
    for chunk in (1..=count).collect::<Vec<_>>().chunks(500) {
        writer.commit_envelopes(chunk.iter().copied().map(announce).collect());
    }
    let on_disk = store.events_on_disk_from(1, count as usize).unwrap();
    assert_eq!(on_disk.len(), count as usize);
    for from in [1, 50, 99, 101, 2000, u64::from(count) - 3] {
        assert_eq!(
            store.events_from(from, 1000).unwrap(),
            on_disk
                .iter()
                .skip(from as usize - 1)
                .take(1000)
                .cloned()
                .collect::<Vec<_>>(),
            "from {from}"
        );
    }
    store.pretend_durable_up_to(u64::from(count) - 10);
    assert_eq!(
        store.events_from(u64::from(count) - 20, 100).unwrap().len(),
        11
    );
}

/// Opening the store for the writer moves sled's log past a segment with
/// filler (`settle_segments`) and leaves none of it behind, also when an
/// earlier open was interrupted with filler in the store; the log and the
/// head stay as they were.
#[test]
fn opening_leaves_no_settling_filler_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
    assert!(store.db.get(super::SETTLE_KEY).unwrap().is_none());
    let (head_tx, _) = watch::channel(0);
    let mut writer = Writer::new(store.clone(), head_tx, crate::writer::test_key()).unwrap();
    writer.commit_envelopes((1..=5).map(announce).collect());
    let events = store.events_on_disk_from(1, 10).unwrap();
    // What a crash between writing and removing the filler leaves.
    store.db.insert(super::SETTLE_KEY, &b"x"[..]).unwrap();
    store.db.flush().unwrap();
    drop(writer);
    drop(store);

    let store = LedgerStore::open(dir.path()).unwrap();
    assert!(store.db.get(super::SETTLE_KEY).unwrap().is_none());
    assert_eq!(store.head().unwrap().seq, 5);
    assert_eq!(store.events_on_disk_from(1, 10).unwrap(), events);
}

/// A store opened again while a handle of its sled is still going away
/// (as sled's own flusher thread may hold one for a moment) waits for
/// the lock instead of failing.
#[test]
fn opening_again_waits_for_a_handle_going_away() {
    let dir = tempfile::tempdir().unwrap();
    let store = LedgerStore::open(dir.path()).unwrap();
    let lingering = store.db.clone();
    drop(store);
    let letting_go = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(lingering);
    });
    let reopened = LedgerStore::open(dir.path());
    letting_go.join().unwrap();
    assert_eq!(reopened.unwrap().head().unwrap().seq, 0);
}
