//! Dense embeddings as one more similarity signal: the encoders of `nuntius-embed` behind one
//! trait, and the text of an article they read (title and lead, not the whole body).

use std::path::Path;

use anyhow::{Context, Result};
use nuntius_embed::{Encoder, StaticEncoder, TextKind};

/// Turns article texts into L2-normalised vectors.
pub trait TextEmbedder: Send + Sync {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// What this embedder is, for messages and evaluation reports.
    fn describe(&self) -> String;
    /// Cosines at which "unrelated" ends and "same event" is certain, for this encoder.
    fn calibration(&self) -> (f64, f64);
}

// Comparing articles with articles is a symmetric task, for which e5 is used with the "query: "
// prefix on both sides.
impl TextEmbedder for Encoder {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed(texts, TextKind::Query)?)
    }

    fn describe(&self) -> String {
        "multilingual-e5-small transformer".to_string()
    }

    // Fit with the weights of `Params::with_embeddings` on the og2021 dev half: below 0.873 a
    // title says nothing of being the same event, from 0.905 it is as sure as it gets.
    fn calibration(&self) -> (f64, f64) {
        (0.873, 0.905)
    }
}

impl TextEmbedder for StaticEncoder {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed(texts, TextKind::Query)?)
    }

    fn describe(&self) -> String {
        format!(
            "static table distilled from multilingual-e5-small ({} dims)",
            self.dim()
        )
    }

    // Fit like the transformer's on the og2021 dev half. The table's cosines run lower than the
    // transformer's and spread wider.
    fn calibration(&self) -> (f64, f64) {
        (0.70, 0.75)
    }
}

/// Which encoder to use for the embedding signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderChoice {
    /// Lexical signals only.
    None,
    /// The distilled static table (fast path).
    Static,
    /// The transformer (slow, most accurate).
    Transformer,
}

/// Loads the chosen encoder from the cache dir. A missing model is an error only when asked for
/// explicitly; `auto` falls back to lexical signals and says so.
pub fn load_encoder(choice: EncoderChoice) -> Result<Option<Box<dyn TextEmbedder>>> {
    let model = nuntius_embed::default_model_path();
    match choice {
        EncoderChoice::None => Ok(None),
        EncoderChoice::Transformer => {
            let enc = Encoder::load(&model).with_context(|| {
                format!(
                    "cannot load the encoder model {} (run scripts/fetch-model.sh)",
                    model.display()
                )
            })?;
            Ok(Some(Box::new(enc)))
        }
        EncoderChoice::Static => {
            let table = nuntius_embed::default_static_path();
            let enc = StaticEncoder::load(&table, &model)
                .with_context(|| format!("cannot load the static encoder table {} (build it with `nuntius model build-static`)", table.display()))?;
            Ok(Some(Box::new(enc)))
        }
    }
}

/// Whether the files an encoder choice needs are present.
pub fn encoder_available(choice: EncoderChoice) -> bool {
    let model = nuntius_embed::default_model_path();
    match choice {
        EncoderChoice::None => true,
        EncoderChoice::Transformer => model.exists(),
        EncoderChoice::Static => model.exists() && nuntius_embed::default_static_path().exists(),
    }
}

/// The text an article is embedded by: its title and the start of its body, as one passage.
/// The encoder cuts it at its token cap ([`nuntius_embed::DEFAULT_MAX_TOKENS`], 128), so the
/// lead fills what the title leaves of the cap; the character bound here only keeps the
/// tokenizer from reading whole bodies (no language averages 8 characters a token).
pub fn embedding_text(title: &str, text: &str) -> String {
    const LEAD_CHARS: usize = 8 * nuntius_embed::DEFAULT_MAX_TOKENS;
    let lead: String = text.chars().take(LEAD_CHARS).collect();
    if title.is_empty() || text.starts_with(title) {
        lead
    } else {
        format!("{title}. {lead}")
    }
}

/// Whether a model file exists at a path (for messages).
pub fn describe_missing(path: &Path) -> String {
    format!(
        "{} is missing; nuntius uses lexical signals only (run scripts/fetch-model.sh)",
        path.display()
    )
}
