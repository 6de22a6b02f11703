//! Indexing and query benchmark: builds an on-disk index of N articles and prints indexing
//! docs/s, index size and query latency percentiles.
//!
//! `cargo run --release -p nuntius-search --example search_bench -- --docs 100000 \
//!     --articles ../shared/data/dice/articles.jsonl.gz`
//!
//! With `--articles`, texts come from that JSONL(.gz) file (id, lang, title, text, source),
//! cycled to reach N with fresh sequence numbers, stories and days; without it, synthetic
//! Italian/English/German text is generated from a Zipf-like vocabulary.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nuntius_model::SplitMix64;
use nuntius_search::{SearchDoc, SearchIndex, SearchQuery};

struct Args {
    docs: usize,
    articles: Option<PathBuf>,
    dir: Option<PathBuf>,
    batch: usize,
    queries: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        docs: 10_000,
        articles: None,
        dir: None,
        batch: 1_000,
        queries: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--docs" => args.docs = value()?.parse().map_err(|e| format!("--docs: {e}"))?,
            "--batch" => args.batch = value()?.parse().map_err(|e| format!("--batch: {e}"))?,
            "--queries" => {
                args.queries = value()?.parse().map_err(|e| format!("--queries: {e}"))?
            }
            "--articles" => args.articles = Some(PathBuf::from(value()?)),
            "--dir" => args.dir = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

/// A seeded generator (runs are comparable) with ranks skewed towards small ones, like word
/// frequencies.
struct Rng(SplitMix64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

struct Text {
    lang: Option<String>,
    title: String,
    text: String,
    source: Option<String>,
}

fn read_articles(path: &PathBuf) -> Result<Vec<Text>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut out = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let text = get("text").unwrap_or_default();
        // Untitled articles get their first sentence as title, as the analysis stage would.
        let title = get("title").unwrap_or_else(|| {
            text.split(". ")
                .next()
                .unwrap_or("")
                .chars()
                .take(120)
                .collect()
        });
        out.push(Text {
            lang: get("lang"),
            title,
            text,
            source: get("source"),
        });
    }
    Ok(out)
}

const VOCAB_IT: &str = "governo sicurezza garanzie ucraina guerra europa presidente ministro accordo crisi mercato prezzi energia gas elezioni partito sindaco città regione scuola ospedale vaccino contagi polizia carabinieri incidente strada tribunale processo indagine squadra partita campionato allenatore giocatori tifosi economia lavoro sindacato sciopero banca inflazione tasse bilancio riforma parlamento senato voto legge decreto";
const VOCAB_EN: &str = "government security guarantees ukraine war europe president minister agreement crisis market prices energy gas elections party mayor city region school hospital vaccine cases police accident road court trial investigation team match league coach players fans economy jobs union strike bank inflation taxes budget reform parliament senate vote law decree";
const VOCAB_DE: &str = "regierung sicherheit garantien ukraine krieg europa präsident minister abkommen krise markt preise energie gas wahlen partei bürgermeister stadt region schule krankenhaus impfstoff fälle polizei unfall straße gericht prozess ermittlungen mannschaft spiel liga trainer spieler fans wirtschaft arbeit gewerkschaft streik bank inflation steuern haushalt reform parlament senat abstimmung gesetz erlass";

fn synthetic(rng: &mut Rng) -> Text {
    let (lang, vocab) = match rng.below(3) {
        0 => ("it", VOCAB_IT),
        1 => ("en", VOCAB_EN),
        _ => ("de", VOCAB_DE),
    };
    let words: Vec<&str> = vocab.split(' ').collect();
    let mut sentence = |n: usize| {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(words[rng.zipf(words.len())]);
            // A rare made-up name now and then, so the term dictionary grows as real ones do.
            if rng.below(12) == 0 {
                s.push_str(&format!(" Nome{}", rng.below(50_000)));
            }
        }
        s
    };
    let title = sentence(8);
    let text = (0..25)
        .map(|_| sentence(14) + ".")
        .collect::<Vec<_>>()
        .join(" ");
    Text {
        lang: Some(lang.to_string()),
        title,
        text,
        source: Some(format!("source{}.example", rng.below(200))),
    }
}

fn dir_size(path: &PathBuf) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mut rng = Rng(SplitMix64(42));
    let pool = match &args.articles {
        Some(path) => read_articles(path)?,
        None => Vec::new(),
    };
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("nuntius-search-bench-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let mut index = SearchIndex::open(&dir)?;

    let mut docs = Vec::with_capacity(args.batch);
    let mut bytes = 0usize;
    let mut query_words: Vec<(String, Option<String>)> = Vec::new();
    let start = Instant::now();
    for seq in 0..args.docs as u64 {
        let t = if pool.is_empty() {
            synthetic(&mut rng)
        } else {
            let p = &pool[seq as usize % pool.len()];
            Text {
                lang: p.lang.clone(),
                title: p.title.clone(),
                text: p.text.clone(),
                source: p.source.clone(),
            }
        };
        if query_words.len() < args.queries && rng.below(10) == 0 {
            // Queries: one to three title words of a real article, with and without language.
            let words: Vec<&str> = t
                .title
                .split_whitespace()
                .filter(|w| w.chars().count() > 3)
                .collect();
            if !words.is_empty() {
                let n = 1 + rng.below(3).min(words.len() - 1);
                let from = rng.below(words.len() + 1 - n);
                let lang = if rng.below(2) == 0 {
                    t.lang.clone()
                } else {
                    None
                };
                query_words.push((words[from..from + n].join(" "), lang));
            }
        }
        bytes += t.title.len() + t.text.len();
        docs.push(SearchDoc {
            seq,
            id: format!("doc{seq}"),
            title: t.title,
            text: t.text,
            lang: t.lang,
            source: t.source,
            day: Some(18_000 + (seq / 300) as i64),
            entities: (0..3).map(|_| rng.zipf(20_000) as u64).collect(),
            event: seq / 3,
            story: seq / 7,
        });
        if docs.len() == args.batch {
            index.add(&docs)?;
            docs.clear();
        }
    }
    index.add(&docs)?;
    index.commit()?;
    let took = start.elapsed();
    let size = dir_size(&dir);
    println!(
        "indexed {} docs ({:.1} MB of text) in {:.2} s: {:.0} docs/s",
        args.docs,
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        args.docs as f64 / took.as_secs_f64()
    );
    println!(
        "index size {:.1} MB on disk ({:.1} MB per 10k docs; segments not force-merged)",
        size as f64 / 1e6,
        size as f64 / 1e6 / (args.docs.max(1) as f64 / 10_000.0)
    );

    // Incremental visibility: one more article, committed and searched for.
    let t0 = Instant::now();
    index.add(&[SearchDoc {
        seq: u64::MAX - 1,
        id: "fresh".into(),
        title: "Zyxwvutsrq".into(),
        text: "zyxwvutsrq".into(),
        ..SearchDoc::default()
    }])?;
    index.commit()?;
    let visible = index.search(&SearchQuery {
        text: "zyxwvutsrq".into(),
        ..SearchQuery::default()
    })?;
    println!(
        "add+commit+search of one new article: {:.1} ms, found {}",
        t0.elapsed().as_secs_f64() * 1e3,
        visible.total_hits
    );

    let mut latencies = Vec::new();
    let mut hits = 0usize;
    for round in 0..3 {
        for (text, lang) in &query_words {
            let q = SearchQuery {
                text: text.clone(),
                lang: lang.clone(),
                limit: 20,
                ..SearchQuery::default()
            };
            let t = Instant::now();
            let r = index.search(&q)?;
            let el = t.elapsed();
            // The first round warms the page cache; only later rounds are timed.
            if round > 0 {
                latencies.push(el);
                hits += r.total_hits;
            }
        }
    }
    latencies.sort();
    println!(
        "{} queries ({} distinct, half with a language): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean hits {:.0}",
        latencies.len(),
        query_words.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        hits as f64 / latencies.len().max(1) as f64
    );
    drop(index);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
