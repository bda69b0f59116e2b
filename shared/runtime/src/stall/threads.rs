//! What Linux's `/proc` tells of this process's threads: how many bytes
//! sled's threads and the thread whose write is watched have written so
//! far, and whether any thread is running or waiting for the disk. In
//! sled's hang every thread of sled sleeps on a lock and nothing is
//! written; on a disk that is only slow, threads wait for it in the
//! kernel (state `D`) or write, and a long operation elsewhere in the
//! process that a write waits for runs (state `R`). The stall watch looks
//! at this to end a hung process long before its plain time limit.

use std::path::Path;

/// One look at the process's threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Bytes the threads of sled (its I/O pool and its log flusher) and
    /// the writer have handed to `write` calls so far (`wchar`), as far as
    /// they still run.
    pub written: u64,
    /// Whether any thread but the looking one was running or waiting for
    /// the disk (state `R` or `D`) at the look.
    pub busy: bool,
    /// How many of sled's threads there were (the writer's among them).
    pub threads: usize,
}

/// Looks at this process's threads, with the thread `writer` (its id, 0
/// for none) counted as sled's; the calling thread is left out. `None`
/// where `/proc` does not tell (not Linux, or not readable).
pub fn look(writer: u64) -> Option<Look> {
    look_in(Path::new("/proc/self/task"), writer, current())
}

/// The calling thread's id, as `/proc` names it; 0 where it does not.
pub fn current() -> u64 {
    thread_local! {
        static ID: u64 = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|link| link.file_name()?.to_str()?.parse().ok())
            .unwrap_or(0);
    }
    ID.with(|id| *id)
}

fn look_in(tasks: &Path, writer: u64, looking: u64) -> Option<Look> {
    let mut found = Look {
        written: 0,
        busy: false,
        threads: 0,
    };
    for task in std::fs::read_dir(tasks).ok()?.flatten() {
        let dir = task.path();
        let id: u64 = task
            .file_name()
            .to_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or(0);
        if id == looking && looking != 0 {
            continue;
        }
        // A thread may end between the listing and the reads: skip it.
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        found.busy |= matches!(state_of(&stat), Some('R' | 'D'));
        let is_writer = writer != 0 && id == writer;
        let Ok(name) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if !is_writer && !is_sleds(name.trim_end()) {
            continue;
        }
        let Ok(io) = std::fs::read_to_string(dir.join("io")) else {
            continue;
        };
        found.threads += 1;
        found.written = found.written.saturating_add(written_of(&io).unwrap_or(0));
    }
    Some(found)
}

/// sled 0.34 names its I/O pool's threads `sled-io-N` and its periodic
/// flusher `log flusher`.
fn is_sleds(name: &str) -> bool {
    name.starts_with("sled-io") || name == "log flusher"
}

/// The state letter of a task's `stat` line: the first field after the
/// name, which is in parentheses and may itself hold spaces and
/// parentheses.
pub fn state_of(stat: &str) -> Option<char> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.trim_start().chars().next()
}

/// The `wchar` line of a task's `io` file.
pub fn written_of(io: &str) -> Option<u64> {
    io.lines()
        .find_map(|line| line.strip_prefix("wchar:"))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_state_is_read_after_the_name_whatever_the_name_holds() {
        assert_eq!(state_of("412 (sled-io-3) S 1 412 412 0"), Some('S'));
        assert_eq!(state_of("77 (log flusher) D 1 77"), Some('D'));
        assert_eq!(state_of("9 (a (b) c) R 1 9"), Some('R'));
        assert_eq!(state_of("no name here"), None);
    }

    #[test]
    fn the_bytes_written_are_the_wchar_line() {
        let io = "rchar: 10\nwchar: 4096\nsyscr: 1\nsyscw: 2\nread_bytes: 0\nwrite_bytes: 0\n";
        assert_eq!(written_of(io), Some(4096));
        assert_eq!(written_of("rchar: 10\n"), None);
    }

    #[test]
    fn only_sleds_threads_count() {
        assert!(is_sleds("sled-io-0"));
        assert!(is_sleds("log flusher"));
        assert!(!is_sleds("tokio-runtime-w"));
        assert!(!is_sleds("stall-views"));
    }

    #[test]
    fn a_thread_named_as_sleds_is_seen_with_what_it_writes() {
        if look(0).is_none() {
            // No /proc on this system: the watch keeps its plain limit.
            return;
        }
        let file = std::env::temp_dir().join(format!("efa-stall-look-{}", std::process::id()));
        let (wrote_tx, wrote_rx) = std::sync::mpsc::channel();
        let (looked_tx, looked_rx) = std::sync::mpsc::channel::<()>();
        let path = file.clone();
        let writer = std::thread::Builder::new()
            .name("sled-io-probe".into())
            .spawn(move || {
                let mut out = std::fs::File::create(&path).unwrap();
                out.write_all(&[7u8; 65_536]).unwrap();
                wrote_tx.send(()).unwrap();
                // Stays alive, asleep, until the test has looked.
                let _ = looked_rx.recv();
            })
            .unwrap();
        wrote_rx.recv().unwrap();
        let seen = look(0).unwrap();
        looked_tx.send(()).unwrap();
        writer.join().unwrap();
        let _ = std::fs::remove_file(&file);
        assert!(seen.threads >= 1, "{seen:?}");
        assert!(seen.written >= 65_536, "{seen:?}");
    }

    #[test]
    fn sleds_threads_and_the_writer_are_counted_and_any_thread_running_is_seen() {
        let tasks = std::env::temp_dir().join(format!("efa-stall-tasks-{}", std::process::id()));
        let task = |id: u32, name: &str, state: char, wchar: u64| {
            let dir = tasks.join(id.to_string());
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("comm"), format!("{name}\n")).unwrap();
            std::fs::write(dir.join("stat"), format!("{id} ({name}) {state} 1 {id} 0")).unwrap();
            std::fs::write(dir.join("io"), format!("rchar: 1\nwchar: {wchar}\n")).unwrap();
        };
        task(101, "sled-io-0", 'S', 500);
        task(102, "log flusher", 'S', 20);
        task(103, "tokio-runtime-w", 'S', 9_999);
        task(104, "views-write", 'S', 7);
        task(105, "stall-views", 'R', 0);
        // 105 looks, and is left out.
        let look = |writer| look_in(&tasks, writer, 105).unwrap();
        assert_eq!(
            look(0),
            Look {
                written: 520,
                busy: false,
                threads: 2
            }
        );
        assert_eq!(
            look(104),
            Look {
                written: 527,
                busy: false,
                threads: 3
            }
        );
        // Any other thread running counts; its bytes do not.
        task(103, "tokio-runtime-w", 'R', 12_000);
        assert_eq!(
            look(104),
            Look {
                written: 527,
                busy: true,
                threads: 3
            }
        );
        task(103, "tokio-runtime-w", 'S', 12_000);
        task(101, "sled-io-0", 'D', 500);
        assert!(look(0).busy);
        assert!(look_in(&tasks, 0, 0).unwrap().busy);
        std::fs::remove_dir_all(&tasks).unwrap();
    }

    #[test]
    fn the_calling_thread_is_known_by_its_id() {
        if look(0).is_none() {
            return;
        }
        let me = current();
        assert!(
            Path::new("/proc/self/task").join(me.to_string()).is_dir(),
            "{me}"
        );
    }
}
