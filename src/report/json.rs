//! `--format json`: exactly one object, `{"findings":[...],"acknowledged":[...]}`.

use super::CheckReport;

pub fn json(report: &CheckReport) -> String {
    let mut value = serde_json::json!({
        "findings": report.items,
        "acknowledged": report.acknowledged,
    });
    if let Some(consumers) = super::consumers::json(report) {
        value["consumers"] = consumers;
    }
    let mut out = serde_json::to_string_pretty(&value).expect("findings serialize");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_object_with_the_contract_keys() {
        let out = super::json(&super::super::sample::report());
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        let first = &value["findings"][1];
        assert_eq!(first["rule"], "FIELD_NO_DELETE");
        assert_eq!(first["path"], "users.proto");
        assert_eq!(first["line"], 3);
        assert_eq!(first["column"], 1);
        assert_eq!(value["findings"][2]["severity"], "warning");
        assert_eq!(value["acknowledged"][0]["reason"], "no client reads it yet");
    }
}
