//! Renders what the commands found: compat findings and diff changelogs, in every format
//! the command line offers. Pure functions from data to text; nothing here prints.

pub mod changelog;
pub mod changelog_json;
pub mod changelog_markdown;
pub mod changelog_text;
