//! Announcing, updating, status, Reifegrad, retiring.

use efa_proto::*;

use crate::*;

#[test]
fn a_land_announces_a_service_it_leads() {
    let cmd = announce_cmd("elterngeld-digital", "04");
    check(
        &[],
        "land:04",
        Command::AnnounceService(cmd.clone()),
        Ok(vec![Event::ServiceAnnounced(cmd.into())]),
    );
}

#[test]
fn announcing_for_another_land_or_as_a_non_land_is_forbidden() {
    let cmd = || Command::AnnounceService(announce_cmd("elterngeld-digital", "04"));
    forbidden(&[], "land:16", cmd(), ForbiddenReason::NotOwnLand);
    forbidden(&[], "gemeinde:16051000", cmd(), ForbiddenReason::LandOnly);
    forbidden(&[], "admin", cmd(), ForbiddenReason::LandOnly);
    forbidden(
        &[],
        "operator:kiv-thueringen",
        cmd(),
        ForbiddenReason::LandOnly,
    );
}

#[test]
fn a_service_is_announced_once() {
    let cmd = Command::AnnounceService(announce_cmd("elterngeld-digital", "04"));
    let expected = Err(Rejection::AlreadyExists {
        what: "EfA-Leistung elterngeld-digital".into(),
    });
    check(&[announced()], "land:04", cmd, expected);
}

#[test]
fn announcements_need_complete_plausible_fields() {
    type Spoil = Box<dyn Fn(&mut AnnounceService)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("title", Box::new(|c| c.title = "  ".into())),
        ("title", Box::new(|c| c.title = " Elterngeld".into())),
        ("title", Box::new(|c| c.title = "x".repeat(301))),
        ("themenfeld", Box::new(|c| c.themenfeld = String::new())),
        (
            "provider",
            Box::new(|c| c.provider = "Data\u{7}port".into()),
        ),
        ("ozg_id", Box::new(|c| c.ozg_id = Some(String::new()))),
        ("leika", Box::new(|c| c.leika = vec!["123".into()])),
        (
            "cost_model.year",
            Box::new(|c| c.cost_model = CostModel::KoenigsteinerSchluessel { year: Some(1900) }),
        ),
        // A key year no key can be published for: its costs could never
        // be split.
        (
            "cost_model.year",
            Box::new(|c| c.cost_model = CostModel::KoenigsteinerSchluessel { year: Some(1999) }),
        ),
        ("title", Box::new(|c| c.title = "Wohngeld\nantrag".into())),
        ("title", Box::new(|c| c.title = "Wohngeld\u{3164}".into())),
        (
            "cost_model.weights",
            Box::new(|c| c.cost_model = CostModel::FixedShares { weights: vec![] }),
        ),
        (
            "cost_model.weights",
            Box::new(|c| {
                c.cost_model = CostModel::FixedShares {
                    weights: vec![(land("04"), 1), (land("04"), 2)],
                }
            }),
        ),
        ("status", Box::new(|c| c.status = ServiceStatus::Retired)),
    ];
    for (field, spoil) in cases {
        let mut cmd = announce_cmd("elterngeld-digital", "04");
        spoil(&mut cmd);
        invalid(&[], "land:04", Command::AnnounceService(cmd), None, field);
    }
}

#[test]
fn effective_dates_must_be_plausible() {
    let cmd = || Command::AnnounceService(announce_cmd("elterngeld-digital", "04"));
    invalid(&[], "land:04", cmd(), Some("1999-12-31"), "effective");
    invalid(&[], "land:04", cmd(), Some("2030-01-01"), "effective");
    assert!(
        when(&[], "land:04", cmd(), Some("2026-06-30")).is_ok(),
        "a planned date within two years is fine"
    );
}

fn details(id: &str) -> UpdateServiceDetails {
    UpdateServiceDetails {
        service: sid(id),
        title: "Elterngeld Digital 2.0".into(),
        ozg_id: None,
        leika: vec![],
        themenfeld: "Familie & Kind".into(),
        provider: "Dataport AöR".into(),
        channel: Channel::FitStore,
        cost_model: CostModel::EqualShares,
    }
}

#[test]
fn only_the_lead_updates_details_of_an_existing_service() {
    let cmd = details("elterngeld-digital");
    check(
        &[announced()],
        "land:04",
        Command::UpdateServiceDetails(cmd.clone()),
        Ok(vec![Event::ServiceDetailsUpdated(cmd.clone().into())]),
    );
    forbidden(
        &[announced()],
        "land:16",
        Command::UpdateServiceDetails(cmd.clone()),
        ForbiddenReason::NotLeadLand,
    );
    forbidden(
        &[announced()],
        "gemeinde:04011000",
        Command::UpdateServiceDetails(cmd.clone()),
        ForbiddenReason::LandOnly,
    );
    rejects(
        &[],
        "land:04",
        Command::UpdateServiceDetails(cmd.clone()),
        None,
        "not-found",
    );
    let mut empty_title = cmd;
    empty_title.title = String::new();
    invalid(
        &[announced()],
        "land:04",
        Command::UpdateServiceDetails(empty_title),
        None,
        "title",
    );
}

#[test]
fn the_lead_changes_the_status_to_a_different_one() {
    let cmd = |status| {
        Command::ChangeServiceStatus(ChangeServiceStatus {
            service: elterngeld(),
            status,
        })
    };
    let changed = Event::ServiceStatusChanged {
        service: elterngeld(),
        from: ServiceStatus::InDevelopment,
        to: ServiceStatus::Pilot,
    };
    check(
        &[announced()],
        "land:04",
        cmd(ServiceStatus::Pilot),
        Ok(vec![changed]),
    );
    forbidden(
        &[announced()],
        "land:16",
        cmd(ServiceStatus::Pilot),
        ForbiddenReason::NotLeadLand,
    );
    rejects(
        &[announced()],
        "land:04",
        cmd(ServiceStatus::InDevelopment),
        None,
        "invalid-state",
    );
    invalid(
        &[announced()],
        "land:04",
        cmd(ServiceStatus::Retired),
        None,
        "status",
    );
    rejects(&[], "land:04", cmd(ServiceStatus::Pilot), None, "not-found");
}

#[test]
fn the_lead_assesses_the_reifegrad() {
    let cmd = || {
        Command::AssessReifegrad(AssessReifegrad {
            service: elterngeld(),
            reifegrad: Reifegrad::new(3).unwrap(),
        })
    };
    check(
        &[announced()],
        "land:04",
        cmd(),
        Ok(vec![Event::ReifegradAssessed {
            service: elterngeld(),
            reifegrad: Reifegrad::new(3).unwrap(),
        }]),
    );
    forbidden(
        &[announced()],
        "land:09",
        cmd(),
        ForbiddenReason::NotLeadLand,
    );
}

#[test]
fn a_retired_service_changes_no_more() {
    let retire = |reason: &str| {
        Command::RetireService(RetireService {
            service: elterngeld(),
            reason: reason.into(),
        })
    };
    let retired = (
        Event::ServiceRetired {
            service: elterngeld(),
            reason: "abgelöst".into(),
        },
        "2024-01-01",
    );
    check(
        &[announced()],
        "land:04",
        retire("abgelöst"),
        Ok(vec![retired.0.clone()]),
    );
    forbidden(
        &[announced()],
        "land:16",
        retire("abgelöst"),
        ForbiddenReason::NotLeadLand,
    );
    invalid(&[announced()], "land:04", retire(""), None, "reason");
    let history = [announced(), retired];
    rejects(
        &history,
        "land:04",
        retire("nochmal"),
        None,
        "invalid-state",
    );
    let status = Command::ChangeServiceStatus(ChangeServiceStatus {
        service: elterngeld(),
        status: ServiceStatus::Pilot,
    });
    rejects(&history, "land:04", status, None, "invalid-state");
    rejects(
        &history,
        "land:04",
        Command::UpdateServiceDetails(details("elterngeld-digital")),
        None,
        "invalid-state",
    );
}
