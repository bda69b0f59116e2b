//! Filling gaps from the ledger's read API. The stream should hold every
//! event, but a message can be missing or unreadable; the ledger is the
//! source of truth, so the missing range is read from it, page by page,
//! and applied in order. Each request has a timeout and the retries are
//! bounded: a ledger that stays away is reported to the caller. A rebuild
//! reads its pages through here too. Every page must carry the ledger's
//! signed checkpoint at its last event and chain up to it; a page that
//! does not is refused like an unreadable answer.

use std::time::Duration;

use efa_proto::{EventsPage, ReadEvents, ReadReply, subjects};
use tokio_util::sync::CancellationToken;

use crate::apply::{Applier, ApplyError};
use crate::progress::Progress;
use crate::signatures::{self, LedgerKey};

/// Events asked for in one request (a gap, a catch-up or a rebuild; the
/// ledger's read API answers at most 1,000).
pub const PAGE_MAX: u64 = 1000;
/// How long one read request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts per page before giving up, and the backoff after the first.
const ATTEMPTS: u32 = 5;
const BACKOFF_FIRST: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum GapError {
    #[error("read events from {from_seq} from the ledger: {reason} (after {ATTEMPTS} attempts)")]
    Ledger { from_seq: u64, reason: String },
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("shut down while filling a gap")]
    Cancelled,
}

/// Reads events from the ledger over NATS.
#[derive(Debug, Clone)]
pub struct Ledger {
    client: async_nats::Client,
    key: LedgerKey,
}

impl Ledger {
    /// Checks pages with the ledger's key pinned in `key`.
    pub fn with_key(client: async_nats::Client, key: LedgerKey) -> Self {
        Self { client, key }
    }

    /// The ledger's public key (pinned on first use).
    pub async fn public_key(&self) -> Result<&efa_trust::PublicKey, String> {
        self.key.get(&self.client).await
    }

    /// The NATS connection the ledger is read through.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Applies every event after the applier's checkpoint up to and
    /// including `through`, read from the ledger.
    #[tracing::instrument(skip_all, fields(from_seq = applier.checkpoint().seq + 1, through))]
    pub async fn fill(
        &self,
        applier: &mut Applier,
        through: u64,
        shutdown: &CancellationToken,
    ) -> Result<(), GapError> {
        tracing::info!("filling a gap from the ledger");
        let mut progress = Progress::new(applier.checkpoint().seq);
        while applier.checkpoint().seq < through {
            let from_seq = applier.checkpoint().seq + 1;
            let limit = (through - from_seq + 1).min(PAGE_MAX) as u32;
            let page = self
                .read_with_retries(ReadEvents { from_seq, limit }, true, shutdown)
                .await?;
            let upto = page.events.partition_point(|e| e.record.seq <= through);
            applier.apply_all(&page.events[..upto])?;
            if let Some(line) = progress.due(applier.checkpoint().seq, through) {
                line.log("catching up from the ledger");
            }
        }
        Ok(())
    }

    /// Up to `read.limit` events from `read.from_seq` on, with the ledger's
    /// head; no events when the head is below `from_seq`. Retried like a
    /// gap's pages.
    pub async fn page(
        &self,
        read: ReadEvents,
        shutdown: &CancellationToken,
    ) -> Result<EventsPage, GapError> {
        self.read_with_retries(read, false, shutdown).await
    }

    /// The ledger's durable head, asked once (a read of nothing); `None`
    /// when the ledger does not answer within `timeout`.
    pub async fn head(&self, timeout: Duration) -> Option<u64> {
        let read = ReadEvents {
            from_seq: u64::MAX,
            limit: 1,
        };
        match efa_runtime::request(&self.client, subjects::LEDGER_READ, &read, timeout).await {
            Ok::<ReadReply, _>(reply) => reply.into_page().ok().map(|page| page.head_seq),
            Err(_) => None,
        }
    }

    /// One page starting at `read.from_seq`, retried with backoff while the
    /// ledger fails or (if `require_events`) does not have the first event
    /// asked for.
    async fn read_with_retries(
        &self,
        read: ReadEvents,
        require_events: bool,
        shutdown: &CancellationToken,
    ) -> Result<EventsPage, GapError> {
        let mut backoff = BACKOFF_FIRST;
        let mut attempt = 1;
        loop {
            let reason = match self.read(&read, require_events).await {
                Ok(page) => return Ok(page),
                Err(reason) => reason,
            };
            if attempt == ATTEMPTS {
                return Err(GapError::Ledger {
                    from_seq: read.from_seq,
                    reason,
                });
            }
            tracing::debug!(attempt, %reason, "ledger read failed, retrying");
            tokio::select! {
                _ = shutdown.cancelled() => return Err(GapError::Cancelled),
                _ = tokio::time::sleep(backoff) => {}
            }
            attempt += 1;
            backoff *= 2;
        }
    }

    async fn read(&self, read: &ReadEvents, require_events: bool) -> Result<EventsPage, String> {
        let reply: ReadReply =
            efa_runtime::request(&self.client, subjects::LEDGER_READ, read, REQUEST_TIMEOUT)
                .await
                .map_err(|e| e.to_string())?;
        let (page, checkpoint) = match reply {
            ReadReply::Rejected(rejection) => return Err(format!("rejected: {rejection}")),
            ReadReply::Events(_) => return Err("the page is not signed".to_owned()),
            ReadReply::SignedEvents(signed) => (signed.page, signed.checkpoint),
        };
        if let Some(first) = page.events.first() {
            let key = self.public_key().await?;
            let prev = (first.record.seq.saturating_sub(1), first.record.prev_hash);
            if let Err(broken) = signatures::check(key, prev, &page.events, checkpoint.as_ref()) {
                signatures::refused(
                    page.events.len(),
                    broken.seq,
                    "a ledger page failed its check",
                );
                return Err(format!("the page fails its signature check: {broken}"));
            }
        }
        match page.events.first() {
            Some(first) if first.record.seq == read.from_seq => Ok(page),
            Some(first) => Err(format!("the page starts at {} instead", first.record.seq)),
            None if require_events || page.head_seq >= read.from_seq => Err(format!(
                "the ledger has no such event (head {})",
                page.head_seq
            )),
            None => Ok(page),
        }
    }
}
