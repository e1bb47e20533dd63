//! The text-format values of options (`[(buf.validate.field) = {...}]`): protox records no
//! location inside `{...}`, where buf points, so `Literal` reads the source text for the keys.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

use super::EXTENSION;
use crate::contract::Span;
use crate::lint::sink::Sink;

/// The locations below a field's `(buf.validate.field)`, as paths relative to it: those
/// protox records (one per option as written), each followed by the keys inside its
/// `{...}` value, in source order.
pub(super) fn option_locations(
    sink: &mut Sink,
    file: usize,
    element: &[i32],
    options: i32,
    text: &str,
    rules: &MessageDescriptor,
) -> Vec<(Vec<i32>, Span)> {
    let mut prefix = element.to_vec();
    prefix.extend([options, EXTENSION]);
    let chars: Vec<char> = text.chars().collect();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            chars
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == '\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let mut out = Vec::new();
    let Some(info) = sink.model.files[file].desc.source_code_info.as_ref() else {
        return out;
    };
    for location in &info.location {
        let Some(relative) = location.path.strip_prefix(prefix.as_slice()) else {
            continue;
        };
        let (Some(&line), Some(&column)) = (location.span.first(), location.span.get(1)) else {
            continue;
        };
        let span = Span {
            line: line as u32 + 1,
            column: column as u32 + 1,
        };
        out.push((relative.to_vec(), span));
        if let Some(descriptor) = message_at(rules, relative) {
            if let Some(mut literal) = Literal::new(&chars, &starts, line as usize, column as usize)
            {
                if literal.skip_to_value() {
                    literal.message(&descriptor, relative.to_vec(), &mut out);
                }
            }
        }
    }
    out
}

/// buf's choice of location for a path below the extension: the location of exactly that
/// path; else the first location inside it; else the innermost one around it.
pub(super) fn best_location(locations: &[(Vec<i32>, Span)], wanted: &[i32]) -> Option<Span> {
    if let Some((_, span)) = locations.iter().find(|(p, _)| p == wanted) {
        return Some(*span);
    }
    let mut best: Option<(usize, Span)> = None;
    for (path, span) in locations {
        if wanted.starts_with(path) {
            if best.is_none_or(|(len, _)| path.len() > len) {
                best = Some((path.len(), *span));
            }
        } else if path.starts_with(wanted) {
            return Some(*span);
        }
    }
    best.map(|(_, span)| span)
}

/// The message type of the rules at `path` below FieldRules (`[14]`: StringRules), if a
/// message; list indexes are skipped.
fn message_at(field_rules: &MessageDescriptor, path: &[i32]) -> Option<MessageDescriptor> {
    let mut message = field_rules.clone();
    let mut rest = path.iter();
    while let Some(number) = rest.next() {
        let field = message.get_field(u32::try_from(*number).ok()?)?;
        if field.is_list() {
            rest.next();
        }
        message = match field.kind() {
            Kind::Message(m) => m,
            _ => return None,
        };
    }
    Some(message)
}

/// A reader of an option's value in the source text (protobuf text format), recording where
/// each key of a `{...}` value starts, as buf's compiler does.
struct Literal<'t> {
    /// The file's text, as chars: SourceCodeInfo columns count chars.
    text: &'t [char],
    /// Where each line starts in `text`.
    starts: &'t [usize],
    at: usize,
}

impl<'t> Literal<'t> {
    /// At 0-based `line` and `column`, if the text has them.
    fn new(text: &'t [char], starts: &'t [usize], line: usize, column: usize) -> Option<Self> {
        let at = starts.get(line)? + column;
        (at <= text.len()).then_some(Literal { text, starts, at })
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.at).copied()
    }

    fn bump(&mut self) {
        self.at += 1;
    }

    fn span(&self) -> Span {
        let line = self.starts.partition_point(|&start| start <= self.at) - 1;
        Span {
            line: line as u32 + 1,
            column: (self.at - self.starts[line]) as u32 + 1,
        }
    }

    fn skip_space(&mut self) {
        loop {
            match (self.peek(), self.text.get(self.at + 1)) {
                (Some(c), _) if c.is_whitespace() => self.bump(),
                (Some('/'), Some('/')) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    self.at += 2;
                    while let Some(c) = self.peek() {
                        self.bump();
                        if c == '*' && self.peek() == Some('/') {
                            self.bump();
                            break;
                        }
                    }
                }
                _ => return,
            }
        }
    }

    /// From the start of an option (its name), moves to the value after `=`; whether that
    /// value is a `{...}` message.
    fn skip_to_value(&mut self) -> bool {
        let mut depth = 0;
        while let Some(c) = self.peek() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '=' if depth == 0 => {
                    self.bump();
                    self.skip_space();
                    return matches!(self.peek(), Some('{' | '<'));
                }
                ',' | ']' | ';' if depth == 0 => return false,
                _ => {}
            }
            self.bump();
        }
        false
    }

    /// A `{...}` value of type `descriptor` at `path`: each key's start is recorded.
    fn message(
        &mut self,
        descriptor: &MessageDescriptor,
        path: Vec<i32>,
        out: &mut Vec<(Vec<i32>, Span)>,
    ) {
        let close = if self.peek() == Some('<') { '>' } else { '}' };
        self.bump();
        loop {
            self.skip_space();
            let Some(c) = self.peek() else {
                return;
            };
            if c == close {
                self.bump();
                return;
            }
            if c == ',' || c == ';' {
                self.bump();
                continue;
            }
            let start = self.span();
            let key = if c == '[' {
                // An extension or Any type name: its value is read, not recorded.
                while let Some(c) = self.peek() {
                    self.bump();
                    if c == ']' {
                        break;
                    }
                }
                None
            } else {
                let mut key = String::new();
                while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
                    key.push(c);
                    self.bump();
                }
                if key.is_empty() {
                    return; // not text format: stop reading
                }
                descriptor.get_field_by_name(&key)
            };
            self.skip_space();
            if self.peek() == Some(':') {
                self.bump();
                self.skip_space();
            }
            // buf's compiler records keys with a plain value; a key whose value is a message
            // is known by the keys inside it, one whose value is a list not at all.
            let nested = matches!(self.peek(), Some('{' | '<' | '['));
            let child = key.as_ref().map(|field| {
                let mut child = path.clone();
                child.push(field.number() as i32);
                if !nested {
                    out.push((child.clone(), start));
                }
                (field.clone(), child)
            });
            self.value(child.as_ref(), out);
        }
    }

    fn value(
        &mut self,
        key: Option<&(FieldDescriptor, Vec<i32>)>,
        out: &mut Vec<(Vec<i32>, Span)>,
    ) {
        let message_type = key.and_then(|(field, _)| match field.kind() {
            Kind::Message(m) => Some(m),
            _ => None,
        });
        match self.peek() {
            Some('{' | '<') => match (&message_type, key) {
                (Some(m), Some((_, path))) => self.message(m, path.clone(), out),
                _ => self.skip_balanced(),
            },
            Some('[') => {
                self.bump();
                loop {
                    self.skip_space();
                    match self.peek() {
                        None => return,
                        Some(']') => {
                            self.bump();
                            return;
                        }
                        Some(',') => self.bump(),
                        Some(_) => {
                            let before = self.at;
                            if matches!(self.peek(), Some('{' | '<')) {
                                self.value(None, out);
                            } else {
                                self.scalar();
                            }
                            if self.at == before {
                                return; // not text format: stop reading
                            }
                        }
                    }
                }
            }
            _ => self.scalar(),
        }
    }

    /// A number, identifier or string (adjacent strings included).
    fn scalar(&mut self) {
        loop {
            match self.peek() {
                Some(q @ ('"' | '\'')) => {
                    self.bump();
                    while let Some(c) = self.peek() {
                        self.bump();
                        if c == '\\' {
                            self.bump();
                        } else if c == q {
                            break;
                        }
                    }
                    self.skip_space();
                    if !matches!(self.peek(), Some('"' | '\'')) {
                        return;
                    }
                }
                Some(c) if c.is_alphanumeric() || matches!(c, '-' | '+' | '.' | '_') => {
                    while let Some(c) = self
                        .peek()
                        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '+' | '.' | '_'))
                    {
                        let _ = c;
                        self.bump();
                    }
                    return;
                }
                _ => return,
            }
        }
    }

    fn skip_balanced(&mut self) {
        let mut depth = 0;
        while let Some(c) = self.peek() {
            self.bump();
            match c {
                '{' | '<' | '[' => depth += 1,
                '}' | '>' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::super::VALIDATE;
    use super::*;

    fn field_rules() -> MessageDescriptor {
        let text = crate::contract::known::FILES
            .iter()
            .find(|(name, _)| *name == VALIDATE)
            .expect("protogen carries validate.proto")
            .1;
        let sources = BTreeMap::from([(VALIDATE.to_string(), Arc::from(text))]);
        crate::contract::reflect::descriptor_pool(&sources, &[VALIDATE])
            .and_then(|pool| pool.get_message_by_name("buf.validate.FieldRules"))
            .expect("validate.proto compiles")
    }

    fn keys(text: &str, path: &[i32]) -> Vec<(Vec<i32>, Span)> {
        let chars: Vec<char> = text.chars().collect();
        let starts = vec![0];
        let mut literal = Literal::new(&chars, &starts, 0, 0).unwrap();
        let mut out = Vec::new();
        if literal.skip_to_value() {
            let descriptor = message_at(&field_rules(), path).unwrap();
            literal.message(&descriptor, path.to_vec(), &mut out);
        }
        out
    }

    #[test]
    fn keys_inside_an_option_value_are_found_where_buf_points() {
        let found = keys(
            "(buf.validate.field).string = {min_len: 5 /* x */, max_len: 2, in: [\"a\", \"b\"]}",
            &[14],
        );
        let at = |path: &[i32]| found.iter().find(|(p, _)| p == path).map(|(_, s)| s.column);
        assert_eq!(at(&[14, 2]), Some(32));
        assert_eq!(at(&[14, 3]), Some(52));
        assert_eq!(at(&[14, 10]), None, "a list is not recorded");
        assert_eq!(at(&[14, 10, 1]), None);
        // A key whose value is a message is known by the keys inside it.
        let nested = keys(
            "(buf.validate.field).map = {keys: {string: {min_len: 1}}}",
            &[19],
        );
        assert_eq!(
            nested.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
            [vec![19, 4, 14, 2]]
        );
        // Text that is not text format stops the reader without a panic or a loop.
        for broken in [
            "(a) = {b: [)",
            "(a) = {",
            "(a) = {[x",
            "(a) = {b: {c: \"",
            "(a) = {b: /*",
        ] {
            keys(broken, &[14]);
        }
    }

    #[test]
    fn best_location_prefers_the_exact_path_then_inside_then_around() {
        let span = |column| Span { line: 1, column };
        let locations = vec![
            (vec![14], span(1)),
            (vec![14, 2], span(5)),
            (vec![14, 3], span(9)),
        ];
        assert_eq!(best_location(&locations, &[14, 3]), Some(span(9)));
        assert_eq!(best_location(&locations, &[14, 4]), Some(span(1)));
        assert_eq!(best_location(&locations[1..], &[14]), Some(span(5)));
        assert_eq!(best_location(&locations[1..], &[15]), None);
    }
}
