//! The settings `breaking:` and `lint:` share, with buf's meaning: which rules run (`use`,
//! `except`) and where their findings are dropped (`ignore`, `ignore_only`).

use std::collections::BTreeMap;

use super::paths::relative_to;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Rule IDs and categories; `None` runs the defaults (breaking: FILE; lint: the version's).
    pub use_: Option<Vec<String>>,
    pub except: Vec<String>,
    /// Files or directories (relative to the module root) whose findings are dropped.
    pub ignore: Vec<String>,
    /// Rule ID or category → files or directories whose findings for it are dropped.
    pub ignore_only: BTreeMap<String, Vec<String>>,
}

impl Selection {
    /// The settings as written in buf.yaml, with paths made relative to the module folder
    /// `prefix` (buf v2 writes them relative to buf.yaml's folder).
    pub fn new(
        use_: Option<Vec<String>>,
        except: Vec<String>,
        ignore: Vec<String>,
        ignore_only: BTreeMap<String, Vec<String>>,
        prefix: &str,
    ) -> Selection {
        let paths = |v: Vec<String>| v.iter().map(|p| relative_to(p, prefix)).collect();
        Selection {
            use_,
            except,
            ignore: paths(ignore),
            ignore_only: ignore_only
                .into_iter()
                .map(|(k, v)| (k, paths(v)))
                .collect(),
        }
    }

    /// `use`, or `default` when nothing is written.
    pub fn use_or<'a>(&'a self, default: &'a [String]) -> &'a [String] {
        self.use_.as_deref().unwrap_or(default)
    }
}
