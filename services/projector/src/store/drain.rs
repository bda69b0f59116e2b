//! Keeps sled's queue of unwritten log buffers shorter than its I/O pool.
//!
//! sled 0.34.7 writes each full log buffer (512 KiB) as a task on its
//! global I/O pool, and each task waits for the disk (`sync_file_range`).
//! A writer that outruns the disk queues more such tasks than the pool
//! has threads (seven, and the pool does not grow while all are busy: its
//! count of idle threads wraps below zero). If the writer then needs a
//! segment whose truncation it queued behind them, it waits for that
//! truncation while holding the segment accountant, which every one of
//! those tasks takes when its write is done: every writer of the process
//! stops for good (ARCHITECTURE.md, "A hang inside sled").
//!
//! A flush returns only once every buffer sealed so far is written. So the
//! store flushes after every `every` bytes of changes it has committed:
//! the queue then never holds more than a few buffers, and a writer that
//! outruns the disk waits for it here instead of piling work on the pool.

use std::sync::atomic::{AtomicU64, Ordering};

use efa_runtime::stall::StallWatch;

/// Bytes of keys and values committed between two flushes. sled's log
/// writes about 3.6 times what the commits hold (node rewrites, headers;
/// 7.5 MB of log per 2 MiB committed in the benchmark's live row), so
/// this leaves about 1.8 MB, three or four of its 512 KiB buffers,
/// queued at most: below the pool's seven threads, with room for the
/// ledger's (which flushes at every commit) in the same process.
pub(super) const DRAIN_EVERY_BYTES: u64 = 512 << 10;

#[derive(Debug)]
pub(super) struct Drain {
    /// 0: never flush (the soak benchmark's unguarded side).
    every: u64,
    /// Bytes committed since the last flush.
    gathered: AtomicU64,
}

impl Drain {
    pub(super) fn new(every: u64) -> Self {
        Self {
            every,
            gathered: AtomicU64::new(0),
        }
    }

    /// Counts `bytes` just committed to `db`, and flushes once `every`
    /// bytes have gathered since the last flush.
    pub(super) fn committed(
        &self,
        db: &sled::Db,
        stalls: &StallWatch,
        bytes: u64,
    ) -> Result<(), sled::Error> {
        if self.every == 0 {
            return Ok(());
        }
        let gathered = self.gathered.fetch_add(bytes, Ordering::AcqRel) + bytes;
        if gathered < self.every {
            return Ok(());
        }
        self.gathered.store(0, Ordering::Release);
        stalls.write(|| db.flush()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn store() -> (tempfile::TempDir, sled::Db) {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .flush_every_ms(None)
            .open()
            .expect("open sled");
        (dir, db)
    }

    fn unwatched() -> StallWatch {
        StallWatch::new("test", Duration::from_secs(3600), Box::new(|_, _| {}))
    }

    /// sled's count of bytes it has written to its log file so far.
    fn written(db: &sled::Db) -> u64 {
        db.size_on_disk().expect("the size on disk")
    }

    #[test]
    fn a_flush_comes_once_enough_bytes_have_gathered() {
        let (_dir, db) = store();
        let stalls = unwatched();
        let drain = Drain::new(10_000);
        let empty = written(&db);
        db.insert(b"a", vec![1u8; 6_000]).expect("insert");
        drain.committed(&db, &stalls, 6_000).expect("no flush yet");
        assert_eq!(drain.gathered.load(Ordering::Acquire), 6_000);
        assert_eq!(written(&db), empty, "nothing written before the flush");
        db.insert(b"b", vec![2u8; 6_000]).expect("insert");
        let before = written(&db);
        drain.committed(&db, &stalls, 6_000).expect("a flush");
        assert_eq!(drain.gathered.load(Ordering::Acquire), 0);
        assert!(
            written(&db) > before,
            "the flush wrote the buffered changes"
        );
    }

    #[test]
    fn a_drain_of_zero_never_flushes() {
        let (_dir, db) = store();
        let drain = Drain::new(0);
        drain
            .committed(&db, &unwatched(), u64::MAX / 2)
            .expect("nothing to do");
        assert_eq!(drain.gathered.load(Ordering::Acquire), 0);
    }
}
