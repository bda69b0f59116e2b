//! `efa backup` and `efa restore`: a running registry's history saved in
//! checked files, a second run going on after the first; the data dir
//! lost but for its secrets, the ledger restored from the files, and
//! `efa up` on it answering as the lost one did: the same head, the same
//! views, a command sent again before the loss answered as a repeat. A
//! changed file, a backup short of the head witness and a ledger that
//! holds events are refused before anything is written.

use std::path::Path;

use crate::client::{cli, code, post, stderr, stdout};
use crate::{demo_token, efa, ledger_head as head, start_up, terminate};

/// The backup files in `dir`, by name.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A data dir that kept only what is kept apart from the machine: the
/// secrets, the tokens, the trusted signers, the ledger's public key.
fn secrets_of(lost: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(lost.join("secrets"))
        .arg(lost.join("tokens.json"))
        .arg(lost.join("trusted-signers.txt"))
        .arg(lost.join("ledger-public-key.txt"))
        .arg(into)
        .status()
        .unwrap();
    assert!(copy.success());
}

/// `efa restore` from `from` into `data`.
async fn restore(from: &Path, data: &Path) -> std::process::Output {
    let mut command = efa(&[
        "restore",
        "--from",
        from.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap()
}

fn gemeinde(ags: &str, name: &str) -> serde_json::Value {
    serde_json::json!({"ags": ags, "name": name})
}

#[tokio::test]
async fn a_ledger_is_restored_from_its_backup_and_goes_on_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (lost, saved) = (dir.path().join("lost"), dir.path().join("sicherung"));
    let (mut guard, api) = start_up(&lost, &[]).await;
    let admin = demo_token(&lost, "admin");
    let http = reqwest::Client::new();
    let gemeinden = format!("{api}/api/v1/gemeinden");
    let saved_str = saved.to_str().unwrap();
    let backup = ["backup", "--out", saved_str, "--events-per-file", "40"];

    let first = cli(&api, "", &backup).await;
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let (seq, _) = head(&api).await;
    let expected = usize::try_from(seq.div_ceil(40)).unwrap();
    assert_eq!(files(&saved).len(), expected, "{}", stdout(&first));
    assert_eq!(files(&saved)[0], "historie-0000000001-0000000040.txt");

    // Written after the first backup; the second goes on after it.
    let body = gemeinde("16071001", "Kranichfeld");
    let written = post(
        &http,
        (gemeinden.clone(), "nach-sicherung".into()),
        &admin,
        body,
    )
    .await;
    let second = cli(&api, "", &backup).await;
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    let names = files(&saved);
    assert_eq!(names.len(), expected + 1);
    assert_eq!(
        names[expected],
        format!("historie-{:010}-{written:010}.txt", seq + 1)
    );
    assert!(
        stdout(&second).contains(&format!("hält die Historie bis Sequenz {written}")),
        "{}",
        stdout(&second)
    );
    let lost_head = head(&api).await;
    assert_eq!(lost_head.0, written);
    let catalogue = |api: String| async move {
        let url = format!("{api}/api/v1/services?min_seq={written}");
        reqwest::get(url).await.unwrap().text().await.unwrap()
    };
    let lost_catalogue = catalogue(api.clone()).await;
    terminate(guard.0.id());
    guard.0.wait().unwrap();

    // A changed byte in any file: refused, nothing written.
    let changed = dir.path().join("verändert");
    std::fs::create_dir_all(&changed).unwrap();
    for name in &names {
        std::fs::copy(saved.join(name), changed.join(name)).unwrap();
    }
    let middle = changed.join(&names[1]);
    let text = std::fs::read_to_string(&middle).unwrap();
    let at = text.rfind("event ").unwrap() + 20;
    let flipped = if &text[at..=at] == "0" { "1" } else { "0" };
    std::fs::write(
        &middle,
        format!("{}{flipped}{}", &text[..at], &text[at + 1..]),
    )
    .unwrap();
    let elsewhere = dir.path().join("anderswo");
    secrets_of(&lost, &elsewhere);
    let refused = restore(&changed, &elsewhere).await;
    assert_ne!(code(&refused), 0);
    assert!(
        stderr(&refused).contains("stimmt nicht bei Ereignis"),
        "{}",
        stderr(&refused)
    );
    assert!(!elsewhere.join("ledger").exists(), "nothing written");

    // A backup short of the head witness the data dir kept: refused.
    let short = dir.path().join("kurz");
    std::fs::create_dir_all(&short).unwrap();
    for name in &names[..expected] {
        std::fs::copy(saved.join(name), short.join(name)).unwrap();
    }
    std::fs::copy(
        lost.join("ledger-head.txt"),
        elsewhere.join("ledger-head.txt"),
    )
    .unwrap();
    let behind = restore(&short, &elsewhere).await;
    assert_ne!(code(&behind), 0);
    assert!(
        stderr(&behind).contains(&format!(
            "Kopf des Ledgers (ledger-head.txt im Datenverzeichnis) nennt Ereignis {written}"
        )),
        "{}",
        stderr(&behind)
    );
    assert!(!elsewhere.join("ledger").exists(), "nothing written");

    // The whole backup, with the witness it covers: restored.
    let restored = restore(&saved, &elsewhere).await;
    assert_eq!(code(&restored), 0, "{}", stderr(&restored));
    assert!(
        stdout(&restored).contains(&format!("hält die Historie bis Sequenz {written}")),
        "{}",
        stdout(&restored)
    );
    let again = restore(&saved, &elsewhere).await;
    assert_ne!(code(&again), 0);
    assert!(stderr(&again).contains("hält schon"), "{}", stderr(&again));
    let verified = efa(&["verify", "--data-dir", elsewhere.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&verified), 0, "{}", stderr(&verified));

    // The registry on the restored ledger: the same head and views, the
    // command sent again answered as a repeat, a new one after the head.
    let (mut guard, api) = start_up(&elsewhere, &[]).await;
    assert_eq!(head(&api).await, lost_head);
    assert_eq!(catalogue(api.clone()).await, lost_catalogue);
    let gemeinden = format!("{api}/api/v1/gemeinden");
    let repeat = http
        .post(&gemeinden)
        .bearer_auth(&admin)
        .header("Idempotency-Key", "nach-sicherung")
        .json(&gemeinde("16071001", "Kranichfeld"))
        .send()
        .await
        .unwrap();
    assert_eq!(repeat.status(), 200);
    assert_eq!(repeat.headers()["idempotent-replayed"], "true");
    assert_eq!(head(&api).await.0, written, "nothing written twice");
    let body = gemeinde("16071002", "Kleinhettstedt");
    let next = post(
        &http,
        (gemeinden, "nach-wiederherstellung".into()),
        &admin,
        body,
    )
    .await;
    assert_eq!(next, written + 1);

    // The backup goes on against the restored registry.
    let api_args = ["backup", "--out", saved_str, "--events-per-file", "40"];
    let third = cli(&api, "", &api_args).await;
    assert_eq!(code(&third), 0, "{}", stderr(&third));
    assert!(
        stdout(&third).contains("Gesichert: 1 neue Datei;"),
        "{}",
        stdout(&third)
    );
    terminate(guard.0.id());
    guard.0.wait().unwrap();

    // A file of the backup damaged: the next backup says so and adds
    // nothing.
    let last_file = saved.join(files(&saved).last().unwrap());
    let whole = std::fs::read(&last_file).unwrap();
    std::fs::write(&last_file, &whole[..whole.len() - 10]).unwrap();
    let (mut guard, api) = start_up(&elsewhere, &[]).await;
    let damaged = cli(&api, "", &api_args).await;
    assert_eq!(code(&damaged), 1, "{}", stderr(&damaged));
    assert!(
        stderr(&damaged).contains("Nichts gesichert."),
        "{}",
        stderr(&damaged)
    );
    std::fs::write(&last_file, &whole).unwrap();
    terminate(guard.0.id());
    guard.0.wait().unwrap();

    // A registry set back to an older backup and written on since: it
    // does not hold the backup's last event, and the backup refuses it.
    let set_back = dir.path().join("zurueckgesetzt");
    secrets_of(&lost, &set_back);
    let restored = restore(&short, &set_back).await;
    assert_eq!(code(&restored), 0, "{}", stderr(&restored));
    let (mut guard, api) = start_up(&set_back, &[]).await;
    let gemeinden = format!("{api}/api/v1/gemeinden");
    for (ags, key) in [("16071003", "anders-1"), ("16071004", "anders-2")] {
        post(
            &http,
            (gemeinden.clone(), key.into()),
            &admin,
            gemeinde(ags, "Anders"),
        )
        .await;
    }
    let refused = cli(&api, "", &api_args).await;
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("ein zurückgesetztes oder ein anderes Register"),
        "{}",
        stderr(&refused)
    );
    terminate(guard.0.id());
    guard.0.wait().unwrap();
}
