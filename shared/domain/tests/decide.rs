//! The domain as data: given events, when a command, then events or a
//! rejection.

#![allow(clippy::unwrap_used)] // test code: a failed step should fail the test loudly

use efa_domain::{Ctx, StreamState, decide, evolve};
use efa_proto::*;

fn ctx() -> Ctx {
    Ctx {
        now: Timestamp::from_micros(1_764_460_800_000_000),
    } // 2025-11-30
}

fn announce(lead: &str) -> AnnounceService {
    AnnounceService {
        service: ServiceId::parse("elterngeld-digital").unwrap(),
        title: "Elterngeld digital".into(),
        lead: LandCode::parse(lead).unwrap(),
        ozg_id: Some("OZG-10213".into()),
        leika: vec!["99036003000000".into()],
        themenfeld: "Familie & Kind".into(),
        provider: "Dataport".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::KoenigsteinerSchluessel { year: Some(2016) },
        status: ServiceStatus::InDevelopment,
        reifegrad: Reifegrad::new(2).unwrap(),
    }
}

fn envelope(actor: Actor, command: Command) -> CommandEnvelope {
    CommandEnvelope {
        command_id: CommandId([7; 16]),
        actor,
        expected_version: None,
        effective: None,
        command,
    }
}

/// Given `history`, when `command` by `actor`, then `expected`.
#[track_caller]
fn check(
    history: &[Event],
    actor: Actor,
    command: Command,
    expected: Result<Vec<Event>, Rejection>,
) {
    let state = history.iter().fold(StreamState::Empty, evolve);
    assert_eq!(decide(&state, &envelope(actor, command), &ctx()), expected);
}

fn land(code: &str) -> Actor {
    Actor::Land(LandCode::parse(code).unwrap())
}

#[test]
fn a_land_announces_a_service_it_leads() {
    let cmd = announce("04");
    check(
        &[],
        land("04"),
        Command::AnnounceService(cmd.clone()),
        Ok(vec![Event::ServiceAnnounced(cmd.into())]),
    );
}

#[test]
fn a_land_cannot_announce_for_another_land() {
    let expected = Err(Rejection::Forbidden {
        reason: ForbiddenReason::NotOwnLand,
    });
    check(
        &[],
        land("16"),
        Command::AnnounceService(announce("04")),
        expected,
    );
}

#[test]
fn only_a_land_announces() {
    let forbidden = Err(Rejection::Forbidden {
        reason: ForbiddenReason::LandOnly,
    });
    let gemeinde = Actor::Gemeinde(Ags::parse("16051000").unwrap());
    check(
        &[],
        gemeinde,
        Command::AnnounceService(announce("04")),
        forbidden.clone(),
    );
    check(
        &[],
        Actor::Admin,
        Command::AnnounceService(announce("04")),
        forbidden.clone(),
    );
    let kiv = Actor::Operator(OperatorId::parse("kiv-thueringen").unwrap());
    check(
        &[],
        kiv,
        Command::AnnounceService(announce("04")),
        forbidden,
    );
}

#[test]
fn a_service_is_announced_once() {
    let cmd = announce("04");
    let history = [Event::ServiceAnnounced(cmd.clone().into())];
    let expected = Err(Rejection::AlreadyExists {
        what: "EfA-Leistung elterngeld-digital".into(),
    });
    check(
        &history,
        land("04"),
        Command::AnnounceService(cmd),
        expected,
    );
}

#[test]
fn announcements_need_complete_fields() {
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
        (
            "cost_model.weights",
            Box::new(|c| c.cost_model = CostModel::FixedShares { weights: vec![] }),
        ),
        ("status", Box::new(|c| c.status = ServiceStatus::Retired)),
    ];
    for (field, spoil) in cases {
        let mut cmd = announce("04");
        spoil(&mut cmd);
        let state = StreamState::Empty;
        match decide(
            &state,
            &envelope(land("04"), Command::AnnounceService(cmd)),
            &ctx(),
        ) {
            Err(Rejection::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
    }
}

#[test]
fn fixed_shares_name_each_land_once() {
    let mut cmd = announce("04");
    let bremen = LandCode::parse("04").unwrap();
    cmd.cost_model = CostModel::FixedShares {
        weights: vec![(bremen, 1), (bremen, 2)],
    };
    let result = decide(
        &StreamState::Empty,
        &envelope(land("04"), Command::AnnounceService(cmd)),
        &ctx(),
    );
    assert!(
        matches!(result, Err(Rejection::Invalid { field, .. }) if field == "cost_model.weights")
    );
}
