//! Prints how long `find_dates` takes on a ~5 KB news text (or on the files given as arguments).
//!
//! `cargo run --release -p nuntius-dates --example time_find_dates [FILE...]`
//! (`NUNTIUS_ROUNDS=10` runs fewer rounds, for a profiler.)

use std::time::Instant;

/// A paragraph like the ones the pipeline sees: prose, numbers that are not dates, and a few dates.
const PARAGRAPH: &str = "Mosca, 1 febbraio 2022 - Il ministro degli Esteri russo Sergey Lavrov ha affermato \
di non aspettarsi significativi progressi dall'incontro con il segretario di Stato americano Antony Blinken, \
ma si aspetta risposte specifiche da Washington alle sue 8 proposte sulle garanzie di sicurezza. Alle 11:00 \
ha avuto inizio il vertice bilaterale. 21.01.2022, Sputnik Italia. Secondo i dati, 1.250 soldati e 3,5 milioni \
di euro. The talks on January 21, 2022 in Geneva lasted 90 minutes; В Женеве 21 января 2022 года. ";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<String> = if args.is_empty() {
        let mut text = String::new();
        while text.len() < 5_000 {
            text.push_str(PARAGRAPH);
        }
        vec![text]
    } else {
        args.iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    };
    let bytes: usize = texts.iter().map(String::len).sum();
    let mentions: usize = texts
        .iter()
        .map(|t| nuntius_dates::find_dates(t).len())
        .sum();
    let rounds = std::env::var("NUNTIUS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20_000 / texts.len().max(1) + 1);
    let started = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        for text in &texts {
            found += std::hint::black_box(nuntius_dates::find_dates(text)).len();
        }
    }
    let per_call = started.elapsed().as_secs_f64() * 1e6 / (rounds * texts.len()) as f64;
    println!(
        "{} text(s), {bytes} bytes, {mentions} mentions; find_dates: {per_call:.2} µs per text ({:.1} MB/s); {found}",
        texts.len(),
        bytes as f64 / texts.len() as f64 / per_call,
    );
}
