//! Paths as configurations write them (`./proto/`, `proto`): normalised, rebased from buf.yaml's
//! folder to a module's, and matched against file names by whole components.

/// `./proto/` and `proto` are the same path; `.` is the empty one.
pub fn normalize(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}

/// buf v2 paths are relative to buf.yaml's folder; ours to the module root below it.
pub fn relative_to(path: &str, prefix: &str) -> String {
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

/// Whether file `name` is `path` or lies in the directory `path` (whole components).
pub fn path_within(name: &str, path: &str) -> bool {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    if path.is_empty() || path == "." {
        return true;
    }
    name == path || (name.starts_with(path) && name.as_bytes().get(path.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(path_within("a/b.proto", "a"));
        assert!(path_within("a/b.proto", "a/"));
        assert!(path_within("a/b.proto", "a/b.proto"));
        assert!(!path_within("ab/c.proto", "a"));
        assert_eq!(normalize("./proto/"), "proto");
        assert_eq!(normalize("."), "");
        assert_eq!(relative_to("proto/legacy", "proto"), "legacy");
        assert_eq!(relative_to("proto", "proto"), "");
        assert_eq!(relative_to("protos/x", "proto"), "protos/x");
    }
}
