//! Turns a [`SearchQuery`] into a tantivy query: the user's text parsed leniently once, analysed
//! per language, and the filters as zero-score clauses.

use std::collections::BTreeMap;
use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser, RangeQuery,
    TermQuery,
};
use tantivy::query_grammar::{self, UserInputAst};
use tantivy::schema::{IndexRecordOption, Schema};
use tantivy::tokenizer::TokenizerManager;
use tantivy::{Searcher, Term};

use crate::analyzer::normalize_lang;
use crate::schema::{Fields, TextFields};
use crate::{SearchError, SearchQuery};

/// Longer query texts are refused: nobody types them, and each word costs a lookup per language.
pub const MAX_QUERY_BYTES: usize = 2048;
/// Deeper parenthesised groups are refused before parsing: the query grammar recurses once per
/// level, and a few hundred levels overflow a server thread's stack.
pub const MAX_QUERY_NESTING: usize = 8;
/// More operators (`AND`, `OR`, `NOT`, a leading `+` or `-`) are refused before parsing too: a
/// chain of them (`NOT NOT NOT …`) nests the parsed query as deeply as parentheses do.
pub const MAX_QUERY_OPERATORS: usize = 32;
/// A word in the title counts this much more than one in the text.
const TITLE_BOOST: f32 = 2.0;

/// The query to run, the text part alone (for snippets) and whether scores mean anything.
pub struct BuiltQuery {
    pub query: Box<dyn Query>,
    pub text_query: Option<Box<dyn Query>>,
    pub scored: bool,
}

/// One query parser per analysed field pair, all requiring every word by default.
pub struct QueryBuilder {
    by_lang: BTreeMap<String, QueryParser>,
    neutral: QueryParser,
    fields: Fields,
}

fn parser(schema: &Schema, pair: TextFields, tokenizers: &TokenizerManager) -> QueryParser {
    let mut parser = QueryParser::new(
        schema.clone(),
        vec![pair.title, pair.text],
        tokenizers.clone(),
    );
    parser.set_conjunction_by_default();
    parser.set_field_boost(pair.title, TITLE_BOOST);
    parser
}

impl QueryBuilder {
    /// `tokenizers` are the query-side analysers, registered under the index's tokenizer names.
    pub fn new(schema: &Schema, fields: &Fields, tokenizers: TokenizerManager) -> QueryBuilder {
        let by_lang = fields
            .by_lang
            .iter()
            .map(|(code, pair)| (code.clone(), parser(schema, *pair, &tokenizers)))
            .collect();
        QueryBuilder {
            by_lang,
            neutral: parser(schema, fields.neutral, &tokenizers),
            fields: fields.clone(),
        }
    }

    pub fn build(&self, searcher: &Searcher, q: &SearchQuery) -> Result<BuiltQuery, SearchError> {
        let lang = q.lang.as_deref().and_then(normalize_lang);
        let text_query = self.text_query(searcher, &q.text, lang.as_deref())?;
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        if let Some(lang) = &lang {
            filters.push(term_filter(Term::from_field_text(self.fields.lang, lang)));
        }
        if let Some(source) = &q.source {
            let source = source.to_lowercase();
            filters.push(term_filter(Term::from_field_text(
                self.fields.source,
                &source,
            )));
        }
        if q.from_day.is_some() || q.to_day.is_some() {
            let bound = |day: Option<i64>| match day {
                Some(d) => Bound::Included(Term::from_field_i64(self.fields.day, d)),
                None => Bound::Unbounded,
            };
            let range = RangeQuery::new(bound(q.from_day), bound(q.to_day));
            filters.push(Box::new(ConstScoreQuery::new(Box::new(range), 0.0)));
        }
        if let Some(entity) = q.entity {
            filters.push(term_filter(Term::from_field_u64(
                self.fields.entities,
                entity,
            )));
        }
        let scored = text_query.is_some();
        let main: Box<dyn Query> = match &text_query {
            Some(t) => t.box_clone(),
            None => Box::new(AllQuery),
        };
        let query: Box<dyn Query> = if filters.is_empty() {
            main
        } else {
            let mut clauses = vec![(Occur::Must, main)];
            clauses.extend(filters.into_iter().map(|f| (Occur::Must, f)));
            Box::new(BooleanQuery::new(clauses))
        };
        Ok(BuiltQuery {
            query,
            text_query,
            scored,
        })
    }

    fn text_query(
        &self,
        searcher: &Searcher,
        text: &str,
        lang: Option<&str>,
    ) -> Result<Option<Box<dyn Query>>, SearchError> {
        if text.len() > MAX_QUERY_BYTES {
            return Err(SearchError::InvalidQuery(format!(
                "query is {} bytes long, at most {MAX_QUERY_BYTES} are searched",
                text.len()
            )));
        }
        let text = neutralize_syntax(text);
        let depth = nesting_depth(&text);
        if depth > MAX_QUERY_NESTING {
            return Err(SearchError::InvalidQuery(format!(
                "query nests parentheses {depth} deep, at most {MAX_QUERY_NESTING} levels are searched"
            )));
        }
        let operators = operator_count(&text);
        if operators > MAX_QUERY_OPERATORS {
            return Err(SearchError::InvalidQuery(format!(
                "query has {operators} operators, at most {MAX_QUERY_OPERATORS} are searched"
            )));
        }
        if text.trim().is_empty() {
            return Ok(None);
        }
        let (mut ast, _) = query_grammar::parse_query_lenient(&text);
        if is_empty(&ast) {
            // Syntax the grammar cannot read (`)word`, a lone `&`): search its words instead;
            // a query of punctuation alone matches nothing.
            let words = words_only(&text);
            ast = query_grammar::parse_query_lenient(&words).0;
            if is_empty(&ast) {
                return Ok(Some(Box::new(EmptyQuery)));
            }
        }
        let parsers: Vec<&QueryParser> = match lang {
            Some(code) => vec![self.by_lang.get(code).unwrap_or(&self.neutral)],
            None => {
                // Only languages the index holds: every other parser would look words up in
                // empty fields.
                let mut present = Vec::new();
                for (code, parser) in &self.by_lang {
                    let term = Term::from_field_text(self.fields.lang, code);
                    if searcher.doc_freq(&term)? > 0 {
                        present.push(parser);
                    }
                }
                present.push(&self.neutral);
                present
            }
        };
        let mut per_lang: Vec<(Occur, Box<dyn Query>)> = parsers
            .into_iter()
            .map(|p| {
                (
                    Occur::Should,
                    p.build_query_from_user_input_ast_lenient(ast.clone()).0,
                )
            })
            .collect();
        Ok(Some(if per_lang.len() == 1 {
            per_lang.swap_remove(0).1
        } else {
            Box::new(BooleanQuery::new(per_lang))
        }))
    }
}

fn term_filter(term: Term) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        0.0,
    ))
}

fn is_empty(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(children) => children.iter().all(|(_, c)| is_empty(c)),
        UserInputAst::Leaf(_) => false,
        UserInputAst::Boost(inner, _) => is_empty(inner),
    }
}

/// The deepest parenthesis nesting of a query text (an unmatched `)` does not go below zero).
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// How many operators a query text holds: `AND`/`OR`/`NOT` words and `+`/`-` signs.
pub fn operator_count(text: &str) -> usize {
    let words = text
        .split_whitespace()
        .filter(|w| matches!(*w, "AND" | "OR" | "NOT" | "&&" | "||"))
        .count();
    let signs = text
        .chars()
        .filter(|c| matches!(c, '+' | '-' | '!'))
        .count();
    words + signs
}

/// A query text with every operator blanked and AND/OR/NOT lowered to words.
fn words_only(text: &str) -> String {
    let blanked: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    blanked
        .split_whitespace()
        .map(|w| match w {
            "AND" | "OR" | "NOT" => w.to_lowercase(),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Blanks the query syntax nobody types on purpose in a news search (field names, ranges,
/// boosts, fuzziness, regexes, escapes), so `Kyiv: talks` or `12:30` are words, not syntax.
/// Quotes, `+`, `-`, parentheses and AND/OR/NOT keep their meaning.
pub fn neutralize_syntax(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ':' | '^' | '~' | '[' | ']' | '{' | '}' | '\\' | '*' | '/' | '<' | '>' | '=' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}
