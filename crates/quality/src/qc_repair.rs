//! Auto-repair of a c2 stack in place: ±Inf capped to the finite extremes of their matrix,
//! NaN filled (median, neighbour mean or zero), negative values raised to a floor
//! (aggressive strategy only) and gross scaling errors rescaled. Every repair that changes
//! at least one value becomes a [`RepairRecord`] and a `tracing::warn!` line; this module
//! exists so that all code that modifies the user's data sits in one place.

use crate::qc_config::{NanRepairMethod, QualityControlConfig, RepairStrategy};
use crate::qc_outcome::{RepairKind, RepairRecord};
use crate::stats::percentile;
use ndarray::{Array2, ArrayViewMut3, Axis};

/// Applies the configured repairs in place; returns what was done.
pub(crate) fn repair(
    config: &QualityControlConfig,
    mut c2: ArrayViewMut3<f64>,
) -> Vec<RepairRecord> {
    let c = config;
    let mut out = Vec::new();
    let n_phi = c2.len_of(Axis(0));
    if c.repair_infinite_values {
        let mut per = vec![0usize; n_phi];
        for (k, mut m) in c2.axis_iter_mut(Axis(0)).enumerate() {
            let lo = m
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min);
            let hi = m
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                continue; // no finite value to cap to
            }
            for v in m.iter_mut() {
                if *v == f64::INFINITY {
                    *v = hi;
                    per[k] += 1;
                } else if *v == f64::NEG_INFINITY {
                    *v = lo;
                    per[k] += 1;
                }
            }
        }
        push_record(
            &mut out,
            RepairKind::Infinite,
            "cap_to_finite_extremes",
            per,
            "infinite values capped to the finite max/min of their matrix",
        );
    }
    if c.repair_nan_values {
        let mut per = vec![0usize; n_phi];
        for (k, mut m) in c2.axis_iter_mut(Axis(0)).enumerate() {
            per[k] = repair_nan(&mut m, c.nan_repair_method);
        }
        let (name, how) = match c.nan_repair_method {
            NanRepairMethod::Median => ("median", "median of the finite values of their matrix"),
            NanRepairMethod::Interpolate => (
                "interpolate",
                "mean of finite neighbours (matrix median where none)",
            ),
            NanRepairMethod::Zero => ("zero", "zero"),
        };
        push_record(
            &mut out,
            RepairKind::Nan,
            name,
            per,
            &format!("NaN values replaced by the {how}"),
        );
    }
    if c.repair_negative_correlations && c.auto_repair == RepairStrategy::Aggressive {
        let floor = c.negative_floor;
        let mut per = vec![0usize; n_phi];
        for (k, mut m) in c2.axis_iter_mut(Axis(0)).enumerate() {
            for v in m.iter_mut() {
                if *v < 0.0 {
                    *v = floor;
                    per[k] += 1;
                }
            }
        }
        push_record(
            &mut out,
            RepairKind::Negative,
            "floor",
            per,
            &format!("negative correlation values set to {floor:e}"),
        );
    }
    if c.repair_scaling_issues {
        let (mut s, mut n) = (0.0, 0usize);
        for v in c2.iter().filter(|v| v.is_finite()) {
            s += v;
            n += 1;
        }
        let mean = if n > 0 { s / n as f64 } else { f64::NAN };
        let action = if mean > 100.0 {
            Some((0.01, "divide_by_100", "rescaled by 1/100 (mean > 100)"))
        } else if mean > 10.0 {
            Some((0.1, "divide_by_10", "rescaled by 1/10 (mean > 10)"))
        } else if mean > 0.0 && mean < 0.01 {
            Some((10.0, "multiply_by_10", "rescaled by 10 (0 < mean < 0.01)"))
        } else {
            None
        };
        if let Some((f, name, how)) = action {
            let per: Vec<usize> = c2
                .axis_iter_mut(Axis(0))
                .map(|mut m| {
                    let mut k = 0;
                    for v in m.iter_mut().filter(|v| v.is_finite()) {
                        *v *= f;
                        k += 1;
                    }
                    k
                })
                .collect();
            push_record(
                &mut out,
                RepairKind::Scaling,
                name,
                per,
                &format!("c2 {how}"),
            );
        }
    }
    out
}

fn push_record(
    out: &mut Vec<RepairRecord>,
    kind: RepairKind,
    method: &str,
    per_angle: Vec<usize>,
    what: &str,
) {
    let count: usize = per_angle.iter().sum();
    if count == 0 {
        return;
    }
    let description = format!("Repaired {count} values in c2: {what}");
    tracing::warn!("quality control auto-repair: {description}");
    out.push(RepairRecord {
        kind,
        method: method.into(),
        count,
        per_angle,
        description,
    });
}

/// Fills the NaN cells of one matrix; returns how many were filled.
fn repair_nan(m: &mut ndarray::ArrayViewMut2<f64>, method: NanRepairMethod) -> usize {
    let nan_count = m.iter().filter(|v| v.is_nan()).count();
    if nan_count == 0 {
        return 0;
    }
    let mut finite: Vec<f64> = m.iter().copied().filter(|v| v.is_finite()).collect();
    let med = if finite.is_empty() {
        None
    } else {
        Some(percentile(&mut finite, 50.0))
    };
    match method {
        NanRepairMethod::Zero => {
            m.mapv_inplace(|v| if v.is_nan() { 0.0 } else { v });
            nan_count
        }
        NanRepairMethod::Median => match med {
            Some(x) => {
                m.mapv_inplace(|v| if v.is_nan() { x } else { v });
                nan_count
            }
            None => 0,
        },
        NanRepairMethod::Interpolate => {
            let Some(x) = med else { return 0 };
            let src: Array2<f64> = m.to_owned();
            let (r, c) = src.dim();
            for ((i, j), v) in m.indexed_iter_mut() {
                if !v.is_nan() {
                    continue;
                }
                let (mut s, mut n) = (0.0, 0usize);
                for di in -1isize..=1 {
                    for dj in -1isize..=1 {
                        let (ii, jj) = (i as isize + di, j as isize + dj);
                        if (di, dj) == (0, 0)
                            || ii < 0
                            || jj < 0
                            || ii >= r as isize
                            || jj >= c as isize
                        {
                            continue;
                        }
                        let w = src[[ii as usize, jj as usize]];
                        if w.is_finite() {
                            s += w;
                            n += 1;
                        }
                    }
                }
                *v = if n > 0 { s / n as f64 } else { x };
            }
            nan_count
        }
    }
}
