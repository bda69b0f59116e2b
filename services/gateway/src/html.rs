//! The catalogue page for people: plain, server-rendered German HTML with
//! no JavaScript, readable with a screen reader (language, headings,
//! labelled form fields, a table with a caption and column headers).
//! Every text that comes from data goes through [`escape`].

use efa_proto::{LandCode, ServiceView};

/// The page's title, also its heading.
pub const PAGE_TITLE: &str = "EfA-Register – Katalog der EfA-Leistungen";

/// What the visitor filters by (`/?q=…&land=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub land: Option<LandCode>,
}

impl Filter {
    /// Whether a service matches: the text in title, Themenfeld, provider
    /// or id (ignoring case), and the lead Land if one is chosen.
    pub fn matches(&self, service: &ServiceView) -> bool {
        let needle = self.text.trim().to_lowercase();
        let text_matches = needle.is_empty()
            || [
                service.title.as_str(),
                service.themenfeld.as_str(),
                service.provider.as_str(),
                service.id.as_str(),
            ]
            .iter()
            .any(|field| field.to_lowercase().contains(&needle));
        text_matches && self.land.is_none_or(|land| land == service.lead)
    }
}

/// What the page lists.
#[derive(Debug)]
pub enum Listing<'a> {
    /// The services that match the filter, of `total` in the catalogue.
    Services {
        shown: Vec<&'a ServiceView>,
        total: usize,
        as_of_seq: u64,
    },
    /// The catalogue could not be asked.
    Unavailable,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:1rem;\
line-height:1.5;color:#1a1a1a}table{border-collapse:collapse;width:100%}caption{text-align:left;\
font-weight:bold;padding:.5rem 0}th,td{border-bottom:1px solid #999;padding:.4rem;text-align:left;\
vertical-align:top}form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}label{display:block;\
font-weight:bold}input,select,button{font:inherit;padding:.3rem}.hinweis{border-left:.3rem solid #b00;\
padding:.5rem 1rem;background:#fdf0f0}";

/// The whole page.
pub fn catalogue_page(listing: &Listing<'_>, filter: &Filter) -> String {
    let mut page = String::with_capacity(8 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str(&format!(
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(PAGE_TITLE)
    ));
    page.push_str(&format!("<header>\n<h1>{}</h1>\n", escape(PAGE_TITLE)));
    page.push_str(
        "<p>Online-Leistungen, die ein Land nach dem Prinzip „Einer für Alle“ entwickelt und \
         allen anderen Ländern und Kommunen zur Nachnutzung anbietet.</p>\n</header>\n<main>\n",
    );
    page.push_str(&filter_form(filter));
    page.push_str(
        "<section aria-labelledby=\"leistungen\">\n<h2 id=\"leistungen\">Leistungen</h2>\n",
    );
    match listing {
        Listing::Unavailable => page.push_str(
            "<p class=\"hinweis\" role=\"status\">Der Katalog ist gerade nicht erreichbar. \
             Bitte versuchen Sie es in einigen Minuten erneut.</p>\n",
        ),
        Listing::Services {
            shown,
            total,
            as_of_seq,
        } => page.push_str(&services_table(shown, *total, *as_of_seq)),
    }
    page.push_str("</section>\n</main>\n<footer>\n<p>Maschinenlesbar: ");
    page.push_str("<a href=\"/api/v1/services\">/api/v1/services</a> (JSON)</p>\n</footer>\n</body>\n</html>\n");
    page
}

fn filter_form(filter: &Filter) -> String {
    let mut form =
        String::from("<section aria-labelledby=\"suche\">\n<h2 id=\"suche\">Suche</h2>\n");
    form.push_str(
        "<form method=\"get\" action=\"/\">\n<div>\n<label for=\"q\">Suchbegriff</label>\n",
    );
    form.push_str(&format!(
        "<input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" maxlength=\"200\">\n</div>\n",
        escape(&filter.text)
    ));
    form.push_str("<div>\n<label for=\"land\">Federführendes Land</label>\n<select id=\"land\" name=\"land\">\n");
    form.push_str("<option value=\"\">alle Länder</option>\n");
    for land in LandCode::all() {
        let selected = if filter.land == Some(land) {
            " selected"
        } else {
            ""
        };
        form.push_str(&format!(
            "<option value=\"{land}\"{selected}>{}</option>\n",
            escape(land.name())
        ));
    }
    form.push_str(
        "</select>\n</div>\n<button type=\"submit\">Filtern</button>\n</form>\n</section>\n",
    );
    form
}

fn services_table(shown: &[&ServiceView], total: usize, as_of_seq: u64) -> String {
    if total == 0 {
        return "<p role=\"status\">Es sind noch keine Leistungen angekündigt.</p>\n".to_owned();
    }
    if shown.is_empty() {
        return "<p role=\"status\">Keine Leistung passt zu dieser Suche.</p>\n".to_owned();
    }
    let mut table = String::from("<table>\n");
    table.push_str(&format!(
        "<caption>{} von {total} Leistungen (Stand: Ereignis Nr. {as_of_seq})</caption>\n",
        shown.len()
    ));
    table.push_str(
        "<thead>\n<tr><th scope=\"col\">Titel</th><th scope=\"col\">Federführendes Land</th>",
    );
    table.push_str("<th scope=\"col\">Status</th><th scope=\"col\">Reifegrad</th>");
    table.push_str("<th scope=\"col\">Themenfeld</th></tr>\n</thead>\n<tbody>\n");
    for service in shown {
        table.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&service.title),
            escape(service.lead.name()),
            escape(service.status.label_de()),
            service.reifegrad.get(),
            escape(&service.themenfeld),
        ));
    }
    table.push_str("</tbody>\n</table>\n");
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::tests::sample_view;

    #[test]
    fn escaping_covers_the_five_special_characters() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Größe"), "Größe");
    }

    #[test]
    fn the_page_lists_services_with_their_text_escaped() {
        let mut service = sample_view();
        service.title = "<script>alert(1)</script>".into();
        let listing = Listing::Services {
            shown: vec![&service],
            total: 1,
            as_of_seq: 7,
        };
        let page = catalogue_page(&listing, &Filter::default());
        assert!(page.contains("<html lang=\"de\">"));
        assert!(page.contains("EfA-Register – Katalog der EfA-Leistungen"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(
            page.contains("<td>Bremen</td><td>verfügbar</td><td>3</td><td>Bauen &amp; Wohnen</td>")
        );
        assert!(page.contains("<label for=\"q\">"));
    }

    #[test]
    fn an_unreachable_catalogue_shows_a_notice() {
        let page = catalogue_page(&Listing::Unavailable, &Filter::default());
        assert!(page.contains("Der Katalog ist gerade nicht erreichbar."));
    }

    #[test]
    fn the_filter_matches_text_and_land() {
        let service = sample_view();
        assert!(Filter::default().matches(&service));
        assert!(
            Filter {
                text: "bauen".into(),
                land: None
            }
            .matches(&service)
        );
        assert!(
            !Filter {
                text: "wohngeld".into(),
                land: None
            }
            .matches(&service)
        );
        assert!(
            Filter {
                text: String::new(),
                land: LandCode::new(4).ok()
            }
            .matches(&service)
        );
        assert!(
            !Filter {
                text: String::new(),
                land: LandCode::new(16).ok()
            }
            .matches(&service)
        );
    }
}
