//! Gzip input that survives a broken member: CC-NEWS WARCs (and many JSONL dumps) gzip each
//! record separately, so after a corrupt member we report the error once and go on from the next
//! gzip header instead of losing the rest of the file.

use flate2::bufread::GzDecoder;
use std::io::{BufRead, Read};

/// The error a [`ResyncGz`] returns for a corrupt member. Reading again continues at the next
/// member, so a reader that sees it may go on ([`is_resumable`]); any other error ends the input.
#[derive(Debug, thiserror::Error)]
#[error("corrupt gzip member (skipped to the next member): {0}")]
pub struct CorruptMember(pub std::io::Error);

/// Whether a read error came from a corrupt gzip member after which reading goes on.
pub fn is_resumable(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<CorruptMember>())
}

const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// A multi-member gzip decoder that resumes after a corrupt member.
pub struct ResyncGz<R: BufRead> {
    decoder: Option<GzDecoder<R>>,
}

impl<R: BufRead> ResyncGz<R> {
    pub fn new(input: R) -> Self {
        ResyncGz {
            decoder: Some(GzDecoder::new(input)),
        }
    }
}

/// Skips to the next gzip header; false at end of input.
fn skip_to_member<R: BufRead>(input: &mut R) -> std::io::Result<bool> {
    loop {
        let buf = input.fill_buf()?;
        if buf.len() < GZIP_MAGIC.len() {
            let n = buf.len();
            input.consume(n);
            return Ok(false);
        }
        if let Some(at) = buf.windows(GZIP_MAGIC.len()).position(|w| w == GZIP_MAGIC) {
            input.consume(at);
            return Ok(true);
        }
        // Keep the last bytes: a header may straddle two buffers.
        let n = buf.len() - (GZIP_MAGIC.len() - 1);
        input.consume(n);
    }
}

impl<R: BufRead> Read for ResyncGz<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            match decoder.read(buf) {
                Ok(0) => {
                    // One member done; another may follow.
                    let Some(done) = self.decoder.take() else {
                        return Ok(0);
                    };
                    let mut input = done.into_inner();
                    if input.fill_buf()?.is_empty() {
                        return Ok(0);
                    }
                    self.decoder = Some(GzDecoder::new(input));
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if let Some(broken) = self.decoder.take() {
                        // The decoder has read past the broken member's header (a checksum
                        // error even leaves us exactly at the next member).
                        let mut input = broken.into_inner();
                        if skip_to_member(&mut input)? {
                            self.decoder = Some(GzDecoder::new(input));
                        }
                    }
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        CorruptMember(e),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn reads_all_members_and_skips_a_broken_one() {
        let mut input = gz(b"first ");
        let mut broken = gz(b"second, which will be damaged in the middle of its data ");
        let mid = broken.len() / 2;
        broken[mid..mid + 4].copy_from_slice(b"\xff\xff\xff\xff");
        input.extend_from_slice(&broken);
        input.extend_from_slice(&gz(b"third"));
        let mut reader = ResyncGz::new(input.as_slice());
        let mut out = Vec::new();
        let mut errors = 0;
        let mut buf = [0u8; 7];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => {
                    assert!(is_resumable(&e), "{e}");
                    errors += 1
                }
            }
            assert!(errors < 10);
        }
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("first "), "{text}");
        assert!(text.ends_with("third"), "{text}");
        assert!(errors >= 1);
    }
}
