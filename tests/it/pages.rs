//! No answer is too large to send: a history whose lists each take more
//! than one NATS message (1 MiB) encoded, read over HTTP from the real
//! gateway, ledger and projector. The JSON lists come a page at a time
//! (all services, a Land's page, its rollout and stalled adoptions, a
//! municipality's page) and their `next` links lead through all of them; the CSV exports come
//! whole, streamed page after page; the web pages offer the next page;
//! and the unpaged query is refused with a typed answer, not a timeout.

use std::time::Duration;

use efa_proto::{
    Actor, Ags, Channel, Command, CommandEnvelope, CommandId, CommandReply, CostModel, Date,
    LandCode, Query, QueryKind, QueryReply, Reifegrad, Rejection, ServiceId, ServiceStatus,
    subjects,
};
use futures::StreamExt;
use serde_json::Value;

use crate::system::System;

/// Services, municipalities and services each adopts: every list below
/// takes more than 1 MiB encoded (the catalogue about 2.4 MB, the
/// rollout and stalled lists about 1.2 MB each, the services one
/// municipality could adopt about 1.2 MB).
const SERVICES: usize = 3_200;
const GEMEINDEN: usize = 45;
const ADOPTED: usize = 100;
/// Commands in flight while the history is written.
const IN_FLIGHT: usize = 64;

fn thueringen() -> LandCode {
    LandCode::new(16).unwrap()
}

/// A service id of 64 characters.
fn service(n: usize) -> ServiceId {
    ServiceId::parse(&format!("leistung-{n:05}-{}", "a".repeat(48))).unwrap()
}

fn gemeinde(n: usize) -> Ags {
    Ags::parse(&format!("16{:06}", 51_000 + n)).unwrap()
}

fn envelope(n: usize, actor: Actor, command: Command) -> CommandEnvelope {
    CommandEnvelope {
        command_id: CommandId::parse(&format!("{n:032x}")).unwrap(),
        actor,
        expected_version: None,
        effective: Some(Date::parse("2020-01-02").unwrap()),
        command,
    }
}

/// Every command of the history, in an order the domain accepts.
fn history() -> Vec<Vec<CommandEnvelope>> {
    let mut n = 1 << 40;
    let mut next = || {
        n += 1;
        n
    };
    let services = (0..SERVICES)
        .map(|i| {
            let command = Command::AnnounceService(efa_proto::AnnounceService {
                service: service(i),
                title: format!("Leistung {i:05} {}", "T".repeat(285)),
                lead: thueringen(),
                ozg_id: None,
                leika: Vec::new(),
                themenfeld: "F".repeat(200),
                provider: "P".repeat(200),
                channel: Channel::FitStore,
                cost_model: CostModel::EqualShares,
                status: ServiceStatus::Available,
                reifegrad: Reifegrad::new(3).unwrap(),
            });
            envelope(next(), Actor::Land(thueringen()), command)
        })
        .collect();
    let gemeinden = (0..GEMEINDEN)
        .map(|g| {
            let command = Command::RegisterGemeinde(efa_proto::RegisterGemeinde {
                ags: gemeinde(g),
                name: format!("Gemeinde {g:02} {}", "N".repeat(185)),
                population: None,
            });
            envelope(next(), Actor::Admin, command)
        })
        .collect();
    let adoptions = (0..GEMEINDEN)
        .flat_map(|g| (0..ADOPTED).map(move |s| (g, s)))
        .map(|(g, s)| {
            let command = Command::RequestAdoption(efa_proto::RequestAdoption {
                service: service(s),
                ags: gemeinde(g),
                note: String::new(),
            });
            envelope(next(), Actor::Land(thueringen()), command)
        })
        .collect();
    vec![services, gemeinden, adoptions]
}

/// Writes the history through the real ledger; the last sequence.
async fn write_history(system: &System) -> u64 {
    let mut last = 0;
    for batch in history() {
        let replies: Vec<CommandReply> = futures::stream::iter(batch)
            .map(|envelope| async move {
                efa_runtime::request(
                    &system.client,
                    subjects::COMMAND,
                    &system.sign(&envelope),
                    Duration::from_secs(30),
                )
                .await
                .unwrap()
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        for reply in replies {
            match reply {
                CommandReply::Accepted(accepted) => last = last.max(accepted.last_seq),
                CommandReply::Rejected(rejection) => panic!("{rejection}"),
            }
        }
    }
    last
}

async fn get(system: &System, path: &str) -> reqwest::Response {
    system
        .http
        .get(format!("{}{path}", system.base))
        .send()
        .await
        .unwrap()
}

async fn json(system: &System, path: &str) -> Value {
    let response = get(system, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Waits (bounded) until the views have applied `seq`.
async fn projected(system: &System, seq: u64) {
    for _ in 0..600 {
        let page = json(system, "/api/v1/services?limit=1").await;
        if page["as_of_seq"].as_u64() >= Some(seq) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the views did not reach sequence {seq}");
}

/// Follows the `next` links from `path`; every page's items under
/// `field`, and how many pages there were.
async fn all_pages(system: &System, path: &str, field: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages) = (Vec::new(), 0);
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        pages += 1;
        assert!(pages < 1_000, "the pages of {path} do not end");
        let page = json(system, &path).await;
        items.extend(page[field].as_array().unwrap().iter().cloned());
        next = page["next"].as_str().map(str::to_owned);
    }
    (items, pages)
}

/// The CSV body, whole: its data rows (without the header) and its size.
async fn csv_rows(system: &System, path: &str) -> (usize, usize) {
    let response = get(system, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = response.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'), "{path}: the BOM comes first");
    (body.matches("\r\n").count() - 1, body.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_larger_than_one_message_are_paged_and_exported_whole() {
    let system = System::start().await;
    let head = write_history(&system).await;
    projected(&system, head).await;

    // The unpaged catalogue does not fit: a typed refusal, at once.
    let unpaged: QueryReply = efa_runtime::request(
        &system.client,
        subjects::QUERY,
        &Query {
            min_seq: 0,
            kind: QueryKind::Catalogue,
        },
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            unpaged,
            QueryReply::Rejected(Rejection::AnswerTooLarge { bytes, max }) if bytes > max
        ),
        "{unpaged:?}"
    );

    // All services, by id, a page at a time.
    let (services, pages) = all_pages(&system, "/api/v1/services", "services").await;
    assert!(pages > 1, "one page of {} services", services.len());
    let ids: Vec<&str> = services.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let expected: Vec<ServiceId> = (0..SERVICES).map(service).collect();
    let expected: Vec<&str> = expected.iter().map(ServiceId::as_str).collect();
    assert_eq!(ids, expected);
    let (rows, bytes) = csv_rows(&system, "/api/v1/services?format=csv").await;
    assert_eq!(rows, SERVICES);
    assert!(bytes > 1 << 20, "the export takes {bytes} bytes");

    // Thüringen's rollout: one row per municipality and service.
    let (rows, pages) = all_pages(&system, "/api/v1/lands/16/rollout", "municipalities").await;
    assert_eq!((rows.len(), pages > 1), (GEMEINDEN * ADOPTED, true));
    let (rows, _) = csv_rows(&system, "/api/v1/lands/16/rollout?format=csv").await;
    assert_eq!(rows, GEMEINDEN * ADOPTED);
    let (rows, _) = csv_rows(&system, "/api/v1/lands/16/rollout?format=csv&table=kreise").await;
    assert_eq!(rows, ADOPTED, "one Kreis, each service");

    // Every adoption has stood still since 2020.
    let (stalled, pages) = all_pages(&system, "/api/v1/lands/16/stalled", "stalled").await;
    assert_eq!((stalled.len(), pages > 1), (GEMEINDEN * ADOPTED, true));
    let (rows, _) = csv_rows(&system, "/api/v1/lands/16/stalled?format=csv").await;
    assert_eq!(rows, GEMEINDEN * ADOPTED);

    // One municipality: its adoptions and every service it could adopt.
    let path = format!("/api/v1/gemeinden/{}", gemeinde(0));
    let (available, pages) = all_pages(&system, &path, "available").await;
    assert_eq!((available.len(), pages > 1), (SERVICES, true));
    let first = json(&system, &path).await;
    assert_eq!(first["adoptions_total"], ADOPTED);
    let (rows, _) = csv_rows(&system, &format!("{path}?format=csv")).await;
    assert_eq!(rows, ADOPTED);

    // The Land leads every service.
    let (leads, pages) = all_pages(&system, "/api/v1/lands/16", "leads").await;
    assert_eq!((leads.len(), pages > 1), (SERVICES, true));

    // The web pages show a page and link to the next.
    for page in [
        "/laender/16".to_owned(),
        "/rollout?land=16".to_owned(),
        format!("/kommune?ags={}", gemeinde(0)),
    ] {
        let response = get(&system, &page).await;
        assert_eq!(response.status(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(html.contains("rel=\"next\">Nächste Seite</a>"), "{page}");
    }
    let html = get(&system, "/rollout?land=16&seite=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("rel=\"prev\">Vorherige Seite</a>"));
    system.stop().await;
}
