//! The gateway's kept answers with the real projector behind them: an
//! anonymous read asked again is the same answer, and once the views
//! have applied a write, the same request shows it at once; a kept
//! answer is never older than the views.

use crate::system::System;

fn service(id: &str, title: &str) -> String {
    format!(
        r#"{{"id": "{id}", "title": "{title}", "lead": "04", "themenfeld": "Familie & Kind",
            "provider": "Dataport", "channel": "efa-marktplatz",
            "cost_model": {{"kind": "koenigsteiner-schluessel", "year": 2016}}}}"#
    )
}

async fn titles(system: &System, path: &str) -> (String, Vec<String>) {
    let body = text(system, path).await;
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let titles = page["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|service| service["title"].as_str().unwrap().to_owned())
        .collect();
    (body, titles)
}

async fn text(system: &System, path: &str) -> String {
    system.read_ok(path).await.text().await.unwrap()
}

async fn announce(system: &System, id: &str, title: &str) -> u64 {
    let response = system
        .announce(&system.bremen, &format!("kept-{id}"), &service(id, title))
        .await;
    assert_eq!(response.status(), 201);
    let written: serde_json::Value = response.json().await.unwrap();
    written["seq"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_answer_gives_way_to_a_write_the_views_have_applied() {
    let system = System::start().await;
    let first = announce(&system, "elterngeld-digital", "Elterngeld digital").await;
    let path = format!("/api/v1/catalogue?limit=50&min_seq={first}");

    let (body, shown) = titles(&system, &path).await;
    assert_eq!(shown, ["Elterngeld digital"]);
    for _ in 0..3 {
        assert_eq!(
            titles(&system, &path).await.0,
            body,
            "the same answer again"
        );
    }

    // A second service: once a read has seen the views apply it, the
    // request that was answered from the shelf shows it too.
    let second = announce(&system, "wohngeld-digital", "Wohngeld digital").await;
    let (_, now) = titles(
        &system,
        &format!("/api/v1/catalogue?limit=50&min_seq={second}"),
    )
    .await;
    assert_eq!(now, ["Elterngeld digital", "Wohngeld digital"]);
    let (_, again) = titles(&system, &path).await;
    assert_eq!(again, now, "never older than the views");

    // A write elsewhere that leaves an answer as it was: the same bytes.
    let funnel = "/api/v1/services/wohngeld-digital/funnel";
    let before = text(&system, funnel).await;
    let third = announce(&system, "kfz-digital", "Kfz digital").await;
    titles(
        &system,
        &format!("/api/v1/catalogue?limit=50&min_seq={third}"),
    )
    .await;
    assert_eq!(text(&system, funnel).await, before);
    system.stop().await;
}
