//! The one canonical form of an article URL. Every input whose identity is a URL (files, posts,
//! crawled feeds and pages) goes through [`canonical_url`], so the same article reached through a
//! tracking link, an AMP copy or a `#comments` anchor is one article.

use url::Url;

/// Query parameters that say how a reader arrived, never which page it is.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "ocid",
    "cmpid",
    "ref_src",
    "ref_url",
    "twclid",
    "wt_mc",
    "at_medium",
    "at_campaign",
];

/// Query parameters that ask for the AMP rendering of the same article.
const AMP_PARAMS: &[&str] = &["amp", "outputtype", "output"];

/// `url` in its canonical form: scheme and host lower-cased, default port and fragment dropped,
/// tracking parameters (`utm_*`, `fbclid`, `gclid`, …) removed, AMP variants (`/amp` path
/// segment, `.amp.html`, `?amp=1`, an `amp.` host) mapped to the article itself. Strings that are
/// not http(s) URLs come back trimmed and otherwise unchanged.
pub fn canonical_url(url: &str) -> String {
    let trimmed = url.trim();
    let Ok(mut parsed) = Url::parse(trimmed) else {
        return trimmed.to_string();
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return trimmed.to_string();
    }
    parsed.set_fragment(None);
    if let Some(host) = parsed.host_str().map(str::to_string) {
        if let Some(rest) = host.strip_prefix("amp.") {
            if rest.contains('.') {
                // Only fails for hosts url rejects, which cannot come from a parsed URL.
                let _ = parsed.set_host(Some(rest));
            }
        }
    }
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, v)| !is_tracking(k) && !is_amp_param(k, v))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if parsed.query().is_some() {
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    let path = parsed.path().to_string();
    let amp_free = if let Some(stem) = path.strip_suffix(".amp.html") {
        format!("{stem}.html")
    } else if let Some(stem) = path.strip_suffix("/amp/").or(path.strip_suffix("/amp")) {
        if stem.is_empty() {
            "/".to_string()
        } else {
            stem.to_string()
        }
    } else {
        path
    };
    parsed.set_path(&amp_free);
    parsed.to_string()
}

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

fn is_amp_param(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if !AMP_PARAMS.contains(&key.as_str()) {
        return false;
    }
    let value = value.to_ascii_lowercase();
    // `?amp`, `?amp=1`, `?amp=true`, `?outputType=amp`.
    (key == "amp" && matches!(value.as_str(), "" | "1" | "true")) || value == "amp"
}

#[cfg(test)]
mod tests {
    use super::canonical_url;

    #[test]
    fn tracking_fragments_and_amp_variants_are_one_url() {
        for (input, expected) in [
            (
                "https://News.Example.com:443/a/story?utm_source=x&id=7&fbclid=abc#comments",
                "https://news.example.com/a/story?id=7",
            ),
            (
                "https://example.com/a/story?gclid=1&utm_medium=e",
                "https://example.com/a/story",
            ),
            (
                "https://example.com/a/story/amp",
                "https://example.com/a/story",
            ),
            (
                "https://example.com/a/story/amp/",
                "https://example.com/a/story",
            ),
            (
                "https://example.com/a/story.amp.html",
                "https://example.com/a/story.html",
            ),
            (
                "https://example.com/a/story?amp=1",
                "https://example.com/a/story",
            ),
            (
                "https://example.com/a?outputType=amp",
                "https://example.com/a",
            ),
            ("https://amp.example.com/a", "https://example.com/a"),
            ("http://example.com", "http://example.com/"),
            ("  not a url ", "not a url"),
            ("file:///tmp/a.html#x", "file:///tmp/a.html#x"),
        ] {
            assert_eq!(canonical_url(input), expected, "{input}");
        }
    }

    #[test]
    fn canonical_urls_are_fixed_points() {
        for u in [
            "https://example.com/a/story?id=7&page=2",
            "https://example.com/%C3%A9t%C3%A9",
            "https://example.com/a?q=a+b",
        ] {
            let once = canonical_url(u);
            assert_eq!(canonical_url(&once), once, "{u}");
        }
    }
}
