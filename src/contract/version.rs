//! A package's version suffix (`foo.v1`, `foo.v1beta1`), as buf's `protoversion` reads it: the
//! one answer to "is this package stable?" for lint (PACKAGE_VERSION_SUFFIX, ...) and compat
//! (`ignore_unstable_packages`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stability {
    Stable,
    Unstable,
}

/// The stability of a package's version suffix (`foo.v1` stable; `foo.v1beta1`, `foo.v1alpha`,
/// `foo.v1p1beta1`, `foo.v1test` unstable), or `None` when its last component is no version.
/// As buf's `NewPackageVersionForPackage`, majors start at 1: `foo.v0beta1` has no version,
/// so it is neither stable nor unstable.
pub fn package_version(package: &str) -> Option<Stability> {
    let parts: Vec<&str> = package.split('.').collect();
    if package.is_empty() || parts.len() < 2 {
        return None;
    }
    let component = parts[parts.len() - 1];
    if component.len() < 2 || !component.starts_with('v') {
        return None;
    }
    let version = &component[1..];
    if let Some((major, _)) = version.split_once("test") {
        number(major, 1)?;
        return Some(Stability::Unstable);
    }
    let level = match (version.contains("alpha"), version.contains("beta")) {
        (false, false) => {
            number(version, 1)?;
            return Some(Stability::Stable);
        }
        (true, false) => "alpha",
        (false, true) => "beta",
        (true, true) => return None,
    };
    let (head, minor) = version.split_once(level)?;
    if !minor.is_empty() {
        number(minor, 1)?;
    }
    match head.split_once('p') {
        Some((major, patch)) => {
            number(major, 1)?;
            number(patch, 1)?;
        }
        None => {
            number(head, 1)?;
        }
    }
    Some(Stability::Unstable)
}

/// Go's `strconv.ParseInt(s, 10, 32)` with a minimum, as buf uses it.
fn number(s: &str, minimum: i64) -> Option<i64> {
    let value: i32 = s.parse().ok()?;
    (i64::from(value) >= minimum).then_some(i64::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_versions_match_buf() {
        assert_eq!(package_version("foo.v1"), Some(Stability::Stable));
        assert_eq!(package_version("foo.v1beta1"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v1alpha"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v1p1beta1"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v2test"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v0"), None);
        assert_eq!(package_version("foo.v0beta1"), None, "majors start at 1");
        assert_eq!(
            package_version("v1beta1"),
            None,
            "one component has no version"
        );
        assert_eq!(package_version("foo.v1test_x"), Some(Stability::Unstable));
        assert_eq!(package_version("v1"), None);
        assert_eq!(package_version("foo.bar"), None);
        assert_eq!(package_version("foo.v1alphabeta"), None);
    }
}
