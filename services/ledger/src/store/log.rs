//! Where each event of the log lives in sled. The newest events, up to one
//! block's worth, each have a key of their own (`e` + seq); as soon as a
//! group commit completes a block of `BLOCK_LEN` consecutive events, the
//! same commit writes them as one block record (`b` + block index) and
//! removes their single keys. The log stays contiguous and append-only;
//! the packing only keeps sled's key count, and so its memory, low
//! (see `buckets` for why keys cost memory). A block of unusually large
//! events stays unpacked, so readers look for an event under its own key
//! first and then in its block.
//!
//! A block is a list of the events' own encodings, so a damaged event is
//! still found by its sequence number.

use serde::{Deserialize, Serialize};

/// Events per block record. Small enough that a leaf of up to 17 blocks of
/// ordinary events (a few hundred bytes each) stays far below 128 KiB:
/// sled 0.34 writes any larger item to a separate blob file, which its
/// `flush()` does not fsync and which its recovery after a crash may
/// remove, so the ledger's records must never need one.
pub const BLOCK_LEN: u64 = 8;

/// A completed block whose events take more bytes than this is not packed:
/// its events keep their single keys. With ordinary events (a few hundred
/// bytes) every block is packed; the cap bounds a leaf of blocks to about
/// 17 times this, below sled's 128 KiB, whatever the events hold.
pub const BLOCK_BYTES_MAX: usize = 6 * 1024;

const LOOSE: u8 = b'e';
const BLOCK: u8 = b'b';

/// The key of an event stored on its own.
pub fn event_key(seq: u64) -> [u8; 9] {
    prefixed(LOOSE, seq)
}

/// The key of the block record with index `block`.
pub fn block_key(block: u64) -> [u8; 9] {
    prefixed(BLOCK, block)
}

fn prefixed(prefix: u8, number: u64) -> [u8; 9] {
    let mut key = [prefix; 9];
    key[1..].copy_from_slice(&number.to_be_bytes());
    key
}

/// The sequence number in an `event_key`.
pub fn seq_of_event_key(key: &[u8]) -> Option<u64> {
    match key {
        [LOOSE, rest @ ..] => rest.try_into().ok().map(u64::from_be_bytes),
        _ => None,
    }
}

/// The block that holds `seq` (sequence numbers start at 1).
pub fn block_of(seq: u64) -> u64 {
    seq.saturating_sub(1) / BLOCK_LEN
}

pub fn first_seq_of(block: u64) -> u64 {
    block * BLOCK_LEN + 1
}

pub fn last_seq_of(block: u64) -> u64 {
    first_seq_of(block) + BLOCK_LEN - 1
}

/// The encodings of `BLOCK_LEN` consecutive events, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub events: Vec<Vec<u8>>,
}

impl Block {
    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    pub fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_sequence_without_overlap() {
        assert_eq!(block_of(1), 0);
        assert_eq!(block_of(BLOCK_LEN), 0);
        assert_eq!(block_of(BLOCK_LEN + 1), 1);
        for block in 0..5 {
            assert_eq!(block_of(first_seq_of(block)), block);
            assert_eq!(block_of(last_seq_of(block)), block);
            assert_eq!(last_seq_of(block) + 1, first_seq_of(block + 1));
        }
        assert_eq!(seq_of_event_key(&event_key(77)), Some(77));
        assert_eq!(seq_of_event_key(&block_key(77)), None);
    }
}
