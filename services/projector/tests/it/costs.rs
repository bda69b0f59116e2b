//! Cost sharing among all 16 Länder with the real Königsteiner Schlüssel
//! 2016, checked against figures computed here by hand with plain integer
//! arithmetic (not with the domain's `allocate`).

use std::collections::BTreeMap;

use efa_proto::views::{CostSharingView, LandCostsView};
use efa_proto::{
    Actor, Cents, Channel, CostCategory, CostModel, CostReported, Event, LandCode, QueryKind,
    QueryReply, Reifegrad, ServiceAnnounced, ServiceId, ServiceStatus,
};
use efa_testkit::TestNats;

use crate::WAIT;
use crate::support::{FakeLedger, Running, connect, event_stream, publish_all, query};

/// Königsteiner Schlüssel 2016 in units of 1/100,000 percent (sum
/// 10,000,000). Source: BAMF/BIAJ tables, KommunalWiki "Königsteiner
/// Schlüssel".
const KEY_2016: [(u8, u32); 16] = [
    (1, 339_074),
    (2, 255_752),
    (3, 933_138),
    (4, 95_331),
    (5, 2_114_424),
    (6, 739_885),
    (7, 483_089),
    (8, 1_296_662),
    (9, 1_553_327),
    (10, 121_111),
    (11, 508_324),
    (12, 303_655),
    (13, 201_240),
    (14, 505_577),
    (15, 279_941),
    (16, 269_470),
];

const AMOUNT: u128 = 100_000_000; // 1,000,000.00 EUR in cents

fn land(code: u8) -> LandCode {
    LandCode::new(code).unwrap()
}

fn key(code: u8) -> u128 {
    KEY_2016
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, w)| u128::from(*w))
        .unwrap()
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// One Land's expected share: exact numerator/denominator (reduced) and
/// the rounded cents.
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    numerator: u128,
    denominator: u128,
    cents: i64,
}

/// By hand. 2023 has 365 days: January 1st to June 30th (181 days)
/// Schleswig-Holstein (01) and Nordrhein-Westfalen (05) take part, from
/// July 1st (184 days) Thüringen (16) too. Each day's 1/365 of the amount
/// is split by key among that day's Länder, so a Land's exact share is
/// AMOUNT * (181 * w / W1 + 184 * w / W2) / 365 over the common
/// denominator 365 * W1 * W2. Then floor every share and hand the
/// remaining cents to the largest remainders, ties to the lower code.
fn expected_split() -> BTreeMap<u8, Expected> {
    let (w1, w2) = (key(1) + key(5), key(1) + key(5) + key(16));
    let denominator = 365 * w1 * w2;
    let numerators: Vec<(u8, u128)> = [1u8, 5, 16]
        .iter()
        .map(|&code| {
            let first_half = if code == 16 { 0 } else { 181 * key(code) * w2 };
            let second_half = 184 * key(code) * w1;
            (code, AMOUNT * (first_half + second_half))
        })
        .collect();
    let mut cents: Vec<(u8, u128, u128)> = numerators
        .iter()
        .map(|(code, n)| (*code, n / denominator, n % denominator))
        .collect();
    let floors: u128 = cents.iter().map(|(_, floor, _)| floor).sum();
    let mut remaining = AMOUNT - floors;
    let mut order: Vec<usize> = (0..cents.len()).collect();
    order.sort_by(|&a, &b| {
        cents[b]
            .2
            .cmp(&cents[a].2)
            .then(cents[a].0.cmp(&cents[b].0))
    });
    for index in order {
        if remaining > 0 && cents[index].2 > 0 {
            cents[index].1 += 1;
            remaining -= 1;
        }
    }
    assert_eq!(remaining, 0);
    numerators
        .iter()
        .zip(&cents)
        .map(|((code, n), (_, rounded, _))| {
            let g = gcd(*n, denominator);
            let expected = Expected {
                numerator: n / g,
                denominator: denominator / g,
                cents: i64::try_from(*rounded).unwrap(),
            };
            (*code, expected)
        })
        .collect()
}

fn announcement(service: &ServiceId) -> Event {
    Event::ServiceAnnounced(ServiceAnnounced {
        service: service.clone(),
        title: "Digitaler Bauantrag".to_owned(),
        lead: land(1),
        ozg_id: Some("OZG-10059".to_owned()),
        leika: Vec::new(),
        themenfeld: "Bauen & Wohnen".to_owned(),
        provider: "Dataport".to_owned(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::KoenigsteinerSchluessel { year: Some(2016) },
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(3).unwrap(),
    })
}

/// The key, the service, two Beitritte and a cost of 2023, as the ledger
/// would have recorded them.
fn scenario(ledger: &FakeLedger, service: &ServiceId) -> Vec<efa_proto::SealedEvent> {
    let joined = |code: u8| Event::LandJoined {
        service: service.clone(),
        land: land(code),
    };
    vec![
        ledger.record(
            "2017-01-01",
            0,
            Actor::Admin,
            Event::AllocationKeyPublished {
                year: 2016,
                shares: KEY_2016.iter().map(|(c, w)| (land(*c), *w)).collect(),
            },
        ),
        ledger.record("2019-12-01", 0, Actor::Land(land(1)), announcement(service)),
        ledger.record("2023-01-01", 0, Actor::Land(land(5)), joined(5)),
        ledger.record("2023-07-01", 3, Actor::Land(land(16)), joined(16)),
        ledger.record(
            "2024-02-01",
            0,
            Actor::Land(land(1)),
            Event::CostReported(CostReported {
                service: service.clone(),
                cost_no: 1,
                year: 2023,
                category: CostCategory::Development,
                amount: Cents(AMOUNT as i64),
                note: "Entwicklung 2023".to_owned(),
            }),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn koenigsteiner_schluessel_2016_split_matches_the_hand_computation() {
    let nats = TestNats::start();
    let client = connect(&nats.url()).await;
    let js = event_stream(&client).await;
    let ledger = FakeLedger::default();
    let service = ServiceId::parse("digitaler-bauantrag").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut projector = Running::start(&client, dir.path(), WAIT).await;
    let events = scenario(&ledger, &service);
    publish_all(&js, &mut projector, &events).await;

    let kind = QueryKind::CostSharing {
        service: service.clone(),
        year: 2023,
    };
    let QueryReply::CostSharing(Some(view)) = query(&client, 5, kind).await else {
        panic!("expected the cost sharing of the service");
    };
    check_own_split(&view);
    check_alternatives(&view);

    let kind = QueryKind::LandCosts {
        land: land(16),
        year: 2023,
    };
    let QueryReply::LandCosts(owed) = query(&client, 5, kind).await else {
        panic!("expected Thüringen's costs");
    };
    check_land_costs(&owed, &service);
    check_participations_as_of(&client, &service).await;
    projector.stop().await.unwrap();
}

/// Before Thüringen's Beitritt it does not take part; today it does.
async fn check_participations_as_of(client: &async_nats::Client, service: &ServiceId) {
    let detail = |as_of| QueryKind::ServiceDetail {
        service: service.clone(),
        as_of,
    };
    let then = Some(efa_proto::Date::parse("2023-06-30").unwrap());
    let QueryReply::ServiceDetail(Some(then)) = query(client, 5, detail(then)).await else {
        panic!("expected the service as of 2023-06-30");
    };
    assert_eq!(then.summary.lands, [land(1), land(5)]);
    let QueryReply::ServiceDetail(Some(now)) = query(client, 5, detail(None)).await else {
        panic!("expected the service today");
    };
    assert_eq!(now.summary.lands, [land(1), land(5), land(16)]);
    let leads: Vec<(u8, bool)> = now
        .participations
        .iter()
        .map(|p| (p.land.get(), p.is_lead))
        .collect();
    assert_eq!(leads, [(1, true), (5, false), (16, false)]);
    assert_eq!(now.costs[0].amount, Cents(100_000_000));
    let before = Some(efa_proto::Date::parse("2019-11-30").unwrap());
    assert_eq!(
        query(client, 5, detail(before)).await,
        QueryReply::ServiceDetail(None),
        "not announced yet"
    );
}

fn check_own_split(view: &CostSharingView) {
    let split = &view.split;
    assert_eq!(split.problem, None);
    assert_eq!(split.weights_source, "Königsteiner Schlüssel 2016");
    assert_eq!(
        (split.total, split.allocated, split.unallocated),
        (Cents(100_000_000), Cents(100_000_000), Cents(0))
    );
    assert_eq!(split.days_in_year, 365);
    let expected = expected_split();
    let lands: Vec<u8> = split.shares.iter().map(|s| s.land.get()).collect();
    assert_eq!(lands, [1, 5, 16]);
    for share in &split.shares {
        let want = &expected[&share.land.get()];
        assert_eq!(share.cents, Cents(want.cents), "Land {}", share.land);
        assert_eq!(share.exact_cents.numerator, want.numerator.to_string());
        assert_eq!(share.exact_cents.denominator, want.denominator.to_string());
        assert_eq!(share.weight, key(share.land.get()) as u64);
    }
    let days: Vec<u32> = split.shares.iter().map(|s| s.days).collect();
    assert_eq!(days, [365, 365, 184]);
    let sum: i64 = split.shares.iter().map(|s| s.cents.0).sum();
    assert_eq!(sum, 100_000_000);
    assert_eq!(view.costs.len(), 1);
    assert_eq!(view.costs[0].seqs, [5]);
}

fn check_alternatives(view: &CostSharingView) {
    let models: Vec<&CostModel> = view.alternatives.iter().map(|a| &a.model).collect();
    assert_eq!(
        models,
        [
            &CostModel::KoenigsteinerSchluessel { year: None },
            &CostModel::Population,
            &CostModel::EqualShares,
        ]
    );
    // The key of the cost's year falls back to the latest before it: 2016.
    assert_eq!(view.alternatives[0].shares, view.split.shares);
    let population = &view.alternatives[1];
    assert!(population.problem.is_some(), "no population published");
    assert_eq!(
        (population.allocated, population.unallocated),
        (Cents(0), Cents(100_000_000))
    );
    assert!(population.shares.is_empty());
    let equal = &view.alternatives[2];
    let cents: Vec<i64> = equal.shares.iter().map(|s| s.cents.0).collect();
    // By hand: 181 days halved, 184 days in thirds, of 100,000,000/365 per day.
    // 01 and 05: 100,000,000 * (181/2 + 184/3) / 365 = 41,598,173.51...
    // 16: 100,000,000 * (184/3) / 365 = 16,803,652.96...
    // Floors 41,598,173 + 41,598,173 + 16,803,652 leave 2 cents: 16 has the
    // largest remainder (0.96), then 01 and 05 tie (0.51) and 01 wins.
    assert_eq!(cents, [41_598_174, 41_598_173, 16_803_653]);
}

fn check_land_costs(owed: &LandCostsView, service: &ServiceId) {
    let expected = expected_split();
    assert_eq!(owed.lines.len(), 1);
    assert_eq!(&owed.lines[0].service, service);
    assert_eq!(owed.lines[0].title, "Digitaler Bauantrag");
    assert_eq!(owed.lines[0].service_total, Cents(100_000_000));
    assert_eq!(owed.total, Cents(expected[&16].cents));
}
