//! Attaching compat findings to structural changes: by element and by the aspect the rule
//! judges, through removed containers, and leaving strangers unmatched.

use std::path::Path;

use protogen::compat::Finding;
use protogen::contract::{load, LoadOptions, Side, Source};
use protogen::diff::{compare, judge, Changelog, DiffOptions, Section};

fn changelog(case: &str, findings: Vec<Finding>) -> Changelog {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/diff")
        .join(case);
    let options = LoadOptions::default();
    let old = load(&Source::Dir(root.join("old")), Side::Baseline, &options).unwrap();
    let new = load(&Source::Dir(root.join("new")), Side::Current, &options).unwrap();
    let changes = compare(&old, &new, &DiffOptions::default());
    judge("old".into(), "new".into(), changes, findings, Vec::new())
}

fn finding(rule: &'static str, element: &str) -> Finding {
    Finding {
        rule,
        path: "shop/v1/catalog.proto".into(),
        line: 1,
        column: 1,
        message: format!("{rule} on {element}"),
        element: element.into(),
        severity: Default::default(),
        packages: Vec::new(),
    }
}

/// (aspect, element) of each breaking change with the rules attached to it.
fn breaking(changelog: &Changelog) -> Vec<(String, String, Vec<&'static str>)> {
    changelog
        .in_section(Section::Breaking)
        .map(|c| {
            let rules = c.findings.iter().map(|f| f.rule).collect();
            (c.change.aspect.to_string(), c.change.element.clone(), rules)
        })
        .collect()
}

/// The changes that break nothing, sorted: (aspect, element, old, new).
fn other_changes(changelog: &Changelog) -> Vec<(String, String, String, String)> {
    let mut other: Vec<_> = changelog
        .in_section(Section::Other)
        .map(|c| {
            (
                c.change.aspect.to_string(),
                c.change.element.clone(),
                c.change.old.clone().unwrap_or_default(),
                c.change.new.clone().unwrap_or_default(),
            )
        })
        .collect();
    other.sort();
    other
}

#[test]
fn findings_attach_to_the_aspect_their_rule_judges() {
    let log = changelog(
        "mixed",
        vec![
            finding("FIELD_SAME_JSON_NAME", "shop.v1.Product.availability"),
            finding("FIELD_NO_DELETE", "shop.v1.Product.legacy_sku"),
            finding("FILE_SAME_GO_PACKAGE", "shop/v1/catalog.proto"),
        ],
    );
    assert_eq!(
        breaking(&log),
        [
            (
                "go_package".into(),
                "shop/v1/catalog.proto".into(),
                vec!["FILE_SAME_GO_PACKAGE"]
            ),
            (
                "element".into(),
                "shop.v1.Product.legacy_sku".into(),
                vec!["FIELD_NO_DELETE"]
            ),
            (
                "json_name".into(),
                "shop.v1.Product.availability".into(),
                vec!["FIELD_SAME_JSON_NAME"]
            ),
        ]
    );
    assert!(log.unmatched_findings.is_empty());
    assert_eq!(log.count(Section::Breaking), 3);
}

#[test]
fn a_finding_inside_a_removed_file_attaches_to_the_removal() {
    let log = changelog(
        "mixed",
        vec![
            finding("FILE_NO_DELETE", "shop/v1/legacy.proto"),
            finding("MESSAGE_NO_DELETE", "shop.v1.LegacyExport"),
        ],
    );
    assert_eq!(
        breaking(&log),
        [(
            "element".into(),
            "shop/v1/legacy.proto".into(),
            vec!["FILE_NO_DELETE", "MESSAGE_NO_DELETE"]
        )]
    );
}

#[test]
fn a_rename_is_found_by_its_old_name_and_strangers_stay_unmatched() {
    let log = changelog(
        "rename",
        vec![
            finding("FIELD_SAME_NAME", "users.v1.User.full_name"),
            finding("FIELD_SAME_JSON_NAME", "users.v1.User.display_name"),
            finding("FIELD_SAME_TYPE", "users.v1.Nothing.here"),
        ],
    );
    assert_eq!(
        breaking(&log),
        [
            (
                "name".into(),
                "users.v1.User.display_name".into(),
                vec!["FIELD_SAME_NAME"]
            ),
            (
                "json_name".into(),
                "users.v1.User.display_name".into(),
                vec!["FIELD_SAME_JSON_NAME"]
            ),
        ]
    );
    assert_eq!(log.unmatched_findings.len(), 1);
    assert_eq!(log.count(Section::Breaking), 3);
}

/// Editions: a change of a resolved feature is a change (aspect `features.NAME`, values as
/// descriptor.proto names them), and the rule that judges the feature attaches to it.
#[test]
fn feature_changes_are_changes_and_carry_their_rules() {
    let log = changelog(
        "editions",
        vec![
            finding("ENUM_SAME_TYPE", "shop.v1.Status"),
            finding("MESSAGE_SAME_JSON_FORMAT", "shop.v1.Product"),
            finding("FIELD_SAME_UTF8_VALIDATION", "shop.v1.Product.name"),
            finding("FIELD_SAME_TYPE", "shop.v1.Product.price"),
        ],
    );
    let mut found = breaking(&log);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "features.enum_type".into(),
                "shop.v1.Status".into(),
                vec!["ENUM_SAME_TYPE"]
            ),
            (
                "features.json_format".into(),
                "shop.v1.Product".into(),
                vec!["MESSAGE_SAME_JSON_FORMAT"]
            ),
            (
                "features.message_encoding".into(),
                "shop.v1.Product.price".into(),
                vec!["FIELD_SAME_TYPE"]
            ),
            (
                "features.utf8_validation".into(),
                "shop.v1.Product.name".into(),
                vec!["FIELD_SAME_UTF8_VALIDATION"]
            ),
        ]
    );
    assert!(log.unmatched_findings.is_empty());
    // Packed to expanded breaks nothing, and is listed.
    let other: Vec<_> = log
        .in_section(Section::Other)
        .map(|c| {
            (
                c.change.aspect.to_string(),
                c.change.old.clone(),
                c.change.new.clone(),
            )
        })
        .collect();
    assert_eq!(
        other,
        [(
            "features.repeated_field_encoding".to_string(),
            Some("PACKED".to_string()),
            Some("EXPANDED".to_string())
        )]
    );
}

/// Language features (`features.(pb.cpp)`, `(pb.java)`, `(pb.go)`) are features like the
/// others: a change of one as resolved is a change, and FIELD_SAME_CPP_STRING_TYPE and
/// FIELD_SAME_JAVA_UTF8_VALIDATION attach to the ones they judge.
#[test]
fn language_feature_changes_are_changes_and_carry_their_rules() {
    let log = changelog(
        "editions-languages",
        vec![
            finding("FIELD_SAME_CPP_STRING_TYPE", "shop.v1.Product.name"),
            finding("FIELD_SAME_JAVA_UTF8_VALIDATION", "shop.v1.Product.sku"),
        ],
    );
    let mut found = breaking(&log);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "features.(pb.cpp).string_type".into(),
                "shop.v1.Product.name".into(),
                vec!["FIELD_SAME_CPP_STRING_TYPE"]
            ),
            (
                "features.(pb.java).utf8_validation".into(),
                "shop.v1.Product.sku".into(),
                vec!["FIELD_SAME_JAVA_UTF8_VALIDATION"]
            ),
        ]
    );
    assert!(log.unmatched_findings.is_empty());
    let other = other_changes(&log);
    let expected = [
        (
            "features.(pb.go).api_level",
            "shop.v1.Product",
            "API_LEVEL_UNSPECIFIED",
            "API_OPAQUE",
        ),
        (
            "features.(pb.go).legacy_unmarshal_json_enum",
            "shop.v1.Status",
            "false",
            "true",
        ),
        (
            "features.(pb.java).legacy_closed_enum",
            "shop.v1.Product.status",
            "false",
            "true",
        ),
    ]
    .map(|(a, e, o, n)| (a.to_string(), e.to_string(), o.to_string(), n.to_string()));
    assert_eq!(other, expected);
}

/// Edition 2024's features of services, methods and enum values, and the file's
/// `default_symbol_visibility` as each message and enum resolves it: each change is a change
/// of the element it applies to (none is breaking for buf 1.75).
#[test]
fn feature_changes_of_services_methods_and_values_are_changes() {
    let log = changelog("editions-2024", Vec::new());
    assert!(breaking(&log).is_empty());
    let other = other_changes(&log);
    let visibility = "features.default_symbol_visibility";
    let expected = [
        (
            "features.(pb.go).strip_enum_prefix",
            "shop.v1.Status.STATUS_ACTIVE",
            "STRIP_ENUM_PREFIX_KEEP",
            "STRIP_ENUM_PREFIX_STRIP",
        ),
        (
            "features.(pb.java).nest_in_file_class",
            "shop.v1.CatalogService",
            "NO",
            "YES",
        ),
        visibility_change(visibility, "shop.v1.Product"),
        visibility_change(visibility, "shop.v1.Product.Part"),
        visibility_change(visibility, "shop.v1.Status"),
        (
            "features.enforce_naming_style",
            "shop.v1.CatalogService.GetProduct",
            "STYLE2024",
            "STYLE_LEGACY",
        ),
    ]
    .map(|(a, e, o, n)| (a.to_string(), e.to_string(), o.to_string(), n.to_string()));
    assert_eq!(other, expected);
}

fn visibility_change<'a>(
    aspect: &'a str,
    element: &'a str,
) -> (&'a str, &'a str, &'a str, &'a str) {
    (aspect, element, "EXPORT_TOP_LEVEL", "EXPORT_ALL")
}
