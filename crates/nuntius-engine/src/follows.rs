//! Follow matching: which follows each newly placed article matches, decided once as its batch is
//! placed and written with it, so no store is ever rescanned and a restored engine matches what a
//! live one would.
//!
//! An entity follow matches an article that mentions the entity (after resolution); a story
//! follow, an article whose event belonged to the story when it was placed; a query follow, an
//! article its query and filters find in an index of the batch alone (the same parser, analysers
//! and filters as `nuntius search`).

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use nuntius_search::{SearchIndex, SearchQuery};
use nuntius_store::follows::{FollowQuery, FollowRow, FollowTarget, MatchRow};
use nuntius_store::ArticleRow;

use crate::engine::search_doc;

/// The search query a query follow runs.
pub fn search_query(q: &FollowQuery) -> SearchQuery {
    SearchQuery {
        text: q.text.clone(),
        lang: q.lang.clone(),
        source: q.source.clone(),
        from_day: q.from_day,
        to_day: q.to_day,
        entity: q.entity,
        ..SearchQuery::default()
    }
}

/// Checks a query before a follow is made of it (the same checks a search makes).
pub fn check_query(q: &FollowQuery) -> Result<(), String> {
    let index = SearchIndex::in_memory().map_err(|e| e.to_string())?;
    index
        .newest_matching(&search_query(q), 1)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The matches of `articles` (one placed batch, in seq order) for `follows`, by follow then seq.
pub fn match_batch(
    follows: &[FollowRow],
    articles: &[ArticleRow],
    events_story: &BTreeMap<u64, u64>,
) -> Result<Vec<MatchRow>> {
    if follows.is_empty() || articles.is_empty() {
        return Ok(Vec::new());
    }
    let story_of = |a: &ArticleRow| events_story.get(&a.event).copied().unwrap_or(a.event);
    let entities: Vec<Vec<u64>> = articles
        .iter()
        .map(|a| {
            serde_json::from_str::<Vec<(u64, Vec<String>)>>(&a.entities)
                .map(|l| l.into_iter().map(|(e, _)| e).collect())
                .unwrap_or_default()
        })
        .collect();
    let batch_index = if follows
        .iter()
        .any(|f| matches!(f.target, FollowTarget::Query(_)))
    {
        Some(index_of(articles, events_story)?)
    } else {
        None
    };
    let mut out = Vec::new();
    for f in follows {
        let matched: Vec<usize> = match (&f.target, &batch_index) {
            (FollowTarget::Entity(e), _) => (0..articles.len())
                .filter(|i| entities[*i].contains(e))
                .collect(),
            (FollowTarget::Story(s), _) => (0..articles.len())
                .filter(|i| story_of(&articles[*i]) == *s)
                .collect(),
            (FollowTarget::Query(q), Some(index)) => {
                let first = articles[0].seq;
                // A query stored by an older nuntius that this one refuses matches nothing; the
                // batch is stored all the same.
                let mut seqs = index
                    .newest_matching(&search_query(q), articles.len())
                    .unwrap_or_default();
                seqs.sort_unstable();
                seqs.into_iter()
                    .filter_map(|s| usize::try_from(s.checked_sub(first)?).ok())
                    .filter(|i| *i < articles.len())
                    .collect()
            }
            (FollowTarget::Query(_), None) => Vec::new(),
        };
        for i in matched {
            let a = &articles[i];
            if a.seq < f.created_seq {
                continue;
            }
            out.push(MatchRow {
                follow: f.id,
                seq: a.seq,
                event: a.event,
                story: story_of(a),
                deliver: f.webhook.is_some(),
            });
        }
    }
    Ok(out)
}

/// A search index of just these articles, in memory.
fn index_of(articles: &[ArticleRow], events_story: &BTreeMap<u64, u64>) -> Result<SearchIndex> {
    let mut index = SearchIndex::in_memory().context("making the batch's follow index")?;
    let docs: Vec<_> = articles
        .iter()
        .map(|a| search_doc(a, events_story))
        .collect();
    index.add(&docs).context("indexing a batch for follows")?;
    index.commit().context("indexing a batch for follows")?;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(seq: u64, title: &str, event: u64, entities: &str) -> ArticleRow {
        ArticleRow {
            seq,
            id: format!("a{seq}"),
            title: title.into(),
            text: format!("{title}. More words about it."),
            lang: Some("en".into()),
            event,
            entities: entities.into(),
            ..ArticleRow::default()
        }
    }

    fn follow(id: u64, target: FollowTarget, created_seq: u64) -> FollowRow {
        FollowRow {
            id,
            target,
            webhook: (id == 1).then(|| "http://127.0.0.1:9/".into()),
            created_seq,
            created_at: 0,
        }
    }

    #[test]
    fn each_kind_matches_its_articles() {
        let articles = [
            article(10, "Peace talks resume in Geneva", 1, "[[7,[\"Geneva\"]]]"),
            article(11, "Floods in the north", 2, "[]"),
            article(12, "Geneva talks stall", 3, "[[7,[\"Geneva\"]]]"),
        ];
        let stories = BTreeMap::from([(1, 1), (2, 2), (3, 1)]);
        let follows = [
            follow(1, FollowTarget::Entity(7), 1),
            follow(2, FollowTarget::Story(2), 1),
            follow(
                3,
                FollowTarget::Query(FollowQuery {
                    text: "talks -floods".into(),
                    lang: Some("en".into()),
                    ..FollowQuery::default()
                }),
                1,
            ),
            // Created after seq 10 was stored: it sees only later articles.
            follow(4, FollowTarget::Story(1), 11),
        ];
        let got: Vec<(u64, u64, u64, bool)> = match_batch(&follows, &articles, &stories)
            .unwrap()
            .iter()
            .map(|m| (m.follow, m.seq, m.story, m.deliver))
            .collect();
        assert_eq!(
            got,
            [
                (1, 10, 1, true),
                (1, 12, 1, true),
                (2, 11, 2, false),
                (3, 10, 1, false),
                (3, 12, 1, false),
                (4, 12, 1, false),
            ]
        );
    }

    #[test]
    fn bad_queries_are_refused_before_they_are_followed() {
        let deep = FollowQuery {
            text: "(".repeat(20) + "x",
            ..FollowQuery::default()
        };
        assert!(check_query(&deep).unwrap_err().contains("nests"));
        assert!(check_query(&FollowQuery {
            text: "ok words".into(),
            ..FollowQuery::default()
        })
        .is_ok());
    }
}
