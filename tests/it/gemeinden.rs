//! A Land's registered municipalities, read over HTTP from the real
//! gateway, ledger and projector with the demo loaded: every one the
//! seeds registered in Thüringen, by AGS, with its Kreis, inhabitants and
//! status; the JSON pages' `next` links lead through all of them, the
//! CSV comes whole; a merger shows from its effective date on.

use std::collections::BTreeMap;

use efa_proto::{Actor, Ags, Command, MergeGemeinde};
use efa_reference::Seed;

use crate::system::System;

/// The AGS, name and inhabitants of every municipality the seeds
/// register in Thüringen: what the list must hold, taken from the
/// commands, not from the views.
fn registered_in_thueringen(seeds: &[Seed]) -> BTreeMap<String, (String, Option<u64>)> {
    seeds
        .iter()
        .filter_map(|seed| match &seed.command {
            Command::RegisterGemeinde(register) if register.ags.land().get() == 16 => Some((
                register.ags.to_string(),
                (
                    register.name.clone(),
                    register.population.as_ref().map(|p| p.count),
                ),
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_lands_municipalities_are_listed_whole_page_by_page_and_as_csv() {
    let system = System::start_with_demo().await;
    let mut seeds = efa_reference::reference_seeds().unwrap();
    seeds.extend(efa_reference::demo::demo_seeds().unwrap());
    let expected = registered_in_thueringen(&seeds);
    assert!(
        expected.len() > 3,
        "the demo registers several: {expected:?}"
    );
    // One of them merges into another from a day on.
    let mut ags = expected.keys();
    let (gone, successor) = (ags.next().unwrap().clone(), ags.next().unwrap().clone());
    let merger = Command::MergeGemeinde(MergeGemeinde {
        ags: Ags::parse(&gone).unwrap(),
        successor: Ags::parse(&successor).unwrap(),
    });
    let day = efa_proto::Date::parse("2025-01-01").unwrap();
    let seed = Seed::new("test/fusion", Actor::Admin, Some(day), merger);
    system.send_seeds(&[seed]).await;
    let head = system.ledger_head().await;

    // Page by page, two at a time, following `next`.
    let mut listed = BTreeMap::new();
    let mut path = format!("/api/v1/lands/16/gemeinden?limit=2&min_seq={head}");
    loop {
        let page = system.read_json(&path).await;
        assert_eq!(page["total"], expected.len(), "{page}");
        for entry in page["gemeinden"].as_array().unwrap() {
            let ags = entry["ags"].as_str().unwrap().to_owned();
            assert_eq!(entry["kreis"], ags[..5], "{entry}");
            listed.insert(ags, entry.clone());
        }
        match page["next"].as_str() {
            Some(next) => path = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (ags, (name, population)) in &expected {
        let entry = &listed[ags];
        assert_eq!(entry["name"], name.as_str(), "{entry}");
        assert_eq!(entry["population"].as_u64(), *population, "{entry}");
    }
    assert_eq!(
        listed[&gone]["status"],
        format!("aufgegangen in {successor}")
    );
    assert_eq!(listed[&successor]["status"], "aktiv");
    // Before the merger took effect, both were there.
    let before = system
        .read_json("/api/v1/lands/16/gemeinden?as_of=2024-12-31&limit=1000")
        .await;
    let gone_before = (before["gemeinden"].as_array().unwrap().iter())
        .find(|entry| entry["ags"] == gone.as_str())
        .unwrap();
    assert_eq!(gone_before["status"], "aktiv");

    // As CSV: the whole list, one row each after the header.
    let response = system
        .read_ok("/api/v1/lands/16/gemeinden?format=csv")
        .await;
    let body = response.text().await.unwrap();
    let rows: Vec<&str> = body.trim_end().split("\r\n").collect();
    assert_eq!(rows[0], "\u{feff}AGS;Gemeinde;Kreis;Einwohner;Status");
    assert_eq!(rows.len(), expected.len() + 1, "{body}");
    assert!(
        rows.iter().any(|row| row.starts_with(&format!("{gone};"))
            && row.ends_with(&format!(";aufgegangen in {successor}"))),
        "{body}"
    );

    // Another Land's list holds none of Thüringen's.
    let bremen = system.read_json("/api/v1/lands/04/gemeinden").await;
    assert!(
        (bremen["gemeinden"].as_array().unwrap().iter())
            .all(|entry| entry["ags"].as_str().unwrap().starts_with("04")),
        "{bremen}"
    );
    system.stop().await;
}
