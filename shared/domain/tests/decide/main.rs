//! The domain as data: given events, when a command, then events or a
//! rejection. One `check` helper drives every case; each command and each
//! rejection it can give has a case.

#![allow(clippy::unwrap_used)] // test code: a failed step should fail the test loudly

mod adoption;
mod closed_years;
mod costs;
mod participants;
mod participation;
mod properties;
mod reference;
mod service;
mod settlement;

use efa_domain::{Ctx, Related, StreamState, decide, evolve, related_streams};
use efa_proto::*;

/// "Today" for every case: 2025-11-30.
pub fn ctx() -> Ctx {
    Ctx {
        now: Timestamp::from_micros(1_764_460_800_000_000),
    }
}

pub fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

pub fn land(code: &str) -> LandCode {
    LandCode::parse(code).unwrap()
}

pub fn ags(text: &str) -> Ags {
    Ags::parse(text).unwrap()
}

pub fn sid(text: &str) -> ServiceId {
    ServiceId::parse(text).unwrap()
}

pub fn actor(text: &str) -> Actor {
    Actor::parse(text).unwrap()
}

/// A fact of the history: an event and the day it took effect.
pub type Fact = (Event, &'static str);

/// The state of `stream` after the facts that belong to it.
pub fn state_of(given: &[Fact], stream: &StreamId) -> StreamState {
    given
        .iter()
        .filter(|(event, _)| event.stream() == *stream)
        .fold(StreamState::Empty, |state, (event, day)| {
            evolve(state, event, date(day))
        })
}

/// Decides `command` by `actor`, effective on `effective` (today if
/// `None`), after the facts in `given`.
pub fn when(
    given: &[Fact],
    actor_text: &str,
    command: Command,
    effective: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    let envelope = CommandEnvelope {
        command_id: CommandId([7; 16]),
        actor: actor(actor_text),
        expected_version: None,
        effective: effective.map(date),
        command,
    };
    let state = state_of(given, &envelope.command.stream());
    let related = related_streams(&envelope)
        .into_iter()
        .map(|id| (id.clone(), state_of(given, &id)))
        .collect();
    decide(&state, &Related::new(related), &envelope, &ctx())
}

/// Given `given`, when `command`, then `expected`.
#[track_caller]
pub fn check(
    given: &[Fact],
    actor: &str,
    command: Command,
    expected: Result<Vec<Event>, Rejection>,
) {
    assert_eq!(when(given, actor, command, None), expected);
}

/// Like `check`, with an effective date.
#[track_caller]
pub fn check_on(
    given: &[Fact],
    actor: &str,
    command: Command,
    effective: &str,
    expected: Result<Vec<Event>, Rejection>,
) {
    assert_eq!(when(given, actor, command, Some(effective)), expected);
}

/// Asserts a rejection of the given kind (its `code`), whatever its text.
#[track_caller]
pub fn rejects(given: &[Fact], actor: &str, command: Command, effective: Option<&str>, code: &str) {
    match when(given, actor, command, effective) {
        Err(rejection) => assert_eq!(rejection.code(), code, "{rejection}"),
        Ok(events) => panic!("expected a {code} rejection, got {events:?}"),
    }
}

#[track_caller]
pub fn forbidden(given: &[Fact], actor: &str, command: Command, reason: ForbiddenReason) {
    assert_eq!(
        when(given, actor, command, None),
        Err(Rejection::Forbidden { reason })
    );
}

/// Asserts an `Invalid` rejection naming `field`.
#[track_caller]
pub fn invalid(
    given: &[Fact],
    actor: &str,
    command: Command,
    effective: Option<&str>,
    field: &str,
) {
    match when(given, actor, command, effective) {
        Err(Rejection::Invalid { field: got, reason }) => assert_eq!(got, field, "{reason}"),
        other => panic!("expected Invalid({field}), got {other:?}"),
    }
}

pub fn announce_cmd(id: &str, lead: &str) -> AnnounceService {
    AnnounceService {
        service: sid(id),
        title: "Elterngeld digital".into(),
        lead: land(lead),
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

/// The service `elterngeld-digital`, announced by Bremen on 2020-01-01.
pub fn announced() -> Fact {
    (
        Event::ServiceAnnounced(announce_cmd("elterngeld-digital", "04").into()),
        "2020-01-01",
    )
}

pub fn elterngeld() -> ServiceId {
    sid("elterngeld-digital")
}

pub fn erfurt_registered() -> Fact {
    (
        Event::GemeindeRegistered {
            ags: ags("16051000"),
            name: "Erfurt".into(),
            population: None,
        },
        "2020-01-01",
    )
}

pub fn kiv_registered() -> Fact {
    let kiv = OperatorId::parse("kiv-thueringen").unwrap();
    (
        Event::OperatorRegistered {
            operator: kiv,
            name: "KIV Thüringen".into(),
            region: Region::Land(land("16")),
        },
        "2020-01-01",
    )
}
