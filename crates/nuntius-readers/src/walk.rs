//! Walking input paths: files as given, directories recursively in name order. What cannot be
//! read is one error and the walk goes on: a dangling link, a link loop, a FIFO or a device
//! inside a directory (reading a FIFO would wait forever, a device may never end).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::RecordError;

/// Directories nested deeper than this are not entered.
const MAX_DEPTH: usize = 64;

/// Calls `visit` with every regular file under `path` (or `path` itself when it is not a
/// directory), or with the error for an entry that cannot be read.
pub(crate) fn for_each_file(path: &Path, visit: &mut dyn FnMut(Result<PathBuf, RecordError>)) {
    let mut seen = BTreeSet::new();
    walk(path, 0, true, &mut seen, visit);
}

fn error(path: &Path, reason: impl Into<String>) -> RecordError {
    RecordError {
        location: path.display().to_string(),
        reason: reason.into(),
    }
}

fn walk(
    path: &Path,
    depth: usize,
    named: bool,
    seen: &mut BTreeSet<(u64, u64)>,
    visit: &mut dyn FnMut(Result<PathBuf, RecordError>),
) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let dangling = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            let reason = if dangling {
                format!("skipped: a link whose target cannot be read ({e})")
            } else {
                format!("cannot read: {e}")
            };
            visit(Err(error(path, reason)));
            return;
        }
    };
    if meta.is_file() {
        visit(Ok(path.to_path_buf()));
        return;
    }
    if !meta.is_dir() {
        // A path the user named (a FIFO from `<(zcat …)`, /dev/stdin) is read as asked; one
        // found inside a directory is not what anybody meant to ingest.
        if named {
            visit(Ok(path.to_path_buf()));
        } else {
            visit(Err(error(
                path,
                format!("skipped: not a regular file ({})", file_kind(&meta)),
            )));
        }
        return;
    }
    if depth >= MAX_DEPTH {
        visit(Err(error(
            path,
            format!("skipped: directories nested more than {MAX_DEPTH} deep"),
        )));
        return;
    }
    if let Some(key) = dir_key(&meta) {
        if !seen.insert(key) {
            visit(Err(error(
                path,
                "skipped: a link back to a directory already being read (a loop)",
            )));
            return;
        }
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            visit(Err(error(path, format!("cannot list directory: {e}"))));
            return;
        }
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => children.push(e.path()),
            Err(e) => visit(Err(error(path, format!("cannot list an entry: {e}")))),
        }
    }
    // Hidden files are editor and VCS debris, never articles.
    children.retain(|p| {
        !p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
    });
    children.sort();
    for child in children {
        walk(&child, depth + 1, false, seen, visit);
    }
    if let Some(key) = dir_key(&meta) {
        seen.remove(&key);
    }
}

#[cfg(unix)]
fn dir_key(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn dir_key(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn file_kind(_meta: &std::fs::Metadata) -> &'static str {
    "not a file"
}
