//! Typed errors of the embedding crate: every failure names the file it concerns.

use std::path::PathBuf;

/// Why a model or cache file could not be used, or a text could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read model file {path}: {source} (run scripts/fetch-model.sh to fetch it)")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an E5S1 model file (magic bytes {found:?})")]
    BadMagic { path: PathBuf, found: [u8; 4] },
    #[error("{path} is truncated: needed {needed} bytes at offset {offset}, file has {len}")]
    Truncated {
        path: PathBuf,
        offset: usize,
        needed: usize,
        len: usize,
    },
    #[error("{path} is malformed: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{path} lacks tensor `{name}`")]
    MissingTensor { path: PathBuf, name: String },
    #[error("{path}: tensor `{name}` has {found} values ({dtype}), expected {expected}")]
    TensorShape {
        path: PathBuf,
        name: String,
        dtype: &'static str,
        found: usize,
        expected: usize,
    },
    #[error(transparent)]
    Kernel(#[from] crate::kernel::KernelError),
    #[error("static table {path} does not fit this model: {reason}")]
    StaticMismatch { path: PathBuf, reason: String },
}
