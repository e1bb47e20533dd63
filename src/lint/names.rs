//! Naming helpers with buf's exact behaviour: PascalCase, lower_snake_case, UPPER_SNAKE_CASE
//! conversions (buf's `xstrings`) and package versions such as `v1`, `v1beta1` (`protoversion`).

fn is_delimiter(c: u8) -> bool {
    matches!(c, b'.' | b'-' | b'_' | b' ' | b'\t' | b'\n' | b'\r')
}

/// buf's ToPascalCase: drops delimiters, upper-cases the first letter of each word, keeps
/// upper-case letters, lower-cases the rest.
pub fn to_pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous: Option<char> = None;
    for (i, c) in s.trim().char_indices() {
        if !(c.is_ascii() && is_delimiter(c as u8)) {
            let after_delimiter = previous.is_some_and(|p| p.is_ascii() && is_delimiter(p as u8));
            if i == 0 || after_delimiter || c.is_uppercase() {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
        previous = Some(c);
    }
    out
}

pub fn to_lower_snake_case(s: &str) -> String {
    to_snake_case(s).to_lowercase()
}

pub fn to_upper_snake_case(s: &str) -> String {
    to_snake_case(s).to_uppercase()
}

/// buf's toSnakeCase without the digits option: a new word starts at an upper-case letter
/// that follows a lower-case one, or that is followed by a lower-case one (`HTTPServer` ->
/// `HTTP_Server`); delimiters become one `_`.
fn to_snake_case(s: &str) -> String {
    let s = s.trim_matches(|c: char| c.is_ascii() && is_delimiter(c as u8));
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() + 4);
    for i in 0..b.len() {
        let mut c = b[i];
        if is_delimiter(c) {
            c = b'_';
        }
        let last = out.last().copied();
        if i == 0 {
            out.push(c);
        } else if c.is_ascii_uppercase()
            && last != Some(b'_')
            && ((i + 1 < b.len()
                && !(b[i + 1].is_ascii_uppercase() || b[i + 1].is_ascii_digit())
                && !is_delimiter(b[i + 1]))
                || b[i - 1].is_ascii_lowercase())
        {
            out.push(b'_');
            out.push(c);
        } else if !(c == b'_' && last == Some(b'_')) {
            out.push(c);
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stability {
    Stable,
    Unstable,
}

/// The stability of a package's version suffix (`foo.v1` stable; `foo.v1beta1`, `foo.v1alpha`,
/// `foo.v1p1beta1`, `foo.v1test` unstable), or `None` when its last component is no version.
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
    fn cases_match_buf() {
        assert_eq!(to_pascal_case("foo_bar"), "FooBar");
        assert_eq!(to_pascal_case("FooBar"), "FooBar");
        assert_eq!(to_pascal_case("fooBAR"), "FooBAR");
        assert_eq!(to_pascal_case("HTTP_server"), "HTTPServer");
        assert_eq!(to_lower_snake_case("fooBar"), "foo_bar");
        assert_eq!(to_lower_snake_case("HTTPServer"), "http_server");
        assert_eq!(to_lower_snake_case("foo__bar"), "foo_bar");
        assert_eq!(to_lower_snake_case("foo_bar1"), "foo_bar1");
        assert_eq!(to_lower_snake_case("Name"), "name");
        assert_eq!(to_upper_snake_case("FooBar"), "FOO_BAR");
        assert_eq!(to_upper_snake_case("foo_BAR"), "FOO_BAR");
    }

    #[test]
    fn package_versions_match_buf() {
        assert_eq!(package_version("foo.v1"), Some(Stability::Stable));
        assert_eq!(package_version("foo.v1beta1"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v1alpha"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v1p1beta1"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v2test"), Some(Stability::Unstable));
        assert_eq!(package_version("foo.v0"), None);
        assert_eq!(package_version("v1"), None);
        assert_eq!(package_version("foo.bar"), None);
        assert_eq!(package_version("foo.v1alphabeta"), None);
    }
}
