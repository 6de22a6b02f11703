//! Turns page bytes into text: BOM, HTTP header and `<meta>` declarations first,
//! detection (chardetng) when they are absent or contradicted by the bytes.

use encoding_rs::{Encoding, UTF_8};

/// How far into a page we look for a `<meta charset>` declaration.
const META_SCAN_BYTES: usize = 16 * 1024;

/// Decodes `bytes` to a string, choosing the encoding as browsers would and
/// correcting declarations the bytes contradict. `url` hints detection by TLD.
pub fn decode_page(bytes: &[u8], http_content_type: Option<&str>, url: Option<&str>) -> String {
    let encoding = choose_encoding(bytes, http_content_type, url);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

fn choose_encoding(
    bytes: &[u8],
    http_content_type: Option<&str>,
    url: Option<&str>,
) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    let declared = http_content_type
        .and_then(charset_param)
        .or_else(|| meta_charset(&bytes[..bytes.len().min(META_SCAN_BYTES)]));
    let is_utf8 = std::str::from_utf8(bytes).is_ok() || valid_utf8_but_cut(bytes);
    match declared {
        // Pages served as Latin-1 but written in UTF-8 are common; the bytes win.
        Some(enc) if enc != UTF_8 && is_utf8 && !bytes.is_ascii() => UTF_8,
        Some(enc) if enc == UTF_8 && !is_utf8 && !mostly_utf8(bytes) => detect(bytes, url),
        Some(enc) => enc,
        None if is_utf8 => UTF_8,
        None => detect(bytes, url),
    }
}

/// True when the only UTF-8 error is a sequence cut at the very end (a truncated page).
fn valid_utf8_but_cut(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Declared UTF-8 with a few stray bytes (a pasted Latin-1 character, a cut sequence)
/// among many well-formed multi-byte characters: the declaration is right.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    multibyte >= 10 * invalid
}

fn detect(bytes: &[u8], url: Option<&str>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let tld = url.and_then(tld_of);
    detector.guess(tld.as_deref().map(str::as_bytes), true)
}

fn tld_of(url: &str) -> Option<String> {
    let host = url
        .split("://")
        .nth(1)?
        .split(['/', ':', '?', '#'])
        .next()?;
    let tld = host.rsplit('.').next()?;
    (!tld.is_empty() && tld.is_ascii()).then(|| tld.to_ascii_lowercase())
}

/// The `charset=` parameter of a Content-Type value.
pub fn charset_param(content_type: &str) -> Option<&'static Encoding> {
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("charset=")?;
    let value = lower[at + 8..]
        .trim_start_matches(['"', '\''])
        .split([';', '"', '\'', ' ', ','])
        .next()?;
    Encoding::for_label(value.trim().as_bytes())
}

/// Finds `<meta charset=..>` or `<meta http-equiv=Content-Type content="..charset=..">`.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<meta") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        let tag = &rest[at..tag_end];
        if let Some(enc) = charset_param(tag) {
            // UTF-16 declared in an ASCII-compatible meta tag is a lie; browsers use UTF-8.
            return Some(
                if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    UTF_8
                } else {
                    enc
                },
            );
        }
        rest = &rest[tag_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], content_type: Option<&str>, expected: &str) {
        assert_eq!(decode_page(bytes, content_type, None), expected);
    }

    #[test]
    fn utf8_without_declaration() {
        check("<p>Grüße</p>".as_bytes(), None, "<p>Grüße</p>");
    }

    #[test]
    fn http_header_wins_over_nothing() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("<p>Привет</p>");
        check(
            &bytes,
            Some("text/html; charset=windows-1251"),
            "<p>Привет</p>",
        );
    }

    #[test]
    fn meta_declaration_is_honoured() {
        let (bytes, _, _) =
            encoding_rs::ISO_8859_2.encode("<meta charset=\"iso-8859-2\"><p>Łódź</p>");
        check(&bytes, None, "<meta charset=\"iso-8859-2\"><p>Łódź</p>");
    }

    #[test]
    fn utf8_declared_as_latin1_stays_utf8() {
        check(
            "<meta charset=iso-8859-1><p>Grüße</p>".as_bytes(),
            None,
            "<meta charset=iso-8859-1><p>Grüße</p>",
        );
    }

    #[test]
    fn declared_utf8_with_a_stray_byte_stays_utf8() {
        let mut bytes = "<meta charset=utf-8><p>Zażółć gęślą jaźń, Łódź, Kraków, Gdańsk</p>"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"<p>caf\xe9</p>");
        let text = decode_page(&bytes, None, None);
        assert!(text.contains("Zażółć gęślą jaźń"), "{text}");
    }

    #[test]
    fn bom_decides() {
        check(
            b"\xef\xbb\xbf<p>x</p>",
            Some("text/html; charset=iso-8859-1"),
            "<p>x</p>",
        );
    }
}
