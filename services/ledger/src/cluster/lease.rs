//! The lease that makes one ledger node of a cluster the active one: a key
//! in a replicated JetStream key-value bucket, taken with a create that
//! fails when the key exists and renewed with a compare-and-set on its
//! revision. The bucket's `max_age` is the lease's time to live, so the
//! key of a node that stopped renewing disappears by itself and a standby
//! can take it.
//!
//! A holder trusts its lease only for part of the time to live, counted
//! from when it sent the request that took or renewed it (before the
//! server's clock for the key started), so it stops acting as leader
//! before any standby can have taken over. The stream's expected-sequence
//! check stays the backstop: a holder that is wrong about its lease still
//! cannot append (see `append`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use tokio::time::Instant;

pub use efa_proto::subjects::LEASE_BUCKET;
/// The key the active ledger holds, its value the node's name.
pub const LEASE_KEY: &str = "active";

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("open the lease bucket {LEASE_BUCKET}: {0}")]
    Bucket(String),
    #[error("lease request failed: {0}")]
    Request(String),
}

/// Until when the holder may act as leader; shared with the writer's
/// appender, which checks it before every group commit.
#[derive(Debug, Clone, Default)]
pub struct LeaseDeadline(Arc<Mutex<Option<Instant>>>);

impl LeaseDeadline {
    fn set(&self, until: Option<Instant>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = until;
    }

    /// Whether the lease is held for at least `margin` more.
    pub fn holds_for(&self, margin: Duration) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| Instant::now() + margin < until)
    }
}

/// One node's handle on the lease.
#[derive(Debug)]
pub struct Lease {
    kv: kv::Store,
    node: String,
    ttl: Duration,
    /// The key's revision while this node holds it.
    revision: Option<u64>,
    deadline: LeaseDeadline,
    /// Another node's revision of the key and when this node first saw
    /// it: unchanged for a whole time to live, that node has stopped
    /// renewing, whether or not the server has removed the key yet.
    seen: Option<(u64, Instant)>,
}

impl Lease {
    /// Opens the bucket, creating it (with `replicas` copies) if missing.
    pub async fn open(
        js: &jetstream::Context,
        node: &str,
        ttl: Duration,
        replicas: usize,
    ) -> Result<Self, LeaseError> {
        let kv = match js.get_key_value(LEASE_BUCKET).await {
            Ok(kv) => kv,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: LEASE_BUCKET.to_owned(),
                    description: "efa-registry: which ledger node is active".to_owned(),
                    history: 1,
                    max_age: ttl,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas,
                    ..Default::default()
                })
                .await
                .map_err(|e| LeaseError::Bucket(e.to_string()))?,
        };
        // The bucket's time to live is the lease's, whatever this node was
        // configured with: a node trusting a longer lease than the bucket
        // keeps would still act when a standby may already have taken it.
        let bucket_ttl = kv
            .status()
            .await
            .map(|status| status.info.config.max_age)
            .unwrap_or(ttl);
        if bucket_ttl.is_zero() {
            return Err(LeaseError::Bucket(
                "the bucket keeps its keys forever (no max_age): a standby could never take over from a node that died".to_owned(),
            ));
        }
        let ttl = if bucket_ttl == ttl {
            ttl
        } else {
            tracing::warn!(
                configured_ms = ttl.as_millis() as u64,
                bucket_ms = bucket_ttl.as_millis() as u64,
                "the lease bucket keeps another time to live than configured; using the bucket's"
            );
            bucket_ttl
        };
        Ok(Self {
            kv,
            node: node.to_owned(),
            ttl,
            revision: None,
            deadline: LeaseDeadline::default(),
            seen: None,
        })
    }

    pub fn deadline(&self) -> LeaseDeadline {
        self.deadline.clone()
    }

    /// How long this node may act on a lease taken or renewed now: two
    /// thirds of the time to live, the rest a margin for clocks and for
    /// the request's way to the server.
    fn trusted_for(&self) -> Duration {
        self.ttl * 2 / 3
    }

    /// How often the holder renews, and a standby tries to take the lease.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 4
    }

    /// Tries to take the lease; true when this node holds it now. A node
    /// that finds its own name (it held the lease before a restart) takes
    /// it back by revision.
    pub async fn try_acquire(&mut self) -> Result<bool, LeaseError> {
        let sent = Instant::now();
        let value = Bytes::from(self.node.clone().into_bytes());
        match self.kv.create(LEASE_KEY, value.clone()).await {
            Ok(revision) => {
                self.held(revision, sent);
                return Ok(true);
            }
            Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => {}
            Err(error) => return Err(LeaseError::Request(error.to_string())),
        }
        let entry = self
            .kv
            .entry(LEASE_KEY)
            .await
            .map_err(|e| LeaseError::Request(e.to_string()))?;
        let Some(entry) = entry else {
            return Ok(false);
        };
        let own = entry.operation == kv::Operation::Put && entry.value == value;
        // The server removes a key whose age passed `max_age` on its own
        // schedule, which was seen to take up to about ten seconds; a
        // revision that has not changed for a whole time to live, as this
        // node's own clock counts it, is as good as expired. Taking it is
        // a compare-and-set on that revision, so a holder that renewed
        // meanwhile, or another standby that was quicker, wins instead.
        let stale = match self.seen {
            Some((revision, since)) if revision == entry.revision => since.elapsed() >= self.ttl,
            _ => {
                self.seen = Some((entry.revision, Instant::now()));
                false
            }
        };
        if !own && !stale {
            return Ok(false);
        }
        match self.kv.update(LEASE_KEY, value, entry.revision).await {
            Ok(revision) => {
                self.seen = None;
                self.held(revision, sent);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// Renews a held lease; false when it was lost (another revision).
    pub async fn renew(&mut self) -> Result<bool, LeaseError> {
        let Some(revision) = self.revision else {
            return Ok(false);
        };
        let sent = Instant::now();
        let value = Bytes::from(self.node.clone().into_bytes());
        match self.kv.update(LEASE_KEY, value, revision).await {
            Ok(revision) => {
                self.held(revision, sent);
                Ok(true)
            }
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                self.lost();
                Ok(false)
            }
            Err(error) => Err(LeaseError::Request(error.to_string())),
        }
    }

    /// Gives the lease up at once (a clean stop), so a standby need not
    /// wait for it to expire.
    pub async fn release(&mut self) {
        if let Some(revision) = self.revision {
            self.lost();
            let _ = self
                .kv
                .delete_expect_revision(LEASE_KEY, Some(revision))
                .await;
        }
    }

    /// Forgets a lease this node no longer trusts.
    pub fn lost(&mut self) {
        self.revision = None;
        self.deadline.set(None);
    }

    fn held(&mut self, revision: u64, sent: Instant) {
        self.revision = Some(revision);
        self.deadline.set(Some(sent + self.trusted_for()));
    }

    /// Whether this node still holds the lease by its own clock.
    pub fn holds(&self) -> bool {
        self.revision.is_some() && self.deadline.holds_for(Duration::ZERO)
    }
}
