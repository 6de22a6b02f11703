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
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.sqlite");
    for run in runs {
        let store = SqliteStore::open(&path).expect("store");
        let mut engine = Engine::open(Box::new(store), Params::default()).expect("engine");
        let parts = run.chunks(part.max(1)).map(<[RawArticle]>::to_vec);
        ingest_records(&mut engine, parts, 512, &mut |_| {}).expect("ingest");
    }
    export(&SqliteStore::open(&path).expect("store"))
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
