//! Prints load time and lookup speed of the built-in gazetteer.
//!
//! `cargo run --release -p nuntius-gazetteer --example gazetteer_speed`

use std::hint::black_box;
use std::time::Instant;

use nuntius_gazetteer::{fold, Gazetteer};

fn main() {
    let start = Instant::now();
    let g = Gazetteer::builtin();
    let load = start.elapsed();
    println!("load: {:.1} ms  {:?}", load.as_secs_f64() * 1e3, g.counts());

    let words: Vec<String> = [
        "Russia",
        "Sergej",
        "Lavrov",
        "Il",
        "Ministero",
        "Stati",
        "Uniti",
        "Ginevra",
        "Kyiv",
        "Secondo",
        "Reuters",
        "Meloni",
        "Bruxelles",
        "Zelensky",
        "Washington",
        "Trump",
        "Partito",
        "Democratico",
        "Lunedì",
        "Москва",
    ]
    .iter()
    .map(|w| fold(w))
    .collect();

    let rounds = 200_000;
    let start = Instant::now();
    let mut hits = 0usize;
    for _ in 0..rounds {
        for w in &words {
            hits += usize::from(g.place(black_box(w)).is_some());
            hits += usize::from(g.is_given_name(black_box(w)));
            hits += usize::from(g.org_cue(black_box(w)));
            hits += usize::from(g.is_non_name(black_box(w), Some("it")));
        }
    }
    let n = rounds * words.len() * 4;
    let el = start.elapsed();
    println!(
        "lookups: {n} in {:.1} ms = {:.1} ns/lookup ({hits} hits)",
        el.as_secs_f64() * 1e3,
        el.as_nanos() as f64 / n as f64
    );

    let raw = [
        "Лавров",
        "Sergej Lavròv",
        "Genève",
        "Stati Uniti",
        "Oroszországban",
    ];
    let rounds = 200_000;
    let start = Instant::now();
    let mut len = 0;
    for _ in 0..rounds {
        for r in raw {
            len += fold(black_box(r)).len();
        }
    }
    let el = start.elapsed();
    println!(
        "fold: {:.1} ns/call ({len})",
        el.as_nanos() as f64 / (rounds * raw.len()) as f64
    );
}
