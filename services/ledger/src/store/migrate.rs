//! Upgrades a store written before the key layout had a version (layout 1:
//! `c` + command id, `s` + stream key, one `e` key per event) to the
//! current layout, when it is opened. Each step is one atomic batch that
//! writes the new records and removes the old ones, so a crash part-way
//! leaves a store that the next open simply continues to migrate; the
//! layout version is written last.

use efa_proto::codec;

use super::log::{block_key, last_seq_of};
use super::{COMMANDS, LAYOUT, LAYOUT_KEY, LedgerStore, STREAMS, StoreError};
use crate::store::buckets::BucketSpace;

/// Old records moved per batch.
const CHUNK_LEN: usize = 50_000;

pub(super) fn from_layout_1(store: &LedgerStore) -> Result<(), StoreError> {
    tracing::info!("ledger store has key layout 1; migrating it to layout {LAYOUT}");
    let commands = move_into_buckets(store, b'c', COMMANDS)?;
    let streams = move_into_buckets(store, b's', STREAMS)?;
    let blocks = pack_complete_blocks(store)?;
    store.db.insert(LAYOUT_KEY, codec::encode(&LAYOUT))?;
    store.db.flush()?;
    store.data_file.sync_data().map_err(StoreError::Fsync)?;
    tracing::info!(
        commands,
        streams,
        blocks,
        "ledger store migrated to layout {LAYOUT}"
    );
    Ok(())
}

/// Moves the records under the one-byte `prefix` into the buckets of `space`.
fn move_into_buckets(
    store: &LedgerStore,
    prefix: u8,
    space: BucketSpace,
) -> Result<usize, StoreError> {
    let mut moved = 0;
    loop {
        let mut records = Vec::new();
        let mut changes = sled::Batch::default();
        for entry in store.db.scan_prefix([prefix]).take(CHUNK_LEN) {
            let (key, value) = entry?;
            changes.remove(&key);
            records.push((key[1..].to_vec(), value.to_vec()));
        }
        if records.is_empty() {
            return Ok(moved);
        }
        moved += records.len();
        let written = store.merge_into_buckets(space, records, &mut changes)?;
        store.db.apply_batch(changes)?;
        // The next chunk may fall into the same buckets: it must see these.
        store.keep_buckets(written);
    }
}

/// Packs every block that the head has completed and that is still held
/// as single events (unless it is too large to pack).
fn pack_complete_blocks(store: &LedgerStore) -> Result<u64, StoreError> {
    let head = store.head()?;
    let mut packed = 0;
    let mut block = 0;
    while last_seq_of(block) <= head.seq {
        let mut changes = sled::Batch::default();
        let chunk_end = block + 256;
        while block < chunk_end && last_seq_of(block) <= head.seq {
            if store.db.get(block_key(block))?.is_none()
                && store.pack_block(block, &[], &mut changes)?
            {
                packed += 1;
            }
            block += 1;
        }
        store.db.apply_batch(changes)?;
    }
    Ok(packed)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use efa_proto::*;
    use tokio::sync::watch;

    use super::*;
    use crate::store::buckets::Bucket;
    use crate::store::log::{Block, event_key};
    use crate::store::tests::announce;
    use crate::writer::Writer;
    use efa_testkit::retry_while_locked;

    /// Rewrites a current store the way layout 1 kept it.
    fn downgrade_to_layout_1(db: &sled::Db) {
        for (space, old_prefix) in [(COMMANDS, b"c"), (STREAMS, b"s")] {
            for entry in db.scan_prefix([space.prefix_byte()]) {
                let (key, bytes) = entry.unwrap();
                for (record, value) in Bucket::decode(&bytes).unwrap().entries() {
                    db.insert([&old_prefix[..], record].concat(), value.as_slice())
                        .unwrap();
                }
                db.remove(key).unwrap();
            }
        }
        for entry in db.scan_prefix(b"b") {
            let (key, bytes) = entry.unwrap();
            let index = u64::from_be_bytes(key[1..].try_into().unwrap());
            for (offset, event) in Block::decode(&bytes).unwrap().events.iter().enumerate() {
                let seq = crate::store::log::first_seq_of(index) + offset as u64;
                db.insert(event_key(seq), event.as_slice()).unwrap();
            }
            db.remove(key).unwrap();
        }
        db.remove(LAYOUT_KEY).unwrap();
        db.flush().unwrap();
    }

    fn reopen(dir: &std::path::Path) -> LedgerStore {
        retry_while_locked(|| LedgerStore::open(dir), |_| true).unwrap()
    }

    fn reopen_to_read(dir: &std::path::Path) -> LedgerStore {
        retry_while_locked(|| LedgerStore::open_to_read(dir), |_| true).unwrap()
    }

    #[test]
    fn a_layout_1_store_is_migrated_when_opened_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let total = 150u32;
        let (events_before, stream_before) = {
            let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
            let mut writer = Writer::new(
                store.clone(),
                watch::channel(0).0,
                crate::keys::ledger_key(dir.path()).unwrap(),
            )
            .unwrap();
            writer.commit_envelopes((1..=100).map(announce).collect());
            writer.commit_envelopes((101..=total).map(announce).collect());
            let events = store.events_from(1, 1000).unwrap();
            let stream = store
                .stream(&StreamId::Service(ServiceId::parse("dienst-7").unwrap()))
                .unwrap();
            drop(writer);
            let store = Arc::into_inner(store).unwrap();
            downgrade_to_layout_1(&store.db);
            assert!(store.db.get(block_key(0)).unwrap().is_none());
            assert!(store.db.scan_prefix(b"c").next().is_some());
            (events, stream)
        };

        // `efa verify` reads a layout 1 store as it is and changes nothing.
        let report = retry_while_locked(|| crate::verify::verify(dir.path(), None, &[]), |_| true);
        assert_eq!(report.unwrap().events, u64::from(total));
        {
            let store = reopen_to_read(dir.path());
            assert!(store.db.get(LAYOUT_KEY).unwrap().is_none());
            assert!(store.db.scan_prefix(b"c").next().is_some());
        }

        let store = Arc::new(reopen(dir.path()));
        assert!(store.db.scan_prefix(b"c").next().is_none());
        assert!(store.db.scan_prefix(b"s").next().is_none());
        assert!(store.db.get(block_key(1)).unwrap().is_some());
        assert!(store.db.get(event_key(1)).unwrap().is_none());
        assert_eq!(store.events_from(1, 1000).unwrap(), events_before);
        assert_eq!(crate::verify::verify_store(&store).unwrap().events, 150);
        let stream = store
            .stream(&StreamId::Service(ServiceId::parse("dienst-7").unwrap()))
            .unwrap();
        assert_eq!(stream, stream_before);

        let mut writer = Writer::new(
            store.clone(),
            watch::channel(0).0,
            crate::keys::ledger_key(dir.path()).unwrap(),
        )
        .unwrap();
        let answers = writer.commit_envelopes((1..=total + 1).map(announce).collect());
        for (n, answer) in (1..=total + 1).zip(answers) {
            let CommandReply::Accepted(accepted) = answer else {
                panic!("command {n}: {answer:?}")
            };
            assert_eq!(accepted.replayed, n <= total, "command {n}");
            assert_eq!(accepted.last_seq, u64::from(n), "command {n}");
        }
    }
}
