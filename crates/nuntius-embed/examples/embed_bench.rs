//! Prints texts/s of both embedding paths (transformer and distilled static table) on
//! ~47-token texts, model load time, and with `--og2021 FILE` a quality check: mean cosine
//! of same-event titles in different languages versus titles of different events.
//!
//! `cargo run --release -p nuntius-embed --example embed_bench -- [--og2021 articles.jsonl.gz] [--full-vocab]`
//!
//! The static table is distilled from the og2021 titles' pieces (or, with `--full-vocab`,
//! from the whole vocabulary) and written to a temporary file, never to the cache.

use std::io::BufRead;
use std::time::Instant;

use nuntius_embed::bench::cpu_seconds;
use nuntius_embed::{
    cosine, default_model_path, Distillation, Encoder, StaticConfig, StaticEncoder, TextKind,
};

const SENTENCES: [&str; 5] = [
    "The Tokyo Olympics opened on Friday with a ceremony in an almost empty stadium.",
    "Le Olimpiadi di Tokyo si sono aperte venerdì con una cerimonia in uno stadio quasi vuoto.",
    "Jocurile Olimpice de la Tokyo s-au deschis vineri cu o ceremonie pe un stadion aproape gol.",
    "Олимпийские игры в Токио открылись в пятницу церемонией на почти пустом стадионе.",
    "Die Olympischen Spiele in Tokio wurden am Freitag mit einer Zeremonie in einem fast leeren Stadion eröffnet.",
];

type Error = Box<dyn std::error::Error>;

/// A title with its language and gold event.
struct Title {
    text: String,
    lang: String,
    event: String,
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let og2021 = args
        .iter()
        .position(|a| a == "--og2021")
        .and_then(|i| args.get(i + 1));
    let full_vocab = args.iter().any(|a| a == "--full-vocab");
    let skip_transformer = args.iter().any(|a| a == "--skip-transformer");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let mut config = StaticConfig::default();
    if let Some(d) = flag("--distill") {
        config.distillation = if d == "isolated" {
            Distillation::Isolated
        } else {
            Distillation::Contextual
        };
    }
    if let Some(d) = flag("--dims") {
        config.dims = d.parse().ok();
    }
    if let Some(a) = flag("--sif") {
        config.sif_a = a.parse()?;
    }
    let path = default_model_path();
    let started = Instant::now();
    let encoder = Encoder::load(&path)?;
    println!(
        "model load: {:.2} s ({})",
        started.elapsed().as_secs_f64(),
        path.display()
    );

    // Two sentences make a text of about 47 tokens; numbering keeps them distinct.
    let texts: Vec<String> = (0..512)
        .map(|i| format!("{} {} ({i})", SENTENCES[i % 5], SENTENCES[(i / 5 + 1) % 5]))
        .collect();
    let bench: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = bench
        .iter()
        .map(|t| encoder.input_ids(t, TextKind::Passage).len())
        .sum();
    println!(
        "{} texts, {:.1} tokens each on average, {} threads",
        bench.len(),
        tokens as f64 / bench.len() as f64,
        rayon::current_num_threads()
    );

    encoder.embed(&bench[..16], TextKind::Passage)?;
    let started = Instant::now();
    let cpu = cpu_seconds();
    encoder.embed(&bench, TextKind::Passage)?;
    println!(
        "transformer: {:.1} texts/s batched; {:.1} texts per CPU-second",
        bench.len() as f64 / started.elapsed().as_secs_f64(),
        bench.len() as f64 / (cpu_seconds() - cpu)
    );
    let started = Instant::now();
    for t in &bench[..32] {
        encoder.embed(&[t], TextKind::Passage)?;
    }
    println!(
        "transformer: {:.1} ms per text unbatched",
        started.elapsed().as_secs_f64() * 1000.0 / 32.0
    );

    let titles = match og2021 {
        Some(file) => read_og2021(file)?,
        None => Vec::new(),
    };
    // Every third title is evaluated; the table is distilled from the others.
    let step = (titles.len() / 1500).max(2);
    let corpus: Vec<&str> = if full_vocab {
        Vec::new()
    } else if titles.is_empty() {
        bench.clone()
    } else {
        titles
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step != 0)
            .map(|(_, t)| t.text.as_str())
            .collect()
    };
    let started = Instant::now();
    let table = StaticEncoder::build(&encoder, &corpus, config);
    println!(
        "static ({config:?}): built {} pieces × {} dims from {} texts in {:.1} s",
        table.len(),
        table.dim(),
        corpus.len(),
        started.elapsed().as_secs_f64()
    );
    let table_path =
        std::env::temp_dir().join(format!("nuntius-embed-bench-{}.bin", std::process::id()));
    table.save(&table_path)?;
    let started = Instant::now();
    let table = StaticEncoder::load(&table_path, &path)?;
    println!("static: load {:.2} s", started.elapsed().as_secs_f64());
    std::fs::remove_file(&table_path)?;
    let started = Instant::now();
    let cpu = cpu_seconds();
    let rounds = 20;
    for _ in 0..rounds {
        table.embed(&bench, TextKind::Passage)?;
    }
    println!(
        "static: {:.0} texts/s batched; {:.0} texts per CPU-second",
        (rounds * bench.len()) as f64 / started.elapsed().as_secs_f64(),
        (rounds * bench.len()) as f64 / (cpu_seconds() - cpu)
    );

    if !titles.is_empty() {
        let sample: Vec<&Title> = titles.iter().step_by(step).collect();
        let texts: Vec<&str> = sample.iter().map(|t| t.text.as_str()).collect();
        if !skip_transformer {
            let started = Instant::now();
            let vectors = encoder.embed(&texts, TextKind::Query)?;
            println!(
                "og2021: {} titles, transformer {:.1} s",
                texts.len(),
                started.elapsed().as_secs_f64()
            );
            report("transformer", &sample, &vectors);
        }
        report("static", &sample, &table.embed(&texts, TextKind::Query)?);
    }
    Ok(())
}

fn read_og2021(file: &str) -> Result<Vec<Title>, Error> {
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(file)?));
    let mut titles = Vec::new();
    for line in reader.lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        if let (Some(t), Some(l), Some(c)) = (
            v["title"].as_str(),
            v["lang"].as_str(),
            v["cluster_id"].as_str(),
        ) {
            titles.push(Title {
                text: t.to_string(),
                lang: l.to_string(),
                event: c.to_string(),
            });
        }
    }
    Ok(titles)
}

/// Mean cosine of same-event pairs in different languages against different-event pairs
/// (also those in different languages only), and the ROC AUC of telling them apart.
fn report(path: &str, sample: &[&Title], vectors: &[Vec<f32>]) {
    let (mut same, mut other, mut other_cross) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..sample.len() {
        for j in i + 1..sample.len() {
            let c = cosine(&vectors[i], &vectors[j]);
            let cross = sample[i].lang != sample[j].lang;
            if sample[i].event == sample[j].event {
                if cross {
                    same.push(c);
                }
            } else {
                other.push(c);
                if cross {
                    other_cross.push(c);
                }
            }
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    let auc = |neg: &mut Vec<f32>| {
        neg.sort_by(f32::total_cmp);
        let below: usize = same.iter().map(|s| neg.partition_point(|o| o < s)).sum();
        below as f64 / (same.len().max(1) * neg.len().max(1)) as f64
    };
    println!(
        "{path}: same event across languages {:.3} ({} pairs); different events {:.3}, across languages {:.3}; AUC {:.3}, across languages {:.3}",
        mean(&same),
        same.len(),
        mean(&other),
        mean(&other_cross),
        auc(&mut other),
        auc(&mut other_cross),
    );
}
