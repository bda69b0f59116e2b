//! Writes to a service's stream: details, status, Reifegrad, retirement,
//! Länder joining and leaving (Beitritt), costs and their corrections.

use efa_proto::{
    AssessReifegrad, Cents, ChangeServiceStatus, Command, CorrectCost, CostCategory, Date,
    JoinService, LandCode, LeaveService, Rejection, ReportCost, RetireService, ServiceId,
};
use serde_json::Value;

use super::Parsed;
use crate::announce;
use crate::body::{self, Fields};

/// `PUT /api/v1/services/{id}`.
pub fn update_details(service: ServiceId, body: &Value) -> Result<Parsed, Rejection> {
    let (details, effective) = announce::parse_details(service, body)?;
    Ok(Parsed::new(
        Command::UpdateServiceDetails(details),
        effective,
    ))
}

/// `POST /api/v1/services/{id}/status`: `{"status": "pilot"}`.
pub fn change_status(service: ServiceId, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["status", "effective"])?;
    let status = announce::status(&fields)?;
    let command = Command::ChangeServiceStatus(ChangeServiceStatus { service, status });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/services/{id}/reifegrad`: `{"reifegrad": 3}`.
pub fn assess_reifegrad(service: ServiceId, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["reifegrad", "effective"])?;
    let reifegrad = announce::reifegrad(&fields)?;
    let command = Command::AssessReifegrad(AssessReifegrad { service, reifegrad });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/services/{id}/retirement`: `{"reason": "..."}`.
pub fn retire(service: ServiceId, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["reason", "effective"])?;
    let reason = fields.required_text("reason", REASON_CHARS_MAX)?;
    let command = Command::RetireService(RetireService { service, reason });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/services/{id}/participations`: `{"land": "16"}`.
pub fn join(service: ServiceId, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["land", "effective"])?;
    let land = fields.land("land")?;
    let command = Command::JoinService(JoinService { service, land });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `DELETE /api/v1/services/{id}/participations/{land}`: the effective
/// date from the optional body or from `?effective=`; both only if equal.
pub fn leave(
    service: ServiceId,
    land: LandCode,
    body: &Value,
    from_query: Option<Date>,
) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["effective"])?;
    let effective = match (fields.effective()?, from_query) {
        (Some(body), Some(query)) if body != query => {
            return Err(Rejection::invalid(
                "effective",
                "steht in Inhalt und Adresse mit verschiedenen Daten",
            ));
        }
        (body, query) => body.or(query),
    };
    let command = Command::LeaveService(LeaveService { service, land });
    Ok(Parsed::new(command, effective))
}

/// The longest reason accepted here; the domain has its own limit.
const REASON_CHARS_MAX: usize = 2000;

/// `POST /api/v1/services/{id}/costs`.
pub fn report_cost(service: ServiceId, body: &Value) -> Result<Parsed, Rejection> {
    let known = [
        "year",
        "category",
        "amount",
        "amount_cents",
        "note",
        "effective",
    ];
    let fields = body::object(body, &known)?;
    let category = fields.choice(
        "category",
        &[
            CostCategory::Development.key(),
            CostCategory::Operation.key(),
        ],
        CostCategory::from_key,
    )?;
    let command = Command::ReportCost(ReportCost {
        service,
        year: fields.year("year")?,
        category,
        amount: amount(&fields)?,
        note: fields.note("note")?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/services/{id}/costs/{cost_no}/corrections`.
pub fn correct_cost(service: ServiceId, cost_no: u32, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["amount", "amount_cents", "reason", "effective"])?;
    let command = Command::CorrectCost(CorrectCost {
        service,
        cost_no,
        amount: amount(&fields)?,
        reason: fields.required_text("reason", REASON_CHARS_MAX)?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// Exactly one of `"amount"` (euros as text, `"1234,56"` or `"1234.56"`)
/// and `"amount_cents"` (a whole number of cents).
pub fn amount(fields: &Fields<'_>) -> Result<Cents, Rejection> {
    let one_of = "genau eines von amount (Euro als Text) und amount_cents (Cent als ganze Zahl)";
    match (fields.get("amount"), fields.get("amount_cents")) {
        (Some(_), Some(_)) | (None, None) => Err(Rejection::invalid("amount", one_of)),
        (Some(Value::String(euros)), None) => Cents::parse_euros(euros).map_err(|_| {
            Rejection::invalid(
                "amount",
                "muss ein Euro-Betrag mit höchstens zwei Nachkommastellen sein, etwa \"1234,56\"",
            )
        }),
        (Some(_), None) => Err(Rejection::invalid(
            "amount",
            "muss ein Text sein, etwa \"1234,56\" (oder amount_cents als Zahl)",
        )),
        (None, Some(cents)) => cents.as_i64().map(Cents).ok_or_else(|| {
            Rejection::invalid("amount_cents", "muss eine ganze Zahl von Cent sein")
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn id() -> ServiceId {
        ServiceId::parse("wohngeld").unwrap()
    }

    fn cents_of(body: Value) -> Result<Cents, Rejection> {
        let fields = body::object(&body, &["amount", "amount_cents"])?;
        amount(&fields)
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T, Rejection>) -> String {
        match result {
            Err(Rejection::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn euro_amounts_are_exact_cents() {
        assert_eq!(
            cents_of(json!({"amount": "1234,56"})).unwrap(),
            Cents(123_456)
        );
        assert_eq!(
            cents_of(json!({"amount": "1234.56"})).unwrap(),
            Cents(123_456)
        );
        assert_eq!(
            cents_of(json!({"amount": " 1234,5 "})).unwrap(),
            Cents(123_450)
        );
        assert_eq!(cents_of(json!({"amount": "100"})).unwrap(), Cents(10_000));
        assert_eq!(cents_of(json!({"amount": "-0,05"})).unwrap(), Cents(-5));
        assert_eq!(
            cents_of(json!({"amount_cents": 123_456})).unwrap(),
            Cents(123_456)
        );
        for bad in ["1.234,56", "12,345", "1e3", "", "€ 12", "12 345"] {
            assert_eq!(
                field_of(cents_of(json!({"amount": bad}))),
                "amount",
                "{bad}"
            );
        }
        assert_eq!(field_of(cents_of(json!({"amount": 1234.56}))), "amount");
        assert_eq!(field_of(cents_of(json!({}))), "amount");
        let both = json!({"amount": "1", "amount_cents": 100});
        assert_eq!(field_of(cents_of(both)), "amount");
        assert_eq!(
            field_of(cents_of(json!({"amount_cents": 1.5}))),
            "amount_cents"
        );
        assert_eq!(
            field_of(cents_of(json!({"amount_cents": "100"}))),
            "amount_cents"
        );
    }

    #[test]
    fn a_cost_report_is_read_completely() {
        let body = json!({"year": 2023, "category": "operation", "amount": "1234,56",
            "note": "Hosting", "effective": "2023-12-31"});
        let parsed = report_cost(id(), &body).unwrap();
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
        assert_eq!(field_of(report_cost(id(), &bad)), "category");
        let bad = json!({"year": "2023", "category": "operation", "amount": "1"});
        assert_eq!(field_of(report_cost(id(), &bad)), "year");
    }

    #[test]
    fn leaving_takes_the_date_from_body_or_query() {
        let land = LandCode::new(16).unwrap();
        let date = Date::parse("2024-01-01").unwrap();
        let other = Date::parse("2024-02-01").unwrap();
        let from_body = json!({"effective": "2024-01-01"});
        assert_eq!(
            leave(id(), land, &from_body, None).unwrap().effective,
            Some(date)
        );
        assert_eq!(
            leave(id(), land, &json!({}), Some(date)).unwrap().effective,
            Some(date)
        );
        assert!(leave(id(), land, &from_body, Some(date)).is_ok());
        assert_eq!(
            field_of(leave(id(), land, &from_body, Some(other))),
            "effective"
        );
        assert_eq!(
            field_of(leave(id(), land, &json!({"land": "16"}), None)),
            "land"
        );
    }

    #[test]
    fn status_and_reifegrad_are_required_and_checked() {
        assert_eq!(field_of(change_status(id(), &json!({}))), "status");
        assert_eq!(
            field_of(change_status(id(), &json!({"status": "done"}))),
            "status"
        );
        assert!(change_status(id(), &json!({"status": "retired"})).is_ok());
        assert_eq!(
            field_of(assess_reifegrad(id(), &json!({"reifegrad": 5}))),
            "reifegrad"
        );
        assert_eq!(field_of(retire(id(), &json!({"reason": "  "}))), "reason");
        assert_eq!(field_of(join(id(), &json!({"land": "00"}))), "land");
    }
}
