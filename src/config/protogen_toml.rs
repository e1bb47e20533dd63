//! protogen.toml's `[module]`, `[breaking]`, `[consumers]` and `[lint]` (read as buf.yaml v2);
//! the other tables are the workspace's (scaffold reads them).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::bail;
use serde::Deserialize;

use super::lint::{resolve, LintSection};
use super::{AllowEntry, Breaking, BufVersion, Config, ConsumerRules, Selection};

#[derive(Deserialize)]
struct TomlFile {
    #[serde(default)]
    module: TomlModule,
    #[serde(default)]
    breaking: Option<TomlBreaking>,
    #[serde(default)]
    consumers: Option<TomlConsumers>,
    #[serde(default)]
    lint: Option<LintSection>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TomlConsumers {
    #[serde(rename = "use")]
    use_: Option<Vec<String>>,
    #[serde(default)]
    except: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TomlModule {
    #[serde(default)]
    excludes: Vec<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TomlBreaking {
    #[serde(rename = "use")]
    use_: Option<Vec<String>>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    ignore_only: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    ignore_unstable_packages: bool,
    /// Rule ID or category → `warn` or `error`.
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    allow: Vec<AllowEntry>,
}

pub fn parse_protogen_toml(text: &str) -> anyhow::Result<Config> {
    let file: TomlFile = toml::from_str(text)?;
    let lint = resolve(file.lint.unwrap_or_default(), BufVersion::V2, "")?;
    let b = file.breaking.unwrap_or_default();
    let consumers = file.consumers.unwrap_or_default();
    let mut warn = Vec::new();
    for (rule, level) in b.severity {
        match level.as_str() {
            "warn" | "warning" => warn.push(rule),
            "error" => {}
            other => bail!("severity of {rule} is '{other}'; use \"warn\" or \"error\""),
        }
    }
    Ok(Config {
        source: None,
        excludes: file.module.excludes,
        breaking: Breaking {
            rules: Selection::new(b.use_, b.except, b.ignore, b.ignore_only, ""),
            ignore_unstable_packages: b.ignore_unstable_packages,
            warn,
            allow: b.allow,
            version: BufVersion::V2,
        },
        consumers: ConsumerRules {
            use_: consumers
                .use_
                .unwrap_or_else(|| ConsumerRules::default().use_),
            except: consumers.except,
        },
        lint,
        ..Config::default()
    })
}
