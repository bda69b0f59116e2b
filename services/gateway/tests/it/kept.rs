//! Answers the gateway keeps for anonymous reads: given again only while
//! the projector confirms them (`Unchanged` to a conditional read), read
//! once when they changed, and neither kept nor given for requests with
//! credentials, refusals, or another format.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use efa_proto::{AnswerStamp, Query, QueryKind, QueryReply, Rejection, subjects};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{Harness, problem};
use crate::samples;

/// A stand-in projector that plays conditional reads as the projector
/// does: its views stand at `applied`, the catalogue's title says
/// `content`, an answer's stamp is that sequence with the content as its
/// digest, and a stamp is answered `Unchanged` while the views stand
/// where it says or the content is the same.
#[derive(Clone, Default)]
struct Views {
    applied: Arc<AtomicU64>,
    content: Arc<AtomicU64>,
    /// Takes queries in, answers none.
    silent: Arc<AtomicBool>,
    /// Every query it got, as it came.
    seen: Arc<Mutex<Vec<Query>>>,
    /// How many answers it read.
    read: Arc<AtomicU64>,
}

impl Views {
    async fn serve(&self, harness: &Harness) {
        let mut queries = harness.client.subscribe(subjects::QUERY).await.unwrap();
        let (views, client) = (self.clone(), harness.client.clone());
        tokio::spawn(async move {
            while let Some(message) = queries.next().await {
                let query: Query = efa_proto::decode(&message.payload).unwrap();
                let answer = views.answer(query);
                if views.silent.load(Ordering::SeqCst) {
                    continue;
                }
                let reply = message.reply.unwrap();
                client
                    .publish(reply, efa_proto::encode(&answer).into())
                    .await
                    .unwrap();
            }
        });
        harness.client.flush().await.unwrap();
    }

    /// The stamp of the views now, with no digest.
    fn now(&self) -> AnswerStamp {
        stamp(self.applied.load(Ordering::SeqCst), 0)
    }

    fn answer(&self, query: Query) -> QueryReply {
        self.seen.lock().unwrap().push(query.clone());
        let (kind, known) = match query.kind {
            QueryKind::IfChanged { kind, known } => (*kind, Some(known)),
            kind => (kind, None),
        };
        let now = self.now();
        if let Some(Some(known)) = known
            && known.same_views(&now)
        {
            return QueryReply::Unchanged(known);
        }
        self.read.fetch_add(1, Ordering::SeqCst);
        let content = self.content.load(Ordering::SeqCst);
        let reply = match kind {
            QueryKind::Catalogue2 { .. } => {
                let mut page = samples::catalogue_page();
                page.services[0].service.title = format!("Stand {content}");
                QueryReply::Catalogue2(page)
            }
            QueryKind::Funnel { .. } => QueryReply::Rejected(Rejection::NotFound {
                what: "Leistung".into(),
            }),
            other => panic!("this test asks no {other:?}"),
        };
        let stamp = stamp(now.applied_seq, content);
        match (known, &reply) {
            (None, _) | (_, QueryReply::Rejected(_)) => reply,
            (Some(Some(known)), _) if known.digest == stamp.digest => QueryReply::Unchanged(stamp),
            (Some(_), _) => QueryReply::Stamped {
                stamp,
                reply: Box::new(reply),
            },
        }
    }

    fn seen(&self) -> Vec<Query> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn conditional(query: &Query) -> Option<Option<AnswerStamp>> {
    match &query.kind {
        QueryKind::IfChanged { known, .. } => Some(*known),
        _ => None,
    }
}

async fn title(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["services"][0]["title"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_kept_answer_is_given_while_the_projector_confirms_it() {
    let harness = Harness::start().await;
    let views = Views::default();
    views.applied.store(7, Ordering::SeqCst);
    views.content.store(1, Ordering::SeqCst);
    views.serve(&harness).await;
    let url = harness.url("/api/v1/catalogue?limit=10");
    let read = || views.read.load(Ordering::SeqCst);

    let first = harness.http.get(&url).send().await.unwrap();
    let headers = first.headers().clone();
    assert_eq!(title(first).await, "Stand 1");
    let seen = views.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(conditional(&seen[0]), Some(None), "asked with no stamp");

    for _ in 0..3 {
        let again = harness.http.get(&url).send().await.unwrap();
        assert_eq!(again.headers()["content-type"], headers["content-type"]);
        assert_eq!(title(again).await, "Stand 1");
    }
    let seen = views.seen();
    assert_eq!(seen.len(), 3, "one conditional read per request");
    assert!(
        seen.iter()
            .all(|query| conditional(query) == Some(Some(stamp(7, 1))))
    );
    assert_eq!(read(), 1, "read once");

    // The views move without changing the answer: read once more, found
    // the same, given from the gateway and kept under the newer stamp.
    views.applied.store(8, Ordering::SeqCst);
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 1"
    );
    assert_eq!(read(), 2);
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 1"
    );
    assert_eq!(read(), 2, "confirmed under the newer stamp");
    let seen = views.seen();
    assert_eq!(conditional(&seen[1]), Some(Some(stamp(8, 1))));

    // A write changes the answer: the next request reads the new one,
    // once, and it is kept in turn.
    views.applied.store(9, Ordering::SeqCst);
    views.content.store(2, Ordering::SeqCst);
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 2"
    );
    assert_eq!(read(), 3, "the changed view read once");
    assert_eq!(views.seen().len(), 1);
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 2"
    );
    assert_eq!(read(), 3);
}

/// A stamp of views at `applied_seq` whose answer says `content`.
fn stamp(applied_seq: u64, content: u64) -> AnswerStamp {
    let mut digest = [0; 32];
    digest[..8].copy_from_slice(&content.to_be_bytes());
    AnswerStamp {
        applied_seq,
        store_version: 1,
        layout: 1,
        today: samples::date("2026-03-02"),
        digest,
    }
}

#[tokio::test]
async fn reads_with_credentials_refusals_and_other_formats_are_not_kept() {
    let harness = Harness::start().await;
    let views = Views::default();
    views.serve(&harness).await;
    let url = harness.url("/api/v1/catalogue?limit=10");

    // With a token: plain queries, nothing kept or given.
    for _ in 0..2 {
        let response = harness
            .http
            .get(&url)
            .bearer_auth(&harness.token)
            .send()
            .await
            .unwrap();
        assert_eq!(title(response).await, "Stand 0");
    }
    let seen = views.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|query| conditional(query).is_none()));

    // JSON kept; CSV of the same path is another answer.
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 0"
    );
    let csv = harness
        .http
        .get(&url)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.text().await.unwrap().contains("Stand 0"));
    let seen = views.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|query| conditional(query) == Some(None)));

    // A refusal is not kept: each request reaches the projector and is
    // refused again.
    let funnel = harness.url(&format!("/api/v1/services/{}/funnel", samples::id()));
    for _ in 0..2 {
        let response = harness.http.get(&funnel).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let seen = views.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|query| conditional(query) == Some(None)));
}

#[tokio::test]
async fn a_projector_gone_silent_is_waited_for_once() {
    let harness = Harness::start().await;
    let views = Views::default();
    views.serve(&harness).await;
    let url = harness.url("/api/v1/catalogue?limit=10");
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 0"
    );
    views.seen();

    views.silent.store(true, Ordering::SeqCst);
    let response = harness.http.get(&url).send().await.unwrap();
    problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service-unavailable",
    )
    .await;
    let seen = views.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|query| conditional(query) == Some(Some(stamp(0, 0)))),
        "only the kept answer's conditional read, no second wait in the handler: {seen:?}"
    );
}

/// A projector of an earlier release knows no conditional reads and
/// refuses them as malformed: the gateway asks it plainly and keeps
/// nothing.
#[tokio::test]
async fn a_projector_without_conditional_reads_is_asked_plainly() {
    let harness = Harness::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let noted = seen.clone();
    harness
        .respond(subjects::QUERY, move |query: Query| {
            noted.lock().unwrap().push(query.clone());
            match query.kind {
                QueryKind::IfChanged { .. } => QueryReply::Rejected(Rejection::Malformed {
                    reason: "unbekannte Variante".into(),
                }),
                QueryKind::Catalogue2 { .. } => QueryReply::Catalogue2(samples::catalogue_page()),
                other => panic!("this test asks no {other:?}"),
            }
        })
        .await;
    let url = harness.url("/api/v1/catalogue?limit=10");
    let expected = samples::catalogue_page().services[0].service.title.clone();
    for _ in 0..2 {
        assert_eq!(
            title(harness.http.get(&url).send().await.unwrap()).await,
            expected
        );
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let kinds: Vec<Option<Option<AnswerStamp>>> = seen.iter().map(conditional).collect();
    assert_eq!(
        kinds,
        [Some(None), None, Some(None), None],
        "tried, then plainly, each time"
    );
}
