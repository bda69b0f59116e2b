//! Small pieces of HTML and German formatting the pages share: euro
//! amounts with decimal comma and thousands points, dates as people
//! write them, form fields with their label, hint and error (linked by
//! `aria-describedby`), selects, sections with their heading, tables
//! with caption and header, and query strings. The pieces are maud
//! templates, so every text from data is escaped.

use efa_proto::service::CostModel;
use efa_proto::statement::weight_percent;
use efa_proto::{Cents, Date, LandCode, REGISTER_YEARS, Timestamp};
use maud::{Markup, Render, html};

/// `1.234.567,89 €`.
pub fn euro(cents: Cents) -> String {
    let sign = if cents.0 < 0 { "-" } else { "" };
    let abs = cents.0.unsigned_abs();
    format!("{sign}{},{:02} €", thousands(abs / 100), abs % 100)
}

pub use efa_api::de::thousands;

/// A Land's weight in a cost split, in the unit of its model: the
/// Königsteiner Schlüssel as published, in percent (`3,39074 %`; the
/// view counts in 1/100,000 percent), inhabitants, or the plain weight.
pub fn weight_de(model: &CostModel, weight: u64) -> String {
    match model {
        CostModel::KoenigsteinerSchluessel { .. } => {
            format!("{} %", weight_percent(model, weight, 0).replace('.', ","))
        }
        CostModel::Population => format!("{} Einw.", thousands(weight)),
        CostModel::EqualShares | CostModel::FixedShares { .. } => thousands(weight),
    }
}

/// `15.03.2023`.
pub fn date_de(date: Date) -> String {
    date.de()
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
pub fn options(items: &[(String, String)], selected: &str) -> Markup {
    html! {
        @for (value, label) in items {
            option value=(value) selected[value == selected] { (label) }
        }
    }
}

/// A section headed by an `h2` whose id labels it; its content follows
/// with [`Section::with`].
pub fn section<H: Render>(id: &'static str, heading: H) -> Section<H> {
    Section { id, heading }
}

/// A section waiting for its content.
#[derive(Debug)]
pub struct Section<H> {
    id: &'static str,
    heading: H,
}

impl<H: Render> Section<H> {
    pub fn with(self, content: Markup) -> Markup {
        let id = self.id;
        html! { section aria-labelledby=(id) { h2 id=(id) { (self.heading) } (content) } }
    }
}

/// A column of a table's header: text, or numbers (right-aligned by the
/// class `zahl`).
#[derive(Debug, Clone, Copy)]
pub enum Col {
    Text(&'static str),
    Num(&'static str),
}

/// A table's header row, one `th scope="col"` per column.
pub fn head(columns: &[Col]) -> Markup {
    html! {
        thead { tr { @for column in columns { @match column {
            Col::Text(label) => th scope="col" { (label) },
            Col::Num(label) => th.zahl scope="col" { (label) },
        } } } }
    }
}

/// A table: its caption, the header of `columns`, then `rows`.
pub fn table(caption: impl Render, columns: &[Col], rows: Markup) -> Markup {
    footed_table(caption, columns, rows, html! {})
}

/// [`table`] with `foot` rows (a sum), if any, after the body.
pub fn footed_table(caption: impl Render, cols: &[Col], rows: Markup, foot: Markup) -> Markup {
    scrolls_alone(html! {
        table {
            caption { (caption) } (head(cols)) tbody { (rows) }
            @if !foot.0.is_empty() { tfoot { (foot) } }
        }
    })
}

/// A table in a box that scrolls sideways on its own where the screen is
/// narrower than the table, so that the page around it does not.
pub fn scrolls_alone(table: Markup) -> Markup {
    html! { div.tabelle { (table) } }
}

/// [`table`], or `none` in a paragraph when there are no rows.
pub fn table_or(none: &str, caption: impl Render, columns: &[Col], rows: Markup) -> Markup {
    if rows.0.is_empty() {
        html! { p { (none) } }
    } else {
        table(caption, columns, rows)
    }
}

/// Select items (value, label) of `pairs`.
pub fn items(
    pairs: impl IntoIterator<Item = (impl ToString, impl ToString)>,
) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(value, label)| (value.to_string(), label.to_string()))
        .collect()
}

/// Select items: a first one (value "") for `none`, then `pairs`.
pub fn choices(
    none: &str,
    pairs: impl IntoIterator<Item = (impl ToString, impl ToString)>,
) -> Vec<(String, String)> {
    let mut items = vec![(String::new(), none.to_owned())];
    items.extend(self::items(pairs));
    items
}

/// The Länder as select items, with a first item for "none".
pub fn land_items(none: &str) -> Vec<(String, String)> {
    choices(none, LandCode::all().map(|land| (land, land.name())))
}

/// A form field: label, control, hint and error, and the control's
/// limits (typed, so a template never writes an attribute by hand).
#[derive(Debug, Clone, Default)]
pub struct Field<'a> {
    /// The form's id, to make element ids unique on the page.
    pub form: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub error: Option<&'a str>,
    pub required: bool,
    inputmode: Option<&'a str>,
    pattern: Option<&'a str>,
    maxlength: Option<u32>,
    min: Option<u32>,
    max: Option<u32>,
    /// No autocompletion and no spellcheck (a secret).
    secret: bool,
}

impl<'a> Field<'a> {
    pub fn new(form: &'a str, name: &'a str, label: &'a str) -> Self {
        Self {
            form,
            name,
            label,
            ..Self::default()
        }
    }

    /// A hint under the control.
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

    pub fn maxlength(mut self, length: u32) -> Self {
        self.maxlength = Some(length);
        self
    }

    pub fn min(mut self, min: u32) -> Self {
        self.min = Some(min);
        self
    }

    pub fn max(mut self, max: u32) -> Self {
        self.max = Some(max);
        self
    }

    /// A year field: the years the registry keeps costs for.
    pub fn years(self) -> Self {
        self.min((*REGISTER_YEARS.start()).into())
            .max((*REGISTER_YEARS.end()).into())
    }

    pub fn inputmode(mut self, mode: &'a str) -> Self {
        self.inputmode = Some(mode);
        self
    }

    pub fn pattern(mut self, pattern: &'a str) -> Self {
        self.pattern = Some(pattern);
        self
    }

    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    fn id(&self) -> String {
        format!("{}-{}", self.form, self.name)
    }

    /// The label, the control, the hint and the error.
    fn wrap(&self, control: Markup) -> Markup {
        let id = self.id();
        html! {
            div.feld {
                label for=(id) { (self.label) @if self.required { " (Pflichtfeld)" } }
                (control)
                @if let Some(hint) = self.hint { p.hilfe id={ (id) "-hilfe" } { (hint) } }
                @if let Some(error) = self.error { p.fehlertext id={ (id) "-fehler" } { (error) } }
            }
        }
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    fn described_by(&self) -> Option<String> {
        let id = self.id();
        let hint = self.hint.map(|_| format!("{id}-hilfe"));
        let error = self.error.map(|_| format!("{id}-fehler"));
        let ids: Vec<String> = hint.into_iter().chain(error).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    /// An `<input>` of `kind` (text, date, number, search, password).
    pub fn control(&self, kind: &str, value: &str) -> Markup {
        self.wrap(html! {
            input type=(kind) id=(self.id()) name=(self.name) required[self.required]
                aria-invalid=[self.error.map(|_| "true")] aria-describedby=[self.described_by()]
                value=(value) inputmode=[self.inputmode] pattern=[self.pattern]
                maxlength=[self.maxlength] min=[self.min] max=[self.max]
                autocomplete=[self.secret.then_some("off")] spellcheck=[self.secret.then_some("false")];
        })
    }

    /// A `<select>` of `items`, `selected` chosen.
    pub fn choice(&self, items: &[(String, String)], selected: &str) -> Markup {
        self.wrap(html! {
            select id=(self.id()) name=(self.name) required[self.required]
                aria-invalid=[self.error.map(|_| "true")] aria-describedby=[self.described_by()] {
                (options(items, selected))
            }
        })
    }
}

/// A hidden field.
/// The links to download one list as CSV and as an Excel workbook;
/// `href` gives each format's address (`csv`, `xlsx`).
pub fn file_links(href: impl Fn(&str) -> String) -> Markup {
    html! {
        a href=(href("csv")) download { "CSV" } " · "
        a href=(href("xlsx")) download { "Excel (XLSX)" }
    }
}

pub fn hidden_input(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
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
        let html = field.control("text", "a\"><script>").into_string();
        assert!(html.contains("<label for=\"f-title\">Titel &lt;neu&gt; (Pflichtfeld)</label>"));
        assert!(html.contains("aria-describedby=\"f-title-hilfe f-title-fehler\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("value=\"a&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("fehlt &quot;hier&quot;"));
        assert!(!html.contains("<script>"));
        let select = Field::new("f", "land", "Land")
            .choice(&land_items("alle"), "16")
            .into_string();
        assert!(select.contains("<option value=\"16\" selected>Thüringen</option>"));
        let limited = Field::new("f", "n", "N")
            .min(0)
            .max(9)
            .control("number", "1");
        assert!(
            limited
                .into_string()
                .contains("value=\"1\" min=\"0\" max=\"9\">")
        );
    }

    #[test]
    fn weights_are_shown_in_their_models_unit() {
        let key = CostModel::KoenigsteinerSchluessel { year: None };
        assert_eq!(weight_de(&key, 339_074), "3,39074 %");
        assert_eq!(weight_de(&key, 95_331), "0,95331 %");
        assert_eq!(
            weight_de(&CostModel::Population, 2_143_145),
            "2.143.145 Einw."
        );
        assert_eq!(weight_de(&CostModel::EqualShares, 1), "1");
        let fixed = CostModel::FixedShares { weights: vec![] };
        assert_eq!(weight_de(&fixed, 1500), "1.500");
    }

    #[test]
    fn tables_have_caption_header_rows_and_an_optional_foot() {
        let rows = html! { tr { td { "1" } } };
        let html = footed_table(
            "K <1>",
            &[Col::Text("N")],
            rows,
            html! { tr { td { "S" } } },
        );
        assert_eq!(
            html.into_string(),
            "<div class=\"tabelle\"><table><caption>K &lt;1&gt;</caption>\
             <thead><tr><th scope=\"col\">N</th></tr></thead><tbody><tr><td>1</td></tr></tbody>\
             <tfoot><tr><td>S</td></tr></tfoot></table></div>"
        );
        let plain = table("K", &[], html! { tr {} }).into_string();
        assert!(!plain.contains("tfoot"), "{plain}");
        assert_eq!(
            table_or("Keine.", "K", &[], html! {}).into_string(),
            "<p>Keine.</p>"
        );
    }
}
