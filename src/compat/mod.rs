//! Breaking-change rules, with buf's IDs, categories and meaning: compares a baseline
//! contract with the current one and judges every difference.

/// One breaking change (or warning) found by a rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// buf's rule ID, e.g. `FIELD_NO_DELETE`.
    pub rule: &'static str,
    /// File relative to the module root, where buf points; empty when buf gives no path.
    pub path: String,
    /// 1-based; 0 when the contract carries no source info.
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// Full name of the element the finding is about (`users.v1.User.role`,
    /// `users.v1.UsersService.FindOne`, or the file name for file-level rules), so that
    /// `diff` can attach findings to the changes they judge.
    pub element: String,
}
