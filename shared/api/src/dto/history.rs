//! JSON of the audit history: events in ledger order with who, when
//! (recorded and effective), a German one-line summary and the chain hash.

use efa_proto::views::{HistoryEntry, HistorySubject, HistoryView};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

use super::all;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct HistoryEntryJson {
    pub seq: u64,
    #[schema(value_type = values::Timestamp)]
    pub recorded_at: String,
    #[schema(value_type = values::Date)]
    pub effective: String,
    #[schema(value_type = values::Principal)]
    pub actor: String,
    pub event: String,
    pub summary: String,
    #[schema(value_type = values::ChainHash)]
    pub hash: String,
}

impl From<&HistoryEntry> for HistoryEntryJson {
    fn from(entry: &HistoryEntry) -> Self {
        Self {
            seq: entry.seq,
            recorded_at: entry.recorded_at.to_string(),
            effective: entry.effective.to_string(),
            actor: entry.actor.to_string(),
            event: entry.event_name.clone(),
            summary: entry.summary_de.clone(),
            hash: entry.hash_hex.clone(),
        }
    }
}

/// `service:<id>`, `gemeinde:<ags>` or `all`.
pub fn subject(subject: &HistorySubject) -> String {
    match subject {
        HistorySubject::Service(id) => format!("service:{id}"),
        HistorySubject::Gemeinde(ags) => format!("gemeinde:{ags}"),
        HistorySubject::All => "all".to_owned(),
    }
}

/// `GET /api/v1/history`, `GET /api/v1/services/{id}/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = History)]
pub struct HistoryJson {
    #[schema(value_type = values::Subject)]
    pub subject: String,
    pub entries: Vec<HistoryEntryJson>,
    pub more: bool,
    /// `from_seq` for the next page, when more entries follow.
    #[schema(required)]
    pub next_from_seq: Option<u64>,
    pub chain_verified_to: u64,
}

/// Where the page after `view` starts: after its last entry, if more
/// follow.
pub fn next_from_seq(view: &HistoryView) -> Option<u64> {
    view.entries
        .last()
        .filter(|_| view.more)
        .map(|last| last.seq + 1)
}

impl From<&HistoryView> for HistoryJson {
    fn from(view: &HistoryView) -> Self {
        let next_from_seq = next_from_seq(view);
        Self {
            subject: subject(&view.subject),
            entries: all(&view.entries),
            more: view.more,
            next_from_seq,
            chain_verified_to: view.chain_verified_to,
        }
    }
}
