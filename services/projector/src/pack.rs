//! Packing events into block records, and history entries and adopted
//! services into pages, as the store keeps them (`store/`): the last
//! block and each list's last page are extended and written back whole
//! once per commit, so a batch writes a few records where one per event
//! and entry would cost sled a key each. The packing outlives its commit
//! (`carry.rs`): the last block and the recently used lists' last pages
//! stay in memory, so the next batch extends them without reading them
//! back; the events stay encoded, so a block is written without encoding
//! its events again.

use std::hash::Hash;

use efa_proto::{Ags, SealedEvent, ServiceId};

use crate::carry::{Kept, Recent};
use crate::store::{
    ADOPTED_PAGE_LEN, BLOCK_BYTES_MAX, BLOCK_LEN_MAX, Change, HISTORY_PAGE_LEN, StoreError, Subject,
};

/// A block being filled: its first sequence and its events, each encoded.
#[derive(Debug, Clone)]
struct Block {
    first: u64,
    events: Vec<Vec<u8>>,
    bytes: usize,
}

impl Block {
    fn starting_at(first: u64) -> Self {
        Self {
            first,
            events: Vec::new(),
            bytes: 0,
        }
    }

    fn takes(&self, bytes: usize) -> bool {
        self.events.is_empty()
            || (self.events.len() < BLOCK_LEN_MAX && self.bytes + bytes <= BLOCK_BYTES_MAX)
    }

    fn record(&self) -> Change {
        Change::PutEventBlock(
            self.first,
            efa_proto::codec::encode_list_of_encoded(&self.events),
        )
    }
}

/// A list's last page: its number and entries.
pub type Page<T> = (u32, Vec<T>);

/// Lists kept as numbered pages of at most `len` entries each: every
/// list's last page in memory while recently used, full pages handed out
/// once as they fill.
#[derive(Debug)]
struct Pages<K, T> {
    last: Recent<K, Page<T>>,
    full: Vec<(K, u32, Vec<T>)>,
    len: usize,
}

impl<K: Eq + Hash + Clone, T: Clone> Pages<K, T> {
    fn new(kept: usize, len: usize) -> Self {
        Self {
            last: Recent::new(kept),
            full: Vec::new(),
            len,
        }
    }

    /// Adds `entry` to `key`'s list. `last_page` reads the list's last
    /// page from the store, when it is not kept.
    fn add(
        &mut self,
        key: K,
        entry: T,
        last_page: impl FnOnce(&K) -> Result<Option<Page<T>>, StoreError>,
    ) -> Result<(), StoreError> {
        let len = self.len;
        let page = self.last.change(&key, || {
            Ok::<_, StoreError>(match last_page(&key)? {
                Some((number, entries)) if entries.len() < len => (number, entries),
                Some((number, _)) => (number + 1, Vec::new()),
                None => (0, Vec::new()),
            })
        })?;
        page.1.push(entry);
        if page.1.len() == len {
            let number = page.0;
            let entries = std::mem::take(&mut page.1);
            page.0 += 1;
            self.full.push((key, number, entries));
        }
        Ok(())
    }

    /// The pages filled since the last call, each handed out once.
    fn take_full(&mut self) -> std::vec::Drain<'_, (K, u32, Vec<T>)> {
        self.full.drain(..)
    }

    /// The last pages changed since they were last handed out, each once.
    fn take_open(&mut self) -> Vec<(K, u32, Vec<T>)> {
        self.last.take_changed(|key, (number, entries)| {
            (!entries.is_empty()).then(|| (key.clone(), *number, entries.clone()))
        })
    }
}

/// The events, history entries and adopted services of the batches so
/// far, packed.
#[derive(Debug)]
pub struct Packing {
    /// The last block; `None` until the first event loads it from the store.
    open: Option<Kept<Block>>,
    /// Blocks completed in this batch.
    closed: Vec<Block>,
    /// Each subject's history: ledger sequences.
    histories: Pages<Subject, u64>,
    /// Each municipality's adopted services, in the order of their first
    /// request.
    adopted: Pages<Ags, ServiceId>,
    /// Whether lists' last pages are written only when asked for
    /// ([`Packing::take_deferred`]) instead of with every commit.
    defer_open_pages: bool,
}

impl Packing {
    /// A packing that keeps up to `pages_kept` lists' last pages of each
    /// kind and writes them with every commit.
    pub fn new(pages_kept: usize) -> Self {
        Self {
            open: None,
            closed: Vec::new(),
            histories: Pages::new(pages_kept, HISTORY_PAGE_LEN),
            adopted: Pages::new(pages_kept, ADOPTED_PAGE_LEN),
            defer_open_pages: false,
        }
    }

    /// A packing for a store that nothing reads until it is filled: every
    /// list's last page stays in memory (for each service and
    /// municipality a history page of at most `HISTORY_PAGE_LEN`
    /// sequences, about 24 MB for Germany, and for each municipality a
    /// page of at most `ADOPTED_PAGE_LEN` services, at most about 45 MB)
    /// and is written once, by [`Packing::take_deferred`], instead of
    /// again with every commit that extends it (a sixth of a fill's
    /// writes). Full pages are written as they fill.
    pub fn deferring_open_pages() -> Self {
        Self {
            defer_open_pages: true,
            ..Self::new(usize::MAX)
        }
    }

    /// Adds event `seq`, `encoded` by `efa_proto::encode`, to the last
    /// block, or starts the next one. `last_block` reads the store's last
    /// block, when it is not kept.
    pub fn add_event(
        &mut self,
        seq: u64,
        encoded: Vec<u8>,
        last_block: impl FnOnce() -> Result<Option<(u64, Vec<SealedEvent>)>, StoreError>,
    ) -> Result<(), StoreError> {
        let open = match self.open.take() {
            Some(open) => open,
            None => Kept::read(match last_block()? {
                Some((first, events)) => {
                    let events: Vec<Vec<u8>> = events.iter().map(efa_proto::encode).collect();
                    Block {
                        first,
                        bytes: events.iter().map(Vec::len).sum(),
                        events,
                    }
                }
                None => Block::starting_at(seq),
            }),
        };
        let mut open = if open.value.takes(encoded.len()) {
            open
        } else {
            if open.changed {
                self.closed.push(open.value);
            }
            Kept::read(Block::starting_at(seq))
        };
        open.value.bytes += encoded.len();
        open.value.events.push(encoded);
        open.changed = true;
        self.open = Some(open);
        Ok(())
    }

    /// Adds `seq` to `subject`'s history. `last_page` reads the subject's
    /// last page from the store, when it is not kept.
    pub fn add_history(
        &mut self,
        subject: Subject,
        seq: u64,
        last_page: impl FnOnce(&Subject) -> Result<Option<Page<u64>>, StoreError>,
    ) -> Result<(), StoreError> {
        self.histories.add(subject, seq, last_page)
    }

    /// Adds `service` to the services `ags` has adopted. `last_page` reads
    /// the municipality's last page from the store, when it is not kept.
    pub fn add_adopted(
        &mut self,
        ags: Ags,
        service: ServiceId,
        last_page: impl FnOnce(&Ags) -> Result<Option<Page<ServiceId>>, StoreError>,
    ) -> Result<(), StoreError> {
        self.adopted.add(ags, service, last_page)
    }

    /// The records the batch changed, each handed out once; lists' last
    /// pages not, when they are deferred.
    pub fn take_changes(&mut self) -> Vec<Change> {
        let mut changes: Vec<Change> = self.closed.drain(..).map(|b| b.record()).collect();
        if let Some(open) = self.open.as_mut().filter(|open| open.changed) {
            open.changed = false;
            changes.push(open.value.record());
        }
        changes.extend(self.histories.take_full().map(history_page));
        changes.extend(self.adopted.take_full().map(adopted_page));
        if !self.defer_open_pages {
            changes.extend(self.open_pages());
        }
        changes
    }

    /// Whether lists' last pages wait for [`Packing::take_deferred`].
    pub fn defers_open_pages(&self) -> bool {
        self.defer_open_pages
    }

    /// The lists' last pages changed since they were last written, each
    /// handed out once: with deferred pages, what the commits so far
    /// extended and did not write.
    pub fn take_deferred(&mut self) -> Vec<Change> {
        self.open_pages()
    }

    fn open_pages(&mut self) -> Vec<Change> {
        let histories = self.histories.take_open().into_iter().map(history_page);
        let adopted = self.adopted.take_open().into_iter().map(adopted_page);
        histories.chain(adopted).collect()
    }

    /// After a commit: lets the least recently used pages go.
    pub fn age(&mut self) {
        self.histories.last.age();
        self.adopted.last.age();
    }
}

fn history_page((subject, number, seqs): (Subject, u32, Vec<u64>)) -> Change {
    Change::PutHistoryPage(subject, number, seqs)
}

fn adopted_page((ags, number, services): (Ags, u32, Vec<ServiceId>)) -> Change {
    Change::PutAdoptedPage(ags, number, services)
}
