//! The CI recipes in docs/ci.md must keep working: every protogen command line in them parses
//! with today's command-line definitions, and the clones they make are not shallow.

use clap::Parser;
use protogen::cli::Cli;

/// Splits a shell command line into words, honouring double and single quotes.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn every_protogen_command_in_the_ci_docs_parses() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci.md")).unwrap();
    let mut seen = Vec::new();
    let mut in_code = false;
    for line in docs.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        let line = line.trim().trim_start_matches("- ");
        let Some(start) = line.find("protogen ") else {
            continue;
        };
        let command = &line[start..];
        // Only command lines: `protogen diff ...` / `protogen check ...`, up to a redirect or comment.
        if !(command.starts_with("protogen diff") || command.starts_with("protogen check")) {
            continue;
        }
        let command = command.split(" > ").next().unwrap();
        let command = command.split(" #").next().unwrap();
        let args = words(command);
        if let Err(error) = Cli::try_parse_from(&args) {
            panic!("docs/ci.md: `{command}` does not parse:\n{error}");
        }
        seen.push(args[1].clone());
    }
    assert!(
        seen.iter().filter(|c| *c == "diff").count() >= 3,
        "{seen:?}"
    );
    assert!(
        seen.iter().filter(|c| *c == "check").count() >= 2,
        "{seen:?}"
    );
    assert!(docs.contains("fetch-depth: 0"));
    assert!(docs.contains("GIT_DEPTH: \"0\""));
    // The cache of compiled files is kept between runs on both.
    assert!(docs.contains("uses: actions/cache@v4") && docs.contains("path: ~/.cache/protogen"));
    assert!(docs.contains("paths: [.protogen-cache/]"));
}
