//! `protogen check`: loads the baseline and the current contract (in parallel), judges
//! the differences with the configured rules, prints the report, returns 0, 1 or 2.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{CheckArgs, Format};
use crate::compat::{self, Finding, RuleSet, Severity};
use crate::config::Config;
use crate::contract::{self, Source};
use crate::report::{self, AcknowledgedItem, CheckReport, Item, Level, RuleInfo};

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if args.list_rules {
        print!("{}", list_rules());
        return Ok(ExitCode::SUCCESS);
    }
    let against = args
        .against
        .as_deref()
        .context("--against BASELINE is required")?;
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!(
            "the module root {} is not a directory\nhelp: pass the folder that holds your .proto files (their import root)",
            root.display()
        );
    }
    let config = Config::load(root, args.config.as_deref())?;
    let rules = compat::root_rules(&config)?;
    let options = config.load_options();
    let baseline_source = Source::resolve(against, root)
        .with_context(|| format!("cannot read the baseline '{against}'"))?;
    let current_source = Source::Dir(root.clone());

    // Both sides are compiled (or found in the cache) on two cores; then only the files that
    // can differ are decoded and judged, unless consumers need the whole current contract.
    // The baseline is laid out with its own configuration, as buf builds it.
    let t = crate::timing::span("prepare_both");
    let baseline_options = super::own_layout(&baseline_source, "baseline", &options)?;
    // The lock files are found once, while the contracts compile (the walk covers the whole
    // git repository); an error is reported by `judge_consumers`, after the contract's own.
    let (prepared, locks) = std::thread::scope(|scope| {
        let locks = scope.spawn(|| {
            let _t = crate::timing::span("find_locks");
            crate::consumers::find_locks(root, args.consumers.as_deref())
        });
        let prepared = contract::prepare_both(
            (&baseline_source, &baseline_options),
            (&current_source, &options),
        );
        (
            prepared,
            locks.join().expect("finding lock files does not panic"),
        )
    });
    let (baseline, loaded) = prepared?;
    drop(t);
    let decode = if args.consumers.is_some() || locks.as_ref().map_or(true, |l| !l.is_empty()) {
        compat::Decode::WholeCurrent
    } else {
        compat::Decode::Judged
    };
    let compat::Judged {
        judgement,
        baseline: judged_baseline,
        mut current,
        quoted,
    } = {
        let _t = crate::timing::span("judge_loaded");
        compat::judge_loaded(&config, &baseline, &loaded, true, decode)?
    };
    let t = crate::timing::span("report");
    drop(baseline);
    // Only text reports quote source lines: the others need no file read for them.
    if matches!(args.format, Format::Text) {
        loaded.add_sources(&mut current, &quoted);
    }
    let consumer_rules = RuleSet::from_ids(&config.consumers.use_, &config.consumers.except)
        .with_context(|| match &config.source {
            Some(path) => format!("invalid [consumers] rules in {}", path.display()),
            None => "invalid consumer rules".to_string(),
        })?;
    let consumers = crate::consumers::judge_consumers(
        locks,
        args.consumers.as_deref(),
        &current,
        &judgement.findings,
        &consumer_rules,
        consumer_rules_label(&config.consumers),
    )?;
    let broken_consumers = consumers.as_ref().map_or(0, |c| c.broken());
    let report = CheckReport {
        kind: report::Kind::Breaking,
        items: judgement.findings.iter().map(item).collect(),
        acknowledged: judgement
            .acknowledged
            .iter()
            .map(|a| AcknowledgedItem {
                item: item(&a.finding),
                acknowledged_by: a.by.to_string(),
                reason: a.reason.clone(),
            })
            .collect(),
        rules: compat::RULES
            .iter()
            .filter(|r| rules.is_enabled(r.id))
            .map(|r| RuleInfo {
                id: r.id.to_string(),
                meaning: r.meaning.to_string(),
            })
            .collect(),
        // Keyed like the findings' paths: from the module root, build roots included.
        sources: current
            .sources
            .iter()
            .map(|(name, text)| (current.path_of(name).to_string(), text.clone()))
            .collect(),
        root_prefix: root_prefix(root),
        baseline: baseline_source.to_string(),
        consumers,
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
    drop(t);
    // The process ends next: freeing the decoded contracts one descriptor at a time was 5%
    // of a cold run, for memory the exit gives back at once.
    std::mem::forget((judged_baseline, current, loaded, report));
    Ok(if judgement.errors() > 0 || broken_consumers > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `WIRE_JSON`, or `WIRE except FIELD_SAME_NAME`.
fn consumer_rules_label(rules: &crate::config::ConsumerRules) -> String {
    let mut label = rules.use_.join(", ");
    if !rules.except.is_empty() {
        label.push_str(&format!(" except {}", rules.except.join(", ")));
    }
    label
}

pub(super) fn item(finding: &Finding) -> Item {
    Item {
        rule: finding.rule.to_string(),
        path: finding.path.clone(),
        line: finding.line,
        column: finding.column,
        message: finding.message.clone(),
        severity: match finding.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        },
        element: finding.element.clone(),
    }
}

/// `proto/` for a module root `proto` or `./proto/`, nothing for `.`.
pub(super) fn root_prefix(root: &Path) -> String {
    let text: Vec<String> = root
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| match c {
            // The root's own "/" comes back from the join; as a component it would double it.
            std::path::Component::RootDir => String::new(),
            c => c.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    let text = text.join("/");
    if text.is_empty() || text == "." {
        String::new()
    } else {
        format!("{text}/")
    }
}

fn list_rules() -> String {
    let width = compat::RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let cat_width = compat::RULES
        .iter()
        .map(|r| r.categories.join(",").len())
        .max()
        .unwrap_or(0);
    let mut out = format!("{:width$}  {:cat_width$}  MEANING\n", "RULE", "CATEGORIES");
    for rule in compat::RULES {
        out.push_str(&format!(
            "{:width$}  {:cat_width$}  {}\n",
            rule.id,
            rule.categories.join(","),
            rule.meaning
        ));
    }
    out.push_str(&format!(
        "\n{} rules. Default: FILE. Choose with `use`/`except` in protogen.toml [breaking] or buf.yaml `breaking:`.\n",
        compat::RULES.len()
    ));
    out
}
