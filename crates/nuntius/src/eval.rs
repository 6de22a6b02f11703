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

use nuntius_engine::{Engine, IngestSummary};

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
    },
}

pub fn run(cmd: EvalCommand) -> Result<ExitCode> {
    match cmd {
        EvalCommand::Clusters {
            gold,
            json,
            predictions,
        } => eval_clusters(&gold, json, predictions.as_deref()),
    }
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

fn eval_clusters(
    path: &std::path::Path,
    json_out: bool,
    predictions: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let mut rows = read_gold(path)?;
    // Date order, as a live stream would deliver them; undated last, ties in file order.
    rows.sort_by(|a, b| match (&a.raw.date, &b.raw.date) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut engine = Engine::open(Box::new(SqliteStore::in_memory()?), Params::default())?;
    let started = std::time::Instant::now();
    let mut summary = IngestSummary::default();
    for chunk in rows.chunks(512) {
        engine.ingest_batch(chunk.iter().map(|r| r.raw.clone()).collect(), &mut summary)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let mut pred: HashMap<String, u64> = HashMap::new();
    engine.store().for_each_article(&mut |a| {
        pred.insert(a.id, a.event);
    })?;
    if let Some(p) = predictions {
        let mut out = String::new();
        for r in &rows {
            if let Some(c) = pred.get(&r.id) {
                out.push_str(&format!("{}\n", json!({"id": r.id, "cluster": c})));
            }
        }
        std::fs::write(p, out).with_context(|| format!("cannot write {}", p.display()))?;
    }
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
    if json_out {
        println!(
            "{}",
            json!({
                "file": path.display().to_string(), "articles": rows.len(), "clusters": clusters,
                "bcubed": {"p": scores.bcubed.0, "r": scores.bcubed.1, "f1": scores.bcubed.2},
                "pairwise": {"p": scores.pairwise.0, "r": scores.pairwise.1, "f1": scores.pairwise.2},
                "crosslingual_bcubed": {"p": scores.cross_bcubed.0, "r": scores.cross_bcubed.1, "f1": scores.cross_bcubed.2},
                "crosslingual_pairwise": {"p": scores.cross_pairwise.0, "r": scores.cross_pairwise.1, "f1": scores.cross_pairwise.2},
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
        Scores {
            bcubed: f1(bp / n, br / n),
            pairwise: f1(ratio(tp, pp), ratio(tp, gp)),
            cross_bcubed: f1(ratio(cbp, cbp_n), ratio(cbr, cbr_n)),
            cross_pairwise: f1(ratio(ctp, cpp), ratio(ctp, cgp)),
        }
    }
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
    }
}
