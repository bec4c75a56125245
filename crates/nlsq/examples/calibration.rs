//! The uncertainty calibration study of issue 9 (run by `scripts/calibration.sh`).
//!
//! Fits N static (3 angles x 100 frames) and N laminar-flow (8 angles x 80 frames)
//! simulated datasets, Gaussian noise sigma 0.01 either added to the upper triangle and
//! mirrored (what an APS half-matrix file is after loading) or independent in every
//! element (an NPZ input), with the default options: sigma measured from the data, each
//! measurement of symmetric data counted once. Prints, per parameter, the mean and std of
//! z = (fit - truth) / uncertainty and the 1-sigma / 2-sigma coverage, and checks the
//! acceptance band: std z in 0.85-1.15 and 1-sigma coverage 60-76 %. Exit status 1 when a
//! row is outside it. N defaults to 500 (see `scripts/calibration.sh` for why not 50).
//!
//!     cargo run --release -p homodyne-nlsq --example calibration -- [N] [first seed]

#[path = "../tests/support/calibration.rs"]
mod calibration;
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use calibration::{Noise, Problem, run};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .first()
        .map_or(500, |s| s.parse().expect("N: a number"));
    let seed0: u64 = args
        .get(1)
        .map_or(0, |s| s.parse().expect("seed: a number"));
    let started = Instant::now();
    let mut outside = Vec::new();
    for (problem, n_t) in [(Problem::Static, 100), (Problem::Laminar, 80)] {
        for noise in [Noise::Symmetric, Noise::Independent] {
            let study = run(problem, noise, n_t, common::SIGMA, n, seed0 + 100_000);
            print!("{}", study.table());
            for r in &study.rows {
                let ok = (0.85..=1.15).contains(&r.std) && (0.60..=0.76).contains(&r.within_1);
                if !ok {
                    outside.push(format!(
                        "{} / {}: {} (std z {:.3}, 1-sigma {:.1} %)",
                        problem.as_str(),
                        noise.as_str(),
                        r.name,
                        r.std,
                        100.0 * r.within_1
                    ));
                }
            }
            if study.not_converged > 0 {
                outside.push(format!(
                    "{} / {}: {} fits did not converge",
                    problem.as_str(),
                    noise.as_str(),
                    study.not_converged
                ));
            }
            println!();
        }
    }
    println!(
        "{} datasets per case in {:.1} s; acceptance: std z in 0.85-1.15, 1-sigma coverage \
         60-76 %",
        n,
        started.elapsed().as_secs_f64()
    );
    if outside.is_empty() {
        println!("every row inside the acceptance band");
    } else {
        println!("outside the acceptance band:");
        for o in &outside {
            println!("  {o}");
        }
        std::process::exit(1);
    }
}
