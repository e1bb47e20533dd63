//! `--format text`: rustc-style diagnostics with the rule ID, the source line and a caret,
//! then a summary line.

use super::{plural, CheckReport, Item};

fn diagnostic(
    report: &CheckReport,
    out: &mut String,
    label: &str,
    item: &Item,
    note: Option<String>,
) {
    out.push_str(&format!("{label}[{}]: {}\n", item.rule, item.message));
    if item.path.is_empty() {
        out.push_str(&format!(
            "  = note: {} exists only in the baseline\n",
            item.element
        ));
    } else {
        let gutter = item.line.to_string().len();
        let pad = " ".repeat(gutter);
        out.push_str(&format!(
            "{pad}--> {}:{}:{}\n",
            report.display_path(&item.path),
            item.line,
            item.column
        ));
        if let Some(source) = report.source_line(&item.path, item.line) {
            let shown = crate::contract::snippet::excerpt(source, item.column as usize, 1);
            out.push_str(&format!(
                "{pad} |\n{} | {}\n{pad} | {}\n",
                item.line, shown.text, shown.caret
            ));
        }
    }
    if let Some(note) = note {
        out.push_str(&format!("  = {note}\n"));
    }
    out.push('\n');
}

pub fn text(report: &CheckReport) -> String {
    let mut out = String::new();
    for item in &report.items {
        diagnostic(report, &mut out, item.severity.word(), item, None);
    }
    for ack in &report.acknowledged {
        let note = format!(
            "acknowledged in {}: {}",
            ack.acknowledged_by,
            if ack.reason.is_empty() {
                "(no reason given)"
            } else {
                &ack.reason
            }
        );
        diagnostic(report, &mut out, "note", &ack.item, Some(note));
    }
    out.push_str(&super::consumers::text(report));
    let (errors, warnings) = (report.errors(), report.warnings());
    let broken = report.consumers.as_ref().map_or(0, |c| c.broken());
    let acknowledged = if report.acknowledged.is_empty() {
        String::new()
    } else {
        format!(
            ", {} acknowledged",
            plural(report.acknowledged.len(), "break")
        )
    };
    if errors == 0 && broken > 0 {
        out.push_str(&format!(
            "error: {} broken by the contract, though nothing breaks against {} ({}{acknowledged})\n",
            plural(broken, "consumer"),
            report.baseline,
            plural(warnings, "warning")
        ));
    } else if errors > 0 {
        out.push_str(&format!(
            "error: {}{} ({}{acknowledged})\n",
            plural(errors, report.noun()),
            report.scope(),
            plural(warnings, "warning")
        ));
    } else {
        out.push_str(&format!(
            "ok: no {}s{} ({}{acknowledged})\n",
            report.noun(),
            report.scope(),
            plural(warnings, "warning")
        ));
    }
    out
}
