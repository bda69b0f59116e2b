//! Paging links of the web pages: "Vorherige Seite", "Seite N",
//! "Nächste Seite", each keeping the page's other parameters. The lists
//! of the rollout monitor and of a municipality grow with the history and
//! are shown a page at a time, like the catalogue.

use efa_proto::pages::Page;

use maud::{Markup, html};

use super::markup::query;

/// The rows of page `number` (from 1) of `rows` each.
pub fn rows(number: u32, rows: u32) -> Page {
    Page {
        offset: number.saturating_sub(1).saturating_mul(rows),
        limit: rows,
    }
}

/// The navigation between the pages of a list on `path`: `param` names
/// the page number among `pairs`, the page's other parameters. Shown only
/// when there is more than one page.
pub fn nav(
    path: &str,
    pairs: &[(&'static str, String)],
    param: &'static str,
    number: u32,
    has_next: bool,
) -> Markup {
    let show = number > 1 || has_next;
    let here = html! { "Seite " (number) };
    html! { @if show { (bar(path, pairs, param, number, has_next, here)) } }
}

/// [`nav`] always shown, saying where it is with `here`.
pub fn bar(
    path: &str,
    pairs: &[(&'static str, String)],
    param: &'static str,
    number: u32,
    has_next: bool,
    here: Markup,
) -> Markup {
    let href = |to: u32| {
        let mut pairs: Vec<(&str, String)> = pairs
            .iter()
            .filter(|(name, _)| *name != param)
            .cloned()
            .collect();
        pairs.push((param, to.to_string()));
        format!("{path}{}", query(&pairs))
    };
    html! {
        nav.blaetter aria-label="Seiten" {
            @if number > 1 { a href=(href(number - 1)) rel="prev" { "Vorherige Seite" } }
            span { (here) }
            @if has_next { a href=(href(number + 1)) rel="next" { "Nächste Seite" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_other_parameters() {
        let pairs = [("land", "16".to_owned()), ("seite", "2".to_owned())];
        let html = nav("/rollout", &pairs, "seite", 2, true).into_string();
        assert!(
            html.contains("href=\"/rollout?land=16&amp;seite=1\" rel=\"prev\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"/rollout?land=16&amp;seite=3\" rel=\"next\""),
            "{html}"
        );
        assert_eq!(nav("/rollout", &pairs, "seite", 1, false).into_string(), "");
        assert_eq!(
            rows(3, 50),
            Page {
                offset: 100,
                limit: 50
            }
        );
    }
}
