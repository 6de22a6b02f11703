//! Prints what `read_web` finds in each file given: `cargo run -p nuntius-web --example extract_file -- FILE...`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let file = std::fs::File::open(&path)?;
        for record in nuntius_web::read_web(std::io::BufReader::new(file)) {
            match record {
                Ok(r) => println!(
                    "{path} #{}: {:#?}",
                    r.record,
                    r.page
                        .as_ref()
                        .map(|p| p as &dyn std::fmt::Debug)
                        .or(r.feed_item.as_ref().map(|f| f as &dyn std::fmt::Debug))
                ),
                Err(e) => eprintln!("{path}: {e}"),
            }
        }
    }
    Ok(())
}
