//! The scripting CLI (`efa service|cost|export ...`) against a whole
//! system started with `efa up`: what it prints and, above all, the exit
//! codes scripts rely on (0 also for a replay, 2 rejected, 3 bad token,
//! 4 unreachable); a year closed and a Beitritt moved from a script.

use std::process::Output;

use crate::{efa, start_up, terminate};

/// Runs the CLI against `api` as the holder of `token`.
pub(crate) async fn cli(api: &str, token: &str, args: &[&str]) -> Output {
    let mut command = efa(args);
    command.env("EFA_API", api).env("EFA_TOKEN", token);
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap()
}

pub(crate) fn code(output: &Output) -> i32 {
    output.status.code().expect("the CLI exits, not killed")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn seq_of(output: &Output) -> u64 {
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json prints JSON ({e}): {}", stdout(output)));
    answer["seq"].as_u64().expect("the answer has a seq")
}

const ANNOUNCE: [&str; 14] = [
    "service",
    "announce",
    "--title",
    "Elterngeld digital",
    "--themenfeld",
    "Familie & Kind",
    "--provider",
    "Dataport",
    "--channel",
    "efa-marktplatz",
    "--cost-model",
    "gleich",
    "--effective",
    "2024-01-01",
];

fn announce(extra: &[&'static str]) -> Vec<&'static str> {
    ANNOUNCE
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

/// `efa token create` for `principal`: the token it prints once.
pub(crate) fn create_token(data: &std::path::Path, principal: &str, name: &str) -> String {
    let output = efa(&[
        "token",
        "create",
        "--data-dir",
        data.to_str().unwrap(),
        "--principal",
        principal,
        "--name",
        name,
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn the_cli_scripts_a_running_system_with_reliable_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Without the demo there are no demo logins: tokens are made as an
    // operator makes them.
    crate::nats_init(&data);
    let (bremen, thueringen) = (
        create_token(&data, "land:04", "Bremen"),
        create_token(&data, "land:16", "Thüringen"),
    );
    let (mut guard, api) = start_up(&data, &["--no-demo"]).await;
    assert!(
        !data.join("demo-zugaenge.txt").exists(),
        "no demo logins without the demo"
    );

    let args = announce(&[
        "--lead",
        "04",
        "--json",
        "--idempotency-key",
        "cli-elterngeld",
    ]);
    let first = cli(&api, &bremen, &args).await;
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let seq = seq_of(&first);
    let again = cli(&api, &bremen, &args).await;
    assert_eq!(code(&again), 0, "a replay succeeds: {}", stderr(&again));
    assert_eq!(seq_of(&again), seq, "a replay answers the stored sequence");

    let line = cli(
        &api,
        &bremen,
        &announce(&["--lead", "04", "--id", "elterngeld-zwei"]),
    )
    .await;
    assert_eq!(code(&line), 0, "{}", stderr(&line));
    assert!(
        stdout(&line).starts_with("Angekündigt: elterngeld-zwei (Sequenz "),
        "{}",
        stdout(&line)
    );

    let foreign = cli(&api, &bremen, &announce(&["--lead", "16", "--id", "fremd"])).await;
    assert_eq!(code(&foreign), 2, "announcing for another Land is refused");
    assert!(
        stderr(&foreign).contains("Nicht erlaubt (HTTP 403)"),
        "{}",
        stderr(&foreign)
    );
    let bad_token = cli(&api, "efa_falsch", &announce(&["--lead", "04"])).await;
    assert_eq!(code(&bad_token), 3, "{}", stderr(&bad_token));
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let away = cli(&closed, &bremen, &announce(&["--lead", "04"])).await;
    assert_eq!(code(&away), 4, "{}", stderr(&away));
    let mut bad_model = announce(&["--lead", "04"]);
    bad_model[11] = "lotterie";
    let bad_model = cli(&api, &bremen, &bad_model).await;
    assert_eq!(code(&bad_model), 2, "a bad --cost-model is invalid input");
    assert!(
        stderr(&bad_model).contains("--cost-model"),
        "{}",
        stderr(&bad_model)
    );

    let min_seq = seq.to_string();
    let catalogue = cli(
        &api,
        "",
        &[
            "export",
            "catalogue",
            "--format",
            "csv",
            "--min-seq",
            &min_seq,
        ],
    )
    .await;
    assert_eq!(code(&catalogue), 0, "{}", stderr(&catalogue));
    assert!(
        stdout(&catalogue).starts_with('\u{feff}'),
        "CSV as the API writes it"
    );
    assert!(stdout(&catalogue).contains("elterngeld-digital;Elterngeld digital;Bremen"));

    costs_are_split(&api, &bremen, &thueringen).await;

    terminate(guard.0.id());
    let status = tokio::task::spawn_blocking(move || guard.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "efa up exits cleanly on SIGTERM: {status}"
    );
}

/// Thüringen joins, Bremen reports costs, and the export shows the equal
/// split between the two.
async fn costs_are_split(api: &str, bremen: &str, thueringen: &str) {
    let join = [
        "service",
        "join",
        "--service",
        "elterngeld-digital",
        "--land",
        "16",
        "--effective",
        "2024-01-01",
    ];
    let joined = cli(api, thueringen, &join).await;
    assert_eq!(code(&joined), 0, "{}", stderr(&joined));
    assert!(stdout(&joined).starts_with("Beigetreten: Land 16 zu elterngeld-digital"));
    let report = [
        "cost",
        "report",
        "--service",
        "elterngeld-digital",
        "--year",
        "2024",
        "--category",
        "operation",
        "--amount",
        "1234,56",
        "--note",
        "Hosting",
        "--json",
    ];
    let reported = cli(api, bremen, &report).await;
    assert_eq!(code(&reported), 0, "{}", stderr(&reported));
    // The answer names the new line's number, which a correction names.
    let answer: serde_json::Value = serde_json::from_slice(&reported.stdout).unwrap();
    assert_eq!(answer["cost_no"], 1, "{answer}");
    let min_seq = seq_of(&reported).to_string();
    let export = [
        "export",
        "costs",
        "--service",
        "elterngeld-digital",
        "--year",
        "2024",
        "--min-seq",
        &min_seq,
    ];
    let shares = stdout(&cli(api, "", &export).await);
    let rows: Vec<&str> = shares
        .lines()
        .filter(|line| line.contains(";617,28"))
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "each of the two Länder carries half: {shares}"
    );
    assert!(
        rows[0].contains("Bremen") && rows[1].contains("Thüringen"),
        "{shares}"
    );
    let lines = [&export[..], &["--table", "costs"]].concat();
    let costs = stdout(&cli(api, "", &lines).await);
    assert!(
        costs.contains("1;2024;Betrieb;1234,56;1234,56;0;Hosting"),
        "{costs}"
    );
    close_and_correct(api, bremen).await;
}

/// Bremen closes 2024, then moves Thüringen's Beitritt to mid-year: the
/// split no longer halves the costs.
async fn close_and_correct(api: &str, bremen: &str) {
    let close = [
        "service",
        "close-year",
        "--service",
        "elterngeld-digital",
        "--year",
        "2024",
        "--idempotency-key",
        "abschluss-2024",
    ];
    let closed = cli(api, bremen, &close).await;
    assert_eq!(code(&closed), 0, "{}", stderr(&closed));
    assert!(
        stdout(&closed).starts_with("Abgerechnet: elterngeld-digital, Jahr 2024"),
        "{}",
        stdout(&closed)
    );
    let replayed = cli(api, bremen, &close).await;
    assert_eq!(code(&replayed), 0, "a replay: {}", stderr(&replayed));
    let mut again = close;
    again[7] = "abschluss-2024-nochmal";
    let again = cli(api, bremen, &again).await;
    assert_eq!(code(&again), 2, "a year closes once: {}", stderr(&again));

    let correct = [
        "service",
        "correct-participation",
        "--service",
        "elterngeld-digital",
        "--land",
        "16",
        "--change",
        "beitritt",
        "--effective",
        "2024-07-01",
        "--reason",
        "Vertrag erst zum 1. Juli",
        "--json",
    ];
    let corrected = cli(api, bremen, &correct).await;
    assert_eq!(code(&corrected), 0, "{}", stderr(&corrected));
    let min_seq = seq_of(&corrected).to_string();
    let export = [
        "export",
        "costs",
        "--service",
        "elterngeld-digital",
        "--year",
        "2024",
        "--min-seq",
        &min_seq,
    ];
    let shares = stdout(&cli(api, "", &export).await);
    assert!(
        !shares.contains(";617,28"),
        "Thüringen no longer carries half: {shares}"
    );
    let same_day = cli(api, bremen, &correct).await;
    assert_eq!(
        code(&same_day),
        2,
        "the Beitritt is on that day already: {}",
        stderr(&same_day)
    );
    recorded_before_the_correction(api, seq_of(&corrected) - 1).await;
}

/// As recorded up to the sequence before the correction, the costs are
/// halved again, Thüringen's statement says so, and the statement's
/// changes since then name the service.
async fn recorded_before_the_correction(api: &str, before: u64) {
    let before = before.to_string();
    let year = ["--year", "2024"];
    let costs = [
        &["export", "costs", "--service", "elterngeld-digital"][..],
        &year,
        &["--known-at-seq", &before],
    ]
    .concat();
    let shares = stdout(&cli(api, "", &costs).await);
    let halves = shares
        .lines()
        .filter(|line| line.contains(";617,28;"))
        .count();
    assert_eq!(halves, 2, "halved as recorded then: {shares}");
    let statement = [
        &["export", "statement", "--land", "16"][..],
        &year,
        &["--known-at-seq", &before],
    ]
    .concat();
    let statement = cli(api, "", &statement).await;
    assert_eq!(code(&statement), 0, "{}", stderr(&statement));
    assert!(
        stdout(&statement).contains(";617,28;"),
        "{}",
        stdout(&statement)
    );
    let changes = [
        &["export", "statement-changes", "--land", "16"][..],
        &year,
        &["--since-seq", &before],
    ]
    .concat();
    let changes = cli(api, "", &changes).await;
    assert_eq!(code(&changes), 0, "{}", stderr(&changes));
    assert!(
        stdout(&changes).contains("\r\nelterngeld-digital;Elterngeld digital;617,28;"),
        "{}",
        stdout(&changes)
    );
}

/// Sends `body` to `url` as the holder of `token` with the idempotency
/// key `key`; the ledger sequence of the write.
pub(crate) async fn post(
    http: &reqwest::Client,
    (url, key): (String, String),
    token: &str,
    body: serde_json::Value,
) -> u64 {
    let response = http
        .post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{body}");
    let answer: serde_json::Value = response.json().await.unwrap();
    answer["seq"].as_u64().expect("a write answers its seq")
}

/// More rows than one page of the API holds (1,000): `efa export` puts
/// the pages of the rollout and stalled lists together, as JSON (page by
/// page) and as CSV (streamed whole by the API); the Land's municipalities
/// likewise.
#[tokio::test]
async fn exports_longer_than_a_page_are_complete() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Without the demo there are no demo logins: tokens of their own,
    // created before the gateway starts.
    crate::nats_init(&data);
    let admin = create_token(&data, "admin", "export-admin");
    let thueringen = create_token(&data, "land:16", "export-thueringen");
    let (mut guard, api) = start_up(&data, &["--no-demo"]).await;
    let http = reqwest::Client::new();
    let services: Vec<String> = (0..11).map(|n| format!("leistung-{n:02}")).collect();
    let mut last = 0;
    for service in &services {
        let body = serde_json::json!({"id": service, "title": format!("Leistung {service}"),
            "lead": "16", "themenfeld": "Familie & Kind", "provider": "Dataport",
            "channel": "efa-marktplatz", "cost_model": {"kind": "equal-shares"},
            "effective": "2020-01-01"});
        let to = (
            format!("{api}/api/v1/services"),
            format!("service-{service}"),
        );
        last = last.max(post(&http, to, &thueringen, body).await);
    }
    let gemeinden = 1_100usize.div_ceil(services.len().max(1));
    let rows = gemeinden * services.len();
    assert!(rows > 1_000, "{rows} rows");
    for g in 0..gemeinden {
        let ags = format!("16{:06}", 60_000 + g);
        let body = serde_json::json!({"ags": ags, "name": format!("Gemeinde {g}")});
        let to = (format!("{api}/api/v1/gemeinden"), format!("gemeinde-{ags}"));
        last = last.max(post(&http, to, &admin, body).await);
    }
    let requests = (0..gemeinden).flat_map(|g| services.iter().map(move |s| (g, s.clone())));
    let seqs: Vec<u64> = futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
        futures::stream::iter(requests.map(|(g, service)| {
            let ags = format!("16{:06}", 60_000 + g);
            let to = (
                format!("{api}/api/v1/adoptions"),
                format!("adoption-{ags}-{service}"),
            );
            let body =
                serde_json::json!({"service": service, "ags": ags, "effective": "2020-01-02"});
            let (http, token) = (&http, &thueringen);
            async move { post(http, to, token, body).await }
        })),
        16,
    ))
    .await;
    last = last.max(seqs.into_iter().max().unwrap_or(0));
    let min_seq = last.to_string();

    let export = |what: &'static str, format: &'static str| {
        vec![
            "export",
            what,
            "--land",
            "16",
            "--format",
            format,
            "--min-seq",
            &min_seq,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>()
    };
    for (what, field) in [("rollout", "municipalities"), ("stalled", "stalled")] {
        let args = export(what, "json");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = cli(&api, "", &args).await;
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            document[field].as_array().unwrap().len(),
            rows,
            "{what} as JSON"
        );
        assert_eq!(document["next"], serde_json::Value::Null);
        let args = export(what, "csv");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = cli(&api, "", &args).await;
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(
            stdout(&output).matches("\r\n").count(),
            rows + 1,
            "{what} as CSV"
        );
    }
    // The Land's registered municipalities, every one registered above,
    // as JSON and as CSV alike.
    let args = export("gemeinden", "json");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let listed: Vec<&str> = (document["gemeinden"].as_array().unwrap().iter())
        .map(|entry| entry["ags"].as_str().unwrap())
        .collect();
    for g in 0..gemeinden {
        let ags = format!("16{:06}", 60_000 + g);
        assert!(listed.contains(&ags.as_str()), "{ags} in {listed:?}");
    }
    let args = export("gemeinden", "csv");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output).matches("\r\n").count(),
        listed.len() + 1,
        "the municipalities as CSV"
    );
    // Whom a service has still to reach: none of the municipalities
    // registered above, which all adopted every service; as JSON and
    // CSV alike.
    let mut args = export("not-adopted", "json");
    args.extend(["--service".to_owned(), services[0].clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["service"], services[0].as_str(), "{document}");
    let without: Vec<&str> = (document["gemeinden"].as_array().unwrap().iter())
        .map(|entry| entry["ags"].as_str().unwrap())
        .collect();
    assert_eq!(
        without.len() + gemeinden,
        listed.len(),
        "all registered but those registered above: {without:?}"
    );
    assert!(
        without.iter().all(|ags| !ags.starts_with("1606")),
        "{without:?}"
    );
    let mut args = export("not-adopted", "csv");
    args.extend(["--service".to_owned(), services[0].clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("\r\n").count(), without.len() + 1);
    // The Land's funnels, one per service, as JSON and CSV alike.
    let mut args = export("funnels", "json");
    args.extend(["--order".to_owned(), "most-live".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["order"], "most-live", "{document}");
    let mut listed: Vec<&str> = (document["funnels"].as_array().unwrap().iter())
        .map(|funnel| funnel["service"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        services.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let args = export("funnels", "csv");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("\r\n").count(), services.len() + 1);
    // The whole history as JSON: every event, and no link to a page after it.
    let args = [
        "export",
        "history",
        "--format",
        "json",
        "--min-seq",
        &min_seq,
    ];
    let output = cli(&api, "", &args).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries = document["entries"].as_array().unwrap();
    assert!(entries.len() as u64 >= last, "{} of {last}", entries.len());
    assert_eq!(document["more"], serde_json::json!(false));
    assert_eq!(document["next"], serde_json::Value::Null, "no next page");
    assert_eq!(document["next_from_seq"], serde_json::Value::Null);
    terminate(guard.0.id());
    guard.0.wait().unwrap();
}

/// A command line clap refuses is said in German, naming what was wrong,
/// with exit code 2 like every other invalid input; help stays help.
#[tokio::test]
async fn a_refused_command_line_is_said_in_german() {
    let api = "http://127.0.0.1:9";
    let missing = cli(api, "", &["export", "statement-changes", "--land", "16"]).await;
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).starts_with("Fehler: Es fehlt: --year"),
        "{}",
        stderr(&missing)
    );
    let garbage = ["export", "statement", "--land", "16", "--year", "x"];
    let garbage = cli(api, "", &garbage).await;
    assert_eq!(code(&garbage), 2);
    assert!(
        stderr(&garbage).contains("Der Wert „x“ passt nicht zu --year"),
        "{}",
        stderr(&garbage)
    );
    let typo = cli(api, "", &["exprot"]).await;
    assert_eq!(code(&typo), 2);
    assert!(
        stderr(&typo).contains("Gemeint ist vielleicht"),
        "{}",
        stderr(&typo)
    );
    let help = cli(api, "", &["export", "--help"]).await;
    assert_eq!(code(&help), 0);
    assert!(stdout(&help).contains("Ansichten als CSV oder JSON exportieren"));
}
