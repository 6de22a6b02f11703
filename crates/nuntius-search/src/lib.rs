//! Full-text search over articles: per-language analysed title and text, filters, story grouping.
//!
//! Each article is indexed into the title and text fields of its language (stemmed with that
//! language's Snowball stemmer, stopwords dropped where tantivy has a list, then folded to
//! ASCII); articles in a language without a stemmer, or without a language, go to a neutral
//! folded pair. A query with a language searches that language's fields; a query without one
//! is analysed once per language present in the index and matches an article when all its words
//! match in the article's own language. Matches are grouped by story while collecting.

mod analyzer;
mod collect;
mod error;
mod query;
mod schema;

use std::path::Path;

use tantivy::directory::MmapDirectory;
use tantivy::schema::{TantivyDocument, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TokenizerManager;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};

pub use analyzer::{normalize_lang, LANGUAGES};
pub use error::SearchError;

use analyzer::{register_analyzers, Side};
use collect::{StoryCollector, StoryGroup};
use query::QueryBuilder;
use schema::{build_schema, Fields};

/// Best articles returned per story; the story's `matched` says how many matched in all.
pub const HITS_PER_STORY: usize = 3;
/// Snippet length in characters.
const SNIPPET_CHARS: usize = 200;

/// One article as the index sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDoc {
    /// Arrival sequence number: the article's key in the index (adding it again replaces it).
    pub seq: u64,
    pub id: String,
    pub title: String,
    /// Clean text (debris removed).
    pub text: String,
    /// ISO 639-1 code; tags like `pt-BR` are reduced to `pt`.
    pub lang: Option<String>,
    pub source: Option<String>,
    /// Days since 1970-01-01.
    pub day: Option<i64>,
    pub entities: Vec<u64>,
    pub event: u64,
    pub story: u64,
}

/// What to search for. Empty `text` matches every article that passes the filters.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// User text: words (all must match), `"quoted phrases"`, `-excluded`, `OR`.
    pub text: String,
    /// Analyse the text in this language and keep only its articles.
    pub lang: Option<String>,
    /// Exact source (case-insensitive).
    pub source: Option<String>,
    /// Inclusive day bounds; undated articles never pass a date bound.
    pub from_day: Option<i64>,
    pub to_day: Option<i64>,
    pub entity: Option<u64>,
    /// Stories per page, and stories skipped before it.
    pub limit: usize,
    pub offset: usize,
}

impl Default for SearchQuery {
    fn default() -> SearchQuery {
        SearchQuery {
            text: String::new(),
            lang: None,
            source: None,
            from_day: None,
            to_day: None,
            entity: None,
            limit: 20,
            offset: 0,
        }
    }
}

/// A page of stories, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    /// Matching articles in all stories.
    pub total_hits: usize,
    /// Stories with at least one matching article.
    pub total_stories: usize,
    pub stories: Vec<StoryHits>,
}

/// A story's matching articles; its score is its best article's.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryHits {
    pub story: u64,
    pub score: f32,
    /// Matching articles in this story; `hits` holds the best [`HITS_PER_STORY`] of them.
    pub matched: usize,
    pub hits: Vec<Hit>,
}

/// One matching article.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub seq: u64,
    pub id: String,
    pub score: f32,
    pub title: String,
    /// Plain text around the best matches (no markup).
    pub snippet: String,
    /// Byte ranges of matched words in `snippet`.
    pub snippet_highlights: Vec<(usize, usize)>,
}

/// A full-text index of articles, with its own writer and a reader that sees every commit.
pub struct SearchIndex {
    index: Index,
    fields: Fields,
    reader: IndexReader,
    /// Created on first write, so a process that only searches takes no writer lock.
    writer: Option<IndexWriter<TantivyDocument>>,
    writer_threads: usize,
    writer_bytes: usize,
    queries: QueryBuilder,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if missing.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        let dir_error = |message: String| SearchError::Directory {
            path: dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| dir_error(e.to_string()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| dir_error(e.to_string()))?;
        let exists = Index::exists(&directory).map_err(|e| dir_error(e.to_string()))?;
        let index = if exists {
            Index::open(directory)?
        } else {
            Index::create(directory, build_schema(), Default::default())?
        };
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(4);
        SearchIndex::with_index(index, threads, 64 << 20)
    }

    /// A fresh index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        SearchIndex::with_index(Index::create_in_ram(build_schema()), 1, 32 << 20)
    }

    fn with_index(
        index: Index,
        writer_threads: usize,
        bytes_per_thread: usize,
    ) -> Result<SearchIndex, SearchError> {
        register_analyzers(index.tokenizers(), Side::Index);
        let query_tokenizers = TokenizerManager::default();
        register_analyzers(&query_tokenizers, Side::Query);
        let schema = index.schema();
        let fields = Fields::resolve(&schema)?;
        let queries = QueryBuilder::new(&schema, &fields, query_tokenizers);
        // Other processes' commits show up on their own; our own commits reload at once.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            fields,
            reader,
            writer: None,
            writer_threads,
            writer_bytes: bytes_per_thread * writer_threads,
            queries,
        })
    }

    fn writer(&mut self) -> Result<&mut IndexWriter<TantivyDocument>, SearchError> {
        let writer = match self.writer.take() {
            Some(writer) => writer,
            None => self
                .index
                .writer_with_num_threads(self.writer_threads, self.writer_bytes)?,
        };
        Ok(self.writer.insert(writer))
    }

    /// Adds articles, replacing any indexed article with the same `seq`. Visible after [`commit`].
    ///
    /// [`commit`]: SearchIndex::commit
    pub fn add(&mut self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let fields = self.fields.clone();
        let writer = self.writer()?;
        for doc in docs {
            // A delete applies to documents added before it, so delete-then-add is an upsert
            // even when both copies arrive in one uncommitted batch.
            writer.delete_term(Term::from_field_u64(fields.seq, doc.seq));
            writer.add_document(to_document(&fields, doc))?;
        }
        Ok(())
    }

    /// Makes everything added so far durable and searchable.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        if let Some(writer) = self.writer.as_mut() {
            writer.commit()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Articles searchable now.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Searches, grouping matches by story, best story first.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let built = self.queries.build(&searcher, q)?;
        let collector = StoryCollector {
            per_story: HITS_PER_STORY,
            scoring: built.scored,
        };
        let groups = searcher.search(&*built.query, &collector)?;
        let total_hits = groups.iter().map(|g| g.matched).sum();
        let total_stories = groups.len();
        let mut snippets = Snippets {
            searcher: &searcher,
            text_query: built.text_query.as_deref(),
            fields: &self.fields,
            generators: Default::default(),
        };
        let mut stories = Vec::new();
        for group in groups.into_iter().skip(q.offset).take(q.limit) {
            stories.push(self.story_hits(&searcher, group, &mut snippets)?);
        }
        Ok(SearchResults {
            total_hits,
            total_stories,
            stories,
        })
    }

    /// The newest articles (highest seq first) matching `q`'s text and filters, at most
    /// `limit`; `q.limit` and `q.offset` are not used. Follows and feeds list matches by arrival.
    pub fn newest_matching(&self, q: &SearchQuery, limit: usize) -> Result<Vec<u64>, SearchError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let built = self.queries.build(&searcher, q)?;
        let top = tantivy::collector::TopDocs::with_limit(limit)
            .order_by_u64_field("seq", tantivy::Order::Desc);
        let found = searcher.search(&*built.query, &top)?;
        Ok(found.into_iter().filter_map(|(seq, _)| seq).collect())
    }

    fn story_hits(
        &self,
        searcher: &Searcher,
        group: StoryGroup,
        snippets: &mut Snippets<'_>,
    ) -> Result<StoryHits, SearchError> {
        let mut hits = Vec::with_capacity(group.best.len());
        for scored in &group.best {
            let doc: TantivyDocument = searcher.doc(scored.address)?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let text = text_of(self.fields.text);
            let lang = text_of(self.fields.lang);
            let (snippet, snippet_highlights) = snippets.make(&lang, &text)?;
            hits.push(Hit {
                seq: scored.seq,
                id: text_of(self.fields.id),
                score: scored.score,
                title: text_of(self.fields.title),
                snippet,
                snippet_highlights,
            });
        }
        Ok(StoryHits {
            story: group.story,
            score: group.best.first().map_or(0.0, |h| h.score),
            matched: group.matched,
            hits,
        })
    }
}

fn to_document(fields: &Fields, doc: &SearchDoc) -> TantivyDocument {
    let lang = doc.lang.as_deref().and_then(normalize_lang);
    let mut d = TantivyDocument::default();
    d.add_u64(fields.seq, doc.seq);
    d.add_text(fields.id, &doc.id);
    d.add_text(fields.title, &doc.title);
    d.add_text(fields.text, &doc.text);
    d.add_text(fields.lang, lang.as_deref().unwrap_or(""));
    if let Some(source) = &doc.source {
        d.add_text(fields.source, source);
    }
    if let Some(day) = doc.day {
        d.add_i64(fields.day, day);
    }
    for entity in &doc.entities {
        d.add_u64(fields.entities, *entity);
    }
    d.add_u64(fields.event, doc.event);
    d.add_u64(fields.story, doc.story);
    let analysed = fields.text_fields(lang.as_deref());
    d.add_text(analysed.title, &doc.title);
    d.add_text(analysed.text, &doc.text);
    d
}

/// Snippet generators per analysed field, made on first need within one search.
struct Snippets<'a> {
    searcher: &'a Searcher,
    text_query: Option<&'a dyn tantivy::query::Query>,
    fields: &'a Fields,
    generators: std::collections::BTreeMap<tantivy::schema::Field, SnippetGenerator>,
}

impl Snippets<'_> {
    fn make(
        &mut self,
        lang: &str,
        text: &str,
    ) -> Result<(String, Vec<(usize, usize)>), SearchError> {
        let field = self
            .fields
            .text_fields((!lang.is_empty()).then_some(lang))
            .text;
        if let Some(query) = self.text_query {
            if !self.generators.contains_key(&field) {
                let mut generator = SnippetGenerator::create(self.searcher, query, field)?;
                generator.set_max_num_chars(SNIPPET_CHARS);
                self.generators.insert(field, generator);
            }
            if let Some(generator) = self.generators.get(&field) {
                let snippet = generator.snippet(text);
                if !snippet.is_empty() {
                    let ranges = snippet
                        .highlighted()
                        .iter()
                        .map(|r| (r.start, r.end))
                        .collect();
                    return Ok((snippet.fragment().to_string(), ranges));
                }
            }
        }
        Ok((lead(text, SNIPPET_CHARS), Vec::new()))
    }
}

/// The start of a text, at most `max_chars` characters, cut after a whole word when it can be.
fn lead(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text.to_string();
    };
    let head = &text[..cut];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > cut / 2 => head[..space].trim_end().to_string(),
        _ => head.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_cuts_on_words() {
        assert_eq!(lead("short", 10), "short");
        assert_eq!(lead("alpha beta gamma", 12), "alpha beta");
        assert_eq!(lead("ééééé", 3), "ééé");
    }
}
