//! Choosing which (q, phi) pairs to load: the per-layout q-selection rules and the loader's
//! optional `data_filtering` (q_range / phi_range, AND/OR, fallback on empty). Everything
//! here works on labels only, so matrices that are not selected are never read.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, DataResult, fmt_list, fmt_sig};

/// An inclusive interval; a missing bound is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueRange {
    /// Lower bound (inclusive); `None` = unbounded below.
    pub min: Option<f64>,
    /// Upper bound (inclusive); `None` = unbounded above.
    pub max: Option<f64>,
}

/// How `data_filtering` combines its q and phi criteria.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CombineCriteria {
    /// A pair must pass every configured criterion.
    #[default]
    And,
    /// A pair must pass at least one configured criterion.
    Or,
}

/// The loader's `data_filtering` section (off unless `enabled`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFilterOptions {
    /// Whether filtering is applied at all.
    pub enabled: bool,
    /// Inclusive q range (Å⁻¹).
    pub q_range: Option<ValueRange>,
    /// Inclusive phi range (degrees, raw file values); `min > max` wraps:
    /// `phi ≥ min OR phi ≤ max`.
    pub phi_range: Option<ValueRange>,
    /// How the q and phi criteria combine when both are given.
    pub combine_criteria: CombineCriteria,
    /// When nothing passes: keep every pair (true, the default) or report an empty selection.
    pub fallback_on_empty: bool,
}

impl Default for DataFilterOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            q_range: None,
            phi_range: None,
            combine_criteria: CombineCriteria::And,
            fallback_on_empty: true,
        }
    }
}

fn in_range(v: f64, r: &ValueRange) -> bool {
    r.min.is_none_or(|lo| v >= lo) && r.max.is_none_or(|hi| v <= hi)
}

fn in_phi_range(v: f64, r: &ValueRange) -> bool {
    match (r.min, r.max) {
        (Some(lo), Some(hi)) if lo > hi => v >= lo || v <= hi,
        _ => in_range(v, r),
    }
}

/// Indices of the pairs passing `data_filtering`, or `None` when filtering is disabled or
/// has no criteria. An empty result with `fallback_on_empty` becomes all indices.
pub(crate) fn data_filter_indices(
    q: &[f64],
    phi: &[f64],
    opts: &DataFilterOptions,
) -> Option<Vec<usize>> {
    if !opts.enabled || (opts.q_range.is_none() && opts.phi_range.is_none()) {
        return None;
    }
    let keep = |i: usize| {
        let q_ok = opts.q_range.as_ref().map(|r| in_range(q[i], r));
        let phi_ok = opts.phi_range.as_ref().map(|r| in_phi_range(phi[i], r));
        let criteria = [q_ok, phi_ok];
        let mut active = criteria.iter().flatten();
        match opts.combine_criteria {
            CombineCriteria::And => active.all(|&b| b),
            CombineCriteria::Or => active.any(|&b| b),
        }
    };
    let kept: Vec<usize> = (0..q.len().min(phi.len())).filter(|&i| keep(i)).collect();
    if kept.is_empty() && opts.fallback_on_empty {
        let range = |r: &Option<ValueRange>| {
            r.as_ref().map_or_else(
                || "any".to_string(),
                |r| {
                    let b = |v: Option<f64>| v.map_or_else(|| "..".to_string(), fmt_sig);
                    format!("[{}, {}]", b(r.min), b(r.max))
                },
            )
        };
        tracing::warn!(
            "data_filtering (q_range {}, phi_range {}, {:?}) keeps none of the {} (q, phi) \
             pairs (q {}; phi {}): falling back to all pairs (data_filtering.fallback_on_empty)",
            range(&opts.q_range),
            range(&opts.phi_range),
            opts.combine_criteria,
            q.len().min(phi.len()),
            fmt_list(&q_rings(q)),
            fmt_list(&q_rings(phi))
        );
        return Some((0..q.len().min(phi.len())).collect());
    }
    Some(kept)
}

/// Index of the value closest to `target` (first on ties; NaN values never win).
pub(crate) fn nearest_index(values: &[f64], target: f64) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .fold(None, |best: Option<(usize, f64)>, (i, &v)| {
            let d = (v - target).abs();
            match best {
                Some((_, bd)) if bd <= d => best,
                _ => Some((i, d)),
            }
        })
        .map(|(i, _)| i)
}

/// Every distinct q of `q` (NaN left out), ascending.
pub(crate) fn q_rings(q: &[f64]) -> Vec<f64> {
    let mut rings: Vec<f64> = q.iter().copied().filter(|v| !v.is_nan()).collect();
    rings.sort_by(f64::total_cmp);
    rings.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs().max(1e-300));
    rings
}

/// Whether `q` lies within `tolerance_fraction` of `target` (relative to `target`).
pub(crate) fn q_within(q: f64, target: f64, tolerance_fraction: f64) -> bool {
    // The small slack keeps a ring exactly at the tolerance edge (decimal input) inside.
    (q - target).abs() <= tolerance_fraction * target.abs() * (1.0 + 1e-9)
}

/// The requested ring must exist: the q of `q` closest to `target` must lie within
/// `tolerance_fraction · target`, else [`DataError::QNotInFile`] naming the file, the
/// requested q and every ring of the file (the loader never silently swaps rings).
pub(crate) fn check_requested_q(
    path: &Path,
    q: &[f64],
    target: f64,
    tolerance_fraction: f64,
) -> DataResult<()> {
    let Some(i) = nearest_index(q, target) else {
        return Err(DataError::EmptySelection {
            path: path.to_path_buf(),
            reason: "the file labels no matrix with a q value".into(),
        });
    };
    if q_within(q[i], target, tolerance_fraction) {
        return Ok(());
    }
    Err(DataError::QNotInFile {
        path: path.to_path_buf(),
        requested: target,
        tolerance_fraction,
        nearest: q[i],
        rings: q_rings(q),
    })
}

/// APS-U rule: the q closest to the target, then every pair with that q (|Δq| < 1e-10).
pub(crate) fn select_q_aps_u(q: &[f64], target_q: f64) -> Vec<usize> {
    let Some(sel) = nearest_index(q, target_q) else {
        return Vec::new();
    };
    let q_sel = q[sel];
    (0..q.len())
        .filter(|&i| (q[i] - q_sel).abs() < 1e-10)
        .collect()
}

/// APS-old rule: pairs within `tolerance_fraction · q_sel` of the closest q; fewer than 5
/// → the `min(10, N)` pairs closest to the target instead (returned in file order).
pub(crate) fn select_q_aps_old(q: &[f64], target_q: f64, tolerance_fraction: f64) -> Vec<usize> {
    let Some(sel) = nearest_index(q, target_q) else {
        return Vec::new();
    };
    let q_sel = q[sel];
    let tol = tolerance_fraction * q_sel;
    let within: Vec<usize> = (0..q.len())
        .filter(|&i| (q[i] - q_sel).abs() <= tol)
        .collect();
    if within.len() >= 5 {
        return within;
    }
    let mut by_distance: Vec<usize> = (0..q.len()).filter(|&i| !q[i].is_nan()).collect();
    by_distance.sort_by(|&a, &b| {
        (q[a] - target_q)
            .abs()
            .total_cmp(&(q[b] - target_q).abs())
            .then(a.cmp(&b))
    });
    by_distance.truncate(10.min(q.len()));
    by_distance.sort_unstable();
    let far: Vec<f64> = by_distance
        .iter()
        .map(|&i| q[i])
        .filter(|&v| !q_within(v, q_sel, tolerance_fraction))
        .collect();
    if !far.is_empty() {
        tracing::warn!(
            "APS-old file: only {} pair(s) lie within {} % of q = {}; using the {} pairs \
             closest to the requested q (the reference's rule), including q = {} (other rings)",
            within.len(),
            fmt_sig(100.0 * tolerance_fraction),
            fmt_sig(q_sel),
            by_distance.len(),
            fmt_list(&q_rings(&far))
        );
    }
    by_distance
}

/// Keep the entries of `selected` that are also in `filter` (order of `selected`).
pub(crate) fn intersect(selected: &[usize], filter: Option<&[usize]>) -> Vec<usize> {
    match filter {
        None => selected.to_vec(),
        Some(f) => selected.iter().copied().filter(|i| f.contains(i)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_q() {
        assert_eq!(
            nearest_index(&[0.003, 0.0054, 0.008, 0.01], 0.0054),
            Some(1)
        );
        assert_eq!(
            nearest_index(&[0.003, 0.0054, 0.008, 0.01], 0.0099),
            Some(3)
        );
        assert_eq!(nearest_index(&[], 0.1), None);
    }

    #[test]
    fn requested_q_must_be_within_tolerance() {
        let p = Path::new("rings.h5");
        let q = [0.0054, 0.0054, 0.008, 0.008];
        assert!(check_requested_q(p, &q, 0.0054, 0.1).is_ok());
        assert!(check_requested_q(p, &q, 0.0058, 0.1).is_ok());
        // 0.008 is 9 % below 0.0088 (inside); 13 % below 0.0092 (outside).
        assert!(check_requested_q(p, &q, 0.0088, 0.1).is_ok());
        let e = check_requested_q(p, &q, 0.5, 0.1).unwrap_err();
        let msg = e.to_string();
        for part in [
            "rings.h5",
            "wavevector_q = 0.5",
            "0.0054, 0.008",
            "10 %",
            "nearest ring 0.008",
        ] {
            assert!(msg.contains(part), "{msg} lacks {part}");
        }
        assert!(matches!(e, DataError::QNotInFile { .. }));
        assert!(check_requested_q(p, &q, 0.0092, 0.1).is_err());
        assert_eq!(
            q_rings(&[0.008, f64::NAN, 0.0054, 0.008]),
            vec![0.0054, 0.008]
        );
    }

    #[test]
    fn aps_u_keeps_the_whole_ring() {
        let q = [0.001, 0.001, 0.002, 0.002, 0.002, 0.003];
        assert_eq!(select_q_aps_u(&q, 0.0021), vec![2, 3, 4]);
    }

    #[test]
    fn aps_old_tolerance_and_fallback() {
        let q = [0.0050, 0.0052, 0.0054, 0.0055, 0.0056, 0.0090];
        assert_eq!(select_q_aps_old(&q, 0.0054, 0.1), vec![0, 1, 2, 3, 4]);
        let sparse = [0.001, 0.002, 0.003, 0.0054, 0.008];
        // Only one within 10 %: take the min(10, N) closest = all, in file order.
        assert_eq!(select_q_aps_old(&sparse, 0.0054, 0.1), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn data_filtering_ranges() {
        let q = [0.001, 0.002, 0.003, 0.004];
        let phi = [-170.0, -10.0, 10.0, 175.0];
        let mut o = DataFilterOptions {
            enabled: true,
            phi_range: Some(ValueRange {
                min: Some(170.0),
                max: Some(-160.0),
            }),
            ..Default::default()
        };
        assert_eq!(data_filter_indices(&q, &phi, &o), Some(vec![0, 3]));
        o.q_range = Some(ValueRange {
            min: Some(0.0025),
            max: None,
        });
        assert_eq!(data_filter_indices(&q, &phi, &o), Some(vec![3]));
        o.combine_criteria = CombineCriteria::Or;
        assert_eq!(data_filter_indices(&q, &phi, &o), Some(vec![0, 2, 3]));
        o.combine_criteria = CombineCriteria::And;
        o.q_range = Some(ValueRange {
            min: Some(1.0),
            max: None,
        });
        assert_eq!(data_filter_indices(&q, &phi, &o), Some(vec![0, 1, 2, 3]));
        o.fallback_on_empty = false;
        assert_eq!(data_filter_indices(&q, &phi, &o), Some(vec![]));
        o.enabled = false;
        assert_eq!(data_filter_indices(&q, &phi, &o), None);
    }
}
