//! Source locations: maps a SourceCodeInfo path (field numbers and indexes from the file
//! root down to an element) to a 1-based line and column.

use prost_types::source_code_info::Location;
use prost_types::FileDescriptorProto;

/// A 1-based position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span {
    pub line: u32,
    pub column: u32,
}

/// Finds the location recorded for exactly `path`.
pub fn find(file: &FileDescriptorProto, path: &[i32]) -> Option<Span> {
    let info = file.source_code_info.as_ref()?;
    span_of(info.location.iter().find(|l| l.path == path)?)
}

/// The 1-based start of a recorded location (SourceCodeInfo counts from 0).
pub fn span_of(location: &Location) -> Option<Span> {
    Some(Span {
        line: u32::try_from(*location.span.first()?).ok()? + 1,
        column: u32::try_from(*location.span.get(1)?).ok()? + 1,
    })
}
