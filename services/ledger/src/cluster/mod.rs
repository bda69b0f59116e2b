//! A ledger node of a cluster. Several nodes run, one of them active: the
//! one holding the lease (`lease`). The others are standbys that follow
//! the replicated stream into their own logs (`follow`) and serve the read
//! API from them. The active node takes commands and sends each group
//! commit to the stream before writing it itself (`append`); when it
//! loses the lease, or the stream refuses an append, it stops taking
//! commands and follows again. A standby takes the lease only once its
//! log reaches the stream's end, and then reads whatever the stream
//! gained meanwhile before it decides anything.
//!
//! The stream is the cluster's history: a node's log is always a prefix
//! of it, so no node ever has to take back an event it wrote.

pub mod append;
pub mod follow;
pub mod lease;

use std::time::Duration;

use async_nats::jetstream;
use efa_runtime::Shutdown;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{LedgerError, Parts, Pipeline};
use follow::{FollowError, Follower};
use lease::{Lease, LeaseDeadline};

/// Set to 1 while this node is the active ledger.
pub const LEADING: &str = "efa_ledger_leading";
/// Counts the terms this node has led.
pub const TERMS: &str = "efa_ledger_terms_total";

/// The default time to live of the lease.
pub const LEASE_TTL_DEFAULT: Duration = Duration::from_secs(3);
/// How long a node waits for the cluster's JetStream at start.
const JETSTREAM_WAIT_MAX: Duration = Duration::from_secs(60);
/// How long one attempt to open the lease bucket may take.
const LEASE_OPEN_ATTEMPT_MAX: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// This node's name, as the lease records it.
    pub node: String,
    /// How long a lease lasts without renewal: a standby takes over about
    /// this long after the active node is gone.
    pub lease_ttl: Duration,
    /// Copies of the lease bucket (as of the event stream).
    pub replicas: usize,
}

/// What a node runs with, borrowed from its `Ledger`.
pub(crate) struct Node<'a> {
    pub config: &'a ClusterConfig,
    pub parts: &'a Parts,
    pub service: &'a async_nats::service::Service,
    pub nats: &'a async_nats::Client,
    /// In a cluster the stream holds everything a node's log holds.
    pub published: watch::Sender<u64>,
}

impl Node<'_> {
    /// Follows, leads when it holds the lease, until shutdown.
    pub async fn run(self, shutdown: &Shutdown) -> Result<(), LedgerError> {
        let js = jetstream::new(self.nats.clone());
        let Some(lease) = self.open_lease(&js, shutdown).await? else {
            return Ok(());
        };
        let deadline = lease.deadline();
        let (caught_up_tx, caught_up) = watch::channel(false);
        let follower = Follower {
            js,
            key: self.parts.key.public(),
            head: self.parts.head_tx.clone(),
            caught_up: caught_up_tx,
        };
        let (held_tx, held) = watch::channel(false);
        let keeper_stop = CancellationToken::new();
        let keeper = tokio::spawn(keep_lease(lease, caught_up, held_tx, keeper_stop.clone()));
        let mirror = tokio::spawn(mirror(
            self.parts.head_tx.subscribe(),
            self.published.clone(),
            shutdown.clone(),
        ));
        let result = self.roles(&follower, deadline, held, shutdown).await;
        keeper_stop.cancel();
        let _ = keeper.await;
        shutdown.cancel();
        let _ = mirror.await;
        result
    }

    /// Opens the lease bucket, waiting while the cluster has no JetStream
    /// leader yet; `None` on shutdown.
    async fn open_lease(
        &self,
        js: &jetstream::Context,
        shutdown: &Shutdown,
    ) -> Result<Option<Lease>, LedgerError> {
        let started = tokio::time::Instant::now();
        loop {
            // Each attempt briefly: two nodes creating the bucket at the same
            // moment were seen to leave one of them waiting out JetStream's
            // request timeouts (about ten seconds) before its next attempt,
            // which finds the bucket.
            let attempt = Lease::open(
                js,
                &self.config.node,
                self.config.lease_ttl,
                self.config.replicas,
            );
            match tokio::time::timeout(LEASE_OPEN_ATTEMPT_MAX, attempt).await {
                Ok(Ok(lease)) => return Ok(Some(lease)),
                Ok(Err(error)) if started.elapsed() > JETSTREAM_WAIT_MAX => {
                    return Err(error.into());
                }
                Ok(Err(error)) => tracing::info!(%error, "waiting for the cluster's JetStream"),
                Err(_) => tracing::info!("waiting for the lease bucket"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(None),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Alternates between following and leading.
    async fn roles(
        &self,
        follower: &Follower,
        deadline: LeaseDeadline,
        mut held: watch::Receiver<bool>,
        shutdown: &Shutdown,
    ) -> Result<(), LedgerError> {
        let store = self.parts.store.as_ref();
        loop {
            let stop = shutdown.child_token();
            let taken = {
                let following = follow_on(follower, store, &stop);
                tokio::pin!(following);
                tokio::select! {
                    _ = shutdown.cancelled() => false,
                    result = &mut following => {
                        result?;
                        false
                    }
                    taken = held.wait_for(|held| *held) => taken.is_ok(),
                }
            };
            stop.cancel();
            if shutdown.is_cancelled() {
                return Ok(());
            }
            if !taken {
                continue;
            }
            // Everything the stream holds, before deciding anything.
            let caught_up = async {
                let last = follow::stream_last(&follower.js).await?;
                follow::follow(follower, store, Some(last), shutdown).await
            };
            match caught_up.await {
                Ok(()) => {}
                Err(error) if error.is_transient() => {
                    tracing::warn!(%error, "could not read the stream before leading");
                    continue;
                }
                Err(error) => return Err(error.into()),
            }
            if !*held.borrow() || shutdown.is_cancelled() {
                continue;
            }
            self.lead(&follower.js, deadline.clone(), &mut held, shutdown)
                .await?;
        }
    }

    /// Takes commands until the lease is gone, the stream refuses an
    /// append, or shutdown.
    async fn lead(
        &self,
        js: &jetstream::Context,
        deadline: LeaseDeadline,
        held: &mut watch::Receiver<bool>,
        shutdown: &Shutdown,
    ) -> Result<(), LedgerError> {
        if let Err(error) = publish_local_tail(js, self.parts).await {
            tracing::warn!(%error, "could not publish this node's own events first");
            return Ok(());
        }
        let appender = append::StreamAppender::new(
            js.clone(),
            tokio::runtime::Handle::current(),
            self.parts.key.clone(),
            deadline,
        );
        let pipeline = Pipeline::start(self.parts, Some(Box::new(appender)))?;
        let term = shutdown.child_token();
        let commands = pipeline.serve_commands(self.service, term.clone()).await?;
        metrics::gauge!(LEADING).set(1.0);
        metrics::counter!(TERMS).increment(1);
        tracing::info!(
            node = %self.config.node,
            head = self.parts.store.durable_seq(),
            "this node is the active ledger"
        );
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = pipeline.queue.closed() => {}
            _ = held.wait_for(|held| !*held) => {}
        }
        term.cancel();
        let _ = commands.await;
        pipeline.stop().await;
        metrics::gauge!(LEADING).set(0.0);
        tracing::info!(node = %self.config.node, "this node no longer takes commands");
        Ok(())
    }
}

/// Follows until `stop`, starting again after a transport failure.
async fn follow_on(
    follower: &Follower,
    store: &crate::store::LedgerStore,
    stop: &CancellationToken,
) -> Result<(), FollowError> {
    loop {
        match follow::follow(follower, store, None, stop).await {
            Ok(()) => return Ok(()),
            Err(error) if error.is_transient() => {
                follower.caught_up.send_replace(false);
                tracing::warn!(%error, "following the stream paused");
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(follow::RETRY_DELAY) => {}
                }
            }
            Err(error) => {
                tracing::error!(%error, "this node stops following the stream");
                return Err(error);
            }
        }
    }
}

/// A log longer than the stream (a single machine's ledger that became a
/// cluster's first node) publishes what the stream lacks before it takes
/// commands.
async fn publish_local_tail(js: &jetstream::Context, parts: &Parts) -> Result<(), LedgerError> {
    let last = follow::stream_last(js).await?;
    let head = parts.store.durable_seq();
    let mut next = last + 1;
    while next <= head {
        let events = parts.store.events_from(next, 1024)?;
        if events.is_empty() {
            return Err(crate::store::StoreError::MissingEvent { seq: next }.into());
        }
        let mut fingerprints = Vec::with_capacity(events.len());
        for stored in &events {
            let command = parts.store.command(&stored.event.record.command_id)?;
            fingerprints
                .push(command.map_or(crate::writer::FINGERPRINT_UNKNOWN, |c| c.fingerprint));
        }
        append::publish(js, &parts.key, &events, &fingerprints)
            .await
            .map_err(|e| FollowError::JetStream(e.to_string()))?;
        next += events.len() as u64;
        tracing::info!(
            published = next - 1,
            head,
            "published this node's own events"
        );
    }
    Ok(())
}

/// Takes the lease when the node has caught up, renews it while held,
/// says whether it is held, and gives it up when stopped.
async fn keep_lease(
    mut lease: Lease,
    caught_up: watch::Receiver<bool>,
    held: watch::Sender<bool>,
    stop: CancellationToken,
) {
    let every = lease.renew_every();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let asked = if *held.borrow() || lease.holds() {
            tokio::time::timeout(every, lease.renew()).await
        } else if *caught_up.borrow() {
            tokio::time::timeout(every, lease.try_acquire()).await
        } else {
            Ok(Ok(false))
        };
        match asked {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::debug!(%error, "lease request failed"),
            Err(_) => tracing::debug!("lease request timed out"),
        }
        let holds = lease.holds();
        if !holds && *held.borrow() {
            lease.lost();
            tracing::warn!("this node lost the lease");
        } else if holds && !*held.borrow() {
            tracing::info!("this node took the lease");
        }
        held.send_if_modified(|now| std::mem::replace(now, holds) != holds);
    }
    lease.release().await;
    held.send_replace(false);
}

/// Keeps `published` at the head: the stream has every event a node's
/// log has.
async fn mirror(mut head: watch::Receiver<u64>, published: watch::Sender<u64>, stop: Shutdown) {
    loop {
        published.send_replace(*head.borrow_and_update());
        tokio::select! {
            _ = stop.cancelled() => return,
            changed = head.changed() => if changed.is_err() { return },
        }
    }
}
