//! The Jahresabrechnung through the whole system: the administration
//! closes a year of a demo service over HTTP, the ledger records the split
//! with the position it rests on, a Land's backdated change of that year is
//! refused with its typed reason, a correction by the administration is
//! recorded and shows as a supplement to the cent, and Thüringen's
//! statement says the same in JSON and CSV; a second correction moves the
//! Austritt the first recorded. Also the service's ETag that If-Match
//! accepts, the detail of a service announced ahead, and an adoption
//! merged into a successor and withdrawn there.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::system::System;

const SERVICE: &str = "online-wohngeldantrag";

async fn get(system: &System, path: &str) -> reqwest::Response {
    system
        .http
        .get(format!("{}{path}", system.base))
        .send()
        .await
        .unwrap()
}

async fn json_of(system: &System, path: &str) -> Value {
    let response = get(system, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn post(
    system: &System,
    token: &str,
    key: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    system
        .http
        .post(format!("{}{path}", system.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn problem_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["type"]
        .as_str()
        .unwrap()
        .trim_start_matches("urn:efa-registry:problem:")
        .to_owned()
}

fn cents(value: &Value) -> i64 {
    value["cents"].as_i64().unwrap()
}

#[tokio::test]
async fn a_closed_year_stays_as_settled_and_a_correction_shows_as_a_supplement() {
    let system = System::start_with_demo().await;
    let admin = system.demo["admin"].clone();
    let head = system.ledger_head().await;
    let before = json_of(
        &system,
        &format!("/api/v1/services/{SERVICE}/costs/2023?min_seq={head}"),
    )
    .await;
    assert_eq!(before["closing"], json!(null));

    // Thüringen may not close a year of a service it does not lead.
    let refused = post(
        &system,
        &system.thueringen,
        "close-th",
        &format!("/api/v1/services/{SERVICE}/closings"),
        json!({"year": 2023}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(refused).await, "forbidden");

    let closed = post(
        &system,
        &admin,
        "close-2023",
        &format!("/api/v1/services/{SERVICE}/closings"),
        json!({"year": 2023}),
    )
    .await;
    assert_eq!(closed.status(), StatusCode::CREATED);
    let closed: Value = closed.json().await.unwrap();
    let seq = closed["seq"].as_u64().unwrap();
    let view = json_of(
        &system,
        &format!("/api/v1/services/{SERVICE}/costs/2023?min_seq={seq}"),
    )
    .await;
    let closing = &view["closing"];
    assert_eq!(closing["seq"], seq);
    assert_eq!(closing["settled"]["based_on_seq"], head);
    assert_eq!(closing["settled"]["total"], before["split"]["total"]);
    let settled: Vec<(String, i64)> = closing["settled"]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["land"].as_str().unwrap().to_owned(), cents(&s["amount"])))
        .collect();
    let split_before: Vec<(String, i64)> = before["split"]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["land"].as_str().unwrap().to_owned(), cents(&s["amount"])))
        .collect();
    assert_eq!(
        settled, split_before,
        "the ledger recorded the split as it stood"
    );
    assert_eq!(closing["supplements"], json!([]));

    // Closing again, and Thüringen leaving with effect in 2023: refused.
    let again = post(
        &system,
        &admin,
        "close-2023-again",
        &format!("/api/v1/services/{SERVICE}/closings"),
        json!({"year": 2023}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(again).await, "year-closed");
    let leave = system
        .http
        .delete(format!(
            "{}/api/v1/services/{SERVICE}/participations/16?effective=2023-10-01",
            system.base
        ))
        .bearer_auth(&system.thueringen)
        .header("Idempotency-Key", "leave-2023")
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_code(leave).await, "too-far-back");

    // The administration corrects it: Thüringen left on 2023-10-01.
    let corrected = post(
        &system,
        &admin,
        "correct-th",
        &format!("/api/v1/services/{SERVICE}/participation-corrections"),
        json!({"land": "16", "change": "austritt", "reason": "Austritt laut Vertrag", "effective": "2023-10-01"}),
    )
    .await;
    assert_eq!(corrected.status(), StatusCode::CREATED);
    let corrected: Value = corrected.json().await.unwrap();
    let seq = corrected["seq"].as_u64().unwrap();
    let view = json_of(
        &system,
        &format!("/api/v1/services/{SERVICE}/costs/2023?min_seq={seq}"),
    )
    .await;
    let closing = &view["closing"];
    assert_eq!(closing["corrections"].as_array().unwrap().len(), 1);
    let supplements = closing["supplements"].as_array().unwrap();
    assert!(!supplements.is_empty());
    for supplement in supplements {
        let land = supplement["land"].as_str().unwrap();
        let now = view["split"]["shares"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["land"] == land)
            .map_or(0, |s| cents(&s["amount"]));
        let was = settled
            .iter()
            .find(|(l, _)| l == land)
            .map_or(0, |(_, c)| *c);
        assert_eq!(cents(&supplement["difference"]), now - was, "{land}");
    }
    let sum: i64 = supplements.iter().map(|s| cents(&s["difference"])).sum();
    assert_eq!(sum, 0, "the amount did not change, only who pays it");

    // The service page shows the closing, the supplements and the correction.
    let page = get(
        &system,
        &format!("/leistungen/{SERVICE}?jahr=2023&seq={seq}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("Nachträge seit der Abrechnung"), "{page}");
    assert!(page.contains("Austritt laut Vertrag"), "{page}");

    // Thüringen's statement: the settled share, the supplement, the figures of the CSV.
    let statement = json_of(
        &system,
        &format!("/api/v1/lands/16/statements/2023?min_seq={seq}"),
    )
    .await;
    let line = statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["service"] == SERVICE)
        .unwrap();
    let th_settled = settled.iter().find(|(l, _)| l == "16").unwrap().1;
    assert_eq!(cents(&line["closed"]["settled"]), th_settled);
    assert_eq!(
        cents(&line["closed"]["supplement"]),
        cents(&line["share"]["amount"]) - th_settled
    );
    assert!(cents(&line["closed"]["supplement"]) < 0);
    let csv = get(
        &system,
        &format!("/api/v1/lands/16/statements/2023?format=csv&min_seq={seq}"),
    )
    .await
    .text()
    .await
    .unwrap();
    let row = csv.lines().find(|l| l.starts_with(SERVICE)).unwrap();
    let fields: Vec<&str> = row.split(';').collect();
    let euros = |c: i64| {
        format!(
            "{}{},{:02}",
            if c < 0 { "-" } else { "" },
            c.abs() / 100,
            c.abs() % 100
        )
    };
    assert_eq!(fields[11], euros(cents(&line["share"]["amount"])));
    assert_eq!(fields[13], euros(th_settled));
    assert_eq!(fields[14], euros(cents(&line["closed"]["supplement"])));
    assert_eq!(fields[18], statement["seq"].to_string());
    assert_eq!(fields[19], statement["chain_hash"].as_str().unwrap());

    // As of mid-2022 Thüringen had not joined: no line in its statement.
    let early = json_of(
        &system,
        &format!("/api/v1/lands/16/statements/2023?as_of=2022-06-30&min_seq={seq}"),
    )
    .await;
    assert!(
        early["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["service"] != SERVICE)
    );

    // The contract said the end of the year after all: the administration
    // moves the Austritt it recorded, and 2023 lists both corrections.
    let moved = post(
        &system,
        &admin,
        "move-th",
        &format!("/api/v1/services/{SERVICE}/participation-corrections"),
        json!({"land": "16", "change": "austritt", "reason": "Kündigung erst zum Jahresende", "effective": "2023-12-31"}),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::CREATED);
    let seq = moved.json::<Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let participations = json_of(
        &system,
        &format!("/api/v1/services/{SERVICE}/participations?min_seq={seq}"),
    )
    .await;
    let thueringen: Vec<(&str, &str)> = participations["participations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["land"] == "16")
        .map(|p| (p["joined"].as_str().unwrap(), p["left"].as_str().unwrap()))
        .collect();
    assert_eq!(thueringen.len(), 1, "{participations}");
    assert_eq!(thueringen[0].1, "2023-12-31");
    let view = json_of(
        &system,
        &format!("/api/v1/services/{SERVICE}/costs/2023?min_seq={seq}"),
    )
    .await;
    let corrections: Vec<&str> = view["closing"]["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        corrections,
        [
            "Austritt von Thüringen wirksam ab 01.10.2023",
            "Austritt von Thüringen wirksam ab 31.12.2023 (bisher wirksam ab 01.10.2023)"
        ]
    );
    // The closing as CSV, what the lead Land bills from: per Land the
    // settled share, the share now and the Nachtrag, as the view has them.
    let csv = get(
        &system,
        &format!("/api/v1/services/{SERVICE}/costs/2023?format=csv&table=closing&min_seq={seq}"),
    )
    .await
    .text()
    .await
    .unwrap();
    let csv_cents = |cell: &str| -> i64 {
        let (euros, cents) = cell.split_once(',').unwrap();
        let sign = if euros.starts_with('-') { -1 } else { 1 };
        sign * (euros.trim_start_matches('-').parse::<i64>().unwrap() * 100
            + cents.parse::<i64>().unwrap())
    };
    let mut supplements_sum = 0;
    for share in view["split"]["shares"].as_array().unwrap() {
        let land = share["land"].as_str().unwrap();
        let row = csv
            .lines()
            .find(|row| {
                row.trim_start_matches('\u{feff}')
                    .starts_with(&format!("{land};"))
            })
            .unwrap_or_else(|| panic!("{land} in {csv}"));
        let fields: Vec<&str> = row.split(';').collect();
        let was = settled
            .iter()
            .find(|(l, _)| l == land)
            .map_or(0, |(_, c)| *c);
        assert_eq!(csv_cents(fields[2]), was, "{row}");
        assert_eq!(csv_cents(fields[3]), cents(&share["amount"]), "{row}");
        assert_eq!(csv_cents(fields[4]), cents(&share["amount"]) - was, "{row}");
        supplements_sum += csv_cents(fields[4]);
    }
    assert_eq!(supplements_sum, 0, "only who pays changed: {csv}");
    assert!(csv.lines().any(|row| row.starts_with(";Summe;")), "{csv}");

    // Moved to the day it has: refused, nothing recorded.
    let again = post(
        &system,
        &admin,
        "move-th-again",
        &format!("/api/v1/services/{SERVICE}/participation-corrections"),
        json!({"land": "16", "change": "austritt", "reason": "noch einmal", "effective": "2023-12-31"}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(again).await, "already-exists");
    system.stop().await;
}

#[tokio::test]
async fn the_etag_of_a_service_is_the_version_if_match_checks() {
    let system = System::start_with_demo().await;
    let bremen = system.demo["land:04"].clone();
    let head = system.ledger_head().await;
    // Bremen's service with joins: its stream has moved past the announcement.
    let path = format!("/api/v1/services/unterhaltsvorschuss-online?min_seq={head}");
    let response = get(&system, &path).await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let service: Value = response.json().await.unwrap();
    assert_ne!(etag, "\"1\"");
    let mut details = json!({"title": service["title"], "themenfeld": service["themenfeld"],
        "provider": service["provider"], "channel": service["channel"],
        "cost_model": service["cost_model"]});
    details["title"] = json!("Unterhaltsvorschuss online (neu)");
    let put = system
        .http
        .put(format!(
            "{}/api/v1/services/unterhaltsvorschuss-online",
            system.base
        ))
        .bearer_auth(&bremen)
        .header("Idempotency-Key", "etag-1")
        .header("If-Match", &etag)
        .json(&details)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());
    system.stop().await;
}

#[tokio::test]
async fn a_service_announced_ahead_has_its_detail_page_already() {
    let system = System::start_with_demo().await;
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    let ahead = efa_proto::Date::try_from(i32::try_from(days).unwrap() + 30).unwrap();
    let body = json!({"id": "bremer-kuenftige-leistung", "title": "Künftige Leistung",
        "lead": "04", "themenfeld": "Familie & Kind", "provider": "Dataport",
        "channel": "efa-marktplatz", "cost_model": {"kind": "equal-shares"},
        "effective": ahead.to_string()});
    let response = system
        .announce(&system.bremen, "ahead-1", &body.to_string())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let seq = response.json::<Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let path = format!("/api/v1/services/bremer-kuenftige-leistung/detail?min_seq={seq}");
    let detail = json_of(&system, &path).await;
    let text = detail.to_string();
    assert!(text.contains("\"bremer-kuenftige-leistung\""), "{text}");
    assert!(
        text.contains(&format!("\"announced_on\":\"{ahead}\"")),
        "{text}"
    );
    // Asked for a day before the announcement, it did not exist yet.
    let before = get(&system, &format!("{path}&as_of=2020-01-01")).await;
    assert_eq!(before.status(), StatusCode::NOT_FOUND);
    system.stop().await;
}

/// A municipality live with a service merges into another: the adoption
/// counts for the successor, whose Land ends it with the predecessor's
/// AGS; the successor then no longer counts as live.
#[tokio::test]
async fn an_adoption_merged_into_a_successor_can_be_withdrawn() {
    let system = System::start_with_demo().await;
    let admin = system.demo["admin"].clone();
    let thueringen = system.demo["land:16"].clone();
    let service = SERVICE;
    for (ags, name) in [("16051901", "Testort Alt"), ("16051902", "Testort Neu")] {
        let body = json!({"ags": ags, "name": name, "effective": "2024-01-01"});
        let response = post(
            &system,
            &admin,
            &format!("register-{ags}"),
            "/api/v1/gemeinden",
            body,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let request = json!({"service": service, "ags": "16051901", "effective": "2025-01-01"});
    let response = post(
        &system,
        &thueringen,
        "request-alt",
        "/api/v1/adoptions",
        request,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let live = json!({"stage": "live", "effective": "2025-02-01"});
    let path = format!("/api/v1/adoptions/{service}/16051901/steps");
    let response = post(&system, &thueringen, "live-alt", &path, live).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let merger = json!({"successor": "16051902", "effective": "2025-06-01"});
    let response = post(
        &system,
        &admin,
        "merge-alt",
        "/api/v1/gemeinden/16051901/merger",
        merger,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let seq = response.json::<Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let stage_of_neu = |rollout: &Value| {
        rollout["municipalities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["ags"] == "16051902")
            .map(|m| m["stage"].as_str().unwrap().to_owned())
    };
    let rollout_path = |seq: u64| {
        format!("/api/v1/lands/16/rollout?kreis=16051&service={service}&limit=1000&min_seq={seq}")
    };
    let rollout = json_of(&system, &rollout_path(seq)).await;
    assert_eq!(stage_of_neu(&rollout).as_deref(), Some("live"), "{rollout}");

    // The successor itself has nothing of its own to withdraw; the
    // adoption merged into it is withdrawn under its old AGS.
    let withdrawal = json!({"effective": "2025-07-01"});
    let path = format!("/api/v1/adoptions/{service}/16051901/withdrawal");
    let response = post(&system, &thueringen, "withdraw-alt", &path, withdrawal).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let seq = response.json::<Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let rollout = json_of(&system, &rollout_path(seq)).await;
    assert_eq!(
        stage_of_neu(&rollout).as_deref(),
        Some("withdrawn"),
        "{rollout}"
    );
    system.stop().await;
}

/// The second time axis: a statement names its ledger sequence, and asked
/// for again with it (and its day) it is that statement, to the byte in
/// JSON and CSV, after a correction recorded since changed the year
/// retroactively; the same for the service's costs of the year, and on
/// the statement's page. A sequence the ledger has not reached is
/// refused, naming the parameter.
#[tokio::test]
async fn a_statement_asked_for_with_its_sequence_is_that_statement_again() {
    let system = System::start_with_demo().await;
    let admin = system.demo["admin"].clone();
    let head = system.ledger_head().await;
    let statement = format!("/api/v1/lands/16/statements/2024?min_seq={head}");
    let before = json_of(&system, &statement).await;
    let (seq, as_of) = (before["seq"].as_u64().unwrap(), before["as_of"].clone());
    let as_of = as_of.as_str().unwrap();
    let before_csv = get(&system, &format!("{statement}&format=csv"))
        .await
        .bytes()
        .await
        .unwrap();
    let cost_year = format!("/api/v1/services/{SERVICE}/costs/2024");
    let split_before =
        json_of(&system, &format!("{cost_year}?min_seq={head}")).await["split"].clone();

    // Thüringen's Austritt in the middle of 2024, recorded now.
    let corrected = post(
        &system,
        &admin,
        "austritt-2024",
        &format!("/api/v1/services/{SERVICE}/participation-corrections"),
        json!({"land": "16", "change": "austritt", "reason": "Austritt laut Vertrag", "effective": "2024-07-01"}),
    )
    .await;
    assert_eq!(corrected.status(), StatusCode::CREATED);
    let corrected: Value = corrected.json().await.unwrap();
    let now_seq = corrected["seq"].as_u64().unwrap();
    let now = json_of(
        &system,
        &format!("/api/v1/lands/16/statements/2024?min_seq={now_seq}&as_of={as_of}"),
    )
    .await;
    assert!(
        cents(&now["total"]) < cents(&before["total"]),
        "the Austritt lowers Thüringen's share: {now} against {before}"
    );

    let again_path = format!("/api/v1/lands/16/statements/2024?as_of={as_of}&known_at_seq={seq}");
    assert_eq!(json_of(&system, &again_path).await, before);
    let again_csv = get(&system, &format!("{again_path}&format=csv")).await;
    // Named apart from the same statement as recorded now.
    assert_eq!(
        again_csv.headers()["content-disposition"],
        format!(
            "attachment; filename=\"kostenaufstellung-16-2024-stand-{as_of}-bis-sequenz-{seq}.csv\""
        )
    );
    assert_eq!(again_csv.bytes().await.unwrap(), before_csv);
    // The Land's cost list is read from the same statement.
    let costs_then = json_of(
        &system,
        &format!("/api/v1/lands/16/costs/2024?as_of={as_of}&known_at_seq={seq}"),
    )
    .await;
    assert_eq!(costs_then["total"], before["total"]);
    assert_eq!(costs_then["seq"], seq);
    assert_eq!(costs_then["chain_hash"], before["chain_hash"]);
    let split_again = json_of(
        &system,
        &format!("{cost_year}?as_of={as_of}&known_at_seq={seq}"),
    )
    .await["split"]
        .clone();
    assert_eq!(split_again, split_before);
    let split_now =
        json_of(&system, &format!("{cost_year}?min_seq={now_seq}")).await["split"].clone();
    assert_ne!(split_now, split_before);

    // The page shows it as recorded then, and says so.
    let page = get(
        &system,
        &format!("/laender/16/kostenaufstellung?jahr=2024&stichtag={as_of}&bis_sequenz={seq}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        page.contains(&format!(r#"<span id="sequenz">{seq}</span>"#)),
        "{page}"
    );
    assert!(page.contains("erfasst war"), "{page}");
    // Without a Stand asked for, the form keeps the statement's, so that
    // the pair shows the same statement again on another day.
    let page_today = get(
        &system,
        &format!("/laender/16/kostenaufstellung?jahr=2024&bis_sequenz={seq}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        page_today.contains(&format!(r#"name="stichtag" value="{as_of}""#)),
        "{page_today}"
    );
    assert!(
        page.contains(&format!(
            r#"data-feld="summe" data-cent="{}""#,
            cents(&before["total"])
        )),
        "{page}"
    );
    // And what was recorded since, against the same statement today.
    let difference = cents(&now["total"]) - cents(&before["total"]);
    assert!(page.contains(r#"<section id="seither""#), "{page}");
    let audit = format!("/audit?leistung={SERVICE}&amp;ab={}", seq + 1);
    assert!(
        page.contains(&audit),
        "the change leads to its events: {page}"
    );
    let events = get(&system, &audit.replace("&amp;", "&"))
        .await
        .text()
        .await
        .unwrap();
    assert!(events.contains("Austritt laut Vertrag"), "{events}");
    assert!(
        page.contains(&format!(
            r#"data-feld="unterschied-summe" data-cent="{difference}""#
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            r#"data-feld="unterschied" data-cent="{difference}""#
        )),
        "one service changed: {page}"
    );

    // The same comparison through the API, as JSON and CSV.
    let changes = json_of(
        &system,
        &format!("/api/v1/lands/16/statements/2024/changes?since_seq={seq}&as_of={as_of}&min_seq={now_seq}"),
    )
    .await;
    assert_eq!(changes["since_seq"], seq);
    assert_eq!(changes["seq"], now_seq);
    assert_eq!(changes["total_then"], before["total_with_supplements"]);
    assert_eq!(changes["total_now"], now["total_with_supplements"]);
    assert_eq!(cents(&changes["difference"]), difference);
    let listed = changes["changes"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{changes}");
    assert_eq!(listed[0]["service"], SERVICE);
    assert_eq!(cents(&listed[0]["difference"]), difference);
    let csv = get(
        &system,
        &format!(
            "/api/v1/lands/16/statements/2024/changes?since_seq={seq}&as_of={as_of}&format=csv"
        ),
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains(&format!("\r\n{SERVICE};")), "{csv}");
    assert!(csv.contains(";Summe mit Nachträgen;"), "{csv}");
    let missing = get(&system, "/api/v1/lands/16/statements/2024/changes").await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let far = get(
        &system,
        &format!(
            "/api/v1/lands/16/statements/2024/changes?since_seq={}",
            now_seq + 1000
        ),
    )
    .await;
    assert_eq!(far.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = far.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("since_seq"),
        "{problem}"
    );

    // Beyond the ledger's head, and sequence 0.
    let beyond = now_seq + 1000;
    let refused = get(
        &system,
        &format!("/api/v1/lands/16/statements/2024?known_at_seq={beyond}"),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("known_at_seq"),
        "{problem}"
    );
    let zero = get(&system, &format!("{cost_year}?known_at_seq=0")).await;
    assert_eq!(zero.status(), StatusCode::BAD_REQUEST);
    let page = get(
        &system,
        &format!("/laender/16/kostenaufstellung?jahr=2024&bis_sequenz={beyond}"),
    )
    .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Erfasst bis Ledger-Sequenz")
    );
}
