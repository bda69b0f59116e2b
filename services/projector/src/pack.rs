//! Packing a batch's events into block records and its history entries
//! into pages, as the store keeps them (`store.rs`): the last block and
//! each subject's last page are read once per batch, extended, and written
//! back whole, so a batch writes a few records where one per event and
//! entry would cost sled a key each.

use std::collections::HashMap;

use efa_proto::SealedEvent;

use crate::store::{BLOCK_BYTES_MAX, BLOCK_LEN_MAX, Change, HISTORY_PAGE_LEN, StoreError, Subject};

/// A block being filled: its first sequence, its events and their size.
#[derive(Debug)]
struct Block {
    first: u64,
    events: Vec<SealedEvent>,
    bytes: usize,
    /// Whether the batch added to it (an untouched block is not written).
    touched: bool,
}

impl Block {
    fn takes(&self, bytes: usize) -> bool {
        self.events.is_empty()
            || (self.events.len() < BLOCK_LEN_MAX && self.bytes + bytes <= BLOCK_BYTES_MAX)
    }
}

/// One batch's events and history entries, packed.
#[derive(Debug, Default)]
pub struct Packing {
    /// `None` until the batch's first event loads the store's last block.
    open: Option<Block>,
    closed: Vec<Block>,
    /// Each subject's last page: its number and sequences.
    pages: HashMap<Subject, (u32, Vec<u64>)>,
    full: Vec<(Subject, u32, Vec<u64>)>,
}

impl Packing {
    /// Adds `sealed` to the last block, or starts the next one.
    /// `last_block` reads the store's last block, once per batch.
    pub fn add_event(
        &mut self,
        sealed: &SealedEvent,
        last_block: impl FnOnce() -> Result<Option<(u64, Vec<SealedEvent>)>, StoreError>,
    ) -> Result<(), StoreError> {
        let bytes = efa_proto::encode(sealed).len();
        let open = match self.open.take() {
            Some(open) => open,
            None => match last_block()? {
                Some((first, events)) => Block {
                    first,
                    bytes: events.iter().map(|e| efa_proto::encode(e).len()).sum(),
                    events,
                    touched: false,
                },
                None => Block {
                    first: sealed.record.seq,
                    events: Vec::new(),
                    bytes: 0,
                    touched: false,
                },
            },
        };
        let mut open = if open.takes(bytes) {
            open
        } else {
            self.closed.push(open);
            Block {
                first: sealed.record.seq,
                events: Vec::new(),
                bytes: 0,
                touched: false,
            }
        };
        open.events.push(sealed.clone());
        open.bytes += bytes;
        open.touched = true;
        self.open = Some(open);
        Ok(())
    }

    /// Adds `seq` to `subject`'s history. `last_page` reads the subject's
    /// last page from the store, once per subject and batch.
    pub fn add_history(
        &mut self,
        subject: Subject,
        seq: u64,
        last_page: impl FnOnce(&Subject) -> Result<Option<(u32, Vec<u64>)>, StoreError>,
    ) -> Result<(), StoreError> {
        let page = match self.pages.get_mut(&subject) {
            Some(page) => page,
            None => {
                let page = match last_page(&subject)? {
                    Some((number, seqs)) if seqs.len() < HISTORY_PAGE_LEN => (number, seqs),
                    Some((number, _)) => (number + 1, Vec::new()),
                    None => (0, Vec::new()),
                };
                self.pages.entry(subject.clone()).or_insert(page)
            }
        };
        page.1.push(seq);
        if page.1.len() == HISTORY_PAGE_LEN {
            let number = page.0;
            let seqs = std::mem::take(&mut page.1);
            page.0 += 1;
            self.full.push((subject, number, seqs));
        }
        Ok(())
    }

    /// The records to write.
    pub fn into_changes(self) -> impl Iterator<Item = Change> {
        let blocks = self
            .closed
            .into_iter()
            .chain(self.open)
            .filter(|block| block.touched)
            .map(|block| Change::PutEventBlock(block.first, block.events));
        let open_pages = self
            .pages
            .into_iter()
            .filter(|(_, (_, seqs))| !seqs.is_empty())
            .map(|(subject, (number, seqs))| (subject, number, seqs));
        let pages = self
            .full
            .into_iter()
            .chain(open_pages)
            .map(|(subject, number, seqs)| Change::PutHistoryPage(subject, number, seqs));
        blocks.chain(pages)
    }
}
