//! Requests that ride through a failover. While a service changes hands
//! (a ledger killed and restarted, another ledger taking over, a projector
//! replica gone), a request meets nobody subscribed (`NoResponders`), or
//! went to the process that died and gets no answer at all. Instead of
//! waiting out the caller's whole timeout and failing, [`request`] sends
//! the very same bytes again until the caller's deadline: after a short
//! growing pause when nobody listens or the connection is away, at once
//! when one attempt timed out. Resending is safe because the bytes are
//! identical: the ledger answers a command id it knows with its stored
//! reply (and tells a reuse with other bytes apart), and queries change
//! nothing. An answer is never retried, not even a typed rejection in it.
//!
//! The timeout of one attempt: the first is a quarter of the caller's
//! total, at least [`ATTEMPT_TIMEOUT_MIN`] and at most
//! [`ATTEMPT_TIMEOUT_MAX`] (never more than the total), and every attempt
//! after a timed-out one gets twice as long (always within the deadline).
//! A dead responder costs a caller at most the first attempt's time, while
//! an answer that is merely slow (a fsync stall under load, a query that
//! waits for its `min_seq`) is cut at most once or twice and then gets the
//! time it needs; the doubling also bounds how many copies an overloaded
//! service is sent (about log2 of total over first attempt). The service
//! learns each attempt's own timeout in the header `Efa-Timeout-Ms`, so it
//! stops working for an attempt its caller no longer waits for.

use std::time::Duration;

use efa_proto::codec::encode;
use serde::{Serialize, de::DeserializeOwned};
use tokio::time::Instant;

use crate::rpc::{RpcError, send_encoded};

/// Counts the attempts after the first, by subject.
pub const RETRIES: &str = "efa_rpc_retries_total";

/// The longest first attempt. An answer of the ledger or a projector takes
/// milliseconds (the benchmark's p99 is 16 ms at 1,000 requests/s), some
/// hundred under heavy load or an fsync stall; two seconds is far beyond a
/// normal answer and still a short delay for a caller whose request went
/// to a process that died.
pub const ATTEMPT_TIMEOUT_MAX: Duration = Duration::from_secs(2);
/// The shortest first attempt (unless the caller's total is shorter):
/// below this, a slow but healthy answer under load could be cut.
pub const ATTEMPT_TIMEOUT_MIN: Duration = Duration::from_secs(1);
/// The first pause when nobody listens or the connection is away.
pub const PAUSE_FIRST: Duration = Duration::from_millis(20);
/// The longest pause: a restarted ledger subscribes within 0.1-0.2 s, so a
/// caller should not sleep much longer than that.
pub const PAUSE_MAX: Duration = Duration::from_millis(500);
/// Less time left than this is not worth another attempt.
const ATTEMPT_LEFT_MIN: Duration = Duration::from_millis(5);

/// Sends `request` on `subject` and waits for its answer at most `total`,
/// sending the same bytes again when nobody listens, the connection is
/// away or one attempt timed out. The error is that of the last attempt
/// (a timeout names the whole `total`).
pub async fn request<Req, Rep>(
    client: &async_nats::Client,
    subject: &str,
    request: &Req,
    total: Duration,
) -> Result<Rep, RpcError>
where
    Req: Serialize,
    Rep: DeserializeOwned,
{
    let payload = bytes::Bytes::from(encode(request));
    let mut schedule = Schedule::new(total, Instant::now());
    let mut attempt: u32 = 1;
    loop {
        let Some(timeout) = schedule.timeout(Instant::now()) else {
            return Err(RpcError::TimedOut {
                subject: subject.to_owned(),
                timeout_ms: millis(total),
            });
        };
        let error = match send_encoded(client, subject, payload.clone(), timeout).await {
            Ok(answer) => return Ok(answer),
            Err(error) => error,
        };
        let Some(pause) = schedule.after(&error, Instant::now()) else {
            return Err(match error {
                RpcError::TimedOut { subject, .. } => RpcError::TimedOut {
                    subject,
                    timeout_ms: millis(total),
                },
                other => other,
            });
        };
        attempt += 1;
        tracing::debug!(
            subject,
            attempt,
            %error,
            pause_ms = millis(pause),
            "sending the request again"
        );
        metrics::counter!(RETRIES, "subject" => subject.to_owned()).increment(1);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}

/// Registers the retry counter's description with the metrics recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(
        RETRIES,
        "NATS requests sent again (nobody listening, connection away, attempt timed out), by subject."
    );
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// When the attempts of one request run and how long each may take.
#[derive(Debug, Clone)]
struct Schedule {
    deadline: Instant,
    attempt_timeout: Duration,
    pause: Duration,
}

impl Schedule {
    fn new(total: Duration, now: Instant) -> Self {
        let first = (total / 4)
            .clamp(ATTEMPT_TIMEOUT_MIN, ATTEMPT_TIMEOUT_MAX)
            .min(total);
        Self {
            deadline: now + total,
            attempt_timeout: first,
            pause: PAUSE_FIRST,
        }
    }

    /// The timeout of the next attempt; `None` once the deadline is near.
    fn timeout(&self, now: Instant) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(now);
        (left >= ATTEMPT_LEFT_MIN).then(|| self.attempt_timeout.min(left))
    }

    /// After an attempt failed with `error`: the pause before the next
    /// attempt, or `None` when there is none (an undecodable answer, or no
    /// time left).
    fn after(&mut self, error: &RpcError, now: Instant) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(now);
        if left < ATTEMPT_LEFT_MIN {
            return None;
        }
        match error {
            RpcError::Decode { .. } => None,
            RpcError::TimedOut { .. } => {
                self.attempt_timeout = self.attempt_timeout.saturating_mul(2);
                Some(Duration::ZERO)
            }
            RpcError::NoResponders { .. } | RpcError::Transport { .. } => {
                let pause = self.pause.min(left - ATTEMPT_LEFT_MIN);
                self.pause = self.pause.saturating_mul(2).min(PAUSE_MAX);
                Some(pause)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody() -> RpcError {
        RpcError::NoResponders {
            subject: "efa.cmd".to_owned(),
        }
    }

    fn timed_out() -> RpcError {
        RpcError::TimedOut {
            subject: "efa.cmd".to_owned(),
            timeout_ms: 1,
        }
    }

    #[test]
    fn the_first_attempt_is_a_quarter_of_the_total_within_bounds() {
        let now = Instant::now();
        let first = |total: u64| Schedule::new(Duration::from_millis(total), now).timeout(now);
        let ms = Duration::from_millis;
        assert_eq!(first(10_000), Some(ms(2_000)));
        assert_eq!(first(6_000), Some(ms(1_500)));
        assert_eq!(first(2_000), Some(ms(1_000)));
        assert_eq!(first(500), Some(ms(500)), "never more than the total");
        assert_eq!(first(60_000), Some(ms(2_000)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_out_attempt_is_followed_at_once_by_a_longer_one_within_the_deadline() {
        let start = Instant::now();
        let mut schedule = Schedule::new(Duration::from_secs(10), start);
        let ms = Duration::from_millis;
        let at = |t: u64| start + ms(t);
        assert_eq!(
            schedule.after(&timed_out(), at(2_000)),
            Some(Duration::ZERO)
        );
        assert_eq!(schedule.timeout(at(2_000)), Some(ms(4_000)));
        assert_eq!(
            schedule.after(&timed_out(), at(6_000)),
            Some(Duration::ZERO)
        );
        assert_eq!(schedule.timeout(at(6_000)), Some(ms(4_000)), "the rest");
        assert_eq!(schedule.after(&timed_out(), at(10_000)), None);
        assert_eq!(schedule.timeout(at(10_000)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn pauses_grow_from_20_ms_to_at_most_500_ms() {
        let start = Instant::now();
        let mut schedule = Schedule::new(Duration::from_secs(10), start);
        let pauses: Vec<u64> = (0..8)
            .map(|_| {
                schedule
                    .after(&nobody(), start)
                    .map(|p| p.as_millis() as u64)
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(pauses, [20, 40, 80, 160, 320, 500, 500, 500]);
        let near_end = start + Duration::from_millis(9_900);
        let last = schedule.after(&nobody(), near_end).unwrap();
        assert!(last < Duration::from_millis(100), "{last:?}");
    }

    #[test]
    fn an_undecodable_answer_is_not_asked_again() {
        let now = Instant::now();
        let mut schedule = Schedule::new(Duration::from_secs(10), now);
        let garbled = RpcError::Decode {
            subject: "efa.q.views".to_owned(),
            source: efa_proto::decode::<u64>(&[]).unwrap_err(),
        };
        assert_eq!(schedule.after(&garbled, now), None);
    }
}
