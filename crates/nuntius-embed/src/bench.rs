//! `nuntius bench encoder`: texts/s and tokens/s of the transformer at fixed text lengths
//! and batch sizes, and the error of a kernel against the f32 reference path on a fixed
//! multilingual sample (`data/sample.tsv`, written by `data/make_sample.py`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::kernel::Kernel;
use crate::{cosine, EmbedError, Encoder, TextKind};

/// The committed sample: `lang \t script \t text` lines under a header.
const SAMPLE: &str = include_str!("../data/sample.tsv");

/// Text lengths (tokens, `<s>`/`</s>` included) and batch sizes measured.
const LENGTHS: [usize; 3] = [16, 48, 128];
const BATCHES: [usize; 3] = [1, 8, 32];
/// Wall time spent per measured cell (after one warm-up call).
const CELL_TIME: Duration = Duration::from_millis(1500);

/// Why the benchmark stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
}

/// One text of the sample.
#[derive(Debug, Clone)]
pub struct SampleText {
    pub lang: String,
    pub script: String,
    pub text: String,
}

/// The committed multilingual sample.
pub fn sample() -> Vec<SampleText> {
    SAMPLE
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.splitn(3, '\t');
            Some(SampleText {
                lang: f.next()?.to_string(),
                script: f.next()?.to_string(),
                text: f.next()?.to_string(),
            })
        })
        .collect()
}

/// Runs the benchmark with the model at `model` and `kernel`, writing the report to `out`.
pub fn bench_encoder(model: &Path, kernel: Kernel, out: &mut dyn Write) -> Result<(), BenchError> {
    let started = Instant::now();
    let mut encoder = Encoder::load_with_kernel(model, kernel)?;
    let available: Vec<&str> = Kernel::ALL
        .iter()
        .filter(|k| k.is_available())
        .map(|k| k.name())
        .collect();
    writeln!(
        out,
        "encoder: multilingual-e5-small, kernel {} (available here: {}; best: {}), {} threads, load {:.2} s",
        encoder.kernel(),
        available.join(" "),
        Kernel::best(),
        rayon::current_num_threads(),
        started.elapsed().as_secs_f64()
    )?;
    let sample = sample();
    let texts: Vec<&str> = sample.iter().map(|s| s.text.as_str()).collect();

    writeln!(
        out,
        "\nwall-clock rates, and tokens per CPU-second (steadier on a shared machine):"
    )?;
    writeln!(out, "tokens  batch  texts/s  tokens/s  tokens/CPU-s")?;
    let default_cap = encoder.max_tokens();
    for length in LENGTHS {
        encoder = encoder.with_max_tokens(length);
        let inputs = texts_of_length(&encoder, &texts, length);
        for batch in BATCHES {
            let (n, secs, cpu) = time_batches(&encoder, &inputs, batch)?;
            let rate = n as f64 / secs;
            let per_cpu = if cpu > 0.0 {
                format!("{:>12.0}", (n * length) as f64 / cpu)
            } else {
                format!("{:>12}", "-")
            };
            writeln!(
                out,
                "{length:>6}  {batch:>5}  {rate:>7.1}  {:>8.0}  {per_cpu}",
                rate * length as f64
            )?;
        }
    }
    encoder = encoder.with_max_tokens(default_cap);

    let langs: BTreeSet<&str> = sample.iter().map(|s| s.lang.as_str()).collect();
    let scripts: BTreeSet<&str> = sample.iter().map(|s| s.script.as_str()).collect();
    let fast = encoder.embed(&texts, TextKind::Query)?;
    let reference = if encoder.kernel() == Kernel::F32 {
        fast.clone()
    } else {
        Encoder::load_with_kernel(model, Kernel::F32)?.embed(&texts, TextKind::Query)?
    };
    let error = compare(&fast, &reference);
    writeln!(
        out,
        "\nagainst the f32 path on the sample ({} texts, {} languages, {} scripts; {} pairs):",
        texts.len(),
        langs.len(),
        scripts.len(),
        error.pairs
    )?;
    writeln!(
        out,
        "  |Δcos| over all pairs: p50 {:.5}, p99 {:.5}, max {:.5}; cosine of a text to itself: min {:.5}",
        error.p50, error.p99, error.max, error.min_self
    )?;
    Ok(())
}

/// The error of `fast` against `reference` vectors of the same texts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairError {
    pub pairs: usize,
    pub p50: f32,
    pub p99: f32,
    pub max: f32,
    /// Smallest cosine between a text's two vectors.
    pub min_self: f32,
}

/// Compares the pairwise cosines of two embeddings of the same texts.
pub fn compare(fast: &[Vec<f32>], reference: &[Vec<f32>]) -> PairError {
    let n = fast.len().min(reference.len());
    let mut deltas = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let d = cosine(&fast[i], &fast[j]) - cosine(&reference[i], &reference[j]);
            deltas.push(d.abs());
        }
    }
    deltas.sort_by(f32::total_cmp);
    let at = |q: f64| {
        if deltas.is_empty() {
            0.0
        } else {
            deltas[((deltas.len() - 1) as f64 * q).round() as usize]
        }
    };
    let min_self = (0..n)
        .map(|i| cosine(&fast[i], &reference[i]))
        .fold(1.0f32, f32::min);
    PairError {
        pairs: deltas.len(),
        p50: at(0.5),
        p99: at(0.99),
        max: deltas.last().copied().unwrap_or(0.0),
        min_self,
    }
}

/// Texts of exactly `length` input tokens (under the encoder's cap of `length`): sample
/// texts joined one after another until they are long enough, then cut by the cap.
fn texts_of_length(encoder: &Encoder, texts: &[&str], length: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < 256 {
        let mut text = String::new();
        // Bounded: a sample text has at least one token, so `length` joins suffice.
        for _ in 0..length {
            if !text.is_empty() {
                text.push_str(". ");
            }
            text.push_str(texts[i % texts.len()]);
            i += 1;
            if encoder.input_ids(&text, TextKind::Query).len() >= length {
                break;
            }
        }
        out.push(text);
    }
    out
}

/// Embeds consecutive batches of `batch` texts for about [`CELL_TIME`]; returns the texts
/// embedded, the seconds taken and the CPU-seconds used.
fn time_batches(
    encoder: &Encoder,
    inputs: &[String],
    batch: usize,
) -> Result<(usize, f64, f64), EmbedError> {
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let window = |k: usize| {
        let start = (k * batch) % (refs.len() - batch + 1);
        &refs[start..start + batch]
    };
    encoder.embed(window(0), TextKind::Query)?;
    let cpu = cpu_seconds();
    let started = Instant::now();
    let mut done = 0;
    let mut k = 1;
    while started.elapsed() < CELL_TIME || k < 3 {
        encoder.embed(window(k), TextKind::Query)?;
        done += batch;
        k += 1;
    }
    Ok((done, started.elapsed().as_secs_f64(), cpu_seconds() - cpu))
}

/// User + system CPU time of this process so far, from /proc (0 where there is none).
/// On a shared machine wall-clock rates swing with other load; CPU time does much less.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields (the 12th and 13th after the name), in
    // clock ticks of 1/100 s.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_is_large_and_varied_enough() {
        let sample = super::sample();
        assert!(sample.len() >= 300, "{} texts", sample.len());
        let langs: std::collections::BTreeSet<_> = sample.iter().map(|s| &s.lang).collect();
        let scripts: std::collections::BTreeSet<_> = sample.iter().map(|s| &s.script).collect();
        assert!(langs.len() >= 10 && scripts.len() >= 4);
    }

    #[test]
    fn identical_embeddings_have_no_error() {
        let v = vec![vec![1.0, 0.0], vec![0.6, 0.8], vec![0.0, 1.0]];
        let e = super::compare(&v, &v);
        assert_eq!((e.pairs, e.p99, e.max), (3, 0.0, 0.0));
        let w = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        assert!((super::compare(&w, &v).max - 0.2).abs() < 1e-5);
    }
}
