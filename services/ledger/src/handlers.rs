//! The ledger's NATS endpoints: commands (`efa.cmd`), the read API
//! (`efa.ledger.read`) and its public key with the latest checkpoint
//! (`efa.ledger.checkpoint`). Bytes in, bytes out: every request gets an
//! answer, a malformed one a typed rejection, and nothing reaches the
//! writer that did not decode and carry a trusted signer's valid
//! signature for its actor (checked in `verifier`). Each page read is signed once, at its last
//! event.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use efa_proto::{
    CommandReply, EventsPage, LedgerCheckpoint, ReadEvents, ReadReply, Rejection, SignedEventsPage,
    codec,
};
use efa_trust::SigningKey;
use tokio::sync::{mpsc, oneshot};

use crate::store::LedgerStore;
use crate::verifier::Received;

/// The most events one read returns, and the most bytes (under NATS' 1 MiB).
const READ_LEN_MAX: usize = 1000;
const READ_BYTES_MAX: usize = 900 * 1024;
/// How long a command may wait for the writer before the caller is told to retry.
const WRITER_WAIT_MAX: Duration = Duration::from_secs(10);

/// A command's bytes go to the checking stage (`verifier`), which opens
/// its signature in a batch with others and hands it to the writer; the
/// answer comes back here.
pub async fn handle_command(checks: mpsc::Sender<Received>, payload: Bytes) -> Vec<u8> {
    let (opened, mut who) = oneshot::channel();
    let reply = submit(checks, payload, opened).await;
    // Known once the signature held (else the rejection says why).
    let who = who.try_recv().ok();
    let command_id = who.as_ref().map(|(id, _)| tracing::field::display(id));
    let actor = who
        .as_ref()
        .map(|(_, actor)| tracing::field::display(actor));
    match &reply {
        CommandReply::Accepted(accepted) => {
            // Per-command lines are debug: at the ledger's rate, one line
            // per command at info costs more than deciding it.
            tracing::debug!(
                seq = accepted.last_seq,
                replayed = accepted.replayed,
                command_id,
                actor,
                "command accepted"
            )
        }
        CommandReply::Rejected(rejection) => {
            tracing::debug!(%rejection, command_id, actor, "command rejected")
        }
    }
    codec::encode(&reply)
}

async fn submit(
    checks: mpsc::Sender<Received>,
    payload: Bytes,
    opened: oneshot::Sender<(efa_proto::CommandId, efa_proto::Actor)>,
) -> CommandReply {
    let unavailable = |reason: &str| {
        CommandReply::Rejected(Rejection::Unavailable {
            reason: reason.to_owned(),
        })
    };
    let (reply, answer) = oneshot::channel();
    if checks
        .send_timeout(
            Received {
                payload,
                reply,
                opened,
            },
            WRITER_WAIT_MAX,
        )
        .await
        .is_err()
    {
        return unavailable("Ledger ist überlastet oder fährt herunter");
    }
    match answer.await {
        Ok(reply) => reply,
        Err(_) => unavailable("Ledger fährt herunter"),
    }
}

/// Serves the durable log (the store reads nothing beyond it), each page
/// with the ledger's signed checkpoint at its last event.
pub async fn handle_read(store: Arc<LedgerStore>, key: Arc<SigningKey>, payload: Bytes) -> Vec<u8> {
    let request: ReadEvents = match codec::decode(&payload) {
        Ok(request) => request,
        Err(error) => return codec::encode(&ReadReply::Rejected(error.into())),
    };
    let limit = (request.limit as usize).clamp(1, READ_LEN_MAX);
    let read = tokio::task::spawn_blocking(
        move || -> Result<SignedEventsPage, crate::store::StoreError> {
            let head_seq = store.durable_seq();
            let stored = store.events_from(request.from_seq, limit)?;
            // The page's size counts the events as they are stored (their
            // encoding); at least one event, however large.
            let mut bytes = 0;
            let fits = stored
                .iter()
                .take_while(|stored| {
                    bytes += stored.encoded.len();
                    bytes <= READ_BYTES_MAX
                })
                .count()
                .max(1);
            let events: Vec<_> = stored
                .into_iter()
                .take(fits)
                .map(|stored| stored.event)
                .collect();
            let checkpoint = events
                .last()
                .map(|last| efa_trust::sign_checkpoint(&key, last.record.seq, &last.hash));
            Ok(SignedEventsPage {
                page: EventsPage { events, head_seq },
                checkpoint,
            })
        },
    )
    .await;
    let reply = match read {
        Ok(Ok(page)) => ReadReply::SignedEvents(page),
        Ok(Err(error)) => {
            tracing::error!(%error, "ledger read failed");
            ReadReply::Rejected(Rejection::Unavailable {
                reason: "Speicherfehler im Ledger".into(),
            })
        }
        Err(error) => {
            tracing::error!(%error, "ledger read task failed");
            ReadReply::Rejected(Rejection::Unavailable {
                reason: "Ledger-Lesefehler".into(),
            })
        }
    };
    codec::encode(&reply)
}

/// The ledger's public key and a signed checkpoint of its durable head.
pub async fn handle_checkpoint(
    store: Arc<LedgerStore>,
    key: Arc<SigningKey>,
    _payload: Bytes,
) -> Vec<u8> {
    let public = key.public();
    let head = tokio::task::spawn_blocking(move || store.durable_head()).await;
    let checkpoint = match head {
        Ok(Ok(head)) if head.seq == 0 => None,
        Ok(Ok(head)) => Some(efa_trust::sign_checkpoint(&key, head.seq, &head.hash)),
        Ok(Err(error)) => {
            tracing::error!(%error, "read the durable head for a checkpoint");
            None
        }
        Err(error) => {
            tracing::error!(%error, "checkpoint task failed");
            None
        }
    };
    codec::encode(&LedgerCheckpoint {
        key_id: public.key_id().to_owned(),
        public_key: public.to_bytes().to_vec(),
        checkpoint,
    })
}

#[cfg(test)]
mod tests {
    use efa_proto::*;

    use super::*;
    use crate::writer::Writer;

    /// Events that sled already shows but whose commit has not been
    /// fsynced yet are not served.
    #[tokio::test]
    async fn reads_stop_at_the_durable_head() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
        let (head_tx, _) = tokio::sync::watch::channel(0);
        let mut writer = Writer::new(store.clone(), head_tx, crate::writer::test_key()).unwrap();
        let envelopes = (1..=3u8)
            .map(|n| CommandEnvelope {
                command_id: CommandId([n; 16]),
                actor: Actor::parse("admin").unwrap(),
                expected_version: None,
                effective: None,
                command: Command::RegisterKreis(RegisterKreis {
                    key: KreisKey::parse(&format!("1606{n}")).unwrap(),
                    name: format!("Kreis {n}"),
                    population: None,
                }),
            })
            .collect();
        writer.commit_envelopes(envelopes);
        assert_eq!(store.head().unwrap().seq, 3);

        store.pretend_durable_up_to(2);
        let read = |from_seq| {
            let payload = Bytes::from(codec::encode(&ReadEvents {
                from_seq,
                limit: 100,
            }));
            handle_read(store.clone(), crate::writer::test_key(), payload)
        };
        let ReadReply::SignedEvents(SignedEventsPage { page, checkpoint }) =
            codec::decode(&read(1).await).unwrap()
        else {
            panic!("read refused")
        };
        assert_eq!(checkpoint.unwrap().seq, 2);
        assert_eq!(page.head_seq, 2);
        let seqs: Vec<u64> = page.events.iter().map(|e| e.record.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
        let ReadReply::SignedEvents(SignedEventsPage { page, checkpoint }) =
            codec::decode(&read(3).await).unwrap()
        else {
            panic!("read refused")
        };
        assert!(page.events.is_empty());
        assert_eq!(checkpoint, None);
    }
}
