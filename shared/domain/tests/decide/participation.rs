//! Beitritt and leaving.

use efa_proto::*;

use crate::*;

fn join(code: &str) -> Command {
    Command::JoinService(JoinService {
        service: elterngeld(),
        land: land(code),
    })
}

fn leave(code: &str) -> Command {
    Command::LeaveService(LeaveService {
        service: elterngeld(),
        land: land(code),
    })
}

fn joined(code: &str, day: &'static str) -> Fact {
    (
        Event::LandJoined {
            service: elterngeld(),
            land: land(code),
        },
        day,
    )
}

#[test]
fn a_land_joins_for_itself_from_a_date() {
    check_on(
        &[announced()],
        "land:16",
        join("16"),
        "2021-05-01",
        Ok(vec![Event::LandJoined {
            service: elterngeld(),
            land: land("16"),
        }]),
    );
    forbidden(
        &[announced()],
        "land:09",
        join("16"),
        ForbiddenReason::NotOwnLand,
    );
    forbidden(
        &[announced()],
        "gemeinde:16051000",
        join("16"),
        ForbiddenReason::LandOnly,
    );
}

#[test]
fn joining_needs_a_live_service_and_a_plausible_date() {
    rejects(&[], "land:16", join("16"), None, "not-found");
    rejects(&[announced()], "land:04", join("04"), None, "invalid-state");
    invalid(
        &[announced()],
        "land:16",
        join("16"),
        Some("2019-12-31"),
        "effective",
    );
    rejects(
        &[announced(), joined("16", "2021-05-01")],
        "land:16",
        join("16"),
        None,
        "already-exists",
    );
    let retired = (
        Event::ServiceRetired {
            service: elterngeld(),
            reason: "alt".into(),
        },
        "2023-01-01",
    );
    rejects(
        &[announced(), retired],
        "land:16",
        join("16"),
        None,
        "invalid-state",
    );
}

#[test]
fn a_land_leaves_after_it_joined_and_may_join_again() {
    let history = [announced(), joined("16", "2021-05-01")];
    check_on(
        &history,
        "land:16",
        leave("16"),
        "2025-10-31",
        Ok(vec![Event::LandLeft {
            service: elterngeld(),
            land: land("16"),
        }]),
    );
    invalid(
        &history,
        "land:16",
        leave("16"),
        Some("2021-04-30"),
        "effective",
    );
    forbidden(
        &history,
        "land:09",
        leave("16"),
        ForbiddenReason::NotOwnLand,
    );
    rejects(
        &[announced()],
        "land:16",
        leave("16"),
        None,
        "invalid-state",
    );
    rejects(&history, "land:04", leave("04"), None, "invalid-state");

    let left = (
        Event::LandLeft {
            service: elterngeld(),
            land: land("16"),
        },
        "2022-12-31",
    );
    let history = [announced(), joined("16", "2021-05-01"), left];
    rejects(&history, "land:16", leave("16"), None, "invalid-state");
    invalid(
        &history,
        "land:16",
        join("16"),
        Some("2022-06-01"),
        "effective",
    );
    assert!(when(&history, "land:16", join("16"), Some("2024-01-01")).is_ok());
}
