//! Writes that register participants: municipalities (Gemeinden) and
//! their renaming, merger and retirement, Kreise, and operators with the
//! region they act for.

use efa_proto::{
    Ags, Command, KreisKey, MergeGemeinde, Population, Region, RegisterGemeinde, RegisterKreis,
    RegisterOperator, Rejection, RenameGemeinde, RetireGemeinde,
};
use serde_json::Value;

use super::Parsed;
use crate::body::{self, Fields};

const NAME_CHARS_MAX: usize = 200;

/// `POST /api/v1/gemeinden`: `{"ags", "name", "population"?, "population_date"?}`.
pub fn register_gemeinde(body: &Value) -> Result<Parsed, Rejection> {
    let known = ["ags", "name", "population", "population_date", "effective"];
    let fields = body::object(body, &known)?;
    let command = Command::RegisterGemeinde(RegisterGemeinde {
        ags: fields.ags("ags")?,
        name: fields.required_text("name", NAME_CHARS_MAX)?,
        population: population(&fields)?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `PUT /api/v1/gemeinden/{ags}`: `{"name"}`.
pub fn rename_gemeinde(ags: Ags, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["name", "effective"])?;
    let name = fields.required_text("name", NAME_CHARS_MAX)?;
    let command = Command::RenameGemeinde(RenameGemeinde { ags, name });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/gemeinden/{ags}/merger`: `{"successor"}`.
pub fn merge_gemeinde(ags: Ags, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["successor", "effective"])?;
    let successor = fields.ags("successor")?;
    let command = Command::MergeGemeinde(MergeGemeinde { ags, successor });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/gemeinden/{ags}/retirement`: `{}`.
pub fn retire_gemeinde(ags: Ags, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["effective"])?;
    let command = Command::RetireGemeinde(RetireGemeinde { ags });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/kreise`: `{"key", "name", "population"?, "population_date"?}`.
pub fn register_kreis(body: &Value) -> Result<Parsed, Rejection> {
    let known = ["key", "name", "population", "population_date", "effective"];
    let fields = body::object(body, &known)?;
    let command = Command::RegisterKreis(RegisterKreis {
        key: fields.kreis("key")?,
        name: fields.required_text("name", NAME_CHARS_MAX)?,
        population: population(&fields)?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/operators`: `{"id", "name", "region": {"land": "16"} |
/// {"kreise": ["16051", ...]}}`.
pub fn register_operator(body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["id", "name", "region", "effective"])?;
    let command = Command::RegisterOperator(RegisterOperator {
        operator: fields.operator("id")?,
        name: fields.required_text("name", NAME_CHARS_MAX)?,
        region: region(fields.required("region")?)?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// A count and its reference date come together or not at all.
fn population(fields: &Fields<'_>) -> Result<Option<Population>, Rejection> {
    let count = fields.optional_whole::<u64>("population")?;
    let date = fields.date("population_date")?;
    match (count, date) {
        (Some(count), Some(reference_date)) => Ok(Some(Population {
            count,
            reference_date,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Rejection::invalid(
            "population_date",
            "fehlt; eine Einwohnerzahl braucht ihren Stichtag",
        )),
        (None, Some(_)) => Err(Rejection::invalid(
            "population",
            "fehlt; ein Stichtag braucht eine Einwohnerzahl",
        )),
    }
}

/// `{"land": "16"}` or `{"kreise": ["16051", ...]}`, exactly one key.
fn region(value: &Value) -> Result<Region, Rejection> {
    let one_of = "muss {\"land\": \"NN\"} oder {\"kreise\": [\"NNNNN\", …]} sein";
    let fields = body::object(value, &["land", "kreise"])
        .map_err(|rejection| prefixed("region", rejection))?;
    match (fields.get("land"), fields.get("kreise")) {
        (Some(_), None) => fields
            .land("land")
            .map(Region::Land)
            .map_err(|rejection| prefixed("region", rejection)),
        (None, Some(Value::Array(keys))) => keys
            .iter()
            .enumerate()
            .map(|(i, key)| kreis_key(&format!("region.kreise.{i}"), key))
            .collect::<Result<Vec<_>, _>>()
            .map(Region::Kreise),
        (None, Some(_)) => Err(Rejection::invalid(
            "region.kreise",
            "muss eine Liste von Kreisschlüsseln sein",
        )),
        _ => Err(Rejection::invalid("region", one_of)),
    }
}

fn kreis_key(name: &str, value: &Value) -> Result<KreisKey, Rejection> {
    value
        .as_str()
        .and_then(|key| KreisKey::parse(key.trim()).ok())
        .ok_or_else(|| Rejection::invalid(name, body::KREIS_FORMAT))
}

/// A rejection of a nested field, named with its parent (`region.land`).
fn prefixed(parent: &str, rejection: Rejection) -> Rejection {
    match rejection {
        Rejection::Invalid { field, reason } if field == "body" => Rejection::Invalid {
            field: parent.to_owned(),
            reason,
        },
        Rejection::Invalid { field, reason } => Rejection::Invalid {
            field: format!("{parent}.{field}"),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::LandCode;
    use serde_json::json;

    use super::*;

    fn field_of<T: std::fmt::Debug>(result: Result<T, Rejection>) -> String {
        match result {
            Err(Rejection::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_gemeinde_comes_with_an_optional_population() {
        let body = json!({"ags": "16051000", "name": " Erfurt ", "population": 213_699,
            "population_date": "2018-12-31"});
        let Command::RegisterGemeinde(gemeinde) = register_gemeinde(&body).unwrap().command else {
            panic!("not a registration");
        };
        assert_eq!(gemeinde.name, "Erfurt");
        assert_eq!(gemeinde.population.unwrap().count, 213_699);
        let body = json!({"ags": "16051000", "name": "Erfurt", "population": 1});
        assert_eq!(field_of(register_gemeinde(&body)), "population_date");
        let body = json!({"ags": "16051000", "name": "Erfurt", "population_date": "2018-12-31"});
        assert_eq!(field_of(register_gemeinde(&body)), "population");
        assert_eq!(
            field_of(register_gemeinde(&json!({"ags": "1605", "name": "x"}))),
            "ags"
        );
    }

    #[test]
    fn a_region_is_a_land_or_a_list_of_kreise() {
        let land = region(&json!({"land": "16"})).unwrap();
        assert_eq!(land, Region::Land(LandCode::new(16).unwrap()));
        let kreise = region(&json!({"kreise": ["16051", "16052"]})).unwrap();
        assert_eq!(
            kreise,
            Region::Kreise(vec![
                KreisKey::parse("16051").unwrap(),
                KreisKey::parse("16052").unwrap()
            ])
        );
        assert_eq!(field_of(region(&json!({"land": "17"}))), "region.land");
        assert_eq!(
            field_of(region(&json!({"kreise": ["1605"]}))),
            "region.kreise.0"
        );
        assert_eq!(
            field_of(region(&json!({"kreise": "16051"}))),
            "region.kreise"
        );
        assert_eq!(field_of(region(&json!({}))), "region");
        assert_eq!(
            field_of(region(&json!({"land": "16", "kreise": []}))),
            "region"
        );
        assert_eq!(field_of(region(&json!({"bund": true}))), "region.bund");
        assert_eq!(field_of(region(&json!("16"))), "region");
    }
}
