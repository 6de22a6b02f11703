//! Choosing an article's publication date among the dates its container, URL and text offer.
//!
//! The most specific explicit date wins (a timestamp over a day over a month-only header). Text
//! dates count only where publication dates stand: a dateline opening a paragraph near the top, a
//! line that is only a date, or a date next to the lead. Dates in captions and related-article
//! lines never count (cleaning marks those lines). A text date that contradicts a coarser trusted
//! date (header month, URL) is somebody else's date and is dropped.

use nuntius_model::{DateOrigin, DatePrecision, DatedBy, Published, RawArticle};

use crate::clean::{is_lone_timestamp, Line};

/// Bytes of clean text from the top in which a written date may be the publication date.
const LEAD_BYTES: usize = 700;

pub fn choose_date(raw: &RawArticle, lines: &[Line<'_>]) -> Option<DatedBy> {
    let mut candidates: Vec<DatedBy> = Vec::new();
    if let Some(d) = raw.date.as_deref().and_then(nuntius_dates::parse_date) {
        candidates.push(DatedBy {
            date: d,
            origin: raw.date_origin.unwrap_or(DateOrigin::Meta),
        });
    }
    if let Some(d) = raw
        .header_date
        .as_deref()
        .and_then(nuntius_dates::parse_date)
    {
        candidates.push(DatedBy {
            date: d,
            origin: DateOrigin::Header,
        });
    }
    if let Some(d) = raw.url.as_deref().and_then(nuntius_dates::date_from_url) {
        candidates.push(DatedBy {
            date: d,
            origin: DateOrigin::Url,
        });
    }
    let mut offset = 0usize;
    for line in lines {
        if line.debris.is_some() && !is_lone_timestamp(line.text) {
            continue;
        }
        if is_lone_timestamp(line.text) {
            if let Some(d) = nuntius_dates::parse_date(line.text) {
                candidates.push(DatedBy {
                    date: d,
                    origin: DateOrigin::Meta,
                });
            }
            continue;
        }
        if offset < LEAD_BYTES {
            for m in nuntius_dates::find_dates(line.text) {
                let whole_line = m.start <= 2 && m.end + 2 >= line.text.len();
                let dateline =
                    m.start <= 40 && line.text[..m.start].split_whitespace().count() <= 4;
                if m.date.precision >= DatePrecision::Day
                    && (whole_line || dateline || offset + m.start < LEAD_BYTES)
                {
                    candidates.push(DatedBy {
                        date: m.date,
                        origin: DateOrigin::Text,
                    });
                }
            }
        }
        offset += line.text.len() + 2;
    }
    let trusted: Vec<Published> = candidates
        .iter()
        .filter(|c| c.origin != DateOrigin::Text)
        .map(|c| c.date)
        .collect();
    candidates
        .retain(|c| c.origin != DateOrigin::Text || trusted.iter().all(|t| agrees(t, &c.date)));
    // The crawl date says only that the article existed by then: a last resort.
    if candidates.iter().any(|c| c.origin != DateOrigin::Warc) {
        candidates.retain(|c| c.origin != DateOrigin::Warc);
    }
    candidates
        .into_iter()
        .enumerate()
        .max_by_key(|(i, c)| {
            (
                c.date.precision,
                origin_rank(c.origin),
                std::cmp::Reverse(*i),
            )
        })
        .map(|(_, c)| c)
}

fn origin_rank(o: DateOrigin) -> u8 {
    match o {
        DateOrigin::Meta | DateOrigin::Feed => 5,
        DateOrigin::Header => 4,
        DateOrigin::Url => 3,
        DateOrigin::Text => 2,
        DateOrigin::Warc => 1,
        DateOrigin::Inferred => 0,
    }
}

/// Whether `d` is consistent with `trusted` at the trusted date's precision.
fn agrees(trusted: &Published, d: &Published) -> bool {
    match trusted.precision {
        DatePrecision::Year => trusted.year == d.year,
        DatePrecision::Month => trusted.year == d.year && trusted.month == d.month,
        DatePrecision::Day | DatePrecision::Minute => {
            (trusted.day_number() - d.day_number()).abs() <= 1
        }
    }
}
