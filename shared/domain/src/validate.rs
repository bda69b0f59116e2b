//! Field checks shared by the commands: lengths, formats, plausible dates
//! and years.

use efa_proto::{CostModel, Date, REGISTER_YEARS, Rejection, Timestamp};

/// A name or title: a required text on one line.
pub fn required_line(field: &str, value: &str, max_chars: usize) -> Result<(), Rejection> {
    if value.contains('\n') {
        return Err(Rejection::invalid(
            field,
            "darf keinen Zeilenumbruch enthalten",
        ));
    }
    required_text(field, value, max_chars)
}

/// A required text: trimmed, non-empty, at most `max_chars` characters.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<(), Rejection> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Rejection::invalid(field, "darf nicht leer sein"));
    }
    if trimmed != value {
        return Err(Rejection::invalid(
            field,
            "darf nicht mit Leerzeichen beginnen oder enden",
        ));
    }
    if !efa_proto::text::shows_something(value) {
        return Err(Rejection::invalid(
            field,
            "zeigt nichts an (nur Akzente oder unsichtbare Zeichen)",
        ));
    }
    optional_text(field, value, max_chars)
}

/// A text that may be empty: at most `max_chars`, no control characters
/// (line breaks are allowed in notes), nothing invisible
/// (`efa_proto::text`).
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<(), Rejection> {
    if value.chars().count() > max_chars {
        return Err(Rejection::invalid(
            field,
            format!("höchstens {max_chars} Zeichen"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Rejection::invalid(field, "enthält Steuerzeichen"));
    }
    if value.chars().any(efa_proto::text::is_invisible) {
        return Err(Rejection::invalid(
            field,
            "enthält unsichtbare Zeichen (etwa Richtungswechsel, Zeichen ohne Breite, \
             Füllzeichen oder Zeilentrenner)",
        ));
    }
    Ok(())
}

/// LeiKa keys (Leistungskatalog) are 14 digits.
pub fn leika_keys(keys: &[String]) -> Result<(), Rejection> {
    if keys.len() > 100 {
        return Err(Rejection::invalid("leika", "höchstens 100 LeiKa-Schlüssel"));
    }
    for key in keys {
        if key.len() != 14 || !key.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rejection::invalid(
                "leika",
                format!("LeiKa-Schlüssel {key:?} hat nicht 14 Ziffern"),
            ));
        }
    }
    Ok(())
}

/// A model naming a key year names one the registry can hold a key for
/// (keys are published for `REGISTER_YEARS` only), so that its costs can
/// be split once that key is published.
pub fn cost_model(model: &CostModel) -> Result<(), Rejection> {
    match model {
        CostModel::KoenigsteinerSchluessel { year: Some(year) }
            if !REGISTER_YEARS.contains(year) =>
        {
            Err(Rejection::invalid(
                "cost_model.year",
                format!(
                    "Jahr {year} liegt außerhalb {} bis {}, der Jahre, für die Schlüssel \
                     veröffentlicht werden",
                    REGISTER_YEARS.start(),
                    REGISTER_YEARS.end()
                ),
            ))
        }
        CostModel::FixedShares { weights } => {
            let mut lands: Vec<_> = weights.iter().map(|(land, _)| *land).collect();
            lands.sort();
            lands.dedup();
            if lands.len() != weights.len() {
                return Err(Rejection::invalid(
                    "cost_model.weights",
                    "jedes Land darf nur einmal vorkommen",
                ));
            }
            if weights.iter().all(|(_, weight)| *weight == 0) {
                return Err(Rejection::invalid(
                    "cost_model.weights",
                    "mindestens ein Gewicht muss größer als 0 sein",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Effective dates the registry accepts: not before the OZG era's
/// beginnings, and not more than two years ahead of today.
pub fn effective_date(effective: Date, now: Timestamp) -> Result<(), Rejection> {
    let earliest = Date::from_ymd(2000, 1, 1).expect("2000-01-01 is a date");
    let latest = now.date().days_since_epoch() + 2 * 366;
    if effective < earliest || effective.days_since_epoch() > latest {
        // The latest day named as a date, so that the message holds the
        // whole range (the date fields take years 1900 to 2200 in
        // general; a change takes effect only in this narrower one).
        let latest = Date::try_from(latest)
            .map_or_else(|_| "zwei Jahre ab heute".to_owned(), |d| d.to_string());
        return Err(Rejection::invalid(
            "effective",
            format!(
                "Datum muss zwischen 2000-01-01 und {latest} liegen (höchstens zwei Jahre ab heute)"
            ),
        ));
    }
    Ok(())
}

/// Years for costs, keys and figures.
pub fn year(field: &str, year: u16) -> Result<(), Rejection> {
    if REGISTER_YEARS.contains(&year) {
        Ok(())
    } else {
        let (first, last) = (REGISTER_YEARS.start(), REGISTER_YEARS.end());
        Err(Rejection::invalid(
            field,
            format!("Jahr {year} liegt außerhalb {first} bis {last}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_and_nothing_in_a_text_is_invisible() {
        assert!(required_line("title", "Wohngeld", 300).is_ok());
        assert!(required_line("title", "Wohngeld\nantrag", 300).is_err());
        assert!(required_text("reason", "Rechnung\nberichtigt", 1000).is_ok());
        assert!(required_line("title", "\u{0301}\u{0308}", 300).is_err());
        for text in ["Wohngeld\u{3164}", "Wohn\u{200B}geld", "Wohngeld\u{2028}"] {
            assert!(required_text("reason", text, 1000).is_err(), "{text:?}");
            assert!(optional_text("note", text, 1000).is_err(), "{text:?}");
        }
    }
}
