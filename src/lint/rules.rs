//! The lint rule registry: buf 1.75's lint rule IDs, what each checks, and the categories it
//! belongs to in each buf.yaml version (v1beta1, v1, v2), as `buf config ls-lint-rules` lists them.

/// Where a rule stands in one configuration version.
pub use crate::config::BufVersion;

#[derive(Debug, Clone, Copy)]
pub struct In {
    /// Category names that select it (`STANDARD`, `DEFAULT`, `COMMENTS`, ...).
    pub categories: &'static [&'static str],
    /// Whether it runs when the configuration has no `use`.
    pub default: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    /// What the rule checks, in buf's words.
    pub purpose: &'static str,
    /// `None` where the rule does not exist in that version.
    pub v2: Option<In>,
    pub v1: Option<In>,
    pub v1beta1: Option<In>,
}

impl Rule {
    pub fn in_version(&self, version: BufVersion) -> Option<In> {
        match version {
            BufVersion::V1Beta1 => self.v1beta1,
            BufVersion::V1 => self.v1,
            BufVersion::V2 => self.v2,
        }
    }
}

/// Every rule or category name of `version` that `name` selects, or an error naming the
/// version and what exists.
pub fn expand(name: &str, version: BufVersion) -> anyhow::Result<Vec<&'static str>> {
    let ids: Vec<&'static str> = RULES
        .iter()
        .filter(|rule| {
            rule.in_version(version)
                .is_some_and(|r| rule.id == name || r.categories.contains(&name))
        })
        .map(|rule| rule.id)
        .collect();
    if ids.is_empty() {
        anyhow::bail!(
            "unknown lint rule or category '{name}' for buf.yaml {}\nhelp: `protogen lint --list-rules` lists them; categories: {}",
            version.name(),
            categories(version).join(", ")
        );
    }
    Ok(ids)
}

/// Deprecated rules without a replacement: buf accepts their IDs and runs nothing for them.
pub const DEPRECATED: &[&str] = &["IMPORT_NO_WEAK"];

/// The rules that run when nothing is configured.
pub fn defaults(version: BufVersion) -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|rule| rule.in_version(version).is_some_and(|r| r.default))
        .map(|rule| rule.id)
        .collect()
}

/// Category names of a version, sorted.
pub fn categories(version: BufVersion) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = RULES
        .iter()
        .filter_map(|rule| rule.in_version(version))
        .flat_map(|r| r.categories.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// In the order `buf config ls-lint-rules` prints them for v2 (then v1-only rules).
pub static RULES: &[Rule] = &[
    Rule {
        id: "DIRECTORY_SAME_PACKAGE",
        purpose: "Checks that all files in a given directory are in the same package.",
        v2: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "FILE_LAYOUT"], default: true }),
    },
    Rule {
        id: "PACKAGE_DEFINED",
        purpose: "Checks that all files have a package defined.",
        v2: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "SENSIBLE"], default: true }),
    },
    Rule {
        id: "PACKAGE_DIRECTORY_MATCH",
        purpose: "Checks that all files are in a directory that matches their package name.",
        v2: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "FILE_LAYOUT"], default: true }),
    },
    Rule {
        id: "PACKAGE_NO_IMPORT_CYCLE",
        purpose: "Checks that packages do not have import cycles.",
        v2: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &[], default: false }),
        v1beta1: None,
    },
    Rule {
        id: "PACKAGE_SAME_DIRECTORY",
        purpose: "Checks that all files with a given package are in the same directory.",
        v2: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "FILE_LAYOUT"], default: true }),
    },
    Rule {
        id: "ENUM_FIRST_VALUE_ZERO",
        purpose: "Checks that all first values of enums have a numeric value of 0.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["OTHER"], default: false }),
    },
    Rule {
        id: "ENUM_NO_ALLOW_ALIAS",
        purpose: "Checks that enums do not have the allow_alias option set.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "SENSIBLE"], default: true }),
    },
    Rule {
        id: "ENUM_PASCAL_CASE",
        purpose: "Checks that enums are PascalCase.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "ENUM_VALUE_UPPER_SNAKE_CASE",
        purpose: "Checks that enum values are UPPER_SNAKE_CASE.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "FIELD_LOWER_SNAKE_CASE",
        purpose: "Checks that field names are lower_snake_case.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "FIELD_NOT_REQUIRED",
        purpose: "Checks that fields are not configured to be required.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: None,
        v1beta1: None,
    },
    Rule {
        id: "IMPORT_NO_PUBLIC",
        purpose: "Checks that imports are not public.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "SENSIBLE"], default: true }),
    },
    Rule {
        id: "IMPORT_USED",
        purpose: "Checks that imports are used.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: None,
    },
    Rule {
        id: "MESSAGE_PASCAL_CASE",
        purpose: "Checks that messages are PascalCase.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "ONEOF_LOWER_SNAKE_CASE",
        purpose: "Checks that oneof names are lower_snake_case.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "PACKAGE_LOWER_SNAKE_CASE",
        purpose: "Checks that packages are lower_snake.case.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_CSHARP_NAMESPACE",
        purpose: "Checks that all files with a given package have the same value for the csharp_namespace option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_GO_PACKAGE",
        purpose: "Checks that all files with a given package have the same value for the go_package option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_JAVA_MULTIPLE_FILES",
        purpose: "Checks that all files with a given package have the same value for the java_multiple_files option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_JAVA_PACKAGE",
        purpose: "Checks that all files with a given package have the same value for the java_package option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_PHP_NAMESPACE",
        purpose: "Checks that all files with a given package have the same value for the php_namespace option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_RUBY_PACKAGE",
        purpose: "Checks that all files with a given package have the same value for the ruby_package option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "PACKAGE_SAME_SWIFT_PREFIX",
        purpose: "Checks that all files with a given package have the same value for the swift_prefix option.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "PACKAGE_AFFINITY"], default: true }),
    },
    Rule {
        id: "RPC_PASCAL_CASE",
        purpose: "Checks that RPCs are PascalCase.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "SERVICE_PASCAL_CASE",
        purpose: "Checks that services are PascalCase.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD", "STYLE_BASIC", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "SYNTAX_SPECIFIED",
        purpose: "Checks that all files have a syntax specified.",
        v2: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["BASIC", "DEFAULT", "STANDARD"], default: true }),
        v1beta1: None,
    },
    Rule {
        id: "ENUM_VALUE_PREFIX",
        purpose: "Checks that enum values are prefixed with ENUM_NAME_UPPER_SNAKE_CASE.",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "ENUM_ZERO_VALUE_SUFFIX",
        purpose: "Checks that enum zero values have a consistent suffix (configurable, default suffix is \"_UNSPECIFIED\").",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "FILE_LOWER_SNAKE_CASE",
        purpose: "Checks that filenames are lower_snake_case.",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "PACKAGE_VERSION_SUFFIX",
        purpose: "Checks that the last component of all packages is a version of the form v\\d+, v\\d+test.*, v\\d+(alpha|beta)\\d+, or v\\d+p\\d+(alpha|beta)\\d+, where numbers are >=1.",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "PROTOVALIDATE",
        purpose: "Checks that protovalidate rules are valid and all CEL expressions compile.",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: None,
    },
    Rule {
        id: "RPC_REQUEST_RESPONSE_UNIQUE",
        purpose: "Checks that RPC request and response types are only used in one RPC (configurable).",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "RPC_REQUEST_STANDARD_NAME",
        purpose: "Checks that RPC request type names are RPCNameRequest or ServiceNameRPCNameRequest (configurable).",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "RPC_RESPONSE_STANDARD_NAME",
        purpose: "Checks that RPC response type names are RPCNameResponse or ServiceNameRPCNameResponse (configurable).",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "SERVICE_SUFFIX",
        purpose: "Checks that services have a consistent suffix (configurable, default suffix is \"Service\").",
        v2: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1: Some(In { categories: &["DEFAULT", "STANDARD"], default: true }),
        v1beta1: Some(In { categories: &["DEFAULT", "STANDARD", "STYLE_DEFAULT", "STYLE_STANDARD"], default: true }),
    },
    Rule {
        id: "COMMENT_ENUM",
        purpose: "Checks that enums have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "COMMENT_ENUM_VALUE",
        purpose: "Checks that enum values have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "COMMENT_FIELD",
        purpose: "Checks that fields have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "COMMENT_MESSAGE",
        purpose: "Checks that messages have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "COMMENT_ONEOF",
        purpose: "Checks that oneofs have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "COMMENT_RPC",
        purpose: "Checks that RPCs have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "COMMENT_SERVICE",
        purpose: "Checks that services have non-empty comments.",
        v2: Some(In { categories: &["COMMENTS"], default: false }),
        v1: Some(In { categories: &["COMMENTS"], default: false }),
        v1beta1: Some(In { categories: &["COMMENTS"], default: false }),
    },
    Rule {
        id: "RPC_NO_CLIENT_STREAMING",
        purpose: "Checks that RPCs are not client streaming.",
        v2: Some(In { categories: &["UNARY_RPC"], default: false }),
        v1: Some(In { categories: &["UNARY_RPC"], default: false }),
        v1beta1: Some(In { categories: &["UNARY_RPC"], default: false }),
    },
    Rule {
        id: "RPC_NO_SERVER_STREAMING",
        purpose: "Checks that RPCs are not server streaming.",
        v2: Some(In { categories: &["UNARY_RPC"], default: false }),
        v1: Some(In { categories: &["UNARY_RPC"], default: false }),
        v1beta1: Some(In { categories: &["UNARY_RPC"], default: false }),
    },
    Rule {
        id: "IMPORT_NO_WEAK",
        purpose: "Checks that imports are not weak.",
        v2: Some(In { categories: &[], default: false }),
        v1: Some(In { categories: &[], default: false }),
        v1beta1: Some(In { categories: &[], default: false }),
    },
    Rule {
        id: "STABLE_PACKAGE_NO_IMPORT_UNSTABLE",
        purpose: "Checks that all files that have stable versioned packages do not import packages with unstable version packages.",
        v2: Some(In { categories: &[], default: false }),
        v1: None,
        v1beta1: None,
    },
    Rule {
        id: "FIELD_NO_DESCRIPTOR",
        purpose: "Checks that field names are not any capitalization of \"descriptor\" with any number of prefix or suffix underscores.",
        v2: None,
        v1: None,
        v1beta1: Some(In { categories: &["MINIMAL", "BASIC", "DEFAULT", "STANDARD", "SENSIBLE"], default: true }),
    },
];
