//! The ledger's signature on what the projector applies. Events arrive
//! from the stream in windows: the relay puts the ledger's signed
//! checkpoint on the last event of each window (header `Efa-Checkpoint`).
//! The projector holds a window's events until that checkpoint comes, then
//! checks the whole window with one signature and the hash chain from its
//! own checkpoint, and applies it. Pages from the ledger's read API carry
//! their checkpoint in the reply and are checked the same way. What fails
//! is refused, counted (`efa_projector_events_refused_total`) and logged
//! once; the caller reads the true events from the ledger instead.
//!
//! The ledger's public key is pinned: read from `ledger-public-key.txt`
//! in the data dir (which the ledger writes when they share one), or else
//! asked once from the ledger (`efa.ledger.checkpoint`) and written there,
//! so a later key change is refused rather than followed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use efa_proto::{
    CheckpointRequest, Hash, LedgerCheckpoint, SealedEvent, SignedCheckpoint, subjects,
};
use efa_trust::PublicKey;
use tokio::sync::OnceCell;

/// Counts events (and pages) refused for a failed chain or signature check.
pub const EVENTS_REFUSED: &str = "efa_projector_events_refused_total";
/// Counts signatures verified, against `efa_projector_events_verified_total`.
pub const SIGNATURES_VERIFIED: &str = "efa_projector_signatures_verified_total";
pub const EVENTS_VERIFIED: &str = "efa_projector_events_verified_total";

/// The most events held while waiting for their window's checkpoint.
pub const WINDOW_LEN_MAX: usize = 1024;
/// How long events are held without a checkpoint before they are read
/// from the ledger instead.
pub const WINDOW_WAIT_MAX: Duration = Duration::from_secs(1);
const KEY_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Records a refusal: one log line and the counter.
pub fn refused(count: usize, seq: u64, why: &str) {
    metrics::counter!(EVENTS_REFUSED).increment(count.max(1) as u64);
    tracing::warn!(
        seq,
        count,
        why,
        "refused events; reading them from the ledger"
    );
}

/// The ledger's public key, pinned on first use.
#[derive(Debug, Clone)]
pub struct LedgerKey {
    pin: PathBuf,
    key: Arc<OnceCell<PublicKey>>,
}

impl LedgerKey {
    /// A key pinned in `pin` (read from it, or written there once asked).
    pub fn pinned(pin: PathBuf) -> Self {
        Self {
            pin,
            key: Arc::default(),
        }
    }

    /// The key, if it can be had now.
    pub async fn get(&self, client: &async_nats::Client) -> Result<&PublicKey, String> {
        self.key
            .get_or_try_init(|| async {
                if let Ok(text) = std::fs::read_to_string(&self.pin) {
                    return PublicKey::parse(text.trim()).map_err(|e| e.to_string());
                }
                let answer: LedgerCheckpoint = efa_runtime::request(
                    client,
                    subjects::LEDGER_CHECKPOINT,
                    &CheckpointRequest,
                    KEY_REQUEST_TIMEOUT,
                )
                .await
                .map_err(|e| format!("ask the ledger for its public key: {e}"))?;
                let key = PublicKey::from_bytes(&answer.key_id, &answer.public_key)
                    .map_err(|e| e.to_string())?;
                // Written whole or not at all: a torn pin would be refused
                // at every later start.
                let pinned = format!("{key}\n");
                if let Err(error) = efa_runtime::durable_file::replace(&self.pin, pinned.as_bytes())
                {
                    tracing::warn!(%error, "could not pin the ledger's public key");
                }
                tracing::info!(key = %key, "ledger public key pinned");
                Ok(key)
            })
            .await
    }
}

/// Checks `events` (continuing the chain after `prev`) against the
/// ledger's `checkpoint` at their end: one signature for all of them.
pub fn check(
    key: &PublicKey,
    prev: (u64, Hash),
    events: &[SealedEvent],
    checkpoint: Option<&SignedCheckpoint>,
) -> Result<(), efa_trust::ChainBreak> {
    efa_trust::verify_chain(key, prev.0, &prev.1, events, checkpoint)?;
    if checkpoint.is_some() {
        metrics::counter!(SIGNATURES_VERIFIED).increment(1);
        metrics::counter!(EVENTS_VERIFIED).increment(events.len() as u64);
    }
    Ok(())
}

/// The checkpoint a stream message carries in its header, if any.
pub fn header_checkpoint(headers: Option<&async_nats::HeaderMap>) -> Option<SignedCheckpoint> {
    let value = headers?.get(efa_proto::trust::CHECKPOINT_HEADER)?;
    SignedCheckpoint::from_header_value(value.as_str())
}

/// Events from the stream waiting for their window's checkpoint.
#[derive(Debug, Default)]
pub struct Window {
    events: Vec<SealedEvent>,
    since: Option<Instant>,
}

impl Window {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn last(&self) -> Option<&SealedEvent> {
        self.events.last()
    }

    pub fn push(&mut self, event: SealedEvent) {
        self.since.get_or_insert_with(Instant::now);
        self.events.push(event);
    }

    /// Whether the window has waited or grown too long for its checkpoint.
    pub fn overdue(&self) -> bool {
        self.events.len() >= WINDOW_LEN_MAX
            || self
                .since
                .is_some_and(|since| since.elapsed() >= WINDOW_WAIT_MAX)
    }

    /// How long until the window is overdue (for the consumer's timer).
    pub fn wait_left(&self) -> Duration {
        self.since.map_or(WINDOW_WAIT_MAX, |since| {
            WINDOW_WAIT_MAX.saturating_sub(since.elapsed())
        })
    }

    pub fn events(&self) -> &[SealedEvent] {
        &self.events
    }

    pub fn take(&mut self) -> Vec<SealedEvent> {
        self.since = None;
        std::mem::take(&mut self.events)
    }
}
