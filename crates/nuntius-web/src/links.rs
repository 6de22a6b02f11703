//! The links of a page (`<a href>`), resolved against its URL: what a section page lists.

use crate::charset::decode_page;
use crate::dom::{parse, Attr};
use crate::page::{looks_binary, MAX_PAGE_BYTES};

/// Links a page lists, at most this many (a page of links is outside input).
pub const MAX_LINKS: usize = 5_000;

/// The `href`s of a page's `<a>` elements, in document order, resolved against `url` (or the
/// page's `<base href>`), without fragments-only and non-http links; empty for binary or
/// oversized input.
pub fn page_links(html: &[u8], url: Option<&str>, http_content_type: Option<&str>) -> Vec<String> {
    if html.len() > MAX_PAGE_BYTES || looks_binary(html) {
        return Vec::new();
    }
    let dom = parse(&decode_page(html, http_content_type, url));
    let page = url.and_then(|u| url::Url::parse(u).ok());
    let base = dom
        .nodes
        .iter()
        .find(|n| n.tag() == "base")
        .and_then(|n| n.attr(Attr::Href))
        .and_then(|b| match &page {
            Some(p) => p.join(b.trim()).ok(),
            None => url::Url::parse(b.trim()).ok(),
        })
        .or(page);
    let mut links = Vec::new();
    for node in &dom.nodes {
        if links.len() >= MAX_LINKS {
            break;
        }
        if node.tag() != "a" {
            continue;
        }
        let Some(href) = node.attr(Attr::Href).map(str::trim) else {
            continue;
        };
        if href.is_empty() || href.starts_with('#') {
            continue;
        }
        let resolved = match &base {
            Some(b) => b.join(href),
            None => url::Url::parse(href),
        };
        match resolved {
            Ok(link) if matches!(link.scheme(), "http" | "https") => links.push(link.to_string()),
            _ => {}
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::page_links;

    #[test]
    fn links_resolve_against_the_page() {
        let html = br##"<html><body><a href="/news/a">A</a> <a href="b.html">B</a>
            <a href="#top">top</a> <a href="mailto:x@y">m</a>
            <a href="https://other.example/c">C</a></body></html>"##;
        assert_eq!(
            page_links(html, Some("https://example.com/section/"), None),
            vec![
                "https://example.com/news/a",
                "https://example.com/section/b.html",
                "https://other.example/c",
            ]
        );
    }
}
