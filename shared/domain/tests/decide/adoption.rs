//! Municipal adoption: request, steps forward only, withdrawal, the next
//! adoption, who may record it.

use efa_proto::*;

use crate::*;

const ERFURT: &str = "16051000";

fn request(note: &str) -> Command {
    Command::RequestAdoption(RequestAdoption {
        service: elterngeld(),
        ags: ags(ERFURT),
        note: note.into(),
    })
}

fn step(stage: AdoptionStage) -> Command {
    Command::RecordAdoptionStep(RecordAdoptionStep {
        service: elterngeld(),
        ags: ags(ERFURT),
        stage,
        note: String::new(),
    })
}

fn withdraw() -> Command {
    Command::WithdrawAdoption(WithdrawAdoption {
        service: elterngeld(),
        ags: ags(ERFURT),
        note: "Haushaltssperre".into(),
    })
}

fn requested(no: u32, day: &'static str) -> Fact {
    (
        Event::AdoptionRequested {
            service: elterngeld(),
            ags: ags(ERFURT),
            adoption_no: no,
            note: String::new(),
        },
        day,
    )
}

fn stepped(stage: AdoptionStage, day: &'static str) -> Fact {
    (
        Event::AdoptionStepRecorded {
            service: elterngeld(),
            ags: ags(ERFURT),
            adoption_no: 1,
            stage,
            note: String::new(),
        },
        day,
    )
}

fn base() -> Vec<Fact> {
    vec![announced(), erfurt_registered(), kiv_registered()]
}

#[test]
fn a_municipality_requests_for_itself_even_if_its_land_has_not_joined() {
    let expected = Event::AdoptionRequested {
        service: elterngeld(),
        ags: ags(ERFURT),
        adoption_no: 1,
        note: "bitte".into(),
    };
    check(
        &base(),
        "gemeinde:16051000",
        request("bitte"),
        Ok(vec![expected]),
    );
    forbidden(
        &base(),
        "gemeinde:16052000",
        request(""),
        ForbiddenReason::NotOwnMunicipality,
    );
    forbidden(
        &base(),
        "admin",
        request(""),
        ForbiddenReason::NotOwnMunicipality,
    );
}

#[test]
fn an_operator_records_only_inside_its_region() {
    assert!(when(&base(), "operator:kiv-thueringen", request(""), None).is_ok());
    let elsewhere = OperatorId::parse("dataport").unwrap();
    let dataport = (
        Event::OperatorRegistered {
            operator: elsewhere,
            name: "Dataport".into(),
            region: Region::Land(land("01")),
        },
        "2020-01-01",
    );
    let mut history = base();
    history.push(dataport);
    forbidden(
        &history,
        "operator:dataport",
        request(""),
        ForbiddenReason::OutsideRegion,
    );
    rejects(
        &base(),
        "operator:unbekannt",
        request(""),
        None,
        "not-found",
    );
    let kreis_operator = OperatorId::parse("kommunalservice").unwrap();
    let region = Region::Kreise(vec![KreisKey::parse("16051").unwrap()]);
    history.push((
        Event::OperatorRegistered {
            operator: kreis_operator,
            name: "Kommunalservice".into(),
            region,
        },
        "2020-01-01",
    ));
    assert!(when(&history, "operator:kommunalservice", request(""), None).is_ok());
}

#[test]
fn the_land_of_the_municipality_may_record_but_no_other() {
    assert!(when(&base(), "land:16", request(""), None).is_ok());
    forbidden(&base(), "land:04", request(""), ForbiddenReason::NotOwnLand);
}

#[test]
fn nobody_adopts_an_unknown_or_retired_service_or_for_an_unknown_municipality() {
    rejects(
        &[erfurt_registered()],
        "gemeinde:16051000",
        request(""),
        None,
        "not-found",
    );
    rejects(
        &[announced()],
        "gemeinde:16051000",
        request(""),
        None,
        "not-found",
    );
    let mut history = base();
    history.push((
        Event::ServiceRetired {
            service: elterngeld(),
            reason: "alt".into(),
        },
        "2023-01-01",
    ));
    rejects(
        &history,
        "gemeinde:16051000",
        request(""),
        None,
        "invalid-state",
    );
    let mut merged = base();
    merged.push((
        Event::GemeindeMerged {
            ags: ags(ERFURT),
            successor: ags("16055000"),
        },
        "2023-01-01",
    ));
    rejects(
        &merged,
        "gemeinde:16051000",
        request(""),
        None,
        "invalid-state",
    );
    // The refusal says where the municipality went and what still works.
    let refusal = when(&merged, "operator:kiv-thueringen", request(""), None).unwrap_err();
    let said = refusal.to_string();
    assert!(
        said.contains("ist in 16055000 aufgegangen") && said.contains("zurückziehen geht"),
        "{said}"
    );
}

#[test]
fn a_running_adoption_is_not_requested_twice() {
    let mut history = base();
    history.push(requested(1, "2024-01-10"));
    rejects(
        &history,
        "gemeinde:16051000",
        request(""),
        None,
        "already-exists",
    );
}

#[test]
fn steps_go_forward_only_and_not_back_in_time() {
    let mut history = base();
    history.push(requested(1, "2024-01-10"));
    let agreed = Event::AdoptionStepRecorded {
        service: elterngeld(),
        ags: ags(ERFURT),
        adoption_no: 1,
        stage: AdoptionStage::Agreed,
        note: String::new(),
    };
    check_on(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Agreed),
        "2024-02-01",
        Ok(vec![agreed]),
    );
    assert!(
        when(
            &history,
            "gemeinde:16051000",
            step(AdoptionStage::Live),
            Some("2024-03-01")
        )
        .is_ok(),
        "skipping forward is allowed"
    );
    invalid(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Agreed),
        Some("2024-01-09"),
        "effective",
    );
    invalid(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Requested),
        None,
        "stage",
    );
    invalid(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Withdrawn),
        None,
        "stage",
    );

    history.push(stepped(AdoptionStage::Onboarding, "2024-03-01"));
    rejects(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Agreed),
        None,
        "invalid-state",
    );
    rejects(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Onboarding),
        None,
        "invalid-state",
    );
    rejects(
        &base(),
        "gemeinde:16051000",
        step(AdoptionStage::Agreed),
        None,
        "invalid-state",
    );
    forbidden(
        &history,
        "gemeinde:16052000",
        step(AdoptionStage::Live),
        ForbiddenReason::NotOwnMunicipality,
    );
}

#[test]
fn withdrawal_ends_an_adoption_and_a_new_request_starts_the_next() {
    let mut history = base();
    history.push(requested(1, "2024-01-10"));
    history.push(stepped(AdoptionStage::Live, "2024-06-01"));
    let withdrawn = Event::AdoptionWithdrawn {
        service: elterngeld(),
        ags: ags(ERFURT),
        adoption_no: 1,
        note: "Haushaltssperre".into(),
    };
    check_on(
        &history,
        "gemeinde:16051000",
        withdraw(),
        "2025-01-01",
        Ok(vec![withdrawn.clone()]),
    );
    invalid(
        &history,
        "gemeinde:16051000",
        withdraw(),
        Some("2024-05-01"),
        "effective",
    );

    history.push((withdrawn, "2025-01-01"));
    rejects(
        &history,
        "gemeinde:16051000",
        withdraw(),
        None,
        "invalid-state",
    );
    rejects(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Live),
        None,
        "invalid-state",
    );
    let again = Event::AdoptionRequested {
        service: elterngeld(),
        ags: ags(ERFURT),
        adoption_no: 2,
        note: String::new(),
    };
    // Asked anew, not before the withdrawal: the two would overlap.
    invalid(
        &history,
        "gemeinde:16051000",
        request(""),
        Some("2024-12-31"),
        "effective",
    );
    check_on(
        &history,
        "gemeinde:16051000",
        request(""),
        "2025-01-01",
        Ok(vec![again.clone()]),
    );
    check_on(
        &history,
        "gemeinde:16051000",
        request(""),
        "2025-06-01",
        Ok(vec![again]),
    );
}

#[test]
fn a_running_adoption_can_be_withdrawn_after_the_service_retired() {
    let mut history = base();
    history.push(requested(1, "2024-01-10"));
    history.push((
        Event::ServiceRetired {
            service: elterngeld(),
            reason: "alt".into(),
        },
        "2024-02-01",
    ));
    assert!(when(&history, "gemeinde:16051000", withdraw(), None).is_ok());
    rejects(
        &history,
        "gemeinde:16051000",
        step(AdoptionStage::Live),
        None,
        "invalid-state",
    );
}

/// Erfurt was live and merged into Weimar: the adoption counts for
/// Weimar, and Weimar (or its Land, or an operator of its region) may
/// end it; nobody else, and no further step.
#[test]
fn the_successor_may_withdraw_an_adoption_merged_into_it() {
    let mut history = base();
    history.extend([
        (
            Event::GemeindeRegistered {
                ags: ags("16055000"),
                name: "Weimar".into(),
                population: None,
            },
            "2020-01-01",
        ),
        requested(1, "2021-01-01"),
        stepped(AdoptionStage::Live, "2021-06-01"),
        (
            Event::GemeindeMerged {
                ags: ags(ERFURT),
                successor: ags("16055000"),
            },
            "2023-01-01",
        ),
    ]);
    let withdrawn = Ok(vec![Event::AdoptionWithdrawn {
        service: elterngeld(),
        ags: ags(ERFURT),
        adoption_no: 1,
        note: "Haushaltssperre".into(),
    }]);
    for actor in ["gemeinde:16055000", "land:16", "operator:kiv-thueringen"] {
        check_on(&history, actor, withdraw(), "2024-01-01", withdrawn.clone());
    }
    forbidden(
        &history,
        "gemeinde:16051000",
        withdraw(),
        ForbiddenReason::NotOwnMunicipality,
    );
    rejects(
        &history,
        "land:16",
        step(AdoptionStage::Onboarding),
        Some("2024-01-01"),
        "invalid-state",
    );
}
