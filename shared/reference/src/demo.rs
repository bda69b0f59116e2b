//! The demo scenario: the real EfA services with their real lead Länder
//! (from `data/efa_services.csv`), Länder joining at dated moments, costs
//! for several years, and Thuringian rollouts in the kreisfreie Städte and
//! in clearly labelled example municipalities ("Beispielgemeinde …",
//! Gemeinde numbers from 901). Dates after the announcements, rollout steps
//! and amounts are invented for illustration.

use efa_proto::{
    Actor, AdoptionStage, Ags, AnnounceService, Cents, Channel, Command, CostCategory, CostModel,
    Date, JoinService, LandCode, Population, RecordAdoptionStep, RegisterGemeinde, Reifegrad,
    ReportCost, RequestAdoption, ServiceId, ServiceStatus,
};

use crate::csv::CsvError;
use crate::seed::{Seed, population_date};
use crate::tables;

fn date(text: &str) -> Date {
    Date::parse(text).expect("demo dates are valid")
}

fn land(code: u8) -> LandCode {
    LandCode::new(code).expect("demo Land codes are valid")
}

fn ags(text: &str) -> Ags {
    Ags::parse(text).expect("demo AGS are valid")
}

/// Per service: id, announced on, status, Reifegrad, channel, cost model,
/// and the Länder joining (code, date).
struct DemoService {
    id: &'static str,
    announced: &'static str,
    status: ServiceStatus,
    reifegrad: u8,
    channel: Channel,
    model: CostModel,
    provider: &'static str,
    joins: &'static [(u8, &'static str)],
}

fn services() -> Vec<DemoService> {
    use ServiceStatus::*;
    let ks = |year| CostModel::KoenigsteinerSchluessel { year };
    vec![
        DemoService {
            id: "online-wohngeldantrag",
            announced: "2019-12-01",
            status: Available,
            reifegrad: 3,
            channel: Channel::EfaMarktplatz,
            model: ks(None),
            provider: "Dataport",
            joins: &[(5, "2021-01-01"), (16, "2023-03-01")],
        },
        DemoService {
            id: "digitale-baugenehmigung",
            announced: "2020-06-01",
            status: Available,
            reifegrad: 4,
            channel: Channel::FitStore,
            model: ks(Some(2016)),
            provider: "Land Mecklenburg-Vorpommern",
            joins: &[
                (8, "2021-01-01"),
                (4, "2021-04-01"),
                (3, "2021-07-01"),
                (5, "2021-10-01"),
                (7, "2022-01-01"),
                (10, "2022-04-01"),
                (14, "2022-07-01"),
                (15, "2022-10-01"),
                (1, "2023-01-01"),
            ],
        },
        DemoService {
            id: "bafoeg-digital",
            announced: "2020-10-26",
            status: Available,
            reifegrad: 4,
            channel: Channel::Verwaltungsabkommen,
            model: CostModel::EqualShares,
            provider: "Land Sachsen-Anhalt",
            joins: &[
                (11, "2020-10-26"),
                (6, "2020-10-26"),
                (5, "2020-10-26"),
                (7, "2020-10-26"),
                (16, "2021-05-01"),
            ],
        },
        DemoService {
            id: "elektronische-wohnsitzanmeldung-ewa",
            announced: "2022-09-22",
            status: Pilot,
            reifegrad: 3,
            channel: Channel::EfaMarktplatz,
            model: CostModel::Population,
            provider: "Dataport",
            joins: &[(5, "2023-06-01"), (7, "2024-11-01"), (9, "2024-03-01")],
        },
        DemoService {
            id: "elfe-einfach-leistungen-fuer-eltern",
            announced: "2019-03-01",
            status: Pilot,
            reifegrad: 3,
            channel: Channel::EfaMarktplatz,
            model: ks(None),
            provider: "Freie Hansestadt Bremen",
            joins: &[],
        },
        DemoService {
            id: "unterhaltsvorschuss-online",
            announced: "2021-05-05",
            status: Available,
            reifegrad: 3,
            channel: Channel::FitStore,
            model: ks(None),
            provider: "Freie Hansestadt Bremen",
            joins: &[(2, "2021-05-05"), (5, "2021-05-05")],
        },
        DemoService {
            id: "ehe-online-anmeldung-zur-eheschliessung",
            announced: "2022-01-01",
            status: Available,
            reifegrad: 3,
            channel: Channel::EfaMarktplatz,
            model: CostModel::EqualShares,
            provider: "Land Hessen",
            joins: &[(5, "2024-01-01")],
        },
        DemoService {
            id: "aufenthaltstitel-zum-zweck-der-erwerbstaetigkeit",
            announced: "2021-09-01",
            status: Available,
            reifegrad: 3,
            channel: Channel::FitStore,
            model: ks(Some(2016)),
            provider: "AKDB",
            joins: &[(9, "2022-03-01")],
        },
        DemoService {
            id: "waffenrechtliche-erlaubnisse",
            announced: "2023-02-01",
            status: Planned,
            reifegrad: 1,
            channel: Channel::FitStore,
            model: ks(None),
            provider: "Freistaat Bayern",
            joins: &[],
        },
    ]
}

/// Costs: service id, year, category, cents (euros times 100).
const COSTS: &[(&str, u16, CostCategory, i64)] = &[
    (
        "online-wohngeldantrag",
        2021,
        CostCategory::Development,
        1_200_000 * 100,
    ),
    (
        "online-wohngeldantrag",
        2022,
        CostCategory::Operation,
        450_000 * 100,
    ),
    (
        "online-wohngeldantrag",
        2023,
        CostCategory::Operation,
        480_000 * 100,
    ),
    (
        "online-wohngeldantrag",
        2024,
        CostCategory::Operation,
        495_000 * 100,
    ),
    (
        "digitale-baugenehmigung",
        2021,
        CostCategory::Development,
        2_750_000 * 100,
    ),
    (
        "digitale-baugenehmigung",
        2022,
        CostCategory::Operation,
        910_000 * 100,
    ),
    (
        "digitale-baugenehmigung",
        2023,
        CostCategory::Operation,
        960_500 * 100,
    ),
    (
        "bafoeg-digital",
        2021,
        CostCategory::Development,
        1_800_000 * 100,
    ),
    (
        "bafoeg-digital",
        2022,
        CostCategory::Operation,
        600_000 * 100,
    ),
    (
        "unterhaltsvorschuss-online",
        2022,
        CostCategory::Operation,
        320_000 * 100,
    ),
    (
        "elektronische-wohnsitzanmeldung-ewa",
        2024,
        CostCategory::Development,
        640_000 * 100,
    ),
];

/// Example municipalities in Thuringian Landkreise: AGS, name, population.
const EXAMPLES: &[(&str, &str, u64)] = &[
    ("16068901", "Beispielgemeinde Sömmerda-Nord", 4_120),
    ("16068902", "Beispielgemeinde Sömmerda-Süd", 2_870),
    ("16067901", "Beispielgemeinde Gotha-Land", 6_340),
    ("16070901", "Beispielgemeinde Ilmtal", 3_915),
    ("16074901", "Beispielgemeinde Holzland-Ost", 1_980),
    ("16077901", "Beispielgemeinde Altenburger Aue", 2_455),
];

/// Thuringian rollouts: service, AGS, and steps (stage, effective date).
/// Some stop early on purpose, so the stalled list has entries.
/// Steps of one adoption: stage and effective date.
type Steps = &'static [(AdoptionStage, &'static str)];

const ROLLOUTS: &[(&str, &str, Steps)] = &[
    (
        "online-wohngeldantrag",
        "16051000",
        &[
            (AdoptionStage::Requested, "2023-03-15"),
            (AdoptionStage::Agreed, "2023-05-02"),
            (AdoptionStage::Onboarding, "2023-06-20"),
            (AdoptionStage::Live, "2023-09-15"),
        ],
    ),
    (
        "online-wohngeldantrag",
        "16053000",
        &[
            (AdoptionStage::Requested, "2023-04-03"),
            (AdoptionStage::Onboarding, "2023-08-01"),
            (AdoptionStage::Live, "2023-11-01"),
        ],
    ),
    (
        "online-wohngeldantrag",
        "16052000",
        &[
            (AdoptionStage::Requested, "2023-10-10"),
            (AdoptionStage::Agreed, "2023-12-01"),
            (AdoptionStage::Onboarding, "2024-02-01"),
        ],
    ),
    (
        "online-wohngeldantrag",
        "16055000",
        &[(AdoptionStage::Requested, "2024-05-10")],
    ),
    (
        "online-wohngeldantrag",
        "16068901",
        &[
            (AdoptionStage::Requested, "2024-01-08"),
            (AdoptionStage::Live, "2024-06-03"),
        ],
    ),
    (
        "online-wohngeldantrag",
        "16067901",
        &[
            (AdoptionStage::Requested, "2024-03-01"),
            (AdoptionStage::Agreed, "2024-04-15"),
        ],
    ),
    (
        "bafoeg-digital",
        "16051000",
        &[
            (AdoptionStage::Requested, "2021-05-10"),
            (AdoptionStage::Live, "2021-07-01"),
        ],
    ),
    (
        "bafoeg-digital",
        "16053000",
        &[
            (AdoptionStage::Requested, "2021-05-10"),
            (AdoptionStage::Live, "2021-08-01"),
        ],
    ),
    (
        "bafoeg-digital",
        "16054000",
        &[
            (AdoptionStage::Requested, "2021-06-01"),
            (AdoptionStage::Onboarding, "2021-09-01"),
            (AdoptionStage::Live, "2022-01-10"),
        ],
    ),
    (
        "bafoeg-digital",
        "16070901",
        &[
            (AdoptionStage::Requested, "2022-02-01"),
            (AdoptionStage::Onboarding, "2022-05-01"),
        ],
    ),
    (
        "digitale-baugenehmigung",
        "16051000",
        &[(AdoptionStage::Requested, "2024-09-01")],
    ),
    (
        "unterhaltsvorschuss-online",
        "16074901",
        &[
            (AdoptionStage::Requested, "2025-02-03"),
            (AdoptionStage::Agreed, "2025-03-20"),
        ],
    ),
];

fn announce_seeds(rows: &[tables::ServiceRow]) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (row, demo) in rows.iter().zip(services()) {
        let id = ServiceId::parse(demo.id).expect("demo service ids are valid");
        let themenfeld = row
            .themenfeld
            .replace(" (unverified)", "")
            .replace("unverified", "Sonstiges");
        let command = Command::AnnounceService(AnnounceService {
            service: id.clone(),
            title: row.title.clone(),
            lead: row.lead,
            ozg_id: None,
            leika: vec![],
            themenfeld,
            provider: demo.provider.to_owned(),
            channel: demo.channel,
            cost_model: demo.model.clone(),
            status: demo.status,
            reifegrad: Reifegrad::new(demo.reifegrad).expect("demo Reifegrad is 0-4"),
        });
        seeds.push(Seed::new(
            format!("demo/announce/{id}"),
            Actor::Land(row.lead),
            Some(date(demo.announced)),
            command,
        ));
        for (code, day) in demo.joins {
            let command = Command::JoinService(JoinService {
                service: id.clone(),
                land: land(*code),
            });
            seeds.push(Seed::new(
                format!("demo/join/{id}/{code:02}"),
                Actor::Land(land(*code)),
                Some(date(day)),
                command,
            ));
        }
    }
    seeds
}

fn lead_of(rows: &[tables::ServiceRow], id: &str) -> LandCode {
    services()
        .iter()
        .position(|s| s.id == id)
        .map_or(land(1), |index| rows[index].lead)
}

fn cost_seeds(rows: &[tables::ServiceRow]) -> Vec<Seed> {
    COSTS
        .iter()
        .map(|(id, year, category, cents)| {
            let command = Command::ReportCost(ReportCost {
                service: ServiceId::parse(id).expect("demo service ids are valid"),
                year: *year,
                category: *category,
                amount: Cents(*cents),
                note: "Demo-Zahl".to_owned(),
            });
            let effective = date(&format!("{year}-12-31"));
            Seed::new(
                format!("demo/cost/{id}/{year}/{}", category.key()),
                Actor::Land(lead_of(rows, id)),
                Some(effective),
                command,
            )
        })
        .collect()
}

fn rollout_seeds() -> Vec<Seed> {
    let kiv = Actor::Operator(crate::seed::kiv());
    let mut seeds = Vec::new();
    for (id, ags_text, steps) in ROLLOUTS {
        let service = ServiceId::parse(id).expect("demo service ids are valid");
        let ags = ags(ags_text);
        for (stage, day) in *steps {
            let command = match stage {
                AdoptionStage::Requested => Command::RequestAdoption(RequestAdoption {
                    service: service.clone(),
                    ags,
                    note: String::new(),
                }),
                stage => Command::RecordAdoptionStep(RecordAdoptionStep {
                    service: service.clone(),
                    ags,
                    stage: *stage,
                    note: String::new(),
                }),
            };
            seeds.push(Seed::new(
                format!("demo/rollout/{id}/{ags}/{}", stage.key()),
                kiv.clone(),
                Some(date(day)),
                command,
            ));
        }
    }
    seeds
}

/// The demo scenario, in the order it must be sent (after the reference
/// seeds).
pub fn demo_seeds() -> Result<Vec<Seed>, CsvError> {
    let rows = tables::efa_services()?;
    let mut seeds = announce_seeds(&rows);
    for (ags_text, name, count) in EXAMPLES {
        let population = Some(Population {
            count: *count,
            reference_date: population_date(),
        });
        let command = Command::RegisterGemeinde(RegisterGemeinde {
            ags: ags(ags_text),
            name: (*name).to_owned(),
            population,
        });
        seeds.push(Seed::new(
            format!("demo/gemeinde/{ags_text}"),
            Actor::Admin,
            None,
            command,
        ));
    }
    seeds.extend(cost_seeds(&rows));
    seeds.extend(rollout_seeds());
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_names_every_shipped_service_and_has_distinct_ids() {
        let rows = tables::efa_services().unwrap();
        assert_eq!(
            rows.len(),
            services().len(),
            "one demo entry per shipped service"
        );
        let seeds = demo_seeds().unwrap();
        let mut ids: Vec<_> = seeds.iter().map(Seed::command_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), seeds.len());
    }
}
