//! The `efa` binary as a user runs it: real child processes, real signals.

#![allow(clippy::unwrap_used)] // test harness code: a failed setup step should fail the test loudly

mod client;
mod crash;
mod faults;
mod generate;
mod import;
mod projector_crash;
mod up;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const EFA: &str = env!("CARGO_BIN_EXE_efa");

/// A child process killed (SIGKILL) on drop, so no test leaves one behind.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn efa(args: &[&str]) -> Command {
    let mut command = Command::new(EFA);
    command
        .args(args)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn");
    command
}

/// Sends SIGTERM the way an operator's `kill` does.
pub fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until `$SRV.PING.<service>` answers on `client`.
pub async fn wait_for_service(client: &async_nats::Client, service: &str) {
    for _ in 0..500 {
        if client
            .request(format!("$SRV.PING.{service}"), "".into())
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{service} did not come up");
}
