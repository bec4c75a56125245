//! Diagnostics against golden values computed by ArviZ 1.3.0 / arviz-stats 1.3.3
//! (fixtures copied from shared/fixtures/cmc_diagnostics.*; see their README).

use std::fs::File;
use std::path::PathBuf;

use homodyne_mcmc::{
    DEFAULT_TAIL_PROBS, ess_bulk, ess_mean, ess_tail, mcse_mean, mcse_sd, rhat_rank, summarize,
};
use ndarray::{Array0, Array2, ArrayView2};
use ndarray_npy::NpzReader;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

type Stat = fn(ArrayView2<f64>) -> f64;

fn tail(d: ArrayView2<f64>) -> f64 {
    ess_tail(d, DEFAULT_TAIL_PROBS)
}

const STATS: [(&str, Stat); 6] = [
    ("rhat_rank", rhat_rank),
    ("ess_bulk", ess_bulk),
    ("ess_tail_05_95", tail),
    ("ess_mean", ess_mean),
    ("mcse_mean", mcse_mean),
    ("mcse_sd", mcse_sd),
];

#[test]
fn every_case_and_statistic_matches_arviz() {
    let meta: serde_json::Value =
        serde_json::from_reader(File::open(fixture("cmc_diagnostics.json")).unwrap()).unwrap();
    let cases: Vec<String> = meta["case_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let stat_names: Vec<&String> = meta["stats"].as_object().unwrap().keys().collect();
    // The fixture's statistics are exactly the ones checked here.
    let mut ours: Vec<&str> = STATS.iter().map(|s| s.0).collect();
    ours.sort();
    assert_eq!(stat_names, ours);
    assert_eq!(cases.len(), 9);

    let mut npz = NpzReader::new(File::open(fixture("cmc_diagnostics.npz")).unwrap()).unwrap();
    let mut checked = 0;
    let mut worst = 0.0f64;
    for case in &cases {
        let draws: Array2<f64> = npz.by_name(&format!("{case}__draws")).unwrap();
        let summary = summarize(draws.view());
        for (name, stat) in STATS {
            let want: Array0<f64> = npz.by_name(&format!("{case}__{name}")).unwrap();
            let want = want.into_scalar();
            let got = stat(draws.view());
            if want.is_nan() {
                assert!(got.is_nan(), "{case} {name}: got {got}, ArviZ NaN");
            } else {
                let rel = ((got - want) / want).abs();
                worst = worst.max(rel);
                assert!(
                    rel <= 1e-10,
                    "{case} {name}: got {got}, ArviZ {want} (rel {rel:e})"
                );
            }
            let in_summary = match name {
                "rhat_rank" => summary.rhat,
                "ess_bulk" => summary.ess_bulk,
                "ess_tail_05_95" => summary.ess_tail,
                "mcse_mean" => summary.mcse_mean,
                "mcse_sd" => summary.mcse_sd,
                _ => got,
            };
            assert!(
                in_summary.to_bits() == got.to_bits(),
                "{case} {name}: summary differs"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 9 * 6);
    eprintln!("largest relative difference from ArviZ: {worst:e}");
}
