//! The schemas of the answers: one per JSON shape of `dto`, named as in
//! the document's `components.schemas`.

use serde_json::{Map, Value, json};

use super::build::*;

/// Every answer schema by name.
pub fn answers() -> Map<String, Value> {
    [
        basics(),
        catalogue(),
        costs(),
        super::settlement::answers(),
        places(),
        history(),
    ]
    .into_iter()
    .flatten()
    .map(|(name, schema)| (name.to_owned(), schema))
    .collect()
}

fn land() -> [(&'static str, Value); 2] {
    [
        ("land", pattern("^[0-9]{2}$", "Ländercode 01 bis 16")),
        ("land_name", string()),
    ]
}

fn with_land(fields: &[(&'static str, Value)]) -> Value {
    let all: Vec<(&str, Value)> = land().into_iter().chain(fields.iter().cloned()).collect();
    answer(&all)
}

fn basics() -> Vec<(&'static str, Value)> {
    let stage_counts = answer(&[
        ("requested", count()),
        ("agreed", count()),
        ("onboarding", count()),
        ("live", count()),
        ("withdrawn", count()),
    ]);
    vec![
        ("Problem", problem()),
        (
            "Accepted",
            json!({"type": "object", "required": ["seq", "version"], "properties": {
                "id": text("Die Kennung der angekündigten Leistung (nur beim Ankündigen)."),
                "seq": count(), "version": count()}}),
        ),
        (
            "Money",
            answer(&[
                ("cents", json!({"type": "integer"})),
                (
                    "euros",
                    pattern("^-?[0-9]+\\.[0-9]{2}$", "Euro mit Punkt, z. B. 1234.56"),
                ),
            ]),
        ),
        (
            "Exact",
            pattern("^-?[0-9]+/[0-9]+$", "Exakter Bruch „Zähler/Nenner“"),
        ),
        ("StageCounts", stage_counts),
        ("CostModel", cost_model()),
    ]
}

fn problem() -> Value {
    answer(&[
        ("type", text("urn:efa-registry:problem:<code>")),
        ("title", string()),
        ("status", integer(400, 599)),
        ("detail", string()),
        ("instance", string()),
    ])
}

/// The cost model, in answers and in request bodies alike.
pub fn cost_model() -> Value {
    let kind = |kind: &str| json!({"const": kind});
    json!({"oneOf": [
        request(&["kind"], &[("kind", kind("koenigsteiner-schluessel")),
            ("year", integer(1900, 2200))]),
        request(&["kind"], &[("kind", kind("population"))]),
        request(&["kind"], &[("kind", kind("equal-shares"))]),
        request(&["kind", "weights"], &[("kind", kind("fixed-shares")),
            ("weights", per_land(count()))]),
    ]})
}

fn service() -> Value {
    answer(&[
        ("id", pattern(SLUG_PATTERN, "Kennung der Leistung")),
        ("title", string()),
        ("lead", pattern("^[0-9]{2}$", "federführendes Land")),
        ("lead_name", string()),
        ("ozg_id", nullable(string())),
        ("leika", array(string())),
        ("themenfeld", string()),
        ("provider", string()),
        (
            "channel",
            one_of_keys(&["fit-store", "efa-marktplatz", "verwaltungsabkommen"]),
        ),
        ("status", one_of_keys(&STATUS_KEYS)),
        ("status_label", string()),
        ("reifegrad", integer(0, 4)),
        ("cost_model", schema("CostModel")),
        ("announced_on", date()),
        ("recorded_at", timestamp()),
        ("version", count()),
        ("last_seq", count()),
    ])
}

pub const STATUS_KEYS: [&str; 5] = ["planned", "in-development", "pilot", "available", "retired"];

fn catalogue() -> Vec<(&'static str, Value)> {
    let summary = json!({"allOf": [schema("Service"), answer(&[
        ("lands", array(pattern("^[0-9]{2}$", "Ländercode"))),
        ("adoptions", schema("StageCounts")),
    ])]});
    let participation = with_land(&[
        ("joined", date()),
        ("left", nullable(date())),
        ("is_lead", boolean()),
    ]);
    let coverage = with_land(&[
        ("participating", boolean()),
        ("municipalities_registered", count()),
        ("municipalities_live", count()),
        ("population_live", count()),
        ("flaechendeckend", boolean()),
    ]);
    vec![
        ("Service", service()),
        (
            "Catalogue",
            answer(&[
                ("as_of_seq", count()),
                ("services", array(schema("Service"))),
                ("total", count()),
                ("next_cursor", nullable(string())),
                ("next", next()),
            ]),
        ),
        ("ServiceSummary", summary),
        (
            "CataloguePage",
            answer(&[
                ("as_of", date()),
                ("as_of_seq", count()),
                ("total", count()),
                ("services", array(schema("ServiceSummary"))),
            ]),
        ),
        ("Participation", participation),
        (
            "Participations",
            answer(&[
                ("service", string()),
                ("as_of", nullable(date())),
                ("participations", array(schema("Participation"))),
            ]),
        ),
        ("Coverage", coverage),
        ("ServiceDetail", service_detail()),
    ]
}

fn service_detail() -> Value {
    answer(&[
        ("as_of", nullable(date())),
        ("service", schema("ServiceSummary")),
        ("participations", array(schema("Participation"))),
        ("population_lands", count()),
        ("coverage", array(schema("Coverage"))),
        ("costs", array(schema("CostLine"))),
    ])
}

fn costs() -> Vec<(&'static str, Value)> {
    let cost_line = answer(&[
        ("cost_no", count()),
        ("year", count()),
        ("category", one_of_keys(&["development", "operation"])),
        ("category_label", string()),
        ("amount", schema("Money")),
        ("reported", schema("Money")),
        ("corrections", count()),
        ("note", string()),
        ("seqs", array(count())),
    ]);
    let share = with_land(&[
        ("weight", count()),
        ("days", count()),
        ("exact_cents", schema("Exact")),
        ("fraction", schema("Exact")),
        ("amount", schema("Money")),
    ]);
    let split = answer(&[
        ("model", schema("CostModel")),
        ("model_label", string()),
        ("weights_source", string()),
        ("total", schema("Money")),
        ("allocated", schema("Money")),
        ("unallocated", schema("Money")),
        ("days_in_year", count()),
        ("shares", array(schema("Share"))),
        ("problem", nullable(string())),
    ]);
    vec![
        ("CostLine", cost_line),
        ("Share", share),
        ("CostSplit", split),
        (
            "CostSharing",
            answer(&[
                ("service", string()),
                ("year", count()),
                ("costs", array(schema("CostLine"))),
                ("split", schema("CostSplit")),
                ("alternatives", array(schema("CostSplit"))),
            ]),
        ),
        ("LandCosts", land_costs()),
    ]
}

fn land_costs() -> Value {
    let line = answer(&[
        ("service", string()),
        ("title", string()),
        ("service_total", schema("Money")),
        ("share", schema("Share")),
    ]);
    with_land(&[
        ("year", count()),
        ("total", schema("Money")),
        ("lines", array(line)),
        ("lines_total", count()),
        ("next_offset", nullable(count())),
        ("next", next()),
    ])
}

pub const STAGE_KEYS: [&str; 5] = ["requested", "agreed", "onboarding", "live", "withdrawn"];

fn municipality() -> Value {
    answer(&[
        ("ags", pattern(AGS_PATTERN, "Gemeindeschlüssel")),
        ("name", string()),
        ("service", string()),
        ("stage", one_of_keys(&STAGE_KEYS)),
        ("stage_label", string()),
        ("since", date()),
    ])
}

fn places() -> Vec<(&'static str, Value)> {
    let joined = answer(&[
        ("service", string()),
        ("title", string()),
        ("lead", string()),
        ("joined", date()),
        ("left", nullable(date())),
    ]);
    let land_view = with_land(&[
        ("as_of", date()),
        ("leads", array(string())),
        ("joined", array(joined)),
        ("municipalities_registered", count()),
        ("municipalities_live_any", count()),
        ("leads_total", count()),
        ("joined_total", count()),
        ("next_offset", nullable(count())),
        ("next", next()),
    ]);
    let stalled_row = answer(&[
        ("ags", string()),
        ("name", string()),
        ("service", string()),
        ("stage", one_of_keys(&STAGE_KEYS)),
        ("stage_label", string()),
        ("last_step", date()),
        ("days", count()),
    ]);
    let stalled = with_land(&[
        ("days_min", count()),
        ("as_of", date()),
        ("stalled", array(stalled_row)),
        ("total", count()),
        ("next_offset", nullable(count())),
        ("next", next()),
    ]);
    vec![
        ("LandView", land_view),
        ("Reuse", reuse()),
        ("Municipality", municipality()),
        ("Rollout", rollout()),
        ("Stalled", stalled),
        ("Funnel", funnel()),
        ("Gemeinde", gemeinde()),
    ]
}

/// The address of a list's next page, `null` on the last.
fn next() -> Value {
    nullable(text("Adresse der nächsten Seite (auch als Link-Kopfzeile)"))
}

fn reuse() -> Value {
    let per_land = with_land(&[("leads", count()), ("joined", count())]);
    answer(&[
        ("as_of", date()),
        ("services", count()),
        ("participations", count()),
        ("reuse_factor", nullable(schema("Exact"))),
        ("lead_only", array(string())),
        ("per_land", array(per_land)),
        ("lead_only_total", count()),
        ("next_offset", nullable(count())),
        ("next", next()),
    ])
}

fn rollout() -> Value {
    let kreis = answer(&[
        ("kreis", pattern(KREIS_PATTERN, "Kreisschlüssel")),
        ("kreis_name", string()),
        ("service", string()),
        ("municipalities", count()),
        ("stages", schema("StageCounts")),
        ("population", count()),
        ("population_live", count()),
    ]);
    let takes_part = answer(&[("service", string()), ("participating", boolean())]);
    with_land(&[
        ("kreis", nullable(string())),
        ("service", nullable(string())),
        ("as_of", date()),
        ("kreise", array(kreis)),
        ("municipalities", array(schema("Municipality"))),
        ("land_participates", array(takes_part)),
        ("kreise_total", count()),
        ("municipalities_total", count()),
        ("next_offset", nullable(count())),
        ("next", next()),
    ])
}

fn funnel() -> Value {
    answer(&[
        ("service", string()),
        ("land", nullable(string())),
        ("as_of", date()),
        ("reached", schema("StageCounts")),
        ("days_to_live_median", nullable(count())),
        ("days_to_live_p90", nullable(count())),
        ("live_count", count()),
    ])
}

fn gemeinde() -> Value {
    let available = answer(&[
        ("service", string()),
        ("title", string()),
        ("land_participates", boolean()),
    ]);
    answer(&[
        ("ags", pattern(AGS_PATTERN, "Gemeindeschlüssel")),
        ("name", string()),
        ("population", nullable(count())),
        ("status", string()),
        ("as_of", date()),
        ("adoptions", array(schema("Municipality"))),
        ("available", array(available)),
        ("adoptions_total", count()),
        ("available_total", count()),
        ("next_offset", nullable(count())),
        ("next", next()),
    ])
}

fn history() -> Vec<(&'static str, Value)> {
    let entry = answer(&[
        ("seq", count()),
        ("recorded_at", timestamp()),
        ("effective", date()),
        (
            "actor",
            text("land:NN, gemeinde:AGS, operator:ID oder admin"),
        ),
        ("event", string()),
        ("summary", string()),
        ("hash", pattern("^[0-9a-f]+$", "Hash der Kette")),
    ]);
    let history = answer(&[
        ("subject", text("service:ID, gemeinde:AGS oder all")),
        ("entries", array(schema("HistoryEntry"))),
        ("more", boolean()),
        ("next_from_seq", nullable(count())),
        ("chain_verified_to", count()),
    ]);
    vec![("HistoryEntry", entry), ("History", history)]
}
