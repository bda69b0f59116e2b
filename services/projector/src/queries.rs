//! Answering queries from the views. A query may ask for read-your-writes
//! (`min_seq`): it waits, bounded, until the views have applied that
//! sequence, and is told `Unavailable` when they have not in time. A
//! `min_seq` beyond the ledger's durable head can never be reached; it is
//! refused at once as invalid instead of holding the query for the whole
//! wait. Every failure is a typed rejection; a query is never left
//! unanswered. The
//! reading itself (`read.rs`) runs on a blocking thread, with "today"
//! taken here once per query.
//!
//! A query is bounded: it does not start when its caller has given up
//! (the deadline from the request's timeout header), its wait for
//! `min_seq` ends at that deadline, and an answer larger than one NATS
//! message may be (`max_payload`) is replaced by the typed refusal
//! `AnswerTooLarge` instead of failing to send. Queries beyond the limit
//! in flight are refused as `Busy` before they get here
//! (`efa_runtime::endpoint::serve_or_refuse`).
//!
//! A replica whose views are being filled (a new replica) answers nothing
//! itself: it hands each query it is given on, as it came, to the
//! replicas whose views are in use (`QUERY_SERVING`), so that the queue
//! group may give it queries meanwhile without failing them; with no
//! such replica the query is refused at once as unavailable.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use efa_proto::{
    AnswerStamp, Date, LandCode, Query, QueryKind, QueryReply, Rejection, Timestamp, subjects,
};
use efa_runtime::endpoint::Call;
use sha2::Digest;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::gap;
use crate::handle::StoreHandle;
use crate::live_rebuild::ViewsState;
use crate::pages;
use crate::store::Store;

/// What a query handler needs; cheap to share between requests.
#[derive(Debug)]
pub struct Views {
    /// Whether the store in use answers (`live_rebuild.rs`): an empty
    /// store being filled from the ledger is not the registry's views, so
    /// every query is handed on meanwhile; one not yet known to be filled
    /// or not makes a query wait.
    pub state: watch::Receiver<ViewsState>,
    /// The store in use; a rebuild may swap it between two queries.
    pub store: Arc<StoreHandle>,
    pub applied: watch::Receiver<u64>,
    pub wait_max: Duration,
    /// To ask the ledger for its head when a query waits for a sequence.
    pub ledger: gap::Ledger,
    /// To hand queries on while this replica's views are being filled.
    pub nats: async_nats::Client,
    /// The largest answer that can be sent: the server's `max_payload`,
    /// at most what the codec reads.
    pub reply_bytes_max: usize,
}

/// How long a caller refused as busy is asked to wait before retrying.
pub const BUSY_RETRY_AFTER_MS: u32 = 1_000;

/// The encoded refusal of a query that found the replica busy.
pub fn busy() -> Vec<u8> {
    efa_proto::encode(&QueryReply::Rejected(Rejection::Busy {
        retry_after_ms: BUSY_RETRY_AFTER_MS,
    }))
}

/// How long a query waits for the ledger to tell its head before it
/// simply waits for the views, as if the ledger had not answered.
const LEDGER_HEAD_WAIT_MAX: Duration = Duration::from_millis(500);

impl Views {
    /// Decodes a query, answers it and encodes the answer; an answer too
    /// large to send becomes the refusal `AnswerTooLarge`.
    pub async fn answer(&self, call: Call) -> Vec<u8> {
        // One bound for all the query's waiting: the query wait, or the
        // caller's deadline if that comes first.
        let mut until = Instant::now() + self.wait_max;
        if let Some(deadline) = call.deadline {
            until = until.min(deadline);
        }
        if !self.serving(until).await {
            return self.hand_on(call.payload, until).await;
        }
        let encoded = match efa_proto::decode::<Query>(&call.payload) {
            Ok(query) => self.encoded_reply(query, until).await,
            Err(error) => {
                tracing::debug!(%error, "malformed query");
                efa_proto::encode(&QueryReply::Rejected(Rejection::from(error)))
            }
        };
        tracing::debug!(bytes = encoded.len(), "query answered");
        if encoded.len() <= self.reply_bytes_max {
            return encoded;
        }
        tracing::warn!(
            bytes = encoded.len(),
            max = self.reply_bytes_max,
            "an answer is too large to send"
        );
        efa_proto::encode(&QueryReply::Rejected(Rejection::AnswerTooLarge {
            bytes: encoded.len() as u64,
            max: self.reply_bytes_max as u64,
        }))
    }

    /// The answer to `query`, encoded. A conditional read (`IfChanged`)
    /// is answered `Unchanged` when the answer kept under its stamp is
    /// still the answer: at once if the views stand where the stamp says,
    /// else once the answer, read again, has the stamp's digest; any
    /// other answer goes out `Stamped`. Its stamp is taken before the
    /// answer is read, and the views only move forward, so an answer
    /// stands at least where its stamp says, and while the views stand
    /// there, reading again would give the same answer.
    #[tracing::instrument(level = "debug", skip_all, fields(min_seq = query.min_seq))]
    async fn encoded_reply(&self, query: Query, until: Instant) -> Vec<u8> {
        let (kind, known) = match query.kind {
            QueryKind::IfChanged { kind, known } => (*kind, Some(known)),
            kind => (kind, None),
        };
        if matches!(kind, QueryKind::IfChanged { .. }) {
            let refusal = Rejection::invalid("kind", "eine bedingte Abfrage in einer bedingten");
            return efa_proto::encode(&QueryReply::Rejected(refusal));
        }
        if let Err(refusal) = self.ready(query.min_seq, until).await {
            return efa_proto::encode(&*refusal);
        }
        // The wall clock is read once per query: "as of" defaults to today.
        let today = today();
        let applied_seq = *self.applied.borrow();
        let (store_version, store) = self.store.current();
        let Some(known) = known else {
            return efa_proto::encode(&*self.read(store, kind, today).await);
        };
        // Where the views stand; the digest follows once the answer is read.
        let views = AnswerStamp {
            applied_seq,
            store_version,
            layout: crate::store::LAYOUT,
            today,
            digest: [0; 32],
        };
        if let Some(known) = known
            && known.same_views(&views)
        {
            return efa_proto::encode(&QueryReply::Unchanged(known));
        }
        let reply = self.read(store, kind, today).await;
        let encoded = efa_proto::encode(&*reply);
        if matches!(*reply, QueryReply::Rejected(_)) {
            return encoded;
        }
        let stamp = AnswerStamp {
            digest: sha2::Sha256::digest(&encoded).into(),
            ..views
        };
        if known.is_some_and(|known| known.digest == stamp.digest) {
            return efa_proto::encode(&QueryReply::Unchanged(stamp));
        }
        QueryReply::encode_stamped(&stamp, &encoded)
    }

    /// Refuses a query whose `min_seq` the views cannot reach in time.
    async fn ready(&self, min_seq: u64, until: Instant) -> Result<(), Arc<QueryReply>> {
        if *self.applied.borrow() < min_seq
            && let Some(head) = self.ledger.head(LEDGER_HEAD_WAIT_MAX).await
            && min_seq > head
        {
            return Err(Arc::new(QueryReply::Rejected(Rejection::invalid(
                "min_seq",
                format!(
                    "Sequenz {min_seq} gibt es im Ledger noch nicht (es reicht bis Sequenz {head})"
                ),
            ))));
        }
        if let Err(applied) = self.caught_up(min_seq, until).await {
            return Err(Arc::new(QueryReply::Rejected(Rejection::Unavailable {
                reason: format!(
                    "Ansicht hat Sequenz {min_seq} noch nicht erreicht (Stand: {applied})"
                ),
            })));
        }
        Ok(())
    }

    /// Reads the answer to `kind` from `store` on a blocking thread.
    async fn read(&self, store: Arc<Store>, kind: QueryKind, today: Date) -> Arc<QueryReply> {
        let bytes_max = self.reply_bytes_max;
        let answer = tokio::task::spawn_blocking(move || {
            pages::catalogue_within(&store, kind, today, bytes_max)
        })
        .await;
        match answer {
            Ok(Ok(reply)) => reply,
            Ok(Err(error)) => {
                tracing::error!(%error, "could not read the views");
                unreadable()
            }
            Err(error) => {
                tracing::error!(%error, "the view reader failed");
                unreadable()
            }
        }
    }

    /// A query this replica cannot answer yet (its views are being
    /// filled) goes, as it came, to the replicas whose views are in use
    /// (`QUERY_SERVING`), within the query's bound; their answer is this
    /// replica's. Refused as unavailable when none answers: there is no
    /// other replica, or none in time.
    async fn hand_on(&self, payload: bytes::Bytes, until: Instant) -> Vec<u8> {
        let left = until.saturating_duration_since(Instant::now());
        match efa_runtime::rpc::send_bytes(&self.nats, subjects::QUERY_SERVING, payload, left).await
        {
            Ok(answer) => {
                tracing::debug!("query handed on to a replica with views in use");
                answer.to_vec()
            }
            Err(error) => {
                tracing::debug!(%error, "no replica with views in use answered");
                efa_proto::encode(&QueryReply::Rejected(Rejection::Unavailable {
                    reason: "die Ansichten werden gerade aus dem Ledger aufgebaut".to_owned(),
                }))
            }
        }
    }

    /// Whether the store in use answers: at once unless it is settling,
    /// else once it has settled, waiting at most `until`.
    async fn serving(&self, until: Instant) -> bool {
        let mut state = self.state.clone();
        let settled = tokio::time::timeout_at(
            until,
            state.wait_for(|state| *state != ViewsState::Settling),
        )
        .await;
        match settled {
            Ok(Ok(state)) => *state == ViewsState::Serving,
            // Timed out, or the projector is stopping.
            _ => false,
        }
    }

    /// Waits until the views have applied `min_seq`; the sequence they
    /// stand at when `until` has passed first.
    async fn caught_up(&self, min_seq: u64, until: Instant) -> Result<(), u64> {
        let mut applied = self.applied.clone();
        // Not reached: timed out, or the consumer has stopped and the views
        // will not change any more.
        let reached = matches!(
            tokio::time::timeout_at(until, applied.wait_for(|seq| *seq >= min_seq)).await,
            Ok(Ok(_))
        );
        if reached {
            Ok(())
        } else {
            Err(*applied.borrow())
        }
    }
}

fn unreadable() -> Arc<QueryReply> {
    Arc::new(QueryReply::Rejected(Rejection::Unavailable {
        reason: "Ansicht nicht lesbar".to_owned(),
    }))
}

/// Makes today's Land day of every Land ahead of the first rollout or
/// stalled page asking for it (tens of milliseconds for a large Land at
/// Germany's size); writes patch them from then on. One Land at a time,
/// so that a commit waits for at most one.
pub fn make_todays_land_days(store: &Store) {
    let started = std::time::Instant::now();
    let today = today();
    for land in LandCode::all() {
        store.index().land_day(land, today);
    }
    tracing::debug!(
        took_ms = started.elapsed().as_millis() as u64,
        "today's Land days made"
    );
}

/// The UTC date of the wall clock.
fn today() -> Date {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let micros = i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_micros(micros).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lands_day_of_today_is_made_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.index().land_days_kept(), 0);
        make_todays_land_days(&store);
        assert_eq!(store.index().land_days_kept(), LandCode::all().count());
    }
}
