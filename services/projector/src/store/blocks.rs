//! How an event block is kept on disk: its encoded events compressed with
//! LZ4, after the length they decompress to (u32, little-endian).
//!
//! Event blocks are most of what a fill writes (about three quarters of
//! the bytes at 1 million events), and sled's cost per write follows the
//! bytes: each insert copies the leaf it changes and its log takes the
//! leaf again when it consolidates. A block's events share their streams,
//! actors and kinds, and each event's `prev_hash` repeats the hash of the
//! event before it, so a block compresses to about half its size; LZ4
//! packs and unpacks a block in microseconds.

use efa_proto::SealedEvent;

use super::{StoreError, corrupt};

/// The most a stored block may claim to decompress to. A block holds at
/// most `BLOCK_BYTES_MAX` of events unless one event is larger, and no
/// event reaches NATS's 1 MiB message limit; a larger claim is a corrupt
/// record, refused before anything is allocated for it.
const UNPACKED_MAX: usize = 4 * 1024 * 1024;

/// The bytes kept for a block whose events are encoded in `record`.
pub(super) fn pack(record: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(record)
}

/// The events of the block kept under `key` as `stored`.
pub(super) fn unpack(key: &[u8], stored: &[u8]) -> Result<Vec<SealedEvent>, StoreError> {
    let (length, packed) = stored
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt(key, "an event block shorter than its length"))?;
    let length = u32::from_le_bytes(*length) as usize;
    if length > UNPACKED_MAX {
        return Err(corrupt(
            key,
            &format!("an event block claims {length} bytes, more than {UNPACKED_MAX}"),
        ));
    }
    let record = lz4_flex::block::decompress(packed, length)
        .map_err(|error| corrupt(key, &format!("an event block does not unpack: {error}")))?;
    efa_proto::decode(&record).map_err(|error| corrupt(key, &error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{announce, chain};

    /// `count` consecutive events, as the ledger seals them.
    fn sealed_chain(count: usize) -> Vec<SealedEvent> {
        chain(
            (0..count)
                .map(|n| announce(&format!("dienst-nummer-{n}")))
                .collect(),
        )
    }

    #[test]
    fn a_block_unpacks_to_the_events_packed_into_it_in_fewer_bytes() {
        let events = sealed_chain(16);
        let encoded: Vec<Vec<u8>> = events.iter().map(efa_proto::encode).collect();
        let record = efa_proto::codec::encode_list_of_encoded(&encoded);
        let stored = pack(&record);
        assert!(
            stored.len() < record.len(),
            "{} stored bytes for {} encoded",
            stored.len(),
            record.len()
        );
        assert_eq!(unpack(b"evb/x", &stored).unwrap(), events);
    }

    #[test]
    fn a_damaged_block_is_refused_by_its_key_not_unpacked() {
        let events = sealed_chain(4);
        let encoded: Vec<Vec<u8>> = events.iter().map(efa_proto::encode).collect();
        let stored = pack(&efa_proto::codec::encode_list_of_encoded(&encoded));

        let too_short = unpack(b"evb/short", &stored[..3]).unwrap_err();
        assert!(too_short.to_string().contains("evb/short"), "{too_short}");

        let mut huge = stored.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let claim = unpack(b"evb/huge", &huge).unwrap_err();
        assert!(claim.to_string().contains("claims"), "{claim}");

        let truncated = unpack(b"evb/cut", &stored[..stored.len() - 5]).unwrap_err();
        assert!(truncated.to_string().contains("evb/cut"), "{truncated}");

        let mut wrong_length = stored.clone();
        wrong_length[..4].copy_from_slice(&7u32.to_le_bytes());
        assert!(unpack(b"evb/len", &wrong_length).is_err());
    }
}
