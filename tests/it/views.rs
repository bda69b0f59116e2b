//! The views through the whole system: the demo scenario sent through the
//! real ledger, read back over HTTP from the real projector, in JSON and
//! CSV, now and as of a past date.

use std::time::Duration;

use efa_proto::{CommandReply, subjects};

use crate::system::System;

/// Sends the reference data and the demo; returns the last sequence.
async fn load_demo(system: &System) -> u64 {
    let mut seeds = efa_reference::reference_seeds().unwrap();
    seeds.extend(efa_reference::demo::demo_seeds().unwrap());
    let mut last = 0;
    for seed in &seeds {
        let reply: CommandReply = efa_runtime::request(
            &system.client,
            subjects::COMMAND,
            &system.sign(&seed.envelope()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        match reply {
            CommandReply::Accepted(accepted) => last = accepted.last_seq,
            CommandReply::Rejected(rejection) => panic!("{}: {rejection}", seed.label),
        }
    }
    last
}

#[tokio::test]
async fn the_demo_is_visible_in_every_family_of_views() {
    let system = System::start().await;
    let head = load_demo(&system).await;

    let catalogue = system
        .read_json(&format!("/api/v1/catalogue?land=16&min_seq={head}"))
        .await;
    let ids: Vec<&str> = catalogue["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"online-wohngeldantrag"),
        "Thüringen takes part: {ids:?}"
    );
    assert!(ids.contains(&"bafoeg-digital"), "{ids:?}");
    assert!(
        !ids.contains(&"digitale-baugenehmigung"),
        "Thüringen has not joined it: {ids:?}"
    );

    // Thüringen joined the Wohngeld service on 2023-03-01: 306 days of 2023.
    let costs = system
        .read_json(&format!(
            "/api/v1/services/online-wohngeldantrag/costs/2023?min_seq={head}"
        ))
        .await;
    let shares = costs["split"]["shares"].as_array().unwrap();
    let th = shares.iter().find(|s| s["land"] == "16").unwrap();
    assert_eq!(th["days"], 306);
    let total: i64 = shares
        .iter()
        .map(|s| s["amount"]["cents"].as_i64().unwrap())
        .sum();
    assert_eq!(
        total,
        costs["split"]["allocated"]["cents"].as_i64().unwrap()
    );
    assert_eq!(
        total, 48_000_000,
        "the 2023 operation costs are split to the cent"
    );

    // Gera has been onboarding since 2024-02-01: stalled by the end of 2024.
    let stalled = system
        .read_json(&format!(
            "/api/v1/lands/16/stalled?days=90&as_of=2024-12-31&min_seq={head}"
        ))
        .await;
    let rows = stalled["stalled"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["ags"] == "16052000" && r["days"] == 334),
        "{rows:?}"
    );

    // As of mid-2023 Erfurt was not live yet; today it is.
    let before = system
        .read_json(&format!(
            "/api/v1/gemeinden/16051000?as_of=2023-06-30&min_seq={head}"
        ))
        .await;
    let now = system
        .read_json(&format!("/api/v1/gemeinden/16051000?min_seq={head}"))
        .await;
    let stage_of = |view: &serde_json::Value| {
        view["adoptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["service"] == "online-wohngeldantrag")
            .map(|a| a["stage"].clone())
    };
    assert_eq!(stage_of(&before).unwrap(), "onboarding");
    assert_eq!(stage_of(&now).unwrap(), "live");

    let csv = system
        .http
        .get(format!(
            "{}/api/v1/lands/16/stalled?days=90&as_of=2024-12-31&format=csv",
            system.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let bytes = csv.bytes().await.unwrap();
    assert!(
        bytes.starts_with(&[0xef, 0xbb, 0xbf]),
        "CSV for Excel starts with a BOM"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains(';') && text.contains("16052000"), "{text}");

    let history = system
        .read_json(&format!(
            "/api/v1/services/online-wohngeldantrag/history?min_seq={head}"
        ))
        .await;
    assert!(history["entries"].as_array().unwrap().len() >= 4);
    system.stop().await;
}
