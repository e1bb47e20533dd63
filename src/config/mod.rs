//! Configuration, one layer: protogen.toml, buf.yaml (v1beta1, v1, v2) and buf.work.yaml, each
//! parsed once into one [`Config`] (breaking, lint, consumers, layout), found in the module root
//! or named with `--config`. It imports nothing of the layers that read it.

mod buf_yaml;
pub mod lint;
pub mod paths;
mod protogen_toml;
mod selection;
mod version;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::contract::LoadOptions;

pub use buf_yaml::{parse_buf_work_yaml, parse_buf_yaml};
pub use lint::LintConfig;
pub use paths::{normalize, path_within, relative_to};
pub use protogen_toml::parse_protogen_toml;
pub use selection::Selection;
pub use version::BufVersion;

/// Reads a file by its path relative to a folder: `Ok(None)` when there is none.
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> anyhow::Result<Option<String>>;

/// Files on disk under `dir`, for [`Config::load_in`].
pub fn disk(dir: &Path) -> impl Fn(&Path) -> anyhow::Result<Option<String>> + '_ {
    move |relative| {
        let path = dir.join(relative);
        if !path.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&path)
            .map(Some)
            .with_context(|| format!("cannot read {}", path.display()))
    }
}

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
    /// `protogen lint` settings (buf.yaml `lint:`, protogen.toml `[lint]`).
    pub lint: LintConfig,
    /// buf.yaml v1beta1 `build.roots`: import roots relative to the module root; files are
    /// named relative to their root. Empty: the module root is the one import root.
    pub roots: Vec<PathBuf>,
    /// buf.yaml `deps:` (`buf.build/googleapis/googleapis`), which protogen does not fetch.
    pub deps: Vec<String>,
    /// The modules of a workspace (buf.work.yaml `directories`, or several buf.yaml v2
    /// `modules`), each judged with its own settings. Empty: the root is one module.
    pub modules: Vec<Module>,
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
    pub lint: LintConfig,
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Breaking {
    /// `use` (default `FILE`), `except`, `ignore`, `ignore_only`.
    pub rules: Selection,
    pub ignore_unstable_packages: bool,
    /// Rule IDs or categories that only warn (reported, exit code 0).
    pub warn: Vec<String>,
    /// Acknowledged breaks, one element each.
    pub allow: Vec<AllowEntry>,
    /// The buf.yaml version the names above are written for (v2 for protogen.toml).
    pub version: BufVersion,
}

impl Breaking {
    /// The rules `use` names: `FILE` when nothing is written.
    pub fn use_(&self) -> Vec<String> {
        self.rules
            .use_
            .clone()
            .unwrap_or_else(|| vec!["FILE".to_string()])
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
        match explicit {
            Some(path) => {
                if !path.is_file() {
                    bail!("configuration file {} does not exist", path.display());
                }
                let dir = path.parent().unwrap_or(Path::new("."));
                let name = path.file_name().map(Path::new).unwrap_or(path);
                let text = disk(dir)(name)?.unwrap_or_default();
                Config::parse(path, &text, dir, &disk(dir))
            }
            None => Config::load_in(module_root, &disk(module_root)),
        }
    }

    /// The configuration of the module at `module_root` as `read` finds it (paths relative to
    /// `module_root`): on disk, or in a git tree for a baseline read at a ref. The first of
    /// protogen.toml, buf.work.yaml, buf.yaml (buf.yml); the defaults when there is none.
    pub fn load_in(module_root: &Path, read: ReadFile) -> anyhow::Result<Config> {
        for name in ["protogen.toml", "buf.work.yaml", "buf.yaml", "buf.yml"] {
            if let Some(text) = read(Path::new(name))? {
                return Config::parse(&module_root.join(name), &text, module_root, read);
            }
        }
        Ok(Config::default())
    }

    /// Parses the file at `path` (its kind by its name); a buf.work.yaml reads its modules'
    /// buf.yaml with `read` (relative to `dir`, the folder of `path`).
    fn parse(path: &Path, text: &str, dir: &Path, read: ReadFile) -> anyhow::Result<Config> {
        let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let is_work = path
            .file_name()
            .is_some_and(|n| n == "buf.work.yaml" || n == "buf.work.yml");
        let mut config = if is_work {
            parse_buf_work_yaml(text, dir, read)
        } else if is_yaml {
            parse_buf_yaml(text)
        } else {
            parse_protogen_toml(text)
        }
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
        config.source = Some(path.to_path_buf());
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
        assert_eq!(c.breaking.use_(), ["WIRE"]);
        assert_eq!(c.breaking.rules.except, ["FIELD_SAME_DEFAULT"]);
        assert_eq!(c.breaking.rules.ignore, ["legacy"]);
        assert_eq!(c.breaking.rules.ignore_only["FIELD_NO_DELETE"], ["a.proto"]);
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
        assert_eq!(module.breaking.use_(), ["PACKAGE"]);
        assert_eq!(module.breaking.rules.ignore, ["legacy"]);
        assert_eq!(module.breaking.version, BufVersion::V2);
        assert_eq!(
            c.load_options().roots,
            [PathBuf::from("proto")],
            "files are named from the module folder"
        );

        let top =
            parse_buf_yaml("version: v2\nmodules:\n  - path: .\nbreaking:\n  use: [WIRE_JSON]\n")
                .unwrap();
        assert_eq!(top.breaking.use_(), ["WIRE_JSON"]);
        let bare = parse_buf_yaml("version: v2\n").unwrap();
        assert_eq!(bare.breaking.use_(), ["FILE"]);
    }

    #[test]
    fn protogen_toml() {
        let c = parse_protogen_toml(
            "[module]\nexcludes = [\"third_party\"]\n\n[breaking]\nuse = [\"FILE\", \"WIRE\"]\nignore_unstable_packages = true\n[breaking.severity]\nFIELD_SAME_JSON_NAME = \"warn\"\n[[breaking.allow]]\nrule = \"FIELD_NO_DELETE\"\nelement = \"users.v1.User.role\"\nreason = \"moved to authz\"\n",
        )
        .unwrap();
        assert_eq!(c.excludes, vec![PathBuf::from("third_party")]);
        assert_eq!(c.breaking.use_(), ["FILE", "WIRE"]);
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
        assert_eq!(c.modules[0].breaking.use_(), ["WIRE"]);
        assert_eq!(
            c.modules[0].lint.rules.use_.as_deref(),
            Some(&["MINIMAL".to_string()][..])
        );
        assert_eq!(c.modules[1].lint, LintConfig::default());
        assert_eq!(
            c.modules[1].breaking.use_(),
            ["PACKAGE"],
            "the top-level default"
        );
    }

    /// A baseline's configuration read from a tree that is not on disk (a git ref): the
    /// workspace's modules' buf.yaml come through the same reader.
    #[test]
    fn load_in_reads_through_the_given_reader() {
        let tree: std::collections::BTreeMap<&str, &str> = [
            ("buf.work.yaml", "version: v1\ndirectories: [proto]\n"),
            (
                "proto/buf.yaml",
                "version: v1beta1\nbuild:\n  roots: [src]\n",
            ),
        ]
        .into();
        let read = |relative: &Path| -> anyhow::Result<Option<String>> {
            let name = relative.to_string_lossy().replace('\\', "/");
            Ok(tree.get(name.as_str()).map(|t| t.to_string()))
        };
        let config = Config::load_in(Path::new("main:"), &read).unwrap();
        assert_eq!(config.source, Some(PathBuf::from("main:/buf.work.yaml")));
        assert_eq!(config.modules.len(), 1);
        assert_eq!(config.modules[0].roots, [PathBuf::from("src")]);
        assert_eq!(config.load_options().roots, [PathBuf::from("proto/src")]);
        let none = |_: &Path| -> anyhow::Result<Option<String>> { Ok(None) };
        assert_eq!(
            Config::load_in(Path::new("x"), &none).unwrap(),
            Config::default()
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
        let c = parse_buf_work_yaml(
            "version: v1\ndirectories: [a, b]\n",
            dir.path(),
            &disk(dir.path()),
        )
        .unwrap();
        assert_eq!(c.modules[0].breaking.use_(), ["WIRE"]);
        assert_eq!(c.modules[0].breaking.version, BufVersion::V1);
        assert_eq!(c.modules[1].breaking, Breaking::default());
        assert_eq!(c.deps, ["buf.build/x/y"]);
        assert!(parse_buf_work_yaml(
            "version: v1\ndirectories: [../x]\n",
            dir.path(),
            &disk(dir.path())
        )
        .is_err());
        std::fs::write(dir.path().join("b/buf.yaml"), "version: v2\n").unwrap();
        assert!(parse_buf_work_yaml(
            "version: v1\ndirectories: [a, b]\n",
            dir.path(),
            &disk(dir.path())
        )
        .is_err());
    }
}
