//! Similarity functions shared by the event and story decisions and the graded pair score.

use nuntius_model::Signal;

/// A graded similarity of two articles in `0..=1` (1 = the same story told the same way) from
/// the values of the clusterer's signals between them: lexical cosine, entity overlap and, when
/// both are embedded, the embedding cosine. The event decision asks "same event or not" and
/// saturates; this keeps grading. A linear fit to human similarity ratings (SemEval-2022 Task 8
/// train pairs, first half; see docs/EVALUATION.md), mapped from their 4..1 scale to 0..1.
pub fn pair_similarity(lexical: f64, entities: f64, embedding: Option<f64>) -> f64 {
    let rating = match embedding {
        Some(cos) => 5.802 * cos + 3.633 * lexical + 0.835 * entities - 8.846,
        None => 4.817 * lexical + 0.978 * entities - 4.079,
    };
    ((rating + 4.0) / 3.0).clamp(0.0, 1.0)
}

/// Cosine of two vectors of any length (the shorter decides), 0 for a zero vector.
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let mut dot = 0f64;
    let mut na = 0f64;
    let mut nb = 0f64;
    for (x, y) in a.iter().zip(b) {
        dot += f64::from(*x) * f64::from(*y);
        na += f64::from(*x) * f64::from(*x);
        nb += f64::from(*y) * f64::from(*y);
    }
    dot / (na.sqrt() * nb.sqrt()).max(1e-12)
}

/// Adds the time signal: `weight × (g − 0.5)` for a Gaussian proximity `g`, or a neutral value
/// (noted in `details`) when one side is undated.
pub(crate) fn push_time_signal(
    signals: &mut Vec<Signal>,
    details: &mut Vec<String>,
    g: Option<f64>,
    weight: f64,
) {
    match g {
        Some(g) => signals.push(Signal {
            name: "time".into(),
            value: g,
            contribution: weight * (g - 0.5),
        }),
        None => {
            details.push("time: undated side, neutral".into());
            signals.push(Signal {
                name: "time".into(),
                value: 0.5,
                contribution: 0.0,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn pair_similarity_grades_and_stays_in_range() {
        let low = pair_similarity(0.05, 0.0, Some(0.75));
        let mid = pair_similarity(0.3, 0.3, Some(0.85));
        let high = pair_similarity(0.7, 0.8, Some(0.95));
        assert!(low < mid && mid < high, "{low} {mid} {high}");
        for x in [low, mid, high, pair_similarity(1.0, 1.0, None)] {
            assert!((0.0..=1.0).contains(&x));
        }
    }
}
