//! The coverage of a Land's Kreise as a colour table: one row per Kreis,
//! one column per service, each cell coloured by the share of the Kreis's
//! municipalities that are live, with the numbers written in the cell too
//! (colour is never the only carrier). Six shades from grey (none) to
//! green (all), each dark enough text stays readable on it; a legend
//! explains them. A maud template, so every text is escaped.

use efa_proto::ServiceId;
use efa_proto::views::KreisCoverage;

use maud::{Markup, html};

use super::markup::{scrolls_alone, thousands};

/// The shade class for `live` of `total`: `s0` none (or no
/// municipality), `s1` under 25 %, `s2` under 50 %, `s3` under 75 %, `s4`
/// under 100 %, `s5` all.
pub fn shade(live: u32, total: u32) -> &'static str {
    match percent(live, total) {
        _ if live == 0 || total == 0 => "s0",
        100.. => "s5",
        75..=99 => "s4",
        50..=74 => "s3",
        25..=49 => "s2",
        _ => "s1",
    }
}

/// The share of `live` in `total`, in whole percent (0 when `total` is 0).
fn percent(live: u32, total: u32) -> u64 {
    (u64::from(live) * 100)
        .checked_div(u64::from(total))
        .unwrap_or(0)
}

/// The legend of the shades.
pub fn legend() -> Markup {
    let items = [
        ("s0", "keine in Betrieb"),
        ("s1", "unter 25 %"),
        ("s2", "25 bis 49 %"),
        ("s3", "50 bis 74 %"),
        ("s4", "75 bis 99 %"),
        ("s5", "alle in Betrieb"),
    ];
    html! {
        ul.legende aria-label="Legende der Farben" {
            @for (class, label) in items { li class=(class) { (label) } }
        }
    }
}

/// The table. `services` are the columns (id and title), in order.
pub fn coverage_table(
    caption: &str,
    rows: &[KreisCoverage],
    services: &[(ServiceId, String)],
) -> Markup {
    let mut kreise: Vec<&KreisCoverage> = Vec::new();
    for row in rows {
        if !kreise.iter().any(|k| k.kreis == row.kreis) {
            kreise.push(row);
        }
    }
    let cell = |kreis: &KreisCoverage, service: &ServiceId| {
        (rows.iter()).find(|r| r.kreis == kreis.kreis && r.service == *service)
    };
    scrolls_alone(html! {
        table.abdeckung {
            caption { (caption) }
            thead { tr { th scope="col" { "Kreis" } @for (_, title) in services { th scope="col" { (title) } } } }
            tbody {
                @for kreis in kreise {
                    tr {
                        th scope="row" { (kreis.kreis_name) " " span.hilfe { "(" (kreis.kreis) ")" } }
                        @for (service, _) in services { (cell_html(cell(kreis, service))) }
                    }
                }
            }
        }
    })
}

fn cell_html(cell: Option<&KreisCoverage>) -> Markup {
    let Some(cell) = cell else {
        return html! { td.s0 { "–" } };
    };
    let (live, total) = (cell.stages[3], cell.municipalities);
    html! {
        td class=(shade(live, total)) {
            (live) " von " (total) " in Betrieb" br; (percent(live, total)) " %" br;
            span.hilfe { (thousands(cell.population_live)) " Einw." }
        }
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::KreisKey;

    use super::*;

    fn row(kreis: &str, name: &str, service: &str, total: u32, live: u32) -> KreisCoverage {
        KreisCoverage {
            kreis: KreisKey::parse(kreis).unwrap(),
            kreis_name: name.into(),
            service: ServiceId::parse(service).unwrap(),
            municipalities: total,
            stages: [1, 0, 0, live, 0],
            population: 1000,
            population_live: 213_699,
        }
    }

    #[test]
    fn shades_follow_the_share_live() {
        assert_eq!(shade(0, 0), "s0");
        assert_eq!(shade(0, 5), "s0");
        assert_eq!(shade(1, 5), "s1");
        assert_eq!(shade(1, 4), "s2");
        assert_eq!(shade(1, 2), "s3");
        assert_eq!(shade(3, 4), "s4");
        assert_eq!(shade(4, 4), "s5");
    }

    #[test]
    fn the_table_has_headers_numbers_and_escaped_names() {
        let rows = vec![
            row("16051", "Erfurt <Stadt>", "wohngeld", 1, 1),
            row("16068", "Sömmerda", "wohngeld", 4, 1),
        ];
        let services = vec![
            (
                ServiceId::parse("wohngeld").unwrap(),
                "Wohngeld & mehr".to_owned(),
            ),
            (ServiceId::parse("bafoeg").unwrap(), "BAföG".to_owned()),
        ];
        let html = coverage_table("Abdeckung", &rows, &services).into_string();
        assert!(html.contains("<caption>Abdeckung</caption>"));
        assert!(html.contains("<th scope=\"col\">Wohngeld &amp; mehr</th>"));
        assert!(html.contains(
            "<th scope=\"row\">Erfurt &lt;Stadt&gt; <span class=\"hilfe\">(16051)</span></th>"
        ));
        assert!(html.contains("<td class=\"s5\">1 von 1 in Betrieb<br>100 %"));
        assert!(html.contains("<td class=\"s2\">1 von 4 in Betrieb<br>25 %"));
        assert!(html.contains("213.699 Einw."));
        assert_eq!(
            html.matches("<td class=\"s0\">–</td>").count(),
            2,
            "no BAföG rows"
        );
        assert!(!html.contains("<Stadt>"));
    }
}
