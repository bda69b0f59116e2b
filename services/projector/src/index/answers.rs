//! Answers about one service (its detail page) and about one
//! municipality (its page) kept after they were made, by subject and day,
//! so that many users looking at the same service or Gemeinde do not each
//! go through its adoptions again (a municipality's page read a few
//! hundred adoption facts from the store, 2.5 ms at 10 million events).
//! The index drops a service's answers when its facts or adoptions change,
//! a municipality's when the counted adoptions of its family change, the
//! municipalities' answers when any service changes (titles and states
//! show on their pages), and all of them when municipalities or reference
//! data change (those enter every answer).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use efa_proto::{Ags, Date, GemeindeView, QueryReply, ServiceId};

/// The most answers about services kept; beyond it, all are dropped and
/// made again.
const ANSWERS_MAX: usize = 20_000;
/// The most municipalities' pages kept (tens of KB each, a few hundred
/// rows).
const GEMEINDE_ANSWERS_MAX: usize = 500;

/// The answers `V` kept about one kind of subject `K` (a service, a
/// municipality), by subject and day; at most `MAX`.
#[derive(Debug)]
pub struct Shelf<K, V, const MAX: usize> {
    by_subject: HashMap<K, HashMap<Date, Arc<V>>>,
    count: usize,
}

impl<K, V, const MAX: usize> Default for Shelf<K, V, MAX> {
    fn default() -> Self {
        Self {
            by_subject: HashMap::new(),
            count: 0,
        }
    }
}

impl<K: Eq + Hash, V, const MAX: usize> Shelf<K, V, MAX> {
    /// The kept answer, shared: a reader holds the shelf's lock only to
    /// count one more reference, never to copy an answer.
    pub fn get(&self, subject: &K, day: Date) -> Option<Arc<V>> {
        self.by_subject.get(subject)?.get(&day).cloned()
    }

    /// Keeps `reply`; a full shelf is emptied first.
    pub fn keep(&mut self, subject: K, day: Date, reply: Arc<V>) {
        if self.count >= MAX {
            self.clear();
        }
        if self
            .by_subject
            .entry(subject)
            .or_default()
            .insert(day, reply)
            .is_none()
        {
            self.count += 1;
        }
    }

    /// Drops the answers about `subject`.
    pub fn forget(&mut self, subject: &K) {
        if let Some(kept) = self.by_subject.remove(subject) {
            self.count -= kept.len();
        }
    }

    pub fn clear(&mut self) {
        self.by_subject.clear();
        self.count = 0;
    }
}

#[derive(Debug, Default)]
pub struct Answers {
    pub services: Shelf<ServiceId, QueryReply, ANSWERS_MAX>,
    /// Whole pages (`None`: the AGS is not registered).
    pub gemeinden: Shelf<Ags, Option<GemeindeView>, GEMEINDE_ANSWERS_MAX>,
}

impl Answers {
    pub fn clear(&mut self) {
        self.services.clear();
        self.gemeinden.clear();
    }
}
