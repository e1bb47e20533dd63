//! buf.yaml (v1beta1, v1, v2, a v2 workspace of `modules:`) and buf.work.yaml, each parsed once
//! with its `breaking:` and `lint:` sections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use super::lint::{resolve, v2_module, LintSection};
use super::paths::{normalize, relative_to};
use super::{Breaking, BufVersion, Config, Module, ReadFile, Selection};

#[derive(Deserialize)]
struct BufYaml {
    version: Option<String>,
    #[serde(default)]
    build: Option<BufBuild>,
    #[serde(default)]
    breaking: Option<BufBreaking>,
    #[serde(default)]
    lint: Option<LintSection>,
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
    lint: Option<LintSection>,
}

pub fn parse_buf_yaml(text: &str) -> anyhow::Result<Config> {
    let file: BufYaml = serde_norway::from_str(text)?;
    let version = BufVersion::parse(file.version.as_deref())?;
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
                lint: resolve(file.lint.unwrap_or_default(), version, "")?,
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
                        let lint = v2_module(m.lint.clone(), file.lint.clone(), &prefix)
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
            // One module: the module root is its directory (path "."); its own `lint:`
            // replaces the top-level one, as in buf.
            let module = file.modules.first();
            let lint = module
                .and_then(|m| m.lint.clone())
                .or(file.lint)
                .unwrap_or_default();
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
                lint: resolve(lint, version, "")?,
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
/// (v1beta1 or v1; the defaults when it has none), read with `read` (paths relative to `dir`:
/// the disk, or a git tree).
pub fn parse_buf_work_yaml(text: &str, dir: &Path, read: ReadFile) -> anyhow::Result<Config> {
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
        let found = ["buf.yaml", "buf.yml"]
            .iter()
            .map(|name| Path::new(&path).join(name))
            .map(|relative| Ok((read(&relative)?, relative)))
            .find_map(|r: anyhow::Result<_>| match r {
                Ok((Some(text), relative)) => Some(Ok((text, dir.join(relative)))),
                Ok((None, _)) => None,
                Err(e) => Some(Err(e)),
            })
            .transpose()?;
        let (config, lint) = match found {
            Some((text, yaml)) => {
                let config = parse_buf_yaml(&text)
                    .with_context(|| format!("invalid configuration in {}", yaml.display()))?;
                if config.breaking.version == BufVersion::V2 {
                    bail!("{} is a buf.yaml v2, which buf.work.yaml does not take: list its modules under `modules:` in a buf.yaml v2 at the workspace root instead", yaml.display());
                }
                // v1 paths are relative to the module's folder, as protogen's are.
                let lint = config.lint.clone();
                (config, lint)
            }
            None => (Config::default(), super::lint::v1_defaults()),
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
    Breaking {
        rules: Selection::new(b.use_, b.except, b.ignore, b.ignore_only, prefix),
        ignore_unstable_packages: b.ignore_unstable_packages,
        warn: Vec::new(),
        allow: Vec::new(),
        version,
    }
}
