//! The view store in use, shared by the query handlers and swappable at
//! runtime: a rebuild fills a new store and swaps it in here while queries
//! go on. Readers take a reference-counted handle under a short read lock
//! (never held across an await), so a query that started on the old store
//! finishes on it, and the rebuild can tell when the old store is no
//! longer read before it removes its directory.

use std::sync::{Arc, PoisonError, RwLock};

use crate::store::Store;

/// The store in use and its version.
#[derive(Debug)]
pub struct StoreHandle {
    current: RwLock<(u64, Arc<Store>)>,
}

impl StoreHandle {
    pub fn new(version: u64, store: Store) -> Self {
        Self {
            current: RwLock::new((version, Arc::new(store))),
        }
    }

    /// The store in use now.
    pub fn store(&self) -> Arc<Store> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current.1.clone()
    }

    /// The store in use now with its version, taken together.
    pub fn current(&self) -> (u64, Arc<Store>) {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (current.0, current.1.clone())
    }

    /// The version of the store in use.
    pub fn version(&self) -> u64 {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    /// Puts `store` in use as `version`; returns the store it replaces.
    pub fn replace(&self, version: u64, store: Store) -> Arc<Store> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, (version, Arc::new(store))).1
    }
}
