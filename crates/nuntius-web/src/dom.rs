//! A small, forgiving HTML parser that builds the arena tree extraction works on.
//!
//! It is not a spec-complete HTML5 tree builder: it keeps what article extraction
//! needs (elements, the few attributes that carry meaning, decoded text, JSON-LD
//! scripts) and repairs the common breakage (unclosed `<p>`/`<li>`, stray end
//! tags, unbounded nesting). See DESIGN.md for why we do not use html5ever here.

/// Nesting deeper than this is flattened, so no walk over the tree can overflow a stack.
pub const MAX_DEPTH: usize = 200;

/// Index of a node inside [`Dom::nodes`].
pub type NodeId = u32;

/// The attributes extraction looks at; all others are dropped while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Class,
    Id,
    Role,
    ItemProp,
    Href,
    Content,
    Name,
    Property,
    Rel,
    DateTime,
    Lang,
    Type,
    Hidden,
    AriaHidden,
    Style,
    HttpEquiv,
    Charset,
}

impl Attr {
    fn from_name(name: &str) -> Option<Attr> {
        Some(match name {
            "class" => Attr::Class,
            "id" => Attr::Id,
            "role" => Attr::Role,
            "itemprop" => Attr::ItemProp,
            "href" => Attr::Href,
            "content" => Attr::Content,
            "name" => Attr::Name,
            "property" => Attr::Property,
            "rel" => Attr::Rel,
            "datetime" => Attr::DateTime,
            "lang" => Attr::Lang,
            "type" => Attr::Type,
            "hidden" => Attr::Hidden,
            "aria-hidden" => Attr::AriaHidden,
            "style" => Attr::Style,
            "http-equiv" => Attr::HttpEquiv,
            "charset" => Attr::Charset,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub enum NodeKind {
    Element {
        tag: Box<str>,
        attrs: Vec<(Attr, Box<str>)>,
    },
    Text(String),
}

#[derive(Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub parent: NodeId,
    pub children: Vec<NodeId>,
}

impl Node {
    pub fn tag(&self) -> &str {
        match &self.kind {
            NodeKind::Element { tag, .. } => tag,
            NodeKind::Text(_) => "",
        }
    }

    pub fn attr(&self, which: Attr) -> Option<&str> {
        match &self.kind {
            NodeKind::Element { attrs, .. } => {
                attrs.iter().find(|(a, _)| *a == which).map(|(_, v)| &**v)
            }
            NodeKind::Text(_) => None,
        }
    }
}

/// A parsed document. Node 0 is the root; `scripts` holds JSON-LD blocks.
#[derive(Debug)]
pub struct Dom {
    pub nodes: Vec<Node>,
    /// Bodies of `<script type="application/ld+json">`, in document order.
    pub json_ld: Vec<String>,
    /// The `<title>` text, whitespace-collapsed.
    pub title: Option<String>,
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

/// Elements whose content is not markup; their bodies are skipped or kept as raw text.
const RAW: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed", "noframes",
    "template", "svg", "math",
];

/// Opening one of these closes an open `<p>`, as browsers do.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
];

/// Parses decoded HTML into a [`Dom`]. Never fails; garbage in gives a small tree out.
pub fn parse(html: &str) -> Dom {
    build(html, false)
}

/// Parses XML (feeds) with the same forgiving tokenizer, but without HTML's
/// void, raw-text and implied-end-tag rules.
pub fn parse_xml(xml: &str) -> Dom {
    build(xml, true)
}

fn build(html: &str, xml: bool) -> Dom {
    let mut builder = Builder {
        open_tracked: [0; 12],
        xml,
        structural: 0,
        dom: Dom {
            nodes: vec![Node {
                kind: NodeKind::Element {
                    tag: "#root".into(),
                    attrs: Vec::new(),
                },
                parent: 0,
                children: Vec::new(),
            }],
            json_ld: Vec::new(),
            title: None,
        },
        stack: vec![0],
    };
    builder.run(html);
    builder.dom
}

/// Tags whose open count the builder keeps, to skip stack walks.
fn tracked(tag: &str) -> Option<usize> {
    Some(match tag {
        "p" => 0,
        "head" => 1,
        "select" => 2,
        "button" => 3,
        "label" => 4,
        "li" => 5,
        "option" => 6,
        "dd" => 7,
        "dt" => 8,
        "tr" => 9,
        "td" => 10,
        "th" => 11,
        _ => return None,
    })
}

struct Builder {
    /// Open elements per [`tracked`] tag.
    open_tracked: [u32; 12],
    xml: bool,
    /// Bits of the html/body/head tags already opened.
    structural: u8,
    dom: Dom,
    stack: Vec<NodeId>,
}

impl Builder {
    fn current(&self) -> NodeId {
        self.stack.last().copied().unwrap_or(0)
    }

    fn push_node(&mut self, kind: NodeKind) -> NodeId {
        let parent = self.current();
        let id = self.dom.nodes.len() as NodeId;
        self.dom.nodes.push(Node {
            kind,
            parent,
            children: Vec::new(),
        });
        self.dom.nodes[parent as usize].children.push(id);
        id
    }

    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let decoded = decode_entities(raw);
        let parent = self.current();
        // Merge with a preceding text sibling so words split by comments stay whole.
        if let Some(&last) = self.dom.nodes[parent as usize].children.last() {
            if let NodeKind::Text(t) = &mut self.dom.nodes[last as usize].kind {
                t.push_str(&decoded);
                return;
            }
        }
        self.push_node(NodeKind::Text(decoded.into_owned()));
    }

    fn open_index(&self, tag: &str, stop_at: &[&str]) -> Option<usize> {
        // Most lookups are for tags that are not open at all; answer those without a walk.
        if tracked(tag).is_some_and(|i| self.open_tracked[i] == 0) {
            return None;
        }
        for (i, &id) in self.stack.iter().enumerate().rev() {
            let t = self.dom.nodes[id as usize].tag();
            if t == tag {
                return Some(i);
            }
            if stop_at.contains(&t) {
                return None;
            }
        }
        None
    }

    fn close_to(&mut self, index: usize) {
        let keep = index.max(1);
        for &id in self.stack.get(keep..).unwrap_or(&[]) {
            if let Some(i) = tracked(self.dom.nodes[id as usize].tag()) {
                self.open_tracked[i] = self.open_tracked[i].saturating_sub(1);
            }
        }
        self.stack.truncate(keep);
    }

    fn push_open(&mut self, id: NodeId) {
        if let Some(i) = tracked(self.dom.nodes[id as usize].tag()) {
            self.open_tracked[i] += 1;
        }
        self.stack.push(id);
    }

    /// Records that `tag` (html/body/head) was opened; true if it had been before.
    fn seen_structural(&mut self, tag: &str) -> bool {
        let bit = match tag {
            "html" => 1,
            "body" => 2,
            _ => 4,
        };
        let seen = self.structural & bit != 0;
        self.structural |= bit;
        seen
    }

    fn start_tag(&mut self, tag: &str, attrs: Vec<(Attr, Box<str>)>, self_closing: bool) {
        const SCOPE: &[&str] = &["td", "th", "table", "body", "html", "button"];
        if self.xml {
            let id = self.push_node(NodeKind::Element {
                tag: tag.into(),
                attrs,
            });
            if !self_closing && self.stack.len() < MAX_DEPTH {
                self.push_open(id);
            }
            return;
        }
        if CLOSES_P.contains(&tag) {
            if let Some(i) = self.open_index("p", SCOPE) {
                self.close_to(i);
            }
            // Body content before `<body>` (or a `<head>` never closed) ends the head.
            if let Some(i) = self.open_index("head", &[]) {
                self.close_to(i);
            }
            // Form controls left open must not swallow the page's blocks.
            for control in ["select", "button", "label"] {
                if let Some(i) = self.open_index(control, &[]) {
                    self.close_to(i);
                }
            }
        }
        match tag {
            "li" => {
                if let Some(i) = self.open_index("li", &["ul", "ol", "td", "th", "table"]) {
                    self.close_to(i);
                }
            }
            "dt" | "dd" => {
                let found = self
                    .open_index("dd", &["dl"])
                    .into_iter()
                    .chain(self.open_index("dt", &["dl"]))
                    .min();
                if let Some(i) = found {
                    self.close_to(i);
                }
            }
            "tr" => {
                if let Some(i) = self.open_index("tr", &["table"]) {
                    self.close_to(i);
                }
            }
            "td" | "th" => {
                let found = self
                    .open_index("td", &["tr", "table"])
                    .into_iter()
                    .chain(self.open_index("th", &["tr", "table"]))
                    .min();
                if let Some(i) = found {
                    self.close_to(i);
                }
            }
            "option" => {
                if let Some(i) = self.open_index("option", &["select"]) {
                    self.close_to(i);
                }
            }
            // Repeated structural tags: keep the first (and its `lang`).
            "html" | "body" | "head" if self.seen_structural(tag) => return,
            // `<body>` ends a `<head>` left open (its `</head>` eaten by a broken script
            // or comment); a body inside the head would be cut off at its first block.
            "body" => {
                if let Some(i) = self.open_index("head", &[]) {
                    self.close_to(i);
                }
            }
            _ => {}
        }
        let id = self.push_node(NodeKind::Element {
            tag: tag.into(),
            attrs,
        });
        if !self_closing && !VOID.contains(&tag) && self.stack.len() < MAX_DEPTH {
            self.push_open(id);
        }
    }

    fn end_tag(&mut self, tag: &str) {
        // Browsers keep whatever follows `</body>` or `</html>` inside the body.
        if !self.xml && matches!(tag, "body" | "html") {
            return;
        }
        if !self.xml
            && tag == "p"
            && self
                .open_index("p", &["td", "th", "table", "body"])
                .is_none()
        {
            // `</p>` without an open `<p>` makes an empty paragraph in browsers: a break.
            return;
        }
        if let Some(i) = self.open_index(tag, &[]) {
            self.close_to(i);
        }
    }

    fn run(&mut self, html: &str) {
        let bytes = html.as_bytes();
        let mut pos = 0;
        let mut text_start = 0;
        while let Some(off) = memchr(b'<', &bytes[pos..]) {
            let lt = pos + off;
            let next = bytes.get(lt + 1).copied().unwrap_or(0);
            if next == b'!' || next == b'?' {
                self.text(&html[text_start..lt]);
                pos = skip_markup_declaration(html, lt);
                if html[lt..].starts_with("<![CDATA[") {
                    let end = html[lt + 9..]
                        .find("]]>")
                        .map_or(html.len(), |e| lt + 9 + e);
                    self.push_raw_text(&html[lt + 9..end]);
                    pos = (end + 3).min(html.len());
                }
                text_start = pos;
                continue;
            }
            let is_end = next == b'/';
            let name_start = lt + 1 + usize::from(is_end);
            if !bytes
                .get(name_start)
                .is_some_and(|b| b.is_ascii_alphabetic())
            {
                pos = lt + 1;
                continue;
            }
            self.text(&html[text_start..lt]);
            let (tag, attrs, self_closing, after) = read_tag(html, name_start);
            pos = after;
            text_start = pos;
            if is_end {
                self.end_tag(&tag);
                continue;
            }
            if !self.xml && RAW.contains(&tag.as_str()) && !self_closing {
                let close = find_end_tag(html, pos, &tag);
                let body = &html[pos..close.0];
                match tag.as_str() {
                    "title" if self.dom.title.is_none() => {
                        self.dom.title = Some(collapse_ws(&decode_entities(body)));
                    }
                    "script" => {
                        let is_ld = attrs.iter().any(|(a, v)| {
                            *a == Attr::Type && v.to_ascii_lowercase().contains("ld+json")
                        });
                        if is_ld {
                            self.dom.json_ld.push(body.to_string());
                        }
                    }
                    _ => {}
                }
                // Keep the element (without content) so class/id rules can see it.
                self.start_tag(&tag, attrs, true);
                pos = close.1;
                text_start = pos;
                continue;
            }
            self.start_tag(&tag, attrs, self_closing);
        }
        self.text(&html[text_start.min(html.len())..]);
    }

    fn push_raw_text(&mut self, raw: &str) {
        let parent = self.current();
        self.dom.nodes.push(Node {
            kind: NodeKind::Text(raw.to_string()),
            parent,
            children: Vec::new(),
        });
        let id = (self.dom.nodes.len() - 1) as NodeId;
        self.dom.nodes[parent as usize].children.push(id);
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Skips `<!-- ... -->`, `<!DOCTYPE ...>`, `<?...>`; returns the index after it.
fn skip_markup_declaration(html: &str, lt: usize) -> usize {
    let rest = &html[lt..];
    if let Some(comment) = rest.strip_prefix("<!--") {
        return comment.find("-->").map_or(html.len(), |e| lt + 4 + e + 3);
    }
    if rest.starts_with("<![CDATA[") {
        return lt + 9;
    }
    rest.find('>').map_or(html.len(), |e| lt + e + 1)
}

/// Finds `</tag` (case-insensitive) from `from`; returns (body end, index after the end tag).
fn find_end_tag(html: &str, from: usize, tag: &str) -> (usize, usize) {
    let bytes = html.as_bytes();
    let mut pos = from;
    while let Some(off) = memchr(b'<', &bytes[pos..]) {
        let lt = pos + off;
        if bytes.get(lt + 1) == Some(&b'/') {
            let name = &bytes[(lt + 2).min(bytes.len())..(lt + 2 + tag.len()).min(bytes.len())];
            if name.eq_ignore_ascii_case(tag.as_bytes()) {
                let after = html[lt..].find('>').map_or(html.len(), |e| lt + e + 1);
                return (lt, after);
            }
        }
        pos = lt + 1;
    }
    (html.len(), html.len())
}

type TagParts = (String, Vec<(Attr, Box<str>)>, bool, usize);

/// Reads a tag starting at its name; returns (lowercased name, kept attributes, self-closing, index after `>`).
fn read_tag(html: &str, name_start: usize) -> TagParts {
    let bytes = html.as_bytes();
    let mut i = name_start;
    while i < bytes.len()
        && !matches!(
            bytes[i],
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'
        )
    {
        i += 1;
    }
    let tag = html[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
            i += 1;
        }
        match bytes.get(i) {
            None => return (tag, attrs, self_closing, bytes.len()),
            Some(b'>') => return (tag, attrs, self_closing, i + 1),
            Some(b'/') => {
                self_closing = bytes.get(i + 1) == Some(&b'>');
                i += 1;
                continue;
            }
            _ => {}
        }
        let an_start = i;
        while i < bytes.len()
            && !matches!(
                bytes[i],
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>' | b'='
            )
        {
            i += 1;
        }
        let name = &html[an_start..i];
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
            i += 1;
        }
        let mut value = "";
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |e| i + 1 + e);
                    value = &html[i + 1..end];
                    i = (end + 1).min(bytes.len());
                }
                _ => {
                    let vs = i;
                    while i < bytes.len()
                        && !matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>')
                    {
                        i += 1;
                    }
                    value = &html[vs..i];
                }
            }
        }
        if name.len() <= 12 {
            let lower = name.to_ascii_lowercase();
            if let Some(attr) = Attr::from_name(&lower) {
                if !attrs.iter().any(|(a, _)| *a == attr) {
                    attrs.push((attr, decode_entities(value).into_owned().into_boxed_str()));
                }
            }
        }
        if i == an_start {
            i += 1;
        }
    }
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Decodes character references (`&amp;`, `&#233;`, `&eacute;` and the other common names);
/// one decoder for pages and records.
pub use nuntius_readers::decode_html_char_refs as decode_entities;

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(dom: &Dom) -> Vec<&str> {
        dom.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Text(t) => Some(t.as_str()),
                NodeKind::Element { .. } => None,
            })
            .collect()
    }

    #[test]
    fn unclosed_paragraphs_become_siblings() {
        let dom = parse("<div><p>one<p>two</div>");
        let ps: Vec<_> = dom.nodes.iter().filter(|n| n.tag() == "p").collect();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].parent, ps[1].parent);
    }

    #[test]
    fn scripts_are_skipped_but_json_ld_is_kept() {
        let dom = parse(
            r#"<title>T &amp; U</title><script>var a="<p>x</p>";</script><script type="application/ld+json">{"a":1}</script><p>body</p>"#,
        );
        assert_eq!(texts(&dom), vec!["body"]);
        assert_eq!(dom.json_ld, vec![r#"{"a":1}"#.to_string()]);
        assert_eq!(dom.title.as_deref(), Some("T & U"));
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let html = "<div>".repeat(100_000) + "deep";
        let dom = parse(&html);
        let mut depth = 0;
        let mut id = dom.nodes.len() as NodeId - 1;
        while id != 0 {
            id = dom.nodes[id as usize].parent;
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH + 1);
    }

    #[test]
    fn attributes_without_quotes_and_comments() {
        let dom = parse("<a href=/x class='c d'>l<!-- c -->ink</a>");
        let a = dom
            .nodes
            .iter()
            .find(|n| n.tag() == "a")
            .map(|n| (n.attr(Attr::Href), n.attr(Attr::Class)));
        assert_eq!(a, Some((Some("/x"), Some("c d"))));
        assert_eq!(texts(&dom), vec!["link"]);
    }
}
