//! Every list as CSV: UTF-8 with BOM, `;`, CRLF, German headers, quoting
//! per RFC 4180, decimal commas, ISO dates, as an attachment; chosen by
//! `?format=csv` or `Accept: text/csv`.

use reqwest::StatusCode;

use crate::reads::with_projector;

/// Fetches a CSV answer and checks its headers; returns the text after
/// the BOM.
async fn csv(harness: &crate::harness::Harness, path: &str, file: &str) -> String {
    let response = harness.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8",
        "{path}"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{file}.csv\""),
        "{path}"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "{path}: no BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.ends_with("\r\n"), "{path}");
    text
}

#[tokio::test]
async fn the_catalogue_quotes_what_needs_quoting() {
    let (harness, _queries) = with_projector().await;
    let text = csv(
        &harness,
        "/api/v1/catalogue?format=csv",
        "katalog-2024-06-30",
    )
    .await;
    assert_eq!(
        text,
        "Kennung;Titel;Federführendes Land;OZG-ID;LeiKa-Schlüssel;Themenfeld;Anbieter;Bezugsweg;\
         Status;Reifegrad;Kostenmodell;Angekündigt am;Version;Beteiligte Länder;beantragt;\
         vereinbart;Anbindung;in Betrieb;zurückgezogen\r\n\
         wohngeld;\"Wohngeld; \"\"digital\"\"\";Thüringen;;99001001000000;Familie & Kind;\
         KIV Thüringen;EfA-Marktplatz;verfügbar;3;Königsteiner Schlüssel 2016;2022-01-03;5;\
         01 16;3;2;1;7;1\r\n"
    );
    let plain = csv(&harness, "/api/v1/services?format=csv", "leistungen").await;
    assert!(plain.starts_with("Kennung;Titel;"), "{plain}");
    assert_eq!(plain.lines().count(), 2);
}

#[tokio::test]
async fn the_accept_header_asks_for_csv_and_format_json_wins() {
    let (harness, _queries) = with_projector().await;
    let response = harness
        .http
        .get(harness.url("/api/v1/lands/16/stalled"))
        .header("Accept", "text/html, text/csv;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert_eq!(
        text,
        "\u{feff}AGS;Gemeinde;Leistung;Stufe;Letzter Schritt;Tage;Vorgängergemeinde\r\n\
         16051000;Erfurt;wohngeld;vereinbart;2024-01-02;180;16071001\r\n"
    );
    let response = harness
        .http
        .get(harness.url("/api/v1/lands/16/stalled?format=json"))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    // JSON named as well as CSV, or weighed higher: JSON; caches are told
    // that the answer depends on `Accept`.
    for accept in [
        "application/json, text/csv",
        "application/json, text/csv;q=0.5",
    ] {
        let response = harness
            .http
            .get(harness.url("/api/v1/lands/16/stalled"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{accept}"
        );
        assert_eq!(response.headers()["vary"], "Accept", "{accept}");
    }
}

#[tokio::test]
async fn costs_have_decimal_commas_and_quoted_notes() {
    let (harness, _queries) = with_projector().await;
    let base = "/api/v1/services/wohngeld/costs/2023?format=csv";
    let shares = csv(
        &harness,
        base,
        "kostenanteile-wohngeld-2023-stand-2024-06-30",
    )
    .await;
    let ks = "Königsteiner Schlüssel 2016;Königsteiner Schlüssel 2016";
    // Each row ends with the day and the ledger position (sequence 42,
    // hash ab…ab in the stand-in's answer).
    let stand = format!("2024-06-30;42;{}", "ab".repeat(32));
    assert_eq!(
        shares,
        format!(
            "Modell;Gewichte aus;Land;Landesname;Gewicht;Gewicht (Prozent);Tage;Anteil (Bruch);\
             Exakter Wert (Cent);Anteil (Euro);Stand;Ledger-Sequenz;Ledger-Hash\r\n\
             {ks};01;Schleswig-Holstein;339074;3,39074;184;339074/2939074;41858304/1000;418,58;{stand}\r\n\
             {ks};16;Thüringen;339074;3,39074;184;339074/2939074;41858304/1000;815,97;{stand}\r\n\
             {ks};;nicht verteilt;;;;;;0,01;{stand}\r\n\
             {ks};;Summe;;;;;;1234,56;{stand}\r\n"
        )
    );
    let all = csv(
        &harness,
        &format!("{base}&table=alternatives"),
        "kostenmodelle-wohngeld-2023-stand-2024-06-30",
    )
    .await;
    assert_eq!(all.lines().count(), 9);
    assert!(
        all.contains("\r\ngleiche Anteile;;01;Schleswig-Holstein;"),
        "{all}"
    );
    let lines = csv(
        &harness,
        &format!("{base}&table=costs"),
        "kosten-wohngeld-2023-stand-2024-06-30",
    )
    .await;
    assert_eq!(
        lines,
        format!(
            "Kostennummer;Jahr;Kategorie;Betrag (Euro);Ursprünglich gemeldet (Euro);Korrekturen;Notiz;\
             Stand;Ledger-Sequenz;Ledger-Hash\r\n\
             1;2023;Betrieb;1234,56;1200,00;1;\"Betrieb\nRechenzentrum\";{stand}\r\n"
        )
    );
    let land = csv(
        &harness,
        "/api/v1/lands/01/costs/2023?format=csv",
        "landeskosten-01-2023-stand-2024-06-30",
    )
    .await;
    assert_eq!(
        land,
        format!(
            "Leistung;Titel;Gesamtkosten (Euro);Gewicht;Tage;Anteil (Euro);Abgerechnet (Euro);\
             Nachtrag (Euro);Stand;Ledger-Sequenz;Ledger-Hash\r\n\
             wohngeld;\"Wohngeld; \"\"digital\"\"\";1234,56;339074;184;418,58;;;2024-06-30;42;{hash}\r\n\
             ;Summe aller Leistungen;;;;418,58;;;2024-06-30;42;{hash}\r\n",
            hash = "ab".repeat(32)
        )
    );
}

#[tokio::test]
async fn a_statement_names_model_weight_share_and_ledger_position() {
    let (harness, _queries) = with_projector().await;
    let statement = csv(
        &harness,
        "/api/v1/lands/01/statements/2023?format=csv",
        "kostenaufstellung-01-2023-stand-2024-06-30",
    )
    .await;
    let hash = "ab".repeat(32);
    let mut lines = statement.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "Leistung;Titel;Federführend;Modell;Modell gilt seit;Schlüsseljahr;Gewichte aus;\
         Gewicht (Prozent);Tage;Anteil (Bruch);Exakter Wert (Cent);Anteil (Euro);\
         Gesamtkosten der Leistung (Euro);Abgerechnet (Euro);Nachtrag (Euro);\
         Abrechnung (Sequenz);Berichtigungen;Stand;Ledger-Sequenz;Ledger-Hash"
    );
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "wohngeld;\"Wohngeld; \"\"digital\"\"\";Thüringen;Königsteiner Schlüssel 2016;;2016;\
             Königsteiner Schlüssel 2016;3,39074;184;339074/2939074;41858304/1000;418,58;1234,56;\
             ;;;;2024-06-30;42;{hash}"
        )
    );
    // The sums of the columns (nothing is settled in an open year, so
    // its settled and Nachtrag cells stay empty), then
    // the statement's totals.
    assert_eq!(
        lines.next().unwrap(),
        format!(";Summe;;;;;;;;;;418,58;;;;;;2024-06-30;42;{hash}")
    );
    assert_eq!(
        lines.next().unwrap(),
        format!(";Summe (abgerechnet oder offen);;;;;;;;;;418,58;;;;;;2024-06-30;42;{hash}")
    );
    assert_eq!(
        lines.next().unwrap(),
        format!(";Summe mit Nachträgen;;;;;;;;;;418,58;;;;;;2024-06-30;42;{hash}")
    );
}

/// With a closed year beside an open one, "Summe" is the sum of each
/// column (a spreadsheet summing "Abgerechnet" finds the same), and the
/// statement's totals follow in rows of their own.
#[tokio::test]
async fn a_statement_sums_each_column_and_gives_its_totals_apart() {
    let harness = crate::harness::Harness::start().await;
    harness
        .projector(|_| {
            let mut statement = crate::samples::statement();
            let mut closed = statement.lines[0].clone();
            closed.service = efa_proto::ServiceId::parse("ehe-online").unwrap();
            closed.closed = Some(efa_proto::statement::ClosedLine {
                settled: efa_proto::Cents(40_000),
                supplement: efa_proto::Cents(1_858),
                closed_seq: 7,
                based_on_seq: 6,
                based_on_hash: [0; 32],
            });
            statement.lines.push(closed);
            statement.total = efa_proto::Cents(41_858 + 40_000);
            statement.supplements = efa_proto::Cents(1_858);
            efa_proto::QueryReply::Statement(statement)
        })
        .await;
    let statement = csv(
        &harness,
        "/api/v1/lands/01/statements/2023?format=csv",
        "kostenaufstellung-01-2023-stand-2024-06-30",
    )
    .await;
    let footer: Vec<String> = statement
        .split("\r\n")
        .skip(3)
        .filter(|line| !line.is_empty())
        .map(|line| line.split(';').take(15).collect::<Vec<_>>().join(";"))
        .collect();
    assert_eq!(
        footer,
        [
            ";Summe;;;;;;;;;;837,16;;400,00;18,58",
            ";Summe (abgerechnet oder offen);;;;;;;;;;818,58;;;",
            ";Summe mit Nachträgen;;;;;;;;;;837,16;;;",
        ]
    );
}

/// A Land's cost view of a closed year: each line with what the closing
/// settled and the Nachtrag, also the line of a service the Land no
/// longer takes part in that year (its refund), as JSON, CSV and on the
/// Land's page.
#[tokio::test]
async fn a_lands_costs_say_what_a_closed_year_settled() {
    let harness = crate::harness::Harness::start().await;
    harness
        .projector(|kind| {
            let efa_proto::QueryKind::Statement { .. } = kind else {
                return crate::reads::answer(kind);
            };
            let mut statement = crate::samples::statement();
            let closed = efa_proto::statement::ClosedLine {
                settled: efa_proto::Cents(40_000),
                supplement: efa_proto::Cents(1_858),
                closed_seq: 7,
                based_on_seq: 6,
                based_on_hash: [0; 32],
            };
            statement.lines[0].closed = Some(closed.clone());
            let mut left = statement.lines[0].clone();
            left.service = efa_proto::ServiceId::parse("ehe-online").unwrap();
            left.share.days = 0;
            left.share.cents = efa_proto::Cents(0);
            left.closed = Some(efa_proto::statement::ClosedLine {
                settled: efa_proto::Cents(5_000),
                supplement: efa_proto::Cents(-5_000),
                ..closed
            });
            statement.lines.push(left);
            efa_proto::QueryReply::Statement(statement)
        })
        .await;
    let body = harness.get_json("/api/v1/lands/01/costs/2023").await;
    let lines = body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{body}");
    assert_eq!(lines[0]["closed"]["settled"]["cents"], 40_000);
    assert_eq!(lines[0]["closed"]["supplement"]["cents"], 1_858);
    assert_eq!(lines[1]["service"], "ehe-online");
    assert_eq!(lines[1]["share"]["amount"]["cents"], 0);
    assert_eq!(lines[1]["closed"]["supplement"]["cents"], -5_000);
    let table = csv(
        &harness,
        "/api/v1/lands/01/costs/2023?format=csv",
        "landeskosten-01-2023-stand-2024-06-30",
    )
    .await;
    let rows: Vec<&str> = table
        .split("\r\n")
        .skip(1)
        .filter(|r| !r.is_empty())
        .collect();
    assert!(
        rows[0].contains(";418,58;400,00;18,58;2024-06-30;42;"),
        "{table}"
    );
    assert!(
        rows[1].contains(";0,00;50,00;-50,00;2024-06-30;42;"),
        "{table}"
    );
    assert!(
        rows[2].starts_with(";Summe aller Leistungen;;;;418,58;"),
        "{table}"
    );
    let page = harness
        .get("/laender/01?jahr=2023")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("scope=\"col\">Abgerechnet<")
            && page.contains("data-feld=\"abgerechnet\">400,00 €<")
            && page.contains("data-feld=\"nachtrag\">-50,00 €<"),
        "{page}"
    );
}

#[tokio::test]
async fn rollout_lists_municipalities_or_kreise() {
    let (harness, _queries) = with_projector().await;
    let path = "/api/v1/lands/16/rollout?format=csv";
    let gemeinden = csv(&harness, path, "rollout-gemeinden-16-2024-06-30").await;
    assert_eq!(
        gemeinden,
        "AGS;Gemeinde;Leistung;Stufe;Seit;Kreis;Vorgängergemeinde\r\n16051000;Erfurt, Stadt;wohngeld;in Betrieb;2024-02-01;16051;\r\n"
    );
    let path = "/api/v1/lands/16/rollout?format=csv&table=kreise";
    let kreise = csv(&harness, path, "rollout-kreise-16-2024-06-30").await;
    assert_eq!(
        kreise,
        "Kreis;Kreisname;Leistung;Gemeinden;beantragt;vereinbart;Anbindung;in Betrieb;\
         zurückgezogen;Einwohner;Einwohner in Betrieb\r\n\
         16051;\"Erfurt; kreisfrei\";wohngeld;1;0;0;0;1;0;213699;213699\r\n"
    );
}

#[tokio::test]
async fn history_participations_and_a_gemeinde_as_csv() {
    let (harness, _queries) = with_projector().await;
    let history = csv(&harness, "/api/v1/history?format=csv", "historie-all").await;
    let hash = "ab".repeat(32);
    assert_eq!(
        history,
        format!(
            "Sequenz;Erfasst am;Wirksam ab;Akteur;Ereignis;Beschreibung;Hash\r\n\
             7;1970-01-01T00:00:00.000000Z;2024-01-01;admin;GemeindeRegistered;\
             Gemeinde „Erfurt“ registriert;{hash}\r\n"
        )
    );
    let path = "/api/v1/services/wohngeld/history?format=csv";
    csv(&harness, path, "historie-service-wohngeld").await;
    let path = "/api/v1/services/wohngeld/participations?format=csv";
    let participations = csv(&harness, path, "beteiligungen-wohngeld").await;
    assert_eq!(
        participations,
        "Land;Landesname;Beigetreten am;Ausgetreten am;Federführend\r\n\
         16;Thüringen;2022-01-03;;ja\r\n01;Schleswig-Holstein;2023-07-01;2025-01-01;nein\r\n"
    );
    let path = "/api/v1/gemeinden/16051000?format=csv";
    let gemeinde = csv(&harness, path, "uebernahmen-16051000-2024-06-30").await;
    assert_eq!(
        gemeinde,
        "AGS;Gemeinde;Leistung;Stufe;Seit;Kreis;Vorgängergemeinde\r\n16051000;Erfurt, Stadt;wohngeld;Anbindung;2024-02-01;16051;\r\n"
    );
}

/// A stand-in projector with the sample stalled list in pages of one row:
/// three pages, the third refused when `fail_last`.
async fn stalled_in_pages(fail_last: bool) -> crate::harness::Harness {
    use efa_proto::pages::StalledPage;
    use efa_proto::{QueryKind, QueryReply, Rejection};
    let harness = crate::harness::Harness::start().await;
    harness
        .projector(move |kind| match kind {
            QueryKind::Stalled4 { page, .. } if fail_last && page.offset >= 2 => {
                QueryReply::Rejected(Rejection::Unavailable {
                    reason: "weg".into(),
                })
            }
            QueryKind::Stalled4 { page, .. } => {
                let view = crate::samples::stalled();
                let mut row = view.stalled[0].clone();
                row.days = page.offset + 100;
                QueryReply::Stalled4(StalledPage {
                    land: view.land,
                    days_min: view.days_min,
                    as_of: view.as_of,
                    stalled: vec![row],
                    total: 3,
                    next_offset: (page.offset < 2).then_some(page.offset + 1),
                })
            }
            other => panic!("this test asks no {other:?}"),
        })
        .await;
    harness
}

#[tokio::test]
async fn a_whole_export_is_streamed_page_after_page() {
    let harness = stalled_in_pages(false).await;
    let text = csv(
        &harness,
        "/api/v1/lands/16/stalled?format=csv",
        "stockend-16-2024-06-30",
    )
    .await;
    let days: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|line| line.split(';').nth(5).unwrap())
        .collect();
    assert_eq!(days, ["100", "101", "102"], "{text}");
}

/// A CSV page links to the next one as a JSON page does, with the same
/// `Link` header; the last page has none.
#[tokio::test]
async fn a_csv_page_links_to_the_next_as_a_json_page_does() {
    let harness = stalled_in_pages(false).await;
    let link = |response: &reqwest::Response| {
        response
            .headers()
            .get("link")
            .map(|link| link.to_str().unwrap().to_owned())
    };
    let first = harness
        .get("/api/v1/lands/16/stalled?format=csv&limit=1")
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let expected = "</api/v1/lands/16/stalled?format=csv&limit=1&offset=1>; rel=\"next\"";
    assert_eq!(link(&first).as_deref(), Some(expected));
    let json = harness.get("/api/v1/lands/16/stalled?limit=1").await;
    let expected_json = "</api/v1/lands/16/stalled?limit=1&offset=1>; rel=\"next\"";
    assert_eq!(link(&json).as_deref(), Some(expected_json));
    let last = harness
        .get("/api/v1/lands/16/stalled?format=csv&limit=1&offset=2")
        .await;
    assert_eq!(last.status(), StatusCode::OK);
    assert_eq!(link(&last), None);
}

#[tokio::test]
async fn an_export_that_fails_part_way_ends_incomplete() {
    let harness = stalled_in_pages(true).await;
    let response = harness.get("/api/v1/lands/16/stalled?format=csv").await;
    // The head was sent with the first page, so the status is 200; the
    // body then breaks off, and the client sees it as an error.
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn a_title_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
    let harness = crate::harness::Harness::start().await;
    harness
        .projector(|kind| match kind {
            efa_proto::QueryKind::Catalogue2 { .. } => {
                let mut page = crate::samples::catalogue_page();
                page.services[0].service.title = "=HYPERLINK(\"http://x\";\"klick\")".to_owned();
                efa_proto::QueryReply::Catalogue2(page)
            }
            other => crate::reads::answer(other),
        })
        .await;
    let text = csv(
        &harness,
        "/api/v1/catalogue?format=csv",
        "katalog-2024-06-30",
    )
    .await;
    let row = text.lines().nth(1).unwrap();
    assert!(
        row.starts_with("wohngeld;\"'=HYPERLINK(\"\"http://x\"\";\"\"klick\"\")\";"),
        "{row}"
    );
    assert!(row.contains(";3;"), "numbers stay numbers: {row}");
}

/// A history longer than a page: as CSV the whole of it, the gateway
/// reading page after page by sequence; as JSON one page with the link
/// to the next (`next`, `Link`), which starts after the page's last entry.
#[tokio::test]
async fn a_long_history_comes_whole_as_csv_and_a_page_at_a_time_as_json() {
    const EVENTS: u64 = 2_345;
    let harness = crate::harness::Harness::start().await;
    harness.projector(long_history(EVENTS, 1_000)).await;
    let whole = csv(&harness, "/api/v1/history?format=csv", "historie-all").await;
    let seqs: Vec<u64> = (whole.lines().skip(1))
        .map(|line| line.split(';').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs, (1..=EVENTS).collect::<Vec<_>>());

    let response = harness.get("/api/v1/history?limit=100").await;
    assert_eq!(response.status(), StatusCode::OK);
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("from_seq=101") && link.ends_with("rel=\"next\""),
        "{link}"
    );
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 100);
    assert_eq!(page["next_from_seq"], 101);
    assert!(
        page["next"].as_str().unwrap().contains("from_seq=101"),
        "{page}"
    );
}

/// A stand-in projector's answer to history queries: `events` entries
/// like the sample's, at most `page` a page; no other query is expected.
pub fn long_history(
    events: u64,
    page: u32,
) -> impl Fn(efa_proto::QueryKind) -> efa_proto::QueryReply + Send + Sync + 'static {
    use efa_proto::{QueryKind, QueryReply};
    move |kind| match kind {
        QueryKind::History {
            subject,
            from_seq,
            limit,
        } => {
            let mut history = crate::samples::history(subject);
            let template = history.entries[0].clone();
            let first = from_seq.max(1);
            let last = (first + u64::from(limit.min(page)) - 1).min(events);
            history.entries = (first..=last)
                .map(|seq| efa_proto::views::HistoryEntry {
                    seq,
                    ..template.clone()
                })
                .collect();
            history.more = last < events;
            QueryReply::History(history)
        }
        other => panic!("this test asks no {other:?}"),
    }
}
