//! The one-engine invariant: a stream ingested in one run, in several runs on one store (the
//! engine reopened in between), or in parts of any size gives a byte-identical export.

use nuntius_cluster::Params;
use nuntius_engine::{ingest_records, synthetic, view, Engine};
use nuntius_model::RawArticle;
use nuntius_store::SqliteStore;
use proptest::prelude::*;

/// Every export record but `path`, one JSON line each.
fn export(store: &SqliteStore) -> Vec<String> {
    let snap = view::Snapshot::load(store).expect("snapshot");
    snap.articles
        .iter()
        .map(|a| {
            let mut r = snap.export_record(a);
            if let Some(o) = r.as_object_mut() {
                o.remove("path");
            }
            r.to_string()
        })
        .collect()
}

/// Ingests `runs` one after another on one store file, each run in parts of `part` records.
fn ingest_in_runs(runs: &[&[RawArticle]], part: usize) -> Vec<String> {
    ingest_in_runs_with(runs, part, &Params::default()).0
}

/// [`ingest_in_runs`] with `params`; also the events in memory after a last reopen.
fn ingest_in_runs_with(
    runs: &[&[RawArticle]],
    part: usize,
    params: &Params,
) -> (Vec<String>, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.sqlite");
    for run in runs {
        let store = SqliteStore::open(&path).expect("store");
        let mut engine = Engine::open(Box::new(store), params.clone()).expect("engine");
        let parts = run.chunks(part.max(1)).map(<[RawArticle]>::to_vec);
        ingest_records(&mut engine, parts, 512, &mut |_| {}).expect("ingest");
    }
    let store = SqliteStore::open(&path).expect("store");
    let exported = export(&store);
    let engine = Engine::open(Box::new(store), params.clone()).expect("engine");
    (exported, engine.clusterer().event_count())
}

fn cut(stream: &[RawArticle], cuts: &[usize]) -> Vec<Vec<RawArticle>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    at.sort_unstable();
    let mut runs = Vec::new();
    let mut from = 0;
    for c in at.into_iter().chain([stream.len()]) {
        runs.push(stream[from..c.max(from)].to_vec());
        from = c.max(from);
    }
    runs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    /// A stream eight times longer than the active window: events leave memory in every run,
    /// and a reopened engine restores only the window's articles.
    #[test]
    fn runs_cut_anywhere_in_a_stream_longer_than_the_window_do_not_change_the_export(
        seed in 0u64..1_000,
        cuts in proptest::collection::vec(0usize..10_000, 1..6),
        part in 1usize..200,
    ) {
        let stream: Vec<RawArticle> = synthetic::long_stream(seed, 800, 160).collect();
        let params = Params { window_days: 20, ..Params::default() };
        let (whole, in_memory) = ingest_in_runs_with(&[&stream], 512, &params);
        prop_assert_eq!(whole.len(), stream.len());
        let events: std::collections::BTreeSet<&str> = whole
            .iter()
            .filter_map(|r| r.split("\"event\":").nth(1)?.split(',').next())
            .collect();
        prop_assert!(in_memory * 3 < events.len(), "{} of {} events in memory", in_memory, events.len());
        let runs = cut(&stream, &cuts);
        let runs: Vec<&[RawArticle]> = runs.iter().map(Vec::as_slice).collect();
        let (split, _) = ingest_in_runs_with(&runs, part, &params);
        for (a, b) in whole.iter().zip(&split) {
            prop_assert_eq!(a, b);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn runs_and_parts_do_not_change_the_export(
        seed in 0u64..1_000,
        cuts in proptest::collection::vec(0usize..10_000, 0..6),
        part in 1usize..80,
    ) {
        let stream = synthetic::stream(seed, 90);
        let whole = ingest_in_runs(&[&stream], 512);
        prop_assert_eq!(whole.len(), stream.len());
        let runs = cut(&stream, &cuts);
        let runs: Vec<&[RawArticle]> = runs.iter().map(Vec::as_slice).collect();
        let split = ingest_in_runs(&runs, part);
        for (a, b) in whole.iter().zip(&split) {
            prop_assert_eq!(a, b);
        }
    }
}

#[test]
fn a_batch_of_one_and_a_batch_of_512_give_the_same_export() {
    let stream = synthetic::stream(7, 1_500);
    let whole = ingest_in_runs(&[&stream], 512);
    let ones = ingest_in_runs(&[&stream[..700], &stream[700..]], 1);
    assert_eq!(whole.len(), ones.len());
    let differ = whole.iter().zip(&ones).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{differ} of {} records differ", whole.len());
}
