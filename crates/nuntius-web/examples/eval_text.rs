//! Shingle F1 of one labelled page set, with the worst pages listed (for development;
//! the CLI's `nuntius eval extraction --format readability|pairs` prints the same scores).
//!
//! usage: eval_text readability|pairs DIR [all|dev|test] [WORST_N]

use nuntius_web::text_sets::{eval_text_set, SetLayout, Split};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(layout), Some(dir)) = (args.first(), args.get(1)) else {
        return Err("usage: eval_text readability|pairs DIR [all|dev|test] [WORST_N]".into());
    };
    let layout = match layout.as_str() {
        "readability" => SetLayout::Readability,
        "pairs" => SetLayout::Pairs,
        other => return Err(format!("unknown layout {other}").into()),
    };
    let split = match args.get(2).map(String::as_str) {
        None | Some("all") => Split::All,
        Some("dev") => Split::Dev,
        Some("test") => Split::Test,
        Some(other) => return Err(format!("unknown split {other}").into()),
    };
    let worst: usize = args.get(3).map_or(Ok(0), |n| n.parse())?;
    let score = eval_text_set(&PathBuf::from(dir), layout, split)?;
    println!(
        "pages {} P {:.4} R {:.4} F1 {:.4} under_0.5 {} empty {} pages/cpu-s {:.0}",
        score.pages,
        score.precision,
        score.recall,
        score.f1,
        score.pages_under_half,
        score.empty,
        score.pages_per_cpu_second.unwrap_or(0.0)
    );
    let mut pages: Vec<_> = score.per_page.iter().collect();
    pages.sort_by(|a, b| a.1 .2.f1().total_cmp(&b.1 .2.f1()));
    for (name, (_, _, s)) in pages.into_iter().take(worst) {
        println!(
            "  {:.2} P {:.2} R {:.2} {name}",
            s.f1(),
            s.precision.unwrap_or(0.0),
            s.recall.unwrap_or(0.0)
        );
    }
    Ok(())
}
