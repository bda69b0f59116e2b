//! Property test: random command sequences against the domain, with the
//! invariants checked after every step.

use std::collections::HashMap;

use efa_domain::{Related, StreamState, decide, evolve, related_streams};
use efa_proto::*;
use proptest::prelude::*;

use crate::*;

const SERVICES: [&str; 3] = ["elterngeld-digital", "wohngeld-antrag", "bafoeg-digital"];
const GEMEINDEN: [&str; 3] = ["16051000", "16052000", "04011000"];
const ACTORS: [&str; 7] = [
    "land:04",
    "land:16",
    "land:09",
    "gemeinde:16051000",
    "gemeinde:04011000",
    "operator:kiv-thueringen",
    "admin",
];

fn command(kind: u8, service: usize, gemeinde: usize, number: u8) -> Command {
    let service = sid(SERVICES[service]);
    let ags = ags(GEMEINDEN[gemeinde]);
    let stage = [
        AdoptionStage::Agreed,
        AdoptionStage::Onboarding,
        AdoptionStage::Live,
        AdoptionStage::Requested,
    ][number as usize % 4];
    let land_code = LandCode::new(number % 16 + 1).unwrap();
    match kind % 12 {
        0 => Command::AnnounceService(AnnounceService {
            service,
            lead: LandCode::new([4, 16, 9][number as usize % 3]).unwrap(),
            ..announce_cmd("x-placeholder", "04")
        }),
        1 => Command::JoinService(JoinService {
            service,
            land: land_code,
        }),
        2 => Command::LeaveService(LeaveService {
            service,
            land: land_code,
        }),
        3 => Command::ChangeServiceStatus(ChangeServiceStatus {
            service,
            status: ServiceStatus::ALL[number as usize % 5],
        }),
        4 => Command::RetireService(RetireService {
            service,
            reason: "alt".into(),
        }),
        5 => Command::ReportCost(ReportCost {
            service,
            year: 2020,
            category: CostCategory::Operation,
            amount: Cents(i64::from(number) * 100),
            note: String::new(),
        }),
        6 => Command::CorrectCost(CorrectCost {
            service,
            cost_no: u32::from(number % 4),
            amount: Cents(7),
            reason: "Korrektur".into(),
        }),
        7 => Command::RegisterGemeinde(RegisterGemeinde {
            ags,
            name: "Beispielgemeinde".into(),
            population: None,
        }),
        8 => Command::RequestAdoption(RequestAdoption {
            service,
            ags,
            note: String::new(),
        }),
        9 => Command::RecordAdoptionStep(RecordAdoptionStep {
            service,
            ags,
            stage,
            note: String::new(),
        }),
        10 => Command::WithdrawAdoption(WithdrawAdoption {
            service,
            ags,
            note: String::new(),
        }),
        _ => Command::RegisterOperator(RegisterOperator {
            operator: OperatorId::parse("kiv-thueringen").unwrap(),
            name: "KIV".into(),
            region: Region::Land(LandCode::new(16).unwrap()),
        }),
    }
}

/// Invariants of a service's state that every history must keep.
fn check_service(state: &StreamState) {
    let StreamState::Service(service) = state else {
        return;
    };
    assert_eq!(
        service.participations[0].land, service.lead,
        "the lead takes part first"
    );
    for land in LandCode::all() {
        let open = service
            .participations
            .iter()
            .filter(|p| p.land == land && p.left.is_none())
            .count();
        assert!(open <= 1, "at most one open participation per Land");
    }
    for p in &service.participations {
        assert!(
            p.left.is_none_or(|left| left >= p.joined),
            "nobody leaves before joining"
        );
    }
    if service.status == ServiceStatus::Retired {
        assert!(
            service.participations.iter().all(|p| p.left.is_some()),
            "a retired service has no participants"
        );
    }
}

proptest! {
    #[test]
    fn random_command_sequences_keep_the_invariants(
        steps in proptest::collection::vec((any::<u8>(), 0usize..3, 0usize..3, any::<u8>(), 0usize..7, 0i32..400), 1..80)
    ) {
        let mut states: HashMap<StreamId, StreamState> = HashMap::new();
        let mut day = date("2021-01-01").days_since_epoch();
        for (kind, service, gemeinde, number, actor_index, days) in steps {
            day += days;
            let effective = Date::try_from(day).unwrap();
            let envelope = CommandEnvelope {
                command_id: CommandId([1; 16]),
                actor: actor(ACTORS[actor_index]),
                expected_version: None,
                effective: Some(effective),
                command: command(kind, service, gemeinde, number),
            };
            let stream = envelope.command.stream();
            let state = states.get(&stream).cloned().unwrap_or_default();
            let related = related_streams(&envelope)
                .into_iter()
                .map(|id| { let s = states.get(&id).cloned().unwrap_or_default(); (id, s) })
                .collect();
            let ctx = efa_domain::Ctx { now: Timestamp::from_micros(i64::from(day) * 86_400_000_000) };
            if let Ok(events) = decide(&state, &Related::new(related), &envelope, &ctx) {
                prop_assert!(!events.is_empty());
                let mut next = state;
                for event in &events {
                    prop_assert_eq!(event.stream(), stream.clone(), "events stay in the command's stream");
                    next = evolve(next, event, effective);
                }
                check_service(&next);
                states.insert(stream, next);
            }
        }
    }
}
