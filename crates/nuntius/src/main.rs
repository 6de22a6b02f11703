//! The `nuntius` command line: ingest article streams, list and show stories, export articles,
//! and print benchmark and evaluation figures.

mod bench;
mod crawl;
mod eval;
mod follow;
mod terminal;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use nuntius_engine::datadir::{store_path, WriterLock};
use nuntius_engine::settings::{config_path, load_embedder, EncoderSetting, Settings};
use nuntius_engine::{view, Engine, IngestSummary};
use nuntius_readers::ReadOptions;
use nuntius_search::{SearchIndex, SearchQuery};
use nuntius_store::SqliteStore;

#[derive(Parser)]
#[command(name = "nuntius", version, about = "Multilingual news story engine")]
struct Cli {
    /// Embedding signal: `auto` runs multilingual-e5-small (the transformer: most accurate,
    /// tens of articles/s) when its model file is fetched, else lexical signals only; `none` is
    /// the lexical path (thousands of articles/s); `static` the distilled table (fast, weaker).
    #[arg(long, global = true, value_enum, env = "NUNTIUS_ENCODER")]
    encoder: Option<EncoderArg>,
    /// Config file (default: `nuntius.toml` in the data dir, when present). Flags override
    /// environment variables, which override the file.
    #[arg(long, global = true, env = "NUNTIUS_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    /// The active window in days of publication time (0: none): events older than this behind
    /// the latest date leave memory, not the store (`[cluster]` of the config file).
    #[arg(long, global = true, env = "NUNTIUS_WINDOW_DAYS")]
    window_days: Option<i64>,
    /// Where the store lives.
    #[arg(
        long,
        global = true,
        env = "NUNTIUS_DATA_DIR",
        default_value = "nuntius-data"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

/// Limits on outside input (see `nuntius config` for the defaults).
#[derive(clap::Args)]
struct LimitArgs {
    /// Bytes of one record (JSONL line, JSON array element, text file); larger ones are rejected.
    #[arg(long, global = true, env = "NUNTIUS_MAX_RECORD_BYTES")]
    max_record_bytes: Option<usize>,
    /// Bytes read from one file after decompression; past it the file stops with an error.
    #[arg(long, global = true, env = "NUNTIUS_MAX_FILE_BYTES")]
    max_file_bytes: Option<u64>,
    /// Characters of body text kept per article; longer texts are cut with a warning.
    #[arg(long, global = true, env = "NUNTIUS_MAX_TEXT_CHARS")]
    max_text_chars: Option<usize>,
    /// Distinct names kept per article (the most mentioned).
    #[arg(long, global = true, env = "NUNTIUS_MAX_ENTITIES")]
    max_entities: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the resolved settings (flags, environment, config file, defaults) as TOML.
    Config,
    /// Read articles (files, directories, .gz, .jsonl, '-' for stdin) into the store.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Articles per store transaction (1..512; the stories do not depend on it).
        #[arg(long, env = "NUNTIUS_BATCH")]
        batch: Option<usize>,
    },
    /// Stories, newest first, with their events and articles.
    Stories {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// One story: timeline of events, articles, languages, sources, copies.
    Story {
        id: u64,
        /// Show the evidence behind every assignment.
        #[arg(long)]
        why: bool,
        #[arg(long)]
        json: bool,
    },
    /// Serve the HTTP API and web UI on the data dir (the only writer while it runs).
    Serve {
        /// Address to listen on (default 127.0.0.1:7700).
        #[arg(long, env = "NUNTIUS_ADDR")]
        addr: Option<std::net::SocketAddr>,
        /// Bearer token for POST /api/articles; generated into DATA_DIR/serve.token when absent.
        #[arg(long, env = "NUNTIUS_TOKEN")]
        token: Option<String>,
        /// Largest accepted ingest request body, in bytes.
        #[arg(long, env = "NUNTIUS_MAX_BODY_BYTES")]
        max_body_bytes: Option<usize>,
        /// Seconds a client has to send its request headers.
        #[arg(long, env = "NUNTIUS_HEADER_TIMEOUT_SECS")]
        header_timeout_secs: Option<u64>,
        /// Connections served at once.
        #[arg(long, env = "NUNTIUS_MAX_CONNECTIONS")]
        max_connections: Option<usize>,
        /// Seconds a read request may take.
        #[arg(long, env = "NUNTIUS_REQUEST_TIMEOUT_SECS")]
        request_timeout_secs: Option<u64>,
        /// Also run the crawler (`nuntius crawl`) inside the server; its articles go through the
        /// server's one writer, between posts.
        #[arg(long)]
        crawl: bool,
    },
    /// Full-text search over titles and clean text; results grouped by story.
    Search(SearchArgs),
    /// Follow a search, an entity or a story: an Atom feed of its new articles and webhooks.
    Follow {
        #[command(subcommand)]
        what: follow::FollowCommand,
    },
    /// The feeds, sitemaps and section pages `nuntius crawl` polls.
    Sources {
        #[command(subcommand)]
        what: crawl::SourcesCommand,
    },
    /// Poll every due source, fetch its new pages, extract and ingest them (`--once`: one round).
    Crawl(crawl::CrawlArgs),
    /// One JSON object per article, in ingest order.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Include the clean text of each article.
        #[arg(long)]
        text: bool,
    },
    /// Extract articles from HTML pages, WARC files and feeds; one JSON object per page.
    Extract {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Similarity of listed article pairs (`pair_id,id1,id2,...` CSV), printed as `pair_id,similarity`.
    Similarity {
        /// JSON file overriding clustering parameters.
        #[arg(long)]
        params: Option<PathBuf>,
        #[arg(long)]
        pairs: PathBuf,
        #[arg(long)]
        articles: PathBuf,
        /// Also print each signal's value (the mean of both directions), one column each.
        #[arg(long)]
        signals: bool,
    },
    /// Encoder model files.
    Model {
        #[command(subcommand)]
        what: ModelCommand,
    },
    /// Quality against labelled data.
    Eval {
        /// JSON file overriding clustering parameters (for tuning; see docs/EVALUATION.md).
        #[arg(long)]
        params: Option<PathBuf>,
        #[command(subcommand)]
        what: eval::EvalCommand,
    },
}

#[derive(clap::Args)]
struct SearchArgs {
    query: String,
    /// Analyse the query in this language and keep only its articles (ISO 639-1).
    #[arg(long)]
    lang: Option<String>,
    #[arg(long)]
    source: Option<String>,
    /// Earliest publication date (inclusive).
    #[arg(long)]
    from: Option<String>,
    /// Latest publication date (inclusive).
    #[arg(long)]
    to: Option<String>,
    /// Only articles naming this entity id.
    #[arg(long)]
    entity: Option<u64>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long, default_value_t = 0)]
    offset: usize,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EncoderArg {
    Auto,
    None,
    Static,
    Transformer,
}

impl EncoderArg {
    fn setting(self) -> EncoderSetting {
        match self {
            EncoderArg::Auto => EncoderSetting::Auto,
            EncoderArg::None => EncoderSetting::None,
            EncoderArg::Static => EncoderSetting::Static,
            EncoderArg::Transformer => EncoderSetting::Transformer,
        }
    }
}

/// Resolves every option once: flag, else environment (clap reads both), else the config file,
/// else the default.
fn resolve_settings(cli: &Cli) -> Result<Settings> {
    let (path, explicit) = config_path(&cli.data_dir, cli.config.as_deref());
    let mut s = Settings::from_file(&path, explicit)?;
    if let Some(e) = cli.encoder {
        s.encoder = e.setting();
    }
    let l = &cli.limits;
    set(&mut s.limits.max_record_bytes, l.max_record_bytes);
    set(&mut s.limits.max_file_bytes, l.max_file_bytes);
    set(&mut s.limits.max_text_chars, l.max_text_chars);
    set(&mut s.limits.max_entities, l.max_entities);
    set(&mut s.cluster.window_days, cli.window_days);
    match &cli.command {
        Command::Ingest { batch, .. } => set(&mut s.ingest.batch, *batch),
        Command::Serve {
            addr,
            max_body_bytes,
            header_timeout_secs,
            max_connections,
            request_timeout_secs,
            ..
        } => {
            set(&mut s.serve.addr, addr.map(|a| a.to_string()));
            set(&mut s.serve.max_body_bytes, *max_body_bytes);
            set(&mut s.serve.header_timeout_secs, *header_timeout_secs);
            set(&mut s.serve.max_connections, *max_connections);
            set(&mut s.serve.request_timeout_secs, *request_timeout_secs);
        }
        _ => {}
    }
    s.check()
        .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
    Ok(s)
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Jsonl,
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Distil the static encoder table from the transformer over a corpus of articles (JSONL or
    /// text files), written to the cache dir.
    BuildStatic {
        #[arg(long, required = true)]
        corpus: Vec<PathBuf>,
        /// At most this many texts from the corpus.
        #[arg(long, default_value_t = 20000)]
        limit: usize,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Ingest a file into a fresh temporary store; print articles/s and peak memory.
    Ingest { path: PathBuf },
    /// Extract every page under a directory (one thread); print pages/s and peak memory.
    Extract { dir: PathBuf },
    /// Story-page, story-list and search latency (p50/p90/p99) of a served data dir.
    Serve {
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
    /// Encoder texts/s and tokens/s at 16/48/128 tokens × batches 1/8/32, and its error against the f32 path.
    Encoder {
        /// auto, f32, portable, avx2 or avx512 (default: $NUNTIUS_KERNEL, else the best here).
        #[arg(long)]
        kernel: Option<String>,
    },
    /// Write a large test corpus (JSONL) replicating real articles with new ids and shifted dates,
    /// or (`--stream`) a long synthetic stream of many stories in date order.
    Corpus {
        #[arg(long, required_unless_present = "stream")]
        input: Vec<PathBuf>,
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        #[arg(long, default_value_t = 30)]
        shift_days: i64,
        /// Write a synthetic stream instead (no input): `--articles` over `--days` days from
        /// 2024-01-01, threads of news with their own names and words, one in ten undated.
        #[arg(long)]
        stream: bool,
        /// Days the stream spans.
        #[arg(long, default_value_t = 365)]
        days: usize,
        /// Seed of the stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Ingest a dated JSONL stream into one fresh data dir in daily runs, each a child process
    /// as `nuntius ingest` runs (open, ingest, close); print per run the articles, articles/s
    /// without the open, the open's seconds and the run's peak RSS.
    Stream {
        path: PathBuf,
        /// Stop after this many daily runs.
        #[arg(long)]
        days: Option<usize>,
        /// Data dir to ingest into (default: a fresh temporary one).
        #[arg(long)]
        into: Option<PathBuf>,
    },
    /// One run of `bench stream`: open the data dir, ingest the files, close; print one line of
    /// JSON with the figures.
    #[command(hide = true)]
    StreamRun { paths: Vec<PathBuf> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if terminal::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let settings = resolve_settings(&cli)?;
    match cli.command {
        Command::Config => {
            print!("{}", settings.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest { paths, .. } => {
            if let Some(server) = nuntius_server::running_server(&cli.data_dir) {
                return forward_to_server(&server, &paths, &settings);
            }
            let _lock = WriterLock::acquire(&cli.data_dir, "ingest")?;
            let mut engine = open_engine(&cli.data_dir, &settings)?;
            let started = Instant::now();
            let summary = ingest(&mut engine, &paths, &settings, io::stderr().is_terminal())?;
            print_summary(&summary, started.elapsed().as_secs_f64());
            drop(engine);
            follow::deliver_after_ingest(&cli.data_dir, &settings);
            Ok(if summary.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Stories { limit, json } => {
            let store = open_store(&cli.data_dir)?;
            let snap = view::Snapshot::load(&store)?;
            print_stories(&snap, limit, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Story { id, why, json } => {
            let store = open_store(&cli.data_dir)?;
            let snap = view::Snapshot::load(&store)?;
            let Some(detail) = snap.story_detail(id, why) else {
                bail!("no story {id} in {}", cli.data_dir.display());
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print_story(&detail, why)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            format: ExportFormat::Jsonl,
            text,
        } => {
            let store = open_store(&cli.data_dir)?;
            // The views' state without texts; each article is then read whole as it is written.
            let snap = view::Snapshot::load_without_text(&store)?;
            let mut out = io::BufWriter::new(io::stdout().lock());
            let mut failed: Option<anyhow::Error> = None;
            nuntius_store::Store::for_each_article_brief(&store, true, &mut |a| {
                if failed.is_some() {
                    return;
                }
                let mut record = snap.export_record(&a);
                if !text {
                    if let Some(o) = record.as_object_mut() {
                        o.remove("text");
                    }
                }
                let line = serde_json::to_string(&record).map_err(anyhow::Error::from);
                if let Err(e) = line.and_then(|l| writeln!(out, "{l}").map_err(anyhow::Error::from))
                {
                    failed = Some(e);
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            paths,
            format: ExportFormat::Jsonl,
        } => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            let summary = nuntius_web::commands::extract_jsonl(&paths, &mut out)?;
            out.flush()?;
            eprintln!(
                "files {}, pages {}, errors {}",
                summary.files, summary.pages, summary.errors
            );
            Ok(if summary.errors == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Bench {
            what: BenchCommand::Extract { dir },
        } => {
            let mut out = io::stdout().lock();
            nuntius_web::commands::bench_extract(&dir, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Encoder { kernel },
        } => {
            let kernel = match kernel.as_deref() {
                None | Some("auto") => nuntius_embed::Kernel::from_env()?,
                Some(name) => name.parse()?,
            };
            let model = nuntius_embed::default_model_path();
            nuntius_embed::bench::bench_encoder(&model, kernel, &mut io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Ingest { path },
        } => {
            bench_ingest(&path, &settings)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { token, crawl, .. } => {
            nuntius_server::run(nuntius_server::ServeConfig {
                data_dir: cli.data_dir.clone(),
                addr: settings
                    .serve
                    .addr
                    .parse()
                    .context("serve.addr is not an address")?,
                token,
                settings: settings.clone(),
                embedder: load_embedder(settings.encoder)?,
                crawl,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Serve { requests },
        } => {
            let report = nuntius_server::bench_serve(
                &cli.data_dir,
                &nuntius_server::BenchOptions {
                    requests,
                    ..nuntius_server::BenchOptions::default()
                },
            )?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what:
                BenchCommand::Corpus {
                    input,
                    articles,
                    shift_days,
                    stream,
                    days,
                    seed,
                },
        } => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            if stream {
                for a in nuntius_engine::synthetic::long_stream(seed, articles, days) {
                    out.write_all(nuntius_engine::synthetic::jsonl_line(&a).as_bytes())?;
                }
                out.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
            let summary = nuntius_server::generate_corpus(
                &nuntius_server::CorpusOptions {
                    inputs: input,
                    articles,
                    shift_days,
                },
                &mut out,
            )?;
            out.flush()?;
            eprintln!("{summary:?}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Stream { path, days, into },
        } => {
            bench::stream(
                &path,
                days,
                into.as_deref(),
                cli.encoder,
                cli.config.as_deref(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::StreamRun { paths },
        } => {
            let _lock = WriterLock::acquire(&cli.data_dir, "ingest")?;
            let started = Instant::now();
            let mut engine = open_engine(&cli.data_dir, &settings)?;
            let open_secs = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let summary = ingest(&mut engine, &paths, &settings, false)?;
            let ingest_secs = started.elapsed().as_secs_f64();
            drop(engine);
            println!(
                "{}",
                serde_json::json!({
                    "articles": summary.read, "new": summary.new, "failed": summary.failed.len(),
                    "open_secs": open_secs, "ingest_secs": ingest_secs,
                    "peak_kib": bench::peak_kib(),
                })
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Search(q) => {
            search(&cli.data_dir, q)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Follow { what } => {
            follow::run(&cli.data_dir, what)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sources { what } => crawl::sources(&cli.data_dir, &settings, what),
        Command::Crawl(args) => crawl::crawl(&cli.data_dir, &settings, args),
        Command::Model {
            what: ModelCommand::BuildStatic { corpus, limit },
        } => {
            build_static(&corpus, limit)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { what, params } => {
            let embedder = load_embedder(settings.encoder)?;
            let params = eval::load_params(params.as_deref(), embedder.is_some())?;
            eval::run(what, &params, embedder)
        }
        Command::Similarity {
            pairs,
            articles,
            params,
            signals,
        } => {
            let embedder = load_embedder(settings.encoder)?;
            let params = eval::load_params(params.as_deref(), embedder.is_some())?;
            eval::print_similarities(&pairs, &articles, &params, embedder.as_ref(), signals)
        }
    }
}

fn open_store(data_dir: &Path) -> Result<SqliteStore> {
    let path = store_path(data_dir);
    if !path.exists() {
        bail!(
            "no store at {} (run `nuntius ingest` first, or pass --data-dir)",
            path.display()
        );
    }
    Ok(SqliteStore::open(&path)?)
}

/// Distils the static table from titles and leads of a corpus.
fn build_static(corpus: &[PathBuf], limit: usize) -> Result<()> {
    let model = nuntius_embed::default_model_path();
    let encoder = nuntius_embed::Encoder::load(&model).with_context(|| {
        format!(
            "cannot load {} (run scripts/fetch-model.sh)",
            model.display()
        )
    })?;
    let mut texts = Vec::new();
    nuntius_readers::read_paths(corpus, &ReadOptions::default(), &mut |item| {
        if let Ok(raw) = item {
            if texts.len() < limit {
                let a = nuntius_analysis::analyze(&raw, &|_| false);
                texts.push(nuntius_engine::embedding::embedding_text(&a.title, &a.text));
            }
        }
    });
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let started = Instant::now();
    let table = nuntius_embed::StaticEncoder::build(
        &encoder,
        &refs,
        nuntius_embed::StaticConfig::default(),
    );
    let path = nuntius_embed::default_static_path();
    table.save(&path)?;
    eprintln!(
        "static table: {} pieces, {} dims, from {} texts in {:.0} s -> {}",
        table.len(),
        table.dim(),
        texts.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

fn open_engine(data_dir: &Path, settings: &Settings) -> Result<Engine> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let store = SqliteStore::open(&store_path(data_dir))?;
    let index = SearchIndex::open(&index_path(data_dir))?;
    let embedder = load_embedder(settings.encoder)?;
    Engine::open(Box::new(store), settings.cluster.params(embedder.is_some()))?
        .with_embedder(embedder)
        .with_limits(settings.limits.ingest_limits())
        .with_search(index)
}

/// The search index of a data dir (shared with `nuntius serve`).
fn index_path(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

/// A running `nuntius serve` owns the data dir: send the articles through its API instead.
fn forward_to_server(
    server: &nuntius_server::RunningServer,
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<ExitCode> {
    let Some(token) = std::env::var("NUNTIUS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| server.token.clone())
    else {
        bail!(
            "`nuntius serve` (pid {}) owns this data dir; set NUNTIUS_TOKEN to its token to send articles through {}",
            server.pid,
            server.url
        );
    };
    eprintln!(
        "sending articles to the running server at {} (pid {})",
        server.url, server.pid
    );
    let web = nuntius_engine::web::WebFormats;
    let options = ReadOptions {
        web: Some(&web),
        limits: settings.limits.read_limits(),
    };
    let started = Instant::now();
    let r = nuntius_server::forward_ingest(
        &server.url,
        &token,
        paths,
        &options,
        nuntius_server::ForwardOptions::default(),
    )?;
    let summary = IngestSummary {
        read: r.read,
        new: r.new,
        already_stored: r.already_stored,
        duplicates: r.duplicates,
        failed: r.failed,
        warnings: r.warnings,
    };
    print_summary(&summary, started.elapsed().as_secs_f64());
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `nuntius search`: stories with matching articles, best first.
fn search(data_dir: &Path, q: SearchArgs) -> Result<()> {
    let store = open_store(data_dir)?;
    let index = SearchIndex::open(&index_path(data_dir))?;
    let stored = nuntius_store::Store::article_count(&store)?;
    if index.doc_count() < stored {
        eprintln!(
            "note: the index holds {} of {stored} articles; the next `nuntius ingest` brings it up to date",
            index.doc_count()
        );
    }
    let day = |s: &Option<String>| -> Result<Option<i64>> {
        match s {
            None => Ok(None),
            Some(v) => nuntius_dates::parse_date(v)
                .map(|d| Some(d.day_number()))
                .ok_or_else(|| anyhow::anyhow!("not a date: {v}")),
        }
    };
    let query = SearchQuery {
        text: q.query.clone(),
        lang: q.lang.clone(),
        source: q.source.clone(),
        from_day: day(&q.from)?,
        to_day: day(&q.to)?,
        entity: q.entity,
        limit: q.limit,
        offset: q.offset,
    };
    let results = index.search(&query)?;
    let mut out = terminal::TerminalSafe::new(io::BufWriter::new(io::stdout().lock()));
    if q.json {
        let stories: Vec<serde_json::Value> = results
            .stories
            .iter()
            .map(|s| {
                serde_json::json!({
                    "story": s.story, "score": s.score, "matched": s.matched,
                    "hits": s.hits.iter().map(|h| serde_json::json!({"id": h.id, "score": h.score, "title": h.title, "snippet": h.snippet})).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({"total_hits": results.total_hits, "total_stories": results.total_stories, "stories": stories})
        )?;
    } else {
        writeln!(
            out,
            "{} articles in {} stories",
            results.total_hits, results.total_stories
        )?;
        for s in &results.stories {
            writeln!(out, "\nstory {} ({} matching)", s.story, s.matched)?;
            for h in &s.hits {
                writeln!(
                    out,
                    "  {:.2}  {}  {}\n        {}",
                    h.score,
                    h.id,
                    h.title,
                    h.snippet.replace('\n', " ")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Reads every path into the engine, with a progress line on a terminal.
fn ingest(
    engine: &mut Engine,
    paths: &[PathBuf],
    settings: &Settings,
    progress: bool,
) -> Result<IngestSummary> {
    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} articles  {per_sec}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let web = nuntius_engine::web::WebFormats;
    let options = ReadOptions {
        web: Some(&web),
        limits: settings.limits.read_limits(),
    };
    let batch = settings.ingest.batch;
    let summary = nuntius_engine::ingest_paths(engine, paths, &options, batch, &mut |s| {
        if let Some(bar) = &bar {
            bar.set_position(s.read);
            bar.set_message(format!("{} errors", s.failed.len()));
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(summary)
}

fn print_summary(s: &IngestSummary, seconds: f64) {
    eprintln!(
        "read {}, new {}, already stored {}, duplicates {}, failed {}, warnings {} ({:.0} articles/s)",
        s.read,
        s.new,
        s.already_stored,
        s.duplicates,
        s.failed.len(),
        s.warnings.len(),
        s.read as f64 / seconds.max(1e-9)
    );
    for f in &s.failed {
        eprintln!("  failed: {}", printable(f));
    }
    for w in &s.warnings {
        eprintln!("  warning: {}", printable(w));
    }
}

/// Text from articles as a terminal may show it: control characters (escape sequences, NULs,
/// carriage returns) escaped, so an article cannot rewrite the screen.
fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn print_stories(snap: &view::Snapshot, limit: usize, json: bool) -> Result<()> {
    let stories = snap.stories();
    let mut out = terminal::TerminalSafe::new(io::BufWriter::new(io::stdout().lock()));
    for s in stories.iter().take(limit) {
        if json {
            writeln!(out, "{}", serde_json::to_string(s)?)?;
            continue;
        }
        let langs: Vec<String> = s
            .languages
            .iter()
            .map(|(l, n)| format!("{l}×{n}"))
            .collect();
        writeln!(
            out,
            "story {}  {}\n  {} articles, {} events, {} .. {}, languages {}, sources {} ({} independent)\n  entities: {}",
            s.id,
            s.headline,
            s.articles,
            s.events,
            s.first_day.as_deref().unwrap_or("?"),
            s.last_day.as_deref().unwrap_or("?"),
            langs.join(" "),
            s.sources,
            s.independent_sources,
            s.top_entities.join(", ")
        )?;
        if let Some(old) = s.continues_story {
            writeln!(out, "  continues story {old}")?;
        }
        for line in &s.summary {
            writeln!(out, "  > {line}")?;
        }
        if let Some(detail) = snap.story_detail(s.id, false) {
            for ev in detail["events"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "  event {} ({})  {}",
                    ev["event"],
                    ev["date"].as_str().unwrap_or("undated"),
                    ev["headline"].as_str().unwrap_or("")
                )?;
                for a in ev["articles"].as_array().into_iter().flatten() {
                    writeln!(
                        out,
                        "    [{}] {}  {}{}",
                        a["lang"].as_str().unwrap_or("?"),
                        a["id"].as_str().unwrap_or(""),
                        a["title"].as_str().unwrap_or(""),
                        badges(a)
                    )?;
                }
            }
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

/// "  [copies X]" and "  [duplicate of Y]" after an article line, when they apply.
fn badges(a: &serde_json::Value) -> String {
    let copies: Vec<&str> = a["copies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
        .collect();
    let mut out = String::new();
    if !copies.is_empty() {
        out.push_str(&format!("  [copies {}]", copies.join(", ")));
    }
    if let Some(d) = a["duplicate_of"].as_str() {
        out.push_str(&format!("  [duplicate of {d}]"));
    }
    out
}

fn print_story(detail: &serde_json::Value, why: bool) -> Result<()> {
    let mut out = terminal::TerminalSafe::new(io::BufWriter::new(io::stdout().lock()));
    let s = &detail["story"];
    writeln!(
        out,
        "story {}  {}",
        s["id"],
        s["headline"].as_str().unwrap_or("")
    )?;
    writeln!(
        out,
        "  {} articles in {} events, {} .. {}; languages {}; {} sources, {} independent",
        s["articles"],
        s["events"],
        s["first_day"].as_str().unwrap_or("?"),
        s["last_day"].as_str().unwrap_or("?"),
        s["languages"],
        s["sources"],
        s["independent_sources"]
    )?;
    writeln!(
        out,
        "  top entities: {}",
        s["top_entities"]
            .as_array()
            .map(|v| v
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default()
    )?;
    if let Some(old) = s["continues_story"].as_u64() {
        writeln!(out, "  continues story {old}")?;
    }
    for line in s["summary"].as_array().into_iter().flatten() {
        writeln!(out, "  > {}", line.as_str().unwrap_or(""))?;
    }
    for ev in detail["events"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "\n  event {}  {}  {}",
            ev["event"],
            ev["date"].as_str().unwrap_or("undated"),
            ev["headline"].as_str().unwrap_or("")
        )?;
        let linked: Vec<String> = ev["linked"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| format!("event {e}"))
            .collect();
        if !linked.is_empty() {
            writeln!(
                out,
                "    the same happening in other languages: {}",
                linked.join(", ")
            )?;
        }
        if why {
            if let Some(w) = ev.get("why_in_story") {
                writeln!(out, "    why in this story: {}", compact_evidence(w))?;
            }
        }
        for a in ev["articles"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "    {} [{}] {} {}  {}{}",
                a["published"].as_str().unwrap_or("undated"),
                a["lang"].as_str().unwrap_or("?"),
                a["source"].as_str().unwrap_or("-"),
                a["id"].as_str().unwrap_or(""),
                a["title"].as_str().unwrap_or(""),
                badges(a)
            )?;
            if why {
                if let Some(w) = a.get("why") {
                    writeln!(out, "      why: {}", compact_evidence(w))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn compact_evidence(v: &serde_json::Value) -> String {
    let ev = if v.get("evidence").is_some() {
        &v["evidence"]
    } else {
        v
    };
    if ev.is_null() {
        return "first of its kind (nothing to compare with)".to_string();
    }
    let signals: Vec<String> = ev["signals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{} {:.2}→{:+.3}",
                s["name"].as_str().unwrap_or("?"),
                s["value"].as_f64().unwrap_or(0.0),
                s["contribution"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    let details: Vec<&str> = ev["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str())
        .collect();
    format!(
        "vs {} score {:.3} (threshold {:.2}): {}; {}",
        ev["target"],
        ev["score"].as_f64().unwrap_or(0.0),
        ev["threshold"].as_f64().unwrap_or(0.0),
        signals.join(", "),
        details.join("; ")
    )
}

fn bench_ingest(path: &Path, settings: &Settings) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut engine = open_engine(dir.path(), settings)?;
    if let Some(e) = engine.embedder() {
        println!("encoder: {}", e.describe());
    }
    let started = Instant::now();
    let summary = ingest(&mut engine, &[path.to_path_buf()], settings, false)?;
    let secs = started.elapsed().as_secs_f64();
    println!("file: {}", path.display());
    println!(
        "articles: {} read, {} new, {} duplicates, {} failed",
        summary.read,
        summary.new,
        summary.duplicates,
        summary.failed.len()
    );
    // Counted in the store: events out of the active window have left memory.
    let events = engine.store().event_stories()?;
    let stories: std::collections::BTreeSet<u64> = events.iter().map(|(_, s)| *s).collect();
    println!(
        "events: {}, stories: {} ({} and {} in the active window)",
        events.len(),
        stories.len(),
        engine.clusterer().event_count(),
        engine.clusterer().story_count()
    );
    println!("seconds: {secs:.2}");
    println!("articles/s: {:.0}", summary.read as f64 / secs.max(1e-9));
    println!(
        "peak memory: {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// Peak resident memory of this process (VmHWM), as Linux reports it.
pub fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.1} MiB", kb / 1024.0))
}
