//! The schemas of the yearly cost views and of the Jahresabrechnung's
//! commands: a service's year with the model in force, its closing and
//! supplements (`CostYear`), a Land's statement (`Statement`), and the
//! bodies of closing a year and correcting a participation.

use serde_json::{Value, json};

use super::build::*;

fn land_fields() -> [(&'static str, Value); 2] {
    [
        ("land", pattern("^[0-9]{2}$", "Ländercode 01 bis 16")),
        ("land_name", string()),
    ]
}

fn with_land(fields: &[(&'static str, Value)]) -> Value {
    let all: Vec<(&str, Value)> = land_fields()
        .into_iter()
        .chain(fields.iter().cloned())
        .collect();
    answer(&all)
}

fn hash() -> Value {
    pattern("^[0-9a-f]{64}$", "SHA-256-Kettenhash, hexadezimal")
}

/// Every answer schema of the yearly cost views by name.
pub fn answers() -> Vec<(&'static str, Value)> {
    let model = answer(&[
        ("model", schema("CostModel")),
        ("model_label", string()),
        ("since", nullable(date())),
        ("key_year", nullable(count())),
    ]);
    let amount = with_land(&[("amount", schema("Money"))]);
    let weight = with_land(&[("weight", count())]);
    let settlement = answer(&[
        ("model", schema("CostModel")),
        ("model_label", string()),
        ("weights_source", string()),
        ("weights", array(weight)),
        ("total", schema("Money")),
        ("unallocated", schema("Money")),
        ("shares", array(amount)),
        ("cost_lines", array(count())),
        ("based_on_seq", count()),
        ("based_on_hash", hash()),
    ]);
    let supplement = with_land(&[
        ("settled", schema("Money")),
        ("now", schema("Money")),
        ("difference", schema("Money")),
    ]);
    let correction = answer(&[
        ("seq", count()),
        ("effective", date()),
        ("what", string()),
        ("reason", string()),
    ]);
    let closing = answer(&[
        ("settled", schema("Settlement")),
        ("seq", count()),
        ("recorded_at", string()),
        ("closed_by", string()),
        ("supplements", array(supplement)),
        ("corrections", array(schema("Correction"))),
    ]);
    let cost_year = answer(&[
        ("service", string()),
        ("year", count()),
        ("costs", array(schema("CostLine"))),
        ("split", schema("CostSplit")),
        ("alternatives", array(schema("CostSplit"))),
        ("model_in_force", schema("ModelInForce")),
        ("closing", nullable(closing)),
        ("as_of", date()),
        ("seq", count()),
        ("chain_hash", hash()),
    ]);
    let closed = answer(&[
        ("settled", schema("Money")),
        ("supplement", schema("Money")),
        ("closed_seq", count()),
        ("based_on_seq", count()),
        ("based_on_hash", hash()),
    ]);
    let line = answer(&[
        ("service", string()),
        ("title", string()),
        ("lead", answer(&land_fields())),
        ("model_in_force", schema("ModelInForce")),
        ("weights_source", string()),
        ("weight_percent", pattern("^[0-9]+\\.[0-9]{5}$", "Prozent")),
        ("share", schema("Share")),
        ("service_total", schema("Money")),
        ("closed", nullable(closed)),
        ("corrections", array(schema("Correction"))),
    ]);
    let statement = with_land(&[
        ("year", count()),
        ("as_of", date()),
        ("total", schema("Money")),
        ("supplements", schema("Money")),
        ("total_with_supplements", schema("Money")),
        ("lines", array(line)),
        ("seq", count()),
        ("chain_hash", hash()),
    ]);
    vec![
        ("ModelInForce", model),
        ("Settlement", settlement),
        ("Correction", correction),
        ("CostYear", cost_year),
        ("Statement", statement),
    ]
}

/// The request bodies of closing a year and correcting a participation.
pub fn bodies() -> Vec<(&'static str, Value)> {
    let close = request(&["year"], &[("year", integer(2000, 2100))]);
    let mut effective = date();
    effective["description"] = json!("Wirksam ab (JJJJ-MM-TT)");
    let land = json!({"oneOf": [
        {"type": "string", "pattern": LAND_PATTERN},
        {"type": "integer", "minimum": 1, "maximum": 16},
    ], "description": "Ländercode 01 bis 16"});
    let correct = request(
        &["land", "change", "reason", "effective"],
        &[
            ("land", land),
            ("change", one_of_keys(&["beitritt", "austritt"])),
            ("reason", text("Begründung der Berichtigung")),
            ("effective", effective),
        ],
    );
    vec![("CloseYear", close), ("CorrectParticipation", correct)]
}
