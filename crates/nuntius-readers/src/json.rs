//! A JSON file holding one array of article objects (`[{"id": …}, …]`), read element by element
//! so that a large file is never held whole.

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use crate::jsonl::parse_json_record;
use crate::{ReadItem, RecordError};

struct Elements<'a, 's> {
    shown: &'a str,
    max_record: usize,
    sink: &'s mut dyn FnMut(ReadItem),
    count: u64,
}

impl<'de> Visitor<'de> for &mut Elements<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of article objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.count += 1;
            let location = format!("{} element {}", self.shown, self.count);
            // The element is already parsed; its size is checked on its text so that a record
            // limit means the same here as for a JSONL line.
            let size = serde_json::to_string(&value).map_or(usize::MAX, |s| s.len());
            let item = if size > self.max_record {
                Err(RecordError {
                    location,
                    reason: format!(
                        "element of {size} bytes is over the {}-byte record limit; skipped",
                        self.max_record
                    ),
                })
            } else {
                parse_json_record(value)
                    .map(|mut a| {
                        a.path = Some(self.shown.to_string());
                        a.record = Some(self.count - 1);
                        a
                    })
                    .map_err(|reason| RecordError { location, reason })
            };
            (self.sink)(item);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Elements<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

pub(crate) fn read_json_array<R: Read>(
    reader: R,
    shown: &str,
    max_record: usize,
    sink: &mut dyn FnMut(ReadItem),
) {
    let mut elements = Elements {
        shown,
        max_record,
        sink,
        count: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(SkipBom::new(reader));
    let outcome = (&mut elements).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = outcome {
        let at = elements.count + 1;
        (elements.sink)(Err(RecordError {
            location: format!("{shown} element {at}"),
            reason: format!("invalid JSON array: {e}; the rest of the file is not read"),
        }));
    }
}

/// Drops a UTF-8 byte-order mark at the start of the input.
struct SkipBom<R> {
    inner: R,
    start: Vec<u8>,
    at: usize,
    checked: bool,
}

impl<R: Read> SkipBom<R> {
    fn new(inner: R) -> SkipBom<R> {
        SkipBom {
            inner,
            start: Vec::new(),
            at: 0,
            checked: false,
        }
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.checked {
            self.checked = true;
            let mut head = Vec::with_capacity(3);
            (&mut self.inner).take(3).read_to_end(&mut head)?;
            if head != b"\xef\xbb\xbf" {
                self.start = head;
            }
        }
        if self.at < self.start.len() {
            let n = buf.len().min(self.start.len() - self.at);
            buf[..n].copy_from_slice(&self.start[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}
