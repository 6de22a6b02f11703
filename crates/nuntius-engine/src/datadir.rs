//! A data directory: where the store lives, and the lock that keeps it to one writer.
//!
//! The lock is a file created exclusively (`O_EXCL`) holding the writer's pid; it is removed when
//! the writer ends. A lock whose pid no longer runs is stale and is taken over, so a killed
//! process cannot block the data dir forever.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("nuntius.sqlite")
}

fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("writer.lock")
}

/// Held while a process writes a data dir; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    path: PathBuf,
}

impl WriterLock {
    /// Takes the data dir's writer lock, or says who holds it. `role` names this writer ("ingest",
    /// "serve") in the lock file so the message can tell a person what to do.
    pub fn acquire(data_dir: &Path, role: &str) -> Result<WriterLock> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let path = lock_path(data_dir);
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "{} {role}", std::process::id())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(WriterLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let content = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut parts = content.split_whitespace();
                    let pid: Option<u32> = parts.next().and_then(|p| p.parse().ok());
                    let holder = parts.next().unwrap_or("another process").to_string();
                    let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
                    if alive {
                        bail!(
                            "{} is being written by `nuntius {holder}` (pid {}); one writer at a time: {}",
                            data_dir.display(),
                            pid.unwrap_or(0),
                            if holder == "serve" {
                                "send articles to the running server (POST /api/articles) or stop it first"
                            } else {
                                "wait for it to finish"
                            }
                        );
                    }
                    // Stale lock from a process that is gone.
                    std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove stale lock {}", path.display()))?;
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create lock {}", path.display()))
                }
            }
        }
        bail!("could not take the writer lock {}", path.display())
    }

    /// The holder of a data dir's lock, if a live process holds it: `(pid, role)`.
    pub fn holder(data_dir: &Path) -> Option<(u32, String)> {
        let content = std::fs::read_to_string(lock_path(data_dir)).ok()?;
        let mut parts = content.split_whitespace();
        let pid: u32 = parts.next()?.parse().ok()?;
        let role = parts.next().unwrap_or("").to_string();
        Path::new(&format!("/proc/{pid}"))
            .exists()
            .then_some((pid, role))
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_writer_at_a_time_and_stale_locks_are_taken_over() {
        let dir = tempfile_dir();
        let first = WriterLock::acquire(&dir, "ingest").unwrap();
        let err = WriterLock::acquire(&dir, "ingest").unwrap_err().to_string();
        assert!(err.contains("one writer at a time"), "{err}");
        drop(first);
        // A lock left by a dead process.
        std::fs::write(lock_path(&dir), "999999999 serve\n").unwrap();
        let again = WriterLock::acquire(&dir, "ingest");
        assert!(again.is_ok());
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nuntius-lock-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
