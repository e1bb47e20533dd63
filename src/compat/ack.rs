//! Acknowledged breaks written in the proto itself:
//! `// protogen:allow-breaking RULE_ID reason` on the element (or its surviving parent).

use super::rules;
use crate::contract::Model;

pub const MARKER: &str = "protogen:allow-breaking";

/// The reason given for allowing `rule` in the leading or trailing comment of the element
/// at `anchor` of file `file` (for file-level findings: the `package` or `syntax` statement).
pub fn in_comments(
    model: &Model,
    file: usize,
    anchor: Option<&[i32]>,
    rule: &str,
) -> Option<String> {
    let anchors: Vec<&[i32]> = match anchor {
        Some(path) if !path.is_empty() => vec![path],
        _ => vec![&[2], &[12]],
    };
    anchors
        .into_iter()
        .map(|path| model.comments(file, path))
        .flat_map(|c| [c.leading, c.trailing])
        .flatten()
        .find_map(|comment| parse(comment, rule))
}

/// Finds `protogen:allow-breaking RULE reason` for `rule` (or a category covering it).
fn parse(comment: &str, rule: &str) -> Option<String> {
    comment.lines().find_map(|line| {
        let rest = &line[line.find(MARKER)? + MARKER.len()..];
        let rest = rest.trim_start();
        let (name, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        rules::covers(name, rule).then(|| reason.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rule_and_reason() {
        let comment =
            " The user's role.\n protogen:allow-breaking FIELD_NO_DELETE roles moved to authz\n";
        assert_eq!(
            parse(comment, "FIELD_NO_DELETE").as_deref(),
            Some("roles moved to authz")
        );
        assert_eq!(parse(comment, "FIELD_SAME_TYPE"), None);
        assert_eq!(
            parse(" protogen:allow-breaking FILE", "FIELD_NO_DELETE").as_deref(),
            Some("")
        );
    }
}
