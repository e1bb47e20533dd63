//! `--format sarif`: SARIF 2.1.0 for code-scanning upload, as a typed model of the part of the
//! format protogen writes (tests/sarif_schema.rs validates the output against the schema).
//! Fields are declared in the order they are printed (alphabetical, as before the model).

use serde::Serialize;

use super::{CheckReport, Level};

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: Vec<Run>,
    version: &'static str,
}

#[derive(Serialize)]
struct Run {
    results: Vec<SarifResult>,
    tool: Tool,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<ReportingDescriptor>,
    version: &'static str,
}

/// A rule, as SARIF describes one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    help_uri: String,
    id: String,
    name: String,
    short_description: Message,
}

/// One finding (SARIF's `result`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SarifResult {
    pub level: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    pub message: Message,
    pub rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
}

#[derive(Serialize)]
pub(super) struct Message {
    pub text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_column: u32,
    start_line: u32,
}

impl Location {
    /// A place in a file; SARIF's lines and columns start at 1, so 0 (unknown) becomes 1.
    pub fn at(uri: String, line: u32, column: u32) -> Location {
        Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: Region {
                    start_column: column.max(1),
                    start_line: line.max(1),
                },
            },
        }
    }
}

pub fn sarif(report: &CheckReport) -> String {
    let rules = report
        .rules
        .iter()
        .map(|r| ReportingDescriptor {
            help_uri: format!(
                "https://buf.build/docs/breaking/rules/#{}",
                r.id.to_ascii_lowercase()
            ),
            id: r.id.clone(),
            name: r.id.clone(),
            short_description: Message {
                text: r.meaning.clone(),
            },
        })
        .collect();
    let mut results: Vec<SarifResult> = report
        .items
        .iter()
        .map(|item| {
            let uri = if item.path.is_empty() {
                report.root_prefix.clone()
            } else {
                report.display_path(&item.path)
            };
            SarifResult {
                level: match item.severity {
                    Level::Error => "error",
                    Level::Warning => "warning",
                },
                locations: if uri.is_empty() {
                    Vec::new()
                } else {
                    vec![Location::at(uri, item.line, item.column)]
                },
                message: Message {
                    text: item.message.clone(),
                },
                rule_id: item.rule.clone(),
                rule_index: report.rules.iter().position(|r| r.id == item.rule),
            }
        })
        .collect();
    results.extend(super::consumers::sarif_results(report));
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: vec![Run {
            results,
            tool: Tool {
                driver: Driver {
                    information_uri: "https://github.com/protogen/protogen",
                    name: "protogen",
                    rules,
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    let mut out = serde_json::to_string_pretty(&log).expect("sarif serializes");
    out.push('\n');
    out
}
