//! Five journeys in headless Chromium, driven through chromedriver, over
//! the whole system with the demo loaded: (a) Bremen logs in, announces a
//! service and reports its costs, and finds both on the service page;
//! (b) Erfurt logs in, requests that service and reports it live;
//! (c) KIV Thüringen watches the rollout monitor: the coverage of
//! Erfurt's Kreis for the new service appears with Erfurt's step, the
//! stalled list shows the demo's stalled rollouts, and the Kreis table
//! downloads as CSV; (d) Thüringen opens its Kostenaufstellung for 2023
//! from its Land page and downloads it as CSV and as an Excel file: the
//! figures on the page and in both files equal the API's; (e) the administration closes 2023 of
//! a demo service and moves Thüringen's Beitritt, and the service page
//! shows the correction and Thüringen's supplement as the API has it,
//! and so does the closing's CSV; (f) KIV Thüringen downloads the
//! municipalities' table, changes a stage in it and uploads it: the plan
//! sends nothing, „Übernehmen“ records the step, and the monitor shows it.
//! Checks read what the pages show.
//!
//! Without Chromium the test prints why and passes, except under CI
//! (`CI` set), where a missing browser fails it: `ops/test.sh` installs
//! one first (`ops/install-browser.sh`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::system::System;
use crate::webdriver::{Browser, Driver, Session};

const SERVICE_ID: &str = "digitale-hundesteuer-anmeldung";
const SERVICE_TITLE: &str = "Digitale Hundesteuer-Anmeldung";

pub fn browser_or_skip() -> Option<Browser> {
    match Browser::locate() {
        Ok(browser) => Some(browser),
        Err(reason) if std::env::var_os("CI").is_some() => {
            panic!("CI is set, so the browser journeys must run, but: {reason}")
        }
        Err(reason) => {
            println!("SKIPPED browser journeys: {reason}");
            None
        }
    }
}

/// A fresh browser window with its own profile under `dir`.
pub async fn window(driver: &Driver, dir: &Path, name: &str) -> Session {
    let profile = dir.join(format!("profil-{name}"));
    let downloads = dir.join(format!("downloads-{name}"));
    std::fs::create_dir_all(&downloads).unwrap();
    driver.session(&profile, &downloads).await
}

pub async fn login(session: &Session, base: &str, token: &str) {
    session.open(&format!("{base}/anmelden")).await;
    session.fill("#anmelden-token", token).await;
    session
        .submit("form[action='/anmelden'] button[type=submit]")
        .await;
    let text = session.text().await;
    assert!(text.contains("Sie sind angemeldet."), "{text}");
}

async fn bremen_announces_and_reports_costs(session: &Session, base: &str, token: &str) {
    login(session, base, token).await;
    assert!(session.url().await.ends_with("/land?erfolg=angemeldet"));
    let text = session.text().await;
    assert!(
        text.contains("Angemeldet als Freie Hansestadt Bremen (Demo) (Land Bremen)"),
        "{text}"
    );
    session.fill("#ankuendigen-title", SERVICE_TITLE).await;
    session
        .fill("#ankuendigen-themenfeld", "Steuern & Abgaben")
        .await;
    session.fill("#ankuendigen-provider", "Dataport").await;
    session.choose("#ankuendigen-channel", "fit-store").await;
    session.choose("#ankuendigen-status", "available").await;
    session.choose("#ankuendigen-reifegrad", "3").await;
    session
        .submit("form[action='/land/ankuendigen'] button[type=submit]")
        .await;
    assert!(
        session
            .url()
            .await
            .contains(&format!("/leistungen/{SERVICE_ID}?erfolg=angekuendigt"))
    );
    let text = session.text().await;
    assert!(text.contains("Die Leistung wurde angekündigt."), "{text}");
    assert!(
        text.contains(SERVICE_TITLE) && text.contains("Bremen (04)") && text.contains("verfügbar"),
        "{text}"
    );

    session.open(&format!("{base}/land")).await;
    session.choose("#kosten-service", SERVICE_ID).await;
    session.choose("#kosten-category", "development").await;
    session.fill("#kosten-amount", "12.500,00").await;
    session
        .fill("#kosten-note", "Entwicklung im Browser-Test")
        .await;
    session
        .submit("form[action='/land/kosten'] button[type=submit]")
        .await;
    let text = session.text().await;
    assert!(text.contains("Die Kosten wurden gemeldet."), "{text}");
    assert!(
        text.contains("12.500,00 €") && text.contains("Entwicklung im Browser-Test"),
        "{text}"
    );
    assert!(
        text.contains("Kostenaufteilung") && text.contains("Anteile der Länder"),
        "{text}"
    );
}

async fn erfurt_requests_and_goes_live(session: &Session, base: &str, token: &str) {
    login(session, base, token).await;
    let text = session.text().await;
    assert!(text.contains("Kommune Erfurt"), "{text}");
    assert!(text.contains("Ihr Land nimmt nicht teil"), "{text}");
    session.choose("#beantragen-service", SERVICE_ID).await;
    session
        .submit("form[action='/kommune/beantragen'] button[type=submit]")
        .await;
    let text = session.text().await;
    assert!(text.contains("Die Einführung wurde beantragt."), "{text}");
    session
        .choose(&format!("#schritt-{SERVICE_ID}-stage"), "live")
        .await;
    session
        .fill(&format!("#schritt-{SERVICE_ID}-note"), "angebunden")
        .await;
    submit_step(session).await;
    let text = session.text().await;
    assert!(text.contains("Der Schritt wurde gemeldet."), "{text}");
    let mut found = false;
    for table in session.find_all("table").await {
        for tr in session.find_in(&table, ".//tr").await {
            let line = session.text_of(&tr).await;
            found |= line.contains(SERVICE_TITLE) && line.contains("in Betrieb");
        }
    }
    assert!(found, "Erfurt's adoption is live: {text}");
}

/// Submits the step form of the new service (the row's own form).
async fn submit_step(session: &Session) {
    let forms = session.find_all("form[action='/kommune/schritt']").await;
    for form in forms {
        let inputs = session
            .find_in(
                &form,
                &format!(".//input[@name='service' and @value='{SERVICE_ID}']"),
            )
            .await;
        if !inputs.is_empty() {
            let buttons = session.find_in(&form, ".//button").await;
            session.submit_element(&buttons[0]).await;
            return;
        }
    }
    panic!("no step form for {SERVICE_ID}");
}

/// The text of the coverage cell of Kreis `kreis` for the new service, if
/// the monitor has a column for it.
async fn coverage_cell(session: &Session, kreis: &str) -> Option<String> {
    let headers = session.find_all("table.abdeckung thead th").await;
    let mut column = None;
    for (index, header) in headers.iter().enumerate() {
        if session.text_of(header).await == SERVICE_TITLE {
            column = Some(index);
        }
    }
    let column = column?;
    let table = session.find("table.abdeckung").await;
    let rows = session
        .find_in(&table, &format!(".//tbody/tr[th[contains(., '{kreis}')]]"))
        .await;
    let cells = session.find_in(rows.first()?, "./td").await;
    Some(session.text_of(cells.get(column - 1)?).await)
}

async fn kiv_monitor_before(session: &Session, base: &str, token: &str) {
    login(session, base, token).await;
    assert!(session.url().await.contains("/rollout"));
    assert!(session.text().await.contains("Bitte wählen Sie ein Land."));
    session.choose("#monitor-land", "16").await;
    session
        .submit("form[action='/rollout'] button[type=submit]")
        .await;
    let text = session.text().await;
    assert!(
        text.contains("Rollout-Monitor Thüringen") && text.contains("Abdeckung je Kreis"),
        "{text}"
    );
    assert_eq!(
        coverage_cell(session, "16051").await,
        None,
        "no adoption of the new service yet"
    );
}

async fn kiv_monitor_after(session: &Session, base: &str, downloads: &Path) {
    session
        .open(&format!("{base}/rollout?land=16&tage=90"))
        .await;
    let cell = coverage_cell(session, "16051")
        .await
        .expect("a column for the new service");
    assert!(
        cell.contains("1 von 1 in Betrieb") && cell.contains("100 %"),
        "{cell}"
    );
    let text = session.text().await;
    assert!(
        text.contains("Stillstand: seit mindestens 90 Tagen ohne Schritt"),
        "{text}"
    );
    assert!(
        text.contains("Beispielgemeinde Ilmtal") && text.contains("Tagen ohne Schritt"),
        "{text}"
    );
    session.click("a[href*='table=kreise']").await;
    let csv = downloaded(downloads).await;
    assert!(csv.starts_with('\u{feff}'), "CSV with BOM");
    assert!(csv.contains("Erfurt") && csv.contains(SERVICE_ID), "{csv}");
}

/// KIV downloads the municipalities' table, moves Gera's adoption on to
/// „in Betrieb“ in it (as a spreadsheet would write the day), uploads it
/// for a plan, then again to take it over.
async fn kiv_uploads_its_table(session: &Session, base: &str, dir: &Path) {
    let downloads = dir.join("downloads-kiv");
    for entry in std::fs::read_dir(&downloads).unwrap().flatten() {
        std::fs::remove_file(entry.path()).unwrap();
    }
    session.open(&format!("{base}/rollout?land=16")).await;
    session
        .click("a[href*='table=gemeinden'][href*='format=csv']")
        .await;
    let table = downloaded(&downloads).await;
    let gera = table
        .lines()
        .find(|line| line.starts_with("16052000;Gera;online-wohngeldantrag;Anbindung;"))
        .unwrap_or_else(|| panic!("Gera's adoption in the table: {table}"));
    let edited = table.replacen(
        gera,
        "16052000;Gera;online-wohngeldantrag;in Betrieb;01.11.2025;16052\r",
        1,
    );
    let file = dir.join("rollout-kiv.csv");
    std::fs::write(&file, edited).unwrap();

    session.click("a[href='/rollout/tabelle']").await;
    session.attach("#tabelle-datei", &file).await;
    session
        .submit("form[action='/rollout/tabelle'] button[value=plan]")
        .await;
    let plan = session.text().await;
    assert!(
        plan.contains("zu senden: 1 Zeile mit 1 Schreibvorgang. Noch ist nichts gesendet.")
            && plan.contains("„in Betrieb“ festhalten"),
        "{plan}"
    );
    session.attach("#tabelle-datei", &file).await;
    session
        .submit("form[action='/rollout/tabelle'] button[value=senden]")
        .await;
    let result = session.text().await;
    assert!(
        result.contains("1 Zeile übernommen") && result.contains("abgelehnt: 0."),
        "{result}"
    );
    session.click("a[href^='/rollout?land=16&seq=']").await;
    assert!(session.text().await.contains("Rollout-Monitor Thüringen"));
    session.open(&format!("{base}/kommune?ags=16052000")).await;
    let gera = session.text().await;
    let row = gera
        .lines()
        .find(|line| line.contains("01.11.2025"))
        .unwrap_or_else(|| panic!("Gera's step on the file's day: {gera}"));
    assert!(row.contains("in Betrieb"), "{row}");
}

/// German euros as the page shows them: `1.234,56 €`.
fn euro_de(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let euros = (cents.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02} €", cents.abs() % 100)
}

/// Euros as the CSV writes them: `1234,56`.
fn euro_csv(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", cents.abs() / 100, cents.abs() % 100)
}

async fn thueringen_reads_its_statement(
    session: &Session,
    system: &System,
    token: &str,
    downloads: &Path,
) {
    let base = &system.base;
    login(session, base, token).await;
    session.open(&format!("{base}/land?jahr=2023")).await;
    session
        .click("a[href*='kostenaufstellung?jahr=2023']")
        .await;
    let text = session.text().await;
    assert!(text.contains("Kostenaufstellung Thüringen 2023"), "{text}");
    let api: serde_json::Value = system
        .http
        .get(format!("{base}/api/v1/lands/16/statements/2023"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = api["lines"].as_array().unwrap();
    assert!(
        !lines.is_empty(),
        "Thüringen takes part in services with 2023 costs"
    );
    for line in lines {
        let service = line["service"].as_str().unwrap();
        let cell = session
            .find(&format!(
                "tr[data-leistung='{service}'] td[data-feld='anteil']"
            ))
            .await;
        let cents = line["share"]["amount"]["cents"].as_i64().unwrap();
        assert_eq!(session.text_of(&cell).await, euro_de(cents), "{service}");
    }
    let total = api["total"]["cents"].as_i64().unwrap();
    let cell = session.find("td[data-feld='summe']").await;
    assert_eq!(session.text_of(&cell).await, euro_de(total));
    let sequence = session.find("#sequenz").await;
    assert_eq!(session.text_of(&sequence).await, api["seq"].to_string());

    session.click("a#csv").await;
    let csv = downloaded(downloads).await;
    assert!(csv.starts_with('\u{feff}'), "CSV with BOM");
    for line in lines {
        let service = line["service"].as_str().unwrap();
        let row = csv
            .lines()
            .find(|row| {
                row.trim_start_matches('\u{feff}')
                    .starts_with(&format!("{service};"))
            })
            .unwrap_or_else(|| panic!("{service} in {csv}"));
        let fields: Vec<&str> = row.split(';').collect();
        let cents = line["share"]["amount"]["cents"].as_i64().unwrap();
        assert_eq!(fields[11], euro_csv(cents), "{service}");
        assert_eq!(fields[18], api["seq"].to_string());
        assert_eq!(fields[19], api["chain_hash"].as_str().unwrap());
    }
    let total_row = ";Summe (abgerechnet oder offen);";
    let sum = csv.lines().find(|row| row.starts_with(total_row)).unwrap();
    assert_eq!(sum.split(';').nth(11).unwrap(), euro_csv(total));

    // The same statement as an Excel file: the shares are numbers, the
    // service keys and the hash text.
    session.click("a#xlsx").await;
    let sheet = workbook_rows(downloaded_file(downloads, "xlsx").await);
    for line in lines {
        let service = line["service"].as_str().unwrap();
        let row = (sheet.iter())
            .find(|row| row[0] == calamine::Data::String(service.to_owned()))
            .unwrap_or_else(|| panic!("{service} in {sheet:?}"));
        let cents = line["share"]["amount"]["cents"].as_i64().unwrap();
        #[allow(clippy::cast_precision_loss)]
        let euros = cents as f64 / 100.0;
        assert_eq!(row[11], calamine::Data::Float(euros), "{service}");
        assert_eq!(
            row[19],
            calamine::Data::String(api["chain_hash"].as_str().unwrap().to_owned())
        );
    }
}

/// The rows of a workbook's first sheet.
fn workbook_rows(bytes: Vec<u8>) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(<[calamine::Data]>::to_vec).collect()
}

/// The administration closes 2023 of a demo service from its page, then
/// moves Thüringen's Beitritt (recorded for 2023-03-01) to 2023-07-01: the
/// service page shows the correction with the old date, and Thüringen's
/// supplement as the API computes it.
async fn the_administration_closes_a_year_and_moves_a_beitritt(
    session: &Session,
    system: &System,
    token: &str,
    downloads: &Path,
) {
    let base = &system.base;
    let service = "online-wohngeldantrag";
    login(session, base, token).await;
    session
        .open(&format!("{base}/leistungen/{service}?jahr=2023"))
        .await;
    session.click("a[href*='/abrechnung?jahr=2023']").await;
    let text = session.text().await;
    assert!(
        text.contains("Jahr 2023") && text.contains("Jahr abrechnen"),
        "{text}"
    );
    session.fill("#abschliessen-year", "2023").await;
    session
        .submit("form[action$='/abrechnung/abschliessen'] button[type=submit]")
        .await;
    let text = session.text().await;
    assert!(text.contains("Das Jahr wurde abgerechnet."), "{text}");

    session
        .open(&format!("{base}/leistungen/{service}/abrechnung?jahr=2023"))
        .await;
    let text = session.text().await;
    assert!(text.contains("Das Jahr ist abgerechnet"), "{text}");
    assert!(text.contains("Thüringen: Beitritt 01.03.2023"), "{text}");
    session.choose("#berichtigen-land", "16").await;
    session.choose("#berichtigen-change", "beitritt").await;
    session
        .pick_date("#berichtigen-effective", "2023-07-01")
        .await;
    session
        .fill("#berichtigen-reason", "Vertrag erst zum 1. Juli")
        .await;
    session
        .submit("form[action$='/abrechnung/berichtigen'] button[type=submit]")
        .await;
    let text = session.text().await;
    assert!(text.contains("Die Berichtigung wurde erfasst."), "{text}");
    assert!(
        text.contains(
            "Beitritt von Thüringen wirksam ab 01.07.2023 (bisher wirksam ab 01.03.2023)"
        ),
        "{text}"
    );
    let api: serde_json::Value = system
        .http
        .get(format!("{base}/api/v1/services/{service}/costs/2023"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let supplement = api["closing"]["supplements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["land"] == "16")
        .expect("Thüringen pays less than settled");
    let difference = supplement["difference"]["cents"].as_i64().unwrap();
    assert!(difference < 0, "{supplement}");
    assert!(
        text.contains(&euro_de(difference)),
        "{difference} in {text}"
    );

    // The closing with its Nachträge as CSV, as the lead Land bills from it.
    session
        .open(&format!("{base}/leistungen/{service}/abrechnung?jahr=2023"))
        .await;
    session.click("a[href*='table=closing']").await;
    let csv = downloaded(downloads).await;
    let row = csv
        .lines()
        .find(|row| row.starts_with("16;Thüringen;"))
        .unwrap_or_else(|| panic!("Thüringen in {csv}"));
    assert_eq!(
        row.split(';').nth(4).unwrap(),
        euro_csv(difference),
        "{row}"
    );
}

/// Waits (bounded) for a finished `.csv` download and reads it.
async fn downloaded(dir: &Path) -> String {
    String::from_utf8(downloaded_file(dir, "csv").await).unwrap()
}

/// Waits (bounded) for a finished download ending in `.{extension}` and
/// reads it.
async fn downloaded_file(dir: &Path, extension: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == extension));
        if let Some(path) = done {
            return std::fs::read(path).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no .{extension} file was downloaded to {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_journeys_in_a_real_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let system = System::start_with_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::start(browser).await;
    let base = system.base.clone();

    let bremen = window(&driver, dir.path(), "bremen").await;
    bremen_announces_and_reports_costs(&bremen, &base, &system.demo["land:04"]).await;
    bremen.close().await;

    let kiv = window(&driver, dir.path(), "kiv").await;
    kiv_monitor_before(&kiv, &base, &system.demo["operator:kiv-thueringen"]).await;

    let erfurt = window(&driver, dir.path(), "erfurt").await;
    erfurt_requests_and_goes_live(&erfurt, &base, &system.demo["gemeinde:16051000"]).await;
    erfurt.close().await;

    kiv_monitor_after(&kiv, &base, &dir.path().join("downloads-kiv")).await;
    kiv_uploads_its_table(&kiv, &base, dir.path()).await;
    kiv.close().await;

    let thueringen = window(&driver, dir.path(), "thueringen").await;
    let downloads = dir.path().join("downloads-thueringen");
    thueringen_reads_its_statement(&thueringen, &system, &system.demo["land:16"], &downloads).await;
    thueringen.close().await;

    let admin = window(&driver, dir.path(), "admin").await;
    let downloads = dir.path().join("downloads-admin");
    the_administration_closes_a_year_and_moves_a_beitritt(
        &admin,
        &system,
        &system.demo["admin"],
        &downloads,
    )
    .await;
    admin.close().await;
    drop(driver);
    system.stop().await;
}

/// A journey that fails drops its driver with its browsers' sessions
/// still open; dropping the driver ends those browsers too, not only
/// chromedriver.
#[tokio::test]
async fn a_dropped_driver_leaves_no_browser_running() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::start(browser).await;
    let session = window(&driver, dir.path(), "verlassen").await;
    session.open("about:blank").await;
    let profile = dir.path().join("profil-verlassen");
    let running = || {
        let found = std::process::Command::new("pgrep")
            .args(["-f", &profile.display().to_string()])
            .output()
            .expect("pgrep");
        !found.stdout.is_empty()
    };
    assert!(running(), "the browser runs with its profile");
    drop(driver);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while running() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!running(), "a browser outlived its driver");
    drop(session);
}
