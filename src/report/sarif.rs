//! `--format sarif`: SARIF 2.1.0 for code-scanning upload.

use serde_json::json;

use super::{CheckReport, Level};

pub fn sarif(report: &CheckReport) -> String {
    let rules: Vec<_> = report
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.meaning },
                "helpUri": format!("https://buf.build/docs/breaking/rules/#{}", r.id.to_ascii_lowercase()),
            })
        })
        .collect();
    let mut results: Vec<_> = report
        .items
        .iter()
        .map(|item| {
            let mut result = json!({
                "ruleId": item.rule,
                "level": match item.severity { Level::Error => "error", Level::Warning => "warning" },
                "message": { "text": item.message },
            });
            if let Some(index) = report.rules.iter().position(|r| r.id == item.rule) {
                result["ruleIndex"] = json!(index);
            }
            let uri = if item.path.is_empty() {
                report.root_prefix.clone()
            } else {
                report.display_path(&item.path)
            };
            if !uri.is_empty() {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": { "startLine": item.line.max(1), "startColumn": item.column.max(1) },
                    }
                }]);
            }
            result
        })
        .collect();
    results.extend(super::consumers::sarif_results(report));
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "protogen",
                "informationUri": "https://github.com/protogen/protogen",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&value).expect("sarif serializes");
    out.push('\n');
    out
}
