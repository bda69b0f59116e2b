//! Conditional reads (`IfChanged`): an answer goes out with the stamp it
//! was made from, and the same query with that stamp is answered
//! `Unchanged` while the answer is the same: without reading while no
//! event was applied, and after events that did not change it.

use efa_proto::{AnswerStamp, QueryKind, QueryReply, Rejection, ServiceId};
use efa_testkit::TestNats;

use super::WAIT;
use crate::support::{FakeLedger, Running, connect, event_stream, ids, publish, query};

fn if_changed(kind: QueryKind, known: Option<AnswerStamp>) -> QueryKind {
    QueryKind::IfChanged {
        kind: Box::new(kind),
        known,
    }
}

fn catalogue(known: Option<AnswerStamp>) -> QueryKind {
    if_changed(QueryKind::Catalogue, known)
}

/// The stamp and the answer of a `Stamped` answer.
fn stamped(reply: QueryReply) -> (AnswerStamp, QueryReply) {
    match reply {
        QueryReply::Stamped { stamp, reply } => (stamp, *reply),
        other => panic!("expected a stamped answer, got {other:?}"),
    }
}

fn catalogue_of(reply: QueryReply) -> efa_proto::CatalogueView {
    match reply {
        QueryReply::Catalogue(view) => view,
        other => panic!("expected the catalogue, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_unchanged_while_the_views_give_it_again() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    for service in ["wohngeld-antrag", "kfz-zulassung"] {
        publish(&js, &ledger.announce(service)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let projector = Running::start(&client, dir.path(), WAIT).await;

    let (stamp, answer) = stamped(query(&client, 2, catalogue(None)).await);
    assert_eq!(stamp.applied_seq, 2);
    let view = catalogue_of(answer.clone());
    assert_eq!(ids(&view), ["kfz-zulassung", "wohngeld-antrag"]);
    let digest: [u8; 32] =
        <sha2::Sha256 as sha2::Digest>::digest(efa_proto::encode(&answer)).into();
    assert_eq!(stamp.digest, digest, "the digest of the encoded answer");
    for _ in 0..3 {
        assert_eq!(
            query(&client, 2, catalogue(Some(stamp))).await,
            QueryReply::Unchanged(stamp)
        );
    }

    // Another day, store version or layout makes the answer be read again;
    // the same digest still says it is the same.
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
        assert_eq!(
            query(&client, 2, catalogue(Some(other))).await,
            QueryReply::Unchanged(stamp)
        );
        let forgotten = AnswerStamp {
            digest: [0; 32],
            ..other
        };
        let (again, answer) = stamped(query(&client, 2, catalogue(Some(forgotten))).await);
        assert_eq!((again, catalogue_of(answer)), (stamp, view.clone()));
    }

    // An event that changes the answer: read and stamped anew.
    let kfz = ServiceId::parse("kfz-zulassung").unwrap();
    let (service_stamp, _) = stamped(
        query(
            &client,
            2,
            if_changed(QueryKind::Service(kfz.clone()), None),
        )
        .await,
    );
    publish(&js, &ledger.announce("digitale-baugenehmigung")).await;
    let (newer, answer) = stamped(query(&client, 3, catalogue(Some(stamp))).await);
    assert_eq!(newer.applied_seq, 3);
    let view = catalogue_of(answer);
    assert_eq!(
        ids(&view),
        [
            "digitale-baugenehmigung",
            "kfz-zulassung",
            "wohngeld-antrag"
        ]
    );
    let plain = catalogue_of(query(&client, 3, QueryKind::Catalogue).await);
    assert_eq!(view, plain, "the stamped answer is the plain one");
    assert_eq!(
        query(&client, 3, catalogue(Some(newer))).await,
        QueryReply::Unchanged(newer)
    );

    // The same event left one service's answer as it was: unchanged, with
    // the stamp of the views now.
    let QueryReply::Unchanged(moved) = query(
        &client,
        3,
        if_changed(QueryKind::Service(kfz), Some(service_stamp)),
    )
    .await
    else {
        panic!("the service's answer did not change");
    };
    assert_eq!(
        moved,
        AnswerStamp {
            applied_seq: 3,
            ..service_stamp
        }
    );
    projector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_go_out_without_a_stamp() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let projector = Running::start(&client, dir.path(), WAIT).await;

    let nested = if_changed(catalogue(None), None);
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
    assert_eq!(
        query(&client, 0, if_changed(unknown_kreis, None)).await,
        plain
    );
    projector.stop().await.unwrap();
}
