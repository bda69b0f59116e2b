//! Answers about one service (its detail page, its funnel) kept after
//! they were made, by service and day, so that many users looking at the
//! same service do not each go through its thousands of adoptions again.
//! The index drops a service's answers when its facts or adoptions change,
//! and all of them when municipalities or reference data change (those
//! enter every service's answer).

use std::collections::HashMap;

use efa_proto::{Date, LandCode, QueryReply, ServiceId};

/// The most answers kept; beyond it, all are dropped and made again.
const ANSWERS_MAX: usize = 20_000;

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
    }
}
