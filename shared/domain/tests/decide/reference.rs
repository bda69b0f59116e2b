//! Allocation keys and population figures.

use efa_proto::*;

use crate::*;

/// The Königsteiner Schlüssel 2016 in units of 1/100,000 percent (source:
/// BAMF / BIAJ tables and KommunalWiki, "Königsteiner Schlüssel").
pub fn key_2016() -> Vec<(LandCode, u32)> {
    [
        ("01", 339_074),
        ("02", 255_752),
        ("03", 933_138),
        ("04", 95_331),
        ("05", 2_114_424),
        ("06", 739_885),
        ("07", 483_089),
        ("08", 1_296_662),
        ("09", 1_553_327),
        ("10", 121_111),
        ("11", 508_324),
        ("12", 303_655),
        ("13", 201_240),
        ("14", 505_577),
        ("15", 279_941),
        ("16", 269_470),
    ]
    .into_iter()
    .map(|(code, share)| (land(code), share))
    .collect()
}

fn publish(shares: Vec<(LandCode, u32)>) -> Command {
    Command::PublishAllocationKey(PublishAllocationKey { year: 2016, shares })
}

#[test]
fn a_key_of_sixteen_shares_adding_up_to_exactly_100_percent_is_published() {
    let total: u32 = key_2016().iter().map(|(_, s)| s).sum();
    assert_eq!(total, KEY_UNITS_TOTAL, "the test's own key adds up");
    let mut shuffled = key_2016();
    shuffled.reverse();
    check(
        &[],
        "admin",
        publish(shuffled),
        Ok(vec![Event::AllocationKeyPublished {
            year: 2016,
            shares: key_2016(),
        }]),
    );
    forbidden(
        &[],
        "land:16",
        publish(key_2016()),
        ForbiddenReason::AdminOnly,
    );
}

#[test]
fn keys_that_do_not_add_up_or_miss_a_land_are_rejected() {
    let mut short = key_2016();
    short[0].1 -= 1;
    invalid(&[], "admin", publish(short), None, "shares");
    let mut missing = key_2016();
    missing.pop();
    invalid(&[], "admin", publish(missing), None, "shares");
    let mut twice = key_2016();
    twice[15].0 = land("01");
    invalid(&[], "admin", publish(twice), None, "shares");
    let year = Command::PublishAllocationKey(PublishAllocationKey {
        year: 1990,
        shares: key_2016(),
    });
    invalid(&[], "admin", year, None, "year");
}

#[test]
fn a_year_is_published_once() {
    let history = [(
        Event::AllocationKeyPublished {
            year: 2016,
            shares: key_2016(),
        },
        "2016-01-01",
    )];
    rejects(
        &history,
        "admin",
        publish(key_2016()),
        None,
        "already-exists",
    );
}

fn figures() -> Vec<(LandCode, u64)> {
    LandCode::all()
        .map(|land| (land, 1_000_000 + u64::from(land.get())))
        .collect()
}

#[test]
fn population_figures_cover_all_lands_with_plausible_counts() {
    let cmd = |figures| {
        Command::PublishPopulation(PublishPopulation {
            reference_date: date("2018-12-31"),
            figures,
        })
    };
    check(
        &[],
        "admin",
        cmd(figures()),
        Ok(vec![Event::PopulationPublished {
            reference_date: date("2018-12-31"),
            figures: figures(),
        }]),
    );
    forbidden(&[], "land:04", cmd(figures()), ForbiddenReason::AdminOnly);
    let mut zero = figures();
    zero[3].1 = 0;
    invalid(&[], "admin", cmd(zero), None, "figures");
    invalid(&[], "admin", cmd(figures()[1..].to_vec()), None, "figures");
    let history = [(
        Event::PopulationPublished {
            reference_date: date("2018-12-31"),
            figures: figures(),
        },
        "2018-12-31",
    )];
    rejects(&history, "admin", cmd(figures()), None, "already-exists");
}
