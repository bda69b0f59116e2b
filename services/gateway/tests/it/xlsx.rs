//! The lists as Excel workbooks: the same table as the CSV, with keys as
//! text, amounts and counts as numbers and dates as dates; chosen by
//! `?format=xlsx` or by `Accept`; a whole list read page by page, and
//! refused with a problem once it is longer than a workbook is made of.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;

use crate::reads::with_projector;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The sheet of a workbook answer, after checking its headers.
async fn sheet(response: reqwest::Response, file: &str) -> Vec<Vec<Data>> {
    assert_eq!(response.status(), StatusCode::OK, "{file}");
    assert_eq!(response.headers()["content-type"], XLSX);
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{file}.xlsx\"")
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

/// A cell as the CSV writes it: text as it is, numbers with a decimal
/// comma (two places in a euro column), dates as Excel's day number.
fn as_csv(cell: &Data, euros: bool) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Float(n) if euros => format!("{n:.2}").replace('.', ","),
        Data::Float(n) => n.to_string().replace('.', ","),
        Data::Int(n) => n.to_string(),
        Data::DateTime(date) => format!("day {}", date.as_f64()),
        other => panic!("unexpected cell {other:?}"),
    }
}

#[tokio::test]
async fn a_statement_as_a_workbook_holds_the_csvs_cells_typed() {
    let (harness, _queries) = with_projector().await;
    let path = "/api/v1/lands/01/statements/2023";
    let rows = sheet(
        harness.get(&format!("{path}?format=xlsx")).await,
        "kostenaufstellung-01-2023-stand-2024-06-30",
    )
    .await;
    let csv = harness
        .get(&format!("{path}?format=csv"))
        .await
        .text()
        .await
        .unwrap();
    let csv_rows: Vec<Vec<&str>> = (csv.trim_start_matches('\u{feff}').split("\r\n"))
        .filter(|line| !line.is_empty())
        .map(|line| line.split(';').collect())
        .collect();
    let header: Vec<String> = rows[0].iter().map(|cell| as_csv(cell, false)).collect();
    assert_eq!(header, csv_rows[0]);
    // The title holds a quoted `;`, so the CSV row is compared after it.
    let line = &rows[1];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(line[column("Leistung")], Data::String("wohngeld".into()));
    assert_eq!(
        line[column("Titel")],
        Data::String("Wohngeld; \"digital\"".into())
    );
    assert_eq!(
        line[column("Anteil (Bruch)")],
        Data::String("339074/2939074".into())
    );
    assert_eq!(line[column("Tage")], Data::Float(184.0));
    assert_eq!(line[column("Anteil (Euro)")], Data::Float(418.58));
    assert_eq!(
        line[column("Gesamtkosten der Leistung (Euro)")],
        Data::Float(1234.56)
    );
    assert_eq!(line[column("Ledger-Sequenz")], Data::Float(42.0));
    assert_eq!(line[column("Ledger-Hash")], Data::String("ab".repeat(32)));
    // 2024-06-30 is day 45473 of Excel's calendar.
    assert_eq!(as_csv(&line[column("Stand")], false), "day 45473");
    // Every row has the CSV's cells, column by column, from "Tage" on;
    // the statement's three rows of sums stand apart, below an empty row.
    assert_eq!(rows.len(), csv_rows.len() + 1);
    let totals = rows.len() - 3;
    assert!(rows[totals - 1].iter().all(|cell| *cell == Data::Empty));
    assert_eq!(rows[totals][1], Data::String("Summe".into()));
    let rows: Vec<&Vec<Data>> = (rows.iter().take(totals - 1))
        .chain(rows.iter().skip(totals))
        .collect();
    for (row, csv_row) in rows.iter().zip(&csv_rows).skip(1) {
        let from = column("Tage");
        let shift = csv_row.len() - header.len();
        for (i, cell) in row.iter().enumerate().skip(from) {
            let name = &header[i];
            if name == "Stand" {
                continue;
            }
            let written = as_csv(cell, name.ends_with("(Euro)"));
            assert_eq!(written, csv_row[i + shift], "{name}");
        }
    }
}

#[tokio::test]
async fn the_accept_header_asks_for_a_workbook_and_keys_stay_text() {
    let (harness, _queries) = with_projector().await;
    let response = harness
        .http
        .get(harness.url("/api/v1/lands/16/stalled"))
        .header("Accept", format!("{XLSX}, text/csv;q=0.5"))
        .send()
        .await
        .unwrap();
    let rows = sheet(response, "stockend-16-2024-06-30").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], Data::String("16051000".into()));
    assert_eq!(rows[1][5], Data::Float(180.0));
    // The rollout's whole list (read as pages) and its Kreise.
    let response = harness
        .get("/api/v1/lands/16/rollout?format=xlsx&table=kreise")
        .await;
    let rows = sheet(response, "rollout-kreise-16-2024-06-30").await;
    assert_eq!(rows[1][0], Data::String("16051".into()));
    assert_eq!(rows[1][9], Data::Float(213_699.0));
}

/// A history longer than a workbook is made of: refused with a problem
/// that points to the CSV, which streams it.
#[tokio::test]
async fn a_list_longer_than_a_workbook_is_refused_with_a_problem() {
    const EVENTS: u64 = 60_000;
    let harness = crate::harness::Harness::start().await;
    harness
        .projector(crate::csv::long_history(EVENTS, 2_000))
        .await;
    let response = harness.get("/api/v1/history?format=xlsx").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("50.000 Zeilen") && detail.contains("format=csv"),
        "{detail}"
    );
    // A page of it is a workbook of that page.
    let response = harness.get("/api/v1/history?format=xlsx&limit=10").await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("from_seq=11"), "{link}");
    let rows = sheet(response, "historie-all").await;
    assert_eq!(rows.len(), 11);
    assert_eq!(rows[10][0], Data::Float(10.0));
}
