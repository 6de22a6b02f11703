//! Atom 1.0 feeds (RFC 4287): a follow's matches (`/feeds/follows/N.atom`), a story's articles
//! (`/feeds/stories/ID.atom`) and a search (`/feeds/search.atom?q=…`), newest first.
//!
//! Each entry is one article: its id stays the same whatever feed shows it
//! (`urn:nuntius:article:<seq>`), its title is the article's title, its summary the event's
//! headline, and it links the article page (alternate), its story and its event. Text is escaped
//! for XML and characters XML 1.0 cannot carry are dropped, so no title can break the feed.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use nuntius_store::follows::FollowStore;
use nuntius_store::read::ReadQueries;
use nuntius_store::{ArticleRow, SqliteStore};

use crate::api::{blocking, on_index, search_filters, SearchParams};
use crate::app::Shared;

/// A feed's file name in its path, as the API document states it.
pub const FEED_FILE_PATTERN: &str = r"^[0-9]{1,19}\.atom$";
use crate::error::ApiError;
use crate::follows::{encode_path, headlines, label};

/// Entries per feed.
pub const FEED_ENTRIES: usize = 50;
/// The media type of every feed.
pub const ATOM: &str = "application/atom+xml; charset=utf-8";

/// One entry: an article with the event and story it is shown under.
pub struct Entry {
    pub article: ArticleRow,
    pub event: u64,
    pub story: u64,
}

/// A feed to write.
pub struct Feed<'a> {
    /// The feed's own id (a URN) and title.
    pub id: String,
    pub title: String,
    /// This feed's path, for `rel="self"`.
    pub path: String,
    /// Where the feed's subject is shown on the site.
    pub alternate: Option<String>,
    pub base_url: &'a str,
    /// When nothing in the feed is dated (RFC 3339).
    pub fallback_updated: String,
}

/// Text as XML character data or an attribute value: markup characters escaped, characters XML
/// 1.0 forbids (most C0 controls, lone surrogates cannot occur in `str`, U+FFFE/U+FFFF) dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An article's date as an RFC 3339 timestamp (a bare day is its midnight, UTC).
fn rfc3339(published: &str) -> Option<String> {
    let p = published.trim();
    if p.len() == 10 && p.as_bytes().get(4) == Some(&b'-') {
        return Some(format!("{p}T00:00:00Z"));
    }
    let has_zone = p.ends_with('Z')
        || p.get(19..)
            .is_some_and(|z| z.contains('+') || z.contains('-'));
    if p.len() >= 19 && p.as_bytes().get(10) == Some(&b'T') {
        return Some(if has_zone {
            p.to_string()
        } else {
            format!("{}Z", &p[..19])
        });
    }
    None
}

/// Unix seconds as RFC 3339 UTC.
pub fn rfc3339_of_unix(secs: i64) -> String {
    let day = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        nuntius_model::Published::from_day_number(day).to_iso(),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Writes the feed, entries in the order given (newest first).
pub fn write_atom(
    feed: &Feed<'_>,
    entries: &[Entry],
    headlines: &std::collections::BTreeMap<u64, String>,
) -> String {
    let base = feed.base_url;
    let dates: Vec<Option<String>> = entries
        .iter()
        .map(|e| e.article.published.as_deref().and_then(rfc3339))
        .collect();
    let updated = dates
        .iter()
        .flatten()
        .max()
        .cloned()
        .unwrap_or_else(|| feed.fallback_updated.clone());
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    x.push_str(&format!("  <id>{}</id>\n", escape(&feed.id)));
    x.push_str(&format!("  <title>{}</title>\n", escape(&feed.title)));
    x.push_str(&format!("  <updated>{}</updated>\n", escape(&updated)));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&format!("{base}{}", feed.path))
    ));
    if let Some(alt) = &feed.alternate {
        x.push_str(&format!(
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&format!("{base}{alt}"))
        ));
    }
    x.push_str("  <author><name>nuntius</name></author>\n");
    x.push_str(&format!(
        "  <generator version=\"{}\">nuntius</generator>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for (e, date) in entries.iter().zip(&dates) {
        let a = &e.article;
        let title = if a.title.trim().is_empty() {
            a.id.as_str()
        } else {
            a.title.as_str()
        };
        x.push_str("  <entry>\n");
        x.push_str(&format!("    <id>urn:nuntius:article:{}</id>\n", a.seq));
        x.push_str(&format!(
            "    <title type=\"text\">{}</title>\n",
            escape(title)
        ));
        let when = date.clone().unwrap_or_else(|| updated.clone());
        x.push_str(&format!("    <updated>{}</updated>\n", escape(&when)));
        if let Some(d) = date {
            x.push_str(&format!("    <published>{}</published>\n", escape(d)));
        }
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&format!("{base}/articles/{}", encode_path(&a.id)))
        ));
        x.push_str(&format!(
            "    <link rel=\"related\" type=\"text/html\" title=\"story {}\" href=\"{}\"/>\n",
            e.story,
            escape(&format!("{base}/stories/{}", e.story))
        ));
        x.push_str(&format!(
            "    <link rel=\"related\" type=\"text/html\" title=\"event {}\" href=\"{}\"/>\n",
            e.event,
            escape(&format!("{base}/stories/{}#event-{}", e.story, e.event))
        ));
        if let Some(url) = a.url.as_deref().filter(|u| u.starts_with("http")) {
            x.push_str(&format!(
                "    <link rel=\"via\" type=\"text/html\" href=\"{}\"/>\n",
                escape(url)
            ));
        }
        if let Some(source) = &a.source {
            x.push_str(&format!(
                "    <author><name>{}</name></author>\n",
                escape(source)
            ));
        }
        if let Some(h) = headlines.get(&e.event) {
            x.push_str(&format!(
                "    <summary type=\"text\">{}</summary>\n",
                escape(h)
            ));
        }
        x.push_str(&format!(
            "    <category term=\"event:{}\"/>\n    <category term=\"story:{}\"/>\n",
            e.event, e.story
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

fn atom_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, ATOM)], body).into_response()
}

/// `N.atom` → N.
fn feed_number(p: Result<Path<String>, PathRejection>, folder: &str) -> Result<u64, ApiError> {
    let raw = p
        .map(|Path(v)| v)
        .map_err(|e| ApiError::InvalidQuery(e.body_text()))?;
    // Exactly FEED_FILE_PATTERN: 1 to 19 digits (every such number fits a u64) and `.atom`.
    raw.strip_suffix(".atom")
        .filter(|n| (1..=19).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            ApiError::InvalidQuery(format!("a feed is /feeds/{folder}/N.atom, not {raw:?}"))
        })
}

fn entries_of(store: &SqliteStore, list: Vec<(u64, u64, u64)>) -> Result<Vec<Entry>, ApiError> {
    let seqs: Vec<u64> = list.iter().map(|(s, _, _)| *s).collect();
    let mut rows: std::collections::BTreeMap<u64, ArticleRow> = store
        .articles_by_seq(&seqs)?
        .into_iter()
        .map(|a| (a.seq, a))
        .collect();
    Ok(list
        .into_iter()
        .filter_map(|(seq, event, story)| {
            rows.remove(&seq).map(|article| Entry {
                article,
                event,
                story,
            })
        })
        .collect())
}

fn render(store: &SqliteStore, feed: &Feed<'_>, entries: &[Entry]) -> Result<String, ApiError> {
    let heads = headlines(store, entries.iter().map(|e| e.event))?;
    Ok(write_atom(feed, entries, &heads))
}

type S = Arc<Shared>;

pub(crate) async fn follow_feed(
    State(s): State<S>,
    file: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = feed_number(file, "follows")?;
    blocking(s, move |s| {
        let base = s.public_url.clone();
        s.read(|store| {
            let f = store.follow(id)?.ok_or(ApiError::FollowNotFound(id))?;
            let matches = store.follow_matches(id, FEED_ENTRIES as u64)?;
            let entries = entries_of(
                store,
                matches.iter().map(|m| (m.seq, m.event, m.story)).collect(),
            )?;
            let feed = Feed {
                id: format!("urn:nuntius:follow:{id}"),
                title: format!("nuntius: {}", label(store, &f)),
                path: crate::follows::feed_path(id),
                alternate: None,
                base_url: &base,
                fallback_updated: rfc3339_of_unix(f.created_at),
            };
            render(store, &feed, &entries).map(atom_response)
        })
    })
    .await
}

pub(crate) async fn story_feed(
    State(s): State<S>,
    file: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = feed_number(file, "stories")?;
    blocking(s, move |s| {
        let base = s.public_url.clone();
        s.read(|store| {
            let mut articles = store.story_articles(id)?;
            if articles.is_empty() {
                return Err(ApiError::StoryNotFound(id));
            }
            articles.sort_by_key(|a| std::cmp::Reverse(a.seq));
            articles.truncate(FEED_ENTRIES);
            let entries: Vec<Entry> = articles
                .into_iter()
                .map(|a| Entry {
                    event: a.event,
                    story: id,
                    article: a,
                })
                .collect();
            let feed = Feed {
                id: format!("urn:nuntius:story:{id}"),
                title: format!("nuntius: story {id}"),
                path: format!("/feeds/stories/{id}.atom"),
                alternate: Some(format!("/stories/{id}")),
                base_url: &base,
                fallback_updated: rfc3339_of_unix(0),
            };
            render(store, &feed, &entries).map(atom_response)
        })
    })
    .await
}

pub(crate) async fn search_feed(
    State(s): State<S>,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = q
        .map(|Query(v)| v)
        .map_err(|e| ApiError::InvalidQuery(e.body_text()))?;
    let query = search_filters(&p)?;
    blocking(s, move |s| {
        let seqs = on_index(s, |index| index.newest_matching(&query, FEED_ENTRIES))?;
        let base = s.public_url.clone();
        let mut path = format!("/feeds/search.atom?q={}", encode_path(&query.text));
        if let Some(l) = &query.lang {
            path.push_str(&format!("&lang={}", encode_path(l)));
        }
        s.read(|store| {
            let mut list = Vec::with_capacity(seqs.len());
            let rows = store.articles_by_seq(&seqs)?;
            for a in &rows {
                list.push((a.seq, a.event, store.story_of_event(a.event)?));
            }
            let mut entries = entries_of(store, list)?;
            entries.sort_by_key(|e| std::cmp::Reverse(e.article.seq));
            let feed = Feed {
                id: format!("urn:nuntius:search:{}", encode_path(&path)),
                title: format!("nuntius: search \"{}\"", query.text),
                path: path.clone(),
                alternate: None,
                base_url: &base,
                fallback_updated: rfc3339_of_unix(0),
            };
            render(store, &feed, &entries).map(atom_response)
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>\u{0}\u{1b}[2J\u{FFFF}ok\n"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/b&gt;[2Jok\n"
        );
    }

    #[test]
    fn dates_become_rfc3339() {
        assert_eq!(
            rfc3339("2024-05-01").as_deref(),
            Some("2024-05-01T00:00:00Z")
        );
        assert_eq!(
            rfc3339("2024-05-01T10:20:30").as_deref(),
            Some("2024-05-01T10:20:30Z")
        );
        assert_eq!(
            rfc3339("2024-05-01T10:20:30+02:00").as_deref(),
            Some("2024-05-01T10:20:30+02:00")
        );
        assert_eq!(rfc3339("May 2024"), None);
        assert_eq!(rfc3339_of_unix(86_400 + 3661), "1970-01-02T01:01:01Z");
    }
}
