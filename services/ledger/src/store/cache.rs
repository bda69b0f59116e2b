//! What the writer keeps in memory so that a group commit reads little
//! from sled: the decoded buckets it read or wrote last (command records
//! and stream states), and the newest durable events with their encodings
//! (what the relay publishes next and what a projector catching up asks
//! for). Both are bounded, both only ever hold what is durable: the store
//! fills them after a commit's fsync has returned, so a failed commit
//! leaves nothing behind in them. The buckets themselves stay persisted
//! in sled, so a restart starts with an empty cache and replays nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::StoredEvent;
use super::buckets::Bucket;

/// Bytes of decoded buckets one generation of the cache holds; the cache
/// holds at most two generations.
const BUCKET_GENERATION_BYTES: usize = 512 * 1024;
/// The newest durable events kept for the relay and the read API.
pub const RECENT_EVENTS_MAX: usize = 2048;

/// Decoded buckets by sled key, in two generations: a bucket used is
/// (re)put into the young one; when the young one is full it becomes the
/// old one and the old one is dropped. Bounded without per-entry
/// bookkeeping, and what is used often stays.
#[derive(Debug, Default)]
pub struct BucketCache {
    young: HashMap<[u8; 5], (Arc<Bucket>, usize)>,
    old: HashMap<[u8; 5], (Arc<Bucket>, usize)>,
    young_bytes: usize,
}

impl BucketCache {
    pub fn get(&mut self, key: &[u8; 5]) -> Option<Arc<Bucket>> {
        if let Some((bucket, _)) = self.young.get(key) {
            return Some(bucket.clone());
        }
        let (bucket, bytes) = self.old.remove(key)?;
        self.put(*key, bucket.clone(), bytes);
        Some(bucket)
    }

    /// Removes and returns a bucket, so that its one holder may change it
    /// in place (the writer, which puts it back once the change is durable).
    pub fn take(&mut self, key: &[u8; 5]) -> Option<Arc<Bucket>> {
        if let Some((bucket, bytes)) = self.young.remove(key) {
            self.young_bytes -= bytes;
            return Some(bucket);
        }
        self.old.remove(key).map(|(bucket, _)| bucket)
    }

    /// `bytes` is the bucket's encoded size, the measure of the bound.
    pub fn put(&mut self, key: [u8; 5], bucket: Arc<Bucket>, bytes: usize) {
        if self.young_bytes + bytes > BUCKET_GENERATION_BYTES {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        self.young_bytes += bytes;
        if let Some((_, before)) = self.young.insert(key, (bucket, bytes)) {
            self.young_bytes -= before;
        }
    }
}

/// The newest durable events, contiguous, oldest first.
#[derive(Debug, Default)]
pub struct RecentEvents {
    events: VecDeque<StoredEvent>,
}

impl RecentEvents {
    /// Appends events that follow the newest one held (a commit's events
    /// right after its fsync); anything else starts the window anew.
    pub fn extend(&mut self, events: Vec<StoredEvent>) {
        for event in events {
            let follows = self
                .events
                .back()
                .is_none_or(|last| last.event.record.seq + 1 == event.event.record.seq);
            if !follows {
                self.events.clear();
            }
            self.events.push_back(event);
        }
        while self.events.len() > RECENT_EVENTS_MAX {
            self.events.pop_front();
        }
    }

    /// Events from `from_seq` on, at most `limit`, if the window holds
    /// `from_seq`; `None` otherwise (the caller reads sled).
    pub fn from(&self, from_seq: u64, limit: usize) -> Option<Vec<StoredEvent>> {
        let first = self.events.front()?.event.record.seq;
        if from_seq < first {
            return None;
        }
        let skip = usize::try_from(from_seq - first).ok()?;
        if skip >= self.events.len() {
            return None;
        }
        Some(self.events.iter().skip(skip).take(limit).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_cache_stays_within_two_generations() {
        let mut cache = BucketCache::default();
        let bucket = Arc::new(Bucket::default());
        let size = BUCKET_GENERATION_BYTES / 4;
        for n in 0u8..20 {
            cache.put([n; 5], bucket.clone(), size);
        }
        let held = (0u8..20).filter(|n| cache.get(&[*n; 5]).is_some()).count();
        assert!(held <= 8, "{held} buckets held");
        // The newest is always there.
        assert!(cache.get(&[19; 5]).is_some());
    }
}
