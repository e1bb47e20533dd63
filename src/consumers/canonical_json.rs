//! Canonical, review-friendly JSON: keys in a fixed order, two-space indentation, and each
//! small object (a field, an enum value, an RPC) on one line, so a contract change is a one-line diff.

use serde_json::Value;

/// Values are inlined up to this length (indentation not counted), which fits any field
/// with its type name on one line.
const WIDTH: usize = 160;

/// Renders `value`; object keys listed in `key_order` come first in that order, the others
/// after them alphabetically.
pub fn render(value: &Value, key_order: &[&str]) -> String {
    let mut out = String::new();
    write(value, key_order, 0, &mut out);
    out
}

fn write(value: &Value, key_order: &[&str], indent: usize, out: &mut String) {
    let inline = inline(value, key_order);
    if inline.len() <= WIDTH && !holds_records(value) {
        out.push_str(&inline);
        return;
    }
    let pad = "  ".repeat(indent + 1);
    match value {
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                write(item, key_order, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&"  ".repeat(indent));
            out.push(']');
        }
        Value::Object(_) => {
            let entries = ordered(value, key_order);
            out.push_str("{\n");
            for (i, (key, item)) in entries.iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push_str(": ");
                write(item, key_order, indent + 1, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Whether `value` directly holds a list of objects (a message's fields, a file's
/// messages): such a value always spreads over lines, one record each.
fn holds_records(value: &Value) -> bool {
    let is_records = |v: &Value| {
        v.as_array()
            .is_some_and(|items| items.iter().any(Value::is_object))
    };
    match value {
        Value::Object(map) => map.values().any(is_records),
        array => is_records(array),
    }
}

fn inline(value: &Value, key_order: &[&str]) -> String {
    match value {
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|v| inline(v, key_order)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(_) => {
            let parts: Vec<String> = ordered(value, key_order)
                .into_iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), inline(v, key_order)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

fn ordered<'a>(value: &'a Value, key_order: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    let mut entries: Vec<_> = map.iter().collect();
    let rank = |key: &str| {
        key_order
            .iter()
            .position(|k| *k == key)
            .unwrap_or(key_order.len())
    };
    entries.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_spread_one_per_line_and_keys_follow_the_order() {
        let value = json!({"field": [{"number": 1, "name": "id"}, {"name": "role", "number": 4}], "name": "User"});
        let text = render(&value, &["name", "number", "field"]);
        assert_eq!(
            text,
            "{\n  \"name\": \"User\",\n  \"field\": [\n    {\"name\": \"id\", \"number\": 1},\n    {\"name\": \"role\", \"number\": 4}\n  ]\n}"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }

    #[test]
    fn long_objects_break_even_without_records() {
        let long = "x".repeat(WIDTH);
        let text = render(&json!({"a": long, "b": 1}), &[]);
        assert!(text.starts_with("{\n  \"a\": "), "{text}");
    }
}
