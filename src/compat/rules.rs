//! The registry of breaking-change rules: buf 1.75's IDs and categories per configuration
//! version (from `buf config ls-breaking-rules --version v2|v1|v1beta1`), and what each means.

use anyhow::bail;

pub use crate::config::BufVersion;

/// A breaking-change rule as buf names and groups it: one row per rule, with its categories
/// in each buf.yaml version (`buf config ls-breaking-rules --version v2|v1|v1beta1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    /// In buf.yaml v2 (and protogen.toml).
    pub categories: &'static [&'static str],
    /// `None` where that version lacks the rule.
    pub v1: Option<&'static [&'static str]>,
    pub v1beta1: Option<&'static [&'static str]>,
    /// One line: which change the rule reports.
    pub meaning: &'static str,
}

/// buf's categories, in the order buf lists them.
pub const CATEGORIES: &[&str] = &["FILE", "PACKAGE", "WIRE_JSON", "WIRE", "CSR"];

/// A deprecated ID that buf still accepts, and the rules it turns on instead.
struct Deprecated {
    id: &'static str,
    replacements: &'static [&'static str],
    /// Whether buf.yaml v2 still accepts it (else only v1 and v1beta1 do).
    in_v2: bool,
}

/// `buf config ls-breaking-rules --include-deprecated`: a deprecated ID turns on its
/// replacements; those without one (options protobuf removed) turn on nothing.
const DEPRECATED: &[Deprecated] = &[
    Deprecated {
        id: "FIELD_SAME_CTYPE",
        replacements: &["FIELD_SAME_CPP_STRING_TYPE"],
        in_v2: false,
    },
    Deprecated {
        id: "FIELD_SAME_LABEL",
        replacements: &[
            "FIELD_SAME_CARDINALITY",
            "FIELD_WIRE_COMPATIBLE_CARDINALITY",
            "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        ],
        in_v2: false,
    },
    Deprecated {
        id: "FILE_SAME_JAVA_STRING_CHECK_UTF8",
        replacements: &["FIELD_SAME_JAVA_UTF8_VALIDATION"],
        in_v2: false,
    },
    Deprecated {
        id: "FILE_SAME_PHP_GENERIC_SERVICES",
        replacements: &[],
        in_v2: false,
    },
    Deprecated {
        id: "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT",
        replacements: &[],
        in_v2: true,
    },
];

/// Every rule, sorted by ID.
pub const RULES: &[Rule] = &[
    Rule {
        id: "ENUM_NO_DELETE",
        categories: &["CSR", "FILE"],
        v1: Some(&["FILE"]),
        v1beta1: Some(&["FILE"]),
        meaning: "an enum is deleted from a file",
    },
    Rule {
        id: "ENUM_SAME_JSON_FORMAT",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        meaning: "an enum loses JSON format support",
    },
    Rule {
        id: "ENUM_SAME_TYPE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "an enum switches between open and closed",
    },
    Rule {
        id: "ENUM_VALUE_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "an enum value (by number) is deleted",
    },
    Rule {
        id: "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        categories: &["CSR", "WIRE_JSON"],
        v1: Some(&["WIRE_JSON"]),
        v1beta1: Some(&["WIRE_JSON"]),
        meaning: "an enum value is deleted without reserving its name",
    },
    Rule {
        id: "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        categories: &["CSR", "WIRE_JSON", "WIRE"],
        v1: Some(&["WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["WIRE_JSON", "WIRE"]),
        meaning: "an enum value is deleted without reserving its number",
    },
    Rule {
        id: "ENUM_VALUE_SAME_NAME",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        meaning: "an enum value number changes name",
    },
    Rule {
        id: "EXTENSION_MESSAGE_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a message's extension ranges shrink",
    },
    Rule {
        id: "EXTENSION_NO_DELETE",
        categories: &["FILE"],
        v1: None,
        v1beta1: None,
        meaning: "an extension is deleted from a file",
    },
    Rule {
        id: "FIELD_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a field (by number) is deleted from a message",
    },
    Rule {
        id: "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        categories: &["CSR", "WIRE_JSON"],
        v1: Some(&["WIRE_JSON"]),
        v1beta1: Some(&["WIRE_JSON"]),
        meaning: "a field is deleted without reserving its name",
    },
    Rule {
        id: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        categories: &["CSR", "WIRE_JSON", "WIRE"],
        v1: Some(&["WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["WIRE_JSON", "WIRE"]),
        meaning: "a field is deleted without reserving its number",
    },
    Rule {
        id: "FIELD_SAME_CARDINALITY",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "a field changes cardinality (optional, required, repeated, map, presence)",
    },
    Rule {
        id: "FIELD_SAME_CPP_STRING_TYPE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a string or bytes field changes its C++ string type (ctype)",
    },
    Rule {
        id: "FIELD_SAME_DEFAULT",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: None,
        v1beta1: None,
        meaning: "a field changes its default value",
    },
    Rule {
        id: "FIELD_SAME_JAVA_UTF8_VALIDATION",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a string field changes Java UTF-8 validation (java_string_check_utf8)",
    },
    Rule {
        id: "FIELD_SAME_JSON_NAME",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        meaning: "a field changes its JSON name",
    },
    Rule {
        id: "FIELD_SAME_JSTYPE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a 64-bit integer field changes its jstype option",
    },
    Rule {
        id: "FIELD_SAME_NAME",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        meaning: "a field number changes name",
    },
    Rule {
        id: "FIELD_SAME_ONEOF",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "a field moves into, out of or between oneofs",
    },
    Rule {
        id: "FIELD_SAME_TYPE",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "a field changes type",
    },
    Rule {
        id: "FIELD_SAME_UTF8_VALIDATION",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a string field changes UTF-8 validation",
    },
    Rule {
        id: "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        categories: &["WIRE"],
        v1: Some(&["WIRE"]),
        v1beta1: Some(&["WIRE"]),
        meaning: "a field changes cardinality in a way the wire format notices",
    },
    Rule {
        id: "FIELD_WIRE_COMPATIBLE_TYPE",
        categories: &["WIRE"],
        v1: Some(&["WIRE"]),
        v1beta1: None,
        meaning: "a field changes type in a way the wire format notices",
    },
    Rule {
        id: "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        categories: &["CSR", "WIRE_JSON"],
        v1: Some(&["WIRE_JSON"]),
        v1beta1: Some(&["WIRE_JSON"]),
        meaning: "a field changes cardinality in a way the wire or JSON format notices",
    },
    Rule {
        id: "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        categories: &["CSR", "WIRE_JSON"],
        v1: Some(&["WIRE_JSON"]),
        v1beta1: None,
        meaning: "a field changes type in a way the wire or JSON format notices",
    },
    Rule {
        id: "FILE_NO_DELETE",
        categories: &["CSR", "FILE"],
        v1: Some(&["FILE"]),
        v1beta1: Some(&["FILE"]),
        meaning: "a file is deleted",
    },
    Rule {
        id: "FILE_SAME_CC_ENABLE_ARENAS",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the cc_enable_arenas option",
    },
    Rule {
        id: "FILE_SAME_CC_GENERIC_SERVICES",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the cc_generic_services option",
    },
    Rule {
        id: "FILE_SAME_CSHARP_NAMESPACE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the csharp_namespace option",
    },
    Rule {
        id: "FILE_SAME_GO_PACKAGE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the go_package option",
    },
    Rule {
        id: "FILE_SAME_JAVA_GENERIC_SERVICES",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the java_generic_services option",
    },
    Rule {
        id: "FILE_SAME_JAVA_MULTIPLE_FILES",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the java_multiple_files option",
    },
    Rule {
        id: "FILE_SAME_JAVA_OUTER_CLASSNAME",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the java_outer_classname option",
    },
    Rule {
        id: "FILE_SAME_JAVA_PACKAGE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the java_package option",
    },
    Rule {
        id: "FILE_SAME_OBJC_CLASS_PREFIX",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the objc_class_prefix option",
    },
    Rule {
        id: "FILE_SAME_OPTIMIZE_FOR",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the optimize_for option",
    },
    Rule {
        id: "FILE_SAME_PACKAGE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE"]),
        meaning: "a file changes package",
    },
    Rule {
        id: "FILE_SAME_PHP_CLASS_PREFIX",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the php_class_prefix option",
    },
    Rule {
        id: "FILE_SAME_PHP_METADATA_NAMESPACE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the php_metadata_namespace option",
    },
    Rule {
        id: "FILE_SAME_PHP_NAMESPACE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the php_namespace option",
    },
    Rule {
        id: "FILE_SAME_PY_GENERIC_SERVICES",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the py_generic_services option",
    },
    Rule {
        id: "FILE_SAME_RUBY_PACKAGE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the ruby_package option",
    },
    Rule {
        id: "FILE_SAME_SWIFT_PREFIX",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes the swift_prefix option",
    },
    Rule {
        id: "FILE_SAME_SYNTAX",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a file changes syntax (proto2, proto3)",
    },
    Rule {
        id: "MESSAGE_NO_DELETE",
        categories: &["CSR", "FILE"],
        v1: Some(&["FILE"]),
        v1beta1: Some(&["FILE"]),
        meaning: "a message is deleted from a file",
    },
    Rule {
        id: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a message turns on no_standard_descriptor_accessor",
    },
    Rule {
        id: "MESSAGE_SAME_JSON_FORMAT",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON"]),
        meaning: "a message loses JSON format support",
    },
    Rule {
        id: "MESSAGE_SAME_REQUIRED_FIELDS",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "a message adds or deletes a required field",
    },
    Rule {
        id: "ONEOF_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "a oneof is deleted from a message",
    },
    Rule {
        id: "PACKAGE_ENUM_NO_DELETE",
        categories: &["PACKAGE"],
        v1: Some(&["PACKAGE"]),
        v1beta1: Some(&["PACKAGE"]),
        meaning: "an enum is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "PACKAGE_EXTENSION_NO_DELETE",
        categories: &["PACKAGE"],
        v1: None,
        v1beta1: None,
        meaning: "an extension is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "PACKAGE_MESSAGE_NO_DELETE",
        categories: &["PACKAGE"],
        v1: Some(&["PACKAGE"]),
        v1beta1: Some(&["PACKAGE"]),
        meaning: "a message is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "PACKAGE_NO_DELETE",
        categories: &["PACKAGE"],
        v1: Some(&["PACKAGE"]),
        v1beta1: Some(&["PACKAGE"]),
        meaning: "a package is deleted",
    },
    Rule {
        id: "PACKAGE_SERVICE_NO_DELETE",
        categories: &["PACKAGE"],
        v1: Some(&["PACKAGE"]),
        v1beta1: Some(&["PACKAGE"]),
        meaning: "a service is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "RESERVED_ENUM_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "an enum's reserved ranges or names shrink",
    },
    Rule {
        id: "RESERVED_MESSAGE_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "a message's reserved ranges or names shrink",
    },
    Rule {
        id: "RPC_NO_DELETE",
        categories: &["FILE", "PACKAGE"],
        v1: Some(&["FILE", "PACKAGE"]),
        v1beta1: Some(&["FILE", "PACKAGE"]),
        meaning: "an RPC is deleted from a service",
    },
    Rule {
        id: "RPC_SAME_CLIENT_STREAMING",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "an RPC switches between client streaming and unary",
    },
    Rule {
        id: "RPC_SAME_IDEMPOTENCY_LEVEL",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "an RPC changes its idempotency_level option",
    },
    Rule {
        id: "RPC_SAME_REQUEST_TYPE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "an RPC changes its request type",
    },
    Rule {
        id: "RPC_SAME_RESPONSE_TYPE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "an RPC changes its response type",
    },
    Rule {
        id: "RPC_SAME_SERVER_STREAMING",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        v1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        v1beta1: Some(&["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
        meaning: "an RPC switches between server streaming and unary",
    },
    Rule {
        id: "SERVICE_NO_DELETE",
        categories: &["FILE"],
        v1: Some(&["FILE"]),
        v1beta1: Some(&["FILE"]),
        meaning: "a service is deleted from a file",
    },
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

pub fn is_category(name: &str) -> bool {
    CATEGORIES.contains(&name)
}

/// The categories of rule `id` under `version`; `None` when that version lacks the rule.
pub fn categories(id: &str, version: BufVersion) -> Option<&'static [&'static str]> {
    let rule = find(id)?;
    match version {
        BufVersion::V2 => Some(rule.categories),
        BufVersion::V1 => rule.v1,
        BufVersion::V1Beta1 => rule.v1beta1,
    }
}

fn deprecated(name: &str, version: BufVersion) -> Option<&'static Deprecated> {
    DEPRECATED
        .iter()
        .find(|d| d.id == name && (d.in_v2 || version != BufVersion::V2))
}

/// A rule ID or a category → the rule IDs it stands for (buf.yaml v2's meaning).
pub fn expand(name: &str) -> anyhow::Result<Vec<&'static str>> {
    expand_in(name, BufVersion::V2)
}

/// A rule ID, deprecated ID or category → the rule IDs it stands for, as buf resolves it for
/// a configuration of `version`.
pub fn expand_in(name: &str, version: BufVersion) -> anyhow::Result<Vec<&'static str>> {
    let in_version = |id: &&'static str| categories(id, version).is_some();
    if is_category(name) {
        let ids: Vec<&'static str> = RULES
            .iter()
            .map(|r| r.id)
            .filter(|id| categories(id, version).is_some_and(|c| c.contains(&name)))
            .collect();
        if !ids.is_empty() {
            return Ok(ids);
        }
    } else if let Some(rule) = find(name).filter(|r| in_version(&r.id)) {
        return Ok(vec![rule.id]);
    } else if let Some(old) = deprecated(name, version) {
        return Ok(old
            .replacements
            .iter()
            .copied()
            .filter(in_version)
            .collect());
    }
    if find(name).is_some() || is_category(name) {
        bail!(
            "'{name}' is not a breaking rule or category of buf.yaml {}\nhelp: buf added it in a later configuration version; use `version: v2`, or drop it",
            version.name()
        );
    }
    bail!(
        "unknown breaking rule or category '{name}'\nhelp: categories are {}; `protogen check --list-rules` lists every rule",
        CATEGORIES.join(", ")
    )
}

/// Whether `name` (a rule ID or a category) covers `rule` (buf.yaml v2's meaning).
pub fn covers(name: &str, rule: &str) -> bool {
    covers_in(name, rule, BufVersion::V2)
}

/// Whether `name` (a rule ID, deprecated ID or category) covers `rule` under `version`.
pub fn covers_in(name: &str, rule: &str, version: BufVersion) -> bool {
    name == rule
        || categories(rule, version).is_some_and(|c| c.contains(&name))
        || deprecated(name, version).is_some_and(|d| d.replacements.contains(&rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_sizes_match_buf() {
        let count = |c: &str| expand(c).unwrap().len();
        assert_eq!(RULES.len(), 64);
        assert_eq!(count("FILE"), 51);
        assert_eq!(count("PACKAGE"), 51);
        assert_eq!(count("WIRE_JSON"), 22);
        assert_eq!(count("WIRE"), 15);
    }

    #[test]
    fn ids_are_sorted_and_unique() {
        assert!(RULES.windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert!(expand("FIELD_NO_DELET").is_err());
        assert!(expand("FIELD_SAME_CTYPE").is_err(), "v2 dropped it");
        assert_eq!(
            expand_in("FIELD_SAME_CTYPE", BufVersion::V1).unwrap(),
            ["FIELD_SAME_CPP_STRING_TYPE"]
        );
        assert_eq!(
            expand("MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT").unwrap(),
            [""; 0]
        );
    }

    #[test]
    fn versions_resolve_as_buf_does() {
        let count = |c: &str, v| expand_in(c, v).unwrap().len();
        // `buf config ls-breaking-rules --version v1|v1beta1`.
        assert_eq!(RULES.iter().filter(|r| r.v1.is_some()).count(), 61);
        assert_eq!(RULES.iter().filter(|r| r.v1beta1.is_some()).count(), 59);
        assert_eq!(count("FILE", BufVersion::V1), 49);
        assert_eq!(count("WIRE", BufVersion::V1Beta1), 14);
        assert_eq!(count("PACKAGE", BufVersion::V1Beta1), 48);
        assert_eq!(
            expand_in("FIELD_SAME_LABEL", BufVersion::V1).unwrap(),
            [
                "FIELD_SAME_CARDINALITY",
                "FIELD_WIRE_COMPATIBLE_CARDINALITY",
                "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"
            ]
        );
        assert!(expand("FIELD_SAME_LABEL").is_err());
        assert!(expand_in("FIELD_SAME_DEFAULT", BufVersion::V1).is_err());
        assert!(expand_in("CSR", BufVersion::V1).is_err());
        assert!(covers_in("WIRE", "FIELD_SAME_TYPE", BufVersion::V1Beta1));
        assert!(!covers("WIRE", "FIELD_SAME_TYPE"));
        assert!(covers_in(
            "FIELD_SAME_LABEL",
            "FIELD_SAME_CARDINALITY",
            BufVersion::V1
        ));
    }
}
