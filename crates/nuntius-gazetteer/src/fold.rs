//! Folding: the one key format every lookup uses (lowercase ASCII words).
//!
//! Must match `fold` in `tools/build_data.py`, which folds the generated keys.

/// Folds a word or phrase to its lookup key: transliterated to ASCII
/// (`any_ascii`), lowercased, diacritics gone; hyphens and whitespace become
/// single spaces between words and other punctuation is dropped.
///
/// `fold("Лавров") == "lavrov"`, `fold("Sergej Lavròv") == "sergej lavrov"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // True when a separator is pending: written only before the next word.
    let mut gap = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c.is_ascii_whitespace() {
            gap = true;
        }
    };
    for c in s.chars() {
        if c.is_ascii() {
            push(c, &mut out);
        } else if c.is_whitespace() {
            push(' ', &mut out);
        } else {
            for t in any_ascii::any_ascii_char(c).chars() {
                push(t, &mut out);
            }
        }
    }
    out
}

/// True when `s` is already a folded key (so `fold` would return it as is).
pub fn is_folded(s: &str) -> bool {
    !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ')
}
