//! Prints every date `find_dates` sees in the files given, with its context, to review by eye.
//!
//! `cargo run --release -p nuntius-dates --example show_dates FILE...`

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("{path}: unreadable");
            continue;
        };
        for mention in nuntius_dates::find_dates(&text) {
            let from = text.floor_char_boundary(mention.start.saturating_sub(30));
            let to = text.ceil_char_boundary((mention.end + 30).min(text.len()));
            let context = text[from..to].replace('\n', " ");
            println!(
                "{path}\t{}\t{}\t{context}",
                mention.date.to_iso(),
                &text[mention.start..mention.end]
            );
        }
    }
}
