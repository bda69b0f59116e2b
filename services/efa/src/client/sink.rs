//! Where an export's bytes go as they arrive: stdout, or a file. An
//! export of Germany's whole history is about two gigabytes of CSV, so
//! nothing holds it whole. A file is written under a name of its own
//! beside the path asked for and put in place once complete
//! (`efa_runtime::durable_file::Staged`): a failed or interrupted export
//! leaves nothing under that name that looks whole.

use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use efa_runtime::durable_file::Staged;

use super::Failure;

/// An export's destination, written to as the pages arrive.
pub struct Sink {
    out: Out,
    /// The last byte written, so that the export ends with a line end.
    last: Option<u8>,
}

enum Out {
    /// Standard output; `closed` once the reader went away (`| head`),
    /// which ends the export quietly.
    Stdout {
        writer: BufWriter<std::io::Stdout>,
        closed: bool,
    },
    /// A file under its partial name until [`Sink::finish`].
    File { staged: Staged, path: PathBuf },
}

impl Sink {
    /// Standard output, or a new file for `path`.
    pub fn open(path: Option<&Path>) -> Result<Self, Failure> {
        let out = match path {
            None => Out::Stdout {
                writer: BufWriter::new(std::io::stdout()),
                closed: false,
            },
            Some(path) => {
                let partial = partial_name(path);
                let staged = Staged::create(path, partial.clone()).map_err(|error| {
                    Failure::Other(format!("{} anlegen: {error}", partial.display()))
                })?;
                Out::File {
                    staged,
                    path: path.to_owned(),
                }
            }
        };
        Ok(Self { out, last: None })
    }

    /// Writes `bytes`; `false` once nothing more is wanted (the reader of
    /// stdout went away).
    pub fn write(&mut self, bytes: &[u8]) -> Result<bool, Failure> {
        if bytes.is_empty() {
            return Ok(self.wanted());
        }
        match &mut self.out {
            Out::Stdout { closed: true, .. } => return Ok(false),
            Out::Stdout { writer, closed } => {
                if let Err(error) = writer.write_all(bytes) {
                    if error.kind() != ErrorKind::BrokenPipe {
                        return Err(Failure::Other(format!("Standardausgabe: {error}")));
                    }
                    *closed = true;
                    return Ok(false);
                }
            }
            Out::File { staged, .. } => staged.writer().write_all(bytes).map_err(|error| {
                Failure::Other(format!(
                    "{} schreiben: {error}",
                    staged.temporary().display()
                ))
            })?,
        }
        self.last = bytes.last().copied();
        Ok(true)
    }

    fn wanted(&self) -> bool {
        !matches!(self.out, Out::Stdout { closed: true, .. })
    }

    /// Ends the export with a line end, flushes it and, for a file, puts
    /// it under the name asked for; answers that file's path.
    pub fn finish(mut self) -> Result<Option<PathBuf>, Failure> {
        if self.last.is_some_and(|last| last != b'\n') {
            self.write(b"\n")?;
        }
        match self.out {
            Out::Stdout { mut writer, closed } => {
                if !closed
                    && let Err(error) = writer.flush()
                    && error.kind() != ErrorKind::BrokenPipe
                {
                    return Err(Failure::Other(format!("Standardausgabe: {error}")));
                }
                Ok(None)
            }
            Out::File { staged, path } => {
                staged.commit().map_err(|error| {
                    Failure::Other(format!("{} schreiben: {error}", path.display()))
                })?;
                Ok(Some(path))
            }
        }
    }
}

/// `export.csv` is written as `.export.csv.teilweise` beside it.
fn partial_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "export".into(), |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.teilweise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_under_its_name_only_once_finished_and_ends_with_a_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("historie.csv");
        let mut sink = Sink::open(Some(&path)).unwrap();
        assert!(sink.write(b"a;b\r\n1;2").unwrap());
        assert!(!path.exists(), "not under its name while written");
        assert!(dir.path().join(".historie.csv.teilweise").exists());
        assert_eq!(sink.finish().unwrap(), Some(path.clone()));
        assert_eq!(std::fs::read(&path).unwrap(), b"a;b\r\n1;2\n");
        assert!(!dir.path().join(".historie.csv.teilweise").exists());
    }

    #[test]
    fn an_export_not_finished_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("historie.csv");
        let mut sink = Sink::open(Some(&path)).unwrap();
        sink.write(b"half of it").unwrap();
        drop(sink);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_file_that_cannot_be_made_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fehlt").join("historie.csv");
        let failure = Sink::open(Some(&path)).err().unwrap();
        assert!(failure.to_string().contains("anlegen"), "{failure}");
    }
}
