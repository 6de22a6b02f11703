//! RSS 2.0 / RSS 1.0 / Atom / JSON Feed items as articles. XML feeds go through
//! the same forgiving tokenizer as HTML pages, so a broken feed still gives its
//! good items.

use crate::charset::decode_page;
use crate::dates::normalise_date;
use crate::dom::{collapse_ws, parse, parse_xml, Attr, Dom, NodeId, NodeKind};
use crate::error::RecordError;
use crate::reader::WebRecord;
use serde::Serialize;
use serde_json::Value;

/// One feed entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedItem {
    pub link: Option<String>,
    pub title: Option<String>,
    /// ISO 8601, normalised like page dates.
    pub published: Option<String>,
    /// Content or description as plain text (HTML removed).
    pub text: Option<String>,
    /// The publisher the item cites as its origin (RSS `<source>`, Atom `<source><title>`).
    pub source: Option<String>,
    pub authors: Vec<String>,
}

/// Parses a whole feed into one record per item.
pub fn parse_feed(bytes: &[u8]) -> Vec<Result<WebRecord, RecordError>> {
    let text = decode_page(bytes, None, None);
    let items = if text.trim_start().starts_with('{') {
        match json_feed_items(&text) {
            Ok(items) => items,
            Err(reason) => return vec![Err(RecordError { record: 0, reason })],
        }
    } else {
        xml_feed_items(&text)
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            Ok(WebRecord {
                record: i as u64,
                url: item.link.clone(),
                fetched: None,
                page: None,
                feed_item: Some(item),
            })
        })
        .collect()
}

fn local_name(tag: &str) -> &str {
    tag.rsplit(':').next().unwrap_or(tag)
}

fn node_text(dom: &Dom, id: NodeId) -> String {
    let mut out = String::new();
    let mut stack = vec![id];
    while let Some(n) = stack.pop() {
        match &dom.nodes[n as usize].kind {
            NodeKind::Text(t) => out.push_str(t),
            NodeKind::Element { .. } => stack.extend(dom.nodes[n as usize].children.iter().rev()),
        }
    }
    out
}

/// Feed content is usually HTML (escaped or in CDATA): keep its text only.
fn html_to_text(html: &str) -> String {
    let dom = parse(html);
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for node in &dom.nodes {
        match &node.kind {
            NodeKind::Text(t) => current.push_str(t),
            NodeKind::Element { tag, .. }
                if matches!(&**tag, "p" | "br" | "div" | "li" | "h2" | "h3") =>
            {
                let c = collapse_ws(&current);
                if !c.is_empty() {
                    paragraphs.push(c);
                }
                current.clear();
            }
            NodeKind::Element { .. } => {}
        }
    }
    let c = collapse_ws(&current);
    if !c.is_empty() {
        paragraphs.push(c);
    }
    paragraphs.join("\n\n")
}

fn xml_feed_items(xml: &str) -> Vec<FeedItem> {
    let dom = parse_xml(xml);
    let mut items = Vec::new();
    for (id, node) in dom.nodes.iter().enumerate() {
        let name = local_name(node.tag());
        if name == "item" || name == "entry" {
            items.push(xml_item(&dom, id as NodeId));
        }
    }
    items
}

fn xml_item(dom: &Dom, item: NodeId) -> FeedItem {
    let mut out = FeedItem::default();
    let mut content: Option<String> = None;
    let mut summary: Option<String> = None;
    let mut updated: Option<String> = None;
    for &child in &dom.nodes[item as usize].children {
        let node = &dom.nodes[child as usize];
        let tag = node.tag();
        let text = || collapse_ws(&node_text(dom, child));
        match (tag, local_name(tag)) {
            (_, "title") if out.title.is_none() => {
                out.title = Some(html_to_text(&node_text(dom, child)))
            }
            (_, "link") => {
                let rel = node.attr(Attr::Rel).unwrap_or("alternate");
                if out.link.is_none() && rel == "alternate" {
                    out.link = node
                        .attr(Attr::Href)
                        .map(str::to_string)
                        .or_else(|| Some(text()));
                }
            }
            ("guid", _) if out.link.is_none() => {
                let t = text();
                if t.starts_with("http") {
                    out.link = Some(t);
                }
            }
            (_, "pubdate" | "published" | "issued") | ("dc:date", _) if out.published.is_none() => {
                out.published = normalise_date(&text());
            }
            (_, "updated" | "modified") => updated = normalise_date(&text()),
            ("content:encoded", _) | (_, "content") => content = Some(node_text(dom, child)),
            (_, "description" | "summary") => summary = Some(node_text(dom, child)),
            (_, "author" | "creator") => {
                let name = node
                    .children
                    .iter()
                    .find(|&&c| local_name(dom.nodes[c as usize].tag()) == "name")
                    .map(|&c| collapse_ws(&node_text(dom, c)))
                    .unwrap_or_else(text);
                if !name.is_empty() && !out.authors.contains(&name) {
                    out.authors.push(name);
                }
            }
            (_, "source") => {
                let title = node
                    .children
                    .iter()
                    .find(|&&c| local_name(dom.nodes[c as usize].tag()) == "title")
                    .map(|&c| collapse_ws(&node_text(dom, c)))
                    .unwrap_or_else(text);
                out.source = Some(title).filter(|s| !s.is_empty());
            }
            _ => {}
        }
    }
    out.published = out.published.or(updated);
    out.text = content
        .or(summary)
        .map(|h| html_to_text(&h))
        .filter(|t| !t.is_empty());
    out.title = out.title.filter(|t| !t.is_empty());
    out.link = out.link.filter(|l| !l.is_empty());
    out
}

fn json_feed_items(text: &str) -> Result<Vec<FeedItem>, String> {
    let feed: Value = serde_json::from_str(text).map_err(|e| format!("JSON Feed: {e}"))?;
    let items = feed
        .get("items")
        .and_then(Value::as_array)
        .ok_or("JSON Feed without items")?;
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(items
        .iter()
        .map(|item| {
            let authors = item
                .get("authors")
                .and_then(Value::as_array)
                .cloned()
                .or_else(|| item.get("author").map(|a| vec![a.clone()]))
                .unwrap_or_default()
                .iter()
                .filter_map(|a| str_of(a, "name"))
                .collect();
            FeedItem {
                link: str_of(item, "url").or_else(|| str_of(item, "external_url")),
                title: str_of(item, "title"),
                published: str_of(item, "date_published").and_then(|d| normalise_date(&d)),
                text: str_of(item, "content_text")
                    .or_else(|| str_of(item, "content_html").map(|h| html_to_text(&h)))
                    .or_else(|| str_of(item, "summary")),
                source: None,
                authors,
            }
        })
        .collect())
}
