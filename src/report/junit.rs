//! `--format junit`: JUnit XML written by quick-junit, with one test case per rule that ran (a
//! rule with errors fails, warnings go to the test case's output) and, when consumers were
//! judged, a second suite with one test case per consumer.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{CheckReport, Level};

pub fn junit(report: &CheckReport) -> String {
    let mut suite = TestSuite::new(format!("{}s{}", report.noun(), report.scope()));
    let classname = match report.kind {
        super::Kind::Breaking => "breaking",
        super::Kind::Lint => "lint",
    };
    for rule in &report.rules {
        let items: Vec<_> = report.items.iter().filter(|i| i.rule == rule.id).collect();
        let line = |i: &super::Item| {
            if i.path.is_empty() {
                i.message.clone()
            } else {
                format!(
                    "{}:{}:{}: {}",
                    report.display_path(&i.path),
                    i.line,
                    i.column,
                    i.message
                )
            }
        };
        let lines = |level: Level| -> Vec<String> {
            items
                .iter()
                .filter(|i| i.severity == level)
                .map(|i| line(i))
                .collect()
        };
        let (errors, warnings) = (lines(Level::Error), lines(Level::Warning));
        let status = if errors.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut failure = TestCaseStatus::non_success(NonSuccessKind::Failure);
            failure
                .set_message(super::plural(errors.len(), report.noun()))
                .set_type(rule.id.clone())
                .set_description(errors.join("\n"));
            failure
        };
        let mut case = TestCase::new(rule.id.clone(), status);
        case.set_classname(classname);
        if !warnings.is_empty() {
            case.set_system_out(warnings.join("\n"));
        }
        suite.add_test_case(case);
    }
    let mut junit = Report::new(report.command());
    junit.add_test_suite(suite);
    if let Some(consumers) = super::consumers::junit_suite(report) {
        junit.add_test_suite(consumers);
    }
    let mut out = junit.to_string().expect("plain strings serialize as XML");
    out.push('\n');
    out
}
