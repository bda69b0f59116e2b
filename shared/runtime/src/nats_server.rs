//! Finding and starting a nats-server child process. Used by `efa up`
//! (one machine, one process) and by the test kit (one server per test).
//! A server older than 2.12 is refused: older servers silently drop
//! stream metadata and multi-subject consumer filters.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The oldest server version the registry works with.
pub const VERSION_MIN: (u32, u32) = (2, 12);
/// Environment variable naming the nats-server binary to use.
pub const BINARY_ENV: &str = "EFA_NATS_SERVER";

#[derive(Debug, thiserror::Error)]
pub enum NatsServerError {
    #[error(
        "no nats-server {}.{} or newer found (looked at ${BINARY_ENV}, .tools/bin and PATH); run ops/install-nats.sh",
        VERSION_MIN.0, VERSION_MIN.1
    )]
    NotFound,
    #[error("{path}: version {found} is older than {}.{}", VERSION_MIN.0, VERSION_MIN.1)]
    TooOld { path: PathBuf, found: String },
    #[error("start {path}: {source}")]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pick a free port: {0}")]
    Port(#[source] std::io::Error),
    #[error("nats-server on port {port} did not answer within {waited_ms} ms")]
    NotReady { port: u16, waited_ms: u64 },
    #[error("nats-server (pid {pid}) did not stop within {waited_ms} ms and was killed")]
    StopTimedOut { pid: u32, waited_ms: u64 },
    #[error("nats-server exited early with {status}")]
    Exited { status: std::process::ExitStatus },
    #[error("port {port} on 127.0.0.1 is taken by another process; stop it or choose another port")]
    PortInUse { port: u16 },
}

/// Reads `nats-server --version` ("nats-server: v2.12.8") as (major, minor).
fn version_of(path: &Path) -> Option<(u32, u32, String)> {
    let output = Command::new(path)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let version = text.rsplit('v').next()?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor, text))
}

fn check(path: PathBuf) -> Result<PathBuf, NatsServerError> {
    match version_of(&path) {
        Some((major, minor, _)) if (major, minor) >= VERSION_MIN => Ok(path),
        Some((_, _, found)) => Err(NatsServerError::TooOld { path, found }),
        None => Err(NatsServerError::NotFound),
    }
}

/// Candidate locations, in order: `$EFA_NATS_SERVER`; `.tools/bin` in the
/// current directory and in every ancestor of the current directory and of
/// the running executable (so `target/debug/efa` finds the project's
/// tools folder); then `PATH`.
fn candidates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(path) = std::env::var_os(BINARY_ENV) {
        found.push(PathBuf::from(path));
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = std::env::current_dir() {
        roots.extend(dir.ancestors().map(Path::to_path_buf));
    }
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
    }
    found.extend(roots.iter().map(|root| root.join(".tools/bin/nats-server")));
    if let Some(path) = std::env::var_os("PATH") {
        found.extend(std::env::split_paths(&path).map(|dir| dir.join("nats-server")));
    }
    found
}

/// Finds a nats-server binary of a supported version.
pub fn locate() -> Result<PathBuf, NatsServerError> {
    let mut last_error = NatsServerError::NotFound;
    for path in candidates().into_iter().filter(|p| p.is_file()) {
        match check(path) {
            Ok(path) => return Ok(path),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

/// Where `free_port` picks from: below Linux's default ephemeral range
/// (32768-60999). A port picked there cannot be taken, between being
/// picked and being listened on, by a `bind(0)` elsewhere (an HTTP server
/// in a test) or by an outgoing connection's local port.
const PICK_RANGE: std::ops::RangeInclusive<u16> = 20_000..=32_767;

/// A free TCP port on loopback. Walks `PICK_RANGE` from a point chosen at
/// random once per process, so one process never hands out the same port
/// twice within a pass over the range and two processes rarely meet.
pub fn free_port() -> Result<u16, NatsServerError> {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};

    static NEXT: OnceLock<AtomicU32> = OnceLock::new();
    let width = u32::from(PICK_RANGE.end() - PICK_RANGE.start()) + 1;
    let next = NEXT.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        AtomicU32::new((hasher.finish() % u64::from(width)) as u32)
    });
    let mut last_error = None;
    for _ in 0..width {
        let offset = next.fetch_add(1, Ordering::Relaxed) % width;
        let port = PICK_RANGE.start() + offset as u16;
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => return Ok(port),
            Err(error) => last_error = Some(error),
        }
    }
    Err(NatsServerError::Port(last_error.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrInUse, "no free port")
    })))
}

/// How often `spawn` picks another port when the one picked is taken.
const PICK_ATTEMPTS: u32 = 10;

/// Whether nothing listens on `port` of 127.0.0.1.
fn listenable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A free port that is still free when checked again: picked again when
/// another process took it in between.
fn pick_listenable_port() -> Result<u16, NatsServerError> {
    let mut port = free_port()?;
    for _ in 0..PICK_ATTEMPTS {
        if listenable(port) {
            return Ok(port);
        }
        port = free_port()?;
    }
    Err(NatsServerError::PortInUse { port })
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Client port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// JetStream store directory.
    pub store_dir: PathBuf,
    /// An optional config file (`-c`); flags given here override it.
    pub config_file: Option<PathBuf>,
    /// Where the server's log goes; discarded when `None`.
    pub log_file: Option<PathBuf>,
    /// Where the server writes its pid (`-P`), so that a later owner can
    /// find it if this one dies without stopping it (`stop_leftover`).
    pub pid_file: Option<PathBuf>,
}

/// A running nats-server child. Dropping it kills the process and waits
/// for it, so no server outlives its owner.
#[derive(Debug)]
pub struct NatsServerProcess {
    child: Child,
    port: u16,
    binary: PathBuf,
}

impl NatsServerProcess {
    /// Starts the server and waits until it greets clients.
    pub fn spawn(binary: &Path, options: &ServerOptions) -> Result<Self, NatsServerError> {
        // A port someone listens on already would answer the greeting
        // waited for below while the new server fails to listen.
        let port = match options.port {
            0 => pick_listenable_port()?,
            port if listenable(port) => port,
            port => return Err(NatsServerError::PortInUse { port }),
        };
        let mut command = Command::new(binary);
        // A server without a configuration is named here, so that the
        // greeting waited for is its own and not that of another server
        // which took the port first (the name of a configured server is
        // its configuration's business).
        let name = match &options.config_file {
            Some(config) => {
                command.arg("-c").arg(config);
                None
            }
            None => {
                static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let nth = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Some(format!("efa-{}-{nth}", std::process::id()))
            }
        };
        if let Some(name) = &name {
            command.args(["-n", name]);
        }
        command
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&options.store_dir);
        if let Some(pid_file) = &options.pid_file {
            command.arg("-P").arg(pid_file);
        }
        match &options.log_file {
            Some(log) => command.arg("-l").arg(log),
            None => command.stdout(Stdio::null()).stderr(Stdio::null()),
        };
        let child =
            command
                .stdin(Stdio::null())
                .spawn()
                .map_err(|source| NatsServerError::Spawn {
                    path: binary.to_owned(),
                    source,
                })?;
        let mut server = Self {
            child,
            port,
            binary: binary.to_owned(),
        };
        server.wait_ready(Duration::from_secs(15), name.as_deref())?;
        Ok(server)
    }

    /// Waits until the server greets clients (as `name`, when given).
    fn wait_ready(
        &mut self,
        wait_max: Duration,
        name: Option<&str>,
    ) -> Result<(), NatsServerError> {
        let started = Instant::now();
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        while started.elapsed() < wait_max {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(NatsServerError::Exited { status });
            }
            if greets(address, name) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(NatsServerError::NotReady {
            port: self.port,
            waited_ms: wait_max.as_millis() as u64,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to shut down gracefully (its own `--signal quit`,
    /// so no unsafe signal code here), waits up to `wait_max`, then kills.
    pub fn terminate(&mut self, wait_max: Duration) -> Result<(), NatsServerError> {
        let asked = Command::new(&self.binary)
            .arg("--signal")
            .arg(format!("quit={}", self.child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while asked.as_ref().is_ok_and(|status| status.success()) && started.elapsed() < wait_max {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err(NatsServerError::NotReady {
            port: self.port,
            waited_ms: wait_max.as_millis() as u64,
        })
    }

    /// Whether the process has ended (a fatal error after it greeted,
    /// such as a route port taken by another process).
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the server at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NatsServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Stops a nats-server that an earlier owner started with `pid_file` and
/// `config_file` and did not stop, because it died first (killed, out of
/// memory): such a server keeps the port and the JetStream store. It is
/// asked to quit (`--signal quit`, JetStream flushes), and killed if it
/// has not ended within `wait_max`. Only a running nats-server whose
/// command line names `config_file` is touched. Returns its pid, or `None`
/// when there was none.
pub fn stop_leftover(
    binary: &Path,
    pid_file: &Path,
    config_file: &Path,
    wait_max: Duration,
) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<&[u8]> = cmdline.split(|byte| *byte == 0).collect();
    let is_nats_server = args
        .first()
        .is_some_and(|program| program.ends_with(b"nats-server"));
    let config = config_file.as_os_str().as_encoded_bytes();
    if !is_nats_server || !args.contains(&config) || !is_alive(pid) {
        return None;
    }
    for (signal, wait) in [("quit", wait_max), ("stop", Duration::from_secs(5))] {
        let _ = Command::new(binary)
            .arg("--signal")
            .arg(format!("{signal}={pid}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while started.elapsed() < wait {
            if !is_alive(pid) {
                return Some(pid);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Some(pid)
}

/// Whether process `pid` runs (an ended one waiting to be reaped does
/// not); from /proc, so always `false` where there is none.
pub fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Whether a NATS server at `address` sends its INFO greeting.
fn greets(address: SocketAddr, name: Option<&str>) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok()
        && line.starts_with("INFO")
        && name.is_none_or(|name| line.contains(&format!("\"server_name\":\"{name}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_lie_below_the_ephemeral_range_and_do_not_repeat() {
        let ports: Vec<u16> = (0..200)
            .map(|_| free_port().expect("a free port"))
            .collect();
        assert!(ports.iter().all(|port| PICK_RANGE.contains(port)));
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len());
        assert!(TcpListener::bind(("127.0.0.1", ports[0])).is_ok());
    }
}
