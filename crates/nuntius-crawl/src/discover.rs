//! What a source lists, told apart by its content: an RSS 2.0 / Atom / JSON Feed (read with
//! `feed-rs`), a sitemap (plain or Google News) or a sitemap index, or an HTML section page (its
//! same-site links that look like articles).

use std::collections::BTreeSet;

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

/// How many items one listing may hold; the rest are dropped (a listing is outside input).
pub const MAX_LISTED: usize = 50_000;

/// The kind of a source, as detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Rss,
    Atom,
    JsonFeed,
    Sitemap,
    NewsSitemap,
    SitemapIndex,
    Html,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Rss => "rss",
            SourceKind::Atom => "atom",
            SourceKind::JsonFeed => "json-feed",
            SourceKind::Sitemap => "sitemap",
            SourceKind::NewsSitemap => "news-sitemap",
            SourceKind::SitemapIndex => "sitemap-index",
            SourceKind::Html => "html",
        }
    }
}

/// One item a source lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// As listed (resolved against the source URL); canonicalised by the crawler.
    pub url: String,
    /// The date the listing gives (publication or last modification), as written.
    pub date: Option<String>,
}

/// A parsed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub kind: SourceKind,
    /// Items in the order the source gives them (feeds: usually newest first).
    pub items: Vec<Listed>,
    /// Sitemaps an index points to.
    pub sitemaps: Vec<String>,
}

/// A source body that is none of the kinds we read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoverError {
    #[error("not a feed, sitemap or HTML page")]
    Unknown,
    #[error("cannot read the feed: {0}")]
    Feed(String),
    #[error("cannot read the sitemap: {0}")]
    Sitemap(String),
}

/// Reads a source body fetched from `url`.
pub fn parse_listing(
    body: &[u8],
    url: &str,
    content_type: Option<&str>,
) -> Result<Listing, DiscoverError> {
    let head = sniff_head(body);
    if head.starts_with('{') {
        return parse_feed(body, url);
    }
    if head.contains("<urlset") {
        return parse_sitemap(body, url, false);
    }
    if head.contains("<sitemapindex") {
        return parse_sitemap(body, url, true);
    }
    if head.contains("<rss") || head.contains("<feed") || head.contains("<rdf:rdf") {
        return parse_feed(body, url);
    }
    if head.contains("<html") || head.contains("<!doctype html") || head.contains("<body") {
        return Ok(parse_section(body, url, content_type));
    }
    Err(DiscoverError::Unknown)
}

/// The first few kilobytes, lower-cased, past a BOM and leading whitespace.
fn sniff_head(body: &[u8]) -> String {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let end = body.len().min(start + 4096);
    String::from_utf8_lossy(&body[start..end]).to_ascii_lowercase()
}

fn parse_feed(body: &[u8], url: &str) -> Result<Listing, DiscoverError> {
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .build()
        .parse(body)
        .map_err(|e| DiscoverError::Feed(e.to_string()))?;
    let kind = match feed.feed_type {
        feed_rs::model::FeedType::Atom => SourceKind::Atom,
        feed_rs::model::FeedType::JSON => SourceKind::JsonFeed,
        _ => SourceKind::Rss,
    };
    let base = url::Url::parse(url).ok();
    let mut items = Vec::new();
    for entry in feed.entries.into_iter().take(MAX_LISTED) {
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(entry.links.first())
            .map(|l| l.href.clone())
            .or_else(|| Some(entry.id.clone()).filter(|id| id.starts_with("http")));
        let Some(link) = link else { continue };
        let Some(resolved) = resolve(base.as_ref(), &link) else {
            continue;
        };
        items.push(Listed {
            url: resolved,
            date: entry.published.or(entry.updated).map(|d| d.to_rfc3339()),
        });
    }
    Ok(Listing {
        kind,
        items,
        sitemaps: Vec::new(),
    })
}

fn resolve(base: Option<&url::Url>, href: &str) -> Option<String> {
    let u = match base {
        Some(b) => b.join(href.trim()).ok()?,
        None => url::Url::parse(href.trim()).ok()?,
    };
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// A `<urlset>` (items; news when it uses the news namespace) or a `<sitemapindex>`.
fn parse_sitemap(body: &[u8], url: &str, index: bool) -> Result<Listing, DiscoverError> {
    let base = url::Url::parse(url).ok();
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let (mut loc, mut date): (Option<String>, Option<String>) = (None, None);
    let mut news = false;
    let mut items = Vec::new();
    let mut sitemaps = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| DiscoverError::Sitemap(e.to_string()))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "news" || e.name().as_ref().starts_with(b"news:") {
                    news = true;
                }
                if path.len() < 16 {
                    path.push(name);
                }
                text.clear();
            }
            Event::Text(t) => {
                if let Ok(s) = t.decode() {
                    text.push_str(&s);
                }
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                if let Ok(name) = r.decode() {
                    let entity = format!("&{name};");
                    if let Ok(s) = quick_xml::escape::unescape(&entity) {
                        text.push_str(&s);
                    }
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                match name.as_str() {
                    "loc" => loc = Some(text.trim().to_string()),
                    "lastmod" if date.is_none() => date = Some(text.trim().to_string()),
                    "publication_date" => date = Some(text.trim().to_string()),
                    "url" | "sitemap" => {
                        if let Some(l) = loc.take().and_then(|l| resolve(base.as_ref(), &l)) {
                            if name == "sitemap" {
                                if sitemaps.len() < MAX_LISTED {
                                    sitemaps.push(l);
                                }
                            } else if items.len() < MAX_LISTED {
                                items.push(Listed {
                                    url: l,
                                    date: date.take(),
                                });
                            }
                        }
                        date = None;
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // Newest first when the sitemap dates its URLs (ISO 8601 sorts as text); a stable sort keeps
    // the sitemap's order among equals and for undated ones (after the dated).
    items.sort_by(|a, b| b.date.cmp(&a.date));
    let kind = if index {
        SourceKind::SitemapIndex
    } else if news {
        SourceKind::NewsSitemap
    } else {
        SourceKind::Sitemap
    };
    Ok(Listing {
        kind,
        items,
        sitemaps,
    })
}

/// A section page's links to articles of its own site: same host, not the page itself, and a
/// last path segment that reads like an article (a slug with a dash, digits, or `.html`).
fn parse_section(body: &[u8], url: &str, content_type: Option<&str>) -> Listing {
    let page = url::Url::parse(url).ok();
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    for link in nuntius_web::page_links(body, Some(url), content_type) {
        let Ok(u) = url::Url::parse(&link) else {
            continue;
        };
        let same_site = page
            .as_ref()
            .is_some_and(|p| p.host_str() == u.host_str() && p.port() == u.port());
        let is_page = page.as_ref().is_some_and(|p| p.path() == u.path());
        if !same_site || is_page || !looks_like_article(u.path()) {
            continue;
        }
        let canonical = nuntius_web::canonical_url(&link);
        if seen.insert(canonical.clone()) {
            items.push(Listed {
                url: canonical,
                date: None,
            });
        }
    }
    Listing {
        kind: SourceKind::Html,
        items,
        sitemaps: Vec::new(),
    }
}

fn looks_like_article(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    last.ends_with(".html")
        || last.ends_with(".htm")
        || (last.contains('-') && last.len() >= 8)
        || last.bytes().filter(u8::is_ascii_digit).count() >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart_by_content() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><title>A</title><link>https://ex.com/a-1</link></item></channel></rss>"#;
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id>
            <updated>2026-01-01T00:00:00Z</updated><entry><title>A</title><id>e1</id>
            <updated>2026-01-01T00:00:00Z</updated><link href="/a-1"/></entry></feed>"#;
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"t",
            "items":[{"id":"1","url":"https://ex.com/a-1","content_text":"x"}]}"#;
        let sitemap = br#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>https://ex.com/old?a=1&amp;b=2</loc><lastmod>2026-01-01</lastmod></url>
            <url><loc>https://ex.com/new</loc><lastmod>2026-02-01</lastmod></url></urlset>"#;
        let news = br#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>
            <loc>https://ex.com/n</loc><news:news><news:publication_date>2026-03-01</news:publication_date>
            </news:news></url></urlset>"#;
        let index = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://ex.com/s1.xml</loc></sitemap></sitemapindex>"#;
        let html = br#"<!doctype html><html><body><a href="/world/a-storm-hits">x</a>
            <a href="/about">about</a><a href="https://other.com/x-y-z-w">o</a></body></html>"#;
        let base = "https://ex.com/feed";
        let l = parse_listing(rss, base, None).unwrap();
        assert_eq!(
            (l.kind, l.items[0].url.as_str()),
            (SourceKind::Rss, "https://ex.com/a-1")
        );
        let l = parse_listing(atom, base, None).unwrap();
        assert_eq!(
            (l.kind, l.items[0].url.as_str()),
            (SourceKind::Atom, "https://ex.com/a-1")
        );
        let l = parse_listing(json, base, None).unwrap();
        assert_eq!(l.kind, SourceKind::JsonFeed);
        let l = parse_listing(sitemap, base, None).unwrap();
        assert_eq!(l.kind, SourceKind::Sitemap);
        let urls: Vec<&str> = l.items.iter().map(|i| i.url.as_str()).collect();
        assert_eq!(urls, ["https://ex.com/new", "https://ex.com/old?a=1&b=2"]);
        let l = parse_listing(news, base, None).unwrap();
        assert_eq!(
            (l.kind, l.items[0].date.as_deref()),
            (SourceKind::NewsSitemap, Some("2026-03-01"))
        );
        let l = parse_listing(index, base, None).unwrap();
        assert_eq!(
            (l.kind, l.sitemaps.clone()),
            (
                SourceKind::SitemapIndex,
                vec!["https://ex.com/s1.xml".to_string()]
            )
        );
        let l = parse_listing(html, "https://ex.com/world/", None).unwrap();
        let urls: Vec<&str> = l.items.iter().map(|i| i.url.as_str()).collect();
        assert_eq!(
            (l.kind, urls),
            (SourceKind::Html, vec!["https://ex.com/world/a-storm-hits"])
        );
        assert_eq!(
            parse_listing(b"hello", base, None),
            Err(DiscoverError::Unknown)
        );
    }
}
