//! A file the gateway reads again when another process changed it (the
//! token table, the logouts): its modification time is looked at no more
//! than once a second, so a request costs a `stat` at most that often.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often the file is looked at.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The file's modification time as last looked at (`None`: no file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(Option<SystemTime>);

#[derive(Debug)]
pub struct WatchedFile {
    path: PathBuf,
    /// The stamp of the content taken in last.
    taken_in: Stamp,
    checked: Instant,
}

impl WatchedFile {
    /// `path`, its content as it is now taken in.
    pub fn new(path: PathBuf) -> Self {
        Self {
            taken_in: stamp(&path),
            checked: Instant::now(),
            path,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's new stamp if it changed since its content was last taken
    /// in; looked at no more than once per [`CHECK_INTERVAL`].
    pub fn changed(&mut self) -> Option<Stamp> {
        if self.checked.elapsed() < CHECK_INTERVAL {
            return None;
        }
        self.checked = Instant::now();
        let now = stamp(&self.path);
        (now != self.taken_in).then_some(now)
    }

    /// The content of `stamp` is taken in.
    pub fn taken_in(&mut self, stamp: Stamp) {
        self.taken_in = stamp;
    }

    /// The file as it is now is taken in (after writing it ourselves).
    pub fn taken_in_now(&mut self) {
        self.taken_in = stamp(&self.path);
    }

    /// Looks at the file at the next `changed`, whenever that is.
    #[cfg(test)]
    pub fn look_next_time(&mut self) {
        self.checked = Instant::now() - CHECK_INTERVAL;
    }
}

fn stamp(path: &Path) -> Stamp {
    Stamp(std::fs::metadata(path).and_then(|m| m.modified()).ok())
}
