//! Answering queries from the views. A query may ask for read-your-writes
//! (`min_seq`): it waits, bounded, until the views have applied that
//! sequence, and is told `Unavailable` when they have not in time. Every
//! failure is a typed rejection; a query is never left unanswered.

use std::time::Duration;

use bytes::Bytes;
use efa_proto::{CatalogueView, Query, QueryKind, QueryReply, Rejection};
use tokio::sync::watch;

use crate::store::{Store, StoreError};

/// What a query handler needs; cheap to share between requests.
#[derive(Debug)]
pub struct Views {
    pub store: Store,
    pub applied: watch::Receiver<u64>,
    pub wait_max: Duration,
}

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
        if let Err(applied) = self.caught_up(query.min_seq).await {
            return QueryReply::Rejected(Rejection::Unavailable {
                reason: format!(
                    "Ansicht hat Sequenz {} noch nicht erreicht (Stand: {applied})",
                    query.min_seq
                ),
            });
        }
        let answer = match query.kind {
            QueryKind::Catalogue => self.catalogue().map(QueryReply::Catalogue),
            QueryKind::Service(id) => self.store.service(&id).map(QueryReply::Service),
            _ => Ok(QueryReply::Rejected(Rejection::Unavailable {
                reason: "diese Ansicht wird noch aufgebaut".to_owned(),
            })),
        };
        answer.unwrap_or_else(|error| {
            tracing::error!(%error, "could not read the views");
            QueryReply::Rejected(Rejection::Unavailable {
                reason: "Ansicht nicht lesbar".to_owned(),
            })
        })
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

    /// The checkpoint is read before the services, so `as_of_seq` never
    /// claims more than the services show.
    fn catalogue(&self) -> Result<CatalogueView, StoreError> {
        let as_of_seq = self.store.checkpoint()?.seq;
        let services = self.store.services()?;
        Ok(CatalogueView {
            services,
            as_of_seq,
        })
    }
}
