//! The wire codec: a schema version, then the postcard encoding of the
//! message. postcard is not self-describing, so the version is what lets a
//! reader refuse bytes it would misread.

use serde::{Serialize, de::DeserializeOwned};

use crate::event::{ENCODED_EVENT_CAPACITY, SealedEvent, hash_of_encoded_record};
use crate::rejection::Rejection;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u16 = 1;
/// The largest message accepted (NATS' default max payload is 1 MiB).
pub const MESSAGE_BYTES_MAX: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {bytes} bytes exceeds the limit of {max}")]
    TooLarge { bytes: usize, max: usize },
    #[error("unsupported schema version {got} (this build reads {supported})")]
    UnsupportedSchema { got: u16, supported: u16 },
    #[error("malformed message: {0}")]
    Malformed(String),
}

impl From<DecodeError> for Rejection {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::TooLarge { bytes, max } => Rejection::TooLarge {
                bytes: bytes as u64,
                max: max as u64,
            },
            DecodeError::UnsupportedSchema { got, supported } => {
                Rejection::UnsupportedSchema { got, supported }
            }
            DecodeError::Malformed(reason) => Rejection::Malformed { reason },
        }
    }
}

/// Encodes a message with the current schema version.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let bytes = postcard::to_allocvec(&SCHEMA_VERSION).expect("a u16 always encodes");
    // The wire types hold no maps or unsized types, so encoding cannot fail.
    postcard::to_extend(message, bytes).expect("a wire message always encodes")
}

/// How many bytes `encode` makes of `message`, counted without writing
/// them: for a size check ahead of the one encoding that is sent.
pub fn encoded_len<T: Serialize>(message: &T) -> usize {
    let size = postcard::ser_flavors::Size::default;
    postcard::serialize_with_flavor(&SCHEMA_VERSION, size()).expect("a u16 always encodes")
        + postcard::serialize_with_flavor(message, size()).expect("a wire message always encodes")
}

/// What `encode` makes of a `Vec` of items, from the items each already
/// encoded by `encode`: a store that keeps items encoded writes the list
/// without encoding them again.
pub fn encode_list_of_encoded(items: &[Vec<u8>]) -> Vec<u8> {
    let version = postcard::to_allocvec(&SCHEMA_VERSION).expect("a u16 always encodes");
    let mut bytes = postcard::to_extend(&items.len(), version.clone()).expect("a usize encodes");
    for item in items {
        // Every item starts with the version; a list has it once.
        bytes.extend_from_slice(item.strip_prefix(version.as_slice()).unwrap_or(item));
    }
    bytes
}

/// What `encode` makes of `head` followed by a message already encoded by
/// `encode` (whose postcard bytes are then the rest of the value): the
/// version once, `head`'s bytes, then the message's without its version.
pub fn encode_before_encoded<H: Serialize>(head: &H, encoded: &[u8]) -> Vec<u8> {
    let version = postcard::to_allocvec(&SCHEMA_VERSION).expect("a u16 always encodes");
    let mut bytes = postcard::to_extend(head, version.clone()).expect("a wire message encodes");
    bytes.extend_from_slice(encoded.strip_prefix(version.as_slice()).unwrap_or(encoded));
    bytes
}

/// `encode(sealed)` when its hash seals its record, `None` when it does
/// not: the record is serialized once, for the check and for the bytes
/// (an applier that checks and keeps every event serialized each twice,
/// about a tenth of its time in a fill). In postcard a struct is its
/// fields one after the other and the hash 32 plain bytes, so the record's
/// bytes lie between the version and the hash.
pub fn encode_sealed_if_valid(sealed: &SealedEvent) -> Option<Vec<u8>> {
    let version = sealed_event_buffer();
    let start = version.len();
    let mut bytes =
        postcard::to_extend(&sealed.record, version).expect("an event record always encodes");
    if hash_of_encoded_record(&bytes[start..]) != sealed.hash {
        return None;
    }
    bytes.extend_from_slice(&sealed.hash);
    Some(bytes)
}

/// `encode(sealed)`, into a buffer that is not grown on the way.
pub fn encode_sealed(sealed: &SealedEvent) -> Vec<u8> {
    postcard::to_extend(sealed, sealed_event_buffer()).expect("an event always encodes")
}

/// The version, in a buffer with room for the event to follow.
fn sealed_event_buffer() -> Vec<u8> {
    postcard::to_extend(&SCHEMA_VERSION, Vec::with_capacity(ENCODED_EVENT_CAPACITY))
        .expect("a u16 always encodes")
}

/// Decodes a message; any byte string gives a value or an error, never a panic.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.len() > MESSAGE_BYTES_MAX {
        return Err(DecodeError::TooLarge {
            bytes: bytes.len(),
            max: MESSAGE_BYTES_MAX,
        });
    }
    let (version, body) = postcard::take_from_bytes::<u16>(bytes)
        .map_err(|e| DecodeError::Malformed(format!("schema version: {e}")))?;
    if version != SCHEMA_VERSION {
        return Err(DecodeError::UnsupportedSchema {
            got: version,
            supported: SCHEMA_VERSION,
        });
    }
    let (message, rest) =
        postcard::take_from_bytes::<T>(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError::Malformed(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_encoded_items_encodes_as_the_list() {
        for len in [0usize, 1, 2, 127, 128, 300] {
            let items: Vec<String> = (0..len).map(|i| "x".repeat(i % 7)).collect();
            let encoded: Vec<Vec<u8>> = items.iter().map(encode).collect();
            assert_eq!(
                encode_list_of_encoded(&encoded),
                encode(&items),
                "{len} items"
            );
        }
    }
}
