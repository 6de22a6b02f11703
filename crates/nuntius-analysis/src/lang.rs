//! Language identification, ISO 639-1, over the body first so a short or name-heavy title cannot
//! flip the language of a long text.

/// The language of an article: the body decides when it is long enough, the title only as fallback.
pub fn detect_language(title: &str, body: &str) -> Option<&'static str> {
    const ENOUGH: usize = 120;
    let sample = if body.len() >= ENOUGH {
        // Whatlang's cost grows with the text; a few thousand bytes decide any language.
        truncate_at_char(body, 4000).to_string()
    } else {
        format!("{title}\n{body}")
    };
    let info = whatlang::detect(&sample)?;
    iso_639_1(info.lang().code())
}

fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Maps whatlang's ISO 639-3 codes to ISO 639-1.
fn iso_639_1(code: &str) -> Option<&'static str> {
    Some(match code {
        "cym" => "cy",
        "epo" => "eo",
        "eng" => "en",
        "rus" => "ru",
        "cmn" => "zh",
        "spa" => "es",
        "por" => "pt",
        "ita" => "it",
        "ben" => "bn",
        "fra" => "fr",
        "deu" => "de",
        "ukr" => "uk",
        "kat" => "ka",
        "ara" => "ar",
        "hin" => "hi",
        "jpn" => "ja",
        "heb" => "he",
        "yid" => "yi",
        "pol" => "pl",
        "amh" => "am",
        "jav" => "jv",
        "kor" => "ko",
        "nob" => "nb",
        "dan" => "da",
        "swe" => "sv",
        "fin" => "fi",
        "tur" => "tr",
        "nld" => "nl",
        "hun" => "hu",
        "ces" => "cs",
        "ell" => "el",
        "bul" => "bg",
        "bel" => "be",
        "mar" => "mr",
        "kan" => "kn",
        "ron" => "ro",
        "slv" => "sl",
        "hrv" => "hr",
        "srp" => "sr",
        "mkd" => "mk",
        "lit" => "lt",
        "lav" => "lv",
        "est" => "et",
        "tam" => "ta",
        "vie" => "vi",
        "urd" => "ur",
        "tha" => "th",
        "guj" => "gu",
        "uzb" => "uz",
        "pan" => "pa",
        "aze" => "az",
        "ind" => "id",
        "tel" => "te",
        "pes" => "fa",
        "mal" => "ml",
        "ori" => "or",
        "mya" => "my",
        "nep" => "ne",
        "sin" => "si",
        "khm" => "km",
        "tuk" => "tk",
        "aka" => "ak",
        "zul" => "zu",
        "sna" => "sn",
        "afr" => "af",
        "lat" => "la",
        "slk" => "sk",
        "cat" => "ca",
        "tgl" => "tl",
        "hye" => "hy",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_outvotes_a_name_heavy_title() {
        let body = "Il ministro degli Esteri russo ha affermato di non aspettarsi significativi progressi dall'incontro con il segretario di Stato americano, ma si aspetta risposte specifiche da Washington.";
        assert_eq!(
            detect_language("Sergey Lavrov, Antony Blinken, Geneva", body),
            Some("it")
        );
        let ro = "Această știre vine la doar o zi după ce NATO și-a anunțat disponibilitatea de a intra într-un dialog semnificativ cu națiunea.";
        assert_eq!(detect_language("Rusia", ro), Some("ro"));
    }
}
