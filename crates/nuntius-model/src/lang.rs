//! Language tags as records declare them (`en`, `en-US`, `EN_gb`, `eng`, `English`, `italiano`)
//! mapped to the ISO 639-1 code the rest of the pipeline uses.

/// Every ISO 639-1 code.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// Three-letter codes (ISO 639-2/T and /B, 639-3) and language names (in English and in the
/// language itself) for the languages news comes in most, to their ISO 639-1 code.
#[rustfmt::skip]
const NAMES: &[(&str, &str)] = &[
    ("ara", "ar"), ("arabic", "ar"), ("العربية", "ar"),
    ("bul", "bg"), ("bulgarian", "bg"), ("български", "bg"),
    ("cat", "ca"), ("catalan", "ca"), ("català", "ca"),
    ("ces", "cs"), ("cze", "cs"), ("czech", "cs"), ("čeština", "cs"),
    ("dan", "da"), ("danish", "da"), ("dansk", "da"),
    ("deu", "de"), ("ger", "de"), ("german", "de"), ("deutsch", "de"),
    ("ell", "el"), ("gre", "el"), ("greek", "el"), ("ελληνικά", "el"),
    ("eng", "en"), ("english", "en"),
    ("spa", "es"), ("spanish", "es"), ("español", "es"), ("castellano", "es"),
    ("est", "et"), ("estonian", "et"), ("eesti", "et"),
    ("fas", "fa"), ("per", "fa"), ("persian", "fa"), ("farsi", "fa"),
    ("fin", "fi"), ("finnish", "fi"), ("suomi", "fi"),
    ("fra", "fr"), ("fre", "fr"), ("french", "fr"), ("français", "fr"), ("francais", "fr"),
    ("gle", "ga"), ("irish", "ga"),
    ("heb", "he"), ("hebrew", "he"), ("עברית", "he"),
    ("hin", "hi"), ("hindi", "hi"), ("हिन्दी", "hi"),
    ("hrv", "hr"), ("croatian", "hr"), ("hrvatski", "hr"),
    ("hun", "hu"), ("hungarian", "hu"), ("magyar", "hu"),
    ("ind", "id"), ("indonesian", "id"), ("bahasa indonesia", "id"),
    ("ita", "it"), ("italian", "it"), ("italiano", "it"),
    ("jpn", "ja"), ("japanese", "ja"), ("日本語", "ja"),
    ("kor", "ko"), ("korean", "ko"), ("한국어", "ko"),
    ("lit", "lt"), ("lithuanian", "lt"), ("lietuvių", "lt"),
    ("lav", "lv"), ("latvian", "lv"), ("latviešu", "lv"),
    ("mlt", "mt"), ("maltese", "mt"), ("malti", "mt"),
    ("nld", "nl"), ("dut", "nl"), ("dutch", "nl"), ("nederlands", "nl"),
    ("nor", "no"), ("norwegian", "no"), ("norsk", "no"), ("nob", "nb"), ("nno", "nn"),
    ("pol", "pl"), ("polish", "pl"), ("polski", "pl"),
    ("por", "pt"), ("portuguese", "pt"), ("português", "pt"), ("portugues", "pt"),
    ("ron", "ro"), ("rum", "ro"), ("romanian", "ro"), ("română", "ro"), ("romana", "ro"),
    ("rus", "ru"), ("russian", "ru"), ("русский", "ru"),
    ("slk", "sk"), ("slo", "sk"), ("slovak", "sk"), ("slovenčina", "sk"),
    ("slv", "sl"), ("slovenian", "sl"), ("slovene", "sl"), ("slovenščina", "sl"),
    ("srp", "sr"), ("serbian", "sr"), ("српски", "sr"),
    ("swe", "sv"), ("swedish", "sv"), ("svenska", "sv"),
    ("tur", "tr"), ("turkish", "tr"), ("türkçe", "tr"),
    ("ukr", "uk"), ("ukrainian", "uk"), ("українська", "uk"),
    ("vie", "vi"), ("vietnamese", "vi"), ("tiếng việt", "vi"),
    ("zho", "zh"), ("chi", "zh"), ("chinese", "zh"), ("中文", "zh"),
];

/// The ISO 639-1 code of a declared language tag, or `None` when the tag names no language this
/// table knows (`"<script>"`, `"xx"`, `""`): the caller then detects the language from the text.
pub fn language_code(tag: &str) -> Option<&'static str> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > 64 {
        return None;
    }
    let lower = tag.to_lowercase();
    if let Some((_, code)) = NAMES.iter().find(|(name, _)| *name == lower) {
        return Some(code);
    }
    // BCP 47 and POSIX forms: the primary subtag decides (`en-US`, `pt_BR.UTF-8`, `zh-Hant`).
    let primary = lower.split(['-', '_', '.', '@']).next().unwrap_or("");
    if let Some(code) = ISO_639_1.iter().find(|c| **c == primary) {
        return Some(code);
    }
    NAMES
        .iter()
        .find(|(name, _)| *name == primary)
        .map(|(_, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::language_code;

    #[test]
    fn tags_names_and_junk() {
        for (tag, code) in [
            ("en", Some("en")),
            ("en-US", Some("en")),
            ("EN_gb", Some("en")),
            ("english", Some("en")),
            ("English", Some("en")),
            ("italiano", Some("it")),
            ("eng", Some("en")),
            ("pt_BR.UTF-8", Some("pt")),
            ("zh-Hant-TW", Some("zh")),
            ("Русский", Some("ru")),
            ("<script>alert(1)</script>", None),
            ("xx", None),
            ("", None),
            ("   ", None),
        ] {
            assert_eq!(language_code(tag), code, "{tag}");
        }
    }
}
