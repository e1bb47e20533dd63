//! Configuration: protogen.toml, buf.yaml (v1beta1, v1, v2) and buf.work.yaml resolved into
//! one type, found in the module root or named with `--config`.

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
    /// buf.yaml v1beta1 `build.roots`: import roots relative to the module root; files are
    /// named relative to their root. Empty: the module root is the one import root.
    pub roots: Vec<PathBuf>,
    /// buf.yaml `deps:` (`buf.build/googleapis/googleapis`), which protogen does not fetch.
    pub deps: Vec<String>,
    /// The modules of a workspace (buf.work.yaml `directories`, or several buf.yaml v2
    /// `modules`), each judged with its own settings. Empty: the root is one module.
    pub modules: Vec<Module>,
}

/// The version of a buf.yaml, which decides the rule set, the categories and deprecated IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufVersion {
    V1Beta1,
    V1,
    #[default]
    V2,
}

impl BufVersion {
    pub fn name(self) -> &'static str {
        match self {
            BufVersion::V1Beta1 => "v1beta1",
            BufVersion::V1 => "v1",
            BufVersion::V2 => "v2",
        }
    }
}

/// One module of a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The module's folder relative to the workspace root (`proto`); findings are printed
    /// with it in front, as buf does.
    pub path: PathBuf,
    /// Import roots relative to the module folder (v1beta1 `build.roots`); empty: the folder.
    pub roots: Vec<PathBuf>,
    /// Relative to the module folder.
    pub excludes: Vec<PathBuf>,
    pub breaking: Breaking,
    /// The module's lint settings, paths relative to the module folder.
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
    /// The buf.yaml version the names above are written for (v2 for protogen.toml).
    pub version: BufVersion,
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
            version: BufVersion::V2,
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

/// Where `buf export` puts vendored dependencies, relative to the folder of buf.yaml.
pub const VENDOR: &str = "vendor";

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
                let found = ["protogen.toml", "buf.work.yaml", "buf.yaml", "buf.yml"]
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
        let is_work = path
            .file_name()
            .is_some_and(|n| n == "buf.work.yaml" || n == "buf.work.yml");
        let mut config = if is_work {
            let dir = path.parent().unwrap_or(Path::new("."));
            parse_buf_work_yaml(&text, dir)
        } else if is_yaml {
            parse_buf_yaml(&text)
        } else {
            parse_protogen_toml(&text)
        }
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
        // A workspace's lint settings are its modules' (`Module::lint`).
        if !is_work {
            config.lint = crate::lint::config::parse(&text, is_yaml)
                .with_context(|| format!("invalid configuration in {}", path.display()))?;
        }
        config.source = Some(path);
        Ok(config)
    }

    /// How to read the module (or the workspace: every module's roots and excludes, from
    /// the workspace root).
    pub fn load_options(&self) -> LoadOptions {
        let (mut roots, mut excludes) = (self.roots.clone(), self.excludes.clone());
        for module in &self.modules {
            if module.roots.is_empty() {
                roots.push(module.path.clone());
            }
            roots.extend(module.roots.iter().map(|r| module.path.join(r)));
            excludes.extend(module.excludes.iter().map(|e| module.path.join(e)));
        }
        LoadOptions {
            excludes,
            roots,
            deps: self.deps.clone(),
            // With dependencies declared, vendor/ holds them (`buf export ... -o vendor/`).
            vendor: (!self.deps.is_empty()).then(|| PathBuf::from(VENDOR)),
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
            version: BufVersion::V2,
        },
        consumers: ConsumerRules {
            use_: consumers
                .use_
                .unwrap_or_else(|| ConsumerRules::default().use_),
            except: consumers.except,
        },
        ..Config::default()
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
    lint: Option<serde_norway::Value>,
    #[serde(default)]
    modules: Vec<BufModule>,
    #[serde(default)]
    deps: Vec<String>,
}

#[derive(Deserialize)]
struct BufBuild {
    /// v1beta1 only.
    #[serde(default)]
    roots: Vec<String>,
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
    #[serde(default)]
    lint: Option<serde_norway::Value>,
}

pub fn parse_buf_yaml(text: &str) -> anyhow::Result<Config> {
    let file: BufYaml = serde_norway::from_str(text)?;
    let version = match file.version.as_deref().unwrap_or("v1beta1") {
        "v1beta1" => BufVersion::V1Beta1,
        "v1" => BufVersion::V1,
        "v2" => BufVersion::V2,
        other => bail!("unknown buf.yaml version '{other}' (expected v1beta1, v1 or v2)"),
    };
    match version {
        BufVersion::V1Beta1 | BufVersion::V1 => {
            let build = file.build.unwrap_or(BufBuild {
                roots: Vec::new(),
                excludes: Vec::new(),
            });
            if version == BufVersion::V1 && !build.roots.is_empty() {
                bail!("build.roots is a v1beta1 setting; buf.yaml v1 has one root, its own folder (move the files, or use `version: v1beta1`)");
            }
            let roots: Vec<String> = build.roots.iter().map(|r| normalize(r)).collect();
            let roots = if roots.iter().all(String::is_empty) {
                Vec::new()
            } else {
                roots
            };
            for exclude in &build.excludes {
                let exclude = normalize(exclude);
                let inside = roots.is_empty()
                    || roots
                        .iter()
                        .any(|r| r.is_empty() || relative_to(&exclude, r) != exclude);
                if !inside {
                    bail!(
                        "exclude \"{exclude}\" is not inside any of the build roots ({})",
                        roots.join(", ")
                    );
                }
            }
            Ok(Config {
                excludes: build
                    .excludes
                    .iter()
                    .map(|e| PathBuf::from(normalize(e)))
                    .collect(),
                roots: roots.into_iter().map(PathBuf::from).collect(),
                deps: file.deps,
                breaking: from_buf(file.breaking.unwrap_or_default(), "", version),
                ..Config::default()
            })
        }
        BufVersion::V2 => {
            // Modules in folders (or several) are a workspace: each folder is an import root.
            let workspace = file.modules.len() > 1
                || file
                    .modules
                    .first()
                    .is_some_and(|m| !normalize(&m.path).is_empty());
            if workspace {
                let top = file.breaking.unwrap_or_default();
                let modules = file
                    .modules
                    .into_iter()
                    .map(|m| {
                        let prefix = normalize(&m.path);
                        let lint = crate::lint::config::v2_module(
                            m.lint.as_ref(),
                            file.lint.as_ref(),
                            &prefix,
                        )
                        .with_context(|| format!("in the module at {}", m.path))?;
                        Ok(Module {
                            path: PathBuf::from(&prefix),
                            roots: Vec::new(),
                            excludes: m
                                .excludes
                                .iter()
                                .map(|e| PathBuf::from(relative_to(e, &prefix)))
                                .collect(),
                            breaking: from_buf(
                                m.breaking.unwrap_or_else(|| top.clone()),
                                &prefix,
                                version,
                            ),
                            lint,
                        })
                    })
                    .collect::<anyhow::Result<_>>()?;
                return Ok(Config {
                    deps: file.deps,
                    modules,
                    ..Config::default()
                });
            }
            // One module: the module root is its directory (path ".").
            let module = file.modules.first();
            let prefix = module.map(|m| normalize(&m.path)).unwrap_or_default();
            let breaking = module
                .and_then(|m| m.breaking.clone())
                .or(file.breaking)
                .unwrap_or_default();
            Ok(Config {
                excludes: module
                    .map(|m| {
                        m.excludes
                            .iter()
                            .map(|e| PathBuf::from(relative_to(e, &prefix)))
                            .collect()
                    })
                    .unwrap_or_default(),
                deps: file.deps,
                breaking: from_buf(breaking, &prefix, version),
                ..Config::default()
            })
        }
    }
}

#[derive(Deserialize)]
struct BufWorkYaml {
    version: Option<String>,
    #[serde(default)]
    directories: Vec<String>,
}

/// A buf.work.yaml in `dir`: every listed directory is a module with its own buf.yaml
/// (v1beta1 or v1; the defaults when it has none).
pub fn parse_buf_work_yaml(text: &str, dir: &Path) -> anyhow::Result<Config> {
    let file: BufWorkYaml = serde_norway::from_str(text)?;
    match file.version.as_deref() {
        Some("v1") => {}
        other => bail!(
            "unknown buf.work.yaml version '{}' (expected v1)",
            other.unwrap_or("")
        ),
    }
    if file.directories.is_empty() {
        bail!("buf.work.yaml lists no directories");
    }
    let mut modules = Vec::new();
    let mut deps = Vec::new();
    for directory in &file.directories {
        let path = normalize(directory);
        if path.is_empty() || path.starts_with("../") || path == ".." {
            bail!("directory \"{directory}\" must be a folder below buf.work.yaml");
        }
        let module_dir = dir.join(&path);
        let found = ["buf.yaml", "buf.yml"]
            .iter()
            .map(|name| module_dir.join(name))
            .find(|p| p.is_file());
        let (config, lint) = match found {
            Some(yaml) => {
                let text = std::fs::read_to_string(&yaml)
                    .with_context(|| format!("cannot read {}", yaml.display()))?;
                let config = parse_buf_yaml(&text)
                    .with_context(|| format!("invalid configuration in {}", yaml.display()))?;
                if config.breaking.version == BufVersion::V2 {
                    bail!("{} is a buf.yaml v2, which buf.work.yaml does not take: list its modules under `modules:` in a buf.yaml v2 at the workspace root instead", yaml.display());
                }
                // v1 paths are relative to the module's folder, as protogen's are.
                let lint = crate::lint::config::parse_buf_yaml(&text)
                    .with_context(|| format!("invalid configuration in {}", yaml.display()))?;
                (config, lint)
            }
            None => (Config::default(), crate::lint::config::v1_defaults()),
        };
        deps.extend(config.deps);
        modules.push(Module {
            path: PathBuf::from(path),
            roots: config.roots,
            excludes: config.excludes,
            breaking: config.breaking,
            lint,
        });
    }
    Ok(Config {
        deps,
        modules,
        ..Config::default()
    })
}

fn from_buf(b: BufBreaking, prefix: &str, version: BufVersion) -> Breaking {
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
        version,
    }
}

pub(crate) fn normalize(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}

/// buf v2 paths are relative to buf.yaml's folder; ours to the module root below it.
pub(crate) fn relative_to(path: &str, prefix: &str) -> String {
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
        assert_eq!(c.breaking.version, BufVersion::V1);
    }

    #[test]
    fn buf_v2_module_settings_replace_the_top_level() {
        let c = parse_buf_yaml(
            "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/vendor]\n    breaking:\n      use: [PACKAGE]\n      ignore: [proto/legacy]\nbreaking:\n  use: [WIRE]\n",
        )
        .unwrap();
        // A module in a folder is a workspace of one: the folder is the import root.
        let module = &c.modules[0];
        assert_eq!(module.path, PathBuf::from("proto"));
        assert_eq!(module.excludes, vec![PathBuf::from("vendor")]);
        assert_eq!(module.breaking.use_, ["PACKAGE"]);
        assert_eq!(module.breaking.ignore, ["legacy"]);
        assert_eq!(module.breaking.version, BufVersion::V2);
        assert_eq!(
            c.load_options().roots,
            [PathBuf::from("proto")],
            "files are named from the module folder"
        );

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

    #[test]
    fn buf_v1beta1_roots_and_excludes() {
        let c = parse_buf_yaml(
            "version: v1beta1\nbuild:\n  roots: [proto, ./vendor/]\n  excludes: [proto/skip]\nbreaking:\n  use: [FIELD_SAME_LABEL]\n",
        )
        .unwrap();
        assert_eq!(c.roots, [PathBuf::from("proto"), PathBuf::from("vendor")]);
        assert_eq!(c.excludes, [PathBuf::from("proto/skip")]);
        assert_eq!(c.breaking.version, BufVersion::V1Beta1);
        assert_eq!(
            parse_buf_yaml("build:\n  roots: [.]\n").unwrap().roots,
            Vec::<PathBuf>::new()
        );
        let outside =
            parse_buf_yaml("version: v1beta1\nbuild:\n  roots: [proto]\n  excludes: [other]\n");
        assert!(format!("{:#}", outside.unwrap_err()).contains("not inside any of the build roots"));
        assert!(parse_buf_yaml("version: v1\nbuild:\n  roots: [proto]\n").is_err());
    }

    #[test]
    fn buf_v2_modules_each_keep_their_settings() {
        let c = parse_buf_yaml(
            "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/skip]\n    breaking:\n      use: [WIRE]\n    lint:\n      use: [MINIMAL]\n  - path: other\nbreaking:\n  use: [PACKAGE]\ndeps: [buf.build/googleapis/googleapis]\n",
        )
        .unwrap();
        assert_eq!(c.deps, ["buf.build/googleapis/googleapis"]);
        assert_eq!(c.modules.len(), 2);
        assert_eq!(c.modules[0].path, PathBuf::from("proto"));
        assert_eq!(c.modules[0].excludes, [PathBuf::from("skip")]);
        assert_eq!(c.modules[0].breaking.use_, ["WIRE"]);
        assert_eq!(
            c.modules[0].lint.use_.as_deref(),
            Some(&["MINIMAL".to_string()][..])
        );
        assert_eq!(c.modules[1].lint, crate::lint::LintConfig::default());
        assert_eq!(
            c.modules[1].breaking.use_,
            ["PACKAGE"],
            "the top-level default"
        );
    }

    #[test]
    fn buf_work_yaml_reads_each_module_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::create_dir_all(dir.path().join("b")).unwrap();
        std::fs::write(
            dir.path().join("a/buf.yaml"),
            "version: v1\nbreaking:\n  use: [WIRE]\ndeps: [buf.build/x/y]\n",
        )
        .unwrap();
        let c = parse_buf_work_yaml("version: v1\ndirectories: [a, b]\n", dir.path()).unwrap();
        assert_eq!(c.modules[0].breaking.use_, ["WIRE"]);
        assert_eq!(c.modules[0].breaking.version, BufVersion::V1);
        assert_eq!(c.modules[1].breaking, Breaking::default());
        assert_eq!(c.deps, ["buf.build/x/y"]);
        assert!(parse_buf_work_yaml("version: v1\ndirectories: [../x]\n", dir.path()).is_err());
        std::fs::write(dir.path().join("b/buf.yaml"), "version: v2\n").unwrap();
        assert!(parse_buf_work_yaml("version: v1\ndirectories: [a, b]\n", dir.path()).is_err());
    }
}
