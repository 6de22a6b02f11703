//! A synthetic news stream for tests and benchmarks: a few sources with their own boilerplate
//! lines, recurring names, dated and undated articles, and copies of earlier paragraphs. The same
//! seed gives the same stream.

use nuntius_model::RawArticle;

const SOURCES: &[&str] = &[
    "alpha.example",
    "beta.example",
    "gamma.example",
    "delta.example",
];
const NAMES: &[&str] = &[
    "Sergej Lavrov",
    "Antony Blinken",
    "Ginevra",
    "Mosca",
    "NATO",
    "Kiev",
    "Vladimir Putin",
    "Joe Biden",
    "Bruxelles",
    "Varsavia",
    "Olaf Scholz",
    "Emmanuel Macron",
];
const WORDS: &[&str] = &[
    "incontro",
    "colloqui",
    "sicurezza",
    "garanzie",
    "ministro",
    "vertice",
    "accordo",
    "truppe",
    "confine",
    "sanzioni",
    "dialogo",
    "proposta",
    "risposta",
    "governo",
    "esercito",
    "energia",
    "gas",
    "prezzi",
    "elezioni",
    "parlamento",
    "tribunale",
    "sciopero",
    "porto",
    "ferrovia",
];

/// A small deterministic generator (64-bit LCG), so streams need no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// `n` articles from `seed`, in arrival order.
pub fn stream(seed: u64, n: usize) -> Vec<RawArticle> {
    let mut rng = Lcg(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let source = rng.pick(SOURCES);
        let topic = (rng.pick(NAMES), rng.pick(NAMES));
        let sentence = |rng: &mut Lcg| {
            let words: Vec<&str> = (0..8).map(|_| rng.pick(WORDS)).collect();
            format!(
                "{} e {} hanno discusso di {}.",
                topic.0,
                topic.1,
                words.join(" ")
            )
        };
        let mut body = vec![format!("Iscriviti alla newsletter di {source}")];
        let own = (sentence(&mut rng), sentence(&mut rng));
        body.push(format!("{} {}", own.0, own.1));
        if !paragraphs.is_empty() && rng.below(4) == 0 {
            // A copy of an earlier paragraph, as content farms do.
            let earlier = rng.below(paragraphs.len());
            body.push(paragraphs[earlier].clone());
        }
        body.push(format!("{} {}", sentence(&mut rng), sentence(&mut rng)));
        body.push(format!("© {source} - Tutti i diritti riservati"));
        paragraphs.push(format!("{} {}", own.0, own.1));
        let day = 1 + (i * 28 / n.max(1)) + rng.below(3);
        let date = (rng.below(5) != 0).then(|| format!("2022-01-{:02}", day.min(28)));
        out.push(RawArticle {
            id: Some(format!("s{seed}-{i}")),
            url: Some(format!("https://{source}/news/{seed}/{i}")),
            title: Some(format!("{}: {} su {}", topic.0, rng.pick(WORDS), topic.1)),
            text: Some(body.join("\n")),
            date_origin: date.as_ref().map(|_| nuntius_model::DateOrigin::Meta),
            date,
            lang: Some("it".to_string()),
            ..RawArticle::default()
        });
    }
    out
}

/// The stream as JSON Lines, as `nuntius ingest` reads it.
pub fn stream_jsonl(seed: u64, n: usize) -> String {
    stream(seed, n)
        .iter()
        .map(|a| {
            let mut line = serde_json::json!({
                "id": a.id, "url": a.url, "title": a.title, "text": a.text,
                "date": a.date, "lang": a.lang,
            })
            .to_string();
            line.push('\n');
            line
        })
        .collect()
}
