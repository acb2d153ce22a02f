//! CPU pinning through `taskset` (util-linux), so the benches need no
//! `unsafe` and no extra crate.
//!
//! The end-to-end bench pins itself (and so every thread it starts later) to
//! [`CLIENT_CORE`] and starts its server under `taskset -c 0`, so client and
//! server never share a core on a 2-core machine.

use std::process::{Command, Stdio};

/// The core the servers run on.
pub const SERVER_CORE: usize = 0;
/// The core the clients (and the sans-IO benches) run on.
pub const CLIENT_CORE: usize = 1;

/// How many CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whether pinning is possible: `taskset` exists and there are at least two
/// cores.
pub fn available() -> bool {
    cpus() >= 2
        && Command::new("taskset")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// Pins the calling process to `core`. Call it before starting any thread:
/// threads started afterwards inherit the affinity, earlier ones keep theirs.
/// Returns whether it worked; prints why not otherwise.
pub fn pin_self(core: usize) -> bool {
    if !available() {
        eprintln!(
            "clerk-bench: not pinning (needs taskset and 2 cores; {} here)",
            cpus()
        );
        return false;
    }
    let pid = std::process::id().to_string();
    let ok = Command::new("taskset")
        .args(["-p", "-c", &core.to_string(), &pid])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("clerk-bench: `taskset -p -c {core} {pid}` failed; running unpinned");
    }
    ok
}

/// A command that runs `program` pinned to `core` when pinning is possible,
/// and unpinned otherwise.
pub fn pinned_command(core: usize, program: &str) -> Command {
    if available() {
        let mut c = Command::new("taskset");
        c.args(["-c", &core.to_string(), program]);
        c
    } else {
        Command::new(program)
    }
}
