//! Text analysis for the index: one analyser per stemmed language (lowercase, stopwords, Snowball
//! stem, then ASCII folding) and a language-neutral one (lowercase, folding) for everything else.

use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Tokens longer than this (bytes) are dropped: they are URLs, hashes or glued debris.
const MAX_TOKEN_BYTES: usize = 40;

/// A language the index stems: its field suffix (ISO 639-1), Snowball algorithm and stopwords.
#[derive(Debug, Clone, Copy)]
pub struct LangSpec {
    pub code: &'static str,
    snowball: &'static str,
    stopwords: Option<Language>,
}

/// Every language frostem has a stemmer for, by ISO 639-1 code, sorted by code.
/// Stopword lists are tantivy's (Snowball's lists), present for 13 of them.
pub const LANGUAGES: &[LangSpec] = &[
    spec("ar", "arabic", None),
    spec("ca", "catalan", None),
    spec("cs", "czech", None),
    spec("da", "danish", Some(Language::Danish)),
    spec("de", "german", Some(Language::German)),
    spec("el", "greek", None),
    spec("en", "english", Some(Language::English)),
    spec("eo", "esperanto", None),
    spec("es", "spanish", Some(Language::Spanish)),
    spec("et", "estonian", None),
    spec("eu", "basque", None),
    spec("fa", "persian", None),
    spec("fi", "finnish", Some(Language::Finnish)),
    spec("fr", "french", Some(Language::French)),
    spec("ga", "irish", None),
    spec("hi", "hindi", None),
    spec("hu", "hungarian", Some(Language::Hungarian)),
    spec("hy", "armenian", None),
    spec("id", "indonesian", None),
    spec("it", "italian", Some(Language::Italian)),
    spec("lt", "lithuanian", None),
    spec("nb", "norwegian", Some(Language::Norwegian)),
    spec("ne", "nepali", None),
    spec("nl", "dutch", Some(Language::Dutch)),
    spec("pl", "polish", None),
    spec("pt", "portuguese", Some(Language::Portuguese)),
    spec("ro", "romanian", None),
    spec("ru", "russian", Some(Language::Russian)),
    spec("sr", "serbian", None),
    spec("st", "sesotho", None),
    spec("sv", "swedish", Some(Language::Swedish)),
    spec("ta", "tamil", None),
    spec("tr", "turkish", None),
    spec("uk", "ukrainian", None),
    spec("yi", "yiddish", None),
];

const fn spec(code: &'static str, snowball: &'static str, stopwords: Option<Language>) -> LangSpec {
    LangSpec {
        code,
        snowball,
        stopwords,
    }
}

/// Tokenizer name of the language-neutral analyser.
pub const NEUTRAL_TOKENIZER: &str = "nuntius_neutral";
/// Tokenizer name for exact, case-insensitive keyword fields (source).
pub const KEYWORD_TOKENIZER: &str = "nuntius_keyword";

/// Tokenizer name of a language's analyser.
pub fn tokenizer_name(code: &str) -> String {
    format!("nuntius_{code}")
}

/// Normalises a language tag to the code the index uses: lower case, primary subtag only,
/// Norwegian variants to `nb`. Empty tags give `None`.
pub fn normalize_lang(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if primary.is_empty() {
        return None;
    }
    let code = primary.to_ascii_lowercase();
    Some(match code.as_str() {
        "no" | "nn" => "nb".to_string(),
        _ => code,
    })
}

/// Which side of the index an analyser serves. The index side adds, for words outside the Latin
/// script, the folded unstemmed word next to the folded stem, so `Lavrov` finds `Лавров`; the
/// query side must emit one token per word or the query parser would turn a word into a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Index,
    Query,
}

/// Registers every analyser under its tokenizer name.
pub fn register_analyzers(manager: &TokenizerManager, side: Side) {
    for lang in LANGUAGES {
        // The table is fixed and every name is in frostem's default feature set; a name it did
        // not know would only mean that language is indexed unstemmed.
        let stemmer = Algorithm::from_name(lang.snowball).ok().map(Stemmer::new);
        manager.register(
            &tokenizer_name(lang.code),
            language_analyzer(lang, stemmer, side),
        );
    }
    manager.register(
        NEUTRAL_TOKENIZER,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(StemFold::new(None, Side::Query))
            .build(),
    );
    manager.register(
        KEYWORD_TOKENIZER,
        TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

fn language_analyzer(lang: &LangSpec, stemmer: Option<Stemmer>, side: Side) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser);
    let stopwords = lang.stopwords.and_then(StopWordFilter::new);
    match stopwords {
        Some(stop) => base
            .filter(stop)
            .filter(StemFold::new(stemmer, side))
            .build(),
        None => base.filter(StemFold::new(stemmer, side)).build(),
    }
}

/// Lowercase ASCII form of a word: Latin diacritics dropped, other scripts transliterated
/// (`sécurité` → `securite`, `Лавров` → `lavrov`). Characters that transliterate to nothing
/// alphanumeric keep the word as it was, so no token becomes empty.
pub fn fold(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    for c in word.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for a in any_ascii::any_ascii_char(c).chars() {
            if a.is_ascii_alphanumeric() {
                out.push(a.to_ascii_lowercase());
            }
        }
    }
    if out.is_empty() {
        out.push_str(word);
    }
}

/// Romanian is written with both comma-below (ș, ț) and cedilla (ş, ţ) letters; the stemmer
/// knows one set, so both spell the same word only after this.
fn romanian_commas(word: &str) -> Option<String> {
    if word.contains(['ş', 'ţ']) {
        Some(word.replace('ş', "ș").replace('ţ', "ț"))
    } else {
        None
    }
}

/// Stems a lowercased token in its language, then folds it to ASCII (folding after stemming, so
/// the stemmer sees the letters its rules are written for).
#[derive(Clone)]
pub struct StemFold {
    stemmer: Option<Stemmer>,
    side: Side,
}

impl StemFold {
    pub fn new(stemmer: Option<Stemmer>, side: Side) -> StemFold {
        StemFold { stemmer, side }
    }
}

impl TokenFilter for StemFold {
    type Tokenizer<T: Tokenizer> = StemFoldTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemFoldTokenizer<T> {
        StemFoldTokenizer {
            inner: tokenizer,
            filter: self,
        }
    }
}

#[derive(Clone)]
pub struct StemFoldTokenizer<T> {
    inner: T,
    filter: StemFold,
}

impl<T: Tokenizer> Tokenizer for StemFoldTokenizer<T> {
    type TokenStream<'a> = StemFoldStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemFoldStream {
            tail: self.inner.token_stream(text),
            filter: self.filter.clone(),
            extra: None,
            emitting_extra: false,
            buf: String::new(),
        }
    }
}

pub struct StemFoldStream<S> {
    tail: S,
    filter: StemFold,
    /// The unstemmed folded form waiting to be emitted at the same position.
    extra: Option<Token>,
    emitting_extra: bool,
    buf: String,
}

fn is_latin_or_ascii(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c) || c == 'ș' || c == 'ț')
}

impl<S: TokenStream> TokenStream for StemFoldStream<S> {
    fn advance(&mut self) -> bool {
        if self.emitting_extra {
            self.emitting_extra = false;
            self.extra = None;
        }
        if self.extra.is_some() {
            self.emitting_extra = true;
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let romanian =
            matches!(&self.filter.stemmer, Some(s) if s.algorithm() == Algorithm::Romanian);
        let word = romanian
            .then(|| romanian_commas(&token.text))
            .flatten()
            .unwrap_or_else(|| std::mem::take(&mut token.text));
        let stemmed = match &self.filter.stemmer {
            Some(stemmer) => stemmer.stem(&word),
            None => std::borrow::Cow::Borrowed(word.as_str()),
        };
        fold(&stemmed, &mut self.buf);
        if self.filter.side == Side::Index
            && self.filter.stemmer.is_some()
            && !is_latin_or_ascii(&word)
        {
            let mut whole = String::new();
            fold(&word, &mut whole);
            if whole != self.buf {
                self.extra = Some(Token {
                    text: whole,
                    ..token.clone()
                });
            }
        }
        token.text.clear();
        token.text.push_str(&self.buf);
        true
    }

    fn token(&self) -> &Token {
        match (&self.extra, self.emitting_extra) {
            (Some(extra), true) => extra,
            _ => self.tail.token(),
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        match (&mut self.extra, self.emitting_extra) {
            (Some(extra), true) => extra,
            _ => self.tail.token_mut(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(code: &str, side: Side, text: &str) -> Vec<String> {
        let manager = TokenizerManager::default();
        register_analyzers(&manager, side);
        let name = if code.is_empty() {
            NEUTRAL_TOKENIZER.to_string()
        } else {
            tokenizer_name(code)
        };
        let mut analyzer = manager.get(&name).expect("registered");
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        stream.process(&mut |t| out.push(t.text.clone()));
        out
    }

    #[test]
    fn languages_are_sorted_and_all_stem() {
        let codes: Vec<_> = LANGUAGES.iter().map(|l| l.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
        for lang in LANGUAGES {
            assert!(Algorithm::from_name(lang.snowball).is_ok(), "{}", lang.code);
        }
    }

    #[test]
    fn italian_stems_drops_stopwords_and_folds() {
        assert_eq!(
            tokens("it", Side::Index, "Garanzie di SICUREZZA, perché più città"),
            ["garanz", "sicurezz", "citt"]
        );
        assert_eq!(
            tokens("it", Side::Query, "garanzia della sicurezza"),
            ["garanz", "sicurezz"]
        );
    }

    #[test]
    fn cyrillic_index_side_keeps_the_whole_word() {
        assert_eq!(tokens("ru", Side::Index, "Лавров"), ["lavr", "lavrov"]);
        assert_eq!(tokens("ru", Side::Query, "Лавров"), ["lavr"]);
        assert_eq!(tokens("ru", Side::Query, "Lavrov"), ["lavrov"]);
    }

    #[test]
    fn romanian_cedilla_and_comma_meet() {
        assert_eq!(
            tokens("ro", Side::Query, "garanţiile"),
            tokens("ro", Side::Query, "garanțiile")
        );
    }

    #[test]
    fn neutral_folds_without_stemming() {
        assert_eq!(
            tokens("", Side::Query, "Sécurité Straße"),
            ["securite", "strasse"]
        );
    }

    #[test]
    fn normalizes_tags() {
        assert_eq!(normalize_lang("pt-BR").as_deref(), Some("pt"));
        assert_eq!(normalize_lang("NO").as_deref(), Some("nb"));
        assert_eq!(normalize_lang(" "), None);
    }
}
