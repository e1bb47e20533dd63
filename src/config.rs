//! Configuration: protogen.toml and buf.yaml (v1, v2) resolved into one type, found in the
//! module root or named with `--config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::contract::LoadOptions;

/// The resolved configuration, whatever file it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file it was read from; `None` when there is none and defaults apply.
    pub source: Option<PathBuf>,
    /// Paths relative to the module root that are not part of the module (buf's `excludes`).
    pub excludes: Vec<PathBuf>,
    pub breaking: Breaking,
    /// How deployed consumers are judged against their locks (`[consumers]`).
    pub consumers: ConsumerRules,
    /// `protogen lint` settings (buf.yaml `lint:`, protogen.toml `[lint]`), parsed by `lint::config`.
    pub lint: crate::lint::LintConfig,
}

/// The `[consumers]` settings: rule IDs and categories (default `WIRE_JSON`: what old
/// binaries and JSON clients can still read), with buf's `use`/`except` meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerRules {
    pub use_: Vec<String>,
    pub except: Vec<String>,
}

impl Default for ConsumerRules {
    fn default() -> Self {
        ConsumerRules {
            use_: vec!["WIRE_JSON".to_string()],
            except: Vec::new(),
        }
    }
}

/// The `[breaking]` settings, with buf's meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Breaking {
    /// Rule IDs and categories to run (default `FILE`).
    pub use_: Vec<String>,
    pub except: Vec<String>,
    /// Files or directories whose findings are dropped.
    pub ignore: Vec<String>,
    /// Rule ID or category → files or directories whose findings for it are dropped.
    pub ignore_only: BTreeMap<String, Vec<String>>,
    pub ignore_unstable_packages: bool,
    /// Rule IDs or categories that only warn (reported, exit code 0).
    pub warn: Vec<String>,
    /// Acknowledged breaks, one element each.
    pub allow: Vec<AllowEntry>,
    /// From a buf.yaml v1: its categories lack the rules buf added in v2.
    pub buf_v1: bool,
}

impl Default for Breaking {
    fn default() -> Self {
        Breaking {
            use_: vec!["FILE".to_string()],
            except: Vec::new(),
            ignore: Vec::new(),
            ignore_only: BTreeMap::new(),
            ignore_unstable_packages: false,
            warn: Vec::new(),
            allow: Vec::new(),
            buf_v1: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub rule: String,
    /// Full name of the element (`users.v1.User.role`), or the file name for file rules.
    pub element: String,
    #[serde(default)]
    pub reason: String,
}

impl Config {
    /// Reads `explicit` if given, else `protogen.toml` or `buf.yaml` in `module_root`,
    /// else returns the defaults.
    pub fn load(module_root: &Path, explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = match explicit {
            Some(path) => {
                if !path.is_file() {
                    bail!("configuration file {} does not exist", path.display());
                }
                path.to_path_buf()
            }
            None => {
                let found = ["protogen.toml", "buf.yaml", "buf.yml"]
                    .iter()
                    .map(|name| module_root.join(name))
                    .find(|p| p.is_file());
                match found {
                    Some(path) => path,
                    None => return Ok(Config::default()),
                }
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let mut config = if is_yaml {
            parse_buf_yaml(&text)
        } else {
            parse_protogen_toml(&text)
        }
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
        config.lint = crate::lint::config::parse(&text, is_yaml)
            .with_context(|| format!("invalid configuration in {}", path.display()))?;
        config.source = Some(path);
        Ok(config)
    }

    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            excludes: self.excludes.clone(),
        }
    }
}

// ---- protogen.toml ----

#[derive(Deserialize)]
struct TomlFile {
    #[serde(default)]
    module: TomlModule,
    #[serde(default)]
    breaking: Option<TomlBreaking>,
    #[serde(default)]
    consumers: Option<TomlConsumers>,
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
            use_: b.use_.unwrap_or_else(|| vec!["FILE".to_string()]),
            except: b.except,
            ignore: b.ignore,
            ignore_only: b.ignore_only,
            ignore_unstable_packages: b.ignore_unstable_packages,
            warn,
            allow: b.allow,
            buf_v1: false,
        },
        consumers: ConsumerRules {
            use_: consumers
                .use_
                .unwrap_or_else(|| ConsumerRules::default().use_),
            except: consumers.except,
        },
        lint: Default::default(),
    })
}

// ---- buf.yaml ----

#[derive(Deserialize)]
struct BufYaml {
    version: Option<String>,
    #[serde(default)]
    build: Option<BufBuild>,
    #[serde(default)]
    breaking: Option<BufBreaking>,
    #[serde(default)]
    modules: Vec<BufModule>,
}

#[derive(Deserialize)]
struct BufBuild {
    #[serde(default)]
    excludes: Vec<String>,
}

#[derive(Deserialize, Clone, Default)]
struct BufBreaking {
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
}

#[derive(Deserialize)]
struct BufModule {
    path: String,
    #[serde(default)]
    excludes: Vec<String>,
    #[serde(default)]
    breaking: Option<BufBreaking>,
}

pub fn parse_buf_yaml(text: &str) -> anyhow::Result<Config> {
    let file: BufYaml = serde_norway::from_str(text)?;
    let version = file.version.as_deref().unwrap_or("v1beta1");
    match version {
        "v1" | "v1beta1" => {
            let b = file.breaking.unwrap_or_default();
            Ok(Config {
                source: None,
                excludes: file
                    .build
                    .map(|b| b.excludes.into_iter().map(PathBuf::from).collect())
                    .unwrap_or_default(),
                breaking: from_buf(b, "", true),
                consumers: ConsumerRules::default(),
                lint: Default::default(),
            })
        }
        "v2" => {
            // The module whose directory is the module root: path "." or the only one.
            let module = file
                .modules
                .iter()
                .find(|m| normalize(&m.path).is_empty())
                .or(if file.modules.len() == 1 {
                    file.modules.first()
                } else {
                    None
                });
            let prefix = module.map(|m| normalize(&m.path)).unwrap_or_default();
            let breaking = module
                .and_then(|m| m.breaking.clone())
                .or(file.breaking)
                .unwrap_or_default();
            Ok(Config {
                source: None,
                excludes: module
                    .map(|m| {
                        m.excludes
                            .iter()
                            .map(|e| PathBuf::from(relative_to(e, &prefix)))
                            .collect()
                    })
                    .unwrap_or_default(),
                breaking: from_buf(breaking, &prefix, false),
                consumers: ConsumerRules::default(),
                lint: Default::default(),
            })
        }
        other => bail!("unknown buf.yaml version '{other}' (expected v1 or v2)"),
    }
}

fn from_buf(b: BufBreaking, prefix: &str, buf_v1: bool) -> Breaking {
    let paths = |v: Vec<String>| v.iter().map(|p| relative_to(p, prefix)).collect();
    Breaking {
        use_: b.use_.unwrap_or_else(|| vec!["FILE".to_string()]),
        except: b.except,
        ignore: paths(b.ignore),
        ignore_only: b
            .ignore_only
            .into_iter()
            .map(|(k, v)| (k, paths(v)))
            .collect(),
        ignore_unstable_packages: b.ignore_unstable_packages,
        warn: Vec::new(),
        allow: Vec::new(),
        buf_v1,
    }
}

fn normalize(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}

/// buf v2 paths are relative to buf.yaml's folder; ours to the module root below it.
fn relative_to(path: &str, prefix: &str) -> String {
    let path = normalize(path);
    if prefix.is_empty() {
        return path;
    }
    match path.strip_prefix(prefix) {
        Some("") => String::new(),
        Some(rest) if rest.starts_with('/') => rest[1..].to_string(),
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buf_v1() {
        let c = parse_buf_yaml(
            "version: v1\nbuild:\n  excludes: [vendor]\nbreaking:\n  use: [WIRE]\n  except: [FIELD_SAME_DEFAULT]\n  ignore: [legacy]\n  ignore_only:\n    FIELD_NO_DELETE: [a.proto]\n  ignore_unstable_packages: true\n",
        )
        .unwrap();
        assert_eq!(c.excludes, vec![PathBuf::from("vendor")]);
        assert_eq!(c.breaking.use_, ["WIRE"]);
        assert_eq!(c.breaking.except, ["FIELD_SAME_DEFAULT"]);
        assert_eq!(c.breaking.ignore, ["legacy"]);
        assert_eq!(c.breaking.ignore_only["FIELD_NO_DELETE"], ["a.proto"]);
        assert!(c.breaking.ignore_unstable_packages);
        assert!(c.breaking.buf_v1);
    }

    #[test]
    fn buf_v2_module_settings_replace_the_top_level() {
        let c = parse_buf_yaml(
            "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/vendor]\n    breaking:\n      use: [PACKAGE]\n      ignore: [proto/legacy]\nbreaking:\n  use: [WIRE]\n",
        )
        .unwrap();
        assert_eq!(c.excludes, vec![PathBuf::from("vendor")]);
        assert_eq!(c.breaking.use_, ["PACKAGE"]);
        assert_eq!(c.breaking.ignore, ["legacy"]);
        assert!(!c.breaking.buf_v1);

        let top =
            parse_buf_yaml("version: v2\nmodules:\n  - path: .\nbreaking:\n  use: [WIRE_JSON]\n")
                .unwrap();
        assert_eq!(top.breaking.use_, ["WIRE_JSON"]);
        let bare = parse_buf_yaml("version: v2\n").unwrap();
        assert_eq!(bare.breaking.use_, ["FILE"]);
    }

    #[test]
    fn protogen_toml() {
        let c = parse_protogen_toml(
            "[module]\nexcludes = [\"third_party\"]\n\n[breaking]\nuse = [\"FILE\", \"WIRE\"]\nignore_unstable_packages = true\n[breaking.severity]\nFIELD_SAME_JSON_NAME = \"warn\"\n[[breaking.allow]]\nrule = \"FIELD_NO_DELETE\"\nelement = \"users.v1.User.role\"\nreason = \"moved to authz\"\n",
        )
        .unwrap();
        assert_eq!(c.excludes, vec![PathBuf::from("third_party")]);
        assert_eq!(c.breaking.use_, ["FILE", "WIRE"]);
        assert_eq!(c.breaking.warn, ["FIELD_SAME_JSON_NAME"]);
        assert_eq!(c.breaking.allow[0].element, "users.v1.User.role");
        assert!(parse_protogen_toml("[breaking]\nuse_ = [\"FILE\"]\n").is_err());
        assert!(parse_protogen_toml("[breaking.severity]\nFILE = \"loud\"\n").is_err());
        assert_eq!(
            parse_protogen_toml("").unwrap().breaking,
            Breaking::default()
        );
    }
}
