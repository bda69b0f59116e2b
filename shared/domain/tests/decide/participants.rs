//! Municipalities, Kreise, operators.

use efa_proto::*;

use crate::*;

fn register(text: &str, name: &str) -> Command {
    Command::RegisterGemeinde(RegisterGemeinde {
        ags: ags(text),
        name: name.into(),
        population: None,
    })
}

fn registered(text: &str, name: &str) -> Fact {
    (
        Event::GemeindeRegistered {
            ags: ags(text),
            name: name.into(),
            population: None,
        },
        "2020-01-01",
    )
}

#[test]
fn an_administrator_registers_a_municipality_once() {
    let population = Some(Population {
        count: 213_699,
        reference_date: date("2018-12-31"),
    });
    let cmd = Command::RegisterGemeinde(RegisterGemeinde {
        ags: ags("16051000"),
        name: "Erfurt".into(),
        population,
    });
    check(
        &[],
        "admin",
        cmd.clone(),
        Ok(vec![Event::GemeindeRegistered {
            ags: ags("16051000"),
            name: "Erfurt".into(),
            population,
        }]),
    );
    forbidden(&[], "land:16", cmd.clone(), ForbiddenReason::AdminOnly);
    rejects(
        &[registered("16051000", "Erfurt")],
        "admin",
        cmd,
        None,
        "already-exists",
    );
    invalid(&[], "admin", register("16051000", ""), None, "name");
    let huge = Some(Population {
        count: 200_000_000,
        reference_date: date("2018-12-31"),
    });
    let cmd = Command::RegisterGemeinde(RegisterGemeinde {
        ags: ags("16051000"),
        name: "Erfurt".into(),
        population: huge,
    });
    invalid(&[], "admin", cmd, None, "population");
}

#[test]
fn renaming_needs_an_active_municipality_and_a_new_name() {
    let rename = |name: &str| {
        Command::RenameGemeinde(RenameGemeinde {
            ags: ags("16068001"),
            name: name.into(),
        })
    };
    let history = [registered("16068001", "Beispielgemeinde Alt")];
    check(
        &history,
        "admin",
        rename("Beispielgemeinde Neu"),
        Ok(vec![Event::GemeindeRenamed {
            ags: ags("16068001"),
            name: "Beispielgemeinde Neu".into(),
        }]),
    );
    rejects(
        &history,
        "admin",
        rename("Beispielgemeinde Alt"),
        None,
        "invalid-state",
    );
    rejects(&[], "admin", rename("X"), None, "not-found");
    forbidden(
        &history,
        "gemeinde:16068001",
        rename("X"),
        ForbiddenReason::AdminOnly,
    );
}

#[test]
fn a_municipality_merges_into_an_active_successor_of_its_land() {
    let merge = |from: &str, to: &str| {
        Command::MergeGemeinde(MergeGemeinde {
            ags: ags(from),
            successor: ags(to),
        })
    };
    let history = [
        registered("16068001", "Beispielgemeinde A"),
        registered("16068002", "Beispielgemeinde B"),
    ];
    check(
        &history,
        "admin",
        merge("16068001", "16068002"),
        Ok(vec![Event::GemeindeMerged {
            ags: ags("16068001"),
            successor: ags("16068002"),
        }]),
    );
    rejects(
        &history,
        "admin",
        merge("16068001", "16068003"),
        None,
        "not-found",
    );
    invalid(
        &history,
        "admin",
        merge("16068001", "16068001"),
        None,
        "successor",
    );
    invalid(
        &history,
        "admin",
        merge("16068001", "15068001"),
        None,
        "successor",
    );
    forbidden(
        &history,
        "land:16",
        merge("16068001", "16068002"),
        ForbiddenReason::AdminOnly,
    );

    let merged = (
        Event::GemeindeMerged {
            ags: ags("16068001"),
            successor: ags("16068002"),
        },
        "2024-01-01",
    );
    let history = [
        registered("16068001", "A"),
        registered("16068002", "B"),
        merged,
    ];
    rejects(
        &history,
        "admin",
        merge("16068001", "16068002"),
        None,
        "invalid-state",
    );
    rejects(
        &history,
        "admin",
        merge("16068002", "16068001"),
        None,
        "invalid-state",
    );
}

#[test]
fn retiring_ends_a_municipality() {
    let retire = || {
        Command::RetireGemeinde(RetireGemeinde {
            ags: ags("16068001"),
        })
    };
    let history = [registered("16068001", "A")];
    check(
        &history,
        "admin",
        retire(),
        Ok(vec![Event::GemeindeRetired {
            ags: ags("16068001"),
        }]),
    );
    let retired = [
        registered("16068001", "A"),
        (
            Event::GemeindeRetired {
                ags: ags("16068001"),
            },
            "2024-01-01",
        ),
    ];
    rejects(&retired, "admin", retire(), None, "invalid-state");
    rejects(&[], "admin", retire(), None, "not-found");
}

#[test]
fn kreise_are_registered_once() {
    let cmd = Command::RegisterKreis(RegisterKreis {
        key: KreisKey::parse("16068").unwrap(),
        name: "Sömmerda".into(),
        population: None,
    });
    let event = Event::KreisRegistered {
        key: KreisKey::parse("16068").unwrap(),
        name: "Sömmerda".into(),
        population: None,
    };
    check(&[], "admin", cmd.clone(), Ok(vec![event.clone()]));
    rejects(
        &[(event, "2020-01-01")],
        "admin",
        cmd.clone(),
        None,
        "already-exists",
    );
    forbidden(
        &[],
        "operator:kiv-thueringen",
        cmd,
        ForbiddenReason::AdminOnly,
    );
}

#[test]
fn operators_are_registered_with_a_region() {
    let kiv = OperatorId::parse("kiv-thueringen").unwrap();
    let cmd = |region| {
        Command::RegisterOperator(RegisterOperator {
            operator: kiv.clone(),
            name: "KIV Thüringen".into(),
            region,
        })
    };
    check(
        &[],
        "admin",
        cmd(Region::Land(land("16"))),
        Ok(vec![kiv_registered().0]),
    );
    rejects(
        &[kiv_registered()],
        "admin",
        cmd(Region::Land(land("16"))),
        None,
        "already-exists",
    );
    invalid(&[], "admin", cmd(Region::Kreise(vec![])), None, "region");
    let twice = KreisKey::parse("16068").unwrap();
    invalid(
        &[],
        "admin",
        cmd(Region::Kreise(vec![twice, twice])),
        None,
        "region",
    );
    forbidden(
        &[],
        "land:16",
        cmd(Region::Land(land("16"))),
        ForbiddenReason::AdminOnly,
    );
}
