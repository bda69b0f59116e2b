//! A Land's funnels, one per service with adoptions there, read over
//! HTTP from the real gateway, ledger and projector with the demo loaded:
//! each the same as the service's own funnel in the Land, in each order
//! the list offers, page by page through `next` and as CSV; an order the
//! list does not know is refused.

use serde_json::Value;

use crate::system::System;

/// Every funnel of the list at `path`, two a page through `next`.
async fn whole_list(system: &System, path: &str) -> Vec<Value> {
    let mut funnels = Vec::new();
    let mut next = format!("{path}&limit=2");
    loop {
        let page = system.read_json(&next).await;
        funnels.extend(page["funnels"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(link) => next = link.to_owned(),
            None => return funnels,
        }
    }
}

fn live(funnel: &Value) -> u64 {
    funnel["reached"]["live"].as_u64().unwrap()
}

fn service(funnel: &Value) -> &str {
    funnel["service"].as_str().unwrap()
}

#[tokio::test]
async fn a_lands_funnels_in_each_order() {
    let system = System::start_with_demo().await;
    let by_id = whole_list(&system, "/api/v1/lands/16/funnels?order=service").await;
    assert!(
        by_id.len() > 2,
        "the demo adopts several services in Thüringen"
    );
    let ids: Vec<&str> = by_id.iter().map(service).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    // Each is the service's own funnel in the Land.
    for funnel in &by_id {
        let own = system
            .read_json(&format!(
                "/api/v1/services/{}/funnel?land=16",
                service(funnel)
            ))
            .await;
        assert_eq!(funnel, &own);
    }

    let fewest = whole_list(&system, "/api/v1/lands/16/funnels?order=fewest-live").await;
    let key = |f: &Value| (live(f), service(f).to_owned());
    assert!(
        fewest.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
        "{fewest:?}"
    );
    let most = whole_list(&system, "/api/v1/lands/16/funnels?order=most-live").await;
    assert!(
        most.windows(2).all(|w| live(&w[0]) >= live(&w[1])),
        "{most:?}"
    );
    let slowest = whole_list(&system, "/api/v1/lands/16/funnels?order=slowest-to-live").await;
    let median = |f: &Value| f["days_to_live_median"].as_u64();
    let slow_key = |f: &Value| (median(f).is_none(), std::cmp::Reverse(median(f)));
    assert!(
        slowest
            .windows(2)
            .all(|w| slow_key(&w[0]) <= slow_key(&w[1])),
        "{slowest:?}"
    );
    for list in [&fewest, &most, &slowest] {
        let mut same: Vec<&str> = list.iter().map(service).collect();
        same.sort_unstable();
        assert_eq!(same, sorted, "every order lists the same services");
    }

    // As CSV: the whole list, one row per service, in the order.
    let body = (system
        .read_ok("/api/v1/lands/16/funnels?order=fewest-live&format=csv")
        .await)
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = body.trim_end().split("\r\n").collect();
    assert!(rows[0].starts_with("\u{feff}Leistung;beantragt;"), "{body}");
    let csv_ids: Vec<&str> = (rows[1..].iter())
        .map(|row| row.split(';').next().unwrap())
        .collect();
    assert_eq!(csv_ids, fewest.iter().map(service).collect::<Vec<_>>());

    let response = system
        .http
        .get(format!(
            "{}/api/v1/lands/16/funnels?order=zufall",
            system.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    system.stop().await;
}
