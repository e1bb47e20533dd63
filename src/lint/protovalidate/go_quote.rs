//! Bytes quoted as Go's `%q` quotes them, for buf's messages word for word.
//! (buf is written in Go; its messages print values with `%q`.)

/// Bytes quoted as Go's `%q` prints them in buf's messages (`"\x01ab"`).
pub(super) struct GoQuoted<'b>(pub(super) &'b [u8]);

impl std::fmt::Display for GoQuoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"")?;
        for &b in self.0 {
            match b {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                b'\n' => f.write_str("\\n")?,
                b'\t' => f.write_str("\\t")?,
                b'\r' => f.write_str("\\r")?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}
