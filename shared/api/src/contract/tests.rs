//! The request structs read from JSON: each mistake names its field.

use efa_proto::{
    AdoptionStage, Ags, Cents, Channel, Command, CostCategory, CostModel, Date, KreisKey, LandCode,
    Region, Rejection, ServiceId, ServiceStatus,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Parsed, WriteBody, adoptions, from_json, participants, reference, services};

fn read<T: DeserializeOwned>(body: &Value) -> Result<T, Rejection> {
    from_json(&serde_json::to_vec(body).unwrap())
}

fn field_of<T: std::fmt::Debug>(result: Result<T, Rejection>) -> String {
    match result {
        Err(Rejection::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn announce(body: &Value) -> Result<Parsed, Rejection> {
    read::<services::Announce>(body)?.command(())
}

fn valid() -> Value {
    json!({
        "title": "  Digitale Baugenehmigung  ",
        "lead": "04",
        "themenfeld": "Bauen & Wohnen",
        "provider": "Dataport",
        "channel": "fit-store",
        "cost_model": {"kind": "koenigsteiner-schluessel", "year": 2016},
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut body = valid();
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = valid();
    body.as_object_mut().unwrap().remove(field);
    body
}

#[test]
fn a_minimal_announcement_gets_the_defaults() {
    let parsed = announce(&valid()).unwrap();
    let Command::AnnounceService(command) = parsed.command else {
        panic!("not an announcement");
    };
    assert_eq!(command.service.as_str(), "digitale-baugenehmigung");
    assert_eq!(command.title, "Digitale Baugenehmigung");
    assert_eq!(command.lead, LandCode::new(4).unwrap());
    assert_eq!((command.ozg_id, command.leika.len()), (None, 0));
    assert_eq!(command.channel, Channel::FitStore);
    let model = CostModel::KoenigsteinerSchluessel { year: Some(2016) };
    assert_eq!(command.cost_model, model);
    assert_eq!(command.status, ServiceStatus::Planned);
    assert_eq!(command.reifegrad.get(), 0);
    assert_eq!(parsed.effective, None);
    // null counts as absent
    assert!(announce(&with("status", Value::Null)).is_ok());
}

/// A title typed with combining marks is stored composed: the same text,
/// and the same id, as the title typed with the accented letters.
#[test]
fn texts_are_read_in_composed_form() {
    let parsed = |title: &str| match announce(&with("title", json!(title))).unwrap().command {
        Command::AnnounceService(command) => (command.title, command.service.to_string()),
        other => panic!("expected an announcement, got {other:?}"),
    };
    let composed = parsed("Café Bürgerservice");
    assert_eq!(parsed("Cafe\u{301} Bu\u{308}rgerservice"), composed);
    assert_eq!(composed.1, "cafe-buergerservice");
}

#[test]
fn a_full_announcement_is_read_completely() {
    let body = json!({
        "id": "wohngeld", "title": "Wohngeld", "lead": 16, "ozg_id": "10045",
        "leika": ["99001001000000"], "themenfeld": "Familie & Kind",
        "provider": "KIV Thüringen", "channel": "verwaltungsabkommen",
        "cost_model": {"kind": "fixed-shares", "weights": {"16": 1, "04": 3}},
        "status": "in-development", "reifegrad": 3, "effective": "2026-01-01",
    });
    let parsed = announce(&body).unwrap();
    let Command::AnnounceService(command) = parsed.command else {
        panic!("not an announcement");
    };
    assert_eq!(command.service.as_str(), "wohngeld");
    assert_eq!(command.ozg_id.as_deref(), Some("10045"));
    assert_eq!(command.leika, vec!["99001001000000".to_owned()]);
    let weights = vec![
        (LandCode::new(4).unwrap(), 3),
        (LandCode::new(16).unwrap(), 1),
    ];
    assert_eq!(command.cost_model, CostModel::FixedShares { weights });
    assert_eq!(command.status, ServiceStatus::InDevelopment);
    assert_eq!(command.reifegrad.get(), 3);
    assert_eq!(parsed.effective, Some(Date::parse("2026-01-01").unwrap()));
    for (json, model) in [
        (json!({"kind": "population"}), CostModel::Population),
        (json!({"kind": "equal-shares"}), CostModel::EqualShares),
    ] {
        let Command::AnnounceService(command) =
            announce(&with("cost_model", json)).unwrap().command
        else {
            panic!("not an announcement");
        };
        assert_eq!(command.cost_model, model);
    }
}

#[test]
fn each_invalid_announcement_field_is_named() {
    let cases = [
        (with("id", json!("Nicht Gültig")), "id"),
        (with("title", json!("   ")), "title"),
        (with("title", json!("x".repeat(301))), "title"),
        (with("title", json!("Wohn\u{200B}geld")), "title"),
        (without("title"), "title"),
        (with("title", json!("!!!")), "id"),
        (with("lead", json!("17")), "lead"),
        (with("lead", json!(0)), "lead"),
        (without("lead"), "lead"),
        (with("ozg_id", json!(12)), "ozg_id"),
        (with("ozg_id", json!("1".repeat(101))), "ozg_id"),
        (with("leika", json!("99001001000000")), "leika"),
        (with("leika", json!([1])), "leika.0"),
        (with("themenfeld", json!("")), "themenfeld"),
        (with("provider", json!("p".repeat(201))), "provider"),
        (without("provider"), "provider"),
        (with("channel", json!("post")), "channel"),
        (without("channel"), "channel"),
        (without("cost_model"), "cost_model"),
        (with("cost_model", Value::Null), "cost_model"),
        (with("cost_model", json!("population")), "cost_model"),
        (with("cost_model", json!(["population"])), "cost_model"),
        (
            with("cost_model", json!({"kind": "lottery"})),
            "cost_model.kind",
        ),
        (with("cost_model", json!({"year": 2016})), "cost_model.kind"),
        (
            with("cost_model", json!({"kind": "population", "year": 2016})),
            "cost_model.year",
        ),
        (
            with("cost_model", json!({"kind": "population", "yaer": 2016})),
            "cost_model.yaer",
        ),
        (
            with(
                "cost_model",
                json!({"kind": "koenigsteiner-schluessel", "year": "2016"}),
            ),
            "cost_model.year",
        ),
        (
            with("cost_model", json!({"kind": "fixed-shares"})),
            "cost_model.weights",
        ),
        (
            with(
                "cost_model",
                json!({"kind": "fixed-shares", "weights": {"17": 1}}),
            ),
            "cost_model.weights.17",
        ),
        (
            with(
                "cost_model",
                json!({"kind": "fixed-shares", "weights": {"04": -1}}),
            ),
            "cost_model.weights.04",
        ),
        (with("status", json!("done")), "status"),
        (with("reifegrad", json!(5)), "reifegrad"),
        (with("reifegrad", json!("2")), "reifegrad"),
        (with("effective", json!("2026-02-30")), "effective"),
        (with("reifgrad", json!(2)), "reifgrad"),
        (json!([1, 2]), "body"),
        (json!("x"), "body"),
    ];
    for (body, field) in cases {
        assert_eq!(field_of(announce(&body)), field, "{body}");
    }
    // Announcing for another Land is the domain's call (403), not a
    // parse error: the body alone knows no caller.
    assert!(announce(&with("lead", json!("09"))).is_ok());
}

#[test]
fn reasons_are_german() {
    let reason = |body: &Value| match announce(body) {
        Err(Rejection::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid field, got {other:?}"),
    };
    assert_eq!(reason(&without("title")), "fehlt");
    assert_eq!(reason(&with("nmae", json!(1))), "ist kein bekanntes Feld");
    assert_eq!(
        reason(&with("reifegrad", json!("2"))),
        "muss eine ganze Zahl von 0 bis 4 sein"
    );
    assert_eq!(reason(&with("leika", json!("x"))), "muss eine Liste sein");
    assert_eq!(
        reason(&with("cost_model", json!(1))),
        "muss ein JSON-Objekt sein"
    );
    assert_eq!(reason(&with("title", json!(1))), "muss ein Text sein");
    assert!(reason(&with("channel", json!("post"))).starts_with("muss einer von "));
}

fn id() -> ServiceId {
    ServiceId::parse("wohngeld").unwrap()
}

fn cost(body: Value) -> Result<Cents, Rejection> {
    let mut body = body;
    body["year"] = json!(2023);
    body["category"] = json!("operation");
    match read::<services::CostReport>(&body)?.command(id())?.command {
        Command::ReportCost(cost) => Ok(cost.amount),
        other => panic!("not a cost: {other:?}"),
    }
}

#[test]
fn euro_amounts_are_exact_cents() {
    assert_eq!(cost(json!({"amount": "1234,56"})).unwrap(), Cents(123_456));
    assert_eq!(cost(json!({"amount": "1234.56"})).unwrap(), Cents(123_456));
    assert_eq!(cost(json!({"amount": " 1234,5 "})).unwrap(), Cents(123_450));
    assert_eq!(
        cost(json!({"amount_cents": 123_456})).unwrap(),
        Cents(123_456)
    );
    for bad in ["1.234,56", "12,345", "1e3", "", "€ 12", "12 345"] {
        assert_eq!(field_of(cost(json!({"amount": bad}))), "amount", "{bad}");
    }
    assert_eq!(field_of(cost(json!({"amount": 1234.56}))), "amount");
    assert_eq!(field_of(cost(json!({}))), "amount");
    assert_eq!(
        field_of(cost(json!({"amount": "1", "amount_cents": 100}))),
        "amount"
    );
    assert_eq!(field_of(cost(json!({"amount_cents": 1.5}))), "amount_cents");
    assert_eq!(
        cost(json!({"amount": "0"})).unwrap(),
        Cents(0),
        "the domain's to judge"
    );
    assert_eq!(
        field_of(cost(json!({"amount_cents": "100"}))),
        "amount_cents"
    );
}

/// A negative amount is refused by the gateway, naming the field the
/// caller sent (the domain's refusal would name `amount` for both), as
/// the document describes request amounts: never below zero.
#[test]
fn negative_amounts_are_refused_naming_the_field_sent() {
    for (body, field) in [
        (json!({"amount": "-0,05"}), "amount"),
        (json!({"amount": "-1000,00"}), "amount"),
        (json!({"amount_cents": -5000}), "amount_cents"),
    ] {
        match cost(body.clone()) {
            Err(Rejection::Invalid {
                field: named,
                reason,
            }) => {
                assert_eq!(named, field, "{body}");
                assert_eq!(reason, "darf nicht negativ sein", "{body}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    let correction = json!({"amount_cents": -1, "reason": "Tippfehler"});
    let refused = read::<services::CostCorrection>(&correction).map(|_| ());
    assert!(
        matches!(&refused, Err(Rejection::Invalid { field, .. }) if field == "amount_cents"),
        "{refused:?}"
    );
}

#[test]
fn a_cost_report_is_read_completely() {
    let body = json!({"year": 2023, "category": "operation", "amount": "1234,56",
        "note": "Hosting", "effective": "2023-12-31"});
    let parsed = read::<services::CostReport>(&body)
        .unwrap()
        .command(id())
        .unwrap();
    let Command::ReportCost(cost) = parsed.command else {
        panic!("not a cost report");
    };
    assert_eq!((cost.year, cost.category), (2023, CostCategory::Operation));
    assert_eq!(
        (cost.amount, cost.note.as_str()),
        (Cents(123_456), "Hosting")
    );
    assert_eq!(parsed.effective, Some(Date::parse("2023-12-31").unwrap()));
    let bad = json!({"year": 2023, "category": "travel", "amount": "1"});
    assert_eq!(field_of(read::<services::CostReport>(&bad)), "category");
    let bad = json!({"year": "2023", "category": "operation", "amount": "1"});
    assert_eq!(field_of(read::<services::CostReport>(&bad)), "year");
}

#[test]
fn leaving_takes_the_date_from_body_or_query() {
    let land = LandCode::new(16).unwrap();
    let date = Date::parse("2024-01-01").unwrap();
    let other = Date::parse("2024-02-01").unwrap();
    let leave = |body: Value, query| read::<services::Leave>(&body)?.command(id(), land, query);
    let from_body = json!({"effective": "2024-01-01"});
    assert_eq!(
        leave(from_body.clone(), None).unwrap().effective,
        Some(date)
    );
    assert_eq!(leave(json!({}), Some(date)).unwrap().effective, Some(date));
    assert!(leave(from_body.clone(), Some(date)).is_ok());
    assert_eq!(field_of(leave(from_body, Some(other))), "effective");
    assert_eq!(field_of(leave(json!({"land": "16"}), None)), "land");
}

#[test]
fn status_reifegrad_retirement_and_joining_are_checked() {
    assert_eq!(field_of(read::<services::Status>(&json!({}))), "status");
    assert_eq!(
        field_of(read::<services::Status>(&json!({"status": "done"}))),
        "status"
    );
    assert!(read::<services::Status>(&json!({"status": "retired"})).is_ok());
    assert_eq!(
        field_of(read::<services::Assessment>(&json!({"reifegrad": 5}))),
        "reifegrad"
    );
    assert_eq!(
        field_of(read::<services::Retirement>(&json!({"reason": "  "}))),
        "reason"
    );
    assert_eq!(
        field_of(read::<services::Join>(&json!({"land": "00"}))),
        "land"
    );
}

#[test]
fn a_step_names_one_of_three_stages() {
    let ags = Ags::parse("16051000").unwrap();
    let step = read::<adoptions::Step>(&json!({"stage": "live"})).unwrap();
    let Command::RecordAdoptionStep(step) = step.command((id(), ags)).unwrap().command else {
        panic!("not a step");
    };
    assert_eq!((step.stage, step.note.as_str()), (AdoptionStage::Live, ""));
    for bad in ["requested", "withdrawn", "LIVE", ""] {
        let result = read::<adoptions::Step>(&json!({"stage": bad}));
        assert_eq!(field_of(result), "stage", "{bad}");
    }
}

#[test]
fn a_gemeinde_comes_with_an_optional_population() {
    let gemeinde = |body: Value| read::<participants::Gemeinde>(&body)?.command(());
    let body = json!({"ags": "16051000", "name": " Erfurt ", "population": 213_699,
        "population_date": "2018-12-31"});
    let Command::RegisterGemeinde(registered) = gemeinde(body).unwrap().command else {
        panic!("not a registration");
    };
    assert_eq!(registered.name, "Erfurt");
    assert_eq!(registered.population.unwrap().count, 213_699);
    let body = json!({"ags": "16051000", "name": "Erfurt", "population": 1});
    assert_eq!(field_of(gemeinde(body)), "population_date");
    let body = json!({"ags": "16051000", "name": "Erfurt", "population_date": "2018-12-31"});
    assert_eq!(field_of(gemeinde(body)), "population");
    assert_eq!(
        field_of(gemeinde(json!({"ags": "1605", "name": "x"}))),
        "ags"
    );
    assert_eq!(
        field_of(gemeinde(json!({"ags": 16051000, "name": "x"}))),
        "ags"
    );
}

#[test]
fn a_region_is_a_land_or_a_list_of_kreise() {
    let region = |region: Value| {
        let body = json!({"id": "kiv-thueringen", "name": "KIV", "region": region});
        match read::<participants::Operator>(&body)?.command(())?.command {
            Command::RegisterOperator(operator) => Ok(operator.region),
            other => panic!("not an operator: {other:?}"),
        }
    };
    assert_eq!(
        region(json!({"land": "16"})).unwrap(),
        Region::Land(LandCode::new(16).unwrap())
    );
    assert_eq!(
        region(json!({"kreise": ["16051", "16052"]})).unwrap(),
        Region::Kreise(vec![
            KreisKey::parse("16051").unwrap(),
            KreisKey::parse("16052").unwrap()
        ])
    );
    assert_eq!(field_of(region(json!({"land": "17"}))), "region.land");
    assert_eq!(
        field_of(region(json!({"kreise": ["1605"]}))),
        "region.kreise.0"
    );
    assert_eq!(
        field_of(region(json!({"kreise": "16051"}))),
        "region.kreise"
    );
    assert_eq!(field_of(region(json!({}))), "region");
    assert_eq!(
        field_of(region(json!({"land": "16", "kreise": []}))),
        "region"
    );
    assert_eq!(field_of(region(json!({"bund": true}))), "region.bund");
    assert_eq!(field_of(region(json!("16"))), "region");
}

#[test]
fn a_key_is_read_from_percent_texts_or_units() {
    let key = |body: Value| match read::<reference::AllocationKey>(&body)?
        .command(())?
        .command
    {
        Command::PublishAllocationKey(key) => Ok(key.shares),
        other => panic!("not a key: {other:?}"),
    };
    // Sixteen equal shares: 6,25 % each, as text or as units.
    let texts: serde_json::Map<String, Value> = (1..=16)
        .map(|code| (format!("{code:02}"), json!("6,25")))
        .collect();
    let units: serde_json::Map<String, Value> = (1..=16)
        .map(|code| (format!("{code:02}"), json!(625_000)))
        .collect();
    let equal: Vec<_> = LandCode::all().map(|land| (land, 625_000)).collect();
    assert_eq!(key(json!({"year": 2016, "shares": texts})).unwrap(), equal);
    assert_eq!(key(json!({"year": 2016, "units": units})).unwrap(), equal);
    // Not the whole: refused naming the field sent.
    for (body, field) in [
        (
            json!({"year": 2016, "shares": {"16": "2,6", "01": "3,39074"}}),
            "shares",
        ),
        (json!({"year": 2016, "units": {"16": 260_000}}), "units"),
    ] {
        match key(body) {
            Err(Rejection::Invalid {
                field: named,
                reason,
            }) => {
                assert_eq!(named, field);
                assert!(reason.contains("nicht genau 100 %"), "{reason}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    let bad = [
        (
            json!({"year": 2016, "shares": {"01": "3,390745"}}),
            "shares.01",
        ),
        (json!({"year": 2016, "shares": {"01": 3.39}}), "shares.01"),
        (json!({"year": 2016, "units": {"1": "339074"}}), "units.1"),
        (
            json!({"year": 2016, "units": {"01": 10_000_001}}),
            "units.01",
        ),
        (
            json!({"year": 2016, "units": {"1": 1, "01": 2}}),
            "units.01",
        ),
        (json!({"year": 2016, "units": {"17": 1}}), "units.17"),
        (json!({"year": 2016}), "shares"),
        (json!({"year": 2016, "shares": {}, "units": {}}), "shares"),
        (json!({"shares": {}}), "year"),
    ];
    for (body, field) in bad {
        assert_eq!(field_of(key(body.clone())), field, "{body}");
    }
    let figures = json!({"reference_date": "2018-12-31", "figures": {"01": -1}});
    assert_eq!(
        field_of(read::<reference::Populations>(&figures)),
        "figures.01"
    );
}

/// An adoption's bodies as a client writes them read back into the same
/// commands: the command line's import sends them written this way.
#[test]
fn adoption_bodies_written_by_a_client_read_back_the_same() {
    use super::field::{Note, Via};
    let service = ServiceId::parse("wohngeld").unwrap();
    let ags = Ags::parse("16071001").unwrap();
    let effective = Some(Via(Date::parse("2025-03-01").unwrap()));
    let note = Some(Note("aus der Tabelle, Zeile 4".to_owned()));
    let round_trip = |body: Value| serde_json::to_vec(&body).unwrap();

    let request = adoptions::Request {
        service: Via(service.clone()),
        ags: Via(ags),
        note: note.clone(),
        effective,
    };
    let written = serde_json::to_value(&request).unwrap();
    assert_eq!(written["ags"], "16071001");
    let read: adoptions::Request = from_json(&round_trip(written)).unwrap();
    assert_eq!(read.command(()), request.command(()));

    let step = adoptions::Step {
        stage: AdoptionStage::Onboarding,
        note: None,
        effective,
    };
    let written = serde_json::to_value(&step).unwrap();
    assert_eq!(written["stage"], "onboarding");
    let read: adoptions::Step = from_json(&round_trip(written)).unwrap();
    let path = (service.clone(), ags);
    assert_eq!(read.command(path.clone()), step.command(path.clone()));

    let withdrawal = adoptions::Withdrawal { note, effective };
    let written = serde_json::to_value(&withdrawal).unwrap();
    let read: adoptions::Withdrawal = from_json(&round_trip(written)).unwrap();
    assert_eq!(read.command(path.clone()), withdrawal.command(path));
}
