//! A reader that closes the pipe early (`protogen lint --list-rules | head -1`) ends protogen
//! the way it ends other Unix tools: by SIGPIPE, not by a panic (exit 101).
#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_ends_the_process_quietly() {
    // The read end is closed before protogen starts, so its first write always meets a pipe
    // without a reader. (Closing it after spawn raced: the rule list fits in the pipe buffer,
    // and a fast child had written all of it and exited 0 before the close.)
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .args(["lint", "--list-rules"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.signal(), Some(SIGPIPE), "{:?}", output.status);
}

/// SIGPIPE is 13 on every Unix protogen builds for (Linux, macOS, the BSDs).
const SIGPIPE: i32 = 13;
