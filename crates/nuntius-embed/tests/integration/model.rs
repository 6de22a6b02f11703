//! Finds the real model file for the tests that need it, loudly.

use std::sync::OnceLock;

use nuntius_embed::{default_model_path, Encoder};

/// The encoder for the real model, loaded once; `None` (with a loud notice) when the file
/// is missing outside CI. In CI (`CI=true`) a missing model fails the test: CI runs
/// `scripts/fetch-model.sh` first, so absence there is a broken setup, not a skip.
pub fn encoder() -> Option<&'static Encoder> {
    static ENCODER: OnceLock<Option<Encoder>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            let path = default_model_path();
            if !path.exists() {
                let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
                assert!(
                    !in_ci,
                    "model file {} is missing in CI: scripts/fetch-model.sh must run before the tests",
                    path.display()
                );
                eprintln!(
                    "\n*** NOT TESTED: model file {} is missing; run scripts/fetch-model.sh ***\n",
                    path.display()
                );
                return None;
            }
            Some(Encoder::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display())))
        })
        .as_ref()
}
