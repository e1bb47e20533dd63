//! Source snippets: one line of a source file cut to an excerpt around a column, with a caret
//! under it; and compile diagnostics (protox's, as `miette::Diagnostic`) rendered with them.

use std::fmt::Write;

use miette::{Diagnostic, SourceCode, SourceSpan};

/// Lines longer than this (in characters) are shown as an excerpt around the column: a
/// minified or generated file can hold a whole contract on one line.
const MAX_WIDTH: usize = 100;
/// How much of a cut line stays visible before the column.
const BEFORE: usize = 40;

/// A source line as shown under a diagnostic, and the caret line that points into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    pub caret: String,
}

/// Cuts `line` to at most `MAX_WIDTH` characters around `column` (1-based, in characters),
/// marking cuts with `…`, and underlines `len` characters from the column (at least one).
/// Control characters other than tabs are shown as `�` so that hostile input cannot move the
/// terminal's cursor.
pub fn excerpt(line: &str, column: usize, len: usize) -> Excerpt {
    let count = line.chars().count();
    let at = column.saturating_sub(1).min(count);
    let (start, end) = if count <= MAX_WIDTH {
        (0, count)
    } else {
        let start = at.saturating_sub(BEFORE).min(count - MAX_WIDTH);
        (start, start + MAX_WIDTH)
    };
    let mut text = String::new();
    let mut caret = String::new();
    if start > 0 {
        text.push('…');
        caret.push(' ');
    }
    for (i, c) in line.chars().enumerate().skip(start).take(end - start) {
        text.push(match c {
            '\t' => '\t',
            c if c.is_control() => '\u{fffd}',
            c => c,
        });
        // Keep the caret under the right character when the line holds tabs.
        if i < at {
            caret.push(if c == '\t' { '\t' } else { ' ' });
        }
    }
    if end < count {
        text.push('…');
    }
    let width = len.max(1).min(end.saturating_sub(at).max(1));
    caret.push_str(&"^".repeat(width));
    Excerpt { text, caret }
}

/// At most this many diagnostics of one error are shown: a generated file can hold thousands
/// of the same mistake, and the first ones say what is wrong.
const MAX_SHOWN: usize = 20;

/// Renders a compile diagnostic the way rustc does: the message, then for each label the
/// file:line:column, the source line (an excerpt if it is long) and a caret with the label;
/// then the help and any related diagnostics. Never fails, whatever the source and spans.
pub fn diagnostic(diagnostic: &dyn Diagnostic) -> String {
    let mut out = String::new();
    // Read once: related diagnostics share their parent's source unless they carry their own.
    let shared = diagnostic.source_code().and_then(whole_source);
    render(&mut out, diagnostic, shared.as_ref());
    let related: Vec<_> = diagnostic.related().into_iter().flatten().collect();
    for other in related.iter().take(MAX_SHOWN - 1) {
        match other.source_code() {
            Some(own) => render(&mut out, *other, whole_source(own).as_ref()),
            None => render(&mut out, *other, shared.as_ref()),
        }
    }
    if related.len() >= MAX_SHOWN {
        let _ = writeln!(out, "  … and {} more errors", related.len() + 1 - MAX_SHOWN);
    }
    out.trim_end().to_string()
}

/// A source file's name (if it has one) and its whole text.
struct Source {
    name: Option<String>,
    text: String,
}

fn render(out: &mut String, diagnostic: &dyn Diagnostic, source: Option<&Source>) {
    let _ = writeln!(out, "  × {diagnostic}");
    let mut labels: Vec<_> = diagnostic.labels().into_iter().flatten().collect();
    labels.sort_by_key(|l| (l.offset(), l.len()));
    for label in labels.iter().take(MAX_SHOWN) {
        let Some(source) = source else { break };
        let (line, column, line_text) = locate(&source.text, label.offset());
        let len = source
            .text
            .get(label.offset()..label.offset().saturating_add(label.len()))
            .map_or(1, |s| s.chars().take_while(|&c| c != '\n').count());
        let shown = excerpt(line_text, column, len);
        let pad = " ".repeat(line.to_string().len());
        let place = source
            .name
            .as_ref()
            .map_or(String::new(), |n| format!("{n}:"));
        let _ = writeln!(out, "  {pad}--> {place}{line}:{column}");
        let _ = writeln!(out, "  {pad} |");
        let _ = writeln!(out, "  {line} | {}", shown.text);
        let note = label.label().map_or(String::new(), |l| format!(" {l}"));
        let _ = writeln!(out, "  {pad} | {}{note}", shown.caret);
    }
    if let Some(help) = diagnostic.help() {
        let _ = writeln!(out, "  help: {help}");
    }
}

/// The whole text of a diagnostic's source. miette hands out text by span with context lines;
/// asking around offset 0 with unlimited context returns everything.
fn whole_source(source: &dyn SourceCode) -> Option<Source> {
    let contents = source
        .read_span(&SourceSpan::from((0, 0)), usize::MAX, usize::MAX)
        .ok()?;
    Some(Source {
        name: contents.name().map(str::to_string),
        text: String::from_utf8_lossy(contents.data()).into_owned(),
    })
}

/// The 1-based line and column (in characters) of byte `offset`, and that line's text.
fn locate(text: &str, offset: usize) -> (usize, usize, &str) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[..line_start].matches('\n').count() + 1;
    let column = text[line_start..offset].chars().count() + 1;
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    (line, column, line_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_shown_whole() {
        let e = excerpt("  int32 x = 1;", 3, 5);
        assert_eq!(e.text, "  int32 x = 1;");
        assert_eq!(e.caret, "  ^^^^^");
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(100_000), "b".repeat(100_000));
        let e = excerpt(&line, 100_001, 1);
        assert!(e.text.chars().count() <= MAX_WIDTH + 2, "{}", e.text);
        assert!(e.text.starts_with('…') && e.text.ends_with('…'));
        let caret_at = e.caret.chars().position(|c| c == '^').unwrap();
        assert_eq!(e.text.chars().nth(caret_at), Some('X'));
    }

    #[test]
    fn the_end_of_a_long_line_stays_in_view() {
        let line = format!("{}X", "a".repeat(5000));
        let e = excerpt(&line, 5001, 3);
        assert!(e.text.ends_with('X') && !e.text.ends_with('…'));
        assert!(e.caret.ends_with(" ^"), "{:?}", e.caret);
    }

    #[test]
    fn tabs_keep_the_caret_aligned_and_controls_are_neutralised() {
        let e = excerpt("\tx\u{1b}[2J", 2, 1);
        assert_eq!(e.text, "\tx\u{fffd}[2J");
        assert_eq!(e.caret, "\t^");
    }

    #[test]
    fn columns_past_the_end_point_after_the_last_character() {
        let e = excerpt("ab", 40, 1);
        assert_eq!(e.caret, "  ^");
    }

    #[test]
    fn locate_counts_lines_and_characters() {
        let text = "a\nbé c\r\nd";
        assert_eq!(locate(text, 6), (2, 4, "bé c"));
        assert_eq!(locate(text, 4), (2, 2, "bé c")); // inside 'é': its first byte
        assert_eq!(locate(text, 99), (3, 2, "d"));
    }
}
