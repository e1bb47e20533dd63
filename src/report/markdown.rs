//! `--format markdown`: a summary for pull-request comments, errors first.

use super::{plural, CheckReport, Level};

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(report: &CheckReport) -> String {
    let (errors, warnings) = (report.errors(), report.warnings());
    let mut out = String::new();
    if errors == 0 && warnings == 0 {
        out.push_str(&format!(
            "### ✅ {}: no {}s{}\n",
            report.command(),
            report.noun(),
            report.scope()
        ));
    } else {
        let icon = if errors > 0 { "❌" } else { "⚠️" };
        out.push_str(&format!(
            "### {icon} {}: {}, {}{}\n\n",
            report.command(),
            plural(errors, report.noun()),
            plural(warnings, "warning"),
            report.scope()
        ));
        let what = match report.kind {
            super::Kind::Breaking => "What breaks",
            super::Kind::Lint => "What to fix",
        };
        out.push_str(&format!(
            "| | Rule | Location | {what} |\n|---|---|---|---|\n"
        ));
        let mut items: Vec<_> = report.items.iter().collect();
        items.sort_by_key(|i| i.severity == Level::Warning);
        for item in items {
            let icon = match item.severity {
                Level::Error => "❌",
                Level::Warning => "⚠️",
            };
            let location = if item.path.is_empty() {
                "—".to_string()
            } else {
                format!(
                    "`{}:{}:{}`",
                    report.display_path(&item.path),
                    item.line,
                    item.column
                )
            };
            out.push_str(&format!(
                "| {icon} | `{}` | {location} | {} |\n",
                item.rule,
                cell(&item.message)
            ));
        }
    }
    if !report.acknowledged.is_empty() {
        out.push_str(&format!(
            "\n<details><summary>{} acknowledged</summary>\n\n",
            plural(report.acknowledged.len(), "intended break")
        ));
        for ack in &report.acknowledged {
            out.push_str(&format!(
                "- `{}` `{}:{}`: {} — *{}* ({})\n",
                ack.item.rule,
                report.display_path(&ack.item.path),
                ack.item.line,
                cell(&ack.item.message),
                cell(&ack.reason),
                ack.acknowledged_by
            ));
        }
        out.push_str("\n</details>\n");
    }
    out.push_str(&super::consumers::markdown(report));
    out
}
