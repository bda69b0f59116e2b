//! The success notices shown after a form was accepted. The redirect
//! names one by a fixed code (`?erfolg=kosten`), never by free text, so a
//! link cannot make the page say anything else.

/// The German notice for a code.
pub fn success(code: &str) -> Option<&'static str> {
    Some(match code {
        "angemeldet" => "Sie sind angemeldet.",
        "abgemeldet" => "Sie sind abgemeldet.",
        "angekuendigt" => "Die Leistung wurde angekündigt.",
        "angaben" => "Die Angaben der Leistung wurden geändert.",
        "status" => "Der Status wurde geändert.",
        "reifegrad" => "Der Reifegrad wurde erfasst.",
        "kosten" => "Die Kosten wurden gemeldet.",
        "beitritt" => "Der Beitritt wurde erklärt.",
        "austritt" => "Der Austritt wurde erklärt.",
        "abgerechnet" => "Das Jahr wurde abgerechnet.",
        "berichtigt" => "Die Berichtigung wurde erfasst.",
        "beantragt" => "Die Einführung wurde beantragt.",
        "schritt" => "Der Schritt wurde gemeldet.",
        "zurueckgezogen" => "Die Einführung wurde zurückgezogen.",
        "wiederholt" => "Dieser Vorgang war bereits erfasst; es wurde nichts doppelt gespeichert.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_codes_have_a_notice() {
        assert_eq!(success("kosten"), Some("Die Kosten wurden gemeldet."));
        assert_eq!(success("<script>"), None);
        assert_eq!(success(""), None);
    }
}
