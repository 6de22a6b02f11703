//! Readers on hostile input: every good record is read, every bad one is one error naming where
//! it is, and nothing makes a reader hold or read without bound.

use std::io::Write;
use std::path::PathBuf;

use nuntius_readers::{read_paths, read_stream, Limits, ReadOptions};

/// Titles read and errors (location, reason) from reading `paths`.
fn read(paths: &[PathBuf], limits: Limits) -> (Vec<String>, Vec<String>) {
    let options = ReadOptions { web: None, limits };
    let (mut titles, mut errors) = (Vec::new(), Vec::new());
    read_paths(paths, &options, &mut |item| match item {
        Ok(a) => titles.push(a.title.unwrap_or_default()),
        Err(e) => errors.push(e.to_string()),
    });
    (titles, errors)
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

fn line(title: &str) -> String {
    format!("{{\"id\": \"{title}\", \"title\": \"{title}\"}}\n")
}

// Regression: one corrupt gzip member in a .jsonl.gz dropped every later member, and the error was
// blamed on the line after the damaged one.
#[test]
fn a_corrupt_gzip_member_loses_only_its_own_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for i in 0..6 {
        let mut member = gz(line(&format!("t{i}")).as_bytes());
        if i == 2 {
            // Damage the CRC: the member inflates to its line, then fails at its trailer.
            let n = member.len();
            member[n - 8] ^= 0xff;
        }
        bytes.extend(member);
    }
    let path = dir.path().join("a.jsonl.gz");
    std::fs::write(&path, bytes).unwrap();
    let (titles, errors) = read(&[path], Limits::default());
    assert_eq!(titles, ["t0", "t1", "t3", "t4", "t5"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("a.jsonl.gz:3:") && errors[0].contains("corrupt gzip"),
        "{errors:?}"
    );
}

#[test]
fn a_member_broken_inside_its_data_is_skipped_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = gz(line("first").as_bytes());
    let long: String = (0..200).map(|i| line(&format!("mid{i}"))).collect();
    let mut broken = gz(long.as_bytes());
    let mid = broken.len() / 2;
    broken[mid..mid + 8].copy_from_slice(&[0xff; 8]);
    bytes.extend(broken);
    bytes.extend(gz(line("last").as_bytes()));
    let path = dir.path().join("b.jsonl.gz");
    std::fs::write(&path, bytes).unwrap();
    let (titles, errors) = read(&[path], Limits::default());
    assert_eq!(titles.first().map(String::as_str), Some("first"));
    assert_eq!(
        titles.last().map(String::as_str),
        Some("last"),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("corrupt gzip")),
        "{errors:?}"
    );
}

// Regression: a UTF-8 BOM lost the first JSONL record.
#[test]
fn a_byte_order_mark_keeps_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.jsonl");
    std::fs::write(&path, format!("\u{feff}{}{}", line("one"), line("two"))).unwrap();
    let (titles, errors) = read(&[path], Limits::default());
    assert_eq!(titles, ["one", "two"]);
    assert!(errors.is_empty(), "{errors:?}");
}

// Regression: a JSON array file was stored as one article titled `[{"id": ...`.
#[test]
fn a_json_array_file_is_its_elements() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.json");
    std::fs::write(
        &path,
        "\u{feff}[\n {\"id\": \"a\", \"title\": \"A\"},\n {\"title\": 5},\n 7,\n {\"id\": \"b\", \"text\": \"B body\", \"title\": \"B\"}\n]\n",
    )
    .unwrap();
    let (titles, errors) = read(std::slice::from_ref(&path), Limits::default());
    assert_eq!(titles, ["A", "B"]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("element 2") && errors[0].contains("`title`"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("element 3") && errors[1].contains("object"),
        "{errors:?}"
    );
    // A broken array keeps what came before the break.
    std::fs::write(&path, "[{\"title\": \"A\"}, {\"title\": \"B\"}, {\"tit").unwrap();
    let (titles, errors) = read(&[path], Limits::default());
    assert_eq!(titles, ["A", "B"]);
    assert!(
        errors.len() == 1 && errors[0].contains("element 3"),
        "{errors:?}"
    );
}

#[test]
fn a_text_article_starting_with_a_bracket_is_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("video.txt");
    std::fs::write(
        &path,
        "[VIDEO] Lavrov a Ginevra\n\nIl ministro ha incontrato Blinken.\n",
    )
    .unwrap();
    let (titles, errors) = read(&[path], Limits::default());
    assert_eq!(titles, ["[VIDEO] Lavrov a Ginevra"], "{errors:?}");
}

// Regression: a dangling link or a link loop anywhere in a directory skipped the whole directory,
// and a FIFO in a directory hung the ingest forever.
#[cfg(unix)]
#[test]
fn unreadable_entries_are_one_error_each_and_the_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.jsonl"), line("a")).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/b.jsonl"), line("b")).unwrap();
    std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).unwrap();
    std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap();
    let fifo = root.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::fs::write(root.join("z.jsonl"), line("z")).unwrap();
    let (titles, errors) = read(&[root.to_path_buf()], Limits::default());
    assert_eq!(titles, ["a", "b", "z"]);
    let has = |name: &str, what: &str| errors.iter().any(|e| e.contains(name) && e.contains(what));
    assert!(has("dangling", "link"), "{errors:?}");
    assert!(has("loop", "loop"), "{errors:?}");
    assert!(has("pipe", "FIFO"), "{errors:?}");
    assert!(has("zero", "device"), "{errors:?}");
    assert_eq!(errors.len(), 4, "{errors:?}");
}

#[test]
fn a_missing_path_is_an_error_and_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, line("good")).unwrap();
    let (titles, errors) = read(&[dir.path().join("nope.jsonl"), good], Limits::default());
    assert_eq!(titles, ["good"]);
    assert!(
        errors.len() == 1 && errors[0].contains("nope.jsonl"),
        "{errors:?}"
    );
}

// Regression: a 1 MB .jsonl.gz inflating to one 1 GiB line was held whole (3.2 GB RSS).
#[test]
fn an_overlong_line_is_skipped_without_being_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.jsonl.gz");
    let mut body = line("before");
    body.push_str("{\"title\": \"");
    body.push_str(&"x".repeat(3 << 20));
    body.push_str("\"}\n");
    body.push_str(&line("after"));
    std::fs::write(&path, gz(body.as_bytes())).unwrap();
    let limits = Limits {
        max_record_bytes: 1 << 20,
        ..Limits::default()
    };
    let (titles, errors) = read(&[path], limits);
    assert_eq!(titles, ["before", "after"]);
    assert!(
        errors.len() == 1 && errors[0].contains(":2:") && errors[0].contains("record limit"),
        "{errors:?}"
    );
}

// Regression: a symlink to /dev/zero, named on the command line, read until out of memory.
#[test]
fn endless_inputs_stop_at_the_limits() {
    let limits = Limits {
        max_record_bytes: 1 << 16,
        max_file_bytes: 1 << 20,
    };
    let options = ReadOptions { web: None, limits };
    let mut errors = Vec::new();
    // A text stream of zeros (no line ends): one record, over the record limit.
    read_stream(
        Box::new(std::io::repeat(0)),
        "zeros",
        None,
        &options,
        &mut |item| errors.extend(item.err().map(|e| e.to_string())),
    );
    assert!(
        errors.len() == 1 && errors[0].contains("record limit"),
        "{errors:?}"
    );
    // An endless JSONL stream of good lines: stops at the file limit, keeping what came before.
    let good = line("g").repeat(1 << 16);
    let stream = std::io::Read::chain(std::io::Cursor::new(good), std::io::repeat(b' '));
    let (mut n, mut errors) = (0, Vec::new());
    read_stream(
        Box::new(stream),
        "endless",
        None,
        &options,
        &mut |item| match item {
            Ok(_) => n += 1,
            Err(e) => errors.push(e.to_string()),
        },
    );
    assert!(n > 1000, "{n}");
    assert!(
        errors.iter().any(|e| e.contains("limit of 1048576 bytes")),
        "{errors:?}"
    );
}
