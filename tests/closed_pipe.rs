//! A reader that closes the pipe early (`protogen lint --list-rules | head -1`) ends protogen
//! the way it ends other Unix tools: by SIGPIPE, not by a panic (exit 101).
#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_ends_the_process_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .args(["lint", "--list-rules"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before protogen writes anything.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        output.status.signal(),
        Some(libc_sigpipe()),
        "{:?}",
        output.status
    );
}

/// SIGPIPE is 13 on every Unix protogen builds for (Linux, macOS, the BSDs).
fn libc_sigpipe() -> i32 {
    13
}
