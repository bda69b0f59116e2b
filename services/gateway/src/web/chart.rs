//! The adoption funnel of a service as an inline SVG bar chart, drawn by
//! the server: one bar per stage (beantragt, vereinbart, Anbindung, in
//! Betrieb, zurückgezogen) with its count written beside it. The chart
//! has `role="img"`, a `<title>` and a `<desc>` listing every number, so a
//! screen reader reads the same as the eye sees; a maud template, so every
//! text is escaped.

use efa_proto::AdoptionStage;

use maud::{Markup, html};

use super::markup::thousands;

const WIDTH: u32 = 360;
const LABEL_WIDTH: u32 = 110;
const BAR_MAX: u32 = 200;
const ROW_HEIGHT: u32 = 26;
const BAR_HEIGHT: u32 = 18;
/// Bar fills: blues for the way to live, green for live, grey for
/// withdrawn; each at least 3:1 against white.
const FILLS: [&str; 5] = ["#4a6fa5", "#2f5d95", "#1c4a80", "#1e6b34", "#6b6b6b"];

/// The SVG for `reached` (counts per stage, in stage order). `id` makes
/// the element ids unique on the page; `name` is the service's title.
pub fn funnel_svg(id: &str, name: &str, reached: &[u32; 5]) -> Markup {
    let max = reached.iter().copied().max().unwrap_or(0).max(1);
    let height = ROW_HEIGHT * 5 + 4;
    let description: Vec<String> = AdoptionStage::ALL
        .iter()
        .zip(reached)
        .map(|(stage, count)| format!("{}: {}", stage.label_de(), thousands(u64::from(*count))))
        .collect();
    let bar = |count: u32| -> u64 {
        if count == 0 {
            0
        } else {
            (u64::from(count) * u64::from(BAR_MAX) / u64::from(max)).max(2)
        }
    };
    html! {
        svg role="img" aria-labelledby={ (id) "-titel " (id) "-beschreibung" }
            viewBox={ "0 0 " (WIDTH) " " (height) } width=(WIDTH) height=(height)
            xmlns="http://www.w3.org/2000/svg" {
            title id={ (id) "-titel" } { "Einführungstrichter: " (name) }
            desc id={ (id) "-beschreibung" } { (description.join(", ")) }
            @for (row, (stage, count)) in (0u32..).zip(AdoptionStage::ALL.iter().zip(reached)) {
                @let y = row * ROW_HEIGHT + 4;
                @let text_y = y + BAR_HEIGHT - 4;
                @let width = bar(*count);
                text x="0" y=(text_y) { (stage.label_de()) }
                // An SVG element in HTML needs its end tag, not `/>`.
                rect x=(LABEL_WIDTH) y=(y) width=(width) height=(BAR_HEIGHT)
                    fill=(FILLS[row as usize % FILLS.len()]) {}
                text x=(u64::from(LABEL_WIDTH) + width + 6) y=(text_y) { (thousands(u64::from(*count))) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_names_every_number_and_scales_the_bars() {
        let svg = funnel_svg("t1", "Wohngeld <digital> & mehr", &[4, 2, 1, 1, 0]).into_string();
        assert!(svg.starts_with("<svg role=\"img\" aria-labelledby=\"t1-titel t1-beschreibung\""));
        assert!(svg.contains("<title id=\"t1-titel\">Einführungstrichter: Wohngeld &lt;digital&gt; &amp; mehr</title>"));
        assert!(svg.contains(
            "beantragt: 4, vereinbart: 2, Anbindung: 1, in Betrieb: 1, zurückgezogen: 0"
        ));
        assert!(
            svg.contains("width=\"200\" height=\"18\""),
            "the largest bar is full"
        );
        assert!(svg.contains("width=\"100\" height=\"18\""), "half");
        assert!(svg.contains("width=\"0\" height=\"18\""), "none");
        assert!(!svg.contains("<digital>"));
        assert_eq!(svg.matches("<rect").count(), 5);
    }

    #[test]
    fn large_counts_are_written_with_thousands_points() {
        let svg = funnel_svg("t2", "x", &[3_318, 549, 0, 0, 12_040]).into_string();
        assert!(svg.contains("beantragt: 3.318, vereinbart: 549"), "{svg}");
        assert!(
            svg.contains(">3.318</text>") && svg.contains(">12.040</text>"),
            "{svg}"
        );
    }

    #[test]
    fn an_empty_funnel_draws_no_bars_and_ids_are_escaped() {
        let svg = funnel_svg("a\"b", "x", &[0; 5]).into_string();
        assert!(svg.contains("a&quot;b-titel"));
        assert_eq!(svg.matches("width=\"0\" height=\"18\"").count(), 5);
    }
}
