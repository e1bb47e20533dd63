//! Rust names exactly as prost-build and tonic-build 0.14 derive them from proto names, so the
//! stubs protogen writes implement the traits the api crate's build script generates.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// prost-build's `sanitize_identifier`: raw identifiers for keywords, a trailing `_` for the
/// keywords that cannot be raw, a leading `_` for names that start with a digit.
pub fn sanitize(ident: &str) -> String {
    match ident {
        "as" | "break" | "const" | "continue" | "else" | "enum" | "false" | "fn" | "for" | "if"
        | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref"
        | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe" | "use"
        | "where" | "while" | "dyn" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "async" | "await"
        | "try" | "gen" => format!("r#{ident}"),
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{ident}_"),
        s if s.starts_with(|c: char| c.is_numeric()) => format!("_{ident}"),
        _ => ident.to_string(),
    }
}

/// prost's `to_snake`: modules (package segments, parent messages) and methods.
pub fn to_snake(name: &str) -> String {
    sanitize(&name.to_snake_case())
}

/// prost's `to_upper_camel`: messages, enums, services.
pub fn to_upper_camel(name: &str) -> String {
    sanitize(&name.to_upper_camel_case())
}

/// tonic-build's `naive_snake_case`, used for the `<service>_server` and `<service>_client`
/// modules: an underscore before every upper-case letter that follows another character.
pub fn naive_snake_case(name: &str) -> String {
    let mut out = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c.to_ascii_lowercase());
        if chars.peek().is_some_and(|next| next.is_uppercase()) {
            out.push('_');
        }
    }
    out
}

/// The Rust module path of a proto package, as prost lays it out (`type.v1` → `r#type::v1`).
pub fn package_path(package: &str) -> Vec<String> {
    package
        .split('.')
        .filter(|s| !s.is_empty())
        .map(to_snake)
        .collect()
}

/// A message or enum type as a Rust type, relative to the api crate's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RustType {
    /// A type the api crate generates or re-exports, e.g. `users::v1::User` or
    /// `prost_types::Timestamp`; prefixed with the crate that re-exports it.
    Api(String),
    /// A type prost maps a well-known wrapper to: `()`, `bool`, `String`, ...
    Builtin(&'static str),
}

/// Resolves a fully qualified proto type name (`.users.v1.User`, `.a.Outer.Inner`) the way
/// prost's `resolve_ident` does, with its default extern paths for the well-known types.
pub fn rust_type(full_name: &str) -> RustType {
    let name = full_name.trim_start_matches('.');
    if let Some(builtin) = well_known_builtin(name) {
        return RustType::Builtin(builtin);
    }
    let (prefix, rest) = match name.strip_prefix("google.protobuf.") {
        Some(rest) => (Some("prost_types"), rest),
        None => (None, name),
    };
    let mut segments: Vec<&str> = rest.split('.').collect();
    let last = segments.pop().unwrap_or_default();
    let path = prefix
        .map(str::to_string)
        .into_iter()
        .chain(segments.into_iter().map(to_snake))
        .chain(std::iter::once(to_upper_camel(last)))
        .collect::<Vec<_>>()
        .join("::");
    RustType::Api(path)
}

fn well_known_builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "google.protobuf.Empty" => "()",
        "google.protobuf.BoolValue" => "bool",
        "google.protobuf.BytesValue" => "Vec<u8>",
        "google.protobuf.DoubleValue" => "f64",
        "google.protobuf.FloatValue" => "f32",
        "google.protobuf.Int32Value" => "i32",
        "google.protobuf.Int64Value" => "i64",
        "google.protobuf.StringValue" => "String",
        "google.protobuf.UInt32Value" => "u32",
        "google.protobuf.UInt64Value" => "u64",
        _ => return None,
    })
}

/// Whether `name` is a valid Cargo package name that also makes a valid Rust crate name
/// once `-` becomes `_`.
pub fn check_crate_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("the name is empty".into());
    };
    if !first.is_ascii_alphabetic() {
        return Err(format!(
            "'{name}' must start with an ASCII letter (it becomes the crate names {name}-api, {name}-server, {name}-client)"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "'{name}' contains '{bad}'; use ASCII letters, digits, '-' and '_' only"
        ));
    }
    if name.len() > 64 {
        return Err(format!("'{name}' is longer than 64 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_prost_for_keywords_and_odd_names() {
        assert_eq!(to_snake("type"), "r#type");
        assert_eq!(to_snake("Match"), "r#match");
        assert_eq!(to_snake("self"), "self_");
        assert_eq!(to_snake("FindOne"), "find_one");
        assert_eq!(to_upper_camel("Self"), "Self_");
        assert_eq!(to_upper_camel("user_by_id"), "UserById");
        assert_eq!(naive_snake_case("UsersService"), "users_service");
        assert_eq!(naive_snake_case("HTTPService"), "h_t_t_p_service");
        assert_eq!(package_path("type.v1"), ["r#type", "v1"]);
    }

    #[test]
    fn resolves_types_like_prost() {
        assert_eq!(
            rust_type(".users.v1.User"),
            RustType::Api("users::v1::User".into())
        );
        assert_eq!(
            rust_type(".a.Outer.inner_msg"),
            RustType::Api("a::outer::InnerMsg".into())
        );
        assert_eq!(
            rust_type(".google.protobuf.Timestamp"),
            RustType::Api("prost_types::Timestamp".into())
        );
        assert_eq!(rust_type(".google.protobuf.Empty"), RustType::Builtin("()"));
    }

    #[test]
    fn refuses_names_that_make_no_crate() {
        assert!(check_crate_name("shop").is_ok());
        assert!(check_crate_name("my-shop_2").is_ok());
        assert!(check_crate_name("2shop").is_err());
        assert!(check_crate_name("../shop").is_err());
        assert!(check_crate_name("").is_err());
    }
}
