//! Sources as people name them: URL checks for `sources add`, OPML import, and the one view of
//! a source's state that `sources list --json` and `GET /api/sources` both print.

use std::time::{Duration, UNIX_EPOCH};

use nuntius_store::SourceRow;
use quick_xml::events::Event;
use quick_xml::Reader;

/// Outlines read from one OPML file, at most.
pub const MAX_OPML_OUTLINES: usize = 10_000;

/// A source URL as stored (canonical), or why it cannot be one.
pub fn source_url(input: &str) -> Result<String, String> {
    let parsed =
        url::Url::parse(input.trim()).map_err(|e| format!("{input:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("{input:?} is not an http(s) URL"));
    }
    Ok(nuntius_web::canonical_url(parsed.as_str()))
}

/// The feed URLs (`xmlUrl`) of an OPML subscription list, in document order.
pub fn opml_feeds(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut feeds = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if !e.local_name().as_ref().eq_ignore_ascii_case(b"outline") {
                    buf.clear();
                    continue;
                }
                for attr in e.attributes().flatten() {
                    if attr
                        .key
                        .local_name()
                        .as_ref()
                        .eq_ignore_ascii_case(b"xmlurl")
                    {
                        let value = attr
                            .decoded_and_normalized_value(
                                quick_xml::XmlVersion::Implicit1_0,
                                reader.decoder(),
                            )
                            .map_err(|err| format!("bad xmlUrl: {err}"))?;
                        if feeds.len() >= MAX_OPML_OUTLINES {
                            return Err(format!("more than {MAX_OPML_OUTLINES} outlines"));
                        }
                        feeds.push(value.trim().to_string());
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("not OPML: {e}")),
        }
        buf.clear();
    }
    Ok(feeds)
}

/// A source's state as printed and served: times in RFC 3339 (UTC).
pub fn source_view(s: &SourceRow) -> serde_json::Value {
    serde_json::json!({
        "url": s.url,
        "kind": s.kind,
        "every_secs": s.every_secs,
        "interval_secs": s.interval_secs,
        "last_fetch": s.last_fetch.map(rfc3339),
        "status": s.status,
        "items_seen": s.items_seen,
        "items_new": s.items_new,
        "errors": s.errors,
        "next_poll": rfc3339(s.next_poll),
    })
}

/// Unix seconds as `2026-12-01T11:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opml_outlines_and_urls() {
        let opml = br#"<?xml version="1.0"?><opml version="2.0"><body>
            <outline text="World"><outline type="rss" text="A" xmlUrl="https://a.example/feed?x=1&amp;y=2"/></outline>
            <outline text="B" xmlUrl="https://b.example/rss"/></body></opml>"#;
        assert_eq!(
            opml_feeds(opml).unwrap(),
            ["https://a.example/feed?x=1&y=2", "https://b.example/rss"]
        );
        assert!(
            opml_feeds(b"<opml><body><outline").is_err()
                || opml_feeds(b"<opml><body><outline").unwrap().is_empty()
        );
        assert_eq!(
            source_url(" https://A.example/feed?utm_source=x ").unwrap(),
            "https://a.example/feed"
        );
        assert!(source_url("ftp://a.example/").is_err());
        assert!(source_url("a.example/feed").is_err());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
