//! Reader and extraction tests on the small fixtures in `tests/fixtures` (one binary).

use nuntius_web::{extract_page, read_web, sniff_format, Format, RecordError, WebRecord};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn records(name: &str) -> Vec<Result<WebRecord, RecordError>> {
    read_web(fixture(name).as_slice()).collect()
}

#[test]
fn article_keeps_story_and_drops_boilerplate() {
    let page = extract_page(
        &fixture("article.html"),
        Some("https://herald.example/harbour"),
        None,
    )
    .unwrap();
    assert!(
        page.text
            .contains("The harbour reopened on Tuesday morning"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Fishermen, who had waited on the quay"));
    for boilerplate in [
        "cookies",
        "Home",
        "Share on",
        "First! This town",
        "Storm damage",
        "All rights reserved",
    ] {
        assert!(
            !page.text.contains(boilerplate),
            "{boilerplate} in {}",
            page.text
        );
    }
    assert_eq!(page.title.as_deref(), Some("Harbour reopens after storm"));
    assert_eq!(page.published.as_deref(), Some("2024-03-05T10:20:00+01:00"));
    assert_eq!(page.published_from, Some("meta"));
    assert_eq!(page.authors, vec!["Mara Quinn"]);
    assert_eq!(page.lang.as_deref(), Some("en"));
    assert_eq!(page.site.as_deref(), Some("Coast Herald"));
}

#[test]
fn undeclared_cp1251_and_gbk_are_detected() {
    let ru = extract_page(&fixture("cp1251.html"), None, None).unwrap();
    assert!(
        ru.text.contains("Городской совет утвердил новый бюджет"),
        "{}",
        ru.text
    );
    let zh = extract_page(&fixture("gbk.html"), None, None).unwrap();
    assert!(zh.text.contains("市政府今天宣布"), "{}", zh.text);
}

#[test]
fn gzip_html_file_is_one_record() {
    let html = fixture("article.html");
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
        enc.write_all(&html).unwrap();
        enc.finish().unwrap();
    }
    let recs: Vec<_> = read_web(gz.as_slice()).collect();
    assert_eq!(recs.len(), 1);
    let rec = recs[0].as_ref().unwrap();
    assert_eq!(rec.record, 0);
    assert!(rec.page.as_ref().unwrap().text.contains("harbour reopened"));
}

#[test]
fn warc_gz_yields_response_pages_with_uri_and_date() {
    let recs = records("two.warc.gz");
    assert_eq!(recs.len(), 2, "{recs:?}");
    let first = recs[0].as_ref().unwrap();
    assert_eq!(first.record, 1, "record 0 is the warcinfo");
    assert_eq!(
        first.url.as_deref(),
        Some("https://news.example/2024/03/05/bridge")
    );
    assert_eq!(first.fetched.as_deref(), Some("2024-03-06T12:00:00Z"));
    let page = first.page.as_ref().unwrap();
    assert!(page.text.contains("the bridge will close"));
    assert_eq!(
        (page.published.as_deref(), page.published_from),
        (Some("2024-03-05"), Some("url"))
    );
    assert!(recs[1]
        .as_ref()
        .unwrap()
        .page
        .as_ref()
        .unwrap()
        .text
        .contains("library extends"));
}

#[test]
fn broken_warc_record_is_reported_and_reading_goes_on() {
    let recs = records("broken.warc.gz");
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert!(recs[0].is_ok());
    let err = recs[1].as_ref().unwrap_err();
    assert_eq!(err.record, 1);
    assert!(err.reason.contains("Content-Length"), "{err}");
    assert!(recs[2]
        .as_ref()
        .unwrap()
        .page
        .as_ref()
        .unwrap()
        .text
        .contains("library"));
}

#[test]
fn rss_items_with_source_and_dates() {
    let recs = records("feed.rss");
    assert_eq!(recs.len(), 2);
    let item = recs[0].as_ref().unwrap().feed_item.clone().unwrap();
    assert_eq!(item.title.as_deref(), Some("Rates rise again"));
    assert_eq!(item.link.as_deref(), Some("https://wire.example/rates"));
    assert_eq!(item.published.as_deref(), Some("2024-03-05T10:20:00+01:00"));
    assert_eq!(
        item.text.as_deref(),
        Some("The central bank raised rates & said more may come.")
    );
    assert_eq!(item.source.as_deref(), Some("Agency Press"));
    assert_eq!(item.authors, vec!["Ann Lee"]);
    let second = recs[1].as_ref().unwrap().feed_item.clone().unwrap();
    assert_eq!(second.title.as_deref(), Some("Second & last"));
    assert_eq!(second.text.as_deref(), Some("Full text here."));
}

#[test]
fn atom_and_json_feed_items() {
    let atom = records("feed.atom");
    let item = atom[0].as_ref().unwrap().feed_item.clone().unwrap();
    assert_eq!(item.link.as_deref(), Some("https://blog.example/hello"));
    assert_eq!(item.published.as_deref(), Some("2024-03-05T10:20:00+00:00"));
    assert_eq!(item.authors, vec!["Bo Ek"]);
    assert_eq!(item.text.as_deref(), Some("Short summary."));
    let json = records("feed.json");
    let item = json[0].as_ref().unwrap().feed_item.clone().unwrap();
    assert_eq!(item.title.as_deref(), Some("Json item"));
    assert_eq!(item.text.as_deref(), Some("Json body."));
    assert_eq!(item.authors, vec!["Cy Dee"]);
}

#[test]
fn truncated_gzip_and_binary_files_are_record_errors() {
    let recs = records("truncated.html.gz");
    assert_eq!(recs.len(), 1);
    assert!(
        recs[0].as_ref().unwrap_err().reason.contains("truncated"),
        "{recs:?}"
    );
    let recs = records("binary.html");
    assert_eq!(recs.len(), 1);
    assert!(
        recs[0].as_ref().unwrap_err().reason.contains("binary"),
        "{recs:?}"
    );
    assert!(extract_page(&fixture("binary.html"), None, None).is_err());
}

#[test]
fn formats_are_sniffed_by_content() {
    assert_eq!(sniff_format(b"WARC/1.0\r\n"), Format::Warc);
    assert_eq!(
        sniff_format(b"<?xml version=\"1.0\"?><rss version=\"2.0\">"),
        Format::Feed
    );
    assert_eq!(
        sniff_format(b"<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"),
        Format::Feed
    );
    assert_eq!(
        sniff_format(br#"{"version":"https://jsonfeed.org/version/1.1"}"#),
        Format::Feed
    );
    assert_eq!(sniff_format(b"<!DOCTYPE html><html>"), Format::Html);
    assert_eq!(sniff_format(b"\x89PNG\r\n"), Format::Unknown);
}

#[test]
fn huge_and_deeply_nested_pages_do_not_break_extraction() {
    let deep = "<div><span><b>".repeat(50_000) + "<p>deep text</p>";
    let page = extract_page(deep.as_bytes(), None, None).unwrap();
    assert!(page.text.contains("deep text"));
    let unclosed = "<table><tr><td><p>x".repeat(20_000);
    assert!(extract_page(unclosed.as_bytes(), None, None).is_ok());
    let too_big = vec![b'a'; nuntius_web::MAX_PAGE_BYTES + 1];
    assert!(extract_page(&too_big, None, None).is_err());
}

/// Fuzz-style invariant: no byte input makes extraction or the readers panic.
#[test]
fn arbitrary_bytes_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: &[&[u8]] = &[
        b"<",
        b">",
        b"</",
        b"<p>",
        b"<div class='comment'>",
        b"&amp",
        b"&#x",
        b"&#99999999;",
        b"<!--",
        b"<script>",
        b"</script",
        b"<![CDATA[",
        b"\"",
        b"=",
        b"WARC/1.0\r\n",
        b"Content-Length: 5\r\n\r\n",
        b"\xff\xfe",
        b"\xe4\xb8",
        b"<meta charset=gbk>",
        b"<rss><item><title>",
        b"\0",
        b" ",
    ];
    for _ in 0..3000 {
        let mut input = Vec::new();
        for _ in 0..(next() % 40) {
            if next() % 3 == 0 {
                input.push((next() % 256) as u8);
            } else {
                input.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
        }
        let _ = extract_page(
            &input,
            Some("http://x.example/2020/01/02/"),
            Some("text/html; charset=x"),
        );
        let _ = read_web(input.as_slice()).count();
        // The same bytes gzipped, then damaged: the gzip resync path must end too.
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            enc.write_all(&input).unwrap();
            enc.finish().unwrap();
        }
        let copy = gz.clone();
        gz.extend_from_slice(&copy);
        let at = (next() as usize) % gz.len();
        gz[at] ^= (next() % 255 + 1) as u8;
        gz.truncate(gz.len() - (next() as usize) % 8);
        let _ = read_web(gz.as_slice()).count();
    }
}

#[test]
fn extract_jsonl_writes_one_object_per_page_and_counts_errors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let paths = vec![
        dir.join("two.warc.gz"),
        dir.join("feed.rss"),
        dir.join("binary.html"),
    ];
    let mut out = Vec::new();
    let summary = nuntius_web::commands::extract_jsonl(&paths, &mut out).unwrap();
    assert_eq!((summary.files, summary.pages, summary.errors), (3, 4, 1));
    let rows: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows[0]["path"],
        dir.join("two.warc.gz").display().to_string()
    );
    assert_eq!(rows[0]["record"], 1);
    assert_eq!(rows[0]["url"], "https://news.example/2024/03/05/bridge");
    assert_eq!(rows[2]["record"], 0);
    assert_eq!(rows[2]["title"], "Rates rise again");
    assert_eq!(rows[2]["site"], "Agency Press");
}

/// Regression: a corrupt gzip member used to end the whole WARC file.
#[test]
fn corrupt_gzip_member_costs_only_its_record() {
    let recs = records("corrupt-member.warc.gz");
    let pages: Vec<_> = recs.iter().filter_map(|r| r.as_ref().ok()).collect();
    let errors: Vec<_> = recs.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(pages.len(), 2, "{recs:?}");
    assert!(!errors.is_empty(), "{recs:?}");
    assert!(pages[1].page.as_ref().unwrap().text.contains("library"));
}

#[test]
fn script_rendered_page_falls_back_to_json_ld_article_body() {
    // The body is only in JSON-LD (the visible page is an empty app shell).
    let body = "The first paragraph of a story rendered by scripts, long enough to be prose, with commas.\n\
                The second paragraph, which a reader sees once the script has run, and more words here.\n\
                A third paragraph closes the story with a quote from someone and a date in it, \
                and then it goes on for a while longer so that the story is not a short note.";
    let ld = serde_json::json!({"@type": "NewsArticle", "headline": "H", "articleBody": body});
    let html = format!(
        "<html><head><script type=\"application/ld+json\">{ld}</script></head>\
         <body><div id=\"app\">Loading…</div></body></html>"
    );
    let page = nuntius_web::extract_page(html.as_bytes(), None, None).unwrap();
    assert_eq!(page.text.split("\n\n").count(), 3, "{}", page.text);
    assert!(page.text.starts_with("The first paragraph"));
}

#[test]
fn short_chinese_story_inside_a_menu_named_wrapper_is_not_lost() {
    // Regression: a two-paragraph Chinese story (150 characters) under a `nav`-named
    // wrapper came out empty: the class-word-free second pass found it but was refused as
    // shorter than 250 characters, though 150 Chinese characters carry about 150 words.
    let one = "市政府今天宣布，新的公共图书馆将于明年春天在城市东区开放，届时将为居民提供更多阅读和学习的空间。图书馆共有三层，藏书约二十万册，另设儿童阅览室和自习区。";
    let two = "负责该项目的官员表示，工程已经完成大半，目前正在进行内部装修。开放后，图书馆每天早上八点至晚上九点对外开放，周末也不休息，市民可以免费办理借书证。";
    let links: String = (0..12)
        .map(|i| format!("<li><a href='/n{i}'>另一条新闻的标题，关于城市里的其他事情 {i}</a></li>"))
        .collect();
    let html = format!(
        "<html><body><div class='nav'><div class='zw_text'><p>{one}</p><p>{two}</p></div></div>\
         <ul class='list'>{links}</ul></body></html>"
    );
    let page = extract_page(html.as_bytes(), None, None).unwrap();
    assert_eq!(page.text, format!("{one}\n\n{two}"));
}

/// A sentence that counts as prose, for the extraction pages below.
const STORY: &str =
    "The story goes on here, with commas, clauses, and enough words to count as prose.";

#[test]
fn comment_thread_without_class_words_beside_the_story_is_dropped() {
    // Regression: reader comments under non-English class names scored as a content
    // sibling of a short story and were written out after it.
    let comments: String = (0..5)
        .map(|i| {
            format!(
                "<div class='wpis'><p class='kto'>reader{i} (guest) 30.12.11, 20:4{i}:22</p>\
                 <div class='tresc'>I still think the council is wrong about the fares, number {i}.</div></div>"
            )
        })
        .collect();
    let html = format!(
        "<html><body><div class='k1'><div class='tekst'><h1>Buses</h1>\
         <p>{STORY}</p><p>{STORY}</p><p>{STORY}</p><p>{STORY}</p></div>\
         <div class='opinie'>{comments}</div></div></body></html>"
    );
    let page = extract_page(html.as_bytes(), None, None).unwrap();
    assert_eq!(
        page.text,
        format!("Buses\n\n{STORY}\n\n{STORY}\n\n{STORY}\n\n{STORY}")
    );
}

#[test]
fn steps_in_blocks_of_the_chosen_blocks_template_are_kept() {
    // Regression: on step-by-step pages only the long first step was the article; the
    // short steps after it, each in a block of the same template, were dropped.
    let intro = "Making a small terrarium takes an hour, a glass cloche, some moss, and a plant that likes shade and damp air.";
    let steps = [
        "Soak the foam in water until it sinks to the bottom.",
        "Dig a hole in the foam and set the plant into it.",
        "Pin the moss around the foam so that none of it shows.",
        "Lower the glass over the plant and tuck in the moss.",
    ];
    let rest: String = steps
        .iter()
        .map(|s| format!("<div class='step'><div class='text'><p>{s}</p></div></div>"))
        .collect();
    let html = format!(
        "<html><body><div class='main-col'><div class='step'><div class='text'><p>{intro}</p><p>{STORY}</p></div></div>\
         <div class='ad'><a href='/x'>Buy</a></div>{rest}</div>\
         <div class='rail'><p>Sign up for more craft ideas in your inbox every week, free.</p></div></body></html>"
    );
    let page = extract_page(html.as_bytes(), None, None).unwrap();
    assert_eq!(
        page.text,
        [intro, STORY]
            .into_iter()
            .chain(steps)
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

#[test]
fn body_opened_inside_an_unclosed_head_still_gives_the_article() {
    // Regression: a `<head>` never closed took `<body>` as its child; the first block closed
    // both and the page came out empty, as only the (now empty) body was written.
    let html = format!(
        "<html><head><title>Knicks lose</title><meta name='x' content='y'><body>\
         <div class='nav'><a href='/'>Home</a> <a href='/nba'>NBA</a></div>\
         <div class='story'><h1>Knicks lose</h1><p>{STORY}</p><p>{STORY}</p><p>{STORY}</p></div>\
         </body></html>"
    );
    let page = extract_page(html.as_bytes(), None, None).unwrap();
    assert_eq!(
        page.text,
        format!("Knicks lose\n\n{STORY}\n\n{STORY}\n\n{STORY}")
    );
}
