//! Answers the gateway keeps for anonymous reads: given again only while
//! the projector confirms them (`Unchanged` to a conditional read), read
//! once when they changed, and neither kept nor given for requests with
//! credentials, refusals, or another format.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use efa_proto::{AnswerStamp, Query, QueryKind, QueryReply, Rejection, subjects};
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::Harness;
use crate::samples;

/// A stand-in projector that plays conditional reads as the projector
/// does: its views stand at `applied`, an answer's stamp is that
/// sequence, and a stamp that still holds is answered `Unchanged`.
#[derive(Clone, Default)]
struct Views {
    applied: Arc<AtomicU64>,
    /// Every query it got, as it came.
    seen: Arc<Mutex<Vec<Query>>>,
    /// How many answers it read (not `Unchanged`).
    read: Arc<AtomicU64>,
}

impl Views {
    async fn serve(&self, harness: &Harness) {
        let views = self.clone();
        harness
            .respond(subjects::QUERY, move |query: Query| views.answer(query))
            .await;
    }

    fn answer(&self, query: Query) -> QueryReply {
        self.seen.lock().unwrap().push(query.clone());
        let applied = self.applied.load(Ordering::SeqCst);
        let (kind, known) = match query.kind {
            QueryKind::IfChanged { kind, known } => (*kind, Some(known)),
            kind => (kind, None),
        };
        let stamp = AnswerStamp {
            applied_seq: applied,
            store_version: 1,
            layout: 1,
            today: samples::date("2026-03-02"),
        };
        if known == Some(Some(stamp)) {
            return QueryReply::Unchanged;
        }
        self.read.fetch_add(1, Ordering::SeqCst);
        let reply = match kind {
            QueryKind::Catalogue2 { .. } => {
                let mut page = samples::catalogue_page();
                page.services[0].service.title = format!("Stand {applied}");
                page.as_of_seq = applied;
                QueryReply::Catalogue2(page)
            }
            QueryKind::Funnel { .. } => QueryReply::Rejected(Rejection::NotFound {
                what: "Leistung".into(),
            }),
            other => panic!("this test asks no {other:?}"),
        };
        match (known, &reply) {
            (None, _) | (_, QueryReply::Rejected(_)) => reply,
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
    views.serve(&harness).await;
    let url = harness.url("/api/v1/catalogue?limit=10");

    let first = harness.http.get(&url).send().await.unwrap();
    let headers = first.headers().clone();
    assert_eq!(title(first).await, "Stand 7");
    let seen = views.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(conditional(&seen[0]), Some(None), "asked with no stamp");

    for _ in 0..3 {
        let again = harness.http.get(&url).send().await.unwrap();
        assert_eq!(again.headers()["content-type"], headers["content-type"]);
        assert_eq!(title(again).await, "Stand 7");
    }
    let seen = views.seen();
    assert_eq!(seen.len(), 3, "one conditional read per request");
    assert!(
        seen.iter()
            .all(|query| conditional(query) == Some(Some(stamp(7))))
    );
    assert_eq!(views.read.load(Ordering::SeqCst), 1, "read once");

    // A write moves the views: the next request reads the new answer,
    // once, and it is kept in turn.
    views.applied.store(8, Ordering::SeqCst);
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 8"
    );
    assert_eq!(
        views.read.load(Ordering::SeqCst),
        2,
        "the changed view read once"
    );
    assert_eq!(views.seen().len(), 1);
    assert_eq!(
        title(harness.http.get(&url).send().await.unwrap()).await,
        "Stand 8"
    );
    assert_eq!(views.read.load(Ordering::SeqCst), 2);
}

fn stamp(applied_seq: u64) -> AnswerStamp {
    AnswerStamp {
        applied_seq,
        store_version: 1,
        layout: 1,
        today: samples::date("2026-03-02"),
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
