//! Integration tests on a real in-memory tantivy index: stemming per language, folding,
//! filters, story grouping, upserts, visibility after commit and deterministic order.

use nuntius_search::{SearchDoc, SearchError, SearchIndex, SearchQuery, SearchResults};

fn doc(seq: u64, lang: &str, title: &str, text: &str) -> SearchDoc {
    SearchDoc {
        seq,
        id: format!("a{seq}"),
        title: title.to_string(),
        text: text.to_string(),
        lang: (!lang.is_empty()).then(|| lang.to_string()),
        source: None,
        day: None,
        entities: Vec::new(),
        event: seq,
        story: seq,
    }
}

fn index_of(docs: &[SearchDoc]) -> SearchIndex {
    let mut index = SearchIndex::in_memory().expect("in-memory index");
    index.add(docs).expect("add");
    index.commit().expect("commit");
    index
}

fn query(text: &str, lang: Option<&str>) -> SearchQuery {
    SearchQuery {
        text: text.to_string(),
        lang: lang.map(str::to_string),
        ..SearchQuery::default()
    }
}

/// Sequence numbers of every hit, in result order.
fn seqs(results: &SearchResults) -> Vec<u64> {
    results
        .stories
        .iter()
        .flat_map(|s| s.hits.iter().map(|h| h.seq))
        .collect()
}

fn found(index: &SearchIndex, text: &str, lang: Option<&str>) -> Vec<u64> {
    let mut s = seqs(&index.search(&query(text, lang)).expect("search"));
    s.sort_unstable();
    s
}

fn corpus() -> Vec<SearchDoc> {
    vec![
        doc(
            1,
            "it",
            "Ucraina, vertice a Ginevra",
            "Kiev chiede una garanzia di sicurezza agli alleati.",
        ),
        doc(
            2,
            "it",
            "Le garanzie della sicurezza",
            "Il governo discute le garanzie della SICUREZZA europea.",
        ),
        doc(
            3,
            "it",
            "Calcio",
            "La squadra ha vinto la partita di ieri sera.",
        ),
        doc(
            4,
            "en",
            "Security guarantees for Ukraine",
            "Leaders discussed a security guarantee with Lavrov.",
        ),
        doc(
            5,
            "de",
            "Sicherheitsgarantien",
            "Die Regierung fordert Garantien für die Sicherheit der Ukraine.",
        ),
        doc(
            6,
            "ro",
            "Garanții de securitate",
            "Guvernul a discutat garanțiile de securitate pentru Ucraina.",
        ),
        doc(
            7,
            "ru",
            "Гарантии безопасности",
            "Лавров обсудил гарантии безопасности Украины.",
        ),
        doc(
            8,
            "",
            "Nessuna lingua",
            "Testo senza lingua: sicurezza nazionale.",
        ),
        doc(9, "ja", "日本語", "Unknown language text about Lavrov."),
    ]
}

#[test]
fn italian_query_finds_inflected_forms() {
    let index = index_of(&corpus());
    assert_eq!(found(&index, "garanzie di sicurezza", Some("it")), [1, 2]);
    assert_eq!(found(&index, "garanzia", Some("it")), [1, 2]);
}

#[test]
fn ascii_folding_and_case() {
    let index = index_of(&corpus());
    assert_eq!(found(&index, "SICUREZZA", Some("it")), [1, 2]);
    assert_eq!(found(&index, "sicurezza", Some("it")), [1, 2]);
    assert_eq!(
        found(&index, "fur", Some("de")),
        found(&index, "für", Some("de"))
    );
    assert_eq!(found(&index, "garantii", Some("ro")), [6]);
}

#[test]
fn english_german_romanian_russian_stem() {
    let index = index_of(&corpus());
    assert_eq!(found(&index, "guarantees", Some("en")), [4]);
    assert_eq!(found(&index, "securities guaranteed", Some("en")), [4]);
    assert_eq!(found(&index, "Garantie Sicherheit", Some("de")), [5]);
    assert_eq!(found(&index, "garanție securității", Some("ro")), [6]);
    assert_eq!(
        found(&index, "garanţie", Some("ro")),
        [6],
        "cedilla spelling"
    );
    assert_eq!(found(&index, "гарантия безопасность", Some("ru")), [7]);
}

#[test]
fn cyrillic_names_meet_their_latin_spelling() {
    let index = index_of(&corpus());
    // The Russian article's "Лавров" is indexed as stem and as whole transliterated word.
    assert_eq!(found(&index, "Lavrov", Some("ru")), [7]);
    assert_eq!(found(&index, "Лавров", Some("ru")), [7]);
    // Without a language, each language analyses the word its own way.
    assert_eq!(found(&index, "Lavrov", None), [4, 7, 9]);
    assert_eq!(found(&index, "Лавров", None), [4, 7, 9]);
}

#[test]
fn query_without_language_searches_every_language() {
    let index = index_of(&corpus());
    assert_eq!(found(&index, "sicurezza", None), [1, 2, 8]);
    // "di" is an Italian stopword but an ordinary word elsewhere; the Italian articles still match.
    assert_eq!(found(&index, "garanzie di sicurezza", None), [1, 2]);
    assert_eq!(found(&index, "Ukraine", None), [4, 5]);
}

#[test]
fn unknown_language_is_searchable_and_filterable() {
    let index = index_of(&corpus());
    assert_eq!(found(&index, "lavrov", Some("ja")), [9]);
    assert_eq!(found(&index, "", Some("ja")), [9]);
}

#[test]
fn odd_query_text_never_fails() {
    let index = index_of(&corpus());
    for text in [
        "\"garanzie di sicurezza",
        "Kiev: garanzie",
        "12:30 AND OR",
        "((( ]]] ^^ ~ *",
        "title_it:garanzie",
        "-calcio",
        "\"\"",
        "sicurezza^3 \\ /regex/",
        "NOT",
        // Regression: syntax the grammar cannot read was refused ("expected word").
        ")sicurezza&¯gH÷",
        "& |",
    ] {
        let result = index.search(&query(text, Some("it")));
        assert!(result.is_ok(), "{text}: {result:?}");
    }
    assert_eq!(found(&index, ")sicurezza &", Some("it")), [1, 2]);
    assert_eq!(
        found(&index, "((( ]]] ^^ ~ *", Some("it")),
        Vec::<u64>::new()
    );
    // An excluded phrase that matches nothing excludes nothing (the fuzzer's
    // `crash-excluded-phrase` seed: a debug assertion of tantivy's phrase scorer).
    assert_eq!(
        found(&index, "sicurezza -\"governo garanzie\"", Some("it")),
        found(&index, "sicurezza", Some("it"))
    );
    assert_eq!(found(&index, "Kiev: garanzia", Some("it")), [1]);
    assert_eq!(
        found(&index, "\"garanzie della sicurezza\"", Some("it")),
        [1, 2]
    );
    assert_eq!(
        found(&index, "\"sicurezza garanzia\"", Some("it")),
        Vec::<u64>::new()
    );
    assert_eq!(found(&index, "sicurezza -governo", Some("it")), [1]);
    let long = "parola ".repeat(1000);
    assert!(matches!(
        index.search(&query(&long, None)),
        Err(SearchError::InvalidQuery(_))
    ));
}

// Regression: 750 `(` before a word overflowed a server worker's stack in the query grammar.
#[test]
fn deeply_nested_queries_are_refused_on_a_small_stack() {
    let index = std::sync::Arc::new(index_of(&corpus()));
    let hostile = [
        format!("{}sicurezza", "(".repeat(750)),
        format!("{}sicurezza", "(+".repeat(600)),
        format!("{}sicurezza{}", "(".repeat(2000), ")".repeat(40)),
        "-".repeat(2000),
        "NOT ".repeat(500),
        "a AND ".repeat(300),
        "+-".repeat(1000),
        format!("{}x", "NOT (".repeat(8)),
        "\"(".repeat(1000),
    ];
    for text in hostile {
        let index = index.clone();
        // An eighth of a tokio worker's stack: the bounds must hold with room to spare.
        let outcome = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || index.search(&query(&text, None)).map(|_| ()))
            .expect("spawn")
            .join()
            .expect("the search thread must not overflow its stack");
        assert!(
            matches!(outcome, Ok(()) | Err(SearchError::InvalidQuery(_))),
            "{outcome:?}"
        );
    }
    let refused = index.search(&query(&format!("{}a", "(".repeat(9)), None));
    assert!(
        matches!(&refused, Err(SearchError::InvalidQuery(m)) if m.contains("9 deep")),
        "{:?}",
        refused.map(|_| ())
    );
    assert_eq!(found(&index, "((((sicurezza))))", Some("it")), [1, 2]);
}

#[test]
fn filters_by_source_day_and_entity() {
    let mut docs = Vec::new();
    for seq in 0..10u64 {
        let mut d = doc(
            seq,
            "en",
            "Ceasefire talks",
            "Ceasefire talks resumed in Geneva.",
        );
        d.source = Some(if seq % 2 == 0 { "Reuters" } else { "ANSA" }.to_string());
        d.day = (seq < 8).then_some(19_000 + seq as i64);
        d.entities = vec![seq % 3, 100];
        docs.push(d);
    }
    let index = index_of(&docs);
    let run = |q: SearchQuery| {
        let mut s = seqs(&index.search(&q).expect("search"));
        s.sort_unstable();
        s
    };
    let base = || query("ceasefire", None);
    assert_eq!(
        run(SearchQuery {
            source: Some("reuters".into()),
            ..base()
        }),
        [0, 2, 4, 6, 8]
    );
    assert_eq!(
        run(SearchQuery {
            source: Some("ANSA".into()),
            ..base()
        }),
        [1, 3, 5, 7, 9]
    );
    assert_eq!(
        run(SearchQuery {
            from_day: Some(19_002),
            to_day: Some(19_004),
            ..base()
        }),
        [2, 3, 4]
    );
    assert_eq!(
        run(SearchQuery {
            from_day: Some(19_006),
            ..base()
        }),
        [6, 7]
    );
    assert_eq!(
        run(SearchQuery {
            to_day: Some(19_001),
            ..base()
        }),
        [0, 1]
    );
    assert_eq!(
        run(SearchQuery {
            entity: Some(1),
            ..base()
        }),
        [1, 4, 7]
    );
    assert_eq!(
        run(SearchQuery {
            entity: Some(100),
            source: Some("ansa".into()),
            ..base()
        }),
        [1, 3, 5, 7, 9]
    );
    assert_eq!(
        run(SearchQuery {
            lang: Some("it".into()),
            ..base()
        }),
        Vec::<u64>::new()
    );
    assert_eq!(
        run(SearchQuery {
            lang: Some("en".into()),
            entity: Some(2),
            ..query("", None)
        }),
        [2, 5, 8]
    );
}

#[test]
fn groups_by_story_best_story_first() {
    let mut docs = Vec::new();
    for seq in 0..6u64 {
        let mut d = doc(seq, "en", "Flood", "Rain fell.");
        d.story = seq % 2;
        docs.push(d);
    }
    // The best single article makes story 7 come first.
    let mut best = doc(10, "en", "Flood flood flood", "Flood flood in the valley.");
    best.story = 7;
    docs.push(best);
    let index = index_of(&docs);
    let results = index.search(&query("flood", None)).expect("search");
    assert_eq!(results.total_hits, 7);
    assert_eq!(results.total_stories, 3);
    let stories: Vec<u64> = results.stories.iter().map(|s| s.story).collect();
    assert_eq!(stories, [7, 0, 1]);
    assert_eq!(results.stories[1].matched, 3);
    let story0: Vec<u64> = results.stories[1].hits.iter().map(|h| h.seq).collect();
    assert_eq!(story0, [0, 2, 4], "equal scores keep seq order");
    let page = index
        .search(&SearchQuery {
            offset: 1,
            limit: 1,
            ..query("flood", None)
        })
        .expect("search");
    assert_eq!(page.stories.len(), 1);
    assert_eq!(page.stories[0].story, 0);
    assert_eq!(page.total_stories, 3);
}

#[test]
fn equal_scores_order_by_seq() {
    // Added in shuffled order over several commits (several segments).
    let mut index = SearchIndex::in_memory().expect("index");
    for chunk in [[5u64, 1, 9], [3, 7, 0], [8, 2, 6]] {
        let docs: Vec<_> = chunk
            .iter()
            .map(|&s| doc(s, "en", "Same", "Same words here."))
            .collect();
        index.add(&docs).expect("add");
        index.commit().expect("commit");
    }
    let first = seqs(&index.search(&query("words", None)).expect("search"));
    assert_eq!(
        first,
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
            .into_iter()
            .filter(|s| *s != 4)
            .collect::<Vec<_>>()
    );
    let again = seqs(&index.search(&query("words", None)).expect("search"));
    assert_eq!(first, again);
}

#[test]
fn add_replaces_by_seq() {
    let mut index = index_of(&[doc(1, "en", "Old title", "Old text about apples.")]);
    index
        .add(&[doc(1, "en", "New title", "New text about pears.")])
        .expect("add");
    index.commit().expect("commit");
    assert_eq!(index.doc_count(), 1);
    assert!(found(&index, "apples", None).is_empty());
    let results = index.search(&query("pears", None)).expect("search");
    assert_eq!(results.stories[0].hits[0].title, "New title");
    // Both versions in one uncommitted batch: the later wins.
    index
        .add(&[doc(2, "en", "A", "plums"), doc(2, "en", "B", "cherries")])
        .expect("add");
    index.commit().expect("commit");
    assert_eq!(index.doc_count(), 2);
    assert_eq!(found(&index, "cherries", None), [2]);
    assert!(found(&index, "plums", None).is_empty());
}

#[test]
fn new_articles_are_searchable_right_after_commit() {
    let mut index = SearchIndex::in_memory().expect("index");
    assert_eq!(index.doc_count(), 0);
    assert_eq!(
        index
            .search(&query("anything", None))
            .expect("search")
            .total_hits,
        0
    );
    index.commit().expect("commit without writes");
    for round in 0..3u64 {
        index
            .add(&[doc(
                round,
                "en",
                "Storm",
                &format!("Storm number{round} hits the coast."),
            )])
            .expect("add");
        assert_eq!(index.doc_count(), round, "not visible before commit");
        index.commit().expect("commit");
        assert_eq!(index.doc_count(), round + 1);
        assert_eq!(found(&index, &format!("number{round}"), None), [round]);
    }
}

#[test]
fn snippets_are_plain_text_with_highlights() {
    let long = format!(
        "{} Il governo discute le garanzie della sicurezza europea. {}",
        "Premessa lunga senza parole cercate. ".repeat(20),
        "Coda <b>finale</b>. ".repeat(20)
    );
    let index = index_of(&[
        doc(1, "it", "Titolo", &long),
        doc(2, "it", "Sicurezza", "Testo breve."),
    ]);
    let results = index
        .search(&query("garanzia sicurezza", Some("it")))
        .expect("search");
    let hit = &results.stories[0].hits[0];
    assert_eq!(hit.seq, 1);
    assert!(hit.snippet.chars().count() <= 200, "{}", hit.snippet);
    let words: Vec<&str> = hit
        .snippet_highlights
        .iter()
        .map(|&(a, b)| &hit.snippet[a..b])
        .collect();
    assert_eq!(words, ["garanzie", "sicurezza"]);
    // Title-only match: the snippet is the start of the text, nothing highlighted.
    let results = index
        .search(&query("sicurezza", Some("it")))
        .expect("search");
    let title_only = results
        .stories
        .iter()
        .flat_map(|s| &s.hits)
        .find(|h| h.seq == 2)
        .expect("hit");
    assert_eq!(title_only.snippet, "Testo breve.");
    assert!(title_only.snippet_highlights.is_empty());
}

#[test]
fn reopens_from_disk() {
    let dir = std::env::temp_dir().join(format!("nuntius-search-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let mut index = SearchIndex::open(&dir).expect("open");
        index.add(&corpus()).expect("add");
        index.commit().expect("commit");
    }
    let index = SearchIndex::open(&dir).expect("reopen");
    assert_eq!(index.doc_count(), 9);
    assert_eq!(found(&index, "garanzie di sicurezza", Some("it")), [1, 2]);
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
}
