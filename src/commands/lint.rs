//! `protogen lint`: loads the module's contract and its lint settings, runs buf's lint rules,
//! prints the findings in the chosen format, returns 0 (none), 1 (findings) or 2 (bad input).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Format, LintArgs};
use crate::compat;
use crate::config::BufVersion;
use crate::config::Config;
use crate::contract::{self, Side, Source};
use crate::lint::{self, RuleSet};
use crate::report::{self, CheckReport, RuleInfo};

use super::check::{item, root_prefix};

pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    if args.list_rules {
        print!("{}", list_rules());
        return Ok(ExitCode::SUCCESS);
    }
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!(
            "the module root {} is not a directory\nhelp: pass the folder that holds your .proto files (their import root)",
            root.display()
        );
    }
    let config = Config::load(root, args.config.as_deref())?;
    let invalid = |module: Option<&Path>| {
        let mut text = match &config.source {
            Some(path) => format!("invalid lint rules in {}", path.display()),
            None => "invalid lint rules".to_string(),
        };
        if let Some(module) = module {
            text.push_str(&format!(" (module {})", module.display()));
        }
        text
    };
    // One rule set per module of a workspace (buf.work.yaml, buf.yaml v2 `modules:`), each
    // with its folder; the module root alone otherwise.
    let modules: Vec<(RuleSet, Option<String>)> = if config.modules.is_empty() {
        vec![(
            RuleSet::from_config(&config.lint).with_context(|| invalid(None))?,
            None,
        )]
    } else {
        config
            .modules
            .iter()
            .map(|m| {
                let rules =
                    RuleSet::from_config(&m.lint).with_context(|| invalid(Some(&m.path)))?;
                Ok((rules, Some(format!("{}/", m.path.display()))))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let loaded = contract::prepare(
        &Source::Dir(root.clone()),
        Side::Current,
        &config.load_options(),
    )?;
    let lint::Linted {
        mut findings,
        mut contract,
        reused,
    } = lint::lint_loaded(&loaded, &modules)?;
    // Only text reports quote source lines, some of them of files whose findings were reused.
    if matches!(args.format, Format::Text) {
        loaded.add_sources(&mut contract, &reused);
    }
    compat::sort(&mut findings);
    let report = CheckReport {
        kind: report::Kind::Lint,
        items: findings.iter().map(item).collect(),
        acknowledged: Vec::new(),
        rules: lint::RULES
            .iter()
            .filter(|r| modules.iter().any(|(rules, _)| rules.is_enabled(r.id)))
            .map(|r| RuleInfo {
                id: r.id.to_string(),
                meaning: r.purpose.to_string(),
            })
            .collect(),
        // Keyed like the findings' paths: from the module root.
        sources: contract
            .sources
            .iter()
            .map(|(name, text)| (contract.path_of(name).to_string(), text.clone()))
            .collect(),
        root_prefix: root_prefix(root),
        baseline: String::new(),
        consumers: None,
    };
    let out = match args.format {
        Format::Text => report::text(&report),
        Format::Json => report::json(&report),
        Format::Github => report::github(&report),
        Format::Markdown => report::markdown(&report),
        Format::Sarif => report::sarif(&report),
        Format::Junit => report::junit(&report),
    };
    print!("{out}");
    // The process ends next: freeing the decoded contract one descriptor at a time costs
    // more than the exit, which gives the memory back at once.
    std::mem::forget((contract, loaded, report));
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn list_rules() -> String {
    let rows: Vec<(&str, String, &str)> = lint::RULES
        .iter()
        .map(|r| {
            let categories = match r.in_version(BufVersion::V2) {
                Some(v2) => v2.categories.join(","),
                None => format!(
                    "(v1beta1 only: {})",
                    r.v1beta1
                        .map(|v| v.categories.join(","))
                        .unwrap_or_default()
                ),
            };
            (r.id, categories, r.purpose)
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let cat_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut out = format!(
        "{:width$}  {:cat_width$}  PURPOSE\n",
        "RULE", "CATEGORIES (v2)"
    );
    for (id, categories, purpose) in &rows {
        out.push_str(&format!(
            "{id:width$}  {categories:cat_width$}  {purpose}\n"
        ));
    }
    out.push_str(&format!(
        "\n{} rules. Default: STANDARD (v1beta1, v1: DEFAULT). Choose with `use`/`except` in protogen.toml [lint] or buf.yaml `lint:`;\nv1 and v1beta1 names (DEFAULT, FILE_LAYOUT, PACKAGE_AFFINITY, SENSIBLE, STYLE_BASIC, STYLE_DEFAULT, OTHER) work in those versions.\n",
        rows.len()
    ));
    out
}
