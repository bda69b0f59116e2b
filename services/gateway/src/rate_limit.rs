//! The rate limit on the API: at most `limit` requests per client address
//! in each window (fixed windows), beyond that a 429 problem with
//! `Retry-After`. It protects the ledger and the projectors from one
//! caller's flood; it is generous, so that people, scripts and the
//! project's own tests never meet it in normal use. Memory is bounded: at
//! most `capacity` addresses are counted; when full, run-out windows are
//! dropped first, then everything (a reset, never an error). Behind a
//! proxy all clients share the proxy's address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::ApiError;

/// Requests per address and window by default: 600 a second on average.
pub const REQUESTS_PER_WINDOW: u32 = 6_000;
pub const WINDOW: Duration = Duration::from_secs(10);
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct RequestLimiter {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Default for RequestLimiter {
    fn default() -> Self {
        Self::new(REQUESTS_PER_WINDOW, WINDOW)
    }
}

impl RequestLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; `Err(wait)` when the address is over its limit.
    pub fn admit(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        // A panic while holding the lock leaves only counters behind.
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() >= CAPACITY && !counts.contains_key(&address) {
            let window = self.window;
            counts.retain(|_, (started, _)| now.duration_since(*started) < window);
            if counts.len() >= CAPACITY {
                counts.clear();
            }
        }
        let entry = counts.entry(address).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Middleware for the API routes. Requests without a known peer address
/// (in-process tests without connect info) are not counted.
pub async fn limit(
    State(limiter): State<Arc<RequestLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(address) = address
        && let Err(wait) = limiter.admit(address, Instant::now())
    {
        return ApiError::TooManyRequests(wait.as_secs().max(1)).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_limit_waits_for_the_next_window() {
        let limiter = RequestLimiter::new(3, Duration::from_secs(10));
        let me: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.admit(me, start).is_ok());
        }
        let wait = limiter
            .admit(me, start + Duration::from_secs(4))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        assert!(
            limiter.admit(other, start).is_ok(),
            "addresses are counted apart"
        );
        assert!(
            limiter.admit(me, start + Duration::from_secs(10)).is_ok(),
            "a new window starts"
        );
    }
}
