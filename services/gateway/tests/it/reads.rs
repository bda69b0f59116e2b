//! Every read route against a stand-in projector: the query the gateway
//! asks (min_seq, as_of, filters, defaults), the JSON it answers (checked
//! against the OpenAPI document too), 404 for an absent subject and 400
//! naming a bad parameter.

use efa_proto::pages::{
    GemeindePage, LandCostsPage, LandPage, Page, ReusePage, RolloutPage, ServicesPage, StalledPage,
};
use efa_proto::views::{CatalogueFilter, CatalogueSort, HistorySubject, RolloutScope};
use efa_proto::{
    Ags, CatalogueView, Channel, KreisKey, Query, QueryKind, QueryReply, Reifegrad, ServiceStatus,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::harness::{Harness, land, next, problem};
use crate::samples::{self, date, id};
use crate::schema::check_answer;

/// The stand-in projector's answers: the samples, and nothing for any
/// service but `wohngeld` or any municipality but Erfurt.
pub fn answer(kind: QueryKind) -> QueryReply {
    let known = |service: &efa_proto::ServiceId| *service == id();
    match kind {
        QueryKind::Catalogue => QueryReply::Catalogue(CatalogueView {
            services: vec![samples::service_view()],
            as_of_seq: 9,
        }),
        QueryKind::Service(s) => QueryReply::Service(known(&s).then(samples::service_view)),
        QueryKind::Catalogue2 { .. } => QueryReply::Catalogue2(samples::catalogue_page()),
        QueryKind::ServiceDetail { service, .. } => {
            QueryReply::ServiceDetail(known(&service).then(samples::service_detail))
        }
        QueryKind::Land { .. } => QueryReply::Land(samples::land_view()),
        QueryKind::Reuse { .. } => QueryReply::Reuse(samples::reuse()),
        QueryKind::CostSharing { service, .. } => {
            QueryReply::CostSharing(known(&service).then(samples::cost_sharing))
        }
        QueryKind::CostYear { service, .. } => {
            QueryReply::CostYear(known(&service).then(|| Box::new(samples::cost_year())))
        }
        QueryKind::Statement { .. } => QueryReply::Statement(samples::statement()),
        QueryKind::LandCosts { .. } => QueryReply::LandCosts(samples::land_costs()),
        QueryKind::Rollout(_) => QueryReply::Rollout(samples::rollout().into_v1()),
        QueryKind::Stalled { .. } => QueryReply::Stalled(samples::stalled().into_v1()),
        QueryKind::Funnel { service, .. } => {
            QueryReply::Funnel(known(&service).then(samples::funnel))
        }
        QueryKind::History {
            subject, from_seq, ..
        } => {
            // The sample's entries from `from_seq` on; none beyond them.
            let mut history = samples::history(subject);
            history.entries.retain(|entry| entry.seq >= from_seq);
            history.more &= !history.entries.is_empty();
            QueryReply::History(history)
        }
        QueryKind::Gemeinde { ags, .. } => QueryReply::Gemeinde(
            (ags == Ags::parse("16051000").unwrap()).then(|| samples::gemeinde().to_v1()),
        ),
        paged => paged_answer(paged),
    }
}

/// The paged queries: the samples as one page each (the last).
fn paged_answer(kind: QueryKind) -> QueryReply {
    let len = |n: usize| u32::try_from(n).unwrap();
    match kind {
        QueryKind::Services { .. } => QueryReply::Services(ServicesPage {
            services: vec![samples::service_view()],
            next_after: None,
            total: 1,
            as_of_seq: 9,
        }),
        QueryKind::Rollout3 { .. } => {
            let view = samples::rollout();
            QueryReply::Rollout3(RolloutPage {
                kreise_total: len(view.kreise.len()),
                municipalities_total: len(view.municipalities.len()),
                scope: view.scope,
                as_of: view.as_of,
                kreise: view.kreise,
                municipalities: view.municipalities,
                land_participates: view.land_participates,
                next_offset: None,
            })
        }
        QueryKind::Stalled4 { .. } => {
            let view = samples::stalled();
            QueryReply::Stalled4(StalledPage {
                total: len(view.stalled.len()),
                land: view.land,
                days_min: view.days_min,
                as_of: view.as_of,
                stalled: view.stalled,
                next_offset: None,
            })
        }
        QueryKind::Gemeinde3 { ags, .. } => {
            QueryReply::Gemeinde3((ags == Ags::parse("16051000").unwrap()).then(|| {
                let view = samples::gemeinde();
                GemeindePage {
                    adoptions_total: len(view.adoptions.len()),
                    available_total: len(view.available.len()),
                    ags: view.ags,
                    name: view.name,
                    population: view.population,
                    status_de: view.status_de,
                    adoptions: view.adoptions,
                    available: view.available,
                    as_of: view.as_of,
                    next_offset: None,
                    beneath: view.beneath,
                }
            }))
        }
        QueryKind::Land2 { .. } => {
            let view = samples::land_view();
            QueryReply::Land2(LandPage {
                leads_total: len(view.leads.len()),
                joined_total: len(view.joined.len()),
                land: view.land,
                leads: view.leads,
                joined: view.joined,
                municipalities_registered: view.municipalities_registered,
                municipalities_live_any: view.municipalities_live_any,
                as_of: view.as_of,
                next_offset: None,
            })
        }
        QueryKind::LandCosts2 { .. } => {
            let view = samples::land_costs();
            QueryReply::LandCosts2(LandCostsPage {
                lines_total: len(view.lines.len()),
                land: view.land,
                year: view.year,
                lines: view.lines,
                total: view.total,
                next_offset: None,
            })
        }
        QueryKind::Gemeinden { land, as_of, .. } => {
            QueryReply::Gemeinden(efa_proto::pages::GemeindenPage {
                land,
                as_of: as_of.unwrap_or(date("2024-06-30")),
                gemeinden: vec![
                    efa_proto::views::GemeindeEntry {
                        ags: Ags::parse("16051000").unwrap(),
                        name: "Erfurt".into(),
                        population: Some(213_699),
                        status_de: "aktiv".into(),
                    },
                    efa_proto::views::GemeindeEntry {
                        ags: Ags::parse("16071001").unwrap(),
                        name: "Altdorf".into(),
                        population: None,
                        status_de: "aufgegangen in 16051000".into(),
                    },
                ],
                total: 2,
                next_offset: None,
            })
        }
        QueryKind::LandFunnels {
            land, as_of, order, ..
        } => QueryReply::LandFunnels(efa_proto::pages::LandFunnelsPage {
            land,
            as_of: as_of.unwrap_or(date("2024-06-30")),
            order,
            funnels: vec![samples::funnel()],
            total: 1,
            next_offset: None,
        }),
        QueryKind::NotAdopted {
            land,
            service,
            as_of,
            ..
        } => QueryReply::NotAdopted(efa_proto::pages::NotAdoptedPage {
            land,
            service,
            as_of: as_of.unwrap_or(date("2024-06-30")),
            gemeinden: vec![
                efa_proto::views::NotAdoptedEntry {
                    ags: Ags::parse("16051000").unwrap(),
                    name: "Erfurt".into(),
                    kreis_name: "Erfurt".into(),
                    population: Some(213_699),
                    withdrawn_on: Some(date("2024-05-02")),
                },
                efa_proto::views::NotAdoptedEntry {
                    ags: Ags::parse("16071001").unwrap(),
                    name: "Altdorf".into(),
                    kreis_name: "16071".into(),
                    population: None,
                    withdrawn_on: None,
                },
            ],
            total: 2,
            population: 213_699,
            next_offset: None,
        }),
        QueryKind::Reuse2 { .. } => {
            let view = samples::reuse();
            QueryReply::Reuse2(ReusePage {
                lead_only_total: len(view.lead_only.len()),
                services: view.services,
                participations: view.participations,
                lead_only: view.lead_only,
                per_land: view.per_land,
                as_of: view.as_of,
                next_offset: None,
            })
        }
        other => panic!("no sample answer for {other:?}"),
    }
}

/// A harness with the stand-in projector.
pub async fn with_projector() -> (Harness, UnboundedReceiver<Query>) {
    let harness = Harness::start().await;
    let queries = harness.projector(answer).await;
    (harness, queries)
}

/// Every read route with a concrete path, and its template.
pub const READS: [(&str, &str); 21] = [
    ("/api/v1/services", "/api/v1/services"),
    ("/api/v1/catalogue", "/api/v1/catalogue"),
    ("/api/v1/services/wohngeld", "/api/v1/services/{id}"),
    (
        "/api/v1/services/wohngeld/detail",
        "/api/v1/services/{id}/detail",
    ),
    (
        "/api/v1/services/wohngeld/participations",
        "/api/v1/services/{id}/participations",
    ),
    (
        "/api/v1/services/wohngeld/costs/2023",
        "/api/v1/services/{id}/costs/{year}",
    ),
    (
        "/api/v1/services/wohngeld/funnel",
        "/api/v1/services/{id}/funnel",
    ),
    (
        "/api/v1/services/wohngeld/history",
        "/api/v1/services/{id}/history",
    ),
    ("/api/v1/lands/16", "/api/v1/lands/{land}"),
    (
        "/api/v1/lands/01/costs/2023",
        "/api/v1/lands/{land}/costs/{year}",
    ),
    ("/api/v1/lands/16/rollout", "/api/v1/lands/{land}/rollout"),
    ("/api/v1/lands/16/stalled", "/api/v1/lands/{land}/stalled"),
    (
        "/api/v1/lands/16/gemeinden",
        "/api/v1/lands/{land}/gemeinden",
    ),
    ("/api/v1/lands/16/funnels", "/api/v1/lands/{land}/funnels"),
    (
        "/api/v1/lands/16/not-adopted/wohngeld",
        "/api/v1/lands/{land}/not-adopted/{service}",
    ),
    ("/api/v1/reuse", "/api/v1/reuse"),
    ("/api/v1/gemeinden/16051000", "/api/v1/gemeinden/{ags}"),
    ("/api/v1/history", "/api/v1/history"),
    ("/api/v1/history?gemeinde=16051000", "/api/v1/history"),
    ("/api/v1/catalogue?sort=live&limit=1", "/api/v1/catalogue"),
    ("/api/v1/openapi.json", "/api/v1/openapi.json"),
];

#[tokio::test]
async fn every_view_answers_json_that_fits_the_document() {
    let (harness, _queries) = with_projector().await;
    let document = efa_gateway::openapi_document();
    for (path, template) in READS {
        let body = harness.get_json(path).await;
        check_answer(&document, template, &body);
    }
}

#[tokio::test]
async fn the_catalogue_passes_every_filter_on() {
    let (harness, mut queries) = with_projector().await;
    let path = "/api/v1/catalogue?land=16&themenfeld=Familie&status=in-development&reifegrad=3\
        &channel=fit-store&q=%20Wohn%20&sort=reuse&offset=10&limit=20&as_of=2024-01-01&min_seq=5";
    let body = harness.get_json(path).await;
    let query = next(&mut queries).await;
    assert_eq!(query.min_seq, 5);
    let filter = CatalogueFilter {
        land: Some(land(16)),
        themenfeld: Some("Familie".into()),
        status: Some(ServiceStatus::InDevelopment),
        reifegrad: Some(Reifegrad::new(3).unwrap()),
        channel: Some(Channel::FitStore),
        text: Some("Wohn".into()),
        sort: CatalogueSort::Reuse,
        offset: 10,
        limit: 20,
    };
    let as_of = Some(date("2024-01-01"));
    assert_eq!(query.kind, QueryKind::Catalogue2 { filter, as_of });
    assert_eq!(
        (&body["as_of"], &body["as_of_seq"], &body["total"]),
        (&json!("2024-06-30"), &json!(99), &json!(41))
    );
    let service = &body["services"][0];
    assert_eq!(service["id"], "wohngeld");
    assert_eq!(service["lead_name"], "Thüringen");
    assert_eq!(service["lands"], json!(["01", "16"]));
    let stages = json!({"requested": 3, "agreed": 2, "onboarding": 1, "live": 7, "withdrawn": 1});
    assert_eq!(service["adoptions"], stages);

    harness.get_json("/api/v1/catalogue").await;
    let defaults = CatalogueFilter {
        limit: 100,
        ..CatalogueFilter::default()
    };
    let plain = QueryKind::Catalogue2 {
        filter: defaults,
        as_of: None,
    };
    assert_eq!(next(&mut queries).await.kind, plain);
}

/// The catalogue is paged like the other lists: `next` and a `Link`
/// header (as JSON and as CSV) while matching services are left.
#[tokio::test]
async fn the_catalogue_links_to_its_next_page() {
    let (harness, _queries) = with_projector().await;
    // The sample page: one service of 41 matching.
    let expected = "/api/v1/catalogue?limit=4&offset=1";
    let response = harness.get("/api/v1/catalogue?limit=4").await;
    assert_eq!(
        response.headers()["link"],
        format!("<{expected}>; rel=\"next\"").as_str()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["next"], expected);
    let csv = harness.get("/api/v1/catalogue?limit=4&format=csv").await;
    assert_eq!(
        csv.headers()["link"],
        "</api/v1/catalogue?limit=4&format=csv&offset=1>; rel=\"next\""
    );
    let last = harness.get("/api/v1/catalogue?offset=40").await;
    assert!(last.headers().get("link").is_none());
    assert_eq!(last.json::<Value>().await.unwrap()["next"], Value::Null);
}

/// A value of the right form but out of range is told its range, not a
/// format it already has: a date before 1900, an AGS or Kreis key whose
/// Land part is no Land.
#[tokio::test]
async fn values_of_the_right_form_are_told_their_range() {
    let (harness, _queries) = with_projector().await;
    let detail = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        body["detail"].as_str().unwrap().to_owned()
    };
    let date = detail(harness.get("/api/v1/catalogue?as_of=1800-01-01").await).await;
    assert!(date.contains("Jahre 1900 bis 2200"), "{date}");
    assert!(!date.contains("JJJJ-MM-TT"), "{date}");
    let format = detail(harness.get("/api/v1/catalogue?as_of=2024-02-30").await).await;
    assert!(format.contains("JJJJ-MM-TT"), "{format}");
    let ags = detail(harness.get("/api/v1/gemeinden/99999999").await).await;
    assert!(ags.contains("„99“, das ist kein Ländercode"), "{ags}");
    assert!(!ags.contains("8 Ziffern"), "{ags}");
    let short = detail(harness.get("/api/v1/gemeinden/9999").await).await;
    assert!(short.contains("8 Ziffern"), "{short}");
    let kreis = detail(harness.get("/api/v1/lands/16/rollout?kreis=99068").await).await;
    assert!(kreis.contains("„99“, das ist kein Ländercode"), "{kreis}");
}

#[tokio::test]
async fn the_plain_list_is_paged_by_id() {
    let (harness, mut queries) = with_projector().await;
    let body = harness.get_json("/api/v1/services?min_seq=3").await;
    assert_eq!(body["as_of_seq"], 9);
    assert_eq!(body["services"][0]["title"], "Wohngeld; \"digital\"");
    assert!(body["services"][0].get("lands").is_none());
    assert_eq!((&body["total"], &body["next"]), (&json!(1), &Value::Null));
    assert_eq!(
        next(&mut queries).await,
        Query {
            min_seq: 3,
            kind: QueryKind::Services {
                after: None,
                limit: 500
            }
        }
    );
    harness
        .get_json("/api/v1/services?cursor=wohngeld&limit=10")
        .await;
    let kind = QueryKind::Services {
        after: Some(id()),
        limit: 10,
    };
    assert_eq!(next(&mut queries).await.kind, kind);
}

#[tokio::test]
async fn cost_sharing_shows_exact_values_cents_and_euros() {
    let (harness, mut queries) = with_projector().await;
    let body = harness
        .get_json("/api/v1/services/wohngeld/costs/2023")
        .await;
    let kind = QueryKind::CostYear {
        service: id(),
        year: 2023,
        as_of: None,
    };
    assert_eq!(next(&mut queries).await.kind, kind);
    assert_eq!(body["model_in_force"]["key_year"], 2016);
    assert_eq!(body["seq"], 42);
    assert_eq!(body["chain_hash"], "ab".repeat(32));
    assert_eq!(body["closing"], json!(null));
    let split = &body["split"];
    assert_eq!(
        split["model"],
        json!({"kind": "koenigsteiner-schluessel", "year": 2016})
    );
    assert_eq!(
        split["total"],
        json!({"cents": 123_456, "euros": "1234.56"})
    );
    assert_eq!(split["unallocated"], json!({"cents": 1, "euros": "0.01"}));
    let share = &split["shares"][0];
    assert_eq!(share["land"], "01");
    assert_eq!(share["exact_cents"], "41858304/1000");
    assert_eq!(share["fraction"], "339074/2939074");
    assert_eq!(share["amount"], json!({"cents": 41_858, "euros": "418.58"}));
    assert_eq!(
        body["alternatives"][0]["model"],
        json!({"kind": "equal-shares"})
    );
    assert_eq!(body["costs"][0]["reported"]["euros"], "1200.00");

    // Today and as of a date: the lines of the Land's statement of that
    // day, each with its closing (none in the stand-in's open year).
    let body = harness.get_json("/api/v1/lands/01/costs/2023").await;
    let kind = QueryKind::Statement {
        land: land(1),
        year: 2023,
        as_of: None,
    };
    assert_eq!(next(&mut queries).await.kind, kind);
    assert_eq!(body["total"], json!({"cents": 41_858, "euros": "418.58"}));
    assert_eq!(body["lines"][0]["share"]["land_name"], "Schleswig-Holstein");
    assert_eq!(body["lines"][0]["closed"], json!(null));

    let body = harness
        .get_json("/api/v1/lands/01/costs/2023?as_of=2024-06-30")
        .await;
    let kind = QueryKind::Statement {
        land: land(1),
        year: 2023,
        as_of: Some(efa_proto::Date::parse("2024-06-30").unwrap()),
    };
    assert_eq!(next(&mut queries).await.kind, kind);
    assert_eq!(body["total"], json!({"cents": 41_858, "euros": "418.58"}));
    assert_eq!(body["lines_total"], 1);
    assert_eq!(body["next"], json!(null));
}

#[tokio::test]
async fn the_views_pass_their_parameters_on() {
    let (harness, mut queries) = with_projector().await;
    let cases = [
        (
            "/api/v1/services/wohngeld/detail?as_of=2024-02-29",
            QueryKind::ServiceDetail {
                service: id(),
                as_of: Some(date("2024-02-29")),
            },
        ),
        (
            "/api/v1/services/wohngeld/funnel?land=16&as_of=2024-01-01",
            QueryKind::Funnel {
                service: id(),
                land: Some(land(16)),
                as_of: Some(date("2024-01-01")),
            },
        ),
        (
            "/api/v1/services/wohngeld/history?from_seq=5&limit=10",
            QueryKind::History {
                subject: HistorySubject::Service(id()),
                from_seq: 5,
                limit: 10,
            },
        ),
        (
            "/api/v1/history",
            QueryKind::History {
                subject: HistorySubject::All,
                from_seq: 0,
                limit: 100,
            },
        ),
        (
            "/api/v1/history?gemeinde=16051000&limit=1000",
            QueryKind::History {
                subject: HistorySubject::Gemeinde(Ags::parse("16051000").unwrap()),
                from_seq: 0,
                limit: 1000,
            },
        ),
        (
            "/api/v1/lands/16?as_of=2024-06-30",
            QueryKind::Land2 {
                land: land(16),
                as_of: Some(date("2024-06-30")),
                page: Page {
                    offset: 0,
                    limit: 500,
                },
            },
        ),
        (
            "/api/v1/lands/16/rollout?kreis=16051&service=wohngeld&as_of=2024-06-30",
            QueryKind::Rollout3 {
                scope: RolloutScope {
                    land: land(16),
                    kreis: Some(KreisKey::parse("16051").unwrap()),
                    service: Some(id()),
                    as_of: Some(date("2024-06-30")),
                },
                page: Page {
                    offset: 0,
                    limit: 500,
                },
            },
        ),
        (
            "/api/v1/lands/16/stalled",
            QueryKind::Stalled4 {
                land: land(16),
                service: None,
                days_min: 90,
                as_of: None,
                page: Page {
                    offset: 0,
                    limit: 500,
                },
            },
        ),
        (
            "/api/v1/lands/16/stalled?days=30&service=wohngeld&as_of=2024-06-30&offset=40&limit=20",
            QueryKind::Stalled4 {
                land: land(16),
                service: Some(id()),
                days_min: 30,
                as_of: Some(date("2024-06-30")),
                page: Page {
                    offset: 40,
                    limit: 20,
                },
            },
        ),
        (
            "/api/v1/reuse?as_of=2024-06-30",
            QueryKind::Reuse2 {
                as_of: Some(date("2024-06-30")),
                page: Page {
                    offset: 0,
                    limit: 500,
                },
            },
        ),
        (
            "/api/v1/gemeinden/16051000?as_of=2024-06-30",
            QueryKind::Gemeinde3 {
                ags: Ags::parse("16051000").unwrap(),
                as_of: Some(date("2024-06-30")),
                page: Page {
                    offset: 0,
                    limit: 500,
                },
            },
        ),
        (
            "/api/v1/services/wohngeld/participations?as_of=2024-06-30",
            QueryKind::ServiceDetail {
                service: id(),
                as_of: Some(date("2024-06-30")),
            },
        ),
    ];
    for (path, kind) in cases {
        harness.get_json(path).await;
        let mut sent = next(&mut queries).await.kind;
        if matches!(sent, QueryKind::Service(_)) && !matches!(kind, QueryKind::Service(_)) {
            // A rollout of one service asks first whether it exists.
            sent = next(&mut queries).await.kind;
        }
        assert_eq!(sent, kind, "{path}");
    }
}

#[tokio::test]
async fn the_views_show_their_figures() {
    let (harness, _queries) = with_projector().await;
    let history = harness.get_json("/api/v1/history").await;
    assert_eq!(
        (
            &history["subject"],
            &history["more"],
            &history["next_from_seq"]
        ),
        (&json!("all"), &json!(true), &json!(8))
    );
    assert_eq!(history["entries"][0]["actor"], "admin");
    let reuse = harness.get_json("/api/v1/reuse").await;
    assert_eq!(reuse["reuse_factor"], "7/3");
    assert_eq!(
        reuse["per_land"][0],
        json!({"land": "16", "land_name": "Thüringen", "leads": 1, "joined": 2})
    );
    let funnel = harness.get_json("/api/v1/services/wohngeld/funnel").await;
    assert_eq!(funnel["reached"]["onboarding"], 5);
    assert_eq!(funnel["days_to_live_p90"], Value::Null);
    let detail = harness.get_json("/api/v1/services/wohngeld/detail").await;
    assert_eq!(detail["participations"][1]["left"], "2025-01-01");
    assert_eq!(detail["costs"][0]["amount"]["euros"], "1234.56");
    assert_eq!(detail["service"]["adoptions"]["live"], 7);
    let rollout = harness.get_json("/api/v1/lands/16/rollout").await;
    assert_eq!(rollout["municipalities"][0]["stage_label"], "in Betrieb");
    assert_eq!(rollout["kreise"][0]["stages"]["live"], 1);
}

#[tokio::test]
async fn an_absent_subject_is_not_found() {
    let (harness, _queries) = with_projector().await;
    for path in [
        "/api/v1/services/gibt-es-nicht",
        "/api/v1/services/gibt-es-nicht/detail",
        "/api/v1/services/gibt-es-nicht/participations",
        "/api/v1/services/gibt-es-nicht/costs/2023",
        "/api/v1/services/gibt-es-nicht/funnel",
        "/api/v1/gemeinden/01001000",
    ] {
        let body = problem(harness.get(path).await, StatusCode::NOT_FOUND, "not-found").await;
        assert!(
            !body["detail"].as_str().unwrap().contains("Adresse"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_bad_parameter_is_a_bad_request_naming_it() {
    let (harness, mut queries) = with_projector().await;
    let cases = [
        ("/api/v1/catalogue?limit=0", "limit"),
        ("/api/v1/catalogue?limit=1001", "limit"),
        ("/api/v1/catalogue?sort=size", "sort"),
        ("/api/v1/catalogue?status=fertig", "status"),
        ("/api/v1/catalogue?reifegrad=5", "reifegrad"),
        ("/api/v1/catalogue?land=17", "land"),
        ("/api/v1/catalogue?as_of=2024-13-01", "as_of"),
        ("/api/v1/catalogue?lnad=16", "lnad"),
        ("/api/v1/catalogue?land=16&land=01", "land"),
        ("/api/v1/catalogue?format=xml", "format"),
        ("/api/v1/services?land=16", "land"),
        ("/api/v1/services/wohngeld/detail?format=csv", "format"),
        (
            "/api/v1/services/wohngeld/costs/2023?as_of=2024-01-32",
            "as_of",
        ),
        ("/api/v1/lands/16/statements/2023?as_of=gestern", "as_of"),
        ("/api/v1/lands/17/statements/2023", "land"),
        ("/api/v1/services/wohngeld/costs/20x3", "year"),
        // A year outside those the registry keeps costs for, such as a
        // digit too few or too many.
        ("/api/v1/services/wohngeld/costs/202", "year"),
        ("/api/v1/lands/16/statements/1999", "year"),
        ("/api/v1/lands/16/costs/20240", "year"),
        ("/api/v1/services/wohngeld/costs/2023?table=alle", "table"),
        ("/api/v1/history?limit=5000", "limit"),
        ("/api/v1/history?from_seq=-1", "from_seq"),
        ("/api/v1/history?gemeinde=1605", "gemeinde"),
        ("/api/v1/lands/17", "land"),
        ("/api/v1/lands/16/stalled?days=-1", "days"),
        ("/api/v1/lands/16/rollout?kreis=160", "kreis"),
        ("/api/v1/lands/16/rollout?table=laender", "table"),
        ("/api/v1/gemeinden/123", "ags"),
        ("/api/v1/reuse?min_seq=x", "min_seq"),
    ];
    for (path, name) in cases {
        let body = problem(
            harness.get(path).await,
            StatusCode::BAD_REQUEST,
            "bad-request",
        )
        .await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("„{name}“")), "{path}: {detail}");
    }
    assert!(
        queries.try_recv().is_err(),
        "no bad request may reach the projector"
    );
}

#[tokio::test]
async fn projector_rejections_keep_their_meaning() {
    let harness = Harness::start().await;
    let _queries = harness
        .projector(|_| {
            QueryReply::Rejected(efa_proto::Rejection::Unavailable {
                reason: "Ansicht hat Sequenz 50 noch nicht erreicht".into(),
            })
        })
        .await;
    let response = harness.get("/api/v1/lands/16/rollout?min_seq=50").await;
    assert_eq!(response.headers()["retry-after"], "1");
    problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}
