//! Answering queries from the views. A query may ask for read-your-writes
//! (`min_seq`): it waits, bounded, until the views have applied that
//! sequence, and is told `Unavailable` when they have not in time. A
//! `min_seq` beyond the ledger's durable head can never be reached; it is
//! refused at once as invalid instead of holding the query for the whole
//! wait. Every failure is a typed rejection; a query is never left
//! unanswered. The
//! reading itself (`read.rs`) runs on a blocking thread, with "today"
//! taken here once per query.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use efa_proto::{Date, Query, QueryReply, Rejection, Timestamp};
use tokio::sync::watch;

use crate::gap;
use crate::handle::StoreHandle;
use crate::read;

/// What a query handler needs; cheap to share between requests.
#[derive(Debug)]
pub struct Views {
    /// The store in use; a rebuild may swap it between two queries.
    pub store: Arc<StoreHandle>,
    pub applied: watch::Receiver<u64>,
    pub wait_max: Duration,
    /// To ask the ledger for its head when a query waits for a sequence.
    pub ledger: gap::Ledger,
}

/// How long a query waits for the ledger to tell its head before it
/// simply waits for the views, as if the ledger had not answered.
const LEDGER_HEAD_WAIT_MAX: Duration = Duration::from_millis(500);

impl Views {
    /// Decodes a query, answers it and encodes the answer.
    pub async fn answer(&self, payload: Bytes) -> Vec<u8> {
        let reply = match efa_proto::decode::<Query>(&payload) {
            Ok(query) => self.reply(query).await,
            Err(error) => {
                tracing::debug!(%error, "malformed query");
                QueryReply::Rejected(Rejection::from(error))
            }
        };
        efa_proto::encode(&reply)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(min_seq = query.min_seq))]
    async fn reply(&self, query: Query) -> QueryReply {
        if *self.applied.borrow() < query.min_seq
            && let Some(head) = self.ledger.head(LEDGER_HEAD_WAIT_MAX).await
            && query.min_seq > head
        {
            return QueryReply::Rejected(Rejection::invalid(
                "min_seq",
                format!(
                    "Sequenz {} gibt es im Ledger noch nicht (Stand: {head})",
                    query.min_seq
                ),
            ));
        }
        if let Err(applied) = self.caught_up(query.min_seq).await {
            return QueryReply::Rejected(Rejection::Unavailable {
                reason: format!(
                    "Ansicht hat Sequenz {} noch nicht erreicht (Stand: {applied})",
                    query.min_seq
                ),
            });
        }
        // The wall clock is read once per query: "as of" defaults to today.
        let today = today();
        let store = self.store.store();
        let answer =
            tokio::task::spawn_blocking(move || read::answer(&store, query.kind, today)).await;
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

    /// Waits until the views have applied `min_seq`; the sequence they
    /// stand at when `wait_max` has passed first.
    async fn caught_up(&self, min_seq: u64) -> Result<(), u64> {
        let mut applied = self.applied.clone();
        // Not reached: timed out, or the consumer has stopped and the views
        // will not change any more.
        let reached = matches!(
            tokio::time::timeout(self.wait_max, applied.wait_for(|seq| *seq >= min_seq)).await,
            Ok(Ok(_))
        );
        if reached {
            Ok(())
        } else {
            Err(*applied.borrow())
        }
    }
}

fn unreadable() -> QueryReply {
    QueryReply::Rejected(Rejection::Unavailable {
        reason: "Ansicht nicht lesbar".to_owned(),
    })
}

/// The UTC date of the wall clock.
fn today() -> Date {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let micros = i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_micros(micros).date()
}
