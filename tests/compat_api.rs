//! The library API other commands use: `compat::check` with a category, and a filter by
//! element for consumers that only observe part of the contract.

use std::path::Path;

use protogen::compat::{self, RuleSet};
use protogen::contract::{load, LoadOptions, Side, Source};
use tempfile::TempDir;

fn contract(root: &Path, text: &str, side: Side) -> protogen::contract::Contract {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("shop.proto"), text).unwrap();
    load(
        &Source::Dir(root.to_path_buf()),
        side,
        &LoadOptions::default(),
    )
    .unwrap()
}

const BEFORE: &str = "syntax = \"proto3\";\npackage shop.v1;\nmessage Order { string id = 1; int32 count = 2; }\nmessage Item { string sku = 1; string note = 2; }\n";
const AFTER: &str = "syntax = \"proto3\";\npackage shop.v1;\nmessage Order { string id = 1; int64 count = 2; }\nmessage Item { string sku = 1; string comment = 2; }\n";

#[test]
fn categories_and_element_filters() {
    let dir = TempDir::new().unwrap();
    let old = contract(&dir.path().join("old"), BEFORE, Side::Baseline);
    let new = contract(&dir.path().join("new"), AFTER, Side::Current);

    let file = compat::check(&old, &new, &RuleSet::category("FILE").unwrap());
    let rules: Vec<_> = file.iter().map(|f| (f.rule, f.element.as_str())).collect();
    assert_eq!(
        rules,
        [
            ("FIELD_SAME_TYPE", "shop.v1.Order.count"),
            ("FIELD_SAME_JSON_NAME", "shop.v1.Item.comment"),
            ("FIELD_SAME_NAME", "shop.v1.Item.comment"),
        ]
    );

    // WIRE ignores names; int32 -> int64 is wire compatible.
    assert!(compat::check(&old, &new, &RuleSet::category("WIRE").unwrap()).is_empty());

    let only_order = RuleSet::category("WIRE_JSON")
        .unwrap()
        .only_elements(["shop.v1.Order".to_string()]);
    let order: Vec<_> = compat::check(&old, &new, &only_order)
        .iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(order, ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"]);

    assert!(RuleSet::category("NOPE").is_err());
}
