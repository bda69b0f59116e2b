//! One sample of every wire message, shared by the golden and the
//! round-trip tests.

#![allow(dead_code)] // each test binary uses a different part of the samples

use efa_proto::*;

pub fn land(code: &str) -> LandCode {
    LandCode::parse(code).unwrap()
}

pub fn announce() -> AnnounceService {
    AnnounceService {
        service: ServiceId::parse("digitale-baugenehmigung").unwrap(),
        title: "Digitale Baugenehmigung".into(),
        lead: land("13"),
        ozg_id: Some("OZG-10059".into()),
        leika: vec!["99121001000000".into()],
        themenfeld: "Bauen & Wohnen".into(),
        provider: "Land Mecklenburg-Vorpommern".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::FixedShares {
            weights: vec![(land("13"), 3), (land("16"), 1)],
        },
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(4).unwrap(),
    }
}

pub fn command_envelope() -> CommandEnvelope {
    CommandEnvelope {
        command_id: CommandId([0xc0; 16]),
        actor: Actor::Land(land("13")),
        expected_version: Some(0),
        effective: Some(Date::parse("2021-01-01").unwrap()),
        command: Command::AnnounceService(announce()),
    }
}

pub fn sealed_event() -> SealedEvent {
    SealedEvent::seal(EventRecord {
        schema_version: SCHEMA_VERSION,
        seq: 1,
        event_id: EventId([0xe0; 16]),
        stream: StreamId::Service(announce().service),
        stream_version: 1,
        recorded_at: Timestamp::from_micros(1_609_459_200_000_000),
        effective: Date::parse("2021-01-01").unwrap(),
        actor: Actor::Land(land("13")),
        command_id: CommandId([0xc0; 16]),
        prev_hash: [0; 32],
        event: Event::ServiceAnnounced(announce().into()),
    })
}

pub fn service_view() -> ServiceView {
    let a = announce();
    ServiceView {
        id: a.service,
        title: a.title,
        lead: a.lead,
        ozg_id: a.ozg_id,
        leika: a.leika,
        themenfeld: a.themenfeld,
        provider: a.provider,
        channel: a.channel,
        cost_model: a.cost_model,
        status: a.status,
        reifegrad: a.reifegrad,
        announced_on: Date::parse("2021-01-01").unwrap(),
        recorded_at: Timestamp::from_micros(1_609_459_200_000_000),
        version: 1,
        last_seq: 1,
    }
}

/// Every rejection variant, in declaration order.
pub fn rejections() -> Vec<Rejection> {
    vec![
        Rejection::Malformed { reason: "x".into() },
        Rejection::UnsupportedSchema {
            got: 2,
            supported: 1,
        },
        Rejection::TooLarge {
            bytes: 2_000_000,
            max: 1_048_576,
        },
        Rejection::Invalid {
            field: "title".into(),
            reason: "leer".into(),
        },
        Rejection::Forbidden {
            reason: ForbiddenReason::NotOwnLand,
        },
        Rejection::NotFound { what: "s".into() },
        Rejection::AlreadyExists { what: "s".into() },
        Rejection::Conflict {
            expected: 1,
            actual: 2,
        },
        Rejection::IdempotencyKeyReused,
        Rejection::Unavailable { reason: "u".into() },
        Rejection::YearClosed { year: 2023 },
        Rejection::TooFarBack {
            earliest: Date::parse("2025-09-01").unwrap(),
        },
    ]
}

pub fn ags(text: &str) -> Ags {
    Ags::parse(text).unwrap()
}

pub fn sid() -> ServiceId {
    announce().service
}

fn kiv() -> OperatorId {
    OperatorId::parse("kiv-thueringen").unwrap()
}

fn key() -> Vec<(LandCode, u32)> {
    LandCode::all().map(|land| (land, 625_000)).collect()
}

fn population() -> Option<Population> {
    Some(Population {
        count: 213_699,
        reference_date: Date::parse("2018-12-31").unwrap(),
    })
}

/// One sample of every command, in declaration order.
pub fn commands() -> Vec<Command> {
    let erfurt = ags("16051000");
    vec![
        Command::AnnounceService(announce()),
        Command::UpdateServiceDetails(UpdateServiceDetails {
            service: sid(),
            title: "Digitale Baugenehmigung 2".into(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Bauen & Wohnen".into(),
            provider: "MV".into(),
            channel: Channel::FitStore,
            cost_model: CostModel::Population,
        }),
        Command::ChangeServiceStatus(ChangeServiceStatus {
            service: sid(),
            status: ServiceStatus::Pilot,
        }),
        Command::AssessReifegrad(AssessReifegrad {
            service: sid(),
            reifegrad: Reifegrad::new(3).unwrap(),
        }),
        Command::RetireService(RetireService {
            service: sid(),
            reason: "abgelöst".into(),
        }),
        Command::JoinService(JoinService {
            service: sid(),
            land: land("16"),
        }),
        Command::LeaveService(LeaveService {
            service: sid(),
            land: land("16"),
        }),
        Command::ReportCost(ReportCost {
            service: sid(),
            year: 2021,
            category: CostCategory::Development,
            amount: Cents(12_345_678),
            note: "Los 1".into(),
        }),
        Command::CorrectCost(CorrectCost {
            service: sid(),
            cost_no: 1,
            amount: Cents(100),
            reason: "Gutschrift".into(),
        }),
        Command::RegisterGemeinde(RegisterGemeinde {
            ags: erfurt,
            name: "Erfurt".into(),
            population: population(),
        }),
        Command::RenameGemeinde(RenameGemeinde {
            ags: erfurt,
            name: "Erfurt, Landeshauptstadt".into(),
        }),
        Command::MergeGemeinde(MergeGemeinde {
            ags: ags("16068001"),
            successor: ags("16068002"),
        }),
        Command::RetireGemeinde(RetireGemeinde {
            ags: ags("16068001"),
        }),
        Command::RegisterKreis(RegisterKreis {
            key: KreisKey::parse("16068").unwrap(),
            name: "Sömmerda".into(),
            population: population(),
        }),
        Command::RegisterOperator(RegisterOperator {
            operator: kiv(),
            name: "KIV Thüringen".into(),
            region: Region::Kreise(vec![KreisKey::parse("16051").unwrap()]),
        }),
        Command::RequestAdoption(RequestAdoption {
            service: sid(),
            ags: erfurt,
            note: "bitte".into(),
        }),
        Command::RecordAdoptionStep(RecordAdoptionStep {
            service: sid(),
            ags: erfurt,
            stage: AdoptionStage::Live,
            note: String::new(),
        }),
        Command::WithdrawAdoption(WithdrawAdoption {
            service: sid(),
            ags: erfurt,
            note: "x".into(),
        }),
        Command::PublishAllocationKey(PublishAllocationKey {
            year: 2016,
            shares: key(),
        }),
        Command::PublishPopulation(PublishPopulation {
            reference_date: Date::parse("2018-12-31").unwrap(),
            figures: LandCode::all().map(|l| (l, 1_000_000)).collect(),
        }),
        Command::CloseYear(CloseYear {
            service: sid(),
            year: 2024,
            settlement: settlement(),
        }),
        Command::CorrectParticipation(CorrectParticipation {
            service: sid(),
            land: land("16"),
            change: ParticipationChange::Leave,
            reason: "Austritt zum 31.12.2023 vereinbart".into(),
        }),
    ]
}

/// A settled split: 1,000.00 EUR, equal shares of 13 and 16.
pub fn settlement() -> Settlement {
    Settlement {
        model: CostModel::EqualShares,
        weights_source: String::new(),
        weights: vec![(land("13"), 1), (land("16"), 1)],
        total: Cents(100_000),
        shares: vec![(land("13"), Cents(50_000)), (land("16"), Cents(50_000))],
        unallocated: Cents(0),
        cost_lines: vec![1, 2],
        based_on_seq: 42,
        based_on_hash: [0x5a; 32],
    }
}

/// One sample of every event, in declaration order.
pub fn events() -> Vec<Event> {
    let erfurt = ags("16051000");
    vec![
        Event::ServiceAnnounced(announce().into()),
        Event::ServiceDetailsUpdated(ServiceDetailsUpdated {
            service: sid(),
            title: "Digitale Baugenehmigung 2".into(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Bauen & Wohnen".into(),
            provider: "MV".into(),
            channel: Channel::FitStore,
            cost_model: CostModel::Population,
        }),
        Event::ServiceStatusChanged {
            service: sid(),
            from: ServiceStatus::Planned,
            to: ServiceStatus::Pilot,
        },
        Event::ReifegradAssessed {
            service: sid(),
            reifegrad: Reifegrad::new(3).unwrap(),
        },
        Event::ServiceRetired {
            service: sid(),
            reason: "abgelöst".into(),
        },
        Event::LandJoined {
            service: sid(),
            land: land("16"),
        },
        Event::LandLeft {
            service: sid(),
            land: land("16"),
        },
        Event::CostReported(CostReported {
            service: sid(),
            cost_no: 1,
            year: 2021,
            category: CostCategory::Operation,
            amount: Cents(99),
            note: String::new(),
        }),
        Event::CostCorrected {
            service: sid(),
            cost_no: 1,
            amount: Cents(100),
            reason: "Gutschrift".into(),
        },
        Event::GemeindeRegistered {
            ags: erfurt,
            name: "Erfurt".into(),
            population: population(),
        },
        Event::GemeindeRenamed {
            ags: erfurt,
            name: "Erfurt".into(),
        },
        Event::GemeindeMerged {
            ags: ags("16068001"),
            successor: ags("16068002"),
        },
        Event::GemeindeRetired {
            ags: ags("16068001"),
        },
        Event::KreisRegistered {
            key: KreisKey::parse("16068").unwrap(),
            name: "Sömmerda".into(),
            population: None,
        },
        Event::OperatorRegistered {
            operator: kiv(),
            name: "KIV Thüringen".into(),
            region: Region::Land(land("16")),
        },
        Event::AdoptionRequested {
            service: sid(),
            ags: erfurt,
            adoption_no: 1,
            note: String::new(),
        },
        Event::AdoptionStepRecorded {
            service: sid(),
            ags: erfurt,
            adoption_no: 1,
            stage: AdoptionStage::Onboarding,
            note: String::new(),
        },
        Event::AdoptionWithdrawn {
            service: sid(),
            ags: erfurt,
            adoption_no: 1,
            note: String::new(),
        },
        Event::AllocationKeyPublished {
            year: 2016,
            shares: key(),
        },
        Event::PopulationPublished {
            reference_date: Date::parse("2018-12-31").unwrap(),
            figures: LandCode::all().map(|l| (l, 1_000_000)).collect(),
        },
        Event::YearClosed {
            service: sid(),
            year: 2024,
            settlement: settlement(),
        },
        Event::ParticipationCorrected {
            service: sid(),
            land: land("16"),
            change: ParticipationChange::Leave,
            reason: "Austritt zum 31.12.2023 vereinbart".into(),
        },
        Event::ParticipationMoved {
            service: sid(),
            land: land("16"),
            change: ParticipationChange::Join,
            from: Date::parse("2023-03-01").unwrap(),
            reason: "Vertrag erst zum 1. Juli".into(),
        },
    ]
}
