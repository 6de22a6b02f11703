//! Page metadata: title, publication date, authors, language, canonical URL and
//! site name, from JSON-LD, `<meta>`, `<time>`, the URL and byline text.

use crate::dates::{date_in_text, date_in_url, normalise_date};
use crate::dom::{collapse_ws, Attr, Dom, NodeKind};
use serde_json::Value;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Metadata {
    pub title: Option<String>,
    pub published: Option<String>,
    pub published_from: Option<&'static str>,
    pub authors: Vec<String>,
    pub lang: Option<String>,
    pub site: Option<String>,
    pub canonical_url: Option<String>,
    /// JSON-LD `articleBody` of an article-typed object (the fallback for pages whose
    /// body is rendered by scripts).
    pub ld_body: Option<String>,
}

/// `<meta>` values by lowercased `name`/`property`/`itemprop`, in document order.
struct Metas(Vec<(String, String)>);

impl Metas {
    fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| {
            self.0
                .iter()
                .find(|(name, v)| name == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        })
    }
}

/// JSON-LD facts about the page's article.
#[derive(Default)]
struct LdFacts {
    headline: Option<String>,
    published: Option<String>,
    authors: Vec<String>,
    publisher: Option<String>,
    body: Option<String>,
}

pub fn extract_metadata(dom: &Dom, url: Option<&str>) -> Metadata {
    let mut metas = Vec::new();
    let mut canonical = None;
    let mut lang = None;
    let mut time_dates = Vec::new();
    let mut rel_authors = Vec::new();
    let mut h1 = None;
    for (id, node) in dom.nodes.iter().enumerate() {
        match node.tag() {
            "meta" => {
                let key = node
                    .attr(Attr::Property)
                    .or(node.attr(Attr::Name))
                    .or(node.attr(Attr::ItemProp))
                    .or(node.attr(Attr::HttpEquiv));
                if let (Some(k), Some(v)) = (key, node.attr(Attr::Content)) {
                    metas.push((k.to_ascii_lowercase(), v.to_string()));
                }
            }
            "link" => {
                let rel = node.attr(Attr::Rel).unwrap_or("").to_ascii_lowercase();
                if rel.split_whitespace().any(|r| r == "canonical") && canonical.is_none() {
                    canonical = node.attr(Attr::Href).map(str::to_string);
                }
            }
            "html" if lang.is_none() => lang = node.attr(Attr::Lang).map(str::to_string),
            "time" => {
                if let Some(d) = node.attr(Attr::DateTime) {
                    let is_pub = node
                        .attr(Attr::ItemProp)
                        .is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
                        || node
                            .attr(Attr::Class)
                            .is_some_and(|c| c.contains("publish"));
                    time_dates.push((is_pub, d.to_string()));
                }
            }
            "a" if node.attr(Attr::Rel).is_some_and(|r| r.contains("author")) => {
                let mut t = String::new();
                text_of(dom, id, &mut t);
                let t = collapse_ws(&t);
                if !t.is_empty() && t.chars().count() < 60 && !rel_authors.contains(&t) {
                    rel_authors.push(t);
                }
            }
            "h1" if h1.is_none() => {
                let mut t = String::new();
                text_of(dom, id, &mut t);
                let t = collapse_ws(&t);
                if !t.is_empty() {
                    h1 = Some(t);
                }
            }
            _ => {}
        }
    }
    let metas = Metas(metas);
    let ld = json_ld_facts(dom);

    let site = metas
        .get(&["og:site_name", "application-name", "twitter:site"])
        .map(str::to_string)
        .or(ld.publisher.clone())
        .map(|s| collapse_ws(&s));
    let raw_title = metas
        .get(&["og:title", "twitter:title", "dc.title"])
        .map(str::to_string)
        .or(ld.headline.clone())
        .or(h1)
        .or(dom.title.clone());
    let title = raw_title.map(|t| strip_site_suffix(&collapse_ws(&t), site.as_deref()));

    let (published, published_from) = find_published(&metas, &ld, &time_dates, url, dom);

    let mut authors = ld.authors;
    if authors.is_empty() {
        if let Some(a) = metas.get(&[
            "author",
            "article:author",
            "dc.creator",
            "sailthru.author",
            "parsely-author",
        ]) {
            if !a.starts_with("http") {
                authors = a
                    .split([',', ';'])
                    .map(collapse_ws)
                    .filter(|s| !s.is_empty())
                    .collect();
                authors = split_and(authors);
            }
        }
    }
    if authors.is_empty() {
        authors = rel_authors;
    }
    authors.dedup();

    let lang = lang
        .or_else(|| {
            metas
                .get(&["content-language", "og:locale", "language", "dc.language"])
                .map(str::to_string)
        })
        .and_then(|l| iso_639_1(&l));
    let canonical_url = canonical
        .or_else(|| metas.get(&["og:url"]).map(str::to_string))
        .map(|c| resolve_url(url, c.trim()));
    Metadata {
        title: title.filter(|t| !t.is_empty()),
        published,
        published_from,
        authors,
        lang,
        site: site.filter(|s| !s.is_empty()),
        canonical_url,
        ld_body: ld.body.filter(|b| !b.trim().is_empty()),
    }
}

fn split_and(authors: Vec<String>) -> Vec<String> {
    authors
        .into_iter()
        .flat_map(|a| {
            a.split(" and ")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn find_published(
    metas: &Metas,
    ld: &LdFacts,
    time_dates: &[(bool, String)],
    url: Option<&str>,
    dom: &Dom,
) -> (Option<String>, Option<&'static str>) {
    const KEYS: &[&str] = &[
        "article:published_time",
        "og:published_time",
        "datepublished",
        "article.published",
        "published_time",
        "publishdate",
        "publish-date",
        "pubdate",
        "date",
        "dc.date.issued",
        "dc.date",
        "dcterms.date",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
        "cxenseparse:recs:publishtime",
        "originalpublicationdate",
        "citation_publication_date",
    ];
    let from_meta = ld
        .published
        .as_deref()
        .and_then(normalise_date)
        .or_else(|| {
            KEYS.iter()
                .find_map(|k| metas.get(&[k]).and_then(normalise_date))
        })
        .or_else(|| {
            time_dates
                .iter()
                .find(|(is_pub, _)| *is_pub)
                .or(time_dates.first())
                .and_then(|(_, d)| normalise_date(d))
        });
    if let Some(d) = from_meta {
        return (Some(d), Some("meta"));
    }
    if let Some(d) = url.and_then(date_in_url) {
        return (Some(d), Some("url"));
    }
    if let Some(d) = byline_date(dom) {
        return (Some(d), Some("text"));
    }
    (None, None)
}

/// A date written near the top of the body text ("Published 3 May 2021", "03.05.2021").
fn byline_date(dom: &Dom) -> Option<String> {
    let mut seen = 0usize;
    for node in &dom.nodes {
        if let NodeKind::Text(t) = &node.kind {
            let parent_tag = dom.nodes[node.parent as usize].tag();
            if matches!(parent_tag, "title" | "script" | "style") {
                continue;
            }
            if let Some(d) = date_in_text(t) {
                return Some(d);
            }
            seen += t.len();
            if seen > 20_000 {
                break;
            }
        }
    }
    None
}

fn text_of(dom: &Dom, id: usize, out: &mut String) {
    let mut stack = vec![id as u32];
    while let Some(n) = stack.pop() {
        match &dom.nodes[n as usize].kind {
            NodeKind::Text(t) => out.push_str(t),
            NodeKind::Element { .. } => stack.extend(dom.nodes[n as usize].children.iter().rev()),
        }
    }
}

fn json_ld_facts(dom: &Dom) -> LdFacts {
    let mut facts = LdFacts::default();
    for block in &dom.json_ld {
        let Ok(value) = serde_json::from_str::<Value>(block.trim()) else {
            continue;
        };
        let mut objects = Vec::new();
        flatten_ld(&value, &mut objects, 0);
        // Prefer article-typed objects; fall back to anything that has the field.
        objects.sort_by_key(|o| !is_article_type(o));
        for o in objects {
            if facts.published.is_none() {
                facts.published = o
                    .get("datePublished")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            if facts.headline.is_none() && is_article_type(o) {
                facts.headline = o
                    .get("headline")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            if facts.body.is_none() && is_article_type(o) {
                facts.body = o
                    .get("articleBody")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            if facts.authors.is_empty() {
                if let Some(a) = o.get("author") {
                    facts.authors = ld_names(a);
                }
            }
            if facts.publisher.is_none() {
                facts.publisher = o
                    .get("publisher")
                    .and_then(|p| ld_names(p).into_iter().next());
            }
        }
    }
    facts
}

fn is_article_type(o: &serde_json::Map<String, Value>) -> bool {
    let ty = match o.get("@type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => return false,
    };
    ty.contains("Article") || ty.contains("Posting") || ty.contains("Report")
}

fn flatten_ld<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten_ld(i, out, depth + 1)),
        Value::Object(map) => {
            out.push(map);
            if let Some(g) = map.get("@graph") {
                flatten_ld(g, out, depth + 1);
            }
            if let Some(m) = map.get("mainEntity") {
                flatten_ld(m, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn ld_names(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![collapse_ws(s)],
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .map(|s| vec![collapse_ws(s)])
            .unwrap_or_default(),
        Value::Array(a) => a.iter().flat_map(ld_names).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|s| !s.is_empty() && !s.starts_with("http"))
    .collect()
}

/// Drops a trailing (or leading) " | Site name" part of a title.
pub fn strip_site_suffix(title: &str, site: Option<&str>) -> String {
    for sep in [" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " / "] {
        let Some(at) = title.rfind(sep) else { continue };
        let (head, tail) = (&title[..at], &title[at + sep.len()..]);
        let tail_is_site = site.is_some_and(|s| {
            let (s, t) = (s.to_lowercase(), tail.to_lowercase());
            t.contains(&s) || s.contains(&t)
        });
        if tail_is_site || (tail.split_whitespace().count() <= 3 && head.len() > tail.len()) {
            return strip_site_suffix(head.trim(), site);
        }
        if let Some(first) = title.find(sep) {
            let lead = &title[..first];
            let lead_is_site = site.is_some_and(|s| lead.eq_ignore_ascii_case(s));
            if lead_is_site {
                return title[first + sep.len()..].trim().to_string();
            }
        }
    }
    title.to_string()
}

fn iso_639_1(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() == 2 && primary.chars().all(|c| c.is_ascii_alphabetic())).then_some(primary)
}

/// Resolves `href` against the page URL (enough for canonical links).
pub fn resolve_url(base: Option<&str>, href: &str) -> String {
    if href.contains("://") {
        return href.to_string();
    }
    let Some(base) = base.filter(|b| b.contains("://")) else {
        return href.to_string();
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = href.strip_prefix("//") {
        return format!("{}{}", &base[..scheme_end], rest);
    }
    if href.starts_with('/') {
        return format!("{}{}", &base[..host_end], href);
    }
    let dir_end = base
        .rfind('/')
        .filter(|&i| i >= host_end)
        .map_or(base.len(), |i| i + 1);
    let mut out = base[..dir_end].to_string();
    if !out.ends_with('/') {
        out.push('/');
    }
    out.push_str(href);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dom::parse;

    #[test]
    fn json_ld_date_title_and_authors() {
        let dom = parse(
            r#"<html lang="en-GB"><head><title>Storm hits coast | Daily Planet</title>
            <meta property="og:site_name" content="Daily Planet">
            <link rel="canonical" href="/news/storm">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"x"},
              {"@type":"NewsArticle","headline":"Storm hits coast","datePublished":"2024-03-05T10:20:00+01:00",
               "author":[{"@type":"Person","name":"Lois Lane"},{"@type":"Person","name":"Clark Kent"}]}]}</script>
            </head><body><p>Copyright 2019</p></body></html>"#,
        );
        let m = extract_metadata(&dom, Some("https://planet.example/a/b"));
        assert_eq!(m.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(m.published.as_deref(), Some("2024-03-05T10:20:00+01:00"));
        assert_eq!(m.published_from, Some("meta"));
        assert_eq!(m.authors, vec!["Lois Lane", "Clark Kent"]);
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert_eq!(m.site.as_deref(), Some("Daily Planet"));
        assert_eq!(
            m.canonical_url.as_deref(),
            Some("https://planet.example/news/storm")
        );
    }

    #[test]
    fn date_from_url_then_text() {
        let dom = parse("<p>Nothing here</p>");
        let m = extract_metadata(&dom, Some("https://x.example/2021/07/15/story"));
        assert_eq!(
            (m.published.as_deref(), m.published_from),
            (Some("2021-07-15"), Some("url"))
        );
        let dom = parse("<p>Published on March 3, 2022 by Ann</p>");
        let m = extract_metadata(&dom, None);
        assert_eq!(
            (m.published.as_deref(), m.published_from),
            (Some("2022-03-03"), Some("text"))
        );
    }

    #[test]
    fn site_suffix_is_stripped() {
        assert_eq!(
            strip_site_suffix("Big news today - The Paper", None),
            "Big news today"
        );
        assert_eq!(
            strip_site_suffix("Ein Titel | Zeitung", Some("Zeitung")),
            "Ein Titel"
        );
        assert_eq!(
            strip_site_suffix("Left - right wing debate rages on", None),
            "Left - right wing debate rages on"
        );
    }
}
