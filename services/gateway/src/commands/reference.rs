//! Writes of reference data: the allocation key of a year (Königsteiner
//! Schlüssel) and the population of the Länder on a reference date.
//! Percentages are read exactly, as decimal text, into units of
//! 1/100,000 percent: never through a float.

use efa_proto::participant::percent_to_key_units;
use efa_proto::{
    Command, KEY_UNITS_TOTAL, LandCode, PublishAllocationKey, PublishPopulation, Rejection,
};
use serde_json::Value;

use super::Parsed;
use crate::body;

/// `POST /api/v1/reference/allocation-keys`: `{"year", "shares": {"01":
/// "3,39074", ...}}` or `{"year", "units": {"01": 339074, ...}}`.
pub fn allocation_key(body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["year", "shares", "units", "effective"])?;
    let year = fields.year("year")?;
    let shares = match (fields.get("shares"), fields.get("units")) {
        (Some(shares), None) => body::per_land("shares", shares, |name, value| {
            match value {
                Value::String(text) => percent_to_key_units(text),
                _ => None,
            }
            .ok_or_else(|| Rejection::invalid(name, PERCENT_FORMAT))
        })?,
        (None, Some(units)) => body::per_land("units", units, |name, value| {
            value
                .as_u64()
                .and_then(|units| u32::try_from(units).ok())
                .filter(|units| *units <= KEY_UNITS_TOTAL)
                .ok_or_else(|| Rejection::invalid(name, UNITS_FORMAT))
        })?,
        _ => {
            return Err(Rejection::invalid(
                "shares",
                "genau eines von shares (Prozent als Text) und units (1/100.000 %) angeben",
            ));
        }
    };
    let command = Command::PublishAllocationKey(PublishAllocationKey { year, shares });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/reference/populations`: `{"reference_date", "figures":
/// {"01": 2896712, ...}}`.
pub fn population(body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["reference_date", "figures", "effective"])?;
    let reference_date = fields.required_date("reference_date")?;
    let figures: Vec<(LandCode, u64)> =
        body::per_land("figures", fields.required("figures")?, |name, value| {
            value
                .as_u64()
                .ok_or_else(|| Rejection::invalid(name, "muss eine nicht-negative ganze Zahl sein"))
        })?;
    let command = Command::PublishPopulation(PublishPopulation {
        reference_date,
        figures,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

const PERCENT_FORMAT: &str =
    "muss ein Prozentsatz als Text mit höchstens 5 Nachkommastellen sein, etwa \"3,39074\"";
const UNITS_FORMAT: &str = "muss eine ganze Zahl von 0 bis 10000000 (1/100.000 %) sein";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn percentages_become_key_units_exactly() {
        assert_eq!(percent_to_key_units("3,39074"), Some(339_074));
        assert_eq!(percent_to_key_units("3.39074"), Some(339_074));
        assert_eq!(percent_to_key_units("100"), Some(10_000_000));
        assert_eq!(percent_to_key_units("100,00000"), Some(10_000_000));
        assert_eq!(percent_to_key_units("0"), Some(0));
        assert_eq!(percent_to_key_units("0,00001"), Some(1));
        assert_eq!(percent_to_key_units("21,1"), Some(2_110_000));
        assert_eq!(percent_to_key_units(" 5,1 "), Some(510_000));
        assert_eq!(percent_to_key_units("012,5"), Some(1_250_000));
        for bad in [
            "3,390745",
            "100,00001",
            "101",
            "1000",
            "",
            ",5",
            "3,",
            "3,3,3",
            "-1",
            "+1",
            "3 %",
            "1e2",
            "3,39 074",
        ] {
            assert_eq!(percent_to_key_units(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn a_key_is_read_from_percent_texts_or_units() {
        let parsed =
            allocation_key(&json!({"year": 2016, "shares": {"16": "2,6", "01": "3,39074"}}))
                .unwrap();
        let Command::PublishAllocationKey(key) = parsed.command else {
            panic!("not a key");
        };
        let thuringia = LandCode::new(16).unwrap();
        assert_eq!(
            key.shares,
            vec![(LandCode::new(1).unwrap(), 339_074), (thuringia, 260_000)]
        );
        let parsed = allocation_key(&json!({"year": 2016, "units": {"16": 260_000}})).unwrap();
        let Command::PublishAllocationKey(key) = parsed.command else {
            panic!("not a key");
        };
        assert_eq!(key.shares, vec![(thuringia, 260_000)]);
    }

    #[test]
    fn a_bad_key_names_the_land() {
        let field = |body: Value| match allocation_key(&body) {
            Err(Rejection::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        };
        assert_eq!(
            field(json!({"year": 2016, "shares": {"01": "3,390745"}})),
            "shares.01"
        );
        assert_eq!(
            field(json!({"year": 2016, "shares": {"01": 3.39}})),
            "shares.01"
        );
        assert_eq!(
            field(json!({"year": 2016, "units": {"1": "339074"}})),
            "units.01"
        );
        assert_eq!(
            field(json!({"year": 2016, "units": {"01": 10_000_001}})),
            "units.01"
        );
        assert_eq!(field(json!({"year": 2016})), "shares");
        assert_eq!(
            field(json!({"year": 2016, "shares": {}, "units": {}})),
            "shares"
        );
        assert_eq!(field(json!({"shares": {}})), "year");
    }
}
