//! Hash buckets: many small records under few sled keys.
//!
//! sled 0.34 splits a leaf once it holds more than 16 keys and keeps an
//! in-memory page-table entry for every leaf it has on disk, cached or
//! not, so the memory it takes when opened grows with the number of keys,
//! whatever their size (about 33 bytes per key, measured in
//! BENCHMARKS.md). Command records and stream states are small and
//! countless (one per command, one per adoption), so they are kept in a
//! fixed number of buckets chosen by hash: the key count, and with it
//! sled's memory, stays bounded however long the ledger runs. A bucket is
//! a sorted list of (record key, record bytes); the single writer reads,
//! changes and rewrites it inside its group commit.

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// A family of buckets under one sled key prefix.
#[derive(Debug, Clone, Copy)]
pub struct BucketSpace {
    prefix: u8,
    bits: u32,
}

impl BucketSpace {
    /// `bits` of the record key's hash choose the bucket (at most 32).
    pub const fn new(prefix: u8, bits: u32) -> Self {
        Self { prefix, bits }
    }

    /// The first byte of every bucket key of this space.
    #[cfg(test)]
    pub fn prefix_byte(&self) -> u8 {
        self.prefix
    }

    /// The sled key of the bucket that holds `record_key`.
    pub fn bucket_key(&self, record_key: &[u8]) -> [u8; 5] {
        let digest = sha2::Sha256::digest(record_key);
        let hash = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let index = hash.checked_shr(32 - self.bits).unwrap_or(0);
        let mut key = [self.prefix; 5];
        key[1..].copy_from_slice(&index.to_be_bytes());
        key
    }
}

/// The records of one bucket, sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Bucket {
    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    pub fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(self)
    }

    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.entries
            .binary_search_by(|(k, _)| k.as_slice().cmp(key))
            .ok()
            .map(|at| self.entries[at].1.as_slice())
    }

    #[cfg(test)]
    pub fn entries(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.entries
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        match self
            .entries
            .binary_search_by(|(k, _)| k.as_slice().cmp(&key))
        {
            Ok(at) => self.entries[at].1 = value,
            Err(at) => self.entries.insert(at, (key, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_keeps_the_last_value_per_key_in_key_order() {
        let mut bucket = Bucket::default();
        bucket.put(b"b".to_vec(), b"1".to_vec());
        bucket.put(b"a".to_vec(), b"2".to_vec());
        bucket.put(b"b".to_vec(), b"3".to_vec());
        let bucket = Bucket::decode(&bucket.encode().unwrap()).unwrap();
        assert_eq!(bucket.entries.len(), 2);
        assert_eq!(bucket.get(b"a"), Some(&b"2"[..]));
        assert_eq!(bucket.get(b"b"), Some(&b"3"[..]));
        assert_eq!(bucket.get(b"c"), None);
    }

    #[test]
    fn bucket_keys_stay_inside_the_space() {
        let space = BucketSpace::new(b'k', 4);
        for n in 0u32..200 {
            let key = space.bucket_key(&n.to_be_bytes());
            assert_eq!(key[0], b'k');
            assert!(u32::from_be_bytes([key[1], key[2], key[3], key[4]]) < 16);
        }
        let whole = BucketSpace::new(b'k', 32);
        assert_eq!(whole.bucket_key(b"x"), whole.bucket_key(b"x"));
    }
}
