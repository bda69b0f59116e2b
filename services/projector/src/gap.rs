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
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::apply::{Applier, ApplyError, Checked};
use crate::progress::Progress;
use crate::signatures::{self, LedgerKey};

/// Events asked for in one request (a gap, a catch-up or a rebuild; the
/// ledger's read API answers at most 1,000).
pub const PAGE_MAX: u64 = 1000;
/// Events applied in one commit when the store in use catches up: several
/// pages, so that a subject's history page or a municipality's facts are
/// written once for many events instead of once per page, while queries
/// wait for the index's update of one commit for a moment only.
pub const COMMIT_EVENTS: usize = 8_000;
/// Events applied in one commit by a rebuild, whose store answers no query
/// until it is swapped in: 64,000 applied about 1.4 times as fast as 8,000
/// (`benches/views.rs`); the batch and the pages read ahead hold some tens
/// of MB.
pub const REBUILD_COMMIT_EVENTS: usize = 64_000;
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
        let from_seq = applier.checkpoint().seq + 1;
        let mut batches = self.read_ahead(from_seq, through, COMMIT_EVENTS, shutdown);
        // Each batch is written while the next is prepared; the last is
        // written before this returns.
        while let Some(batch) = batches.next().await {
            applier.apply_checked_ahead_in_async(&batch?)?;
            if let Some(line) = progress.due(applier.checkpoint().seq, through) {
                line.log("catching up from the ledger");
            }
        }
        applier.settle_in_async()?;
        Ok(())
    }

    /// The events `from_seq..=through`, in batches of about
    /// `commit_events` for one commit each: a task reads and checks the
    /// pages ahead (a batch's worth) while the caller applies the batch
    /// before. A page the ledger does not have (it is behind) ends the
    /// batches with an error.
    pub fn read_ahead(
        &self,
        from_seq: u64,
        through: u64,
        commit_events: usize,
        shutdown: &CancellationToken,
    ) -> Batches {
        let pages_ahead = commit_events.div_ceil(PAGE_MAX as usize).max(1);
        let (pages, received) = mpsc::channel(pages_ahead);
        let (ledger, shutdown) = (self.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut next = from_seq;
            while next <= through {
                let limit = (through - next + 1).min(PAGE_MAX) as u32;
                let read = ledger
                    .read_with_retries(
                        ReadEvents {
                            from_seq: next,
                            limit,
                        },
                        &shutdown,
                    )
                    .await;
                let page = match read {
                    Ok(page) => page,
                    Err(error) => {
                        let _ = pages.send(Err(error)).await;
                        return;
                    }
                };
                let upto = page.events.partition_point(|e| e.record.seq <= through);
                let mut events = page.events;
                events.truncate(upto);
                next = events
                    .last()
                    .map_or(through + 1, |last| last.record.seq + 1);
                // `read` hands out only pages that passed their check.
                if pages.send(Ok(Checked::after_check(events))).await.is_err() {
                    return; // The caller has stopped.
                }
            }
        });
        Batches {
            pages: received,
            held: None,
            commit_events,
        }
    }

    /// The last sequence the registry has acknowledged: the ledger's
    /// durable head, asked once (a read of nothing), or the event stream's
    /// last sequence if that is further. On one machine the ledger is
    /// ahead of the stream (its relay publishes after the answer); on a
    /// cluster the stream is (it takes every event before the answer, and
    /// the read may reach a standby that is still following). `None` when
    /// the ledger does not answer within `timeout`: on one machine the
    /// stream alone may be behind what was acknowledged.
    pub async fn head(&self, timeout: Duration) -> Option<u64> {
        let read = ReadEvents {
            from_seq: u64::MAX,
            limit: 1,
        };
        let ledger = async {
            match efa_runtime::request(&self.client, subjects::LEDGER_READ, &read, timeout).await {
                Ok::<ReadReply, _>(reply) => reply.into_page().ok().map(|page| page.head_seq),
                Err(_) => None,
            }
        };
        let stream = async {
            let js = async_nats::jetstream::new(self.client.clone());
            let asked = async {
                let mut stream = js.get_stream(subjects::EVENT_STREAM).await.ok()?;
                let info = stream.info().await.ok()?;
                Some(info.state.last_sequence)
            };
            tokio::time::timeout(timeout, asked).await.ok().flatten()
        };
        let (ledger, stream) = tokio::join!(ledger, stream);
        ledger.map(|head| head.max(stream.unwrap_or(0)))
    }

    /// One page starting at `read.from_seq`, retried with backoff while the
    /// ledger fails or does not have the first event asked for.
    async fn read_with_retries(
        &self,
        read: ReadEvents,
        shutdown: &CancellationToken,
    ) -> Result<EventsPage, GapError> {
        let mut backoff = BACKOFF_FIRST;
        let mut attempt = 1;
        loop {
            let reason = match self.read(&read).await {
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

    async fn read(&self, read: &ReadEvents) -> Result<EventsPage, String> {
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
            None => Err(format!(
                "the ledger has no such event (head {})",
                page.head_seq
            )),
        }
    }
}

/// Batches of events for one commit each, read ahead ([`Ledger::read_ahead`]).
#[derive(Debug)]
pub struct Batches {
    pages: mpsc::Receiver<Result<Checked, GapError>>,
    /// An error that came after events of the batch before: the next.
    held: Option<GapError>,
    /// How many events a batch joins at most (unless one page is larger).
    commit_events: usize,
}

impl Batches {
    /// The next batch: the pages at hand joined up to `commit_events`
    /// (at least one page, waited for); `None` after the last.
    pub async fn next(&mut self) -> Option<Result<Checked, GapError>> {
        if let Some(error) = self.held.take() {
            return Some(Err(error));
        }
        let mut batch = match self.pages.recv().await? {
            Ok(events) => events,
            Err(error) => return Some(Err(error)),
        };
        while batch.events().len() < self.commit_events {
            match self.pages.try_recv() {
                Ok(Ok(events)) => batch.append(events),
                // An error comes on its own after the events before it.
                Ok(Err(error)) if batch.events().is_empty() => return Some(Err(error)),
                Ok(Err(error)) => {
                    self.held = Some(error);
                    break;
                }
                Err(_) => break,
            }
        }
        Some(Ok(batch))
    }
}
