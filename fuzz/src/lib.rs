//! The bodies of the fuzz targets, one function per parser of outside bytes. The libFuzzer
//! binaries in `fuzz_targets/` call them (nightly, `cargo fuzz run NAME`), and the CLI crate's
//! integration tests include this file to run every body on stable over the seeds in
//! `fuzz/seeds/NAME/` and inputs mutated from them (the CI smoke). A body panics only on a bug.
//!
//! Each body takes the bytes, bounds them the way the real caller does, and checks what must
//! hold whatever the input (limits respected, no panic).

use std::sync::OnceLock;

use nuntius_readers::{parse_jsonl_line, read_stream, Limits, ReadOptions};

/// A target's body: takes any bytes, must not panic.
pub type Body = fn(&[u8]);

/// Every target: its name (a directory of `fuzz/seeds/`) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("readers", readers),
    ("html", html),
    ("warc", warc),
    ("feed", feed),
    ("dates", dates),
    ("search_query", search_query),
    ("request_body", request_body),
    ("int8_kernel", int8_kernel),
];

const SMALL: Limits = Limits {
    max_record_bytes: 4096,
    max_file_bytes: 1 << 16,
};

/// JSONL, JSON arrays, text dumps and gzip of them, under small limits; and the JSON record
/// parser. No record over the record limit comes out.
pub fn readers(data: &[u8]) {
    let options = ReadOptions {
        web: None,
        limits: SMALL,
    };
    read_stream(Box::new(data), "fuzz", None, &options, &mut |item| {
        if let Ok(raw) = item {
            let text = raw.text.as_ref().map_or(0, String::len);
            assert!(
                text <= SMALL.max_record_bytes,
                "a {text}-byte text passed the record limit"
            );
        }
    });
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_jsonl_line(text);
    }
}

/// Page extraction: any bytes, with and without an HTTP charset.
pub fn html(data: &[u8]) {
    let _ = nuntius_web::extract_page(data, Some("https://example.com/2024/01/02/a"), None);
    let _ = nuntius_web::extract_page(data, None, Some("text/html; charset=gbk"));
}

/// The streaming WARC reader (input forced to look like a WARC file).
pub fn warc(data: &[u8]) {
    let mut input = b"WARC/1.0\r\n".to_vec();
    input.extend_from_slice(data);
    for record in nuntius_web::read_web(input.as_slice()) {
        let _ = record;
    }
}

/// The RSS/Atom and JSON Feed readers (input forced to sniff as a feed).
pub fn feed(data: &[u8]) {
    let mut xml = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>".to_vec();
    xml.extend_from_slice(data);
    let _ = nuntius_web::read_web(xml.as_slice()).count();
    let mut json = br#"{"version":"https://jsonfeed.org/version/1.1","items":"#.to_vec();
    json.extend_from_slice(data);
    let _ = nuntius_web::read_web(json.as_slice()).count();
}

/// The date finders and parsers on text, metadata strings and URLs.
pub fn dates(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nuntius_dates::find_dates(text);
        let _ = nuntius_dates::parse_date(text);
        let _ = nuntius_dates::date_from_url(text);
    }
}

/// A small index in three languages, built once per process.
fn index() -> &'static nuntius_search::SearchIndex {
    static INDEX: OnceLock<nuntius_search::SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = nuntius_search::SearchIndex::in_memory().expect("in-memory index");
        let docs = [
            (
                "en",
                "Flooding in the north",
                "Rivers rose after three days of rain.",
            ),
            (
                "de",
                "Hochwasser im Norden",
                "Die Flüsse stiegen nach drei Tagen Regen.",
            ),
            (
                "fr",
                "Inondations dans le nord",
                "Les rivières ont monté après la pluie.",
            ),
        ];
        let docs: Vec<nuntius_search::SearchDoc> = docs
            .iter()
            .enumerate()
            .map(|(i, (lang, title, text))| nuntius_search::SearchDoc {
                seq: i as u64,
                id: format!("a{i}"),
                title: (*title).into(),
                text: (*text).into(),
                lang: Some((*lang).into()),
                source: Some("example.com".into()),
                day: Some(19_000 + i as i64),
                entities: vec![i as u64],
                event: i as u64,
                story: i as u64,
            })
            .collect();
        index.add(&docs).expect("add");
        index.commit().expect("commit");
        index
    })
}

/// The search query grammar as the API reaches it (`/api/search?q=`, `/api/stories?q=`): the
/// query-text cap the server applies, then the index's own bounds and tantivy's parser. A bad
/// query is an error, never a panic or a stack overflow.
pub fn search_query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text: String = text.chars().take(2048).collect();
    let (lang, text) = match text.split_once('\u{1}') {
        Some((lang, rest)) => (Some(lang.chars().take(16).collect()), rest.to_string()),
        None => (None, text),
    };
    let q = nuntius_search::SearchQuery {
        text,
        lang,
        limit: 10,
        ..nuntius_search::SearchQuery::default()
    };
    if let Ok(results) = index().search(&q) {
        assert!(results.stories.len() <= 10);
    }
}

/// `POST /api/articles` bodies, both formats (the readers with the web formats, and the
/// forwarding format), through the server's own body parser under small limits.
pub fn request_body(data: &[u8]) {
    for raw_format in [false, true] {
        if let Ok((raws, _errors)) =
            nuntius_server::api::parse_body(data, raw_format, 1 << 14, SMALL)
        {
            for raw in raws {
                let text = raw.text.as_ref().map_or(0, String::len);
                assert!(
                    text <= SMALL.max_file_bytes as usize,
                    "a {text}-byte text passed the file limit"
                );
            }
        }
    }
}

/// The encoder's integer kernels: any shapes, weights and activations give the portable
/// kernel's bits from every SIMD kernel the CPU runs, and never touch memory out of bounds
/// (the kernels' raw-pointer loads would show under the sanitizer).
pub fn int8_kernel(data: &[u8]) {
    use nuntius_embed::kernel::{matmul, Kernel, PackedQ4, QuantizedRows, BLOCK};
    let [r, t, b, rest @ ..] = data else { return };
    let rows = 1 + usize::from(*r % 9);
    let n = 16 * (1 + usize::from(*t % 5));
    let k = BLOCK * (1 + usize::from(*b % 6));
    if rest.is_empty() {
        return;
    }
    let mut bytes = rest.iter().copied().cycle();
    let mut blocks = Vec::new();
    for _ in 0..n * k / BLOCK {
        // A finite fp16 scale (exponent below 31), then 16 bytes of nibbles.
        let lo = bytes.next().unwrap_or(0);
        let hi = bytes.next().unwrap_or(0) & 0x7b;
        blocks.extend([lo, hi]);
        blocks.extend((0..16).map(|_| bytes.next().unwrap_or(0)));
    }
    let Some(w) = PackedQ4::from_q4(&blocks, n, k) else {
        return;
    };
    // Finite activations of any magnitude.
    let x: Vec<f32> = (0..rows * k)
        .map(|_| {
            let v = i16::from_le_bytes([bytes.next().unwrap_or(0), bytes.next().unwrap_or(0)]);
            f32::from(v) * 0.01
        })
        .collect();
    let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.1).collect();
    let run = |kernel: Kernel| {
        let mut q = QuantizedRows::default();
        q.quantize(kernel, &x, k);
        let mut out = vec![0.0f32; rows * n];
        matmul(kernel, &q, &w, &bias, &mut out);
        out
    };
    let want = run(Kernel::Portable);
    for kernel in [Kernel::Avx2, Kernel::Avx512] {
        if kernel.is_available() {
            let got = run(kernel);
            let same = got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            assert!(same, "{kernel} differs from portable at {rows}×{n}×{k}");
        }
    }
}
