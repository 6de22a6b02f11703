//! A data directory: where the store lives, and the lock that keeps it to one writer.
//!
//! The lock is an OS file lock (`flock`) on `writer.lock`, held for the writer's whole life: the
//! kernel releases it when the process ends, however it ends (a SIGKILL, a crash, a container
//! restart that reuses the pid), so there is no stale lock to detect. The file also names the
//! holder (pid and role) so a refused writer can tell a person who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("nuntius.sqlite")
}

fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("writer.lock")
}

/// Held while a process writes a data dir; dropping it (or the process ending) releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    file: File,
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    // Never truncated on open: the holder's name stays readable to whoever is refused.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

fn read_holder(file: &mut File) -> Option<(u32, String)> {
    let mut content = String::new();
    file.rewind().ok()?;
    file.take(256).read_to_string(&mut content).ok()?;
    let mut parts = content.split_whitespace();
    let pid: u32 = parts.next()?.parse().ok()?;
    Some((pid, parts.next().unwrap_or("").to_string()))
}

impl WriterLock {
    /// Takes the data dir's writer lock, or says who holds it. `role` names this writer ("ingest",
    /// "serve") in the lock file so the message can tell a person what to do.
    pub fn acquire(data_dir: &Path, role: &str) -> Result<WriterLock> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let path = lock_path(data_dir);
        let mut file = open_lock_file(&path)
            .with_context(|| format!("cannot open lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let (pid, holder) = read_holder(&mut file)
                    .map(|(pid, role)| (pid.to_string(), role))
                    .unwrap_or_else(|| ("?".to_string(), "another process".to_string()));
                bail!(
                    "{} is being written by `nuntius {holder}` (pid {pid}); one writer at a time: {}",
                    data_dir.display(),
                    if holder == "serve" {
                        "send articles to the running server (POST /api/articles) or stop it first"
                    } else {
                        "wait for it to finish"
                    }
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{} {role}", std::process::id()))
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(WriterLock { file })
    }

    /// The holder of a data dir's lock, if a live process holds it: `(pid, role)`.
    pub fn holder(data_dir: &Path) -> Option<(u32, String)> {
        let mut file = File::open(lock_path(data_dir)).ok()?;
        match file.try_lock_shared() {
            // Nobody holds it: whatever the file says is history.
            Ok(()) => None,
            Err(TryLockError::WouldBlock) => read_holder(&mut file),
            Err(TryLockError::Error(_)) => None,
        }
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // The file stays (removing it would race with a writer opening it); emptied, it names
        // nobody. The lock itself goes with the descriptor.
        let _ = self.file.set_len(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_writer_at_a_time() {
        let dir = tempfile_dir("one");
        let first = WriterLock::acquire(&dir, "serve").unwrap();
        assert_eq!(
            WriterLock::holder(&dir),
            Some((std::process::id(), "serve".to_string()))
        );
        let err = WriterLock::acquire(&dir, "ingest").unwrap_err().to_string();
        assert!(err.contains("one writer at a time"), "{err}");
        assert!(err.contains("nuntius serve"), "{err}");
        drop(first);
        assert_eq!(WriterLock::holder(&dir), None);
        assert!(WriterLock::acquire(&dir, "ingest").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Regression: after a SIGKILL and a restart under the same pid (pid 1 in a container) the
    // pid-file lock looked alive and ingest and serve refused forever.
    #[test]
    fn a_lock_file_left_by_a_killed_writer_with_our_pid_is_no_lock() {
        let dir = tempfile_dir("killed");
        std::fs::write(lock_path(&dir), format!("{} serve\n", std::process::id())).unwrap();
        assert_eq!(WriterLock::holder(&dir), None);
        let lock = WriterLock::acquire(&dir, "ingest");
        assert!(lock.is_ok(), "{lock:?}");
        drop(lock);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("nuntius-lock-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
