//! `protogen diff`: loads both contracts, diffs them, judges them through `check`'s own
//! judge (`compat::judge_loaded`, per workspace module), prints the changelog. Exit 0 always.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{DiffArgs, DiffFormat};
use crate::compat;
use crate::config::Config;
use crate::contract::{self, Source};
use crate::diff::{self, DiffOptions};
use crate::report::{changelog_json, changelog_markdown, changelog_text};

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old_source = Source::resolve(&args.old, &args.path)
        .with_context(|| format!("the old contract '{}' could not be found", args.old))?;
    let new_source = match &args.new {
        Some(spec) => Source::resolve(spec, &args.path)
            .with_context(|| format!("the new contract '{spec}' could not be found"))?,
        None => Source::Dir(args.path.clone()),
    };
    let config = load_config(&args, &new_source)?;
    compat::root_rules(&config)?;
    // Each side laid out with its own configuration (the working tree with the module root's).
    let options = config.load_options();
    let old_options = super::own_layout(&old_source, "old", &options)?;
    let new_options = match &args.new {
        Some(_) => super::own_layout(&new_source, "new", &options)?,
        None => options.clone(),
    };
    let (old, new) =
        contract::prepare_both((&old_source, &old_options), (&new_source, &new_options))?;
    // `check`'s judge, so the breaking section is exactly `check`'s findings: a workspace
    // module is judged with its own rules. Each side decodes what the changelog can name
    // (files alike on both sides, outside changed packages and without events, add nothing).
    let compat::Judged {
        judgement,
        baseline: old,
        current: new,
        ..
    } = compat::judge_loaded(&config, &old, &new, true, compat::Decode::Changelog)?;

    for (side, contract) in [("old", &old), ("new", &new)] {
        contract::events::events(contract)
            .with_context(|| format!("the {side} contract's events could not be read"))?;
    }
    let changes = diff::compare(
        &old,
        &new,
        &DiffOptions {
            include_docs: args.include_docs,
        },
    );
    let new_name = args
        .new
        .clone()
        .unwrap_or_else(|| "working tree".to_string());
    let changelog = diff::judge(
        args.old.clone(),
        new_name,
        changes,
        judgement.findings,
        judgement.acknowledged,
    );

    let out = match args.format {
        DiffFormat::Json => changelog_json::render(&changelog),
        DiffFormat::Markdown => changelog_markdown::render(
            &changelog,
            &changelog_markdown::Options {
                link_base: args.link_base.as_deref(),
            },
        ),
        DiffFormat::Text => changelog_text::render(
            &changelog,
            &changelog_text::Options {
                color: wants_color(),
            },
        ),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`protogen diff ... | head`) is not an error worth a message.
    if let Err(error) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(error).context("cannot write the changelog to stdout");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `check`'s configuration: `--config`, else the module root's protogen.toml or buf.yaml;
/// when the module root has none and NEW is a directory, NEW's own (as `check NEW` would).
fn load_config(args: &DiffArgs, new: &Source) -> anyhow::Result<Config> {
    let config = Config::load(&args.path, args.config.as_deref())?;
    match new {
        Source::Dir(dir) if config.source.is_none() && dir != &args.path => Config::load(dir, None),
        _ => Ok(config),
    }
}

/// Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org).
fn wants_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
