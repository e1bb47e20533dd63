//! The registry of breaking-change rules: buf 1.75's IDs and categories (from
//! `buf config ls-breaking-rules --version v2`) and what each one means.

use anyhow::bail;

/// A breaking-change rule as buf names and groups it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub categories: &'static [&'static str],
    /// One line: which change the rule reports.
    pub meaning: &'static str,
}

/// buf's categories, in the order buf lists them.
pub const CATEGORIES: &[&str] = &["FILE", "PACKAGE", "WIRE_JSON", "WIRE", "CSR"];

/// Rules that buf.yaml v1 does not know; a v1 configuration never enables them.
pub const NOT_IN_V1: &[&str] = &[
    "EXTENSION_NO_DELETE",
    "FIELD_SAME_DEFAULT",
    "PACKAGE_EXTENSION_NO_DELETE",
];

/// Deprecated IDs buf v1 configurations still accept, and the rule that replaced them
/// (none for the php_generic_services option, which protobuf removed).
const DEPRECATED: &[(&str, &str)] = &[
    ("FIELD_SAME_CTYPE", "FIELD_SAME_CPP_STRING_TYPE"),
    ("FILE_SAME_PHP_GENERIC_SERVICES", ""),
];

/// Every rule, sorted by ID.
pub const RULES: &[Rule] = &[
    Rule {
        id: "ENUM_NO_DELETE",
        categories: &["CSR", "FILE"],
        meaning: "an enum is deleted from a file",
    },
    Rule {
        id: "ENUM_SAME_JSON_FORMAT",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        meaning: "an enum loses JSON format support",
    },
    Rule {
        id: "ENUM_SAME_TYPE",
        categories: &["FILE", "PACKAGE"],
        meaning: "an enum switches between open and closed",
    },
    Rule {
        id: "ENUM_VALUE_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "an enum value (by number) is deleted",
    },
    Rule {
        id: "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        categories: &["CSR", "WIRE_JSON"],
        meaning: "an enum value is deleted without reserving its name",
    },
    Rule {
        id: "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        categories: &["CSR", "WIRE_JSON", "WIRE"],
        meaning: "an enum value is deleted without reserving its number",
    },
    Rule {
        id: "ENUM_VALUE_SAME_NAME",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        meaning: "an enum value number changes name",
    },
    Rule {
        id: "EXTENSION_MESSAGE_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "a message's extension ranges shrink",
    },
    Rule {
        id: "EXTENSION_NO_DELETE",
        categories: &["FILE"],
        meaning: "an extension is deleted from a file",
    },
    Rule {
        id: "FIELD_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "a field (by number) is deleted from a message",
    },
    Rule {
        id: "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        categories: &["CSR", "WIRE_JSON"],
        meaning: "a field is deleted without reserving its name",
    },
    Rule {
        id: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        categories: &["CSR", "WIRE_JSON", "WIRE"],
        meaning: "a field is deleted without reserving its number",
    },
    Rule {
        id: "FIELD_SAME_CARDINALITY",
        categories: &["FILE", "PACKAGE"],
        meaning: "a field changes cardinality (optional, required, repeated, map, presence)",
    },
    Rule {
        id: "FIELD_SAME_CPP_STRING_TYPE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a string or bytes field changes its C++ string type (ctype)",
    },
    Rule {
        id: "FIELD_SAME_DEFAULT",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "a field changes its default value",
    },
    Rule {
        id: "FIELD_SAME_JAVA_UTF8_VALIDATION",
        categories: &["FILE", "PACKAGE"],
        meaning: "a string field changes Java UTF-8 validation (java_string_check_utf8)",
    },
    Rule {
        id: "FIELD_SAME_JSON_NAME",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        meaning: "a field changes its JSON name",
    },
    Rule {
        id: "FIELD_SAME_JSTYPE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a 64-bit integer field changes its jstype option",
    },
    Rule {
        id: "FIELD_SAME_NAME",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        meaning: "a field number changes name",
    },
    Rule {
        id: "FIELD_SAME_ONEOF",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "a field moves into, out of or between oneofs",
    },
    Rule {
        id: "FIELD_SAME_TYPE",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "a field changes type",
    },
    Rule {
        id: "FIELD_SAME_UTF8_VALIDATION",
        categories: &["FILE", "PACKAGE"],
        meaning: "a string field changes UTF-8 validation",
    },
    Rule {
        id: "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        categories: &["WIRE"],
        meaning: "a field changes cardinality in a way the wire format notices",
    },
    Rule {
        id: "FIELD_WIRE_COMPATIBLE_TYPE",
        categories: &["WIRE"],
        meaning: "a field changes type in a way the wire format notices",
    },
    Rule {
        id: "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        categories: &["CSR", "WIRE_JSON"],
        meaning: "a field changes cardinality in a way the wire or JSON format notices",
    },
    Rule {
        id: "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        categories: &["CSR", "WIRE_JSON"],
        meaning: "a field changes type in a way the wire or JSON format notices",
    },
    Rule {
        id: "FILE_NO_DELETE",
        categories: &["CSR", "FILE"],
        meaning: "a file is deleted",
    },
    Rule {
        id: "FILE_SAME_CC_ENABLE_ARENAS",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the cc_enable_arenas option",
    },
    Rule {
        id: "FILE_SAME_CC_GENERIC_SERVICES",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the cc_generic_services option",
    },
    Rule {
        id: "FILE_SAME_CSHARP_NAMESPACE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the csharp_namespace option",
    },
    Rule {
        id: "FILE_SAME_GO_PACKAGE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the go_package option",
    },
    Rule {
        id: "FILE_SAME_JAVA_GENERIC_SERVICES",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the java_generic_services option",
    },
    Rule {
        id: "FILE_SAME_JAVA_MULTIPLE_FILES",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the java_multiple_files option",
    },
    Rule {
        id: "FILE_SAME_JAVA_OUTER_CLASSNAME",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the java_outer_classname option",
    },
    Rule {
        id: "FILE_SAME_JAVA_PACKAGE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the java_package option",
    },
    Rule {
        id: "FILE_SAME_OBJC_CLASS_PREFIX",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the objc_class_prefix option",
    },
    Rule {
        id: "FILE_SAME_OPTIMIZE_FOR",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the optimize_for option",
    },
    Rule {
        id: "FILE_SAME_PACKAGE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "a file changes package",
    },
    Rule {
        id: "FILE_SAME_PHP_CLASS_PREFIX",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the php_class_prefix option",
    },
    Rule {
        id: "FILE_SAME_PHP_METADATA_NAMESPACE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the php_metadata_namespace option",
    },
    Rule {
        id: "FILE_SAME_PHP_NAMESPACE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the php_namespace option",
    },
    Rule {
        id: "FILE_SAME_PY_GENERIC_SERVICES",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the py_generic_services option",
    },
    Rule {
        id: "FILE_SAME_RUBY_PACKAGE",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the ruby_package option",
    },
    Rule {
        id: "FILE_SAME_SWIFT_PREFIX",
        categories: &["FILE", "PACKAGE"],
        meaning: "a file changes the swift_prefix option",
    },
    Rule {
        id: "FILE_SAME_SYNTAX",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "a file changes syntax (proto2, proto3)",
    },
    Rule {
        id: "MESSAGE_NO_DELETE",
        categories: &["CSR", "FILE"],
        meaning: "a message is deleted from a file",
    },
    Rule {
        id: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "a message turns on no_standard_descriptor_accessor",
    },
    Rule {
        id: "MESSAGE_SAME_JSON_FORMAT",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON"],
        meaning: "a message loses JSON format support",
    },
    Rule {
        id: "MESSAGE_SAME_REQUIRED_FIELDS",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "a message adds or deletes a required field",
    },
    Rule {
        id: "ONEOF_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE"],
        meaning: "a oneof is deleted from a message",
    },
    Rule {
        id: "PACKAGE_ENUM_NO_DELETE",
        categories: &["PACKAGE"],
        meaning: "an enum is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "PACKAGE_EXTENSION_NO_DELETE",
        categories: &["PACKAGE"],
        meaning: "an extension is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "PACKAGE_MESSAGE_NO_DELETE",
        categories: &["PACKAGE"],
        meaning: "a message is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "PACKAGE_NO_DELETE",
        categories: &["PACKAGE"],
        meaning: "a package is deleted",
    },
    Rule {
        id: "PACKAGE_SERVICE_NO_DELETE",
        categories: &["PACKAGE"],
        meaning: "a service is deleted from a package (moving it between files is fine)",
    },
    Rule {
        id: "RESERVED_ENUM_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "an enum's reserved ranges or names shrink",
    },
    Rule {
        id: "RESERVED_MESSAGE_NO_DELETE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "a message's reserved ranges or names shrink",
    },
    Rule {
        id: "RPC_NO_DELETE",
        categories: &["FILE", "PACKAGE"],
        meaning: "an RPC is deleted from a service",
    },
    Rule {
        id: "RPC_SAME_CLIENT_STREAMING",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "an RPC switches between client streaming and unary",
    },
    Rule {
        id: "RPC_SAME_IDEMPOTENCY_LEVEL",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "an RPC changes its idempotency_level option",
    },
    Rule {
        id: "RPC_SAME_REQUEST_TYPE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "an RPC changes its request type",
    },
    Rule {
        id: "RPC_SAME_RESPONSE_TYPE",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "an RPC changes its response type",
    },
    Rule {
        id: "RPC_SAME_SERVER_STREAMING",
        categories: &["CSR", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
        meaning: "an RPC switches between server streaming and unary",
    },
    Rule {
        id: "SERVICE_NO_DELETE",
        categories: &["FILE"],
        meaning: "a service is deleted from a file",
    },
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

pub fn is_category(name: &str) -> bool {
    CATEGORIES.contains(&name)
}

/// A rule ID or a category → the rule IDs it stands for.
pub fn expand(name: &str) -> anyhow::Result<Vec<&'static str>> {
    if is_category(name) {
        return Ok(RULES
            .iter()
            .filter(|r| r.categories.contains(&name))
            .map(|r| r.id)
            .collect());
    }
    if let Some(rule) = find(name) {
        return Ok(vec![rule.id]);
    }
    if let Some((_, replacement)) = DEPRECATED.iter().find(|(old, _)| *old == name) {
        return Ok(find(replacement).map(|r| r.id).into_iter().collect());
    }
    bail!(
        "unknown breaking rule or category '{name}'\nhelp: categories are {}; `protogen check --list-rules` lists every rule",
        CATEGORIES.join(", ")
    )
}

/// Whether `name` (a rule ID or a category) covers `rule`.
pub fn covers(name: &str, rule: &str) -> bool {
    name == rule || find(rule).is_some_and(|r| r.categories.contains(&name))
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
        assert_eq!(
            expand("FIELD_SAME_CTYPE").unwrap(),
            ["FIELD_SAME_CPP_STRING_TYPE"]
        );
    }
}
