//! `nuntius bench serve`: latency of the story page, the story list and search on a data dir,
//! measured as a client sees it (HTTP over loopback, one request at a time).

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use nuntius_engine::datadir::WriterLock;
use nuntius_model::SplitMix64;
use nuntius_store::read::ReadQueries;

use crate::app::{App, AppConfig};
use crate::error::ServerError;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    /// Requests per measured endpoint.
    pub requests: usize,
    /// Seed of the story and query choice.
    pub seed: u64,
}

impl Default for BenchOptions {
    fn default() -> BenchOptions {
        BenchOptions {
            requests: 500,
            seed: 7,
        }
    }
}

/// Latency figures of one endpoint.
#[derive(Debug, Clone)]
pub struct Latency {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// The benchmark's result; `Display` prints it.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub articles: u64,
    pub stories: usize,
    pub search_documents: u64,
    pub indexed_now: u64,
    pub startup: Duration,
    pub latencies: Vec<Latency>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "store: {} articles, {} stories, {} searchable ({} indexed for this run); app opened in {:.2}s",
            self.articles,
            self.stories,
            self.search_documents,
            self.indexed_now,
            self.startup.as_secs_f64()
        )?;
        writeln!(
            f,
            "{:<28} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9}",
            "endpoint", "requests", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms"
        )?;
        for l in &self.latencies {
            writeln!(
                f,
                "{:<28} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                l.name,
                l.requests,
                l.errors,
                ms(l.p50),
                ms(l.p90),
                ms(l.p99),
                ms(l.max)
            )?;
        }
        Ok(())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Opens `data_dir` read-only, serves it on a loopback port and measures story pages, story list
/// pages and searches. If no writer holds the data dir, articles missing from the search index are
/// indexed first (and counted in the report).
pub fn bench_serve(data_dir: &Path, options: &BenchOptions) -> Result<BenchReport, ServerError> {
    let started = Instant::now();
    let app = App::open(AppConfig {
        data_dir: data_dir.to_path_buf(),
        token: String::new(),
        settings: nuntius_engine::Settings::default(),
        writer: false,
        embedder: None,
        crawl: false,
    })?;
    let indexed_now = if WriterLock::holder(data_dir).is_none() {
        app.catch_up_search()?
    } else {
        0
    };
    let startup = started.elapsed();
    let shared = app.shared();
    let catalog = shared.catalog();
    if catalog.stories.is_empty() {
        return Err(ServerError::Engine(format!(
            "no stories in {}; ingest articles first",
            data_dir.display()
        )));
    }
    let mut rng = SplitMix64(options.seed);
    let stories: Vec<u64> = (0..options.requests)
        .map(|_| catalog.stories[rng.below(catalog.stories.len())].stat.story)
        .collect();
    let queries = sample_queries(&app, &mut rng, options.requests, catalog.max_seq)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServerError::io("cannot start the runtime"))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(ServerError::io("cannot bind a loopback port"))?;
    let addr = listener
        .local_addr()
        .map_err(ServerError::io("cannot read the bound address"))?;
    let router = app.router();
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let agent = (&runtime, &client);

    let pages = catalog.stories.len().div_ceil(20);
    let list: Vec<String> = (0..options.requests)
        .map(|_| format!("/api/stories?offset={}", rng.below(pages.min(50)) * 20))
        .collect();
    let latencies = vec![
        measure(
            &agent,
            &base,
            "story page /api/stories/{id}",
            stories
                .iter()
                .map(|s| format!("/api/stories/{s}"))
                .collect(),
        ),
        measure(
            &agent,
            &base,
            "search /api/search",
            queries
                .iter()
                .map(|q| format!("/api/search?q={}", encode(q)))
                .collect(),
        ),
        measure(&agent, &base, "story list /api/stories", list),
    ];
    runtime.shutdown_timeout(Duration::from_secs(1));
    let search_documents = shared
        .search
        .as_ref()
        .and_then(|s| s.read().ok().map(|s| s.doc_count()))
        .unwrap_or(0);
    Ok(BenchReport {
        articles: catalog.articles,
        stories: catalog.stories.len(),
        search_documents,
        indexed_now,
        startup,
        latencies,
    })
}

/// One or two title words of random stored articles.
fn sample_queries(
    app: &App,
    rng: &mut SplitMix64,
    n: usize,
    max_seq: u64,
) -> Result<Vec<String>, ServerError> {
    let seqs: Vec<u64> = (0..n.min(2000))
        .map(|_| 1 + rng.below(max_seq.max(1) as usize) as u64)
        .collect();
    let titles: Vec<String> = app
        .shared()
        .read(|s| Ok(s.articles_by_seq(&seqs)?))?
        .into_iter()
        .map(|a| a.title)
        .collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let title = titles
            .get(i % titles.len().max(1))
            .map_or("", String::as_str);
        let words: Vec<&str> = title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 5)
            .collect();
        let q = match words.len() {
            0 => "governo".to_string(),
            1 => words[0].to_string(),
            k => {
                let a = rng.below(k);
                if rng.below(2) == 0 {
                    words[a].to_string()
                } else {
                    format!("{} {}", words[a], words[(a + 1) % k])
                }
            }
        };
        out.push(q);
    }
    Ok(out)
}

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The runtime the server runs on, and the client that measures it.
type Agent<'a> = (&'a tokio::runtime::Runtime, &'a reqwest::Client);

fn measure(agent: &Agent<'_>, base: &str, name: &str, paths: Vec<String>) -> Latency {
    let (runtime, client) = *agent;
    let mut times = Vec::with_capacity(paths.len());
    let mut errors = 0;
    for p in &paths {
        let t = Instant::now();
        let ok = runtime
            .block_on(async {
                client
                    .get(format!("{base}{p}"))
                    .send()
                    .await?
                    .error_for_status()?
                    .text()
                    .await
            })
            .is_ok();
        times.push(t.elapsed());
        if !ok {
            errors += 1;
        }
    }
    times.sort_unstable();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    };
    Latency {
        name: name.to_string(),
        requests: times.len(),
        errors,
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: times.last().copied().unwrap_or_default(),
    }
}
