//! Which characters no text of the registry may hold: those that change
//! how a text is shown without being seen. A title could read backwards
//! (bidirectional overrides), hide a second title (zero-width
//! characters) or look exactly like another (fillers and selectors that
//! render as nothing), and a line or paragraph separator breaks a
//! one-line text in a table. The gateway refuses them in every field, the
//! domain again for every command, whoever sends it.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Default_Ignorable_Code_Point characters outside category Cf (which
/// [`is_invisible`] refuses whole), from the Unicode Character Database,
/// DerivedCoreProperties.txt (Unicode 16.0): the combining grapheme
/// joiner, the Hangul and Khmer fillers, the Mongolian and the general
/// variation selectors, the halfwidth Hangul filler.
const IGNORABLE_OUTSIDE_CF: [(char, char); 8] = [
    ('\u{034F}', '\u{034F}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{E0100}', '\u{E01EF}'),
];

/// The braille pattern without dots: a symbol, but shown as a blank.
const BRAILLE_BLANK: char = '\u{2800}';

/// Whether `c` is shown as nothing or changes how its neighbours are
/// shown: a format character (general category Cf), a line or paragraph
/// separator, another default-ignorable code point, the blank braille
/// pattern. The categories come from `unicode-properties`.
pub fn is_invisible(c: char) -> bool {
    let category = c.general_category();
    matches!(
        category,
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || c == BRAILLE_BLANK
        || IGNORABLE_OUTSIDE_CF
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&c))
}

/// Whether `text` shows anything of its own: a character that is no
/// space, no combining mark (an accent needs a letter to sit on) and not
/// invisible. A title of accents alone shows as a blank.
pub fn shows_something(text: &str) -> bool {
    text.chars().any(|c| {
        !c.is_whitespace()
            && !is_invisible(c)
            && !matches!(
                c.general_category(),
                GeneralCategory::NonspacingMark
                    | GeneralCategory::SpacingMark
                    | GeneralCategory::EnclosingMark
            )
    })
}

#[cfg(test)]
mod tests {
    use super::{is_invisible, shows_something};

    #[test]
    fn a_text_of_accents_alone_shows_nothing() {
        assert!(shows_something("Café"));
        assert!(shows_something("e\u{0301}"));
        assert!(!shows_something("\u{0301}\u{0308}\u{20DD}"));
        assert!(!shows_something(" \u{0301} "));
    }

    #[test]
    fn invisible_characters_are_refused_and_visible_ones_kept() {
        let format = [
            '\u{00AD}', '\u{200B}', '\u{200E}', '\u{202E}', '\u{2066}', '\u{FEFF}',
        ];
        let blank = [
            '\u{034F}',
            '\u{115F}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{2800}',
        ];
        let breaking = ['\u{2028}', '\u{2029}', '\u{E0001}', '\u{FFA0}', '\u{180E}'];
        for c in format.into_iter().chain(blank).chain(breaking) {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in [
            'a', 'ß', 'Ä', '€', ' ', '-', '\u{00A0}', '\n', '„', 'é', '\u{0301}', 'ǅ',
        ] {
            assert!(!is_invisible(c), "U+{:04X}", u32::from(c));
        }
    }
}
