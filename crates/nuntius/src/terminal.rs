//! Output for a terminal: article text may hold escape sequences and NULs, which must not reach
//! the screen as such (an article could rewrite what a person reads, or hide lines).

use std::io::{self, Write};

/// A writer that escapes control characters (C0 but line feed and tab, DEL, and C1 as UTF-8)
/// as `\u{..}`, passing everything else through.
pub struct TerminalSafe<W: Write> {
    inner: W,
    /// A lead byte 0xC2 seen at the end of the last write: its second byte decides.
    pending_c2: bool,
}

impl<W: Write> TerminalSafe<W> {
    pub fn new(inner: W) -> TerminalSafe<W> {
        TerminalSafe {
            inner,
            pending_c2: false,
        }
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut clean = Vec::with_capacity(buf.len());
        let mut bytes = buf.iter().copied().peekable();
        if self.pending_c2 {
            self.pending_c2 = false;
            match bytes.peek() {
                Some(b @ 0x80..=0x9f) => {
                    clean.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes());
                    bytes.next();
                }
                _ => clean.push(0xc2),
            }
        }
        while let Some(b) = bytes.next() {
            match b {
                b'\n' | b'\t' => clean.push(b),
                0x00..=0x1f | 0x7f => clean.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes()),
                0xc2 => match bytes.peek() {
                    Some(c @ 0x80..=0x9f) => {
                        clean.extend_from_slice(format!("\\u{{{c:x}}}").as_bytes());
                        bytes.next();
                    }
                    None => self.pending_c2 = true,
                    Some(_) => clean.push(b),
                },
                _ => clean.push(b),
            }
        }
        self.inner.write_all(&clean)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending_c2 {
            self.pending_c2 = false;
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

/// Whether an error is a closed output pipe (`nuntius export | head`), which ends a command
/// quietly rather than as a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Regression: CLI output passed terminal escape sequences and NULs from article text.
    #[test]
    fn control_characters_are_escaped() {
        let mut out = TerminalSafe::new(Vec::new());
        write!(out, "a\u{1b}[2Jb\0c\u{9b}d\ttab\nnext é").unwrap();
        out.flush().unwrap();
        let s = String::from_utf8(out.inner).unwrap();
        assert_eq!(s, "a\\u{1b}[2Jb\\u{0}c\\u{9b}d\ttab\nnext é");
    }
}
