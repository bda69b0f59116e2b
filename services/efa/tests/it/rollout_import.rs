//! `efa adoption import`: KIV Thüringen takes the registry's own rollout
//! table, edits it as a spreadsheet would, and brings the registry to it.
//! The plan alone writes nothing; sending writes exactly the rows that
//! move forward, reports the rows it cannot bring (behind the registry,
//! outside the operator's region, an unknown Gemeinde) by line; a second
//! run writes nothing; the registry's table read back is at the file's
//! state.

use crate::client::{cli, code, post, stderr, stdout};
use crate::{demo_token, start_up, terminate};

/// The ledger's last signed sequence.
async fn head(api: &str) -> u64 {
    crate::ledger_head(api).await.0
}

/// Thüringen's rollout as CSV, once the views have applied `seq`.
async fn rollout(api: &str, seq: u64) -> String {
    let seq = seq.to_string();
    let args = [
        "export",
        "rollout",
        "--land",
        "16",
        "--format",
        "csv",
        "--min-seq",
        &seq,
    ];
    let output = cli(api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    stdout(&output)
}

/// `text` with the row that starts with `row` replaced by `by`.
fn edit(text: &str, row: &str, by: &str) -> String {
    let line = text
        .lines()
        .find(|line| line.starts_with(row))
        .unwrap_or_else(|| panic!("the demo's rollout has a row {row}: {text}"));
    text.replacen(line, by, 1)
}

/// The sequence `Gesendet: … bis Ledger-Sequenz N` names.
fn sent_up_to(output: &str) -> u64 {
    let (_, rest) = output
        .split_once("bis Ledger-Sequenz ")
        .unwrap_or_else(|| panic!("{output}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

#[tokio::test]
async fn an_operator_brings_the_registry_to_its_rollout_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut guard, api) = start_up(&data, &[]).await;
    let (kiv, admin) = (
        demo_token(&data, "operator:kiv-thueringen"),
        demo_token(&data, "admin"),
    );
    let http = reqwest::Client::new();
    let to = (format!("{api}/api/v1/gemeinden"), "muenchen".to_owned());
    let body = serde_json::json!({"ags": "09162000", "name": "München"});
    post(&http, to, &admin, body).await;
    let before = head(&api).await;
    let exported = rollout(&api, before).await;

    // As KIV's spreadsheet has it after a month: Gera went live (a date as
    // German spreadsheets show it), Weimar withdrew, Jena started a new
    // service; a row behind the registry; one outside Thüringen; one
    // Gemeinde the registry does not know.
    let mut table = edit(
        &exported,
        "16052000;Gera;online-wohngeldantrag;Anbindung;",
        "16052000;Gera;online-wohngeldantrag;in Betrieb;01.11.2025;16052\r",
    );
    table = edit(
        &table,
        "16055000;Weimar;online-wohngeldantrag;beantragt;",
        "16055000;Weimar;online-wohngeldantrag;zurückgezogen;2025-06-01;16055\r",
    );
    table = edit(
        &table,
        "16053000;Jena;bafoeg-digital;in Betrieb;",
        "16053000;Jena;bafoeg-digital;vereinbart;2021-08-01;16053\r",
    );
    table.push_str("16053000;Jena;unterhaltsvorschuss-online;Anbindung;2025-09-01;16053\r\n");
    table.push_str("09162000;München;bafoeg-digital;beantragt;;09162\r\n");
    table.push_str("16099999;Nirgendwo;bafoeg-digital;beantragt;;16099\r\n");
    table.push_str("16051000;Erfurt;gibt-es-nicht;beantragt;;16051\r\n");
    table = edit(
        &table,
        "16051000;Erfurt;bafoeg-digital;in Betrieb;",
        "16051000;Erfurt;bafoeg-digital;zurückgezogen;01.01.2021;16051\r",
    );
    let lines: Vec<&str> = table.lines().collect();
    let line_of = |start: &str| 1 + lines.iter().position(|l| l.starts_with(start)).unwrap();
    let file = dir.path().join("rollout.csv");
    std::fs::write(&file, &table).unwrap();
    let file = file.to_str().unwrap();

    let plan = cli(&api, &kiv, &["adoption", "import", file, "--einzeln"]).await;
    assert_eq!(
        code(&plan),
        2,
        "rows not at the file's state: {}",
        stderr(&plan)
    );
    let said = stdout(&plan);
    assert!(
        said.contains(
            "Plan: beantragen: 1, beantragen und Schritt festhalten: 1, Schritt festhalten: 1, \
             zurückziehen: 1, unverändert: 8, Register weiter als die Datei: 1, \
             Tag vor dem letzten Schritt: 1, Gemeinde oder Leistung unbekannt: 2"
        ),
        "{said}"
    );
    let jena = line_of("16053000;Jena;bafoeg-digital");
    assert!(
        said.contains(&format!(
            "Zeile {jena}: 16053000 bafoeg-digital: Im Register schon „in Betrieb“ seit \
             01.08.2021, die Datei sagt „vereinbart“"
        )),
        "{said}"
    );
    let nowhere = line_of("16099999");
    assert!(
        said.contains(&format!(
            "Zeile {nowhere}: 16099999 bafoeg-digital: Die Gemeinde kennt das Register nicht."
        )),
        "{said}"
    );
    let erfurt = line_of("16051000;Erfurt;bafoeg-digital");
    assert!(
        said.contains(&format!(
            "Zeile {erfurt}: 16051000 bafoeg-digital: Der Tag der Datei (01.01.2021) liegt vor \
             dem letzten Schritt im Register („in Betrieb“ seit 01.07.2021)"
        )),
        "{said}"
    );
    let unknown = line_of("16051000;Erfurt;gibt-es-nicht");
    assert!(
        said.contains(&format!(
            "Zeile {unknown}: 16051000 gibt-es-nicht: Die Leistung kennt das Register nicht."
        )),
        "{said}"
    );
    assert!(said.contains("Nichts gesendet. Mit --ausfuehren: 4 Zeilen (5 Schreibvorgänge)."));
    assert_eq!(head(&api).await, before, "the plan alone writes nothing");

    // A token the registry does not know is told at the first read,
    // before any plan.
    let stranger = cli(
        &api,
        "efa_0000",
        &["adoption", "import", file, "--ausfuehren"],
    )
    .await;
    assert_eq!(code(&stranger), 3, "{}", stderr(&stranger));
    assert!(
        !stdout(&stranger).contains("Plan:"),
        "{}",
        stdout(&stranger)
    );
    assert_eq!(head(&api).await, before);

    let run = cli(&api, &kiv, &["adoption", "import", file, "--ausfuehren"]).await;
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    let said = stdout(&run);
    let muenchen = line_of("09162000");
    assert!(
        said.contains(&format!(
            "Zeile {muenchen}: 09162000 bafoeg-digital: abgelehnt: Nicht erlaubt (HTTP 403)"
        )),
        "outside the operator's region: {said}"
    );
    assert!(
        said.contains("Gesendet: 3 Zeilen (4 Schreibvorgänge), bis Ledger-Sequenz "),
        "{said}"
    );
    let after = sent_up_to(&said);
    assert_eq!(after, head(&api).await, "nothing else written");
    let now = rollout(&api, after).await;
    for row in [
        "16052000;Gera;online-wohngeldantrag;in Betrieb;2025-11-01;16052",
        "16055000;Weimar;online-wohngeldantrag;zurückgezogen;2025-06-01;16055",
        "16053000;Jena;unterhaltsvorschuss-online;Anbindung;2025-09-01;16053",
        "16053000;Jena;bafoeg-digital;in Betrieb;2021-08-01;16053",
        "16051000;Erfurt;bafoeg-digital;in Betrieb;2021-07-01;16051",
    ] {
        assert!(now.contains(row), "{row} in {now}");
    }
    assert!(!now.contains("09162000"), "nothing outside Thüringen");

    let again = cli(&api, &kiv, &["adoption", "import", file, "--ausfuehren"]).await;
    assert_eq!(code(&again), 2, "{}", stderr(&again));
    assert!(
        stdout(&again).contains("Gesendet: 0 Zeilen (0 Schreibvorgänge)"),
        "{}",
        stdout(&again)
    );
    assert_eq!(head(&api).await, after, "a second run writes nothing");

    // The registry's table read back is a file at its own state.
    let file = dir.path().join("now.csv");
    std::fs::write(&file, &now).unwrap();
    let file = file.to_str().unwrap();
    let same = cli(&api, &kiv, &["adoption", "import", file, "--ausfuehren"]).await;
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    assert!(
        stdout(&same).contains("Plan: unverändert: "),
        "{}",
        stdout(&same)
    );

    // The monitor's Excel download, taken back as it is: nothing to send.
    let workbook = reqwest::get(format!(
        "{api}/api/v1/lands/16/rollout?format=xlsx&min_seq={after}"
    ))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    let file = dir.path().join("now.xlsx");
    std::fs::write(&file, &workbook).unwrap();
    let file = file.to_str().unwrap();
    let same = cli(&api, &kiv, &["adoption", "import", file]).await;
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    let rows = now.lines().count() - 1;
    assert!(
        stdout(&same).contains(&format!("Plan: unverändert: {rows}\n")),
        "{}",
        stdout(&same)
    );

    // A file with a bad row sends nothing and names the row.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "AGS;Leistung;Stufe\n16052000;online-wohngeldantrag;fertig\n",
    )
    .unwrap();
    let refused = cli(&api, &kiv, &["adoption", "import", bad.to_str().unwrap()]).await;
    assert_eq!(code(&refused), 2);
    assert!(
        stderr(&refused).contains("Zeile 2: Stufe „fertig“ unbekannt"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(head(&api).await, after);

    // Saved by a spreadsheet as Windows-1252: read, and said so.
    let latin = dir.path().join("latin.csv");
    let mut bytes = b"AGS;Leistung;Stufe\n16052000;online-wohngeldantrag;zur".to_vec();
    bytes.extend_from_slice(b"\xfcckgezogen\n");
    std::fs::write(&latin, bytes).unwrap();
    let read = cli(&api, &kiv, &["adoption", "import", latin.to_str().unwrap()]).await;
    assert_eq!(code(&read), 0, "{}", stderr(&read));
    assert!(stderr(&read).contains("kein UTF-8, als Windows-1252 gelesen"));
    assert!(
        stdout(&read).contains("Plan: zurückziehen: 1"),
        "{}",
        stdout(&read)
    );

    terminate(guard.0.id());
    guard.0.wait().unwrap();
}

/// Kranichfeld and Kleinhettstedt merged into Weimar: their adoptions
/// count for Weimar where they are further along, and the tables name
/// them as predecessors; Weimar's own lie beneath. Taking the table back
/// moves Weimar's own adoption on where it has one, asks for it anew where
/// it has none, and withdraws every adoption of the family still running,
/// each under its own AGS; the table read back is at the file's state,
/// and a second run writes nothing.
#[tokio::test]
async fn a_predecessors_adoptions_are_taken_back_as_the_domain_allows() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut guard, api) = start_up(&data, &[]).await;
    let (kiv, admin) = (
        demo_token(&data, "operator:kiv-thueringen"),
        demo_token(&data, "admin"),
    );
    let http = reqwest::Client::new();
    let key = |name: &str| name.to_owned();
    let gemeinden = format!("{api}/api/v1/gemeinden");
    for (ags, name) in [("16071001", "Kranichfeld"), ("16071002", "Kleinhettstedt")] {
        let body = serde_json::json!({"ags": ags, "name": name});
        post(&http, (gemeinden.clone(), key(ags)), &admin, body).await;
    }
    let adoptions = format!("{api}/api/v1/adoptions");
    // Weimar's own online-wohngeldantrag is requested in the demo
    // (2024-05-10); Kleinhettstedt's gets further.
    for (service, ags, day) in [
        ("bafoeg-digital", "16071001", "2024-01-10"),
        ("unterhaltsvorschuss-online", "16071001", "2024-02-01"),
        ("bafoeg-digital", "16055000", "2024-02-15"),
        ("online-wohngeldantrag", "16071002", "2024-05-20"),
    ] {
        let body = serde_json::json!({"service": service, "ags": ags, "effective": day});
        post(
            &http,
            (adoptions.clone(), format!("{service}-{ags}")),
            &kiv,
            body,
        )
        .await;
    }
    for (service, ags, day) in [
        ("bafoeg-digital", "16071001", "2024-03-01"),
        ("online-wohngeldantrag", "16071002", "2024-06-01"),
    ] {
        let steps = format!("{adoptions}/{service}/{ags}/steps");
        let body = serde_json::json!({"stage": "agreed", "effective": day});
        post(
            &http,
            (steps, format!("agreed-{service}-{ags}")),
            &kiv,
            body,
        )
        .await;
    }
    let mut merged = 0;
    for ags in ["16071001", "16071002"] {
        let merger = format!("{gemeinden}/{ags}/merger");
        let body = serde_json::json!({"successor": "16055000"});
        merged = post(&http, (merger, format!("merger-{ags}")), &admin, body).await;
    }

    let exported = rollout(&api, merged).await;
    assert!(
        exported
            .starts_with("\u{feff}AGS;Gemeinde;Leistung;Stufe;Seit;Kreis;Vorgängergemeinde\r\n")
    );
    for row in [
        "16055000;Weimar;bafoeg-digital;vereinbart;2024-03-01;16055;16071001\r\n",
        "16055000;Weimar;unterhaltsvorschuss-online;beantragt;2024-02-01;16055;16071001\r\n",
        "16055000;Weimar;online-wohngeldantrag;vereinbart;2024-06-01;16055;16071002\r\n",
    ] {
        assert!(exported.contains(row), "{row} in {exported}");
    }
    let mut table = edit(
        &exported,
        "16055000;Weimar;bafoeg-digital;",
        "16055000;Weimar;bafoeg-digital;in Betrieb;15.01.2025;16055;16071001\r",
    );
    table = edit(
        &table,
        "16055000;Weimar;unterhaltsvorschuss-online;",
        "16055000;Weimar;unterhaltsvorschuss-online;in Betrieb;2025-02-01;16055;16071001\r",
    );
    table = edit(
        &table,
        "16055000;Weimar;online-wohngeldantrag;",
        "16055000;Weimar;online-wohngeldantrag;zurückgezogen;2025-06-01;16055;16071002\r",
    );
    let file = dir.path().join("weimar.csv");
    std::fs::write(&file, &table).unwrap();
    let file = file.to_str().unwrap();

    let plan = cli(&api, &kiv, &["adoption", "import", file]).await;
    let said = stdout(&plan);
    assert!(
        said.contains(
            "Plan: beantragen und Schritt festhalten: 1, Schritt festhalten: 1, zurückziehen: 1, \
             unverändert: "
        ),
        "{said}"
    );
    for line in [
        "16055000 bafoeg-digital: „in Betrieb“ festhalten: Bisher zählt die Einführung der \
         Vorgängergemeinde 16071001; die eigene Einführung der Gemeinde geht weiter.",
        "16055000 unterhaltsvorschuss-online: beantragen, dann „in Betrieb“ festhalten: Bisher \
         zählt die Einführung der Vorgängergemeinde 16071001; die Gemeinde beantragt die \
         Leistung selbst.",
        "16055000 online-wohngeldantrag: die Einführung von 16071002 zurückziehen, dann \
         zurückziehen: Zurückgezogen wird die Einführung der Vorgängergemeinde 16071002 und die \
         eigene.",
    ] {
        assert!(said.contains(line), "{line} in {said}");
    }

    // Sent, its outcome as JSON for a script.
    let args = ["adoption", "import", file, "--ausfuehren", "--json"];
    let run = cli(&api, &kiv, &args).await;
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    let report: serde_json::Value = serde_json::from_str(&stdout(&run)).unwrap();
    assert_eq!(report["sent"], true);
    assert_eq!(report["sums"]["request-and-step"], 1);
    assert_eq!(report["sums"]["step"], 1);
    assert_eq!(report["sums"]["withdraw"], 1);
    let rows = report["rows"].as_array().unwrap();
    let row = |service: &str| {
        rows.iter()
            .find(|row| row["service"] == service && row["ags"] == "16055000")
            .unwrap_or_else(|| panic!("{service} in {report}"))
    };
    let bafoeg = row("bafoeg-digital");
    assert_eq!(bafoeg["kind"], "step");
    assert_eq!(bafoeg["writes"], serde_json::json!(["step:live"]));
    assert_eq!(bafoeg["outcome"]["status"], "sent");
    assert!(
        bafoeg["remark"]
            .as_str()
            .unwrap()
            .contains("Vorgängergemeinde 16071001")
    );
    let uvo = row("unterhaltsvorschuss-online");
    assert_eq!(uvo["writes"], serde_json::json!(["request", "step:live"]));
    assert_eq!(uvo["outcome"]["writes"], 2);
    let wohngeld = row("online-wohngeldantrag");
    assert_eq!(
        wohngeld["writes"],
        serde_json::json!(["withdraw:16071002", "withdraw"])
    );
    assert_eq!(wohngeld["outcome"]["writes"], 2);
    let unchanged = rows.iter().filter(|row| row["kind"] == "unchanged");
    assert!(unchanged.clone().count() > 0);
    assert!(unchanged.clone().all(|row| row["outcome"].is_null()));
    let after = report["last_seq"].as_u64().unwrap();
    assert_eq!(after, head(&api).await, "nothing else written");
    let now = rollout(&api, after).await;
    for row in [
        "16055000;Weimar;bafoeg-digital;in Betrieb;2025-01-15;16055;\r\n",
        "16055000;Weimar;unterhaltsvorschuss-online;in Betrieb;2025-02-01;16055;\r\n",
        "16055000;Weimar;online-wohngeldantrag;zurückgezogen;2025-06-01;16055;\r\n",
    ] {
        assert!(now.contains(row), "{row} in {now}");
    }
    // Kranichfeld's own page keeps its agreed adoption; Weimar's page has
    // it beneath its own.
    let page = |ags: &str| {
        let url = format!("{api}/api/v1/gemeinden/{ags}?min_seq={after}");
        async move {
            let page: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            page
        }
    };
    let kranichfeld = page("16071001").await;
    let bafoeg = kranichfeld["adoptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["service"] == "bafoeg-digital")
        .unwrap_or_else(|| panic!("{kranichfeld}"));
    assert_eq!(
        (&bafoeg["stage"], &bafoeg["adopter"]),
        (&"agreed".into(), &"16071001".into())
    );
    let weimar = page("16055000").await;
    let beneath: Vec<(&str, &str, &str)> = (weimar["beneath"].as_array().unwrap().iter())
        .map(|a| {
            let text = |field: &str| a[field].as_str().unwrap();
            (text("service"), text("adopter"), text("stage"))
        })
        .collect();
    for expected in [
        ("bafoeg-digital", "16071001", "agreed"),
        ("online-wohngeldantrag", "16071002", "withdrawn"),
        ("unterhaltsvorschuss-online", "16071001", "requested"),
    ] {
        assert!(beneath.contains(&expected), "{expected:?} in {weimar}");
    }

    let again = cli(&api, &kiv, &["adoption", "import", file, "--ausfuehren"]).await;
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(
        stdout(&again).contains("Gesendet: 0 Zeilen (0 Schreibvorgänge)"),
        "{}",
        stdout(&again)
    );
    assert_eq!(head(&api).await, after, "a second run writes nothing");

    terminate(guard.0.id());
    guard.0.wait().unwrap();
}
