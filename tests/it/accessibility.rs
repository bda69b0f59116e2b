//! Every page a user of the registry meets, checked in headless Chromium
//! against the WCAG 2.0 and 2.1 rules of levels A and AA that axe-core
//! tests automatically (BITV 2.0, which binds public bodies, asks for
//! them): anonymous, as a Land, a Gemeinde, an operator and the
//! administration, with the demo loaded; also a form sent back with its
//! errors, a page that was not found and a statement as recorded up to a
//! sequence. Automatic rules find only part of what a person with a
//! screen reader or a keyboard meets; they keep what they do find from
//! coming back.
//!
//! Needs the browser (`ops/install-browser.sh`) and axe-core
//! (`ops/install-axe.sh`); without either the test prints why and
//! passes, except under CI (`CI` set), where it fails.

use std::path::PathBuf;

use crate::browser::{browser_or_skip, login, window};
use crate::system::System;
use crate::webdriver::{Driver, Session};

/// `EFA_AXE`, else `.tools/axe/axe.min.js` of the workspace.
fn axe_or_skip() -> Option<String> {
    let path = std::env::var_os("EFA_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/axe/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(error) if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set, so the accessibility check must run, but {}: {error}",
                path.display()
            )
        }
        Err(error) => {
            println!(
                "SKIPPED accessibility check: {}: {error} (ops/install-axe.sh)",
                path.display()
            );
            None
        }
    }
}

/// More services than the rollout monitor shows side by side, each
/// adopted in Bremen, so that the monitor's overview of Bremen (a row
/// per service, a page at a time) is checked too.
async fn bremen_adopts_many_services(system: &System) {
    use efa_proto::{
        Actor, AnnounceService, Channel, Command, CostModel, LandCode, RegisterGemeinde, Reifegrad,
        RequestAdoption, ServiceId, ServiceStatus,
    };
    use efa_reference::Seed;
    let bremen = LandCode::new(4).unwrap();
    let city = efa_proto::Ags::parse("04011000").unwrap();
    let register = RegisterGemeinde {
        ags: city,
        name: "Stadt Bremen".to_owned(),
        population: None,
    };
    let mut seeds = vec![Seed::new(
        "accessibility/gemeinde/04011000",
        Actor::Admin,
        None,
        Command::RegisterGemeinde(register),
    )];
    for n in 1..=60 {
        let service = ServiceId::parse(&format!("bremer-leistung-{n:02}")).unwrap();
        let announce = AnnounceService {
            service: service.clone(),
            title: format!("Bremer Leistung {n}"),
            lead: bremen,
            ozg_id: None,
            leika: vec![],
            themenfeld: "Sonstiges".to_owned(),
            provider: "Dataport".to_owned(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::EqualShares,
            status: ServiceStatus::Available,
            reifegrad: Reifegrad::new(2).unwrap(),
        };
        let request = RequestAdoption {
            service,
            ags: city,
            note: String::new(),
        };
        seeds.push(Seed::new(
            format!("accessibility/announce/{n}"),
            Actor::Land(bremen),
            None,
            Command::AnnounceService(announce),
        ));
        seeds.push(Seed::new(
            format!("accessibility/adopt/{n}"),
            Actor::Gemeinde(city),
            None,
            Command::RequestAdoption(request),
        ));
    }
    system.send_seeds(&seeds).await;
}

/// The browser windows' usual size, as the driver opens them.
const WINDOW: (u32, u32) = (1280, 1600);

/// A narrow window, about a phone's width: wide tables scroll on their
/// own, the page around them does not (WCAG 1.4.10, Reflow).
const NARROW: (u32, u32) = (500, 900);

/// Opens each of `paths` and collects what axe-core finds on it, and
/// whether it scrolls sideways as a whole in the usual window or in a
/// narrow one.
async fn check(session: &Session, base: &str, axe: &str, who: &str, paths: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in paths {
        session.open(&format!("{base}{path}")).await;
        // The page is there once its main part is.
        session.find("main").await;
        for violation in session.accessibility_violations(axe).await {
            found.push(format!("{who} {path}: {violation}"));
        }
        for (width, height) in [NARROW, WINDOW] {
            session.resize(width, height).await;
            if let Some(wide) = session.wider_than_window().await {
                found.push(format!("{who} {path} at {width} px: {wide}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_page_passes_the_automatic_wcag_rules() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let Some(axe) = axe_or_skip() else {
        return;
    };
    let system = System::start_with_demo().await;
    bremen_adopts_many_services(&system).await;
    let head = system.ledger_head().await;
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::start(browser).await;
    let base = system.base.clone();
    let statement = format!("/laender/16/kostenaufstellung?jahr=2023&bis_sequenz={head}");
    let mut found = Vec::new();

    let anonymous = window(&driver, dir.path(), "anonym").await;
    let public = [
        "/",
        "/katalog?land=16&q=wohngeld",
        "/anmelden",
        "/leistungen/online-wohngeldantrag",
        "/leistungen/online-wohngeldantrag?jahr=2023",
        "/laender",
        "/laender/16",
        "/laender/16/kostenaufstellung?jahr=2023",
        statement.as_str(),
        "/laender/16/kostenaufstellung?jahr=2023&bis_sequenz=999999",
        // Nordrhein-Westfalen's shares of 2024 include fractions of more
        // than twenty digits a side (inhabitants, days of a leap year).
        "/laender/05/kostenaufstellung?jahr=2024",
        "/rollout",
        "/rollout?land=16&tage=90",
        "/rollout?land=16&leistung=online-wohngeldantrag",
        "/rollout?land=04",
        "/rollout?land=04&seite_leistungen=2",
        "/rollout?land=04&ordnung=wenigste-in-betrieb",
        "/audit",
        "/kommune",
        "/rollout/tabelle",
        "/gibt-es-nicht",
    ];
    found.extend(check(&anonymous, &base, &axe, "anonym", &public).await);
    // Bremen's monitor was its overview, not the table of columns.
    anonymous
        .open(&format!("{base}/rollout?land=04&seite_leistungen=2"))
        .await;
    let text = anonymous.text().await;
    assert!(
        text.contains("Einführungen in 60 Leistungen") && text.contains("Bremer Leistung 60"),
        "{text}"
    );
    anonymous.close().await;

    let roles: [(&str, &[&str]); 5] = [
        (
            "land:04",
            &[
                "/land",
                "/land?jahr=2023",
                "/leistungen/online-wohngeldantrag/abrechnung?jahr=2023",
            ],
        ),
        (
            "land:16",
            &["/land", "/laender/16/kostenaufstellung?jahr=2023"],
        ),
        ("gemeinde:16051000", &["/kommune"]),
        (
            "operator:kiv-thueringen",
            &["/rollout?land=16", "/rollout/tabelle", "/audit"],
        ),
        (
            "admin",
            &[
                "/leistungen/online-wohngeldantrag/abrechnung?jahr=2023",
                "/audit",
            ],
        ),
    ];
    for (role, paths) in roles {
        let session = window(&driver, dir.path(), &role.replace(':', "-")).await;
        login(&session, &base, &system.demo[role]).await;
        found.extend(check(&session, &base, &axe, role, paths).await);
        session.close().await;
    }

    // A form sent back with its errors: an announcement whose title
    // hides a zero-width space, which the browser lets through and the
    // registry refuses.
    let bremen = window(&driver, dir.path(), "bremen-fehler").await;
    login(&bremen, &base, &system.demo["land:04"]).await;
    bremen
        .fill("#ankuendigen-title", "Hunde\u{200B}steuer")
        .await;
    bremen
        .fill("#ankuendigen-themenfeld", "Steuern & Abgaben")
        .await;
    bremen.fill("#ankuendigen-provider", "Dataport").await;
    bremen
        .submit("form[action='/land/ankuendigen'] button[type=submit]")
        .await;
    let text = bremen.text().await;
    assert!(
        text.contains("Titel"),
        "the form names the field it refused: {text}"
    );
    assert!(
        bremen.find_all("[aria-invalid='true']").await.len() == 1,
        "{text}"
    );
    for violation in bremen.accessibility_violations(&axe).await {
        found.push(format!("land:04 announcement sent back: {violation}"));
    }
    bremen.close().await;

    // A rollout table's plan, with rows to send and rows to mind.
    let kiv = window(&driver, dir.path(), "kiv-tabelle").await;
    login(&kiv, &base, &system.demo["operator:kiv-thueringen"]).await;
    let file = dir.path().join("tabelle.csv");
    let rows = "AGS;Leistung;Stufe;Seit\n16052000;online-wohngeldantrag;in Betrieb;\n\
                16053000;bafoeg-digital;vereinbart;\n16099999;bafoeg-digital;beantragt;\n";
    std::fs::write(&file, rows).unwrap();
    kiv.open(&format!("{base}/rollout/tabelle")).await;
    kiv.attach("#tabelle-datei", &file).await;
    kiv.submit("form[action='/rollout/tabelle'] button[value=plan]")
        .await;
    let text = kiv.text().await;
    assert!(text.contains("Zu beachten"), "{text}");
    for violation in kiv.accessibility_violations(&axe).await {
        found.push(format!("operator: a rollout table's plan: {violation}"));
    }
    kiv.close().await;

    drop(driver);
    system.stop().await;
    assert!(found.is_empty(), "WCAG rules broken:\n{}", found.join("\n"));
}
