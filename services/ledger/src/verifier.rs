//! The checking stage in front of the writer: one thread that takes every
//! command that queued while it checked the previous ones, opens them in
//! one Ed25519 batch (`efa_trust::open_commands`), computes each accepted
//! command's fingerprint and hands it on to the writer's queue; a refused
//! command is answered here. So neither the writer thread nor the async
//! runtime that carries NATS spends time on signatures, and each
//! signature costs about half of what checking it alone would.

use std::sync::Arc;

use bytes::Bytes;
use efa_proto::{Actor, CommandEnvelope, CommandId, CommandReply, Rejection, codec};
use efa_trust::SignerSource;
use tokio::sync::{mpsc, oneshot};

use crate::writer::{Submission, fingerprint};

/// The most commands checked in one batch.
const BATCH_LEN_MAX: usize = 512;

/// A command's bytes as received, with where its answer goes.
#[derive(Debug)]
pub struct Received {
    pub payload: Bytes,
    pub reply: oneshot::Sender<CommandReply>,
    /// Told the command's id and actor once its signature holds, so that
    /// the handler can name them in its log lines (this stage runs on a
    /// thread of its own, outside the request's span).
    pub opened: oneshot::Sender<(CommandId, Actor)>,
}

/// Runs until every sender is gone or the writer's queue is closed;
/// meant for a dedicated thread.
pub fn run(
    mut received: mpsc::Receiver<Received>,
    signers: Arc<SignerSource>,
    signatures: bool,
    writer: mpsc::Sender<Submission>,
) {
    let mut batch = Vec::with_capacity(BATCH_LEN_MAX);
    while let Some(first) = received.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH_LEN_MAX {
            match received.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let opened = open(&batch, &signers, signatures);
        for (command, opened) in batch.drain(..).zip(opened) {
            match opened {
                Ok(envelope) => {
                    let _ = command
                        .opened
                        .send((envelope.command_id, envelope.actor.clone()));
                    let submission = Submission {
                        fingerprint: fingerprint(&envelope),
                        envelope,
                        reply: command.reply,
                    };
                    if let Err(refused) = writer.blocking_send(submission) {
                        let _ = refused.0.reply.send(unavailable());
                        return;
                    }
                }
                Err(rejection) => {
                    tracing::warn!(%rejection, "refused a command without a valid signature");
                    let _ = command.reply.send(CommandReply::Rejected(rejection));
                }
            }
        }
    }
}

fn open(
    batch: &[Received],
    signers: &SignerSource,
    signatures: bool,
) -> Vec<Result<CommandEnvelope, Rejection>> {
    if !signatures {
        return batch
            .iter()
            .map(|command| codec::decode(&command.payload).map_err(Rejection::from))
            .collect();
    }
    let payloads: Vec<&[u8]> = batch.iter().map(|command| &command.payload[..]).collect();
    efa_trust::open_commands(&payloads, &signers.current())
}

fn unavailable() -> CommandReply {
    CommandReply::Rejected(Rejection::Unavailable {
        reason: "Ledger fährt herunter".into(),
    })
}
