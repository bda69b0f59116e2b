//! The schemas of the request bodies: only the listed properties (like
//! `deny_unknown_fields`), each with its format, and `effective` on all.

use serde_json::{Map, Value, json};

use super::build::*;
use super::schemas::{STATUS_KEYS, cost_model};

/// Every request body schema by name.
pub fn bodies() -> Map<String, Value> {
    [
        service_bodies(),
        money_bodies(),
        participant_bodies(),
        adoption_bodies(),
        reference_bodies(),
        super::settlement::bodies(),
    ]
    .into_iter()
    .flatten()
    .map(|(name, schema)| (name.to_owned(), schema))
    .collect()
}

fn effective() -> (&'static str, Value) {
    let mut date = date();
    date["description"] = json!("Wirksam ab (JJJJ-MM-TT); ohne Angabe der Tag der Erfassung.");
    ("effective", date)
}

/// A body with `effective` added to `fields`.
fn body(required: &[&str], fields: &[(&'static str, Value)]) -> Value {
    let all: Vec<(&str, Value)> = fields.iter().cloned().chain([effective()]).collect();
    request(required, &all)
}

fn land_code() -> Value {
    json!({"oneOf": [
        {"type": "string", "pattern": LAND_PATTERN},
        {"type": "integer", "minimum": 1, "maximum": 16},
    ], "description": "Ländercode 01 bis 16"})
}

fn details() -> Vec<(&'static str, Value)> {
    vec![
        ("title", text("1 bis 300 Zeichen")),
        ("ozg_id", nullable(string())),
        ("leika", array(string())),
        ("themenfeld", string()),
        ("provider", string()),
        (
            "channel",
            one_of_keys(&["fit-store", "efa-marktplatz", "verwaltungsabkommen"]),
        ),
        ("cost_model", cost_model()),
    ]
}

fn service_bodies() -> Vec<(&'static str, Value)> {
    let detail_required = ["title", "themenfeld", "provider", "channel", "cost_model"];
    let mut announce = details();
    announce.extend([
        (
            "id",
            pattern(SLUG_PATTERN, "ohne Angabe aus dem Titel abgeleitet"),
        ),
        ("lead", land_code()),
        ("status", one_of_keys(&STATUS_KEYS)),
        ("reifegrad", integer(0, 4)),
    ]);
    let mut announce_required = detail_required.to_vec();
    announce_required.push("lead");
    vec![
        ("AnnounceService", body(&announce_required, &announce)),
        ("UpdateServiceDetails", body(&detail_required, &details())),
        (
            "ChangeServiceStatus",
            body(&["status"], &[("status", one_of_keys(&STATUS_KEYS))]),
        ),
        (
            "AssessReifegrad",
            body(&["reifegrad"], &[("reifegrad", integer(0, 4))]),
        ),
        ("RetireService", body(&["reason"], &[("reason", string())])),
        ("JoinService", body(&["land"], &[("land", land_code())])),
        ("LeaveService", body(&[], &[])),
    ]
}

/// `amount` (euros as text) or `amount_cents`, exactly one.
fn with_amount(required: &[&str], fields: &[(&'static str, Value)]) -> Value {
    let mut all = vec![
        (
            "amount",
            pattern(
                "^-?[0-9]+([.,][0-9]{1,2})?$",
                "Euro als Text, z. B. \"1234,56\"",
            ),
        ),
        (
            "amount_cents",
            json!({"type": "integer", "description": "Cent"}),
        ),
    ];
    all.extend(fields.iter().cloned());
    let mut schema = body(required, &all);
    schema["oneOf"] = json!([{"required": ["amount"]}, {"required": ["amount_cents"]}]);
    schema
}

fn money_bodies() -> Vec<(&'static str, Value)> {
    let report = with_amount(
        &["year", "category"],
        &[
            ("year", integer(1900, 2200)),
            ("category", one_of_keys(&["development", "operation"])),
            ("note", string()),
        ],
    );
    let correct = with_amount(&["reason"], &[("reason", string())]);
    vec![("ReportCost", report), ("CorrectCost", correct)]
}

fn population_fields(key: (&'static str, Value)) -> Vec<(&'static str, Value)> {
    vec![
        key,
        ("name", string()),
        ("population", count()),
        ("population_date", date()),
    ]
}

fn participant_bodies() -> Vec<(&'static str, Value)> {
    let together = json!({"population": ["population_date"], "population_date": ["population"]});
    let mut gemeinde = body(
        &["ags", "name"],
        &population_fields(("ags", pattern(AGS_PATTERN, "Gemeindeschlüssel"))),
    );
    gemeinde["dependentRequired"] = together.clone();
    let mut kreis = body(
        &["key", "name"],
        &population_fields(("key", pattern(KREIS_PATTERN, "Kreisschlüssel"))),
    );
    kreis["dependentRequired"] = together;
    let region = json!({"oneOf": [
        request(&["land"], &[("land", land_code())]),
        request(&["kreise"], &[("kreise", array(pattern(KREIS_PATTERN, "Kreisschlüssel")))]),
    ]});
    let operator = body(
        &["id", "name", "region"],
        &[
            ("id", pattern(SLUG_PATTERN, "Kennung")),
            ("name", string()),
            ("region", region),
        ],
    );
    vec![
        ("RegisterGemeinde", gemeinde),
        ("RenameGemeinde", body(&["name"], &[("name", string())])),
        (
            "MergeGemeinde",
            body(
                &["successor"],
                &[("successor", pattern(AGS_PATTERN, "Gemeindeschlüssel"))],
            ),
        ),
        ("RetireGemeinde", body(&[], &[])),
        ("RegisterKreis", kreis),
        ("RegisterOperator", operator),
    ]
}

fn adoption_bodies() -> Vec<(&'static str, Value)> {
    let request = body(
        &["service", "ags"],
        &[
            ("service", pattern(SLUG_PATTERN, "Kennung der Leistung")),
            ("ags", pattern(AGS_PATTERN, "Gemeindeschlüssel")),
            ("note", string()),
        ],
    );
    let step = body(
        &["stage"],
        &[
            ("stage", one_of_keys(&["agreed", "onboarding", "live"])),
            ("note", string()),
        ],
    );
    vec![
        ("RequestAdoption", request),
        ("AdoptionStep", step),
        ("WithdrawAdoption", body(&[], &[("note", string())])),
    ]
}

fn reference_bodies() -> Vec<(&'static str, Value)> {
    let percent = pattern(
        "^[0-9]{1,3}([.,][0-9]{1,5})?$",
        "Prozent mit höchstens 5 Nachkommastellen, z. B. \"3,39074\"",
    );
    let mut key = body(
        &["year"],
        &[
            ("year", integer(1900, 2200)),
            ("shares", per_land(percent)),
            ("units", per_land(integer(0, 10_000_000))),
        ],
    );
    key["oneOf"] = json!([{"required": ["shares"]}, {"required": ["units"]}]);
    let population = body(
        &["reference_date", "figures"],
        &[("reference_date", date()), ("figures", per_land(count()))],
    );
    vec![
        ("PublishAllocationKey", key),
        ("PublishPopulation", population),
    ]
}
