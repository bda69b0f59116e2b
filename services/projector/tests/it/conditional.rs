//! Conditional reads (`IfChanged`): an answer goes out with the stamp it
//! was made from, and the same query with that stamp is answered
//! `Unchanged` until an event is applied, the day changes or the store
//! is another.

use efa_proto::{AnswerStamp, QueryKind, QueryReply, Rejection};
use efa_testkit::TestNats;

use super::WAIT;
use crate::support::{FakeLedger, Running, connect, event_stream, ids, publish, query};

fn if_changed(known: Option<AnswerStamp>) -> QueryKind {
    QueryKind::IfChanged {
        kind: Box::new(QueryKind::Catalogue),
        known,
    }
}

/// The stamp and the catalogue of a `Stamped` answer.
fn stamped(reply: QueryReply) -> (AnswerStamp, efa_proto::CatalogueView) {
    match reply {
        QueryReply::Stamped { stamp, reply } => match *reply {
            QueryReply::Catalogue(view) => (stamp, view),
            other => panic!("expected the catalogue inside, got {other:?}"),
        },
        other => panic!("expected a stamped answer, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_unchanged_until_an_event_is_applied() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    for service in ["wohngeld-antrag", "kfz-zulassung"] {
        publish(&js, &ledger.announce(service)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let projector = Running::start(&client, dir.path(), WAIT).await;

    let (stamp, view) = stamped(query(&client, 2, if_changed(None)).await);
    assert_eq!(stamp.applied_seq, 2);
    assert_eq!(ids(&view), ["kfz-zulassung", "wohngeld-antrag"]);
    for _ in 0..3 {
        assert_eq!(
            query(&client, 2, if_changed(Some(stamp))).await,
            QueryReply::Unchanged
        );
    }

    // Another day, store version or layout is another answer.
    let yesterday = efa_proto::Date::try_from(stamp.today.days_since_epoch() - 1).unwrap();
    for other in [
        AnswerStamp {
            today: yesterday,
            ..stamp
        },
        AnswerStamp {
            store_version: stamp.store_version + 1,
            ..stamp
        },
        AnswerStamp {
            layout: stamp.layout + 1,
            ..stamp
        },
    ] {
        let (again, view) = stamped(query(&client, 2, if_changed(Some(other))).await);
        assert_eq!(again, stamp);
        assert_eq!(view.services.len(), 2);
    }

    publish(&js, &ledger.announce("digitale-baugenehmigung")).await;
    let (newer, view) = stamped(query(&client, 3, if_changed(Some(stamp))).await);
    assert_eq!(newer.applied_seq, 3);
    assert_eq!(
        ids(&view),
        [
            "digitale-baugenehmigung",
            "kfz-zulassung",
            "wohngeld-antrag"
        ]
    );
    let QueryReply::Catalogue(plain) = query(&client, 3, QueryKind::Catalogue).await else {
        panic!("expected the catalogue");
    };
    assert_eq!(view, plain, "the stamped answer is the plain one");
    assert_eq!(
        query(&client, 3, if_changed(Some(newer))).await,
        QueryReply::Unchanged
    );
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_go_out_without_a_stamp() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let projector = Running::start(&client, dir.path(), WAIT).await;

    let nested = QueryKind::IfChanged {
        kind: Box::new(if_changed(None)),
        known: None,
    };
    match query(&client, 0, nested).await {
        QueryReply::Rejected(Rejection::Invalid { field, .. }) => assert_eq!(field, "kind"),
        other => panic!("expected a refusal of the nested read, got {other:?}"),
    }
    // An unknown Kreis is refused; conditionally too, and without a stamp.
    let unknown_kreis = QueryKind::Rollout3 {
        scope: efa_proto::views::RolloutScope {
            land: efa_proto::LandCode::new(16).unwrap(),
            kreis: Some(efa_proto::KreisKey::parse("16099").unwrap()),
            service: None,
            as_of: None,
        },
        page: efa_proto::pages::Page {
            offset: 0,
            limit: 10,
        },
    };
    let plain = query(&client, 0, unknown_kreis.clone()).await;
    assert!(matches!(plain, QueryReply::Rejected(_)), "{plain:?}");
    let conditional = QueryKind::IfChanged {
        kind: Box::new(unknown_kreis),
        known: None,
    };
    assert_eq!(query(&client, 0, conditional).await, plain);
    projector.stop().await.unwrap();
}
