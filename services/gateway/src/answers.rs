//! Answers kept for anonymous reads of the API, so that the same view
//! asked again costs one small round trip instead of the projector's
//! reading, the answer's bytes over NATS twice, decoding and the JSON.
//!
//! A request is answered from here only when the projector confirms that
//! nothing changed: each query a kept answer was made from carries the
//! projector's stamp (the sequence its views had applied, its store, the
//! day it took as today, the answer's digest), and is asked again as a
//! conditional read
//! (`QueryKind::IfChanged`). All `Unchanged`: the kept response goes out
//! (under the newer stamps the projector gave, if the views moved without
//! changing the answer).
//! Anything else: the handler runs, and the answers the conditional reads
//! brought back are handed to it, so a changed view is still read once.
//! So a kept answer is never staler than a read of the projector at the
//! same moment, read-your-writes (`min_seq`) holds, and any number of
//! gateways may keep answers side by side.
//!
//! Kept are the bodies of `200` answers of `GET` requests without
//! credentials (`Authorization`, `Cookie`), of a known size up to
//! [`ENTRY_BYTES_MAX`], whose handler asked only the projector's views
//! (a ledger read or a command makes a request not kept), under their
//! path, query and `Accept` header; at most [`KEPT_BYTES_MAX`] (bodies,
//! keys and a share for each answer's bookkeeping) and
//! [`KEPT_ANSWERS_MAX`] answers in all, the oldest let go first.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use efa_proto::{AnswerStamp, Query, QueryKind, QueryReply, Rejection, subjects};

use crate::problem::ApiError;
use crate::state::AppState;

/// The most bytes the kept answers may take, as [`Shelf::size_of`]
/// counts them.
pub const KEPT_BYTES_MAX: usize = 32 * 1024 * 1024;
/// The largest body kept.
pub const ENTRY_BYTES_MAX: usize = 2 * 1024 * 1024;
/// The most answers kept.
pub const KEPT_ANSWERS_MAX: usize = 4096;
/// What an answer is counted to take besides its body and key.
const ENTRY_OVERHEAD_BYTES: usize = 1024;
/// What the kept answers take, as counted against `KEPT_BYTES_MAX`.
const KEPT_BYTES: &str = "efa_gateway_kept_answer_bytes";
/// Counts requests by how they were answered: `kept` (from here),
/// `changed` (a kept answer no longer held), `new` (none kept), `failed`
/// (the projector could not be asked whether one held), `passed` (not
/// one to keep: credentials, not a `GET`).
const ANSWERS: &str = "efa_gateway_kept_answers_total";

/// One query a kept answer was made from, with its stamp.
#[derive(Debug, Clone)]
struct Asked {
    query: Query,
    stamp: AnswerStamp,
}

/// A response as the handler made it.
#[derive(Debug)]
struct Kept {
    asked: Vec<Asked>,
    headers: HeaderMap,
    body: Bytes,
}

/// Which request a response answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    path_and_query: String,
    accept: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Shelf {
    /// Each answer with the number it was kept under.
    kept: HashMap<Key, (u64, Arc<Kept>)>,
    /// Keys with their numbers in the order they were kept, for letting
    /// the oldest go; a key kept again stays behind under its old number
    /// until it comes up or the list is tidied.
    order: VecDeque<(Key, u64)>,
    /// What the answers take, as [`Shelf::size_of`] counts it.
    bytes: usize,
    kept_so_far: u64,
}

impl Shelf {
    /// What an answer takes on the shelf: its body, its key and a share
    /// for its headers, stamps and bookkeeping, so that many small
    /// answers are bounded too.
    fn size_of(key: &Key, kept: &Kept) -> usize {
        kept.body.len()
            + key.path_and_query.len()
            + key.accept.as_ref().map_or(0, Vec::len)
            + ENTRY_OVERHEAD_BYTES
    }

    fn remove(&mut self, key: &Key) {
        if let Some((_, gone)) = self.kept.remove(key) {
            self.bytes -= Self::size_of(key, &gone);
        }
    }

    /// Lets the oldest answers go until the shelf is within its bounds.
    fn trim(&mut self) {
        while self.bytes > KEPT_BYTES_MAX || self.kept.len() > KEPT_ANSWERS_MAX {
            let Some((oldest, number)) = self.order.pop_front() else {
                break;
            };
            if self.kept.get(&oldest).is_some_and(|(n, _)| *n == number) {
                self.remove(&oldest);
            }
        }
        // Keys kept again leave entries behind; tidy when they are half.
        if self.order.len() > 2 * self.kept.len() + 64 {
            let kept = &self.kept;
            self.order
                .retain(|(key, number)| kept.get(key).is_some_and(|(n, _)| n == number));
        }
    }
}

/// The gateway's kept answers.
#[derive(Debug, Default)]
pub struct Answers {
    shelf: Mutex<Shelf>,
}

impl Answers {
    fn get(&self, key: &Key) -> Option<Arc<Kept>> {
        self.lock().kept.get(key).map(|(_, kept)| kept.clone())
    }

    fn keep(&self, key: Key, kept: Kept) {
        let mut shelf = self.lock();
        let shelf = &mut *shelf;
        shelf.remove(&key);
        shelf.kept_so_far += 1;
        let number = shelf.kept_so_far;
        shelf.bytes += Shelf::size_of(&key, &kept);
        shelf.kept.insert(key.clone(), (number, Arc::new(kept)));
        shelf.order.push_back((key, number));
        shelf.trim();
        metrics::gauge!(KEPT_BYTES).set(shelf.bytes as f64);
    }

    /// Keeps `kept` under newer stamps, unless it was replaced meanwhile.
    fn restamp(&self, key: &Key, kept: &Arc<Kept>, asked: Vec<Asked>) {
        let mut shelf = self.lock();
        if let Some((_, entry)) = shelf.kept.get_mut(key)
            && Arc::ptr_eq(entry, kept)
        {
            *entry = Arc::new(Kept {
                asked,
                headers: kept.headers.clone(),
                body: kept.body.clone(),
            });
        }
    }

    /// How many answers and bytes are kept.
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        let shelf = self.lock();
        (shelf.kept.len(), shelf.bytes)
    }

    /// How long the list of keys in order is.
    #[cfg(test)]
    fn order_len(&self) -> usize {
        self.lock().order.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shelf> {
        self.shelf.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What one request's handler asked, while it runs.
#[derive(Debug, Default)]
struct Reading {
    asked: Vec<Asked>,
    /// The handler sent something that is not a view's query.
    other: bool,
    /// Answers the conditional reads brought back, with their stamps,
    /// for the handler.
    ahead: Vec<(Asked, QueryReply)>,
}

tokio::task_local! {
    static READING: RefCell<Reading>;
}

/// Whether the request being handled may become a kept answer.
fn reading() -> bool {
    READING.try_with(|_| ()).is_ok()
}

/// Marks the request being handled as not to be kept: it asked something
/// besides the views (a ledger read, a command).
pub fn note_other_request() {
    let _ = READING.try_with(|reading| reading.borrow_mut().other = true);
}

/// Asks the projector `query` for a handler: from the answers its
/// request's conditional reads brought back if one is this query, else
/// as a conditional read whose stamp the request keeps. Outside a request
/// that may be kept, a plain query.
pub async fn ask(state: &AppState, query: Query) -> Result<QueryReply, ApiError> {
    if !reading() {
        return state.query(&query).await;
    }
    let ahead = READING
        .try_with(|reading| {
            let mut reading = reading.borrow_mut();
            let found = reading.ahead.iter().position(|(a, _)| a.query == query)?;
            let (asked, reply) = reading.ahead.swap_remove(found);
            reading.asked.push(asked);
            Some(reply)
        })
        .ok()
        .flatten();
    if let Some(reply) = ahead {
        return Ok(reply);
    }
    let reply: QueryReply = state
        .send(subjects::QUERY, &conditional(&query, None))
        .await?;
    Ok(match reply {
        QueryReply::Stamped { stamp, reply } => {
            let _ = READING.try_with(|reading| {
                reading.borrow_mut().asked.push(Asked { query, stamp });
            });
            *reply
        }
        // A projector of an earlier release does not know conditional
        // reads: asked plainly, its answer is not kept.
        QueryReply::Rejected(Rejection::Malformed { .. }) => {
            note_other_request();
            state.query(&query).await?
        }
        other => {
            note_other_request();
            other
        }
    })
}

/// The layer in front of the API's handlers.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(key) = key_of(&request) else {
        metrics::counter!(ANSWERS, "outcome" => "passed").increment(1);
        return next.run(request).await;
    };
    let mut reading = Reading::default();
    let outcome = match state.answers.get(&key) {
        Some(kept) => match still_holds(&state, &kept).await {
            Holds::Yes(asked) => {
                metrics::counter!(ANSWERS, "outcome" => "kept").increment(1);
                let response = response_of(&kept);
                if let Some(asked) = asked {
                    state.answers.restamp(&key, &kept, asked);
                }
                return response;
            }
            Holds::No(ahead) => {
                reading.ahead = ahead;
                "changed"
            }
            // The projector did not answer within the request's bound: so
            // says the answer now, instead of the handler waiting as long
            // again for the same silence.
            Holds::Unknown(error) => {
                metrics::counter!(ANSWERS, "outcome" => "failed").increment(1);
                return error.into_response();
            }
        },
        None => "new",
    };
    metrics::counter!(ANSWERS, "outcome" => outcome).increment(1);
    let reading = RefCell::new(reading);
    let (response, reading) = READING
        .scope(reading, async move {
            let response = next.run(request).await;
            (response, READING.with(|reading| reading.take()))
        })
        .await;
    if reading.other || reading.asked.is_empty() || response.status() != StatusCode::OK {
        return response;
    }
    let size = axum::body::HttpBody::size_hint(response.body()).exact();
    if size.is_none_or(|size| size > ENTRY_BYTES_MAX as u64) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, ENTRY_BYTES_MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    state.answers.keep(
        key,
        Kept {
            asked: reading.asked,
            headers: parts.headers.clone(),
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

/// The key of a request that may be kept: a `GET` without credentials.
fn key_of(request: &Request) -> Option<Key> {
    let headers = request.headers();
    if request.method() != Method::GET
        || headers.contains_key(AUTHORIZATION)
        || headers.contains_key(COOKIE)
    {
        return None;
    }
    Some(Key {
        path_and_query: request
            .uri()
            .path_and_query()
            .map_or_else(String::new, |p| p.as_str().to_owned()),
        accept: headers.get(ACCEPT).map(|value| value.as_bytes().to_vec()),
    })
}

enum Holds {
    /// Yes; with the stamps to keep it under from now on where the
    /// projector gave newer ones.
    Yes(Option<Vec<Asked>>),
    /// No longer: with the answers read meanwhile, for the handler.
    No(Vec<(Asked, QueryReply)>),
    /// Not known: asking the projector failed.
    Unknown(ApiError),
}

/// Asks again each query `kept` was made from, with its stamp.
async fn still_holds(state: &AppState, kept: &Kept) -> Holds {
    let mut ahead = Vec::new();
    let mut stamps = Vec::with_capacity(kept.asked.len());
    for asked in &kept.asked {
        let again = conditional(&asked.query, Some(asked.stamp));
        match state.send(subjects::QUERY, &again).await {
            Ok(QueryReply::Unchanged(stamp)) => stamps.push(stamp),
            Ok(QueryReply::Stamped { stamp, reply }) => {
                let query = asked.query.clone();
                ahead.push((Asked { query, stamp }, *reply));
            }
            // A refusal: the handler asks again and answers it as it
            // would without kept answers.
            Ok(_) => return Holds::No(Vec::new()),
            Err(error) => return Holds::Unknown(error),
        }
    }
    if !ahead.is_empty() {
        return Holds::No(ahead);
    }
    let moved = stamps
        .iter()
        .zip(&kept.asked)
        .any(|(now, before)| *now != before.stamp);
    let restamped = kept.asked.iter().zip(stamps).map(|(asked, stamp)| Asked {
        query: asked.query.clone(),
        stamp,
    });
    Holds::Yes(moved.then(|| restamped.collect()))
}

/// `query` as a conditional read, with the stamp of the answer kept.
fn conditional(query: &Query, known: Option<AnswerStamp>) -> Query {
    Query {
        min_seq: query.min_seq,
        kind: QueryKind::IfChanged {
            kind: Box::new(query.kind.clone()),
            known,
        },
    }
}

fn response_of(kept: &Kept) -> Response {
    let mut response = Response::new(Body::from(kept.body.clone()));
    *response.headers_mut() = kept.headers.clone();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: usize) -> Key {
        Key {
            path_and_query: format!("/api/v1/catalogue?page={n}"),
            accept: None,
        }
    }

    fn kept(bytes: usize) -> Kept {
        Kept {
            asked: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; bytes]),
        }
    }

    #[test]
    fn the_oldest_answers_go_when_the_shelf_is_full() {
        let answers = Answers::default();
        let entry = ENTRY_BYTES_MAX;
        let size = Shelf::size_of(&key(0), &kept(entry));
        let fit = KEPT_BYTES_MAX / size;
        for n in 0..fit + 3 {
            answers.keep(key(n), kept(entry));
            assert!(answers.size().1 <= KEPT_BYTES_MAX);
        }
        assert_eq!(answers.size().0, fit);
        for n in 0..3 {
            assert!(answers.get(&key(n)).is_none(), "the oldest, {n}, went");
        }
        assert!(answers.get(&key(fit + 2)).is_some());
    }

    #[test]
    fn many_small_answers_are_bounded_by_their_number() {
        let answers = Answers::default();
        for n in 0..KEPT_ANSWERS_MAX + 10 {
            answers.keep(key(n), kept(10));
        }
        assert_eq!(answers.size().0, KEPT_ANSWERS_MAX);
        assert!(answers.get(&key(9)).is_none());
        assert!(answers.get(&key(10)).is_some());
    }

    #[test]
    fn an_answer_kept_again_replaces_the_old_one() {
        let answers = Answers::default();
        answers.keep(key(1), kept(100));
        answers.keep(key(2), kept(10));
        answers.keep(key(1), kept(50));
        let sizes = Shelf::size_of(&key(1), &kept(50)) + Shelf::size_of(&key(2), &kept(10));
        assert_eq!(answers.size(), (2, sizes));
        let again = answers.get(&key(1)).unwrap();
        assert_eq!(again.body.len(), 50);
        // Kept again and again, the list of keys in order stays short.
        for _ in 0..1000 {
            answers.keep(key(1), kept(50));
        }
        assert!(answers.order_len() <= 2 * 2 + 64 + 1);
        // The first to go is the one kept longest ago (2), not the one
        // first kept under its key (1).
        for n in 3..KEPT_ANSWERS_MAX + 2 {
            answers.keep(key(n), kept(10));
        }
        assert_eq!(answers.size().0, KEPT_ANSWERS_MAX);
        assert!(answers.get(&key(2)).is_none());
        assert!(answers.get(&key(1)).is_some());
    }
}
