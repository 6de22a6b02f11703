//! `extract_page`: bytes of one HTML page in, a [`Page`] (main text and metadata) out.

use crate::charset::decode_page;
use crate::dom::parse;
use crate::error::WebError;
use crate::main_text::{body_paragraphs, extract_main_text, text_chars, FALLBACK_CHARS};
use crate::metadata::extract_metadata;
use serde::Serialize;

/// Pages larger than this are refused rather than parsed (memory stays bounded).
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// The article found in one HTML page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Page {
    pub url: Option<String>,
    /// Title without a " | Site name" suffix.
    pub title: Option<String>,
    /// Main text: paragraphs joined by "\n\n".
    pub text: String,
    /// ISO 8601: a date, or a date-time with offset.
    pub published: Option<String>,
    /// Where `published` came from: "meta" (JSON-LD, meta, time), "url" or "text".
    pub published_from: Option<&'static str>,
    pub authors: Vec<String>,
    /// ISO 639-1 code declared by the page (`<html lang>`, meta), not detected.
    pub lang: Option<String>,
    pub site: Option<String>,
    pub canonical_url: Option<String>,
}

/// Extracts the article of one HTML page. Pure; never panics on any input.
pub fn extract_page(
    html: &[u8],
    url: Option<&str>,
    http_content_type: Option<&str>,
) -> Result<Page, WebError> {
    if html.len() > MAX_PAGE_BYTES {
        return Err(WebError::TooLarge {
            size: html.len(),
            limit: MAX_PAGE_BYTES,
        });
    }
    if looks_binary(html) {
        return Err(WebError::NotHtml("binary content"));
    }
    let text = decode_page(html, http_content_type, url);
    let dom = parse(&text);
    let meta = extract_metadata(&dom, url);
    let mut paragraphs = extract_main_text(&dom);
    // Pages rendered by scripts carry the article only in JSON-LD.
    let chars = text_chars(&paragraphs);
    if chars < FALLBACK_CHARS {
        if let Some(body) = &meta.ld_body {
            let ld = body_paragraphs(body);
            if text_chars(&ld) >= (chars * 2).max(FALLBACK_CHARS) {
                paragraphs = ld;
            }
        }
    }
    Ok(Page {
        url: url.map(str::to_string),
        title: meta.title,
        text: paragraphs.join("\n\n"),
        published: meta.published,
        published_from: meta.published_from,
        authors: meta.authors,
        lang: meta.lang,
        site: meta.site,
        canonical_url: meta.canonical_url,
    })
}

/// Binary files (images, archives, PDFs named .html) have NULs or many control bytes early on.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
        return false; // UTF-16 with BOM is text.
    }
    let control = head
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
        .count();
    head.contains(&0) || control * 20 > head.len().max(1)
}
