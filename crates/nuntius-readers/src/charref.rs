//! Character references (`&amp;`, `&#039;`, `&#x27;`, `&eacute;`): decoded once, in HTML pages
//! as a browser does and in the titles and texts of records, which feeds and exports often copy
//! out of pages without decoding.

use std::borrow::Cow;

/// Decodes the character references of a record's text. Only terminated references count
/// (`&amp;`, `&#39;`): in plain text "AT&T" or "R&notes" is what was written.
pub fn decode_char_refs(s: &str) -> Cow<'_, str> {
    decode(s, false)
}

/// Decodes the character references of HTML text, where the closing `;` may be missing
/// (`&amp`, `&#233`), as browsers accept them.
pub fn decode_html_char_refs(s: &str) -> Cow<'_, str> {
    decode(s, true)
}

/// The text with its character references decoded, reusing it when it has none.
pub(crate) fn decoded(text: String) -> String {
    match decode_char_refs(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(d) => d,
    }
}

fn decode(s: &str, lenient: bool) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_one(rest, lenient, &mut out) {
            Some(used) => rest = &rest[used..],
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes one reference at the start of `s` into `out`; returns the bytes used.
fn decode_one(s: &str, lenient: bool, out: &mut String) -> Option<usize> {
    let b = s.as_bytes();
    let closed = |end: usize| -> Option<usize> {
        if b.get(end) == Some(&b';') {
            Some(end + 1)
        } else if lenient {
            Some(end)
        } else {
            None
        }
    };
    if b.get(1) == Some(&b'#') {
        let (digits_start, radix) = if matches!(b.get(2), Some(b'x' | b'X')) {
            (3, 16)
        } else {
            (2, 10)
        };
        let mut end = digits_start;
        while end < b.len() && end < digits_start + 8 && (b[end] as char).is_digit(radix) {
            end += 1;
        }
        if end == digits_start {
            return None;
        }
        let used = closed(end)?;
        let code = u32::from_str_radix(&s[digits_start..end], radix).ok()?;
        out.push(match code {
            0 => '\u{fffd}',
            // Windows-1252 code points that pages write as numeric references.
            0x80..=0x9f => windows_1252_c1(code),
            _ => char::from_u32(code).unwrap_or('\u{fffd}'),
        });
        return Some(used);
    }
    let mut end = 1;
    while end < b.len() && end < 12 && b[end].is_ascii_alphanumeric() {
        end += 1;
    }
    let used = closed(end)?;
    out.push_str(named_entity(&s[1..end])?);
    Some(used)
}

fn windows_1252_c1(code: u32) -> char {
    let byte = [code as u8];
    let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
    s.chars().next().unwrap_or('\u{fffd}')
}

fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "shy" => "",
        "zwnj" => "\u{200c}",
        "zwj" => "\u{200d}",
        "ensp" => "\u{2002}",
        "emsp" => "\u{2003}",
        "thinsp" => "\u{2009}",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "bull" => "•",
        "middot" => "·",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "sect" => "§",
        "para" => "¶",
        "deg" => "°",
        "plusmn" => "±",
        "times" => "×",
        "divide" => "÷",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "sup1" => "¹",
        "sup2" => "²",
        "sup3" => "³",
        "micro" => "µ",
        "iexcl" => "¡",
        "iquest" => "¿",
        "ordf" => "ª",
        "ordm" => "º",
        "acute" => "´",
        "uml" => "¨",
        "macr" => "¯",
        "cedil" => "¸",
        "not" => "¬",
        "brvbar" => "¦",
        "curren" => "¤",
        "dagger" => "†",
        "Dagger" => "‡",
        "permil" => "‰",
        "prime" => "′",
        "Prime" => "″",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        "hearts" => "♥",
        "check" => "✓",
        "Agrave" => "À",
        "Aacute" => "Á",
        "Acirc" => "Â",
        "Atilde" => "Ã",
        "Auml" => "Ä",
        "Aring" => "Å",
        "AElig" => "Æ",
        "Ccedil" => "Ç",
        "Egrave" => "È",
        "Eacute" => "É",
        "Ecirc" => "Ê",
        "Euml" => "Ë",
        "Igrave" => "Ì",
        "Iacute" => "Í",
        "Icirc" => "Î",
        "Iuml" => "Ï",
        "ETH" => "Ð",
        "Ntilde" => "Ñ",
        "Ograve" => "Ò",
        "Oacute" => "Ó",
        "Ocirc" => "Ô",
        "Otilde" => "Õ",
        "Ouml" => "Ö",
        "Oslash" => "Ø",
        "Ugrave" => "Ù",
        "Uacute" => "Ú",
        "Ucirc" => "Û",
        "Uuml" => "Ü",
        "Yacute" => "Ý",
        "THORN" => "Þ",
        "szlig" => "ß",
        "agrave" => "à",
        "aacute" => "á",
        "acirc" => "â",
        "atilde" => "ã",
        "auml" => "ä",
        "aring" => "å",
        "aelig" => "æ",
        "ccedil" => "ç",
        "egrave" => "è",
        "eacute" => "é",
        "ecirc" => "ê",
        "euml" => "ë",
        "igrave" => "ì",
        "iacute" => "í",
        "icirc" => "î",
        "iuml" => "ï",
        "eth" => "ð",
        "ntilde" => "ñ",
        "ograve" => "ò",
        "oacute" => "ó",
        "ocirc" => "ô",
        "otilde" => "õ",
        "ouml" => "ö",
        "oslash" => "ø",
        "ugrave" => "ù",
        "uacute" => "ú",
        "ucirc" => "û",
        "uuml" => "ü",
        "yacute" => "ý",
        "thorn" => "þ",
        "yuml" => "ÿ",
        "OElig" => "Œ",
        "oelig" => "œ",
        "Scaron" => "Š",
        "scaron" => "š",
        "Yuml" => "Ÿ",
        "fnof" => "ƒ",
        "circ" => "ˆ",
        "tilde" => "˜",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "pi" => "π",
        "mu" => "μ",
        "Omega" => "Ω",
        "infin" => "∞",
        "ne" => "≠",
        "le" => "≤",
        "ge" => "≥",
        "asymp" => "≈",
        "minus" => "−",
        "lowast" => "∗",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_decodes_unterminated_references() {
        assert_eq!(
            decode_html_char_refs("a &amp; b &eacute;&#233;&#xE9; &bogus; &"),
            "a & b ééé &bogus; &"
        );
        assert_eq!(decode_html_char_refs("&#150;"), "–");
        assert_eq!(decode_html_char_refs("caf&eacute au lait"), "café au lait");
    }

    // Regression: titles of records ("Japan&#039;s skater", "Smith &amp; Sons") kept their
    // references, so headlines and search showed them.
    #[test]
    fn record_text_decodes_terminated_references_only() {
        assert_eq!(
            decode_char_refs("Rome&#039;s &quot;mayor&quot; &amp; Paris&#x27; &laquo;chef&raquo;"),
            "Rome's \"mayor\" & Paris' «chef»"
        );
        assert_eq!(
            decode_char_refs("AT&T R&notes &amp &#39 Q&A"),
            "AT&T R&notes &amp &#39 Q&A"
        );
        // Once: a doubly encoded reference keeps its inner one.
        assert_eq!(decode_char_refs("&amp;#039;"), "&#039;");
        assert!(matches!(
            decode_char_refs("no references"),
            Cow::Borrowed(_)
        ));
    }
}
