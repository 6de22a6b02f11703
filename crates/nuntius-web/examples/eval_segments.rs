//! Scores extraction on the segment benchmark:
//! `cargo run --release -p nuntius-web --example eval_segments -- DIR [PREDICTIONS.json]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: eval_segments DATASET_DIR [PREDICTIONS.json]")?;
    let score = nuntius_web::commands::eval_segments(std::path::Path::new(&dir))?;
    println!(
        "pages {} precision {:.4} recall {:.4} accuracy {:.4} F1 {:.4} pages/s {:.1} pages/cpu-s {}",
        score.pages,
        score.precision,
        score.recall,
        score.accuracy,
        score.f1,
        score.pages_per_second,
        score
            .pages_per_cpu_second
            .map_or("unknown".to_string(), |p| format!("{p:.1}")),
    );
    if let Some(pred) = args.next() {
        std::fs::write(pred, serde_json::to_string(&score.predictions)?)?;
    }
    Ok(())
}
