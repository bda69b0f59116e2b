//! Canned views for the stand-in projector, with the awkward parts a real
//! view may have: `;` and quotes in titles, line breaks in notes,
//! negative and odd cent amounts, absent dates.

use efa_proto::views::*;
use efa_proto::{
    Actor, AdoptionStage, Ags, Cents, Channel, CostCategory, CostModel, Date, GemeindeView,
    KreisKey, Reifegrad, ServiceId, ServiceStatus, ServiceView, Timestamp,
};

use crate::harness::land;

pub fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

pub fn id() -> ServiceId {
    ServiceId::parse("wohngeld").unwrap()
}

fn erfurt() -> Ags {
    Ags::parse("16051000").unwrap()
}

pub fn service_view() -> ServiceView {
    ServiceView {
        id: id(),
        title: "Wohngeld; \"digital\"".into(),
        lead: land(16),
        ozg_id: None,
        leika: vec!["99001001000000".into()],
        themenfeld: "Familie & Kind".into(),
        provider: "KIV Thüringen".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::KoenigsteinerSchluessel { year: Some(2016) },
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(3).unwrap(),
        announced_on: date("2022-01-03"),
        recorded_at: Timestamp::from_micros(1_641_168_000_000_000),
        version: 5,
        last_seq: 17,
    }
}

pub fn summary() -> ServiceSummary {
    ServiceSummary {
        service: service_view(),
        lands: vec![land(1), land(16)],
        adoptions: [3, 2, 1, 7, 1],
    }
}

pub fn catalogue_page() -> CataloguePage {
    CataloguePage {
        services: vec![summary()],
        total: 41,
        as_of: date("2024-06-30"),
        as_of_seq: 99,
    }
}

pub fn cost_line() -> CostLineView {
    CostLineView {
        cost_no: 1,
        year: 2023,
        category: CostCategory::Operation,
        amount: Cents(123_456),
        reported: Cents(120_000),
        corrections: 1,
        note: "Betrieb\nRechenzentrum".into(),
        seqs: vec![20, 31],
    }
}

pub fn service_detail() -> ServiceDetail {
    ServiceDetail {
        summary: summary(),
        participations: vec![
            ParticipationView {
                land: land(16),
                joined: date("2022-01-03"),
                left: None,
                is_lead: true,
            },
            ParticipationView {
                land: land(1),
                joined: date("2023-07-01"),
                left: Some(date("2025-01-01")),
                is_lead: false,
            },
        ],
        population_lands: 5_039_857,
        coverage: vec![LandCoverage {
            land: land(16),
            participating: true,
            municipalities_registered: 605,
            municipalities_live: 12,
            population_live: 400_000,
            flaechendeckend: false,
        }],
        costs: vec![cost_line()],
    }
}

fn exact(numerator: &str, denominator: &str) -> Exact {
    Exact {
        numerator: numerator.into(),
        denominator: denominator.into(),
    }
}

pub fn share(code: u8, cents: i64) -> ShareLine {
    ShareLine {
        land: land(code),
        weight: 339_074,
        days: 184,
        exact_cents: exact("41858304", "1000"),
        fraction: exact("339074", "2939074"),
        cents: Cents(cents),
    }
}

pub fn split(model: CostModel, source: &str) -> CostSplit {
    CostSplit {
        model,
        weights_source: source.into(),
        total: Cents(123_456),
        allocated: Cents(123_455),
        unallocated: Cents(1),
        days_in_year: 365,
        shares: vec![share(1, 41_858), share(16, 81_597)],
        problem: None,
    }
}

pub fn cost_sharing() -> CostSharingView {
    CostSharingView {
        service: id(),
        year: 2023,
        costs: vec![cost_line()],
        split: split(
            CostModel::KoenigsteinerSchluessel { year: Some(2016) },
            "Königsteiner Schlüssel 2016",
        ),
        alternatives: vec![split(CostModel::EqualShares, "")],
    }
}

/// The year of `cost_sharing`, open, as of 2024-06-30.
pub fn cost_year() -> efa_proto::statement::CostYearView {
    efa_proto::statement::CostYearView {
        sharing: cost_sharing(),
        model: efa_proto::statement::ModelInForce {
            model: CostModel::KoenigsteinerSchluessel { year: Some(2016) },
            since: None,
            key_year: Some(2016),
        },
        weights: vec![(land(1), 339_074), (land(16), 339_074)],
        closing: None,
        as_of: date("2024-06-30"),
        seq: 42,
        chain_hash: [0xab; 32],
    }
}

/// Schleswig-Holstein's statement of 2023: its share of `cost_sharing`.
pub fn statement() -> efa_proto::statement::StatementView {
    let model = efa_proto::statement::ModelInForce {
        model: CostModel::KoenigsteinerSchluessel { year: Some(2016) },
        since: None,
        key_year: Some(2016),
    };
    efa_proto::statement::StatementView {
        land: land(1),
        year: 2023,
        lines: vec![efa_proto::statement::StatementLine {
            service: id(),
            title: "Wohngeld; \"digital\"".into(),
            lead: land(16),
            model,
            weights_source: "Königsteiner Schlüssel 2016".into(),
            weight_percent: "3.39074".into(),
            share: share(1, 41_858),
            service_total: Cents(123_456),
            closed: None,
            corrections: vec![],
        }],
        total: Cents(41_858),
        supplements: Cents(0),
        as_of: date("2024-06-30"),
        seq: 42,
        chain_hash: [0xab; 32],
    }
}

pub fn land_costs() -> LandCostsView {
    LandCostsView {
        land: land(1),
        year: 2023,
        lines: vec![LandCostLine {
            service: id(),
            title: "Wohngeld; \"digital\"".into(),
            share: share(1, -41_858),
            service_total: Cents(123_456),
        }],
        total: Cents(-41_858),
    }
}

pub fn municipality(stage: AdoptionStage) -> MunicipalityRollout {
    MunicipalityRollout {
        ags: erfurt(),
        name: "Erfurt, Stadt".into(),
        service: id(),
        stage,
        since: date("2024-02-01"),
        adopter: erfurt(),
    }
}

pub fn rollout() -> RolloutView {
    RolloutView {
        scope: RolloutScope {
            land: land(16),
            kreis: None,
            service: Some(id()),
            as_of: None,
        },
        as_of: date("2024-06-30"),
        kreise: vec![KreisCoverage {
            kreis: KreisKey::parse("16051").unwrap(),
            kreis_name: "Erfurt; kreisfrei".into(),
            service: id(),
            municipalities: 1,
            stages: [0, 0, 0, 1, 0],
            population: 213_699,
            population_live: 213_699,
        }],
        municipalities: vec![municipality(AdoptionStage::Live)],
        land_participates: vec![(id(), true)],
    }
}

pub fn stalled() -> StalledView {
    StalledView {
        land: land(16),
        days_min: 30,
        as_of: date("2024-06-30"),
        stalled: vec![StalledRollout {
            ags: erfurt(),
            name: "Erfurt".into(),
            service: id(),
            stage: AdoptionStage::Agreed,
            last_step: date("2024-01-02"),
            days: 180,
            // An adoption of a municipality merged into Erfurt.
            adopter: Ags::parse("16071001").unwrap(),
        }],
    }
}

pub fn funnel() -> FunnelView {
    FunnelView {
        service: id(),
        land: Some(land(16)),
        as_of: date("2024-06-30"),
        reached: [10, 8, 5, 3, 1],
        days_to_live_median: Some(120),
        days_to_live_p90: None,
        live_count: 3,
    }
}

pub fn history(subject: HistorySubject) -> HistoryView {
    HistoryView {
        subject,
        entries: vec![HistoryEntry {
            seq: 7,
            recorded_at: Timestamp::from_micros(0),
            effective: date("2024-01-01"),
            actor: Actor::Admin,
            event_name: "GemeindeRegistered".into(),
            summary_de: "Gemeinde „Erfurt“ registriert".into(),
            hash_hex: "ab".repeat(32),
        }],
        more: true,
        chain_verified_to: 7,
    }
}

pub fn land_view() -> LandView {
    LandView {
        land: land(16),
        leads: vec![id()],
        joined: vec![LandParticipation {
            service: ServiceId::parse("elterngeld-digital").unwrap(),
            title: "Elterngeld".into(),
            lead: land(4),
            joined: date("2023-01-01"),
            left: None,
        }],
        municipalities_registered: 605,
        municipalities_live_any: 40,
        as_of: date("2024-06-30"),
    }
}

pub fn reuse() -> ReuseSummary {
    ReuseSummary {
        services: 3,
        participations: 7,
        lead_only: vec![id()],
        per_land: vec![(land(16), 1, 2)],
        as_of: date("2024-06-30"),
    }
}

pub fn gemeinde() -> GemeindeView {
    GemeindeView {
        ags: erfurt(),
        name: "Erfurt".into(),
        population: Some(213_699),
        status_de: "aktiv".into(),
        adoptions: vec![municipality(AdoptionStage::Onboarding)],
        available: vec![(id(), "Wohngeld".into(), true)],
        as_of: date("2024-06-30"),
        beneath: vec![],
    }
}
