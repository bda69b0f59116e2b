//! Small pieces of HTML and German formatting the pages share: euro
//! amounts with decimal comma and thousands points, dates as people
//! write them, form fields with their label, hint and error (linked by
//! `aria-describedby`), selects, and query strings. Every text from data
//! goes through `escape`.

use efa_proto::{Cents, Date, LandCode, Timestamp};

pub use crate::html::escape;

/// `1.234.567,89 €`.
pub fn euro(cents: Cents) -> String {
    let sign = if cents.0 < 0 { "-" } else { "" };
    let abs = cents.0.unsigned_abs();
    format!("{sign}{},{:02} €", thousands(abs / 100), abs % 100)
}

/// `1234567` as `1.234.567`.
pub fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(digit);
    }
    out
}

/// `15.03.2023`.
pub fn date_de(date: Date) -> String {
    let (y, m, d) = date.ymd();
    format!("{d:02}.{m:02}.{y:04}")
}

/// `15.03.2023, 08:51:24 UTC`.
pub fn timestamp_de(at: Timestamp) -> String {
    let text = at.to_string();
    let time = text.get(11..19).unwrap_or_default();
    format!("{}, {time} UTC", date_de(at.date()))
}

/// A Land's name with its code: `Bremen (04)`.
pub fn land_de(land: LandCode) -> String {
    format!("{} ({land})", land.name())
}

pub use crate::params::{encode, query};

/// `<option>`s; the one whose value is `selected` is selected.
pub fn options(items: &[(String, String)], selected: &str) -> String {
    items
        .iter()
        .map(|(value, label)| {
            let mark = if value == selected { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{mark}>{}</option>",
                escape(value),
                escape(label)
            )
        })
        .collect()
}

/// The Länder as select items, with a first item for "none".
pub fn land_items(none: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), none.to_owned()))
        .chain(LandCode::all().map(|land| (land.to_string(), land.name().to_owned())))
        .collect()
}

/// A form field: label, control, hint and error.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// The form's id, to make element ids unique on the page.
    pub form: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub error: Option<&'a str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn new(form: &'a str, name: &'a str, label: &'a str) -> Self {
        Self {
            form,
            name,
            label,
            hint: None,
            error: None,
            required: false,
        }
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn error(mut self, error: Option<&'a str>) -> Self {
        self.error = error;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn id(&self) -> String {
        format!("{}-{}", self.form, self.name)
    }

    /// The attributes every control gets: id, name, required, invalid,
    /// described-by.
    fn attributes(&self) -> String {
        let id = self.id();
        let mut described = Vec::new();
        if self.hint.is_some() {
            described.push(format!("{id}-hilfe"));
        }
        if self.error.is_some() {
            described.push(format!("{id}-fehler"));
        }
        let mut attrs = format!("id=\"{id}\" name=\"{}\"", self.name);
        if self.required {
            attrs.push_str(" required");
        }
        if self.error.is_some() {
            attrs.push_str(" aria-invalid=\"true\"");
        }
        if !described.is_empty() {
            attrs.push_str(&format!(" aria-describedby=\"{}\"", described.join(" ")));
        }
        attrs
    }

    fn wrap(&self, control: String) -> String {
        let id = self.id();
        let mark = if self.required { " (Pflichtfeld)" } else { "" };
        let mut html = format!(
            "<div class=\"feld\">\n<label for=\"{id}\">{}{mark}</label>\n{control}\n",
            escape(self.label)
        );
        if let Some(hint) = self.hint {
            html.push_str(&format!(
                "<p class=\"hilfe\" id=\"{id}-hilfe\">{}</p>\n",
                escape(hint)
            ));
        }
        if let Some(error) = self.error {
            html.push_str(&format!(
                "<p class=\"fehlertext\" id=\"{id}-fehler\">{}</p>\n",
                escape(error)
            ));
        }
        html.push_str("</div>\n");
        html
    }

    /// An `<input>` of `kind` (text, date, number, search, password).
    pub fn input(&self, kind: &str, value: &str, extra: &str) -> String {
        self.wrap(format!(
            "<input type=\"{kind}\" {} value=\"{}\"{extra}>",
            self.attributes(),
            escape(value)
        ))
    }

    pub fn select(&self, items: &[(String, String)], selected: &str) -> String {
        self.wrap(format!(
            "<select {}>{}</select>",
            self.attributes(),
            options(items, selected)
        ))
    }
}

/// A hidden field.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        escape(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_dates_and_queries_read_the_german_way() {
        assert_eq!(euro(Cents(123_456_789)), "1.234.567,89 €");
        assert_eq!(euro(Cents(-5)), "-0,05 €");
        assert_eq!(euro(Cents(100_000)), "1.000,00 €");
        assert_eq!(thousands(999), "999");
        assert_eq!(date_de(Date::parse("2023-03-15").unwrap()), "15.03.2023");
        assert_eq!(
            query(&[
                ("q", "Bauen & Wohnen".into()),
                ("land", String::new()),
                ("x", "ä".into())
            ]),
            "?q=Bauen%20%26%20Wohnen&x=%C3%A4"
        );
        assert_eq!(query(&[("a", String::new())]), "");
    }

    #[test]
    fn fields_are_labelled_and_escaped() {
        let field = Field::new("f", "title", "Titel <neu>")
            .hint("kurz")
            .error(Some("fehlt \"hier\""))
            .required();
        let html = field.input("text", "a\"><script>", "");
        assert!(html.contains("<label for=\"f-title\">Titel &lt;neu&gt; (Pflichtfeld)</label>"));
        assert!(html.contains("aria-describedby=\"f-title-hilfe f-title-fehler\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("value=\"a&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("fehlt &quot;hier&quot;"));
        assert!(!html.contains("<script>"));
        let select = Field::new("f", "land", "Land").select(&land_items("alle"), "16");
        assert!(select.contains("<option value=\"16\" selected>Thüringen</option>"));
    }
}
