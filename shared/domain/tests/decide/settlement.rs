//! Closing a year (Jahresabrechnung), backdating, and the corrections the
//! lead Land or the administration may record afterwards. "Today" is
//! 2025-11-30, so 2024 may be closed and 2025 may not.

use efa_domain::{Ctx, Related, decide, related_streams};
use efa_proto::*;

use crate::*;

fn settlement(shares: &[(&str, i64)], unallocated: i64, lines: &[u32]) -> Settlement {
    let total = shares.iter().map(|(_, c)| c).sum::<i64>() + unallocated;
    Settlement {
        model: CostModel::EqualShares,
        weights_source: String::new(),
        weights: shares.iter().map(|(l, _)| (land(l), 1)).collect(),
        total: Cents(total),
        shares: shares.iter().map(|(l, c)| (land(l), Cents(*c))).collect(),
        unallocated: Cents(unallocated),
        cost_lines: lines.to_vec(),
        based_on_seq: 9,
        based_on_hash: [1; 32],
    }
}

fn close(year: u16, settlement: Settlement) -> Command {
    Command::CloseYear(CloseYear {
        service: elterngeld(),
        year,
        settlement,
    })
}

fn closed(year: u16) -> Fact {
    (
        Event::YearClosed {
            service: elterngeld(),
            year,
            settlement: settlement(&[("04", 60_000), ("16", 40_000)], 0, &[1]),
        },
        "2025-02-01",
    )
}

fn reported(year: u16) -> Fact {
    (
        Event::CostReported(CostReported {
            service: elterngeld(),
            cost_no: 1,
            year,
            category: CostCategory::Operation,
            amount: Cents(100_000),
            note: String::new(),
        }),
        "2025-01-10",
    )
}

fn thueringen_joined() -> Fact {
    (
        Event::LandJoined {
            service: elterngeld(),
            land: land("16"),
        },
        "2023-07-01",
    )
}

/// Bremen's service, Thüringen in since mid-2023, 2024's costs reported.
fn history() -> Vec<Fact> {
    vec![announced(), thueringen_joined(), reported(2024)]
}

fn with_2024_closed() -> Vec<Fact> {
    let mut given = history();
    given.push(closed(2024));
    given
}

#[test]
fn the_lead_or_the_administration_closes_a_year_that_is_over() {
    let split = settlement(&[("04", 60_000), ("16", 40_000)], 0, &[1]);
    let expected = Ok(vec![Event::YearClosed {
        service: elterngeld(),
        year: 2024,
        settlement: split.clone(),
    }]);
    check(
        &history(),
        "land:04",
        close(2024, split.clone()),
        expected.clone(),
    );
    check(&history(), "admin", close(2024, split.clone()), expected);
    forbidden(
        &history(),
        "land:16",
        close(2024, split.clone()),
        ForbiddenReason::LeadOrAdmin,
    );
    forbidden(
        &history(),
        "gemeinde:16051000",
        close(2024, split.clone()),
        ForbiddenReason::LeadOrAdmin,
    );
    forbidden(
        &history(),
        "operator:kiv-thueringen",
        close(2024, split.clone()),
        ForbiddenReason::LeadOrAdmin,
    );
    rejects(&[], "admin", close(2024, split), None, "not-found");
}

#[test]
fn a_year_closes_once_and_only_when_it_is_over() {
    let split = || settlement(&[("04", 60_000), ("16", 40_000)], 0, &[1]);
    invalid(&history(), "land:04", close(2025, split()), None, "year");
    assert_eq!(
        when(&with_2024_closed(), "land:04", close(2024, split()), None),
        Err(Rejection::YearClosed { year: 2024 })
    );
    // Another year of the same service still closes.
    let mut given = with_2024_closed();
    given.push(reported(2023));
    assert!(when(&given, "land:04", close(2023, split()), None).is_ok());
}

#[test]
fn a_settlement_must_add_up() {
    let mut wrong_total = settlement(&[("04", 60_000), ("16", 40_000)], 0, &[1]);
    wrong_total.total = Cents(100_001);
    invalid(
        &history(),
        "land:04",
        close(2024, wrong_total),
        None,
        "settlement",
    );
    let twice = settlement(&[("04", 60_000), ("04", 40_000)], 0, &[1]);
    invalid(
        &history(),
        "land:04",
        close(2024, twice),
        None,
        "settlement",
    );
    let unknown_line = settlement(&[("04", 60_000), ("16", 40_000)], 0, &[1, 2]);
    invalid(
        &history(),
        "land:04",
        close(2024, unknown_line),
        None,
        "settlement",
    );
    let negative = settlement(&[("04", 100_001), ("16", -1)], 0, &[1]);
    invalid(
        &history(),
        "land:04",
        close(2024, negative),
        None,
        "settlement",
    );
    // The unallocated rest counts towards the total.
    let with_rest = settlement(&[("04", 60_000)], 40_000, &[1]);
    assert!(when(&history(), "land:04", close(2024, with_rest), None).is_ok());
}

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

#[test]
fn a_land_dates_its_own_beitritt_back_into_open_years_only() {
    // 2023 is open: joining back then is the Land's own business.
    assert!(when(&history(), "land:09", join("09"), Some("2023-03-01")).is_ok());
    assert_eq!(
        when(
            &with_2024_closed(),
            "land:09",
            join("09"),
            Some("2024-06-01")
        ),
        Err(Rejection::YearClosed { year: 2024 })
    );
    // A join before a closed year would change that year too.
    assert_eq!(
        when(
            &with_2024_closed(),
            "land:09",
            join("09"),
            Some("2023-03-01")
        ),
        Err(Rejection::YearClosed { year: 2024 })
    );
    assert!(
        when(
            &with_2024_closed(),
            "land:09",
            join("09"),
            Some("2025-01-01")
        )
        .is_ok()
    );
}

#[test]
fn a_land_dates_its_own_austritt_back_at_most_a_quarter() {
    let earliest = date("2025-08-30");
    assert_eq!(
        when(&history(), "land:16", leave("16"), Some("2025-08-29")),
        Err(Rejection::TooFarBack { earliest })
    );
    assert!(when(&history(), "land:16", leave("16"), Some("2025-08-30")).is_ok());
    // Three years back, to the day after its own joining date: refused.
    assert_eq!(
        when(&history(), "land:16", leave("16"), Some("2023-07-02")),
        Err(Rejection::TooFarBack { earliest })
    );
    // On the joining date itself the Land would never have taken part.
    invalid(
        &history(),
        "land:16",
        leave("16"),
        Some("2023-07-01"),
        "effective",
    );
}

fn correct(code: &str, change: ParticipationChange, reason: &str) -> Command {
    Command::CorrectParticipation(CorrectParticipation {
        service: elterngeld(),
        land: land(code),
        change,
        reason: reason.into(),
    })
}

#[test]
fn the_lead_or_the_administration_corrects_a_participation_as_far_back_as_needed() {
    let leave = correct("16", ParticipationChange::Leave, "Austritt laut Vertrag");
    let expected = Ok(vec![Event::ParticipationCorrected {
        service: elterngeld(),
        land: land("16"),
        change: ParticipationChange::Leave,
        reason: "Austritt laut Vertrag".into(),
    }]);
    // Into the closed year 2024: recorded, the views show a Nachtrag.
    for actor in ["land:04", "admin"] {
        assert_eq!(
            when(
                &with_2024_closed(),
                actor,
                leave.clone(),
                Some("2024-01-01")
            ),
            expected
        );
    }
    forbidden(
        &with_2024_closed(),
        "land:16",
        leave.clone(),
        ForbiddenReason::LeadOrAdmin,
    );
    let join = correct("09", ParticipationChange::Join, "Beitritt 2024 vergessen");
    assert!(when(&with_2024_closed(), "land:04", join, Some("2024-03-01")).is_ok());
}

#[test]
fn a_participation_correction_keeps_the_rules_of_beitritt_and_austritt() {
    invalid(
        &with_2024_closed(),
        "land:04",
        correct("16", ParticipationChange::Leave, " "),
        Some("2024-01-01"),
        "reason",
    );
    invalid(
        &with_2024_closed(),
        "land:04",
        correct("16", ParticipationChange::Leave, "zu früh"),
        Some("2023-01-01"),
        "effective",
    );
    rejects(
        &with_2024_closed(),
        "land:04",
        correct("04", ParticipationChange::Leave, "Lead"),
        Some("2024-01-01"),
        "invalid-state",
    );
    rejects(
        &with_2024_closed(),
        "admin",
        correct("16", ParticipationChange::Join, "doppelt"),
        Some("2023-07-01"),
        "already-exists",
    );
    invalid(
        &with_2024_closed(),
        "admin",
        correct("09", ParticipationChange::Join, "vor der Ankündigung"),
        Some("2019-01-01"),
        "effective",
    );
}

fn details() -> Command {
    Command::UpdateServiceDetails(UpdateServiceDetails {
        service: elterngeld(),
        title: "Elterngeld digital".into(),
        ozg_id: Some("OZG-10213".into()),
        leika: vec!["99036003000000".into()],
        themenfeld: "Familie & Kind".into(),
        provider: "Dataport".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::EqualShares,
    })
}

#[test]
fn a_cost_model_changes_only_from_an_open_year_on() {
    assert_eq!(
        when(
            &with_2024_closed(),
            "land:04",
            details(),
            Some("2024-06-01")
        ),
        Err(Rejection::YearClosed { year: 2024 })
    );
    assert_eq!(
        when(
            &with_2024_closed(),
            "land:04",
            details(),
            Some("2023-06-01")
        ),
        Err(Rejection::YearClosed { year: 2024 })
    );
    assert!(
        when(
            &with_2024_closed(),
            "land:04",
            details(),
            Some("2025-01-01")
        )
        .is_ok()
    );
    assert!(when(&history(), "land:04", details(), Some("2024-06-01")).is_ok());
}

#[test]
fn a_service_is_not_retired_with_effect_in_a_closed_year() {
    let retire = Command::RetireService(RetireService {
        service: elterngeld(),
        reason: "abgelöst".into(),
    });
    assert_eq!(
        when(
            &with_2024_closed(),
            "land:04",
            retire.clone(),
            Some("2024-12-31")
        ),
        Err(Rejection::YearClosed { year: 2024 })
    );
    assert!(when(&with_2024_closed(), "land:04", retire, Some("2025-01-01")).is_ok());
}

fn late_report(note: &str) -> Command {
    Command::ReportCost(ReportCost {
        service: elterngeld(),
        year: 2024,
        category: CostCategory::Operation,
        amount: Cents(5_000),
        note: note.into(),
    })
}

#[test]
fn costs_of_a_closed_year_are_corrections_by_the_lead_with_a_reason() {
    invalid(
        &with_2024_closed(),
        "land:04",
        late_report(""),
        None,
        "note",
    );
    assert!(
        when(
            &with_2024_closed(),
            "land:04",
            late_report("Rechnung Q4 nachgereicht"),
            None
        )
        .is_ok()
    );
    forbidden(
        &with_2024_closed(),
        "land:16",
        late_report("Rechnung"),
        ForbiddenReason::NotLeadLand,
    );
    // A correction names its reason anyway.
    let correction = Command::CorrectCost(CorrectCost {
        service: elterngeld(),
        cost_no: 1,
        amount: Cents(90_000),
        reason: "Gutschrift des Dienstleisters".into(),
    });
    assert!(when(&with_2024_closed(), "land:04", correction, None).is_ok());
}

#[test]
fn early_in_a_year_a_land_still_may_not_leave_into_the_closed_one_before() {
    // 2026-01-15: 92 days back reach into 2025, which is closed.
    let now = Ctx {
        now: Timestamp::from_micros(1_768_435_200_000_000),
    };
    let mut given = history();
    given.push((
        Event::YearClosed {
            service: elterngeld(),
            year: 2025,
            settlement: settlement(&[("04", 60_000), ("16", 40_000)], 0, &[1]),
        },
        "2026-01-10",
    ));
    let envelope = |effective: &str| CommandEnvelope {
        command_id: CommandId([8; 16]),
        actor: actor("land:16"),
        expected_version: None,
        effective: Some(date(effective)),
        command: leave("16"),
    };
    let decide_on = |effective: &str| {
        let envelope = envelope(effective);
        let related = related_streams(&envelope)
            .into_iter()
            .map(|id| (id.clone(), state_of(&given, &id)))
            .collect();
        decide(
            &state_of(&given, &envelope.command.stream()),
            &Related::new(related),
            &envelope,
            &now,
        )
    };
    assert_eq!(
        decide_on("2025-12-01"),
        Err(Rejection::YearClosed { year: 2025 })
    );
    assert!(decide_on("2026-01-01").is_ok());
}

/// The participations of `elterngeld-digital` after `given`: Land, Beitritt,
/// Austritt.
fn participations(given: &[Fact]) -> Vec<(LandCode, Date, Option<Date>)> {
    match state_of(given, &StreamId::Service(elterngeld())) {
        efa_domain::StreamState::Service(service) => service
            .participations
            .iter()
            .map(|p| (p.land, p.joined, p.left))
            .collect(),
        other => panic!("expected a service, got {other:?}"),
    }
}

/// `given` and then the events `command` decides, effective on `effective`.
fn after(given: &[Fact], actor: &str, command: Command, effective: &'static str) -> Vec<Fact> {
    let events = when(given, actor, command, Some(effective)).expect("accepted");
    let mut history = given.to_vec();
    history.extend(events.into_iter().map(|event| (event, effective)));
    history
}

#[test]
fn a_beitritt_recorded_on_the_wrong_day_is_moved_by_a_correction() {
    let bremen = (land("04"), date("2020-01-01"), None);
    // Thüringen's Beitritt was recorded for 2023-07-01; it was 2022-01-01,
    // into what is now closed and before it. The event names both days.
    check_on(
        &with_2024_closed(),
        "land:04",
        correct("16", ParticipationChange::Join, "Vertrag vom Dezember 2021"),
        "2022-01-01",
        Ok(vec![Event::ParticipationMoved {
            service: elterngeld(),
            land: land("16"),
            change: ParticipationChange::Join,
            from: date("2023-07-01"),
            reason: "Vertrag vom Dezember 2021".into(),
        }]),
    );
    let earlier = after(
        &with_2024_closed(),
        "land:04",
        correct("16", ParticipationChange::Join, "Vertrag vom Dezember 2021"),
        "2022-01-01",
    );
    assert_eq!(
        participations(&earlier),
        vec![bremen, (land("16"), date("2022-01-01"), None)]
    );
    // And back to a later day, by the administration.
    let later = after(
        &earlier,
        "admin",
        correct("16", ParticipationChange::Join, "doch erst 2024"),
        "2024-04-01",
    );
    assert_eq!(
        participations(&later),
        vec![bremen, (land("16"), date("2024-04-01"), None)]
    );
    // Not before the announcement, not by the Land itself, not for the
    // lead, and not to the day it has.
    invalid(
        &later,
        "admin",
        correct("16", ParticipationChange::Join, "zu früh"),
        Some("2019-12-31"),
        "effective",
    );
    forbidden(
        &later,
        "land:16",
        correct("16", ParticipationChange::Join, "selbst"),
        ForbiddenReason::LeadOrAdmin,
    );
    rejects(
        &later,
        "admin",
        correct("04", ParticipationChange::Join, "Lead"),
        Some("2019-06-01"),
        "invalid-state",
    );
    rejects(
        &later,
        "admin",
        correct("16", ParticipationChange::Join, "doppelt"),
        Some("2024-04-01"),
        "already-exists",
    );
}

#[test]
fn a_moved_beitritt_stays_after_the_lands_previous_austritt() {
    let left = after(
        &history(),
        "admin",
        correct("16", ParticipationChange::Leave, "Austritt"),
        "2023-12-31",
    );
    let rejoined = after(&left, "land:16", join("16"), "2025-01-01");
    invalid(
        &rejoined,
        "admin",
        correct("16", ParticipationChange::Join, "vor dem Austritt"),
        Some("2023-06-01"),
        "effective",
    );
    let moved = after(
        &rejoined,
        "admin",
        correct("16", ParticipationChange::Join, "direkt anschließend"),
        "2024-01-01",
    );
    assert_eq!(
        participations(&moved)[1..],
        [
            (land("16"), date("2023-07-01"), Some(date("2023-12-31"))),
            (land("16"), date("2024-01-01"), None),
        ]
    );
}

#[test]
fn the_beitritt_of_a_land_that_has_left_is_moved_by_a_beitritt_before_its_austritt() {
    let left = after(&history(), "land:16", leave("16"), "2025-10-31");
    check_on(
        &left,
        "admin",
        correct("16", ParticipationChange::Join, "Vertrag vom Januar 2023"),
        "2023-01-01",
        Ok(vec![Event::ParticipationMoved {
            service: elterngeld(),
            land: land("16"),
            change: ParticipationChange::Join,
            from: date("2023-07-01"),
            reason: "Vertrag vom Januar 2023".into(),
        }]),
    );
    let moved = after(
        &left,
        "admin",
        correct("16", ParticipationChange::Join, "Vertrag vom Januar 2023"),
        "2023-01-01",
    );
    assert_eq!(
        participations(&moved)[1],
        (land("16"), date("2023-01-01"), Some(date("2025-10-31")))
    );
    // On or after the Austritt the Land joins again.
    let again = after(
        &moved,
        "admin",
        correct("16", ParticipationChange::Join, "wieder dabei"),
        "2025-10-31",
    );
    assert_eq!(participations(&again).len(), 3);
}

#[test]
fn an_austritt_recorded_on_the_wrong_day_is_moved_by_a_correction() {
    let left = after(&history(), "land:16", leave("16"), "2025-10-31");
    // It was the end of June: earlier, and later again.
    check_on(
        &left,
        "admin",
        correct("16", ParticipationChange::Leave, "Kündigung zum 30.6."),
        "2025-06-30",
        Ok(vec![Event::ParticipationMoved {
            service: elterngeld(),
            land: land("16"),
            change: ParticipationChange::Leave,
            from: date("2025-10-31"),
            reason: "Kündigung zum 30.6.".into(),
        }]),
    );
    let earlier = after(
        &left,
        "land:04",
        correct("16", ParticipationChange::Leave, "Kündigung zum 30.6."),
        "2025-06-30",
    );
    assert_eq!(
        participations(&earlier)[1],
        (land("16"), date("2023-07-01"), Some(date("2025-06-30")))
    );
    let later = after(
        &earlier,
        "admin",
        correct("16", ParticipationChange::Leave, "doch zum 30.9."),
        "2025-09-30",
    );
    assert_eq!(
        participations(&later)[1],
        (land("16"), date("2023-07-01"), Some(date("2025-09-30")))
    );
    invalid(
        &later,
        "admin",
        correct("16", ParticipationChange::Leave, "vor dem Beitritt"),
        Some("2023-06-30"),
        "effective",
    );
    rejects(
        &later,
        "admin",
        correct("16", ParticipationChange::Leave, "doppelt"),
        Some("2025-09-30"),
        "already-exists",
    );
    // A Land that never took part has no Austritt to move.
    rejects(
        &later,
        "admin",
        correct("09", ParticipationChange::Leave, "nie dabei"),
        Some("2025-09-30"),
        "invalid-state",
    );
}

#[test]
fn on_a_retired_service_dates_move_but_not_past_the_retirement() {
    let retired = after(
        &history(),
        "land:04",
        Command::RetireService(RetireService {
            service: elterngeld(),
            reason: "abgelöst".into(),
        }),
        "2025-08-31",
    );
    assert_eq!(
        participations(&retired)[1],
        (land("16"), date("2023-07-01"), Some(date("2025-08-31")))
    );
    invalid(
        &retired,
        "admin",
        correct("16", ParticipationChange::Leave, "später"),
        Some("2025-09-30"),
        "effective",
    );
    // The Beitritt of a participation the retirement ended still moves,
    // but not onto the retirement.
    let beitritt = after(
        &retired,
        "admin",
        correct("16", ParticipationChange::Join, "Vertrag vom Januar"),
        "2023-01-01",
    );
    assert_eq!(
        participations(&beitritt)[1],
        (land("16"), date("2023-01-01"), Some(date("2025-08-31")))
    );
    rejects(
        &retired,
        "admin",
        correct("16", ParticipationChange::Join, "zu spät"),
        Some("2025-08-31"),
        "invalid-state",
    );
    let earlier = after(
        &retired,
        "admin",
        correct("16", ParticipationChange::Leave, "früher"),
        "2025-03-31",
    );
    assert_eq!(
        participations(&earlier)[1],
        (land("16"), date("2023-07-01"), Some(date("2025-03-31")))
    );
    // Joining a retired service again, after the Austritt: refused.
    rejects(
        &earlier,
        "admin",
        correct("16", ParticipationChange::Join, "wieder"),
        Some("2025-04-01"),
        "invalid-state",
    );
}
