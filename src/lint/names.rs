//! Naming helpers with buf's exact behaviour: PascalCase, lower_snake_case, UPPER_SNAKE_CASE
//! conversions (buf's `xstrings`); package versions are `contract::version`'s.

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
}
