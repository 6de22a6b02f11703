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
    stream(seed, n).iter().map(jsonl_line).collect()
}

/// Syllables the long stream builds its words and names from.
const SYLLABLES: &[&str] = &[
    "ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo", "ca", "de",
    "fi", "go", "lu", "ma", "ne", "pi", "ro", "su", "ta", "ve", "za", "bo", "co", "du",
];

/// A made-up word (or name) numbered `k`, three or four syllables long: distinct numbers give
/// distinct words, so the vocabulary is as large as the stream asks.
fn word(k: usize, salt: usize) -> String {
    let mut x = k * 7 + salt;
    let mut s = String::new();
    for _ in 0..3 {
        s.push_str(SYLLABLES[x % SYLLABLES.len()]);
        x /= SYLLABLES.len();
    }
    while x > 0 {
        s.push_str(SYLLABLES[x % SYLLABLES.len()]);
        x /= SYLLABLES.len();
    }
    s.push_str(["ne", "to", "ra", "li"][salt % 4]);
    s
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One thread of news in the long stream: its own names and words, and the event it is on.
struct Thread {
    names: [String; 3],
    words: Vec<String>,
    until: i64,
    event: usize,
    event_words: Vec<String>,
    event_until: i64,
    /// Paragraphs of its latest articles, for copies.
    latest: Vec<String>,
}

/// A long dated stream for load tests: `n` articles over `days` days from 2024-01-01, in date
/// order, one in ten undated. Threads of news (stories) start every day and run for days to
/// weeks with their own rare names and words; each moves from event to event (a few days
/// each) with words of its own; articles copy paragraphs of their thread's latest ones; sources
/// repeat their boilerplate lines. The same seed gives the same stream; it is generated one
/// article at a time, so a million articles need no memory.
pub fn long_stream(seed: u64, n: usize, days: usize) -> impl Iterator<Item = RawArticle> {
    let mut rng = Lcg(seed ^ 0x51ed_2701_3c4d_9a0b);
    let days = days.max(1);
    let per_day = n.div_ceil(days).max(1);
    let start = nuntius_model::days_from_civil(2024, 1, 1);
    let mut threads: Vec<Thread> = Vec::new();
    let mut next_name = 0usize;
    let mut next_word = 0usize;
    let mut next_event = 0usize;
    let mut sources: Vec<String> = (0..40).map(|k| format!("{}.example", word(k, 3))).collect();
    sources.sort();
    (0..n).map(move |i| {
        let day = start + (i / per_day) as i64;
        // New threads start at random (each try succeeds at most one time in two, so the loop
        // ends), at least one per 25 articles of a day stays open; finished ones leave.
        threads.retain(|t| t.until >= day);
        while threads.len() < (per_day / 25).max(4) || rng.below((per_day / 8 + 1).max(2)) == 0 {
            let words = (0..10)
                .map(|_| {
                    next_word += 1;
                    word(next_word, 1)
                })
                .collect();
            let mut name = || {
                next_name += 1;
                capitalised(&word(next_name, 2))
            };
            threads.push(Thread {
                names: [name(), name(), name()],
                words,
                until: day + 2 + rng.below(40) as i64,
                event: 0,
                event_words: Vec::new(),
                event_until: day - 1,
                latest: Vec::new(),
            });
        }
        // Recent threads get more articles than old ones.
        let recent = rng.below(threads.len()) + 1;
        let k = threads.len() - 1 - rng.below(recent);
        let t = &mut threads[k];
        if t.event_until < day {
            next_event += 1;
            t.event = next_event;
            t.event_words = (0..6)
                .map(|_| {
                    next_word += 1;
                    word(next_word, 1)
                })
                .collect();
            t.event_until = day + rng.below(3) as i64;
        }
        // Everyday words: a few thousand, common ones more often.
        let common = |rng: &mut Lcg| {
            let top = rng.below(3000) + 1;
            word(rng.below(top), 0)
        };
        let sentence = |rng: &mut Lcg, t: &Thread| {
            let mut w = vec![t.names[rng.below(3)].clone()];
            for _ in 0..10 {
                w.push(match rng.below(4) {
                    0 => t.words[rng.below(t.words.len())].clone(),
                    1 => t.event_words[rng.below(t.event_words.len())].clone(),
                    _ => common(rng),
                });
            }
            w.push(t.names[rng.below(3)].clone());
            format!("{}.", w.join(" "))
        };
        let source = sources[rng.below(sources.len())].clone();
        let own = format!("{} {}", sentence(&mut rng, t), sentence(&mut rng, t));
        let mut body = vec![format!("Leggi tutte le notizie di {source}"), own.clone()];
        if !t.latest.is_empty() && rng.below(5) == 0 {
            body.push(t.latest[rng.below(t.latest.len())].clone());
        }
        body.push(format!(
            "{} {}",
            sentence(&mut rng, t),
            sentence(&mut rng, t)
        ));
        body.push(format!("© {source} - riproduzione riservata"));
        if t.latest.len() == 4 {
            t.latest.remove(0);
        }
        t.latest.push(own);
        let title = format!(
            "{} {} {} {}",
            t.names[0],
            t.event_words[0],
            t.event_words[1 + rng.below(5)],
            t.words[rng.below(t.words.len())]
        );
        let (y, m, d) = nuntius_model::civil_from_days(day);
        let date = (rng.below(10) != 0).then(|| format!("{y:04}-{m:02}-{d:02}"));
        RawArticle {
            id: Some(format!("l{seed}-{i}")),
            url: Some(format!("https://{source}/{y}/{m:02}/{i}")),
            title: Some(title),
            text: Some(body.join("\n")),
            date_origin: date.as_ref().map(|_| nuntius_model::DateOrigin::Meta),
            date,
            lang: Some("it".to_string()),
            ..RawArticle::default()
        }
    })
}

/// One article as the JSON Lines line `nuntius ingest` reads (with its newline).
pub fn jsonl_line(a: &RawArticle) -> String {
    let mut line = serde_json::json!({
        "id": a.id, "url": a.url, "title": a.title, "text": a.text,
        "date": a.date, "lang": a.lang,
    })
    .to_string();
    line.push('\n');
    line
}
