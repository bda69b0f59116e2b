//! `efa import gv100ad` against a real ledger: a first import, a re-run
//! that changes nothing, a newer file with a merger (listed, then made
//! with `--aufloesen`), an empty file and a file with a bad row that
//! change nothing at all.

use std::time::Duration;

use efa_proto::{Event, ReadEvents, ReadReply, subjects};
use efa_testkit::TestNats;

use crate::{efa, spawn_service, wait_for_service};

/// A GV100AD record: key at 11, name at 23, population at 140 (1-based).
fn record(satzart: &str, stand: &str, key: &str, name: &str, population: Option<u64>) -> String {
    let mut chars = vec![' '; 200];
    let mut put = |at: usize, text: &str| {
        text.chars()
            .enumerate()
            .for_each(|(i, c)| chars[at - 1 + i] = c)
    };
    put(1, satzart);
    put(3, stand);
    put(11, key);
    put(23, name);
    if let Some(count) = population {
        put(140, &format!("{count:011}"));
    }
    chars.into_iter().collect()
}

/// Windows-1252, as Destatis ships the file.
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'ä' => 0xe4,
            'ö' => 0xf6,
            'ü' => 0xfc,
            'ß' => 0xdf,
            c => u8::try_from(c).unwrap(),
        })
        .collect()
}

async fn events(client: &async_nats::Client) -> Vec<Event> {
    let request = ReadEvents {
        from_seq: 1,
        limit: 1000,
    };
    let reply: ReadReply = efa_runtime::request(
        client,
        subjects::LEDGER_READ,
        &request,
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let page = reply.into_page().unwrap();
    page.events.into_iter().map(|e| e.record.event).collect()
}

/// Runs `efa import ...` with the administration's key of `data`.
fn import(data: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = efa(args)
        .env("EFA_SIGNING_KEY", data.join("secrets").join("operator.key"))
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[tokio::test]
async fn the_gemeindeverzeichnis_is_imported_idempotently_with_mergers() {
    let nats = TestNats::start();
    let dir = nats.scratch_dir("import");
    let url = nats.url();
    let client = async_nats::connect(&url).await.unwrap();
    let _ledger = spawn_service("ledger", &url, &dir);
    wait_for_service(&client, "efa-ledger").await;

    let first = [
        record("40", "20241231", "16068", "Sömmerda", None),
        record(
            "60",
            "20241231",
            "16068901",
            "Beispielgemeinde Großröhrsdorf",
            Some(4120),
        ),
        record(
            "60",
            "20241231",
            "16068902",
            "Beispielgemeinde Öhrenstock",
            Some(2870),
        ),
    ]
    .join("\r\n");
    let file = dir.join("GV100AD_31122024.txt");
    std::fs::write(&file, cp1252(&first)).unwrap();
    let file_arg = file.to_str().unwrap();
    let (ok, out, err) = import(&dir, &["import", "gv100ad", file_arg, "--nats-url", &url]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("3 geschrieben"), "{out}");
    let registered = events(&client).await;
    assert!(registered.iter().any(|e| matches!(e, Event::GemeindeRegistered { name, .. } if name == "Beispielgemeinde Öhrenstock")));

    let (ok, out, _) = import(&dir, &["import", "gv100ad", file_arg, "--nats-url", &url]);
    assert!(
        ok && out.contains("0 geschrieben"),
        "a re-run changes nothing: {out}"
    );
    assert_eq!(events(&client).await.len(), registered.len());

    let newer = [
        record("40", "20250630", "16068", "Sömmerda", None),
        record(
            "60",
            "20250630",
            "16068901",
            "Beispielgemeinde Großröhrsdorf-Öhrenstock",
            Some(6990),
        ),
    ]
    .join("\n");
    let newer_file = dir.join("GV100AD_30062025.txt");
    std::fs::write(&newer_file, cp1252(&newer)).unwrap();
    let mergers = dir.join("fusionen.csv");
    std::fs::write(&mergers, "AGS;Nachfolge-AGS\n16068902;16068901\n").unwrap();
    // A merger into a municipality the directory does not have: refused
    // before anything is sent, when listing and when asked to dissolve.
    let nowhere = dir.join("fusionen-nirgendwohin.csv");
    std::fs::write(&nowhere, "AGS;Nachfolge-AGS\n16068902;16068999\n").unwrap();
    let before = events(&client).await.len();
    for extra in [&[][..], &["--aufloesen"][..]] {
        let args = [
            &["import", "gv100ad", newer_file.to_str().unwrap()][..],
            &["--mergers", nowhere.to_str().unwrap(), "--nats-url", &url][..],
            extra,
        ]
        .concat();
        let (ok, _, err) = import(&dir, &args);
        assert!(!ok, "{err}");
        assert!(
            err.contains("Nachfolgerin 16068999 steht nicht im Gemeindeverzeichnis"),
            "{err}"
        );
        assert_eq!(events(&client).await.len(), before, "nothing sent");
    }

    let newer_args = [
        "import",
        "gv100ad",
        newer_file.to_str().unwrap(),
        "--mergers",
        mergers.to_str().unwrap(),
        "--nats-url",
        &url,
    ];
    // Without --aufloesen the merger is listed, not made.
    let (ok, out, err) = import(&dir, &newer_args);
    assert!(ok, "{out}{err}");
    assert!(
        err.contains("16068902 Beispielgemeinde Öhrenstock: wird in 16068901 eingegliedert")
            && err.contains("mit --aufloesen"),
        "{err}"
    );
    let listed = events(&client).await;
    assert!(listed.iter().any(|e| matches!(e, Event::GemeindeRenamed { name, .. } if name == "Beispielgemeinde Großröhrsdorf-Öhrenstock")));
    assert!(
        !listed
            .iter()
            .any(|e| matches!(e, Event::GemeindeMerged { .. }))
    );
    let (ok, out, err) = import(&dir, &[&newer_args[..], &["--aufloesen"]].concat());
    assert!(ok, "{out}{err}");
    let after = events(&client).await;
    assert!(after.iter().any(|e| matches!(e, Event::GemeindeMerged { successor, .. } if successor.to_string() == "16068901")));

    // A merged municipality standing in a later file again is said, not
    // passed over, and not registered anew.
    let again = [
        newer.as_str(),
        &record(
            "60",
            "20250630",
            "16068902",
            "Beispielgemeinde Öhrenstock",
            Some(10),
        ),
    ]
    .join("\n");
    let again_file = dir.join("GV100AD_wieder.txt");
    std::fs::write(&again_file, cp1252(&again)).unwrap();
    let (ok, out, err) = import(
        &dir,
        &[
            "import",
            "gv100ad",
            again_file.to_str().unwrap(),
            "--nats-url",
            &url,
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        err.contains(
            "16068902 Beispielgemeinde Öhrenstock: im Register aufgelöst oder eingegliedert"
        ),
        "{err}"
    );
    assert_eq!(events(&client).await.len(), after.len());

    // A file without municipalities (empty, or cut off) changes nothing.
    let empty = dir.join("leer.txt");
    std::fs::write(&empty, b"").unwrap();
    let (ok, _, err) = import(
        &dir,
        &[
            "import",
            "gv100ad",
            empty.to_str().unwrap(),
            "--aufloesen",
            "--nats-url",
            &url,
        ],
    );
    assert!(!ok && err.contains("keine Gemeinden"), "{err}");
    assert_eq!(events(&client).await.len(), after.len());

    let bad = newer.replace("16068901", "1606890X");
    let bad_file = dir.join("kaputt.txt");
    std::fs::write(&bad_file, cp1252(&bad)).unwrap();
    let (ok, _, err) = import(
        &dir,
        &[
            "import",
            "gv100ad",
            bad_file.to_str().unwrap(),
            "--nats-url",
            &url,
        ],
    );
    assert!(!ok, "a bad file fails");
    assert!(err.contains("Zeile 2"), "the bad line is named: {err}");
    assert_eq!(
        events(&client).await.len(),
        after.len(),
        "nothing applied from a bad file"
    );
}

#[tokio::test]
async fn the_registrys_own_csv_files_are_imported_all_or_nothing() {
    let nats = TestNats::start();
    let dir = nats.scratch_dir("csv");
    let url = nats.url();
    let client = async_nats::connect(&url).await.unwrap();
    let _ledger = spawn_service("ledger", &url, &dir);
    wait_for_service(&client, "efa-ledger").await;
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };

    let bad = write(
        "teilnehmer-kaputt.csv",
        "schluessel;name;einwohner;stichtag\n16068;Sömmerda;69655;2018-12-31\n1606890;Zu kurz;;\n",
    );
    let (ok, _, err) = import(&dir, &["import", "participants", &bad, "--nats-url", &url]);
    assert!(!ok && err.contains("Zeile 3"), "{err}");
    assert!(
        events(&client).await.is_empty(),
        "nothing applied from a file with a bad row"
    );

    // Bad in a way only the domain sees (an empty name, a line break in a
    // quoted name): refused with the line before anything is sent.
    let domain_bad = write(
        "teilnehmer-leer.csv",
        "schluessel;name;einwohner;stichtag\n16068;Sömmerda;;\n16068901;\"\";;\n16068902;\"Zwei\nZeilen\";;\n",
    );
    let (ok, _, err) = import(
        &dir,
        &["import", "participants", &domain_bad, "--nats-url", &url],
    );
    assert!(!ok, "{err}");
    assert!(err.contains("Zeile 3: Angabe „name“ ungültig"), "{err}");
    assert!(err.contains("Zeile 4: Angabe „name“ ungültig"), "{err}");
    // One Gemeinde twice, or a row with a cell more than the header names.
    let twice = write(
        "teilnehmer-doppelt.csv",
        "schluessel;name;einwohner;stichtag\n16068;Sömmerda;;\n16068;Sömmerda-Land;;\n16068901;Nord;;;x\n",
    );
    let (ok, _, err) = import(
        &dir,
        &["import", "participants", &twice, "--nats-url", &url],
    );
    assert!(!ok, "{err}");
    assert!(err.contains("Zeile 4: 5 Spalten"), "{err}");
    // Fixed the extra cell, the doubled row is named with its first.
    let twice = write(
        "teilnehmer-doppelt.csv",
        "schluessel;name;einwohner;stichtag\n16068;Sömmerda;;\n16068;Sömmerda-Land;;\n",
    );
    let (ok, _, err) = import(
        &dir,
        &["import", "participants", &twice, "--nats-url", &url],
    );
    assert!(
        !ok && err.contains("Zeile 3: Kreis 16068 steht schon in Zeile 2"),
        "{err}"
    );
    // UTF-8 in one place and not in another: refused with the line.
    let mut mixed = "schluessel;name;einwohner;stichtag\n16068;Sömmerda;;\n16068901;M"
        .as_bytes()
        .to_vec();
    mixed.extend([0xfc, b'h', b'l', b'e']);
    mixed.extend(b";;\n");
    let mixed_file = dir.join("gemischt.csv");
    std::fs::write(&mixed_file, mixed).unwrap();
    let (ok, _, err) = import(
        &dir,
        &[
            "import",
            "participants",
            mixed_file.to_str().unwrap(),
            "--nats-url",
            &url,
        ],
    );
    assert!(!ok && err.contains("Zeile 3 ist kein UTF-8"), "{err}");
    // A refused file ends with exit code 2, as refused input does for
    // the other scripting commands.
    let status = efa(&["import", "participants", &twice, "--nats-url", &url])
        .env("EFA_SIGNING_KEY", dir.join("secrets").join("operator.key"))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    // Without its header the first row would be lost: refused.
    let headless = write("ohne-kopf.csv", "16068;Sömmerda;;\n16068901;Nord;;\n");
    let (ok, _, err) = import(
        &dir,
        &["import", "participants", &headless, "--nats-url", &url],
    );
    assert!(!ok && err.contains("Kopfzeile"), "{err}");
    assert!(events(&client).await.is_empty(), "nothing applied");

    let good = write(
        "teilnehmer.csv",
        "\u{feff}schluessel;name;einwohner;stichtag\n16068;Sömmerda;69655;2018-12-31\n16068901;Beispielgemeinde Nord;4120;2018-12-31\n",
    );
    let (ok, out, err) = import(&dir, &["import", "participants", &good, "--nats-url", &url]);
    assert!(ok && out.contains("2 geschrieben"), "{out}{err}");
    let (ok, out, _) = import(&dir, &["import", "participants", &good, "--nats-url", &url]);
    assert!(
        ok && out.contains("0 geschrieben"),
        "a re-run changes nothing: {out}"
    );
    // Saved by a spreadsheet as Windows-1252, with another name for a
    // registered Gemeinde: read, and the conflict said, not hidden.
    let mut latin = b"schluessel;name;einwohner;stichtag\n16068902;Beispielgemeinde S".to_vec();
    latin.extend([0xfc, b'd']);
    latin.extend(b";;\n16068901;Beispielgemeinde Nord-Ost;;\n");
    let latin_file = dir.join("teilnehmer-1252.csv");
    std::fs::write(&latin_file, latin).unwrap();
    let (ok, out, err) = import(
        &dir,
        &[
            "import",
            "participants",
            latin_file.to_str().unwrap(),
            "--nats-url",
            &url,
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(err.contains("als Windows-1252 gelesen"), "{err}");
    assert!(
        out.contains("1 geschrieben") && out.contains("1 bereits vorhanden"),
        "{out}"
    );
    assert!(
        err.contains("Zeile 3: bereits vorhanden, nicht geändert"),
        "{err}"
    );
    let latin_events = events(&client).await;
    assert!(latin_events.iter().any(
        |e| matches!(e, Event::GemeindeRegistered { name, .. } if name == "Beispielgemeinde Süd")
    ));

    // A test key for 2017 (the 2016 values, relabelled: only the format matters here).
    let key: String = std::iter::once("jahr;land;prozent".to_owned())
        .chain(
            [
                ("01", "3,39074"),
                ("02", "2,55752"),
                ("03", "9,33138"),
                ("04", "0,95331"),
                ("05", "21,14424"),
                ("06", "7,39885"),
                ("07", "4,83089"),
                ("08", "12,96662"),
                ("09", "15,53327"),
                ("10", "1,21111"),
                ("11", "5,08324"),
                ("12", "3,03655"),
                ("13", "2,01240"),
                ("14", "5,05577"),
                ("15", "2,79941"),
                ("16", "2,69470"),
            ]
            .iter()
            .map(|(land, percent)| format!("2017;{land};{percent}")),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let key = write("schluessel.csv", &key);
    let (ok, out, err) = import(&dir, &["import", "key", &key, "--nats-url", &url]);
    assert!(ok && out.contains("1 geschrieben"), "{out}{err}");

    let services = write(
        "leistungen.csv",
        "kennung;titel;federfuehrend;themenfeld;anbieter;kanal;kostenmodell;status;reifegrad;angekuendigt\n\
         ;Elterngeld digital;04;Familie & Kind;Dataport;efa-marktplatz;koenigsteiner-2017;pilot;3;2020-05-01\n",
    );
    let (ok, out, err) = import(&dir, &["import", "services", &services, "--nats-url", &url]);
    assert!(ok && out.contains("1 geschrieben"), "{out}{err}");
    let all = events(&client).await;
    let names: Vec<&str> = all.iter().map(Event::name).collect();
    assert_eq!(
        names,
        [
            "KreisRegistered",
            "GemeindeRegistered",
            "GemeindeRegistered",
            "AllocationKeyPublished",
            "ServiceAnnounced"
        ]
    );
}
