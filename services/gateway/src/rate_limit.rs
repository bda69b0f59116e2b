//! Rate limits per client address, on `governor` (the generic cell rate
//! algorithm: a burst, then one request per period). One limiter guards
//! every route (`limit`, a 429 problem with `Retry-After` beyond it);
//! another the login form (`web::pages::login`). An IPv4 address counts
//! alone, an IPv6 address with its /64 (what one household or server
//! gets), so an attacker cannot multiply its quota by choosing addresses
//! in its own network. Memory is bounded without ever resetting a count:
//! at most `capacity` networks are tracked; when full, the ones whose
//! state is back to fresh are dropped (at most once a second), and a
//! network still new after that shares one overflow quota with all other
//! newcomers, while the tracked ones keep their own. Behind a proxy all
//! clients share the proxy's address.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{Quota, RateLimiter};

use crate::problem::ApiError;

/// Requests per address and window by default: 600 a second on average.
pub const REQUESTS_PER_WINDOW: u32 = 6_000;
pub const WINDOW: Duration = Duration::from_secs(10);
/// Networks tracked at most by one limiter.
pub const CAPACITY: usize = 10_000;

/// Whose requests are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Net([u8; 8]),
    /// Every network that found the limiter full.
    Overflow,
}

impl From<IpAddr> for Client {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Client::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client::V4(v4.octets()),
                None => {
                    let mut net = [0u8; 8];
                    net.copy_from_slice(&v6.octets()[..8]);
                    Client::V6Net(net)
                }
            },
        }
    }
}

/// governor's dashmap store, with room for `capacity` clients and the
/// overflow.
#[derive(Debug)]
pub struct BoundedStore {
    map: DashMapStateStore<Client>,
    capacity: usize,
}

impl StateStore for BoundedStore {
    type Key = Client;

    fn measure_and_replace<T, F, E>(&self, key: &Client, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let key = if self.map.len() >= self.capacity && !self.map.contains_key(key) {
            &Client::Overflow
        } else {
            key
        };
        self.map.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<Client> for BoundedStore {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&self.map, drop_below);
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A rate limit per client network.
#[derive(Debug)]
pub struct AddressLimiter {
    limiter: RateLimiter<Client, BoundedStore, DefaultClock>,
    clock: DefaultClock,
    capacity: usize,
    started: Instant,
    /// When the store was last cleaned, in milliseconds since `started`.
    cleaned: AtomicU64,
}

impl AddressLimiter {
    /// At most `burst` requests at once, then one per `period`; memory
    /// for `capacity` networks.
    pub fn new(burst: u32, period: Duration, capacity: usize) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        let capacity = capacity.max(1);
        let store = BoundedStore {
            map: DashMapStateStore::default(),
            capacity,
        };
        let clock = DefaultClock::default();
        Self {
            limiter: RateLimiter::new(quota, store, clock.clone()),
            clock,
            capacity,
            started: Instant::now(),
            cleaned: AtomicU64::new(0),
        }
    }

    /// `requests` per `window` on average, all of them at once at most.
    pub fn per_window(requests: u32, window: Duration) -> Self {
        let period = window / requests.max(1);
        Self::new(requests, period, CAPACITY)
    }

    /// Counts a request from `address`; `Err(wait)` when it is over its
    /// limit, with the time until the next one would pass.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        self.clean_when_full();
        self.limiter
            .check_key(&Client::from(address))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn clean_when_full(&self) {
        if self.limiter.len() < self.capacity {
            return;
        }
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.cleaned.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 1_000
            && self
                .cleaned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.limiter.retain_recent();
        }
    }

    /// How many networks are tracked.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.limiter.len()
    }
}

impl Default for AddressLimiter {
    fn default() -> Self {
        Self::per_window(REQUESTS_PER_WINDOW, WINDOW)
    }
}

/// The client's address, if the server knows it (in-process tests
/// without connect info do not).
pub fn client_address(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Middleware for every route. Requests without a known peer address are
/// not counted.
pub async fn limit(
    State(limiter): State<Arc<AddressLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(address) = client_address(&request)
        && let Err(wait) = limiter.check(address)
    {
        return ApiError::TooManyRequests(retry_after(wait)).into_response();
    }
    next.run(request).await
}

/// Whole seconds for `Retry-After`, at least 1.
pub fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn an_address_over_its_burst_waits_and_others_are_counted_apart() {
        let limiter = AddressLimiter::new(3, Duration::from_secs(10), 100);
        let me: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(limiter.check(me).is_ok());
        }
        let wait = limiter.check(me).unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert_eq!(retry_after(wait), 10);
        assert!(limiter.check([127, 0, 0, 2].into()).is_ok());
    }

    #[test]
    fn an_ipv6_network_counts_as_one_client() {
        let limiter = AddressLimiter::new(2, Duration::from_secs(60), 100);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(b).is_ok());
        assert!(limiter.check(a).is_err(), "the same /64");
        assert!(limiter.check(elsewhere).is_ok(), "another /64");
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(
            Client::from(mapped),
            Client::from(IpAddr::from([10, 0, 0, 1]))
        );
        assert_ne!(
            Client::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            Client::from(elsewhere)
        );
    }

    #[test]
    fn a_full_limiter_keeps_its_counts_and_shares_one_quota_among_newcomers() {
        let limiter = AddressLimiter::new(1, Duration::from_secs(3600), 3);
        let net = |i: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, i, 0, 0, 0, 0, 1));
        for i in 0..3 {
            assert!(limiter.check(net(i)).is_ok());
        }
        assert!(
            limiter.check(net(0)).is_err(),
            "a tracked network keeps its count"
        );
        assert!(
            limiter.check(net(100)).is_ok(),
            "the first newcomer takes the overflow"
        );
        assert!(limiter.check(net(101)).is_err(), "the next shares it");
        assert!(limiter.check(net(1)).is_err(), "no reset: still counted");
        assert!(limiter.len() <= 4, "the tracked networks and the overflow");
    }
}
