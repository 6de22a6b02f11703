//! Sources as people name them: URL checks for `sources add`, OPML import, and the one view of
//! a source's state that `sources list --json` and `GET /api/sources` both print.

use std::time::{Duration, UNIX_EPOCH};

use nuntius_store::SourceRow;
use quick_xml::events::Event;
use quick_xml::Reader;

/// Outlines read from one OPML file, at most.
pub const MAX_OPML_OUTLINES: usize = 10_000;

/// The http(s) URLs nuntius takes from people (sources, webhooks), as a pattern the OpenAPI
/// document states and the server applies as it is: a letter-led host name or a dotted IPv4
/// address, an optional port up to 65535, then printable ASCII. Every URL it matches parses (a
/// host name in another script is given in its `xn--` form); what it does not match is refused.
pub const HTTP_URL_PATTERN: &str = concat!(
    r"^https?://",
    r"(?:(?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*\.?",
    r"|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0))?",
    r"(?:[/?#][!-~]*)?$",
);

/// Longest URL taken from people.
pub const MAX_URL_BYTES: usize = 2048;

/// `input` as a URL if it matches [`HTTP_URL_PATTERN`] and is at most [`MAX_URL_BYTES`] long.
pub fn http_url(input: &str) -> Result<url::Url, String> {
    static PATTERN: std::sync::OnceLock<Result<regex::Regex, regex::Error>> =
        std::sync::OnceLock::new();
    if input.len() > MAX_URL_BYTES {
        return Err(format!(
            "a URL of {} bytes; at most {MAX_URL_BYTES}",
            input.len()
        ));
    }
    let pattern = PATTERN
        .get_or_init(|| regex::Regex::new(HTTP_URL_PATTERN))
        .as_ref()
        .map_err(|e| e.to_string())?;
    if !pattern.is_match(input) {
        return Err(format!(
            "{input:?} is not an http(s) URL with a host name or IPv4 address (host names in other scripts in their xn-- form)"
        ));
    }
    url::Url::parse(input).map_err(|e| format!("{input:?} is not a URL: {e}"))
}

/// A source URL as stored (canonical), or why it cannot be one.
pub fn source_url(input: &str) -> Result<String, String> {
    Ok(nuntius_web::canonical_url(http_url(input)?.as_str()))
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
            source_url("https://A.example/feed?utm_source=x").unwrap(),
            "https://a.example/feed"
        );
        assert!(source_url("ftp://a.example/").is_err());
        assert!(source_url("a.example/feed").is_err());
        assert!(source_url(" https://a.example/").is_err());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    // What the API document promises: every URL the pattern admits parses, as http(s) with a
    // host, and the pattern refuses what the URL parser would (ports, dotted numbers).
    #[test]
    fn urls_the_pattern_admits_parse_and_the_edges_are_refused() {
        for bad in [
            "http://a.example:65536/",
            "http://1.2.3.999/",
            "http://1.2.3.4.5/",
            "http://[::1]/",
            "HTTP://a.example/",
            "http://a b/",
            "http://example.com/\n",
            "http://",
        ] {
            assert!(http_url(bad).is_err(), "{bad:?}");
        }
        for good in [
            "http://127.0.0.1:8080/hook",
            "https://xn--80adxhks.xn--p1ai/rss",
            "https://news.example.org./feed?x=1#top",
            "http://localhost",
        ] {
            assert!(http_url(good).is_ok(), "{good:?}");
        }
        let inner = HTTP_URL_PATTERN
            .trim_start_matches('^')
            .trim_end_matches('$');
        let strategy = proptest::string::string_regex(inner).unwrap();
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        runner
            .run(&strategy, |s| {
                if s.len() <= MAX_URL_BYTES {
                    let url = http_url(&s).map_err(proptest::test_runner::TestCaseError::fail)?;
                    proptest::prop_assert!(url.host_str().is_some(), "{s:?}");
                }
                Ok(())
            })
            .unwrap();
    }
}
