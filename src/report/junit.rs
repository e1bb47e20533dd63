//! `--format junit`: JUnit XML with one test case per rule that ran; a rule with errors
//! fails, warnings go to the test case's output.

use super::{xml_escape, CheckReport, Level};

pub fn junit(report: &CheckReport) -> String {
    let failures = report
        .rules
        .iter()
        .filter(|r| {
            report
                .items
                .iter()
                .any(|i| i.rule == r.id && i.severity == Level::Error)
        })
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"{}s{}\" tests=\"{}\" failures=\"{failures}\">\n",
        report.command(),
        report.rules.len(),
        report.noun(),
        xml_escape(&report.scope()),
        report.rules.len()
    ));
    for rule in &report.rules {
        let items: Vec<_> = report.items.iter().filter(|i| i.rule == rule.id).collect();
        let line = |i: &super::Item| {
            if i.path.is_empty() {
                i.message.clone()
            } else {
                format!(
                    "{}:{}:{}: {}",
                    report.display_path(&i.path),
                    i.line,
                    i.column,
                    i.message
                )
            }
        };
        let errors: Vec<String> = items
            .iter()
            .filter(|i| i.severity == Level::Error)
            .map(|i| line(i))
            .collect();
        let warnings: Vec<String> = items
            .iter()
            .filter(|i| i.severity == Level::Warning)
            .map(|i| line(i))
            .collect();
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            match report.kind {
                super::Kind::Breaking => "breaking",
                super::Kind::Lint => "lint",
            },
            xml_escape(&rule.id)
        ));
        if errors.is_empty() && warnings.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if !errors.is_empty() {
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                xml_escape(&super::plural(errors.len(), report.noun())),
                xml_escape(&rule.id),
                xml_escape(&errors.join("\n"))
            ));
        }
        if !warnings.is_empty() {
            out.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml_escape(&warnings.join("\n"))
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n");
    out.push_str(&super::consumers::junit_suite(report));
    out.push_str("</testsuites>\n");
    out
}
