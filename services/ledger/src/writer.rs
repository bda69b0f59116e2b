//! The group-commit writer: the one thread that decides and appends. It
//! takes every command that queued while the previous fsync ran, decides
//! them in order, writes all their events in one atomic batch, fsyncs once,
//! and only then answers. No timer: the batch is whatever is waiting, so a
//! lone command is not delayed and a crowd shares one fsync.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use efa_domain::{Ctx, Related};
use efa_proto::{
    Accepted, Cents, CloseYear, Command, CommandEnvelope, CommandId, CommandReply, CostModel,
    EventId, EventRecord, Hash, Rejection, SCHEMA_VERSION, SealedEvent, Settlement, StreamId,
    Timestamp,
};
use sha2::Digest;
use tokio::sync::{mpsc, oneshot, watch};

use crate::store::{
    CommandRecord, Head, LedgerStore, StoreError, StoredEvent, StoredStream, WriteBatch,
};

/// The most commands one group commit takes.
pub const BATCH_LEN_MAX: usize = 1024;

/// A command on its way to the writer, with where to send the answer.
#[derive(Debug)]
pub struct Submission {
    pub envelope: CommandEnvelope,
    pub fingerprint: Hash,
    pub reply: oneshot::Sender<CommandReply>,
}

/// The fingerprint that tells a retry (same request) from a reused id:
/// the envelope's bytes, but for a closing without its settlement. The
/// gateway reads the settlement at the ledger's head for every attempt,
/// and the closing itself moves the head, so a retry of the same request
/// (service and year) carries another settlement and must still replay.
pub fn fingerprint(envelope: &CommandEnvelope) -> Hash {
    let Command::CloseYear(closing) = &envelope.command else {
        return sha2::Sha256::digest(efa_proto::encode(envelope)).into();
    };
    let request = CommandEnvelope {
        command: Command::CloseYear(CloseYear {
            settlement: Settlement {
                model: CostModel::EqualShares,
                weights_source: String::new(),
                weights: Vec::new(),
                total: Cents(0),
                shares: Vec::new(),
                unallocated: Cents(0),
                cost_lines: Vec::new(),
                based_on_seq: 0,
                based_on_hash: [0; 32],
            },
            ..closing.clone()
        }),
        ..envelope.clone()
    };
    sha2::Sha256::digest(efa_proto::encode(&request)).into()
}

/// Event ids derive from the command id and the event's index, so a
/// replayed decision yields the same ids.
fn event_id(command: &CommandId, index: usize) -> EventId {
    let mut hasher = sha2::Sha256::new();
    hasher.update(command.0);
    hasher.update((index as u64).to_be_bytes());
    let digest: [u8; 32] = hasher.finalize().into();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    EventId(id)
}

/// Why a group commit did not reach the replicated stream. Nothing of
/// it is written or acknowledged; the node stops acting as leader.
#[derive(Debug, thiserror::Error)]
pub enum ReplicateError {
    #[error("this node no longer holds the lease")]
    NotLeader,
    #[error("the stream refused event {seq}: {reason}")]
    Refused { seq: u64, reason: String },
    #[error("the stream did not confirm the group commit: {reason}")]
    Unknown { reason: String },
}

/// Where a cluster's active ledger sends a group commit's events before
/// it writes them itself (see `cluster::append`): `Ok` once the
/// replicated stream holds every one of them at its sequence.
pub trait Replicate: Send {
    fn replicate(
        &mut self,
        events: &[StoredEvent],
        fingerprints: &[Hash],
    ) -> Result<(), ReplicateError>;
}

/// The fingerprint a standby records for a command whose envelope it
/// never saw and whose fingerprint the stream did not carry: its id
/// alone then identifies a repeat.
pub const FINGERPRINT_UNKNOWN: Hash = [0; 32];

/// Where the writer reads the time of recording from: the wall clock in
/// service, a synthetic clock for reproducible generated histories.
pub type Clock = Box<dyn FnMut() -> Timestamp + Send>;

pub fn wall_clock() -> Timestamp {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    Timestamp::from_micros(micros)
}

/// Changes decided in the current batch but not yet on disk.
struct Pending {
    batch: WriteBatch,
    streams: HashMap<StreamId, StoredStream>,
    commands: HashMap<CommandId, CommandRecord>,
    answers: Vec<(oneshot::Sender<CommandReply>, CommandReply)>,
    head: Head,
    now: Timestamp,
}

pub struct Writer {
    store: Arc<LedgerStore>,
    clock: Clock,
    /// Set when a group commit failed: sled may hold part of it in memory
    /// although it is not durable, so nothing more may be decided or
    /// written against it until a restart recovers the durable state.
    failed: bool,
    /// Set with `failed` when a group commit did not reach the cluster's
    /// stream: nothing is wrong with the store, but this node must follow
    /// the stream again before it may decide anything.
    stepped_down: bool,
    head: Head,
    last_recorded: Timestamp,
    published_head: watch::Sender<u64>,
    /// Signs each group commit's head as the ledger's checkpoint.
    key: Arc<efa_trust::SigningKey>,
    sign_checkpoints: bool,
    /// In a cluster: the stream each group commit must reach first.
    replicate: Option<Box<dyn Replicate>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("head", &self.head.seq)
            .finish()
    }
}

impl Writer {
    pub fn new(
        store: Arc<LedgerStore>,
        head_tx: watch::Sender<u64>,
        key: Arc<efa_trust::SigningKey>,
    ) -> Result<Self, StoreError> {
        Self::with_clock(store, head_tx, key, Box::new(wall_clock))
    }

    pub fn with_clock(
        store: Arc<LedgerStore>,
        head_tx: watch::Sender<u64>,
        key: Arc<efa_trust::SigningKey>,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        let head = store.head()?;
        // The head record must point at an event the log holds.
        let last_recorded = match store.event(head.seq)? {
            Some(event) => event.record.recorded_at,
            None if head.seq == 0 => Timestamp::from_micros(0),
            None => return Err(StoreError::MissingEvent { seq: head.seq }),
        };
        head_tx.send_replace(head.seq);
        let writer = Self {
            store,
            clock,
            failed: false,
            stepped_down: false,
            head,
            last_recorded,
            published_head: head_tx,
            key,
            sign_checkpoints: true,
            replicate: None,
        };
        writer.sign_head_if_unsigned()?;
        Ok(writer)
    }

    /// A log written before checkpoints were signed (or under another
    /// key) gets its head signed now, so that `efa verify` finds it signed
    /// without waiting for the next command.
    fn sign_head_if_unsigned(&self) -> Result<(), StoreError> {
        if self.head.seq == 0 {
            return Ok(());
        }
        let current = self.store.checkpoint()?;
        let signed = current.is_some_and(|checkpoint| {
            checkpoint.seq == self.head.seq
                && checkpoint.hash == self.head.hash
                && efa_trust::verify_checkpoint(&self.key.public(), &checkpoint)
        });
        if signed {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        batch.put_checkpoint(efa_trust::sign_checkpoint(
            &self.key,
            self.head.seq,
            &self.head.hash,
        ));
        self.store.commit(batch)
    }

    /// Sends every group commit to `target` before writing it (a
    /// cluster's active ledger).
    pub fn replicate_to(&mut self, target: Box<dyn Replicate>) {
        self.replicate = Some(target);
    }

    /// Stores no signed checkpoints (the bench's unsigned baseline only).
    pub(crate) fn sign_no_checkpoints(&mut self) {
        self.sign_checkpoints = false;
    }

    /// Runs until every sender is gone, or until a group commit fails (then
    /// it drops the queue, so that callers see it closed); meant for a
    /// dedicated thread.
    pub fn run(mut self, mut queue: mpsc::Receiver<Submission>) {
        while let Some(first) = queue.blocking_recv() {
            let mut submissions = vec![first];
            while submissions.len() < BATCH_LEN_MAX {
                match queue.try_recv() {
                    Ok(next) => submissions.push(next),
                    Err(_) => break,
                }
            }
            self.commit_group(submissions);
            if self.stepped_down {
                tracing::info!(
                    head = self.head.seq,
                    "ledger writer stopped: no longer leading"
                );
                return;
            }
            if self.failed {
                tracing::error!(
                    head = self.head.seq,
                    "ledger writer stopped after a failed group commit; a restart recovers the durable state"
                );
                return;
            }
        }
        tracing::info!(head = self.head.seq, "ledger writer stopped");
    }

    /// Decides and appends `envelopes` in one group commit, in order, and
    /// returns each command's answer: for callers without NATS (bulk
    /// loading, tests).
    pub fn commit_envelopes(&mut self, envelopes: Vec<CommandEnvelope>) -> Vec<CommandReply> {
        let mut answers = Vec::with_capacity(envelopes.len());
        let mut submissions = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let (reply, answer) = oneshot::channel();
            submissions.push(Submission {
                fingerprint: fingerprint(&envelope),
                envelope,
                reply,
            });
            answers.push(answer);
        }
        self.commit_group(submissions);
        answers
            .into_iter()
            .map(|mut answer| {
                answer.try_recv().unwrap_or_else(|_| {
                    CommandReply::Rejected(Rejection::Unavailable {
                        reason: "keine Antwort des Schreibers".into(),
                    })
                })
            })
            .collect()
    }

    pub fn commit_group(&mut self, submissions: Vec<Submission>) {
        if self.failed {
            for submission in submissions {
                let _ = submission.reply.send(self.refusal());
            }
            return;
        }
        // The recorded time never goes backwards, even if the clock does.
        let now = (self.clock)().max(self.last_recorded);
        let mut pending = Pending {
            batch: WriteBatch::new(),
            streams: HashMap::new(),
            commands: HashMap::new(),
            answers: Vec::with_capacity(submissions.len()),
            head: self.head,
            now,
        };
        for submission in submissions {
            let answer = match self.process(&mut pending, &submission) {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::error!(%error, "ledger store read failed");
                    CommandReply::Rejected(Rejection::Unavailable {
                        reason: "Speicherfehler im Ledger".into(),
                    })
                }
            };
            pending.answers.push((submission.reply, answer));
        }
        let durable = pending.batch.is_empty
            || {
                pending.batch.put_head(&pending.head);
                if self.sign_checkpoints {
                    pending.batch.put_checkpoint(efa_trust::sign_checkpoint(
                        &self.key,
                        pending.head.seq,
                        &pending.head.hash,
                    ));
                }
                let batch = std::mem::take(&mut pending.batch);
                match self
                    .replicated(&batch, &pending.commands)
                    .and_then(|()| self.store.commit(batch).map_err(WriteError::Store))
                {
                    Ok(()) => true,
                    Err(WriteError::Store(error)) => {
                        tracing::error!(%error, "ledger group commit failed; nothing of this batch is acknowledged");
                        self.failed = true;
                        false
                    }
                    Err(WriteError::Replicate(error)) => {
                        tracing::warn!(%error, "group commit not replicated; this node stops leading");
                        self.failed = true;
                        self.stepped_down = true;
                        false
                    }
                }
            };
        if durable {
            self.head = pending.head;
            self.last_recorded = now;
            self.published_head.send_replace(self.head.seq);
        }
        for (reply, answer) in pending.answers {
            let answer = match answer {
                // Nothing of a failed batch is acknowledged; the client
                // retries (in a cluster, at the node that leads then).
                CommandReply::Accepted(_) if !durable => self.refusal(),
                other => other,
            };
            // The caller may have given up waiting; that loses nothing.
            let _ = reply.send(answer);
        }
    }

    /// The answer to a command this writer cannot take any more.
    fn refusal(&self) -> CommandReply {
        let reason = if self.stepped_down {
            "Das Ledger wechselt gerade den aktiven Knoten; bitte erneut senden"
        } else {
            "Speicherfehler im Ledger; Neustart nötig"
        };
        CommandReply::Rejected(Rejection::Unavailable {
            reason: reason.into(),
        })
    }

    /// In a cluster, sends the batch's events to the stream first.
    fn replicated(
        &mut self,
        batch: &WriteBatch,
        commands: &HashMap<CommandId, CommandRecord>,
    ) -> Result<(), WriteError> {
        let Some(target) = self.replicate.as_mut() else {
            return Ok(());
        };
        let events = batch.events();
        let fingerprints: Vec<Hash> = events
            .iter()
            .map(|stored| {
                commands
                    .get(&stored.event.record.command_id)
                    .map_or(FINGERPRINT_UNKNOWN, |record| record.fingerprint)
            })
            .collect();
        target
            .replicate(events, &fingerprints)
            .map_err(WriteError::Replicate)
    }

    /// Decides one command against the store and the batch so far.
    fn process(
        &self,
        pending: &mut Pending,
        submission: &Submission,
    ) -> Result<CommandReply, StoreError> {
        let envelope = &submission.envelope;
        let seen = match pending.commands.get(&envelope.command_id) {
            Some(record) => Some(record.clone()),
            None => self.store.command(&envelope.command_id)?,
        };
        if let Some(record) = seen {
            return Ok(replay(record, &submission.fingerprint));
        }
        let stream_id = envelope.command.stream();
        let stream = match pending.streams.get(&stream_id) {
            Some(stream) => stream.clone(),
            None => self.store.stream(&stream_id)?,
        };
        if let Some(expected) = envelope.expected_version
            && expected != stream.version
        {
            return Ok(CommandReply::Rejected(Rejection::Conflict {
                expected,
                actual: stream.version,
            }));
        }
        let mut related = Vec::new();
        for id in efa_domain::related_streams(envelope) {
            let state = match pending.streams.get(&id) {
                Some(stream) => stream.state.clone(),
                None => self.store.stream(&id)?.state,
            };
            related.push((id, state));
        }
        let ctx = Ctx { now: pending.now };
        let events = match efa_domain::decide(&stream.state, &Related::new(related), envelope, &ctx)
        {
            Ok(events) => events,
            Err(rejection) => return Ok(CommandReply::Rejected(rejection)),
        };
        Ok(self.append(pending, submission, stream_id, stream, events, &ctx))
    }

    fn append(
        &self,
        pending: &mut Pending,
        submission: &Submission,
        stream_id: StreamId,
        mut stream: StoredStream,
        events: Vec<efa_proto::Event>,
        ctx: &Ctx,
    ) -> CommandReply {
        let envelope = &submission.envelope;
        let first_seq = pending.head.seq + 1;
        let effective = ctx.effective(envelope);
        for (index, event) in events.into_iter().enumerate() {
            stream.version += 1;
            stream.state = efa_domain::evolve(stream.state, &event, effective);
            let record = EventRecord {
                schema_version: SCHEMA_VERSION,
                seq: pending.head.seq + 1,
                event_id: event_id(&envelope.command_id, index),
                stream: stream_id.clone(),
                stream_version: stream.version,
                recorded_at: ctx.now,
                effective,
                actor: envelope.actor.clone(),
                command_id: envelope.command_id,
                prev_hash: pending.head.hash,
                event,
            };
            let sealed = SealedEvent::seal(record);
            pending.head = Head {
                seq: sealed.record.seq,
                hash: sealed.hash,
            };
            pending.batch.put_event(sealed);
        }
        let accepted = Accepted {
            first_seq,
            last_seq: pending.head.seq,
            stream_version: stream.version,
            replayed: false,
        };
        let record = CommandRecord {
            fingerprint: submission.fingerprint,
            reply: CommandReply::Accepted(accepted.clone()),
        };
        pending.batch.put_stream(&stream_id, &stream);
        pending.batch.put_command(&envelope.command_id, &record);
        pending.streams.insert(stream_id, stream);
        pending.commands.insert(envelope.command_id, record);
        CommandReply::Accepted(accepted)
    }
}

/// Why a group commit was not written.
enum WriteError {
    Store(StoreError),
    Replicate(ReplicateError),
}

/// The stored answer for a command id seen before, or a reuse rejection.
fn replay(record: CommandRecord, fingerprint: &Hash) -> CommandReply {
    if record.fingerprint != *fingerprint && record.fingerprint != FINGERPRINT_UNKNOWN {
        return CommandReply::Rejected(Rejection::IdempotencyKeyReused);
    }
    match record.reply {
        CommandReply::Accepted(accepted) => CommandReply::Accepted(Accepted {
            replayed: true,
            ..accepted
        }),
        rejected => rejected,
    }
}

/// A fresh ledger key for unit tests.
#[cfg(test)]
pub(crate) fn test_key() -> Arc<efa_trust::SigningKey> {
    Arc::new(efa_trust::SigningKey::generate("ledger").expect("a valid key id"))
}

#[cfg(test)]
mod tests {
    use efa_proto::*;

    use super::*;

    fn submit(
        n: u8,
        actor: &str,
        command: Command,
    ) -> (Submission, oneshot::Receiver<CommandReply>) {
        let envelope = CommandEnvelope {
            command_id: CommandId([n; 16]),
            actor: Actor::parse(actor).unwrap(),
            expected_version: None,
            effective: None,
            command,
        };
        let (reply, answer) = oneshot::channel();
        (
            Submission {
                fingerprint: fingerprint(&envelope),
                envelope,
                reply,
            },
            answer,
        )
    }

    /// A closing's retry carries the settlement read at a later head: it
    /// is the same request, while another year or service is not.
    #[test]
    fn a_closing_is_fingerprinted_by_its_request_not_its_settlement() {
        let closing = |year: u16, based_on_seq: u64| {
            let settlement = Settlement {
                model: CostModel::EqualShares,
                weights_source: "gleiche Anteile".into(),
                weights: vec![(LandCode::new(4).unwrap(), 1)],
                total: Cents(100),
                shares: vec![(LandCode::new(4).unwrap(), Cents(100))],
                unallocated: Cents(0),
                cost_lines: vec![1],
                based_on_seq,
                based_on_hash: [7; 32],
            };
            let command = Command::CloseYear(CloseYear {
                service: ServiceId::parse("wohngeld").unwrap(),
                year,
                settlement,
            });
            submit(1, "admin", command).0.fingerprint
        };
        assert_eq!(closing(2024, 10), closing(2024, 11));
        assert_ne!(closing(2024, 10), closing(2023, 10));
        let retire = |reason: &str| {
            let command = Command::RetireService(RetireService {
                service: ServiceId::parse("wohngeld").unwrap(),
                reason: reason.into(),
            });
            submit(1, "land:04", command).0.fingerprint
        };
        assert_eq!(retire("ersetzt"), retire("ersetzt"));
        assert_ne!(retire("ersetzt"), retire("abgelöst"));
    }

    /// Commands in one group commit see what the earlier ones decided:
    /// the adoption request reads the municipality registered just before
    /// it, in the same batch, not yet on disk.
    #[test]
    fn a_batch_decides_against_its_own_earlier_commands() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
        let (head_tx, head_rx) = watch::channel(0);
        let mut writer = Writer::new(store.clone(), head_tx, crate::writer::test_key()).unwrap();
        let erfurt = Ags::parse("16051000").unwrap();
        let service = ServiceId::parse("wohngeld-antrag").unwrap();
        let announce = Command::AnnounceService(AnnounceService {
            service: service.clone(),
            title: "Wohngeld-Antrag".into(),
            lead: LandCode::new(1).unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Bauen & Wohnen".into(),
            provider: "Dataport".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::EqualShares,
            status: ServiceStatus::Pilot,
            reifegrad: Reifegrad::new(3).unwrap(),
        });
        let register = Command::RegisterGemeinde(RegisterGemeinde {
            ags: erfurt,
            name: "Erfurt".into(),
            population: None,
        });
        let request = Command::RequestAdoption(RequestAdoption {
            service,
            ags: erfurt,
            note: String::new(),
        });
        let (a, a_rx) = submit(1, "land:01", announce);
        let (b, b_rx) = submit(2, "admin", register);
        let (c, c_rx) = submit(3, "gemeinde:16051000", request);
        let (again, again_rx) = submit(3, "gemeinde:16051000", c.envelope.command.clone());
        writer.commit_group(vec![a, b, c, again]);

        for (n, rx) in [a_rx, b_rx, c_rx].into_iter().enumerate() {
            let reply = rx.blocking_recv().unwrap();
            let CommandReply::Accepted(accepted) = reply else {
                panic!("command {n}: {reply:?}")
            };
            assert_eq!(accepted.last_seq, n as u64 + 1);
        }
        let replay = again_rx.blocking_recv().unwrap();
        assert!(
            matches!(
                replay,
                CommandReply::Accepted(Accepted {
                    replayed: true,
                    last_seq: 3,
                    ..
                })
            ),
            "{replay:?}"
        );
        assert_eq!(*head_rx.borrow(), 3);
        assert_eq!(crate::verify::verify_store(&store).unwrap().events, 3);
    }

    /// A log whose head was never signed (written before checkpoints were)
    /// gets it signed when a writer opens it, with the writer's key.
    #[test]
    fn an_unsigned_head_is_signed_when_the_writer_opens_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LedgerStore::open(dir.path()).unwrap());
        let key = test_key();
        {
            let mut writer = Writer::new(store.clone(), watch::channel(0).0, key.clone()).unwrap();
            writer.sign_no_checkpoints();
            let (a, _) = submit(
                1,
                "admin",
                Command::RegisterKreis(RegisterKreis {
                    key: KreisKey::parse("16051").unwrap(),
                    name: "Erfurt".into(),
                    population: None,
                }),
            );
            writer.commit_group(vec![a]);
        }
        assert_eq!(store.checkpoint().unwrap(), None);
        let _writer = Writer::new(store.clone(), watch::channel(0).0, key.clone()).unwrap();
        let checkpoint = store.checkpoint().unwrap().unwrap();
        assert_eq!(
            (checkpoint.seq, checkpoint.hash),
            (1, store.head().unwrap().hash)
        );
        assert!(efa_trust::verify_checkpoint(&key.public(), &checkpoint));
    }
}
