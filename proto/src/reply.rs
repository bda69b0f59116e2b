//! Replies to commands and to the ledger's read API.

use serde::{Deserialize, Serialize};

use crate::event::SealedEvent;
use crate::rejection::Rejection;

/// The ledger's answer to a command. The same command id always gets the
/// same answer, with `replayed` set on repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandReply {
    Accepted(Accepted),
    Rejected(Rejection),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Sequence of the first event written; `last_seq` of the last one.
    /// A query that asks for `min_seq = last_seq` sees this write.
    pub first_seq: u64,
    pub last_seq: u64,
    /// The stream's version after the command.
    pub stream_version: u64,
    /// True when this is the stored answer to a command id seen before.
    pub replayed: bool,
}

/// Ask the ledger for stored events from `from_seq` on (replay, audit
/// export, gap filling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadEvents {
    pub from_seq: u64,
    /// At most this many events; the ledger caps it further.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadReply {
    /// A page without a signature (written by older ledgers only).
    Events(EventsPage),
    Rejected(Rejection),
    /// A page with the ledger's signed checkpoint at its last event.
    SignedEvents(crate::trust::SignedEventsPage),
}

impl ReadReply {
    /// The page, signed or not, or the rejection.
    pub fn into_page(self) -> Result<EventsPage, Rejection> {
        match self {
            Self::Events(page) => Ok(page),
            Self::SignedEvents(signed) => Ok(signed.page),
            Self::Rejected(rejection) => Err(rejection),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Vec<SealedEvent>,
    /// The ledger's last sequence when the page was read.
    pub head_seq: u64,
}
