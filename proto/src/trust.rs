//! Signed messages: what proves that a command comes from a gateway or
//! operator tool that authenticated its principal, and that events come
//! from the ledger. The signatures are Ed25519 over the exact bytes named
//! here, prefixed by a domain tag so that a signature made for one purpose
//! is never valid for another. This crate only defines the bytes; keys and
//! the checks live in `efa-trust`.

use serde::{Deserialize, Serialize};

use crate::event::Hash;

/// The domain tag a command signature covers before the envelope bytes.
pub const COMMAND_SIGNATURE_TAG: &[u8] = b"efa-registry command v1\0";
/// The domain tag a checkpoint signature covers before seq and hash.
pub const CHECKPOINT_SIGNATURE_TAG: &[u8] = b"efa-registry checkpoint v1\0";

/// A command as it travels on `efa.cmd`: the codec encoding of a
/// `CommandEnvelope`, signed by the one who authenticated its actor.
/// Keeping the envelope as bytes means the signature covers exactly what
/// the ledger decodes, with no second encoding to agree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCommand {
    /// `codec::encode(&CommandEnvelope)`.
    pub envelope: Vec<u8>,
    /// Names the signer's key in the ledger's list of trusted signers.
    pub key_id: String,
    /// Ed25519 over `COMMAND_SIGNATURE_TAG || envelope` (64 bytes).
    pub signature: Vec<u8>,
}

impl SignedCommand {
    /// The bytes the signature covers.
    pub fn signed_bytes(envelope: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(COMMAND_SIGNATURE_TAG.len() + envelope.len());
        bytes.extend_from_slice(COMMAND_SIGNATURE_TAG);
        bytes.extend_from_slice(envelope);
        bytes
    }
}

/// The ledger's word that its log up to `seq` ends in `hash`. The hash
/// chain makes it cover every event up to `seq`: whoever holds events
/// whose hashes chain up to this one holds the ledger's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub seq: u64,
    pub hash: Hash,
    /// Names the ledger key that signed it.
    pub key_id: String,
    /// Ed25519 over `CHECKPOINT_SIGNATURE_TAG || seq (8 bytes, big
    /// endian) || hash` (64 bytes).
    pub signature: Vec<u8>,
}

impl SignedCheckpoint {
    /// The checkpoint as the value of the `CHECKPOINT_HEADER` header: hex
    /// of its codec encoding.
    pub fn to_header_value(&self) -> String {
        hex::encode(crate::encode(self))
    }

    /// A checkpoint from a `CHECKPOINT_HEADER` value; `None` if it is not one.
    pub fn from_header_value(value: &str) -> Option<Self> {
        crate::decode(&hex::decode(value).ok()?).ok()
    }

    /// The bytes the signature covers.
    pub fn signed_bytes(seq: u64, hash: &Hash) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(CHECKPOINT_SIGNATURE_TAG.len() + 40);
        bytes.extend_from_slice(CHECKPOINT_SIGNATURE_TAG);
        bytes.extend_from_slice(&seq.to_be_bytes());
        bytes.extend_from_slice(hash);
        bytes
    }
}

/// A page of the ledger's read API with the signed checkpoint at its last
/// event, so that the whole page is checked with one signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEventsPage {
    pub page: crate::reply::EventsPage,
    /// Covers the page's last event; `None` for an empty page.
    pub checkpoint: Option<SignedCheckpoint>,
}

/// Asks the ledger for its public key and latest checkpoint
/// (`efa.ledger.checkpoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRequest;

/// The ledger's public key and its latest signed checkpoint (`None`
/// while the log is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerCheckpoint {
    pub key_id: String,
    /// The Ed25519 public key (32 bytes).
    pub public_key: Vec<u8>,
    pub checkpoint: Option<SignedCheckpoint>,
}

/// The name of the JetStream message header that carries a
/// `SignedCheckpoint` (hex of its codec encoding) on the last event of a
/// window the ledger's relay published.
pub const CHECKPOINT_HEADER: &str = "Efa-Checkpoint";
