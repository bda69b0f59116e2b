//! Whom a service has still to reach in a Land, read over HTTP from the
//! real gateway, ledger and projector with the demo loaded: the
//! municipalities of Thüringen the seeds register, less those whose
//! adoption of the service the seeds request and do not withdraw,
//! worked out from the seed commands; then a withdrawal and a new request
//! move one municipality onto the list and another off it, from their
//! effective days on. Pages follow `next`, the CSV comes whole, an
//! unknown service is a 404.

use std::collections::{BTreeMap, BTreeSet};

use efa_proto::{Actor, Ags, Command, Date, RequestAdoption, ServiceId, WithdrawAdoption};
use efa_reference::Seed;
use serde_json::Value;

use crate::system::System;

const SERVICE: &str = "online-wohngeldantrag";

/// What the seeds say of Thüringen: each registered municipality's
/// inhabitants, and the municipalities whose adoption of [`SERVICE`] was
/// requested and not withdrawn.
fn thueringen(seeds: &[Seed]) -> (BTreeMap<Ags, Option<u64>>, BTreeSet<Ags>) {
    let mut registered = BTreeMap::new();
    let mut adopted = BTreeSet::new();
    let in_thueringen = |ags: &Ags| ags.land().get() == 16;
    for seed in seeds {
        match &seed.command {
            Command::RegisterGemeinde(register) if in_thueringen(&register.ags) => {
                registered.insert(register.ags, register.population.map(|p| p.count));
            }
            Command::MergeGemeinde(merger) if in_thueringen(&merger.ags) => {
                panic!("the oracle counts no mergers, the demo has one: {merger:?}")
            }
            Command::RequestAdoption(request) if request.service.as_str() == SERVICE => {
                adopted.insert(request.ags);
            }
            Command::WithdrawAdoption(withdrawal) if withdrawal.service.as_str() == SERVICE => {
                adopted.remove(&withdrawal.ags);
            }
            _ => {}
        }
    }
    (registered, adopted)
}

/// Every entry of the list at `path`, page by page through `next`, two
/// at a time; with the first page's totals.
async fn whole_list(system: &System, path: &str) -> (Vec<Value>, Value) {
    let mut entries = Vec::new();
    let mut next = format!("{path}&limit=2");
    let first = system.read_json(&next).await;
    let mut page = first.clone();
    loop {
        entries.extend(page["gemeinden"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(link) => next = link.to_owned(),
            None => break,
        }
        page = system.read_json(&next).await;
    }
    (entries, first)
}

fn ags_of(entries: &[Value]) -> Vec<String> {
    let ags = |entry: &Value| entry["ags"].as_str().unwrap().to_owned();
    entries.iter().map(ags).collect()
}

/// The AGS of `registered` less `adopted`, most inhabitants first, then
/// by AGS: the order the list must have.
fn expected(registered: &BTreeMap<Ags, Option<u64>>, adopted: &BTreeSet<Ags>) -> Vec<String> {
    let mut rest: Vec<(&Ags, u64)> = (registered.iter())
        .filter(|(ags, _)| !adopted.contains(ags))
        .map(|(ags, population)| (ags, population.unwrap_or(0)))
        .collect();
    rest.sort_by_key(|(ags, population)| (std::cmp::Reverse(*population), **ags));
    rest.into_iter().map(|(ags, _)| ags.to_string()).collect()
}

#[tokio::test]
async fn the_municipalities_without_a_service_most_inhabitants_first() {
    let system = System::start_with_demo().await;
    let mut seeds = efa_reference::reference_seeds().unwrap();
    seeds.extend(efa_reference::demo::demo_seeds().unwrap());
    let (registered, mut adopted) = thueringen(&seeds);
    let kreise: BTreeMap<String, String> = (seeds.iter())
        .filter_map(|seed| match &seed.command {
            Command::RegisterKreis(kreis) => Some((kreis.key.to_string(), kreis.name.clone())),
            _ => None,
        })
        .collect();
    let before = expected(&registered, &adopted);
    assert!(
        kreise.keys().any(|kreis| kreis.starts_with("16")),
        "the seeds name Thüringen's Kreise"
    );
    assert!(
        !adopted.is_empty() && before.len() > 2,
        "the demo adopts the service in some municipalities of Thüringen, not in all: \
         {adopted:?} of {registered:?}"
    );

    // One adoption is withdrawn, and the largest municipality without
    // one requests it, both from 2025-03-01.
    let withdrawing = *adopted.iter().next().unwrap();
    let requesting = Ags::parse(&before[0]).unwrap();
    let day = Date::parse("2025-03-01").unwrap();
    let service = ServiceId::parse(SERVICE).unwrap();
    let withdrawal = Command::WithdrawAdoption(WithdrawAdoption {
        service: service.clone(),
        ags: withdrawing,
        note: "Test".into(),
    });
    let request = Command::RequestAdoption(RequestAdoption {
        service,
        ags: requesting,
        note: "Test".into(),
    });
    system
        .send_seeds(&[
            Seed::new(
                "test/rueckzug",
                Actor::Gemeinde(withdrawing),
                Some(day),
                withdrawal,
            ),
            Seed::new(
                "test/antrag",
                Actor::Gemeinde(requesting),
                Some(day),
                request,
            ),
        ])
        .await;
    let head = system.ledger_head().await;
    adopted.remove(&withdrawing);
    adopted.insert(requesting);
    let after = expected(&registered, &adopted);

    let path = format!("/api/v1/lands/16/not-adopted/{SERVICE}?min_seq={head}");
    let (entries, first) = whole_list(&system, &path).await;
    assert_eq!(ags_of(&entries), after);
    let population: u64 = (entries.iter())
        .filter_map(|entry| entry["population"].as_u64())
        .sum();
    assert_eq!(first["total"], after.len(), "{first}");
    assert_eq!(first["population"], population, "{first}");
    assert_eq!(
        (first["service"].as_str(), first["land"].as_str()),
        (Some(SERVICE), Some("16"))
    );
    for entry in &entries {
        let ags = Ags::parse(entry["ags"].as_str().unwrap()).unwrap();
        assert_eq!(entry["population"].as_u64(), registered[&ags], "{entry}");
        let kreis = &ags.to_string()[..5];
        assert_eq!(entry["kreis"], kreis, "{entry}");
        let kreis_name = kreise.get(kreis).map_or(kreis, String::as_str);
        assert_eq!(entry["kreis_name"], kreis_name, "{entry}");
        let withdrawn = (ags == withdrawing).then_some("2025-03-01");
        assert_eq!(entry["withdrawn_on"].as_str(), withdrawn, "{entry}");
    }

    // The day before both took effect, the list was as the demo left it.
    let (entries, _) = whole_list(&system, &format!("{path}&as_of=2025-02-28")).await;
    assert_eq!(ags_of(&entries), before);

    // As CSV: the whole list in the same order.
    let body = (system.read_ok(&format!("{path}&format=csv")).await)
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = body.trim_end().split("\r\n").collect();
    assert_eq!(
        rows[0],
        "\u{feff}AGS;Gemeinde;Kreis;Kreisname;Einwohner;Zurückgezogen am"
    );
    let csv_ags: Vec<String> = (rows[1..].iter())
        .map(|row| row.split(';').next().unwrap().to_owned())
        .collect();
    assert_eq!(csv_ags, after, "{body}");
    let withdrawn_row = (rows.iter())
        .find(|row| row.starts_with(&withdrawing.to_string()))
        .unwrap();
    assert!(withdrawn_row.ends_with(";2025-03-01"), "{body}");

    // A service nobody announced, and the service before its
    // announcement, are not found.
    for path in [
        "/api/v1/lands/16/not-adopted/gibt-es-nicht".to_owned(),
        format!("/api/v1/lands/16/not-adopted/{SERVICE}?as_of=2001-01-01"),
    ] {
        let response = system
            .http
            .get(format!("{}{path}", system.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    system.stop().await;
}
