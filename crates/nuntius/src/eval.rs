//! `nuntius eval`: quality against labelled data, computed the way the published scores are.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use nuntius_cluster::Params;
use nuntius_model::RawArticle;
use nuntius_store::SqliteStore;
use serde_json::{json, Value};

use nuntius_engine::embedding::TextEmbedder;
use nuntius_engine::{Engine, IngestSummary};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExtractionFormat {
    Segments,
    Readability,
    Pairs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExtractionSplit {
    All,
    Dev,
    Test,
}

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Ingest a gold file in date order into a fresh in-memory store and score its events against
    /// `cluster_id`: BCubed and pairwise P/R/F1, overall and on cross-lingual pairs.
    Clusters {
        #[arg(long)]
        gold: PathBuf,
        #[arg(long)]
        json: bool,
        /// Also write `{"id","cluster"}` lines here, for the reference scorer.
        #[arg(long)]
        predictions: Option<PathBuf>,
        /// Parameter search: a JSONL file of parameter overrides (applied over `--params`), one
        /// run each, one JSON result line each. Embeddings are computed once for all runs.
        #[arg(long, conflicts_with = "predictions")]
        sweep: Option<PathBuf>,
    },
    /// Ingest FILE in date order into a fresh in-memory store and describe its stories: count,
    /// size distribution, largest story's share, events per story, time spans. With `--gold` (a
    /// JSONL file with `cluster_id`, or a CSV of `id1,id2` same-event pairs), also the share of
    /// gold same-event pairs whose two articles land in one story.
    Stories {
        file: PathBuf,
        #[arg(long)]
        gold: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Article extraction on a labelled page set. `--format segments` (pages.tar.zst +
    /// evaldata.json in DIR): precision/recall/F1 of must-have and must-not-have segments.
    /// `readability` (DIR/NAME/{source,expected}.html) and `pairs` (DIR/html/NAME +
    /// DIR/text|reference/NAME): 4-token shingle precision/recall/F1. Also pages/s.
    Extraction {
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = ExtractionFormat::Segments)]
        format: ExtractionFormat,
        /// Half of a shingle-scored set (split by a hash of the page's site).
        #[arg(long, value_enum, default_value_t = ExtractionSplit::All)]
        split: ExtractionSplit,
        /// Write predictions here, for the reference scorer: `{url: text}` (segments),
        /// `{name: {"articleBody": text}}` (shingle sets).
        #[arg(long)]
        predictions: Option<PathBuf>,
        /// Shingle sets: write `{name: {"articleBody": expected, "html": path}}` here.
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// SemEval-2022 Task 8 style: similarity of listed article pairs, Pearson against −overall.
    Pairs {
        #[arg(long)]
        pairs: PathBuf,
        #[arg(long)]
        articles: PathBuf,
    },
    /// Same-event pair recall on silver pairs (DICE): a pair is found when both articles share an
    /// event or one is a duplicate or copy of the other.
    SameEvent {
        #[arg(long)]
        pairs: PathBuf,
        #[arg(long)]
        articles: PathBuf,
    },
}

/// Clustering parameters: the defaults for the signals in use, with the fields a JSON file sets
/// overriding them (for tuning).
pub fn load_params(path: Option<&std::path::Path>, embeddings: bool) -> Result<Params> {
    let base = Params::for_encoder(embeddings);
    match path {
        None => Ok(base),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let overrides: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", p.display()))?;
            override_params(&base, &overrides)
                .with_context(|| format!("{}: not a valid parameter file", p.display()))
        }
    }
}

/// `base` with the fields of the JSON object `overrides` replaced.
fn override_params(base: &Params, overrides: &Value) -> Result<Params> {
    let Some(fields) = overrides.as_object() else {
        anyhow::bail!("parameters must be a JSON object");
    };
    let mut merged = serde_json::to_value(base)?;
    if let Some(m) = merged.as_object_mut() {
        for (k, v) in fields {
            m.insert(k.clone(), v.clone());
        }
    }
    Ok(serde_json::from_value(merged)?)
}

pub fn run(
    cmd: EvalCommand,
    params: &Params,
    embedder: Option<std::sync::Arc<dyn TextEmbedder>>,
) -> Result<ExitCode> {
    let emb = embedder.as_ref();
    match cmd {
        EvalCommand::Clusters {
            gold,
            json,
            predictions,
            sweep: None,
        } => eval_clusters(&gold, json, predictions.as_deref(), params, emb),
        EvalCommand::Clusters {
            gold,
            sweep: Some(sweep),
            ..
        } => sweep_clusters(&gold, &sweep, params, embedder),
        EvalCommand::Pairs { pairs, articles } => {
            let scored = pair_similarities(&pairs, &articles, params, emb)?;
            let (xs, ys): (Vec<f64>, Vec<f64>) = scored
                .iter()
                .filter_map(|p| Some((p.similarity, -p.overall?)))
                .unzip();
            println!("pairs: {} scored of {} listed", xs.len(), scored.len());
            println!("pearson vs -overall: {:.3}", pearson(&xs, &ys));
            // The graded similarity was fit on the first half of the train pairs (file order).
            let half = xs.len() / 2;
            println!(
                "  second half (pairs {}..{}, not used in the fit): {:.3}",
                half + 1,
                xs.len(),
                pearson(&xs[half..], &ys[half..])
            );
            let mut by_lang: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
            for p in &scored {
                if let Some(o) = p.overall {
                    let e = by_lang.entry(p.langs.clone()).or_default();
                    e.0.push(p.similarity);
                    e.1.push(-o);
                }
            }
            for (langs, (x, y)) in by_lang {
                println!(
                    "  {langs:<6} n={:<4} pearson {:.3}",
                    x.len(),
                    pearson(&x, &y)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        EvalCommand::Stories { file, gold, json } => {
            eval_stories(&file, gold.as_deref(), json, params, emb)
        }
        EvalCommand::SameEvent { pairs, articles } => {
            same_event_recall(&pairs, &articles, params, emb)
        }
        EvalCommand::Extraction {
            dir,
            format,
            split,
            predictions,
            truth,
        } => {
            let layout = match format {
                ExtractionFormat::Segments => None,
                ExtractionFormat::Readability => {
                    Some(nuntius_web::text_sets::SetLayout::Readability)
                }
                ExtractionFormat::Pairs => Some(nuntius_web::text_sets::SetLayout::Pairs),
            };
            if let Some(layout) = layout {
                let split = match split {
                    ExtractionSplit::All => nuntius_web::text_sets::Split::All,
                    ExtractionSplit::Dev => nuntius_web::text_sets::Split::Dev,
                    ExtractionSplit::Test => nuntius_web::text_sets::Split::Test,
                };
                return eval_text_set(&dir, layout, split, predictions, truth);
            }
            let score = nuntius_web::commands::eval_segments(&dir)?;
            let f1 = score.f1;
            println!("pages: {}", score.pages);
            println!(
                "precision {:.3}  recall {:.3}  F1 {:.3}",
                score.precision, score.recall, f1
            );
            println!("extraction: {:.1} pages/s wall", score.pages_per_second);
            if let Some(cpu) = score.pages_per_cpu_second {
                println!("extraction: {cpu:.1} pages per CPU-second (one thread)");
            }
            if let Some(p) = predictions {
                std::fs::write(&p, serde_json::to_string(&score.predictions)?)
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `eval extraction --format readability|pairs`: shingle scores of one set.
fn eval_text_set(
    dir: &std::path::Path,
    layout: nuntius_web::text_sets::SetLayout,
    split: nuntius_web::text_sets::Split,
    predictions: Option<PathBuf>,
    truth: Option<PathBuf>,
) -> Result<ExitCode> {
    let score = nuntius_web::text_sets::eval_text_set(dir, layout, split)?;
    println!("pages: {}", score.pages);
    println!(
        "shingle precision {:.3}  recall {:.3}  F1 {:.3}",
        score.precision, score.recall, score.f1
    );
    println!(
        "pages with F1 < 0.5: {}  (empty output: {})",
        score.pages_under_half, score.empty
    );
    println!("extraction: {:.1} pages/s wall", score.pages_per_second);
    if let Some(cpu) = score.pages_per_cpu_second {
        println!("extraction: {cpu:.1} pages per CPU-second (one thread)");
    }
    let write = |path: &PathBuf, rows: serde_json::Map<String, Value>| {
        std::fs::write(path, Value::Object(rows).to_string())
            .with_context(|| format!("cannot write {}", path.display()))
    };
    if let Some(p) = &predictions {
        let rows = score.per_page.iter();
        write(
            p,
            rows.map(|(k, (_, text, _))| (k.clone(), json!({ "articleBody": text })))
                .collect(),
        )?;
    }
    if let Some(t) = &truth {
        let rows = score.per_page.iter().map(|(k, (page, _, _))| {
            let html = page.html_path.display().to_string();
            (
                k.clone(),
                json!({ "articleBody": page.expected, "html": html }),
            )
        });
        write(t, rows.collect())?;
    }
    Ok(ExitCode::SUCCESS)
}

struct GoldRow {
    raw: RawArticle,
    id: String,
    lang: String,
    cluster: String,
}

fn read_gold(path: &std::path::Path) -> Result<Vec<GoldRow>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let mut rows = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: invalid JSON", path.display(), i + 1))?;
        let raw = nuntius_readers::parse_jsonl_line(&line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        let Some(id) = raw.id.clone() else {
            anyhow::bail!("{}:{}: gold record without id", path.display(), i + 1)
        };
        let cluster = match v.get("cluster_id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => anyhow::bail!(
                "{}:{}: gold record without cluster_id",
                path.display(),
                i + 1
            ),
        };
        let lang = raw.lang.clone().unwrap_or_default();
        rows.push(GoldRow {
            raw,
            id,
            lang,
            cluster,
        });
    }
    Ok(rows)
}

/// Remembers the vectors of texts already embedded, so that a parameter search pays for the
/// encoder once.
struct MemoEmbedder {
    inner: std::sync::Arc<dyn TextEmbedder>,
    seen: std::sync::Mutex<HashMap<String, Vec<f32>>>,
}

impl TextEmbedder for MemoEmbedder {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let missing: Vec<&str> = {
            let seen = self
                .seen
                .lock()
                .map_err(|_| anyhow::anyhow!("embedding cache poisoned"))?;
            let mut m: Vec<&str> = texts
                .iter()
                .copied()
                .filter(|t| !seen.contains_key(*t))
                .collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        let fresh = if missing.is_empty() {
            Vec::new()
        } else {
            self.inner.embed_passages(&missing)?
        };
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| anyhow::anyhow!("embedding cache poisoned"))?;
        for (t, v) in missing.iter().zip(fresh) {
            seen.insert((*t).to_string(), v);
        }
        texts
            .iter()
            .map(|t| {
                seen.get(*t)
                    .cloned()
                    .ok_or_else(|| anyhow::anyhow!("text not embedded"))
            })
            .collect()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn calibration(&self) -> (f64, f64) {
        self.inner.calibration()
    }
}

/// `eval clusters --sweep`: one run per line of parameter overrides.
fn sweep_clusters(
    path: &std::path::Path,
    sweep: &std::path::Path,
    base: &Params,
    embedder: Option<std::sync::Arc<dyn TextEmbedder>>,
) -> Result<ExitCode> {
    let rows = gold_in_date_order(path)?;
    let memo: Option<std::sync::Arc<dyn TextEmbedder>> = embedder.map(|inner| {
        std::sync::Arc::new(MemoEmbedder {
            inner,
            seen: std::sync::Mutex::new(HashMap::new()),
        }) as std::sync::Arc<dyn TextEmbedder>
    });
    let text = std::fs::read_to_string(sweep)
        .with_context(|| format!("cannot read {}", sweep.display()))?;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let overrides: Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: invalid JSON", sweep.display(), i + 1))?;
        let params = override_params(base, &overrides)
            .with_context(|| format!("{}:{}: not a valid parameter set", sweep.display(), i + 1))?;
        let run = cluster_gold(&rows, &params, memo.as_ref())?;
        let s = &run.scores;
        println!(
            "{}",
            json!({
                "params": overrides,
                "bcubed_f1": round3(s.bcubed.2), "bcubed_p": round3(s.bcubed.0), "bcubed_r": round3(s.bcubed.1),
                "pairwise_f1": round3(s.pairwise.2), "xl_pairwise_f1": round3(s.cross_pairwise.2),
                "xl_pairwise_p": round3(s.cross_pairwise.0), "xl_pairwise_r": round3(s.cross_pairwise.1),
                "events": run.clusters,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A gold file's rows in date order, as a live stream would deliver them; undated last, ties in
/// file order.
fn gold_in_date_order(path: &std::path::Path) -> Result<Vec<GoldRow>> {
    let mut rows = read_gold(path)?;
    rows.sort_by(|a, b| date_order(&a.raw.date, &b.raw.date));
    Ok(rows)
}

/// Stream order for evaluation: by date, undated last; a stable sort keeps file order on ties.
fn date_order(a: &Option<String>, b: &Option<String>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

struct ClusterRun {
    pred: HashMap<String, u64>,
    scores: Scores,
    clusters: usize,
    secs: f64,
}

fn cluster_gold(
    rows: &[GoldRow],
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
) -> Result<ClusterRun> {
    let mut engine = Engine::open(Box::new(SqliteStore::in_memory()?), params.clone())?
        .with_embedder(embedder.cloned());
    let started = std::time::Instant::now();
    let mut summary = IngestSummary::default();
    for chunk in rows.chunks(512) {
        engine.ingest_batch(chunk.iter().map(|r| r.raw.clone()).collect(), &mut summary)?;
    }
    let secs = started.elapsed().as_secs_f64();
    // Scored as the export says: an event linked to events in other languages is its group.
    let stories: BTreeMap<u64, u64> = engine.store().event_stories()?.into_iter().collect();
    let roots = nuntius_engine::view::link_roots(&engine.store().event_links()?, &stories);
    let mut pred: HashMap<String, u64> = HashMap::new();
    engine.store().for_each_article(&mut |a| {
        pred.insert(a.id, roots.get(&a.event).copied().unwrap_or(a.event));
    })?;
    let gold: Vec<(usize, usize, usize)> = {
        let mut gid: BTreeMap<&str, usize> = BTreeMap::new();
        let mut lid: BTreeMap<&str, usize> = BTreeMap::new();
        let mut pid: BTreeMap<u64, usize> = BTreeMap::new();
        let mut singles = 0usize;
        rows.iter()
            .map(|r| {
                let n = gid.len();
                let g = *gid.entry(r.cluster.as_str()).or_insert(n);
                let n = lid.len();
                let l = *lid.entry(r.lang.as_str()).or_insert(n);
                let p = match pred.get(&r.id) {
                    Some(c) => {
                        let n = pid.len();
                        *pid.entry(*c).or_insert(n)
                    }
                    None => {
                        singles += 1;
                        usize::MAX - singles
                    }
                };
                (g, p, l)
            })
            .collect()
    };
    let scores = Scores::compute(&gold);
    let clusters = {
        let mut s: Vec<usize> = gold.iter().map(|x| x.1).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    Ok(ClusterRun {
        pred,
        scores,
        clusters,
        secs,
    })
}

fn eval_clusters(
    path: &std::path::Path,
    json_out: bool,
    predictions: Option<&std::path::Path>,
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
) -> Result<ExitCode> {
    let rows = gold_in_date_order(path)?;
    let ClusterRun {
        pred,
        scores,
        clusters,
        secs,
    } = cluster_gold(&rows, params, embedder)?;
    if let Some(p) = predictions {
        let mut out = String::new();
        for r in &rows {
            if let Some(c) = pred.get(&r.id) {
                out.push_str(&format!("{}\n", json!({"id": r.id, "cluster": c})));
            }
        }
        std::fs::write(p, out).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if json_out {
        println!(
            "{}",
            json!({
                "file": path.display().to_string(), "articles": rows.len(), "clusters": clusters,
                "bcubed": {"p": scores.bcubed.0, "r": scores.bcubed.1, "f1": scores.bcubed.2},
                "pairwise": {"p": scores.pairwise.0, "r": scores.pairwise.1, "f1": scores.pairwise.2},
                "crosslingual_bcubed": {"p": scores.cross_bcubed.0, "r": scores.cross_bcubed.1, "f1": scores.cross_bcubed.2},
                "crosslingual_pairwise": {"p": scores.cross_pairwise.0, "r": scores.cross_pairwise.1, "f1": scores.cross_pairwise.2},
                "crosslingual_pairwise_macro": {"p": scores.cross_pairwise_macro.0, "r": scores.cross_pairwise_macro.1, "f1": scores.cross_pairwise_macro.2, "events": scores.cross_pairwise_macro.3},
                "articles_per_second": rows.len() as f64 / secs.max(1e-9),
            })
        );
    } else {
        println!(
            "file: {} ({} articles, {} predicted events)",
            path.display(),
            rows.len(),
            clusters
        );
        println!("{:<24} {:>6} {:>6} {:>6}", "metric", "P", "R", "F1");
        for (name, (p, r, f)) in [
            ("BCubed", scores.bcubed),
            ("pairwise", scores.pairwise),
            ("cross-lingual BCubed", scores.cross_bcubed),
            ("cross-lingual pairwise", scores.cross_pairwise),
        ] {
            println!("{name:<24} {p:>6.3} {r:>6.3} {f:>6.3}");
        }
        let (p, r, f, k) = scores.cross_pairwise_macro;
        println!(
            "{:<24} {p:>6.3} {r:>6.3} {f:>6.3}  (mean over {k} multilingual gold events)",
            "cross-lingual pw macro"
        );
        println!(
            "ingest: {:.0} articles/s",
            rows.len() as f64 / secs.max(1e-9)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Clustering scores from `(gold, predicted, language)` per item.
pub struct Scores {
    pub bcubed: (f64, f64, f64),
    pub pairwise: (f64, f64, f64),
    pub cross_bcubed: (f64, f64, f64),
    pub cross_pairwise: (f64, f64, f64),
    /// Cross-lingual pairwise P/R/F1 per gold event that spans two languages or more, averaged
    /// over those events (so one big event does not stand for all), and how many there are.
    pub cross_pairwise_macro: (f64, f64, f64, usize),
}

fn f1(p: f64, r: f64) -> (f64, f64, f64) {
    (
        p,
        r,
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        },
    )
}

impl Scores {
    pub fn compute(items: &[(usize, usize, usize)]) -> Scores {
        let mut g: HashMap<usize, f64> = HashMap::new();
        let mut p: HashMap<usize, f64> = HashMap::new();
        let mut both: HashMap<(usize, usize), f64> = HashMap::new();
        // Per-language sizes, to count only members in other languages.
        let mut gl: HashMap<(usize, usize), f64> = HashMap::new();
        let mut pl: HashMap<(usize, usize), f64> = HashMap::new();
        let mut bl: HashMap<(usize, usize, usize), f64> = HashMap::new();
        for &(gi, pi, li) in items {
            *g.entry(gi).or_default() += 1.0;
            *p.entry(pi).or_default() += 1.0;
            *both.entry((gi, pi)).or_default() += 1.0;
            *gl.entry((gi, li)).or_default() += 1.0;
            *pl.entry((pi, li)).or_default() += 1.0;
            *bl.entry((gi, pi, li)).or_default() += 1.0;
        }
        let n = items.len().max(1) as f64;
        let (mut bp, mut br) = (0.0, 0.0);
        let (mut cbp, mut cbr, mut cbp_n, mut cbr_n) = (0.0, 0.0, 0.0, 0.0);
        for &(gi, pi, li) in items {
            let b = both[&(gi, pi)];
            bp += b / p[&pi];
            br += b / g[&gi];
            let b_other = b - bl[&(gi, pi, li)];
            let p_other = p[&pi] - pl[&(pi, li)];
            let g_other = g[&gi] - gl[&(gi, li)];
            if p_other > 0.0 {
                cbp += b_other / p_other;
                cbp_n += 1.0;
            }
            if g_other > 0.0 {
                cbr += b_other / g_other;
                cbr_n += 1.0;
            }
        }
        let c2 = |k: f64| k * (k - 1.0) / 2.0;
        let tp: f64 = both.values().map(|v| c2(*v)).sum();
        let pp: f64 = p.values().map(|v| c2(*v)).sum();
        let gp: f64 = g.values().map(|v| c2(*v)).sum();
        let cross = |sizes: &HashMap<usize, f64>, by_lang: &HashMap<(usize, usize), f64>| -> f64 {
            let mut sq: HashMap<usize, f64> = HashMap::new();
            for ((c, _), v) in by_lang {
                *sq.entry(*c).or_default() += v * v;
            }
            sizes
                .iter()
                .map(|(c, n)| (n * n - sq.get(c).copied().unwrap_or(0.0)) / 2.0)
                .sum()
        };
        let mut bsq: HashMap<(usize, usize), f64> = HashMap::new();
        for ((gi, pi, _), v) in &bl {
            *bsq.entry((*gi, *pi)).or_default() += v * v;
        }
        let ctp: f64 = both
            .iter()
            .map(|(k, n)| (n * n - bsq.get(k).copied().unwrap_or(0.0)) / 2.0)
            .sum();
        let cpp = cross(&p, &pl);
        let cgp = cross(&g, &gl);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 1.0 };
        let cross_pairwise_macro = {
            // Per gold event g: its cross-lingual pairs, those of them predicted together (tp),
            // and the predicted cross-lingual pairs with a member in g (a pair with one member
            // outside g is a false positive of g).
            let mut gold_cross: BTreeMap<usize, f64> = BTreeMap::new();
            for ((gi, _), v) in &gl {
                *gold_cross.entry(*gi).or_default() -= v * v;
            }
            for (gi, v) in gold_cross.iter_mut() {
                *v = (g[gi] * g[gi] + *v) / 2.0;
            }
            let mut tp_g: BTreeMap<usize, f64> = BTreeMap::new();
            for ((gi, pi), n) in &both {
                *tp_g.entry(*gi).or_default() +=
                    (n * n - bsq.get(&(*gi, *pi)).copied().unwrap_or(0.0)) / 2.0;
            }
            let mut touching: BTreeMap<usize, f64> = BTreeMap::new();
            for &(gi, pi, li) in items {
                *touching.entry(gi).or_default() += p[&pi] - pl[&(pi, li)];
            }
            let (mut sp, mut sr, mut sf, mut k) = (0.0, 0.0, 0.0, 0usize);
            for (gi, pairs) in &gold_cross {
                if *pairs <= 0.0 {
                    continue;
                }
                let tp = tp_g.get(gi).copied().unwrap_or(0.0);
                let predicted = touching.get(gi).copied().unwrap_or(0.0) - tp;
                let (pp, rr, ff) = f1(ratio(tp, predicted), tp / pairs);
                sp += pp;
                sr += rr;
                sf += ff;
                k += 1;
            }
            let m = k.max(1) as f64;
            (sp / m, sr / m, sf / m, k)
        };
        Scores {
            cross_pairwise_macro,
            bcubed: f1(bp / n, br / n),
            pairwise: f1(ratio(tp, pp), ratio(tp, gp)),
            cross_bcubed: f1(ratio(cbp, cbp_n), ratio(cbr, cbr_n)),
            cross_pairwise: f1(ratio(ctp, cpp), ratio(ctp, cgp)),
        }
    }
}

/// Reads a JSONL(.gz) articles file fully.
fn read_articles(path: &std::path::Path) -> Result<Vec<RawArticle>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    nuntius_readers::read_paths(
        &[path.to_path_buf()],
        &nuntius_readers::ReadOptions::default(),
        &mut |item| match item {
            Ok(a) => out.push(a),
            Err(e) => errors.push(e.to_string()),
        },
    );
    if let Some(e) = errors.first() {
        eprintln!("warning: {} unreadable records, first: {e}", errors.len());
    }
    Ok(out)
}

/// Ingests `articles` into a fresh in-memory engine (date order, undated last, file order otherwise).
fn ingest_in_memory(
    mut articles: Vec<RawArticle>,
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
) -> Result<Engine> {
    articles.sort_by(|a, b| date_order(&a.date, &b.date));
    let mut engine = Engine::open(Box::new(SqliteStore::in_memory()?), params.clone())?
        .with_embedder(embedder.cloned());
    let mut summary = IngestSummary::default();
    for chunk in articles.chunks(512) {
        engine.ingest_batch(chunk.to_vec(), &mut summary)?;
    }
    Ok(engine)
}

struct PairScore {
    id: String,
    similarity: f64,
    /// Each signal's value, the mean of both directions, by name.
    signals: BTreeMap<String, f64>,
    overall: Option<f64>,
    langs: String,
}

/// `pair_id,id1,id2,...` rows, with `overall` when the file has it.
fn read_pairs(path: &std::path::Path) -> Result<Vec<BTreeMap<String, String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(|v| v.trim().to_string()))
                .collect()
        })
        .collect())
}

fn pair_similarities(
    pairs: &std::path::Path,
    articles: &std::path::Path,
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
) -> Result<Vec<PairScore>> {
    let rows = read_pairs(pairs)?;
    let engine = ingest_in_memory(read_articles(articles)?, params, embedder)?;
    let store = engine.store();
    let mut out = Vec::new();
    for row in rows {
        let (Some(id1), Some(id2)) = (row.get("id1"), row.get("id2")) else {
            continue;
        };
        let (Some(a), Some(b)) = (store.article_by_id(id1)?, store.article_by_id(id2)?) else {
            eprintln!(
                "warning: pair {} names an article not in the file",
                row.get("pair_id").map_or("?", |s| s.as_str())
            );
            continue;
        };
        let fa: nuntius_engine::engine::StoredFeatures = serde_json::from_str(&a.features)?;
        let fb: nuntius_engine::engine::StoredFeatures = serde_json::from_str(&b.features)?;
        let (ta, tb) = (content(&a), content(&b));
        let copied = nuntius_dedup::find_reuse(
            ta,
            &nuntius_dedup::normalised_words(ta),
            tb,
            &nuntius_dedup::normalised_words(tb),
        )
        .is_some();
        let e1 = engine
            .clusterer()
            .pair_score(&fa.cluster, &fb.cluster, copied);
        let e2 = engine
            .clusterer()
            .pair_score(&fb.cluster, &fa.cluster, copied);
        let mut signals: BTreeMap<String, f64> = BTreeMap::new();
        for s in e1.signals.iter().chain(&e2.signals) {
            *signals.entry(s.name.clone()).or_default() += s.value / 2.0;
        }
        let value = |name: &str| signals.get(name).copied();
        let similarity = nuntius_cluster::pair_similarity(
            value("lexical").unwrap_or(0.0),
            value("entities").unwrap_or(0.0),
            value("embedding"),
        );
        out.push(PairScore {
            id: row.get("pair_id").cloned().unwrap_or_default(),
            similarity,
            signals,
            overall: row.get("overall").and_then(|v| v.parse().ok()),
            langs: format!(
                "{}-{}",
                row.get("lang1").map_or("?", |s| s.as_str()),
                row.get("lang2").map_or("?", |s| s.as_str())
            ),
        });
    }
    Ok(out)
}

fn content(a: &nuntius_store::ArticleRow) -> &str {
    if a.text.trim().is_empty() {
        &a.title
    } else {
        &a.text
    }
}

/// `nuntius similarity`: prints `pair_id,similarity` per pair.
pub fn print_similarities(
    pairs: &std::path::Path,
    articles: &std::path::Path,
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
    with_signals: bool,
) -> Result<ExitCode> {
    let scored = pair_similarities(pairs, articles, params, embedder)?;
    // Columns for every signal any pair has, so that each row has the same ones.
    let names: Vec<String> = if with_signals {
        let mut n: Vec<String> = scored
            .iter()
            .flat_map(|p| p.signals.keys().cloned())
            .collect();
        n.sort();
        n.dedup();
        n
    } else {
        Vec::new()
    };
    let mut header = String::from("pair_id,similarity");
    for n in &names {
        header.push(',');
        header.push_str(n);
    }
    println!("{header}");
    for p in scored {
        let mut line = format!("{},{:.6}", p.id, p.similarity);
        for n in &names {
            match p.signals.get(n) {
                Some(v) => line.push_str(&format!(",{v:.6}")),
                None => line.push(','),
            }
        }
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx.sqrt() * syy.sqrt()).max(1e-12)
}

fn same_event_recall(
    pairs: &std::path::Path,
    articles: &std::path::Path,
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
) -> Result<ExitCode> {
    let rows = read_pairs(pairs)?;
    let started = std::time::Instant::now();
    let raws = read_articles(articles)?;
    let n = raws.len();
    let engine = ingest_in_memory(raws, params, embedder)?;
    let secs = started.elapsed().as_secs_f64();
    let store = engine.store();
    let mut event: HashMap<String, (u64, u64)> = HashMap::new();
    let mut dup: HashMap<u64, u64> = HashMap::new();
    let mut sizes: HashMap<u64, u64> = HashMap::new();
    store.for_each_article(&mut |a| {
        *sizes.entry(a.event).or_default() += 1;
        if let Some(d) = a.duplicate_of {
            dup.insert(a.seq, d);
        }
        event.insert(a.id, (a.seq, a.event));
    })?;
    let copies: std::collections::HashSet<(u64, u64)> = store
        .copies()?
        .into_iter()
        .flat_map(|c| [(c.copy, c.origin), (c.origin, c.copy)])
        .collect();
    let (mut found, mut listed) = (0usize, 0usize);
    for row in &rows {
        let (Some(a), Some(b)) = (
            row.get("id1").and_then(|i| event.get(i)),
            row.get("id2").and_then(|i| event.get(i)),
        ) else {
            continue;
        };
        listed += 1;
        if a.1 == b.1
            || dup.get(&a.0) == Some(&b.0)
            || dup.get(&b.0) == Some(&a.0)
            || copies.contains(&(a.0, b.0))
        {
            found += 1;
        }
    }
    let created: u64 = sizes.values().map(|k| k * (k.saturating_sub(1)) / 2).sum();
    println!("articles: {n}, events: {}", sizes.len());
    println!(
        "listed same-event pairs: {listed}, found: {found}, recall: {:.3}",
        found as f64 / listed.max(1) as f64
    );
    println!("same-event pairs created by the run: {created}");
    println!("ingest: {:.0} articles/s", n as f64 / secs.max(1e-9));
    Ok(ExitCode::SUCCESS)
}

/// Sizes and spans of the stories of a run, and the gold pairs they keep together.
#[derive(Debug, Default, PartialEq)]
pub struct StoryReport {
    pub articles: usize,
    pub stories: usize,
    pub events: usize,
    /// Story sizes in articles, largest first.
    pub sizes: Vec<usize>,
    /// Events per story, median and largest.
    pub events_per_story: (usize, usize),
    /// Days from the first to the last dated article of a story (stories with two dated
    /// articles or more): median and largest.
    pub span_days: Option<(i64, i64)>,
    /// Stories that continue an earlier one.
    pub continuations: usize,
    /// Gold same-event pairs found in the run, and how many of them share a story.
    pub gold_pairs: Option<(usize, usize)>,
}

/// One article of a run: its story, its event and its explicit day.
pub struct Placed {
    pub story: u64,
    pub event: u64,
    pub day: Option<i64>,
}

impl StoryReport {
    /// `placed` by article id; `pairs` are gold same-event pairs of ids (unknown ids skipped).
    pub fn of(
        placed: &BTreeMap<String, Placed>,
        continuations: usize,
        pairs: Option<&[(String, String)]>,
    ) -> StoryReport {
        // Per story: articles, events, first and last dated day.
        type Tally = (usize, Vec<u64>, Option<(i64, i64)>);
        let mut stories: BTreeMap<u64, Tally> = BTreeMap::new();
        for p in placed.values() {
            let s = stories.entry(p.story).or_default();
            s.0 += 1;
            s.1.push(p.event);
            if let Some(d) = p.day {
                s.2 = Some(s.2.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
            }
        }
        let mut sizes: Vec<usize> = stories.values().map(|s| s.0).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        let mut per_story: Vec<usize> = stories
            .values_mut()
            .map(|s| {
                s.1.sort_unstable();
                s.1.dedup();
                s.1.len()
            })
            .collect();
        per_story.sort_unstable();
        let events = per_story.iter().sum();
        let mut spans: Vec<i64> = stories
            .values()
            .filter_map(|s| s.2.map(|(lo, hi)| hi - lo))
            .collect();
        spans.sort_unstable();
        let median = |v: &[usize]| v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0);
        let gold_pairs = pairs.map(|pairs| {
            let mut found = 0;
            let mut together = 0;
            for (a, b) in pairs {
                if let (Some(x), Some(y)) = (placed.get(a), placed.get(b)) {
                    found += 1;
                    if x.story == y.story {
                        together += 1;
                    }
                }
            }
            (found, together)
        });
        StoryReport {
            articles: placed.len(),
            stories: stories.len(),
            events,
            events_per_story: (median(&per_story), per_story.last().copied().unwrap_or(0)),
            span_days: (!spans.is_empty())
                .then(|| (spans[(spans.len() - 1) / 2], spans[spans.len() - 1])),
            sizes,
            continuations,
            gold_pairs,
        }
    }

    pub fn largest_share(&self) -> f64 {
        self.sizes.first().copied().unwrap_or(0) as f64 / self.articles.max(1) as f64
    }

    /// Stories by size band: 1, 2–5, 6–20, 21–100, 101–1000, over 1000 articles.
    pub fn size_bands(&self) -> [(&'static str, usize); 6] {
        let bands = [
            ("1", 1, 1),
            ("2-5", 2, 5),
            ("6-20", 6, 20),
            ("21-100", 21, 100),
            ("101-1000", 101, 1000),
            (">1000", 1001, usize::MAX),
        ];
        bands.map(|(name, lo, hi)| {
            (
                name,
                self.sizes.iter().filter(|s| **s >= lo && **s <= hi).count(),
            )
        })
    }
}

/// Same-event pairs of a gold file: every pair of one `cluster_id` (JSONL), or the `id1,id2`
/// rows of a CSV.
fn gold_pairs(path: &std::path::Path) -> Result<Vec<(String, String)>> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        return Ok(read_pairs(path)?
            .into_iter()
            .filter_map(|r| Some((r.get("id1")?.clone(), r.get("id2")?.clone())))
            .collect());
    }
    let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in read_gold(path)? {
        by_cluster.entry(r.cluster).or_default().push(r.id);
    }
    let mut pairs = Vec::new();
    for ids in by_cluster.values() {
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                pairs.push((a.clone(), b.clone()));
            }
        }
    }
    Ok(pairs)
}

fn eval_stories(
    file: &std::path::Path,
    gold: Option<&std::path::Path>,
    json_out: bool,
    params: &Params,
    embedder: Option<&std::sync::Arc<dyn TextEmbedder>>,
) -> Result<ExitCode> {
    let pairs = gold.map(gold_pairs).transpose()?;
    let started = std::time::Instant::now();
    let engine = ingest_in_memory(read_articles(file)?, params, embedder)?;
    let secs = started.elapsed().as_secs_f64();
    let store = engine.store();
    let events = store.events()?;
    let story_of: BTreeMap<u64, u64> = events.iter().map(|e| (e.id, e.story)).collect();
    let continuations = events
        .iter()
        .filter(|e| {
            serde_json::from_str::<nuntius_cluster::StoryDecision>(&e.evidence)
                .is_ok_and(|d| d.new_story && d.continues.is_some())
        })
        .count();
    let roots = nuntius_engine::view::link_roots(&store.event_links()?, &story_of);
    let mut placed: BTreeMap<String, Placed> = BTreeMap::new();
    store.for_each_article(&mut |a| {
        let story = story_of.get(&a.event).copied().unwrap_or(a.event);
        placed.insert(
            a.id,
            Placed {
                story,
                event: roots.get(&a.event).copied().unwrap_or(a.event),
                day: a.day,
            },
        );
    })?;
    let r = StoryReport::of(&placed, continuations, pairs.as_deref());
    if json_out {
        println!(
            "{}",
            json!({
                "file": file.display().to_string(),
                "articles": r.articles, "stories": r.stories, "events": r.events,
                "largest_story": r.sizes.first().copied().unwrap_or(0),
                "largest_share": round3(r.largest_share()),
                "size_bands": r.size_bands().iter().map(|(k, v)| json!({"size": k, "stories": v})).collect::<Vec<_>>(),
                "events_per_story": {"median": r.events_per_story.0, "max": r.events_per_story.1},
                "span_days": r.span_days.map(|(m, x)| json!({"median": m, "max": x})),
                "continuations": r.continuations,
                "gold_pairs": r.gold_pairs.map(|(n, t)| json!({"found": n, "in_one_story": t, "share": round3(t as f64 / n.max(1) as f64)})),
                "articles_per_second": r.articles as f64 / secs.max(1e-9),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "file: {} ({} articles, {} events, {} stories)",
        file.display(),
        r.articles,
        r.events,
        r.stories
    );
    println!(
        "largest story: {} articles ({:.1}%); next: {}",
        r.sizes.first().copied().unwrap_or(0),
        100.0 * r.largest_share(),
        r.sizes
            .iter()
            .skip(1)
            .take(5)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "stories by size: {}",
        r.size_bands()
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("  ")
    );
    println!(
        "events per story: median {}, max {}",
        r.events_per_story.0, r.events_per_story.1
    );
    match r.span_days {
        Some((m, x)) => println!("story span (dated): median {m} days, max {x} days"),
        None => println!("story span: no story has two dated articles"),
    }
    println!("stories continuing an earlier one: {}", r.continuations);
    if let Some((n, t)) = r.gold_pairs {
        println!(
            "gold same-event pairs: {n} found, {t} in one story ({:.3})",
            t as f64 / n.max(1) as f64
        );
    }
    println!(
        "ingest: {:.0} articles/s",
        r.articles as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_split_clusterings() {
        // gold: {0,1} {2}; languages 0,1,0
        let perfect = Scores::compute(&[(0, 0, 0), (0, 0, 1), (1, 1, 0)]);
        assert_eq!(perfect.bcubed.2, 1.0);
        assert_eq!(perfect.pairwise.2, 1.0);
        assert_eq!(perfect.cross_pairwise.2, 1.0);
        let split = Scores::compute(&[(0, 0, 0), (0, 1, 1), (1, 2, 0)]);
        assert_eq!(split.pairwise.1, 0.0);
        assert!((split.bcubed.1 - (0.5 + 0.5 + 1.0) / 3.0).abs() < 1e-9);
        assert_eq!(split.cross_pairwise.1, 0.0);
        assert_eq!(perfect.cross_pairwise_macro, (1.0, 1.0, 1.0, 1));
        assert_eq!(split.cross_pairwise_macro.3, 1);
        assert_eq!(split.cross_pairwise_macro.2, 0.0);
    }

    #[test]
    fn macro_cross_lingual_weighs_each_multilingual_event_once() {
        // Gold A: 4 articles in 2 languages, all together; gold B: 2 languages, split apart.
        // Pooled, A's 4 cross pairs outweigh B's 1; the macro mean gives each event half.
        let s = Scores::compute(&[
            (0, 0, 0),
            (0, 0, 0),
            (0, 0, 1),
            (0, 0, 1),
            (1, 1, 0),
            (1, 2, 1),
        ]);
        assert!((s.cross_pairwise.1 - 0.8).abs() < 1e-9);
        assert_eq!(s.cross_pairwise_macro.3, 2);
        assert!((s.cross_pairwise_macro.1 - 0.5).abs() < 1e-9);
        assert!((s.cross_pairwise_macro.2 - 0.5).abs() < 1e-9);
    }

    #[test]
    fn story_report_counts_sizes_spans_and_pairs() {
        let placed: BTreeMap<String, Placed> = [
            ("a", 1, 1, Some(10)),
            ("b", 1, 2, Some(14)),
            ("c", 1, 2, None),
            ("d", 2, 3, None),
        ]
        .into_iter()
        .map(|(id, story, event, day)| (id.to_string(), Placed { story, event, day }))
        .collect();
        let pairs = vec![
            ("a".to_string(), "c".to_string()),
            ("a".to_string(), "d".to_string()),
            ("a".to_string(), "zz".to_string()),
        ];
        let r = StoryReport::of(&placed, 0, Some(&pairs));
        assert_eq!(r.sizes, vec![3, 1]);
        assert_eq!((r.stories, r.events), (2, 3));
        assert_eq!(r.events_per_story, (1, 2));
        assert_eq!(r.span_days, Some((4, 4)));
        assert_eq!(r.gold_pairs, Some((2, 1)));
        assert!((r.largest_share() - 0.75).abs() < 1e-9);
        assert_eq!(r.size_bands()[0], ("1", 1));
    }
}
