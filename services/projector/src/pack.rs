//! Packing events into block records and history entries into pages, as
//! the store keeps them (`store/`): the last block and each subject's
//! last page are extended and written back whole once per commit, so a
//! batch writes a few records where one per event and entry would cost
//! sled a key each. The packing outlives its commit (`carry.rs`): the
//! last block and the recently used subjects' last pages stay in memory,
//! so the next batch extends them without reading them back; the events
//! stay encoded, so a block is written without encoding its events again.

use efa_proto::SealedEvent;

use crate::carry::{Kept, Recent};
use crate::store::{BLOCK_BYTES_MAX, BLOCK_LEN_MAX, Change, HISTORY_PAGE_LEN, StoreError, Subject};

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

/// A subject's last page: its number and sequences.
type Page = (u32, Vec<u64>);

/// The events and history entries of the batches so far, packed.
#[derive(Debug)]
pub struct Packing {
    /// The last block; `None` until the first event loads it from the store.
    open: Option<Kept<Block>>,
    /// Blocks completed in this batch.
    closed: Vec<Block>,
    /// Recently used subjects' last pages.
    pages: Recent<Subject, Page>,
    /// Pages completed in this batch.
    full: Vec<(Subject, u32, Vec<u64>)>,
    /// Whether subjects' last pages are written only when asked for
    /// ([`Packing::take_deferred`]) instead of with every commit.
    defer_open_pages: bool,
}

impl Packing {
    /// A packing that keeps up to `pages_kept` subjects' last pages and
    /// writes them with every commit.
    pub fn new(pages_kept: usize) -> Self {
        Self {
            open: None,
            closed: Vec::new(),
            pages: Recent::new(pages_kept),
            full: Vec::new(),
            defer_open_pages: false,
        }
    }

    /// A packing for a store that nothing reads until it is filled: every
    /// subject's last page stays in memory (a page of at most
    /// `HISTORY_PAGE_LEN` sequences for each service and municipality,
    /// about 24 MB for Germany) and is written once, by
    /// [`Packing::take_deferred`], instead of again with every commit that
    /// extends it (a sixth of a fill's writes). Full pages are written as
    /// they fill.
    pub fn deferring_open_pages() -> Self {
        Self {
            pages: Recent::new(usize::MAX),
            defer_open_pages: true,
            ..Self::new(0)
        }
    }

    /// Adds `sealed` to the last block, or starts the next one.
    /// `last_block` reads the store's last block, when it is not kept.
    pub fn add_event(
        &mut self,
        sealed: &SealedEvent,
        last_block: impl FnOnce() -> Result<Option<(u64, Vec<SealedEvent>)>, StoreError>,
    ) -> Result<(), StoreError> {
        let encoded = efa_proto::encode(sealed);
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
                None => Block::starting_at(sealed.record.seq),
            }),
        };
        let mut open = if open.value.takes(encoded.len()) {
            open
        } else {
            if open.changed {
                self.closed.push(open.value);
            }
            Kept::read(Block::starting_at(sealed.record.seq))
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
        last_page: impl FnOnce(&Subject) -> Result<Option<Page>, StoreError>,
    ) -> Result<(), StoreError> {
        let page = self.pages.change(&subject, || {
            Ok::<_, StoreError>(match last_page(&subject)? {
                Some((number, seqs)) if seqs.len() < HISTORY_PAGE_LEN => (number, seqs),
                Some((number, _)) => (number + 1, Vec::new()),
                None => (0, Vec::new()),
            })
        })?;
        page.1.push(seq);
        if page.1.len() == HISTORY_PAGE_LEN {
            let number = page.0;
            let seqs = std::mem::take(&mut page.1);
            page.0 += 1;
            self.full.push((subject, number, seqs));
        }
        Ok(())
    }

    /// The records the batch changed, each handed out once; subjects'
    /// last pages not, when they are deferred.
    pub fn take_changes(&mut self) -> impl Iterator<Item = Change> {
        let mut blocks: Vec<Change> = self.closed.drain(..).map(|b| b.record()).collect();
        if let Some(open) = self.open.as_mut().filter(|open| open.changed) {
            open.changed = false;
            blocks.push(open.value.record());
        }
        let open_pages = if self.defer_open_pages {
            Vec::new()
        } else {
            self.open_pages()
        };
        let full = self
            .full
            .drain(..)
            .map(|(subject, number, seqs)| Change::PutHistoryPage(subject, number, seqs));
        blocks.into_iter().chain(full.chain(open_pages))
    }

    /// Whether subjects' last pages wait for [`Packing::take_deferred`].
    pub fn defers_open_pages(&self) -> bool {
        self.defer_open_pages
    }

    /// The subjects' last pages changed since they were last written, each
    /// handed out once: with deferred pages, what the commits so far
    /// extended and did not write.
    pub fn take_deferred(&mut self) -> Vec<Change> {
        self.open_pages()
    }

    fn open_pages(&mut self) -> Vec<Change> {
        self.pages.take_changed(|subject, (number, seqs)| {
            (!seqs.is_empty())
                .then(|| Change::PutHistoryPage(subject.clone(), *number, seqs.clone()))
        })
    }

    /// After a commit: lets the least recently used pages go.
    pub fn age(&mut self) {
        self.pages.age();
    }
}
