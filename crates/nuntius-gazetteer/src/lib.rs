//! Multilingual gazetteer: tells whether a capitalised token (or a run of
//! them) is a place, a given name, an organisation cue or a word that is
//! never a name, in ~60 languages, with no model.
//!
//! Every lookup takes a key made by [`fold`]: lowercase ASCII words separated
//! by single spaces. The data is built into the binary (see `DATA.md`) and
//! parsed once, on first use of [`Gazetteer::builtin`].

mod fold;
mod hash;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

pub use fold::{fold, is_folded};
use hash::FxBuild;

/// A place in the gazetteer: an index into its place table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PlaceId(pub u32);

/// Lookup tables for places, given names, organisation cues and non-names.
pub struct Gazetteer {
    /// Per place: stable code (`RU`, `geonames:2660646`) and English name.
    places: Vec<(Box<str>, Box<str>)>,
    place_keys: HashMap<Box<str>, PlaceId, FxBuild>,
    /// Stable code -> place, for naming a stored `place:<code>` entity.
    place_codes: HashMap<Box<str>, PlaceId, FxBuild>,
    max_place_words: usize,
    given_names: HashSet<Box<str>, FxBuild>,
    org_cues: HashSet<Box<str>, FxBuild>,
    /// Folded word -> bit set over `languages` where it is never a name.
    non_names: HashMap<Box<str>, u64, FxBuild>,
    /// Folded word -> bit set over `languages` where it is a frequent common word.
    common_words: HashMap<Box<str>, u64, FxBuild>,
    languages: Vec<Box<str>>,
    malformed: usize,
}

/// Sizes of the loaded tables, for tests and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub places: usize,
    pub place_keys: usize,
    pub given_names: usize,
    pub org_cues: usize,
    pub non_names: usize,
    pub common_words: usize,
    pub languages: usize,
    /// Input lines or fields that were skipped because they did not parse.
    pub malformed: usize,
}

const PLACES_GZ: &[u8] = include_bytes!("../data/places.tsv.gz");
const GIVEN_NAMES_GZ: &[u8] = include_bytes!("../data/given_names.txt.gz");
const ORG_CUES_TSV: &str = include_str!("../data/org_cues.tsv");
const NON_NAMES_TSV: &str = include_str!("../data/non_names.tsv");
const COMMON_WORDS_GZ: &[u8] = include_bytes!("../data/common_words.tsv.gz");

/// Languages whose code is an alias of another in the non-name table.
const LANGUAGE_ALIASES: &[(&str, &str)] = &[("nb", "no"), ("nn", "no"), ("me", "sr")];

impl Gazetteer {
    /// The gazetteer built into the crate, parsed on first call.
    pub fn builtin() -> &'static Gazetteer {
        static BUILTIN: OnceLock<Gazetteer> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut malformed = 0;
            let places = gunzip(PLACES_GZ, &mut malformed);
            let given = gunzip(GIVEN_NAMES_GZ, &mut malformed);
            let common = gunzip(COMMON_WORDS_GZ, &mut malformed);
            let mut g = Gazetteer::parse(&places, &given, ORG_CUES_TSV, NON_NAMES_TSV);
            g.add_common_words(&common);
            g.malformed += malformed;
            g
        })
    }

    /// Builds a gazetteer from the four text formats in `data/` (places and
    /// given names already decompressed). Lines that do not parse are
    /// skipped and counted in [`Counts::malformed`]; this never panics.
    pub fn parse(
        places_tsv: &str,
        given_names: &str,
        org_cues_tsv: &str,
        non_names_tsv: &str,
    ) -> Gazetteer {
        let mut g = Gazetteer {
            places: Vec::new(),
            place_keys: HashMap::default(),
            place_codes: HashMap::default(),
            max_place_words: 1,
            given_names: HashSet::default(),
            org_cues: HashSet::default(),
            non_names: HashMap::default(),
            common_words: HashMap::default(),
            languages: Vec::new(),
            malformed: 0,
        };
        // Sizing the tables up front saves every rehash during load.
        g.place_keys
            .reserve(places_tsv.matches(['|', '\n']).count());
        g.given_names.reserve(given_names.matches('\n').count());
        g.parse_places(places_tsv);
        for line in data_lines(given_names) {
            if is_folded(line) && !line.contains(' ') {
                g.given_names.insert(line.into());
            } else {
                g.malformed += 1;
            }
        }
        for (_concept, words) in word_table(org_cues_tsv, &mut g.malformed) {
            for word in words.split_whitespace() {
                let key = fold(word);
                // Cues are single tokens; "s.p.a" folds to "spa", fine.
                if !key.is_empty() && !key.contains(' ') {
                    g.org_cues.insert(key.into());
                }
            }
        }
        for (lang, words) in word_table(non_names_tsv, &mut g.malformed) {
            let Some(bit) = g.language_bit_or_insert(lang) else {
                g.malformed += 1;
                continue;
            };
            for word in words.split_whitespace() {
                let key = fold(word);
                if !key.is_empty() && !key.contains(' ') {
                    *g.non_names.entry(key.into()).or_insert(0) |= bit;
                }
            }
        }
        g
    }

    /// Adds a common-word table (`lang<TAB>word word …`, the format of
    /// `data/common_words.tsv.gz`); lines that do not parse are counted as malformed.
    pub fn add_common_words(&mut self, table: &str) {
        let mut malformed = 0;
        for (lang, words) in word_table(table, &mut malformed) {
            let Some(bit) = self.language_bit_or_insert(lang) else {
                malformed += 1;
                continue;
            };
            for word in words.split(' ') {
                if is_folded(word) && !word.is_empty() && !word.contains(' ') {
                    *self.common_words.entry(word.into()).or_insert(0) |= bit;
                } else {
                    malformed += 1;
                }
            }
        }
        self.malformed += malformed;
    }

    fn parse_places(&mut self, text: &str) {
        for line in data_lines(text) {
            let mut fields = line.split('\t');
            let (Some(code), Some(name), Some(keys), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                self.malformed += 1;
                continue;
            };
            if code.is_empty() || name.is_empty() {
                self.malformed += 1;
                continue;
            }
            let Ok(index) = u32::try_from(self.places.len()) else {
                self.malformed += 1;
                continue;
            };
            let id = PlaceId(index);
            self.places.push((code.into(), name.into()));
            self.place_codes.entry(code.into()).or_insert(id);
            for key in keys.split('|') {
                if key.is_empty() || !is_folded(key) {
                    self.malformed += 1;
                    continue;
                }
                // The generator gives each key to one place; a repeat is an
                // error in the data, and the first claim stands.
                if self.place_keys.contains_key(key) {
                    self.malformed += 1;
                    continue;
                }
                self.max_place_words = self.max_place_words.max(key.split(' ').count());
                self.place_keys.insert(key.into(), id);
            }
        }
    }

    fn language_bit_or_insert(&mut self, lang: &str) -> Option<u64> {
        if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let index = match self.languages.iter().position(|l| &**l == lang) {
            Some(i) => i,
            None if self.languages.len() < 64 => {
                self.languages.push(lang.into());
                self.languages.len() - 1
            }
            None => return None,
        };
        Some(1u64 << index)
    }

    /// The place a folded name denotes: `"russia"`, `"rusia"`, `"rossiya"`,
    /// `"stati uniti"`, `"ginevra"`, `"kyiv"`.
    pub fn place(&self, folded: &str) -> Option<PlaceId> {
        self.place_keys.get(folded).copied()
    }

    /// Canonical English name of a place (`"Russia"`, `"Geneva"`); empty for
    /// an id that did not come from this gazetteer.
    pub fn place_name(&self, id: PlaceId) -> &str {
        self.places.get(id.0 as usize).map_or("", |p| &p.1)
    }

    /// Stable code of a place: ISO 3166 alpha-2 (`"RU"`), `"geonames:<id>"`,
    /// `"cldr:<UN M49>"` for continents or `"region:<slug>"`.
    pub fn place_code(&self, id: PlaceId) -> &str {
        self.places.get(id.0 as usize).map_or("", |p| &p.0)
    }

    /// The place with this stable code, if any.
    pub fn place_by_code(&self, code: &str) -> Option<PlaceId> {
        self.place_codes.get(code).copied()
    }

    /// Most words in any place key: the longest window worth trying.
    pub fn max_place_words(&self) -> usize {
        self.max_place_words
    }

    /// True for a common given name in any language (one folded token).
    pub fn is_given_name(&self, folded: &str) -> bool {
        self.given_names.contains(folded)
    }

    /// True for a word that marks an organisation name: ministry, partito,
    /// GmbH, агентство (one folded token).
    pub fn org_cue(&self, folded: &str) -> bool {
        self.org_cues.contains(folded)
    }

    /// True for a capitalised word that is never a name (articles, sentence
    /// openers, weekdays, months) in `lang` (ISO 639-1, e.g. `"it"`), or in
    /// any language when `lang` is `None` or not a language the table has.
    pub fn is_non_name(&self, folded: &str, lang: Option<&str>) -> bool {
        let Some(&mask) = self.non_names.get(folded) else {
            return false;
        };
        match lang.and_then(|l| self.language_mask(l)) {
            Some(bit) => mask & bit != 0,
            None => true,
        }
    }

    /// True for a frequent common word of `lang` ("stato", "despre", "latest"); it may still
    /// be a surname or a town (rossi, carpi). False when the language is unknown or has no table.
    pub fn is_common_word(&self, folded: &str, lang: Option<&str>) -> bool {
        let (Some(&mask), Some(bit)) = (
            self.common_words.get(folded),
            lang.and_then(|l| self.language_mask(l)),
        ) else {
            return false;
        };
        mask & bit != 0
    }

    fn language_mask(&self, lang: &str) -> Option<u64> {
        // "pt-BR", "sr_Latn" -> primary subtag.
        let primary = lang.split(['-', '_']).next().unwrap_or(lang);
        let primary = LANGUAGE_ALIASES
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(primary))
            .map_or(primary, |(_, to)| to);
        let index = self
            .languages
            .iter()
            .position(|l| l.eq_ignore_ascii_case(primary))?;
        Some(1u64 << index)
    }

    /// Sizes of the tables and the number of skipped malformed inputs.
    pub fn counts(&self) -> Counts {
        Counts {
            places: self.places.len(),
            place_keys: self.place_keys.len(),
            given_names: self.given_names.len(),
            org_cues: self.org_cues.len(),
            non_names: self.non_names.len(),
            common_words: self.common_words.len(),
            languages: self.languages.len(),
            malformed: self.malformed,
        }
    }
}

/// Decompresses embedded gzip data; a corrupt stream yields what decoded
/// before the error and counts one malformed input.
fn gunzip(bytes: &[u8], malformed: &mut usize) -> String {
    let mut out = String::new();
    if flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .is_err()
    {
        *malformed += 1;
    }
    out
}

/// Non-empty lines that are not `#` comments, with `\r` trimmed.
fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

/// `label<TAB>words` lines; a line without a tab counts as malformed.
fn word_table<'a>(text: &'a str, malformed: &mut usize) -> Vec<(&'a str, &'a str)> {
    let mut rows = Vec::new();
    for line in data_lines(text) {
        match line.split_once('\t') {
            Some((label, words)) if !label.is_empty() => rows.push((label, words)),
            _ => *malformed += 1,
        }
    }
    rows
}
