//! The rollout of a service in Thüringen: Kreise, municipalities, steps
//! with effective dates and a go-live reported late; the rollout monitor,
//! stalled adoptions, the funnel and the history, in the past and today.

use efa_proto::pages::Page;
use efa_proto::views::{
    CatalogueFilter, FunnelView, HistorySubject, MunicipalityRolloutV1, RolloutScope, RolloutView,
    StalledRolloutV1, StalledView, rows_v1,
};
use efa_proto::{
    Actor, AdoptionStage, Ags, Date, Event, KreisKey, LandCode, Population, QueryKind, QueryReply,
    SealedEvent, ServiceId,
};
use efa_testkit::TestNats;

use crate::WAIT;
use crate::support::{FakeLedger, Running, connect, event_stream, publish_all, query};

const ERFURT: &str = "16051000";
const WEIMAR: &str = "16055000";
const APOLDA: &str = "16071001";
const BAD_BERKA: &str = "16071004";

fn thueringen() -> LandCode {
    LandCode::new(16).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn ags(text: &str) -> Ags {
    Ags::parse(text).unwrap()
}

fn service() -> ServiceId {
    ServiceId::parse("kita-anmeldung").unwrap()
}

fn step(code: &str, stage: AdoptionStage) -> Event {
    let (service, ags, note) = (service(), ags(code), String::new());
    match stage {
        AdoptionStage::Requested => Event::AdoptionRequested {
            service,
            ags,
            adoption_no: 1,
            note,
        },
        stage => Event::AdoptionStepRecorded {
            service,
            ags,
            adoption_no: 1,
            stage,
            note,
        },
    }
}

/// Reference data, then the adoptions in the order the ledger recorded
/// them: Erfurt's go-live took effect on 2023-06-01 but was reported on
/// 2023-06-20, after Weimar's request of 2023-06-10.
fn scenario(ledger: &FakeLedger) -> Vec<SealedEvent> {
    let mut events = vec![ledger.record(
        "2022-01-01",
        0,
        Actor::Land(thueringen()),
        crate::support::announcement_event("kita-anmeldung", thueringen()),
    )];
    for (key, name) in [
        ("16051", "Erfurt"),
        ("16055", "Weimar"),
        ("16071", "Weimarer Land"),
    ] {
        let event = Event::KreisRegistered {
            key: KreisKey::parse(key).unwrap(),
            name: name.to_owned(),
            population: None,
        };
        events.push(ledger.record("2020-01-01", 0, Actor::Admin, event));
    }
    let gemeinden = [
        (ERFURT, "Erfurt", 213_692),
        (WEIMAR, "Weimar", 65_138),
        (APOLDA, "Apolda", 21_900),
        (BAD_BERKA, "Bad Berka", 7_500),
    ];
    for (code, name, count) in gemeinden {
        let event = Event::GemeindeRegistered {
            ags: ags(code),
            name: name.to_owned(),
            population: Some(Population {
                count,
                reference_date: date("2022-12-31"),
            }),
        };
        events.push(ledger.record("2020-01-01", 0, Actor::Admin, event));
    }
    let operator = Actor::Operator(efa_proto::OperatorId::parse("kiv-thueringen").unwrap());
    let steps = [
        ("2023-01-10", 0, ERFURT, AdoptionStage::Requested),
        ("2023-03-01", 0, APOLDA, AdoptionStage::Requested),
        ("2023-02-01", 30, ERFURT, AdoptionStage::Agreed),
        ("2023-03-15", 0, APOLDA, AdoptionStage::Agreed),
        ("2023-04-01", 0, ERFURT, AdoptionStage::Onboarding),
        ("2023-06-10", 0, WEIMAR, AdoptionStage::Requested),
        ("2023-06-01", 19, ERFURT, AdoptionStage::Live),
    ];
    for (effective, late, code, stage) in steps {
        events.push(ledger.record(effective, late, operator.clone(), step(code, stage)));
    }
    events
}

/// The rollout as older clients ask for it (`Rollout`), checked against
/// the page `Rollout3` answers with whose adoption each row is (here each
/// municipality's own: no merger).
async fn rollout(
    client: &async_nats::Client,
    scope: RolloutScope,
) -> RolloutView<MunicipalityRolloutV1> {
    let whole = match query(client, 0, QueryKind::Rollout(scope.clone())).await {
        QueryReply::Rollout(view) => view,
        other => panic!("expected a rollout, got {other:?}"),
    };
    let page = Page {
        offset: 0,
        limit: 1_000,
    };
    let paged = match query(client, 0, QueryKind::Rollout3 { scope, page }).await {
        QueryReply::Rollout3(page) => page,
        other => panic!("expected a rollout page, got {other:?}"),
    };
    assert!(paged.municipalities.iter().all(|m| m.adopter == m.ags));
    assert_eq!(rows_v1(&paged.municipalities), whole.municipalities);
    whole
}

async fn stalled(client: &async_nats::Client, as_of: &str) -> StalledView<StalledRolloutV1> {
    let kind = QueryKind::Stalled {
        land: thueringen(),
        days_min: 30,
        as_of: Some(date(as_of)),
    };
    match query(client, 0, kind).await {
        QueryReply::Stalled(view) => view,
        other => panic!("expected stalled adoptions, got {other:?}"),
    }
}

async fn funnel(client: &async_nats::Client, as_of: Option<Date>) -> FunnelView {
    let kind = QueryKind::Funnel {
        service: service(),
        land: Some(thueringen()),
        as_of,
    };
    match query(client, 0, kind).await {
        QueryReply::Funnel(Some(view)) => view,
        other => panic!("expected a funnel, got {other:?}"),
    }
}

fn scope(as_of: Option<Date>) -> RolloutScope {
    RolloutScope {
        land: thueringen(),
        kreis: None,
        service: None,
        as_of,
    }
}

type KreisRow = (String, u32, [u32; 5], u64, u64);

fn kreis_rows(view: &RolloutView<MunicipalityRolloutV1>) -> Vec<KreisRow> {
    view.kreise
        .iter()
        .map(|k| {
            let name = k.kreis_name.clone();
            (
                name,
                k.municipalities,
                k.stages,
                k.population,
                k.population_live,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_in_thueringen_as_of_the_past_and_today() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    let events = scenario(&ledger);
    publish_all(&js, &mut projector, &events).await;

    let before_live = rollout(&client, scope(Some(date("2023-05-31")))).await;
    let want: Vec<KreisRow> = vec![
        ("Erfurt".to_owned(), 1, [0, 0, 1, 0, 0], 213_692, 0),
        ("Weimar".to_owned(), 1, [0, 0, 0, 0, 0], 65_138, 0),
        ("Weimarer Land".to_owned(), 2, [0, 1, 0, 0, 0], 29_400, 0),
    ];
    assert_eq!(kreis_rows(&before_live), want);
    assert_eq!(before_live.land_participates, [(service(), true)]);

    // The late report counts from its effective date.
    let live = rollout(&client, scope(Some(date("2023-06-01")))).await;
    assert_eq!(live.kreise[0].stages, [0, 0, 0, 1, 0]);
    assert_eq!(live.kreise[0].population_live, 213_692);

    let today = rollout(&client, scope(None)).await;
    let rows: Vec<(Ags, &str, AdoptionStage, Date)> = today
        .municipalities
        .iter()
        .map(|m| (m.ags, m.name.as_str(), m.stage, m.since))
        .collect();
    assert_eq!(
        rows,
        [
            (
                ags(ERFURT),
                "Erfurt",
                AdoptionStage::Live,
                date("2023-06-01")
            ),
            (
                ags(WEIMAR),
                "Weimar",
                AdoptionStage::Requested,
                date("2023-06-10")
            ),
            (
                ags(APOLDA),
                "Apolda",
                AdoptionStage::Agreed,
                date("2023-03-15")
            ),
        ]
    );
    assert_eq!(today.kreise[1].stages, [1, 0, 0, 0, 0]);

    let weimarer_land = RolloutScope {
        kreis: Some(KreisKey::parse("16071").unwrap()),
        service: Some(service()),
        ..scope(None)
    };
    let one_kreis = rollout(&client, weimarer_land).await;
    assert_eq!(one_kreis.kreise.len(), 1);
    assert_eq!(one_kreis.municipalities.len(), 1);
    assert_eq!(one_kreis.municipalities[0].name, "Apolda");
    // A Kreis the registry does not know is refused, not an empty page.
    let nowhere = RolloutScope {
        kreis: Some(KreisKey::parse("16099").unwrap()),
        ..scope(None)
    };
    let page = Page {
        offset: 0,
        limit: 10,
    };
    let kind = QueryKind::Rollout3 {
        scope: nowhere,
        page,
    };
    assert_eq!(
        query(&client, 0, kind).await,
        QueryReply::Rejected(efa_proto::Rejection::NotFound {
            what: "Kreis 16099".to_owned()
        })
    );

    check_stalled_and_funnel(&client).await;
    check_history_and_pages(&client).await;
    projector.stop().await.unwrap();
}

async fn check_stalled_and_funnel(client: &async_nats::Client) {
    // Before the go-live took effect Erfurt looked stalled in onboarding.
    let then = stalled(client, "2023-05-31").await;
    let rows: Vec<(&str, AdoptionStage, u32)> = then
        .stalled
        .iter()
        .map(|s| (s.name.as_str(), s.stage, s.days))
        .collect();
    assert_eq!(
        rows,
        [
            ("Apolda", AdoptionStage::Agreed, 77),
            ("Erfurt", AdoptionStage::Onboarding, 60),
        ]
    );
    let later = stalled(client, "2023-07-15").await;
    let rows: Vec<(&str, u32)> = later
        .stalled
        .iter()
        .map(|s| (s.name.as_str(), s.days))
        .collect();
    assert_eq!(rows, [("Apolda", 122), ("Weimar", 35)]);

    let now = funnel(client, None).await;
    assert_eq!(now.reached, [3, 2, 1, 1, 0]);
    // 2023-01-10 to 2023-06-01: 21 + 28 + 31 + 30 + 31 + 1 = 142 days.
    assert_eq!(now.days_to_live_median, Some(142));
    assert_eq!(now.days_to_live_p90, Some(142));
    assert_eq!(now.live_count, 1);
    let then = funnel(client, Some(date("2023-05-31"))).await;
    assert_eq!(then.reached, [2, 2, 1, 0, 0]);
    assert_eq!((then.days_to_live_median, then.live_count), (None, 0));
}

async fn check_history_and_pages(client: &async_nats::Client) {
    let kind = QueryKind::History {
        subject: HistorySubject::Gemeinde(ags(ERFURT)),
        from_seq: 0,
        limit: 0,
    };
    let QueryReply::History(history) = query(client, 0, kind).await else {
        panic!("expected Erfurt's history");
    };
    assert_eq!(history.entries.len(), 5, "registration and four steps");
    let last = &history.entries[4];
    assert_eq!(last.summary_de, "Erfurt: in Betrieb (kita-anmeldung)");
    assert_eq!(last.effective, date("2023-06-01"));
    assert_eq!(last.recorded_at.date(), date("2023-06-20"));
    assert_eq!(history.chain_verified_to, 15);
    assert!(!history.more);

    let kind = QueryKind::Gemeinde {
        ags: ags(ERFURT),
        as_of: Some(date("2023-05-31")),
    };
    let QueryReply::Gemeinde(Some(erfurt)) = query(client, 0, kind).await else {
        panic!("expected Erfurt");
    };
    assert_eq!(erfurt.status_de, "aktiv");
    assert_eq!(erfurt.adoptions[0].stage, AdoptionStage::Onboarding);
    assert_eq!(
        erfurt.available,
        [(service(), "Titel von kita-anmeldung".to_owned(), true)]
    );

    let kind = QueryKind::Land {
        land: thueringen(),
        as_of: None,
    };
    let QueryReply::Land(land) = query(client, 0, kind).await else {
        panic!("expected Thüringen's page");
    };
    assert_eq!(
        (land.municipalities_registered, land.municipalities_live_any),
        (4, 1)
    );
    assert_eq!(land.leads, [service()]);

    let kind = QueryKind::Catalogue2 {
        filter: CatalogueFilter::default(),
        as_of: None,
    };
    let QueryReply::Catalogue2(page) = query(client, 0, kind).await else {
        panic!("expected the catalogue");
    };
    assert_eq!(page.services[0].adoptions, [1, 1, 0, 1, 0]);
    assert_eq!(page.as_of_seq, 15);
}
