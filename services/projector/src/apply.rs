//! Applying events in ledger order: the one writer of the view store. It
//! skips what is applied already, refuses to jump over a gap, checks the
//! hash chain, and commits a batch of events' view changes together with
//! the new checkpoint, in one atomic write (catch-up and rebuilds apply
//! pages of events at once; each entity's facts are written once per
//! batch). Every caller (the stream consumer, the gap filler) goes
//! through here, so these rules hold whichever way an event arrived.

use std::sync::Arc;

use efa_proto::{SealedEvent, ServiceId, ServiceView, StreamId};
use tokio::sync::watch;

use crate::carry::Recent;
use crate::facts::Facts;
use crate::pack::Packing;
use crate::store::{Change, Checkpoint, Store, StoreError, Subject};
use crate::{catalogue, evolve};

/// What became of an event handed to [`Applier::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Its sequence is at or below the checkpoint: a redelivery.
    AlreadyApplied,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("event {seq} does not follow the checkpoint {checkpoint}")]
    Gap { checkpoint: u64, seq: u64 },
    #[error("event {seq}: the stored hash does not match its content")]
    BadHash { seq: u64 },
    #[error("event {seq}: prev_hash {found} is not the hash {expected} of event {}", seq - 1)]
    BrokenChain {
        seq: u64,
        expected: String,
        found: String,
    },
    #[error("a failed batch dropped history pages deferred for the end of the fill")]
    DeferredPagesLost,
    #[error("the store to swap in stands at {found}, not at the checkpoint {checkpoint}")]
    NotAtCheckpoint { checkpoint: String, found: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Events each found to carry its own record's hash when their page or
/// window was checked against the ledger's key (`signatures::check`,
/// which recomputes every hash): the applier checks their order and their
/// links to its checkpoint, but does not compute each hash a second time
/// (a tenth of the applier's time in a fill). Made only where that check
/// has just passed; joining such runs keeps the property.
#[derive(Debug, Default)]
pub struct Checked(Vec<SealedEvent>);

impl Checked {
    /// `events`, which `signatures::check` has just accepted.
    pub(crate) fn after_check(events: Vec<SealedEvent>) -> Self {
        Self(events)
    }

    pub fn events(&self) -> &[SealedEvent] {
        &self.0
    }

    pub fn append(&mut self, mut other: Checked) {
        self.0.append(&mut other.0);
    }
}

/// Whether the applier recomputes each event's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hashes {
    Recompute,
    CheckedBefore,
}

/// The one applier, shared by the consumer and the rebuild; whoever holds
/// the lock applies (the rebuild holds it only to swap stores).
pub type SharedApplier = std::sync::Arc<tokio::sync::Mutex<Applier>>;

/// Applies events to the store and announces each new checkpoint.
#[derive(Debug)]
pub struct Applier {
    store: Store,
    /// The checkpoint of the last batch applied; the store reaches it
    /// once a commit written ahead is written (`Applier::settle`).
    checkpoint: Checkpoint,
    /// Announces each checkpoint once the index stands at it; shared
    /// with the thread that writes a commit ahead.
    applied: Arc<watch::Sender<u64>>,
    written: Written,
    keep: Keep,
    /// Deferred pages were dropped with a failed batch (`forget`): the
    /// store lacks them, and [`Applier::into_store`] refuses to hand it on.
    deferred_lost: bool,
}

impl Applier {
    /// Starts from the store's checkpoint and publishes it on `applied`.
    pub fn new(store: Store, applied: watch::Sender<u64>) -> Result<Self, StoreError> {
        Self::keeping(store, applied, Keep::IN_USE)
    }

    /// As [`Applier::new`], keeping as much of what it wrote as `keep` says.
    pub fn keeping(
        store: Store,
        applied: watch::Sender<u64>,
        keep: Keep,
    ) -> Result<Self, StoreError> {
        let checkpoint = store.checkpoint()?;
        applied.send_replace(checkpoint.seq);
        Ok(Self {
            store,
            checkpoint,
            applied: Arc::new(applied),
            written: Written::new(keep),
            keep,
            deferred_lost: false,
        })
    }

    pub fn checkpoint(&self) -> Checkpoint {
        self.checkpoint
    }

    /// Checks that `store` stands exactly at this applier's checkpoint,
    /// so that it may take the place of the store written so far.
    pub fn check_replacement(&self, store: &Store) -> Result<(), ApplyError> {
        let theirs = store.checkpoint()?;
        if theirs == self.checkpoint {
            return Ok(());
        }
        let describe = |c: Checkpoint| format!("{} ({})", c.seq, hex::encode(c.hash));
        Err(ApplyError::NotAtCheckpoint {
            checkpoint: describe(self.checkpoint),
            found: describe(theirs),
        })
    }

    /// Writes to `store` from now on, taking its checkpoint, and returns
    /// the store written so far. The caller holds the lock, so nothing is
    /// applied meanwhile, and has made sure `store` may take the place of
    /// this one: a rebuilt store checked with
    /// [`Applier::check_replacement`], or a store filled from the ledger in
    /// place of an empty one (`live_rebuild.rs`).
    pub fn take_over(&mut self, store: Store) -> Result<Store, ApplyError> {
        let checkpoint = store.checkpoint()?;
        self.forget();
        let old = std::mem::replace(&mut self.store, store);
        self.checkpoint = checkpoint;
        self.applied.send_replace(checkpoint.seq);
        Ok(old)
    }

    /// Drops what the applier kept of what it wrote (`carry.rs`): after a
    /// failed batch, or for another store, nothing kept may differ from
    /// what the store holds.
    fn forget(&mut self) {
        // What the store is still writing must be on disk before anything
        // kept is let go and read back; a write that failed left the store
        // at an earlier checkpoint, from which applying goes on.
        let _ = self.store.settle();
        if let Ok(checkpoint) = self.store.checkpoint() {
            self.checkpoint = checkpoint;
        }
        self.deferred_lost |= self.written.pages_deferred;
        self.written = Written::new(self.keep);
    }

    /// Waits until the batches applied ahead are written and the index
    /// stands at the checkpoint; an error if one was not, after which the
    /// applier stands at the store's checkpoint again.
    pub fn settle(&mut self) -> Result<(), ApplyError> {
        if let Err(error) = self.store.settle() {
            self.forget();
            return Err(error.into());
        }
        Ok(())
    }

    /// Ends the applier, handing over the store it wrote, with the
    /// lists' last pages it deferred (`Keep::defer_pages`) written at
    /// its checkpoint.
    pub fn into_store(mut self) -> Result<Store, ApplyError> {
        self.write_deferred()?;
        Ok(self.store)
    }

    /// Writes the lists' last pages deferred so far
    /// (`Keep::defer_pages`) at the checkpoint.
    pub fn write_deferred(&mut self) -> Result<(), ApplyError> {
        if self.deferred_lost {
            return Err(ApplyError::DeferredPagesLost);
        }
        let deferred = self.written.packing.take_deferred();
        if !deferred.is_empty() {
            self.store.commit(self.checkpoint, deferred)?;
        }
        self.written.pages_deferred = false;
        Ok(())
    }

    /// Applies `sealed` if it is the next event; see [`ApplyError`] for
    /// what is refused. A refused event leaves the store untouched.
    pub fn apply(&mut self, sealed: &SealedEvent) -> Result<Outcome, ApplyError> {
        let applied = self.apply_all(std::slice::from_ref(sealed))?;
        Ok(if applied == 0 {
            Outcome::AlreadyApplied
        } else {
            Outcome::Applied
        })
    }

    /// Applies `events` (consecutive, in ledger order) in one atomic
    /// commit with the checkpoint of the last: what is applied already is
    /// skipped, and the first event that is refused (see [`ApplyError`])
    /// refuses the whole batch, leaving the store untouched. Returns how
    /// many were applied. Callers keep batches to a few thousand events:
    /// the batch's changes are held in memory until the commit.
    #[tracing::instrument(level = "debug", skip_all, fields(events = events.len()))]
    pub fn apply_all(&mut self, events: &[SealedEvent]) -> Result<usize, ApplyError> {
        self.apply_all_with(events, Hashes::Recompute, Commit::Now)
    }

    /// [`Applier::apply_all`] for events whose hashes were checked
    /// already ([`Checked`]).
    pub fn apply_checked(&mut self, events: &Checked) -> Result<usize, ApplyError> {
        self.apply_all_with(events.events(), Hashes::CheckedBefore, Commit::Now)
    }

    /// [`Applier::apply_checked`], its commit written while the caller
    /// goes on to prepare the next batch (`Store::commit_ahead`): for a
    /// catch-up's batches, one after the other, ended by
    /// [`Applier::settle`]. Its checkpoint is announced once the index
    /// stands at it; an error of its write is returned by the next call.
    pub fn apply_checked_ahead(&mut self, events: &Checked) -> Result<usize, ApplyError> {
        self.apply_all_with(events.events(), Hashes::CheckedBefore, Commit::Ahead)
    }

    /// [`Applier::apply_all`], its commit written ahead as
    /// [`Applier::apply_checked_ahead`]'s.
    pub fn apply_all_ahead(&mut self, events: &[SealedEvent]) -> Result<usize, ApplyError> {
        self.apply_all_with(events, Hashes::Recompute, Commit::Ahead)
    }

    fn apply_all_with(
        &mut self,
        events: &[SealedEvent],
        hashes: Hashes,
        commit: Commit,
    ) -> Result<usize, ApplyError> {
        let applied = self.apply_all_kept(events, hashes, commit);
        if applied.is_err() {
            self.forget();
        }
        applied
    }

    fn apply_all_kept(
        &mut self,
        events: &[SealedEvent],
        hashes: Hashes,
        commit: Commit,
    ) -> Result<usize, ApplyError> {
        let mut checkpoint = self.checkpoint;
        for sealed in events {
            let seq = sealed.record.seq;
            if seq <= checkpoint.seq {
                tracing::debug!(seq, checkpoint = checkpoint.seq, "already applied, skipped");
                continue;
            }
            // The bytes its block keeps, made while its hash is checked.
            let encoded = match hashes {
                Hashes::Recompute => efa_proto::encode_sealed_if_valid(sealed),
                Hashes::CheckedBefore => Some(efa_proto::encode_sealed(sealed)),
            };
            let encoded = check_next(checkpoint, sealed, encoded)?;
            self.add_changes(sealed, encoded)?;
            checkpoint = Checkpoint {
                seq,
                hash: sealed.hash,
            };
        }
        if checkpoint == self.checkpoint {
            return Ok(0);
        }
        let applied = usize::try_from(checkpoint.seq - self.checkpoint.seq).unwrap_or(usize::MAX);
        let changes = self.written.take_changes();
        match commit {
            Commit::Now => {
                self.store.commit(checkpoint, changes)?;
                self.applied.send_replace(checkpoint.seq);
            }
            Commit::Ahead => {
                let applied = Arc::clone(&self.applied);
                self.store.commit_ahead(checkpoint, changes, move |seq| {
                    applied.send_replace(seq);
                })?;
            }
        }
        self.written.age();
        self.checkpoint = checkpoint;
        tracing::debug!(seq = checkpoint.seq, applied, "applied");
        Ok(applied)
    }

    /// [`Applier::apply_checked`] from async code: on a multi-threaded
    /// runtime the worker hands its other tasks (in `efa up`: the
    /// gateway's and the ledger's) to the other workers while this commit
    /// runs, instead of holding them for the batch's time (a catch-up
    /// commit of 8,000 events takes a few hundred milliseconds). On a
    /// current-thread runtime (some tests) it applies in place.
    pub fn apply_checked_in_async(&mut self, events: &Checked) -> Result<usize, ApplyError> {
        in_place(|| self.apply_checked(events))
    }

    /// [`Applier::apply_checked_ahead`] from async code, as
    /// [`Applier::apply_checked_in_async`].
    pub fn apply_checked_ahead_in_async(&mut self, events: &Checked) -> Result<usize, ApplyError> {
        in_place(|| self.apply_checked_ahead(events))
    }

    /// [`Applier::settle`] from async code, as
    /// [`Applier::apply_checked_in_async`].
    pub fn settle_in_async(&mut self) -> Result<(), ApplyError> {
        in_place(|| self.settle())
    }

    /// Adds the view changes `sealed` makes to the batch, computed from
    /// the views as the batch leaves them: the catalogue entry, the facts
    /// of its stream, the event itself and its history index entries.
    fn add_changes(&mut self, sealed: &SealedEvent, encoded: Vec<u8>) -> Result<(), StoreError> {
        let (store, written) = (&self.store, &mut self.written);
        let record = &sealed.record;
        if let Some(id) = catalogue::service_of(&record.event) {
            let view = written.services.change(id, || store.service(id))?;
            *view = catalogue::apply(view.take(), sealed);
        }
        let stream = evolve::facts_stream(record.event.stream());
        // The first event of a stream whose facts no other stream's events
        // change: there is nothing to read (a quarter of the events of
        // Germany's history start an adoption).
        let first_of_its_facts = record.stream_version == 1 && stream == record.stream;
        let facts = written.facts.change(&stream, || {
            if first_of_its_facts {
                Ok(None)
            } else {
                store.facts(&stream)
            }
        })?;
        let new_stream = facts.is_none();
        *facts = evolve::evolve(facts.take(), record);
        let links = evolve::history_links(&record.event);
        let subjects = links
            .services
            .into_iter()
            .map(Subject::Service)
            .chain(links.gemeinden.into_iter().map(Subject::Gemeinde));
        for subject in subjects {
            written
                .packing
                .add_history(subject, record.seq, |s| store.history_tail(s))?;
        }
        // The service joins the municipality's adopted ones once: when
        // its adoption's stream begins.
        if let Some((ags, service)) = links.adoption.filter(|_| new_stream) {
            written
                .packing
                .add_adopted(ags, service, |a| store.adopted_tail(a))?;
        }
        written
            .packing
            .add_event(sealed.record.seq, encoded, || store.last_block())?;
        Ok(())
    }
}

/// Runs `work`, which may take a few hundred milliseconds, from async
/// code: on a multi-threaded runtime the worker hands its other tasks to
/// the other workers meanwhile; on a current-thread runtime (some tests)
/// it runs in place.
fn in_place<T>(work: impl FnOnce() -> T) -> T {
    let flavor = tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor());
    if matches!(flavor, Ok(tokio::runtime::RuntimeFlavor::MultiThread)) {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

/// Whether a batch's commit is written before `apply` returns, or while
/// the caller prepares the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Commit {
    Now,
    Ahead,
}

/// Refuses `sealed` unless it is the event right after `checkpoint`, and
/// hands back its bytes: `encoded` is `None` where its hash was found not
/// to seal it.
fn check_next(
    checkpoint: Checkpoint,
    sealed: &SealedEvent,
    encoded: Option<Vec<u8>>,
) -> Result<Vec<u8>, ApplyError> {
    let seq = sealed.record.seq;
    if seq != checkpoint.seq + 1 {
        return Err(ApplyError::Gap {
            checkpoint: checkpoint.seq,
            seq,
        });
    }
    let Some(encoded) = encoded else {
        return Err(ApplyError::BadHash { seq });
    };
    if sealed.record.prev_hash != checkpoint.hash {
        return Err(ApplyError::BrokenChain {
            seq,
            expected: hex::encode(checkpoint.hash),
            found: hex::encode(sealed.record.prev_hash),
        });
    }
    Ok(encoded)
}

/// The batch being assembled, and what the commits before it wrote,
/// kept (`carry.rs`): each catalogue entry and recently used facts, the
/// packing's last block and pages. Only what the batch changed is written.
#[derive(Debug)]
struct Written {
    /// Every service's catalogue entry (a few hundred, a few KB each).
    services: Recent<ServiceId, Option<ServiceView>>,
    facts: Recent<StreamId, Option<Facts>>,
    packing: Packing,
    /// A commit left pages for the end (`Keep::defer_pages`).
    pages_deferred: bool,
}

impl Written {
    fn new(keep: Keep) -> Self {
        Self {
            services: Recent::new(usize::MAX),
            facts: Recent::new(keep.facts),
            packing: if keep.defer_pages {
                Packing::deferring_open_pages()
            } else {
                Packing::new(keep.pages)
            },
            pages_deferred: false,
        }
    }

    /// The batch's changes, each handed out once.
    fn take_changes(&mut self) -> Vec<Change> {
        let mut changes = self.services.take_changed(|id, view| {
            Some(match view {
                Some(view) => Change::PutService(view.clone()),
                None => Change::RemoveService(id.clone()),
            })
        });
        changes.extend(
            self.facts
                .take_changed(|_, facts| facts.clone().map(Change::PutFacts)),
        );
        changes.extend(self.packing.take_changes());
        self.pages_deferred |= self.packing.defers_open_pages();
        changes
    }

    /// After a commit: lets the least recently used go.
    fn age(&mut self) {
        self.facts.age();
        self.packing.age();
    }
}

/// How much an applier keeps of what it wrote (`carry.rs`): facts of this
/// many streams, the last history pages of this many subjects and the last
/// adopted-services pages of this many municipalities, or, with
/// `defer_pages`, every list's last page, written only when the applier
/// hands its store on (`Applier::into_store`).
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    pub facts: usize,
    pub pages: usize,
    pub defer_pages: bool,
}

impl Keep {
    /// The store in use: a few tens of MB at most.
    pub const IN_USE: Self = Self {
        facts: 16_384,
        pages: 16_384,
        defer_pages: false,
    };
    /// A store being rebuilt, which catches up through the whole history
    /// and is read only once its applier has handed it on. With facts of
    /// 32,768 streams a rebuild filled 10 million events in 67-83 s, with
    /// 262,144 in 64-78 s and about 190 MB more at its peak (BENCHMARKS.md,
    /// "A rebuild's peak, phase by phase").
    pub const REBUILD: Self = Self {
        facts: 32_768,
        pages: 32_768,
        defer_pages: true,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{announce, chain};

    fn applier(dir: &std::path::Path) -> (Applier, Store, watch::Receiver<u64>) {
        let store = Store::open(dir).unwrap();
        let (tx, rx) = watch::channel(0);
        (Applier::new(store.clone(), tx).unwrap(), store, rx)
    }

    #[test]
    fn applies_in_order_and_skips_redeliveries() {
        let dir = tempfile::tempdir().unwrap();
        let (mut applier, store, applied) = applier(dir.path());
        let events = chain(vec![
            announce("digitale-baugenehmigung"),
            announce("wohngeld-antrag"),
        ]);
        assert_eq!(applier.apply(&events[0]).unwrap(), Outcome::Applied);
        assert_eq!(applier.apply(&events[1]).unwrap(), Outcome::Applied);
        assert_eq!(applier.apply(&events[0]).unwrap(), Outcome::AlreadyApplied);
        assert_eq!(applier.apply(&events[1]).unwrap(), Outcome::AlreadyApplied);
        assert_eq!(*applied.borrow(), 2);
        assert_eq!(
            store.checkpoint().unwrap(),
            Checkpoint {
                seq: 2,
                hash: events[1].hash
            }
        );
        let services = store.services().unwrap();
        let last_seqs: Vec<u64> = services.iter().map(|view| view.last_seq).collect();
        assert_eq!(last_seqs, [1, 2]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn applying_from_async_code_works_on_both_kinds_of_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let (mut applier, _, applied) = applier(dir.path());
        let mut events = chain(vec![announce("aaa-service"), announce("bbb-service")]);
        let second = Checked::after_check(events.split_off(1));
        let first = Checked::after_check(events);
        assert_eq!(applier.apply_checked_in_async(&first).unwrap(), 1);
        let applier = tokio::task::spawn_blocking(move || {
            let current = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            current.block_on(async {
                assert_eq!(applier.apply_checked_in_async(&second).unwrap(), 1);
            });
            applier
        })
        .await
        .unwrap();
        assert_eq!(*applied.borrow(), 2);
        assert_eq!(applier.checkpoint().seq, 2);
    }

    #[test]
    fn the_checkpoint_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let events = chain(vec![
            announce("digitale-baugenehmigung"),
            announce("wohngeld-antrag"),
        ]);
        {
            let (mut applier, _, _) = applier(dir.path());
            applier.apply(&events[0]).unwrap();
        }
        let (mut applier, _, applied) = applier(dir.path());
        assert_eq!(*applied.borrow(), 1);
        assert_eq!(applier.apply(&events[0]).unwrap(), Outcome::AlreadyApplied);
        assert_eq!(applier.apply(&events[1]).unwrap(), Outcome::Applied);
    }

    /// The old store of a rebuild lets go of its index before its content
    /// is compared: the content stays as it was, no index file is written
    /// from the empty index, and the store opened again has its index.
    #[test]
    fn a_store_that_lets_go_of_its_index_keeps_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let events = chain(vec![
            announce("digitale-baugenehmigung"),
            announce("wohngeld-antrag"),
        ]);
        let hash_before = {
            let (mut applier, store, _) = applier(dir.path());
            applier.apply_all(&events).unwrap();
            let hash_before = store.content_hash().unwrap();
            assert_eq!(store.index().seq(), 2);
            store.let_go_of_index();
            assert_eq!(store.index().seq(), 0);
            assert_eq!(store.content_hash().unwrap(), hash_before);
            store.save_index().unwrap();
            hash_before
        };
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.index().seq(), 2);
        assert_eq!(store.services().unwrap().len(), 2);
        assert_eq!(store.content_hash().unwrap(), hash_before);
    }

    #[test]
    fn refuses_gaps_bad_hashes_and_broken_chains() {
        let dir = tempfile::tempdir().unwrap();
        let (mut applier, store, _) = applier(dir.path());
        let events = chain(vec![
            announce("aaa-service"),
            announce("bbb-service"),
            announce("ccc-service"),
        ]);
        assert!(matches!(
            applier.apply(&events[1]),
            Err(ApplyError::Gap {
                checkpoint: 0,
                seq: 2
            })
        ));

        let mut tampered = events[0].clone();
        tampered.record.stream_version += 1;
        assert!(matches!(
            applier.apply(&tampered),
            Err(ApplyError::BadHash { seq: 1 })
        ));

        let mut unchained = events[0].record.clone();
        unchained.prev_hash = [7; 32];
        let unchained = SealedEvent::seal(unchained);
        assert!(matches!(
            applier.apply(&unchained),
            Err(ApplyError::BrokenChain { seq: 1, .. })
        ));

        assert_eq!(store.checkpoint().unwrap(), Checkpoint::default());
        assert!(store.services().unwrap().is_empty());
    }

    #[test]
    fn checked_events_are_not_hashed_again_but_their_order_and_links_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (mut applier, store, _) = applier(dir.path());
        let events = chain(vec![announce("aaa-service"), announce("bbb-service")]);
        let unchained = {
            let mut record = events[1].record.clone();
            record.prev_hash = [7; 32];
            SealedEvent::seal(record)
        };
        let refused =
            applier.apply_checked(&Checked::after_check(vec![events[0].clone(), unchained]));
        assert!(matches!(
            refused,
            Err(ApplyError::BrokenChain { seq: 2, .. })
        ));
        let refused = applier.apply_checked(&Checked::after_check(vec![events[1].clone()]));
        assert!(matches!(
            refused,
            Err(ApplyError::Gap {
                checkpoint: 0,
                seq: 2
            })
        ));
        assert_eq!(store.checkpoint().unwrap(), Checkpoint::default());

        // A hash that does not match is not looked at again: that is the
        // check `Checked` stands for.
        let mut stale_hash = events[0].clone();
        stale_hash.record.stream_version += 1;
        let applied = applier.apply_checked(&Checked::after_check(vec![stale_hash]));
        assert_eq!(applied.unwrap(), 1);
    }

    #[test]
    fn a_closing_in_a_batch_with_joins_keeps_every_change_of_the_service() {
        use crate::facts::Facts;
        use crate::testing::{Ledger, announce_by, land, service_id};
        use efa_proto::{Cents, CostModel, Event, Settlement, StreamId};

        let dir = tempfile::tempdir().unwrap();
        let (mut applier, store, _) = applier(dir.path());
        let join = |code| Event::LandJoined {
            service: service_id("aaa-service"),
            land: land(code),
        };
        let mut ledger = Ledger::default();
        ledger.push("2020-01-01", announce_by("aaa-service", 1));
        ledger.push("2021-01-01", join(16));
        ledger.push(
            "2024-02-01",
            Event::YearClosed {
                service: service_id("aaa-service"),
                year: 2023,
                settlement: Settlement {
                    model: CostModel::EqualShares,
                    weights_source: String::new(),
                    weights: vec![],
                    total: Cents(0),
                    shares: vec![],
                    unallocated: Cents(0),
                    cost_lines: vec![],
                    based_on_seq: 2,
                    based_on_hash: [0; 32],
                },
            },
        );
        ledger.push("2024-03-01", join(9));
        // All four in one commit: the closing (its own stream) and the joins
        // (the service's) change the same facts.
        applier.apply_all(ledger.events()).unwrap();
        let Some(Facts::Service(facts)) = store
            .facts(&StreamId::Service(service_id("aaa-service")))
            .unwrap()
        else {
            panic!("the service has facts");
        };
        assert_eq!(facts.participations.len(), 3, "{:?}", facts.participations);
        assert_eq!(facts.closings.len(), 1);
    }
}
