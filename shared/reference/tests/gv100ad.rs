//! The GV100AD reader and the import plan, on small files written here in
//! the documented fixed-width format.

#![allow(clippy::unwrap_used)] // test code: a failed step should fail the test loudly

use std::collections::BTreeMap;

use efa_proto::{Ags, Command, KreisKey};
use efa_reference::gv100ad::{Known, decode_text, parse, plan};

/// A record: Satzart, Gebietsstand, key at 11, name at 23, population at 140.
fn line(satzart: &str, key: &str, name: &str, population: Option<u64>) -> String {
    let mut chars: Vec<char> = vec![' '; 220];
    let mut put = |at: usize, text: &str| {
        for (i, c) in text.chars().enumerate() {
            chars[at - 1 + i] = c;
        }
    };
    put(1, satzart);
    put(3, "20241231");
    put(11, key);
    put(23, name);
    if let Some(count) = population {
        put(140, &format!("{count:011}"));
    }
    chars.into_iter().collect::<String>().trim_end().to_owned()
}

fn sample() -> String {
    [
        line("10", "16", "Thüringen", None),
        line("40", "16068", "Sömmerda", None),
        line("50", "16068", "Verwaltungsgemeinschaft Beispiel", None),
        line(
            "60",
            "16068901",
            "Beispielgemeinde Großröhrsdorf-Süß",
            Some(4120),
        ),
        line("60", "16068902", "Beispielgemeinde Öhrenstock", Some(2870)),
        line("60", "16051000", "Erfurt, Stadt", Some(213_981)),
    ]
    .join("\r\n")
}

/// The file as Destatis ships it: Windows-1252 bytes.
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'ä' => 0xe4,
            'ö' => 0xf6,
            'ü' => 0xfc,
            'ß' => 0xdf,
            'Ä' => 0xc4,
            'Ö' => 0xd6,
            'Ü' => 0xdc,
            c => u8::try_from(c).unwrap(),
        })
        .collect()
}

#[test]
fn reads_the_official_encoding_with_umlauts() {
    let bytes = cp1252(&sample());
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the sample really is not UTF-8"
    );
    let file = parse(&decode_text(&bytes)).unwrap();
    assert_eq!(file.gebietsstand.unwrap().to_string(), "2024-12-31");
    assert_eq!(file.kreise[&KreisKey::parse("16068").unwrap()], "Sömmerda");
    let (name, population) = &file.gemeinden[&Ags::parse("16068901").unwrap()];
    assert_eq!(name, "Beispielgemeinde Großröhrsdorf-Süß");
    assert_eq!(*population, 4120);
    assert_eq!(file.gemeinden.len(), 3);
    assert_eq!(parse(&sample()).unwrap(), file, "UTF-8 reads the same");
}

#[test]
fn every_bad_line_is_reported_with_its_number_and_nothing_is_planned() {
    let mut lines: Vec<String> = sample().lines().map(str::to_owned).collect();
    lines[3] = lines[3].replace("16068901", "1606890X");
    lines.push(line("60", "16068903", "Beispielgemeinde Kurz", None));
    lines.push(line("70", "16068904", "Unbekannt", Some(1)));
    let errors = parse(&lines.join("\n")).unwrap_err();
    let numbers: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(numbers, [4, 7, 8], "{errors:?}");
    assert!(errors[1].reason.contains("140-150"), "{}", errors[1].reason);
}

#[test]
fn a_first_import_registers_and_a_newer_file_renames_merges_and_retires() {
    let first = parse(&sample()).unwrap();
    let seeds = plan(&first, &[], &BTreeMap::new(), &BTreeMap::new());
    let names: Vec<&str> = seeds.iter().map(|s| s.command.name()).collect();
    assert_eq!(
        names,
        [
            "register_kreis",
            "register_gemeinde",
            "register_gemeinde",
            "register_gemeinde"
        ]
    );
    assert_eq!(
        plan(&first, &[], &BTreeMap::new(), &BTreeMap::new()),
        seeds,
        "a re-run plans the same commands (same ids)"
    );

    // The registry now knows what the first file said.
    let known: BTreeMap<Ags, Known> = first
        .gemeinden
        .iter()
        .map(|(ags, (name, _))| {
            (
                *ags,
                Known {
                    name: name.clone(),
                    active: true,
                },
            )
        })
        .collect();
    let kreise = [KreisKey::parse("16068").unwrap()];
    assert!(
        plan(&first, &kreise, &known, &BTreeMap::new()).is_empty(),
        "the same file again changes nothing"
    );

    // A newer file: 16068902 merged into 16068901, Erfurt renamed, a new one.
    let newer = [
        line("40", "16068", "Sömmerda", None),
        line(
            "60",
            "16068901",
            "Beispielgemeinde Großröhrsdorf-Süß",
            Some(6990),
        ),
        line("60", "16051000", "Erfurt, Landeshauptstadt", Some(214_000)),
        line("60", "16068905", "Beispielgemeinde Neu", Some(100)),
    ]
    .join("\n")
    .replace("20241231", "20250630");
    let newer = parse(&newer).unwrap();
    let mergers = BTreeMap::from([(
        Ags::parse("16068902").unwrap(),
        Ags::parse("16068901").unwrap(),
    )]);
    let seeds = plan(&newer, &kreise, &known, &mergers);
    let commands: Vec<&Command> = seeds.iter().map(|s| &s.command).collect();
    assert!(
        matches!(commands[0], Command::RenameGemeinde(c) if c.name == "Erfurt, Landeshauptstadt")
    );
    assert!(
        matches!(commands[1], Command::RegisterGemeinde(c) if c.ags == Ags::parse("16068905").unwrap())
    );
    assert!(
        matches!(commands[2], Command::MergeGemeinde(c) if c.successor == Ags::parse("16068901").unwrap())
    );
    assert_eq!(commands.len(), 3);
    let without_mapping = plan(&newer, &kreise, &known, &BTreeMap::new());
    assert!(matches!(
        without_mapping[2].command,
        Command::RetireGemeinde(_)
    ));

    // A municipality of another Land is not in this file of Thüringen:
    // the file says nothing about it.
    let mut with_bremen = known.clone();
    with_bremen.insert(
        Ags::parse("04011000").unwrap(),
        Known {
            name: "Bremen".into(),
            active: true,
        },
    );
    let seeds = plan(&newer, &kreise, &with_bremen, &mergers);
    assert_eq!(seeds.len(), 3, "{seeds:?}");
}
