//! `efa generate` is reproducible: the same seed gives the same chain
//! head, and the generated ledger verifies.

use crate::efa;

fn head_of(output: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find(|l| l.starts_with("Kopf der Hash-Kette:"))
        .expect("the head is printed")
        .to_owned()
}

#[test]
fn the_same_seed_gives_the_same_chain_head() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |name: &str, seed: &str| {
        let data = dir.path().join(name);
        let args = [
            "generate",
            "--data-dir",
            data.to_str().unwrap(),
            "--seed",
            seed,
            "--events",
            "20000",
            "--municipalities",
            "400",
            "--services",
            "30",
        ];
        (efa(&args).output().unwrap(), data)
    };
    let (first, first_dir) = generate("a", "11");
    let (second, _) = generate("b", "11");
    let (other, _) = generate("c", "12");
    assert_eq!(head_of(&first), head_of(&second));
    assert_ne!(head_of(&first), head_of(&other));
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("(0 abgelehnt)"),
        "every generated command is valid"
    );

    // sled writes items over 128 KiB to blob files that it does not fsync;
    // the ledger's records stay small enough never to need one.
    let blobs =
        std::fs::read_dir(first_dir.join("ledger").join("blobs")).map_or(0, |dir| dir.count());
    assert_eq!(blobs, 0, "sled wrote {blobs} blob files");

    let verify = efa(&["verify", "--data-dir", first_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let again = efa(&[
        "generate",
        "--data-dir",
        first_dir.to_str().unwrap(),
        "--events",
        "10",
    ])
    .output()
    .unwrap();
    assert!(
        !again.status.success(),
        "generating into a used ledger is refused"
    );
}
