//! The limit on failed logins per client address: after 5 failures within
//! a minute, further attempts from that address are refused (429) until
//! the minute is over. Memory is bounded: at most `capacity` addresses are
//! remembered; when full, windows that have run out are dropped first,
//! then the oldest. Like the signing key this is in-memory state of one
//! gateway: behind a proxy, all clients share the proxy's address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window.
pub const FAILURES_MAX: u32 = 5;
/// The length of a window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most.
pub const CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Failed logins per address.
#[derive(Debug)]
pub struct LoginLimiter {
    failures_max: u32,
    window: Duration,
    capacity: usize,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(FAILURES_MAX, WINDOW, CAPACITY)
    }
}

impl LoginLimiter {
    pub fn new(failures_max: u32, window: Duration, capacity: usize) -> Self {
        Self {
            failures_max,
            window,
            capacity: capacity.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Window>> {
        // A panic while holding the lock leaves only counters behind.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(wait)` if `address` has used up its failures; `wait` is the
    /// time until it may try again.
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.lock().get(&address) {
            Some(window)
                if window.failures >= self.failures_max
                    && now.duration_since(window.started) < self.window =>
            {
                Err(self.window - now.duration_since(window.started))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed login from `address`.
    pub fn fail(&self, address: IpAddr, now: Instant) {
        let mut windows = self.lock();
        if !windows.contains_key(&address) && windows.len() >= self.capacity {
            self.make_room(&mut windows, now);
        }
        let window = windows.entry(address).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(window.started) >= self.window {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }

    /// Forgets `address` after a successful login.
    pub fn succeed(&self, address: IpAddr) {
        self.lock().remove(&address);
    }

    fn make_room(&self, windows: &mut HashMap<IpAddr, Window>, now: Instant) {
        windows.retain(|_, window| now.duration_since(window.started) < self.window);
        if windows.len() >= self.capacity
            && let Some(oldest) = windows
                .iter()
                .min_by_key(|(_, window)| window.started)
                .map(|(address, _)| *address)
        {
            windows.remove(&oldest);
        }
    }

    /// How many addresses are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    #[test]
    fn five_failures_block_the_address_for_the_rest_of_the_minute() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for _ in 0..FAILURES_MAX {
            assert!(limiter.check(ip(1), start).is_ok());
            limiter.fail(ip(1), start);
        }
        let wait = limiter.check(ip(1), start + Duration::from_secs(20));
        assert_eq!(wait, Err(Duration::from_secs(40)));
        assert!(
            limiter.check(ip(2), start).is_ok(),
            "others are not blocked"
        );
        assert!(
            limiter.check(ip(1), start + WINDOW).is_ok(),
            "a minute later"
        );
        limiter.fail(ip(1), start + WINDOW);
        assert!(limiter.check(ip(1), start + WINDOW).is_ok(), "a new window");
    }

    #[test]
    fn a_success_forgets_the_failures() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for _ in 0..4 {
            limiter.fail(ip(1), now);
        }
        limiter.succeed(ip(1));
        limiter.fail(ip(1), now);
        assert!(limiter.check(ip(1), now).is_ok());
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = LoginLimiter::new(5, WINDOW, 3);
        let start = Instant::now();
        for last in 0..3 {
            limiter.fail(ip(last), start + Duration::from_secs(u64::from(last)));
        }
        assert_eq!(limiter.len(), 3);
        limiter.fail(ip(9), start + Duration::from_secs(10));
        assert_eq!(limiter.len(), 3, "the oldest made room");
        assert!(limiter.lock().get(&ip(0)).is_none());
        limiter.fail(ip(8), start + WINDOW + Duration::from_secs(30));
        assert_eq!(limiter.len(), 1, "run-out windows are dropped first");
    }
}
