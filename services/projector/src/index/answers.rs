//! Answers about one service (its detail page, its funnel) and about one
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

use efa_proto::{Ags, Date, LandCode, QueryReply, ServiceId};

/// The most answers about services kept; beyond it, all are dropped and
/// made again.
const ANSWERS_MAX: usize = 20_000;
/// The most municipalities' pages kept (tens of KB each, a few hundred
/// rows).
const GEMEINDE_ANSWERS_MAX: usize = 500;

/// Which answer about a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceQuery {
    Detail,
    Funnel(Option<LandCode>),
}

#[derive(Debug, Default)]
pub struct Answers {
    by_service: HashMap<ServiceId, HashMap<(ServiceQuery, Date), QueryReply>>,
    count: usize,
    by_gemeinde: HashMap<Ags, HashMap<Date, QueryReply>>,
    gemeinde_count: usize,
}

impl Answers {
    pub fn get(&self, service: &ServiceId, query: ServiceQuery, day: Date) -> Option<QueryReply> {
        self.by_service.get(service)?.get(&(query, day)).cloned()
    }

    pub fn keep(&mut self, service: &ServiceId, query: ServiceQuery, day: Date, reply: QueryReply) {
        if self.count >= ANSWERS_MAX {
            self.clear();
        }
        let kept = self.by_service.entry(service.clone()).or_default();
        if kept.insert((query, day), reply).is_none() {
            self.count += 1;
        }
    }

    /// Drops the answers about `service`.
    pub fn forget(&mut self, service: &ServiceId) {
        if let Some(kept) = self.by_service.remove(service) {
            self.count -= kept.len();
        }
    }

    pub fn clear(&mut self) {
        self.by_service.clear();
        self.count = 0;
        self.forget_gemeinden();
    }

    pub fn gemeinde(&self, ags: Ags, day: Date) -> Option<QueryReply> {
        self.by_gemeinde.get(&ags)?.get(&day).cloned()
    }

    pub fn keep_gemeinde(&mut self, ags: Ags, day: Date, reply: QueryReply) {
        if self.gemeinde_count >= GEMEINDE_ANSWERS_MAX {
            self.forget_gemeinden();
        }
        if self
            .by_gemeinde
            .entry(ags)
            .or_default()
            .insert(day, reply)
            .is_none()
        {
            self.gemeinde_count += 1;
        }
    }

    /// Drops the answers about the municipality `ags`.
    pub fn forget_gemeinde(&mut self, ags: Ags) {
        if let Some(kept) = self.by_gemeinde.remove(&ags) {
            self.gemeinde_count -= kept.len();
        }
    }

    /// Drops the answers about every municipality.
    pub fn forget_gemeinden(&mut self) {
        self.by_gemeinde.clear();
        self.gemeinde_count = 0;
    }
}
