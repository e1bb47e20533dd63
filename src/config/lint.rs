//! Lint settings: a `lint:` section of buf.yaml (v1beta1, v1, v2; per module in v2) or
//! protogen.toml's `[lint]` (the same keys, read as v2), resolved into one [`LintConfig`].

use std::collections::BTreeMap;

use serde::Deserialize;

use super::paths::normalize;
use super::{BufVersion, Selection};

/// The resolved lint settings, with buf's defaults where nothing is written.
#[derive(Debug, Clone, PartialEq)]
pub struct LintConfig {
    /// The buf.yaml version the rule and category names are read in.
    pub version: BufVersion,
    /// `use` (`None` runs the version's defaults: STANDARD in v2), `except`, `ignore`,
    /// `ignore_only`.
    pub rules: Selection,
    pub enum_zero_value_suffix: String,
    pub rpc_allow_same_request_response: bool,
    pub rpc_allow_google_protobuf_empty_requests: bool,
    pub rpc_allow_google_protobuf_empty_responses: bool,
    pub service_suffix: String,
    /// Whether `// buf:lint:ignore RULE_ID` comments count: on in v2 (unless
    /// `disallow_comment_ignores`), off in v1 and v1beta1 (unless `allow_comment_ignores`).
    pub comment_ignores: bool,
}

impl Default for LintConfig {
    fn default() -> Self {
        LintConfig {
            version: BufVersion::V2,
            rules: Selection::default(),
            enum_zero_value_suffix: "_UNSPECIFIED".to_string(),
            rpc_allow_same_request_response: false,
            rpc_allow_google_protobuf_empty_requests: false,
            rpc_allow_google_protobuf_empty_responses: false,
            service_suffix: "Service".to_string(),
            comment_ignores: true,
        }
    }
}

/// The keys of a `lint:` section, in every version.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct LintSection {
    #[serde(rename = "use")]
    use_: Option<Vec<String>>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    ignore_only: BTreeMap<String, Vec<String>>,
    enum_zero_value_suffix: Option<String>,
    #[serde(default)]
    rpc_allow_same_request_response: bool,
    #[serde(default)]
    rpc_allow_google_protobuf_empty_requests: bool,
    #[serde(default)]
    rpc_allow_google_protobuf_empty_responses: bool,
    service_suffix: Option<String>,
    allow_comment_ignores: Option<bool>,
    disallow_comment_ignores: Option<bool>,
}

/// The lint settings of the buf.yaml v2 module in folder `prefix` (relative to buf.yaml): its
/// own `lint:` section, else the top-level one. Paths in either are relative to buf.yaml, as
/// buf reads them, and become relative to the module; a path of the module's own section
/// outside the module is an error (as in buf), one of the top-level section is not about
/// this module and is dropped.
pub(super) fn v2_module(
    own: Option<LintSection>,
    top: Option<LintSection>,
    prefix: &str,
) -> anyhow::Result<LintConfig> {
    let (mut section, strict) = match (own, top) {
        (Some(own), _) => (own, true),
        (None, Some(top)) => (top, false),
        (None, None) => (LintSection::default(), false),
    };
    let contained = |path: &String| {
        let path = normalize(path);
        prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/"))
    };
    let check = |key: &str, paths: &mut Vec<String>| -> anyhow::Result<()> {
        if let Some(outside) = paths.iter().find(|p| !contained(p)) {
            if strict {
                anyhow::bail!(
                    "lint.{key}: path \"{outside}\" is not contained within module directory \"{prefix}\"\nhelp: paths in buf.yaml v2 are relative to buf.yaml's folder: write \"{prefix}/{outside}\""
                );
            }
            paths.retain(|p| contained(p));
        }
        Ok(())
    };
    check("ignore", &mut section.ignore)?;
    for paths in section.ignore_only.values_mut() {
        check("ignore_only", paths)?;
    }
    resolve(section, BufVersion::V2, prefix)
}

/// The lint settings of a buf.work.yaml directory without a buf.yaml: buf's v1 defaults.
pub fn v1_defaults() -> LintConfig {
    resolve(LintSection::default(), BufVersion::V1, "").expect("the empty section resolves")
}

/// A section's settings in `version`, paths made relative to the module folder `prefix`.
pub(super) fn resolve(
    section: LintSection,
    version: BufVersion,
    prefix: &str,
) -> anyhow::Result<LintConfig> {
    let defaults = LintConfig::default();
    let comment_ignores = match version {
        BufVersion::V2 => {
            if section.allow_comment_ignores.is_some() {
                anyhow::bail!(
                    "`allow_comment_ignores` is a v1 key; in v2 comment ignores are on unless `disallow_comment_ignores: true`"
                );
            }
            !section.disallow_comment_ignores.unwrap_or(false)
        }
        BufVersion::V1 | BufVersion::V1Beta1 => {
            if section.disallow_comment_ignores.is_some() {
                anyhow::bail!(
                    "`disallow_comment_ignores` is a v2 key; in {} comment ignores are off unless `allow_comment_ignores: true`",
                    version.name()
                );
            }
            section.allow_comment_ignores.unwrap_or(false)
        }
    };
    Ok(LintConfig {
        version,
        rules: Selection::new(
            section.use_,
            section.except,
            section.ignore,
            section.ignore_only,
            prefix,
        ),
        enum_zero_value_suffix: section
            .enum_zero_value_suffix
            .unwrap_or(defaults.enum_zero_value_suffix),
        rpc_allow_same_request_response: section.rpc_allow_same_request_response,
        rpc_allow_google_protobuf_empty_requests: section.rpc_allow_google_protobuf_empty_requests,
        rpc_allow_google_protobuf_empty_responses: section
            .rpc_allow_google_protobuf_empty_responses,
        service_suffix: section.service_suffix.unwrap_or(defaults.service_suffix),
        comment_ignores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_buf_yaml(text: &str) -> anyhow::Result<LintConfig> {
        Ok(super::super::parse_buf_yaml(text)?.lint)
    }

    fn parse_protogen_toml(text: &str) -> anyhow::Result<LintConfig> {
        Ok(super::super::parse_protogen_toml(text)?.lint)
    }

    #[test]
    fn versions_and_defaults() {
        let v2 = parse_buf_yaml("version: v2\n").unwrap();
        assert_eq!(v2, LintConfig::default());
        let v1 = parse_buf_yaml("version: v1\nlint:\n  use: [DEFAULT]\n  allow_comment_ignores: true\n  service_suffix: API\n").unwrap();
        assert_eq!(v1.version, BufVersion::V1);
        assert_eq!(v1.rules.use_.as_deref(), Some(&["DEFAULT".to_string()][..]));
        assert!(v1.comment_ignores);
        assert_eq!(v1.service_suffix, "API");
        let beta = parse_buf_yaml("lint:\n  except: [ENUM_FIRST_VALUE_ZERO]\n").unwrap();
        assert_eq!(beta.version, BufVersion::V1Beta1);
        assert!(!beta.comment_ignores);
        assert!(parse_buf_yaml("version: v2\nlint:\n  allow_comment_ignores: true\n").is_err());
        assert!(parse_buf_yaml("version: v2\nlint:\n  usee: [STANDARD]\n").is_err());
    }

    #[test]
    fn v2_module_lint_replaces_the_top_level() {
        let value = |text: &str| Some(serde_norway::from_str::<LintSection>(text).unwrap());
        let (top, own) = (
            "use: [COMMENTS]\nignore: [proto/legacy, other/x.proto]\n",
            "use: [MINIMAL]\nignore: [proto/legacy]\n",
        );
        let c = v2_module(value(own), value(top), "proto").unwrap();
        assert_eq!(c.rules.use_.as_deref(), Some(&["MINIMAL".to_string()][..]));
        assert_eq!(c.rules.ignore, ["legacy"]);
        // The top-level default: paths of other modules are not this one's business.
        let c = v2_module(None, value(top), "proto").unwrap();
        assert_eq!(c.rules.use_.as_deref(), Some(&["COMMENTS".to_string()][..]));
        assert_eq!(c.rules.ignore, ["legacy"]);
        assert_eq!(
            v2_module(None, None, "proto").unwrap(),
            LintConfig::default()
        );
        // A module's own path outside the module is buf's error too.
        let outside = "ignore_only:\n  FIELD_LOWER_SNAKE_CASE: [legacy]\n";
        let err = v2_module(value(outside), None, "proto").unwrap_err();
        assert!(format!("{err:#}").contains("not contained within module directory \"proto\""));
        assert_eq!(v1_defaults().version, BufVersion::V1);
        assert!(!v1_defaults().comment_ignores);
    }

    #[test]
    fn protogen_toml_reads_as_v2() {
        let c = parse_protogen_toml(
            "[breaking]\nuse = [\"FILE\"]\n[lint]\nuse = [\"STANDARD\", \"COMMENTS\"]\ndisallow_comment_ignores = true\nenum_zero_value_suffix = \"_NONE\"\n",
        )
        .unwrap();
        assert_eq!(c.version, BufVersion::V2);
        assert!(!c.comment_ignores);
        assert_eq!(c.enum_zero_value_suffix, "_NONE");
        assert!(parse_protogen_toml("[lint]\nexcept = 3\n").is_err());
    }
}
