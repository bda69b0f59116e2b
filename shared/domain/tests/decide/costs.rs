//! Reporting and correcting costs.

use efa_proto::*;

use crate::*;

fn report(amount: i64, year: u16) -> Command {
    Command::ReportCost(ReportCost {
        service: elterngeld(),
        year,
        category: CostCategory::Development,
        amount: Cents(amount),
        note: "Entwicklung 1. Los".into(),
    })
}

fn reported(cost_no: u32, amount: i64) -> Fact {
    let event = Event::CostReported(CostReported {
        service: elterngeld(),
        cost_no,
        year: 2021,
        category: CostCategory::Development,
        amount: Cents(amount),
        note: String::new(),
    });
    (event, "2021-12-31")
}

#[test]
fn the_lead_reports_numbered_cost_lines() {
    let expected = Event::CostReported(CostReported {
        service: elterngeld(),
        cost_no: 2,
        year: 2021,
        category: CostCategory::Development,
        amount: Cents(120_000_000),
        note: "Entwicklung 1. Los".into(),
    });
    check(
        &[announced(), reported(1, 5)],
        "land:04",
        report(120_000_000, 2021),
        Ok(vec![expected]),
    );
    forbidden(
        &[announced()],
        "land:16",
        report(1, 2021),
        ForbiddenReason::NotLeadLand,
    );
    forbidden(
        &[announced()],
        "admin",
        report(1, 2021),
        ForbiddenReason::LandOnly,
    );
    rejects(&[], "land:04", report(1, 2021), None, "not-found");
}

#[test]
fn amounts_and_years_must_be_plausible() {
    invalid(&[announced()], "land:04", report(0, 2021), None, "amount");
    invalid(&[announced()], "land:04", report(-5, 2021), None, "amount");
    invalid(
        &[announced()],
        "land:04",
        report(10_000_000_000_001, 2021),
        None,
        "amount",
    );
    invalid(&[announced()], "land:04", report(100, 1999), None, "year");
}

#[test]
fn a_correction_names_an_existing_line() {
    let correct = |cost_no, amount, reason: &str| {
        Command::CorrectCost(CorrectCost {
            service: elterngeld(),
            cost_no,
            amount: Cents(amount),
            reason: reason.into(),
        })
    };
    let history = [announced(), reported(1, 500)];
    let expected = Event::CostCorrected {
        service: elterngeld(),
        cost_no: 1,
        amount: Cents(450),
        reason: "Gutschrift".into(),
    };
    check(
        &history,
        "land:04",
        correct(1, 450, "Gutschrift"),
        Ok(vec![expected]),
    );
    assert!(
        when(&history, "land:04", correct(1, 0, "storniert"), None).is_ok(),
        "a line may be corrected to zero"
    );
    rejects(&history, "land:04", correct(2, 450, "x"), None, "not-found");
    rejects(&history, "land:04", correct(0, 450, "x"), None, "not-found");
    invalid(&history, "land:04", correct(1, -1, "x"), None, "amount");
    invalid(&history, "land:04", correct(1, 450, ""), None, "reason");
    forbidden(
        &history,
        "land:16",
        correct(1, 450, "x"),
        ForbiddenReason::NotLeadLand,
    );
}

/// Nothing about a service takes effect before its announcement
/// (2020-01-01): not a cost, not a status.
#[test]
fn nothing_of_a_service_takes_effect_before_its_announcement() {
    invalid(
        &[announced()],
        "land:04",
        report(5, 2021),
        Some("2019-12-31"),
        "effective",
    );
    let status = Command::ChangeServiceStatus(ChangeServiceStatus {
        service: elterngeld(),
        status: ServiceStatus::Pilot,
    });
    invalid(
        &[announced()],
        "land:04",
        status.clone(),
        Some("2019-06-01"),
        "effective",
    );
    check_on(
        &[announced()],
        "land:04",
        status,
        "2020-01-01",
        Ok(vec![Event::ServiceStatusChanged {
            service: elterngeld(),
            from: ServiceStatus::InDevelopment,
            to: ServiceStatus::Pilot,
        }]),
    );
}
