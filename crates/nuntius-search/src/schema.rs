//! The index schema: stored display fields, one title and one text field per stemmed language
//! plus a language-neutral pair, and the filter and grouping fields.

use std::collections::BTreeMap;

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};

use crate::analyzer::{tokenizer_name, KEYWORD_TOKENIZER, LANGUAGES, NEUTRAL_TOKENIZER};
use crate::SearchError;

/// Suffix of the fields for articles whose language is unknown or not stemmed.
pub const NEUTRAL: &str = "x";

/// The analysed pair of fields of one language.
#[derive(Debug, Clone, Copy)]
pub struct TextFields {
    pub title: Field,
    pub text: Field,
}

/// Handles to every field, resolved by name from the index's own schema.
#[derive(Debug, Clone)]
pub struct Fields {
    pub seq: Field,
    pub id: Field,
    pub title: Field,
    pub text: Field,
    pub lang: Field,
    pub source: Field,
    pub day: Field,
    pub entities: Field,
    pub event: Field,
    pub story: Field,
    /// By language code; languages added after an index was built are absent and their articles
    /// go to the neutral fields, so an old index stays usable.
    pub by_lang: BTreeMap<String, TextFields>,
    pub neutral: TextFields,
}

fn analysed(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// The schema a new index gets.
pub fn build_schema() -> Schema {
    let mut b = Schema::builder();
    b.add_u64_field("seq", INDEXED | FAST | STORED);
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("title", STORED);
    b.add_text_field("text", STORED);
    b.add_text_field("lang", STRING | STORED);
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD_TOKENIZER)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored();
    b.add_text_field("source", keyword);
    b.add_i64_field("day", INDEXED | FAST | STORED);
    b.add_u64_field("entities", NumericOptions::default().set_indexed());
    b.add_u64_field("event", FAST | STORED);
    b.add_u64_field("story", INDEXED | FAST | STORED);
    for lang in LANGUAGES {
        let opts = analysed(&tokenizer_name(lang.code));
        b.add_text_field(&format!("title_{}", lang.code), opts.clone());
        b.add_text_field(&format!("text_{}", lang.code), opts);
    }
    let neutral = analysed(NEUTRAL_TOKENIZER);
    b.add_text_field(&format!("title_{NEUTRAL}"), neutral.clone());
    b.add_text_field(&format!("text_{NEUTRAL}"), neutral);
    b.build()
}

impl Fields {
    /// Resolves the fields of `schema`, which may be an older index's.
    pub fn resolve(schema: &Schema) -> Result<Fields, SearchError> {
        let get = |name: &str| {
            schema
                .get_field(name)
                .map_err(|_| SearchError::Schema(name.to_string()))
        };
        let mut by_lang = BTreeMap::new();
        for lang in LANGUAGES {
            let title = schema.get_field(&format!("title_{}", lang.code));
            let text = schema.get_field(&format!("text_{}", lang.code));
            if let (Ok(title), Ok(text)) = (title, text) {
                by_lang.insert(lang.code.to_string(), TextFields { title, text });
            }
        }
        Ok(Fields {
            seq: get("seq")?,
            id: get("id")?,
            title: get("title")?,
            text: get("text")?,
            lang: get("lang")?,
            source: get("source")?,
            day: get("day")?,
            entities: get("entities")?,
            event: get("event")?,
            story: get("story")?,
            by_lang,
            neutral: TextFields {
                title: get(&format!("title_{NEUTRAL}"))?,
                text: get(&format!("text_{NEUTRAL}"))?,
            },
        })
    }

    /// The analysed fields an article of language `lang` (normalised) is indexed into.
    pub fn text_fields(&self, lang: Option<&str>) -> TextFields {
        lang.and_then(|l| self.by_lang.get(l))
            .copied()
            .unwrap_or(self.neutral)
    }
}
