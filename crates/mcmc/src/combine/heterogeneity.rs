//! Coefficient of variation of shard means (the reference's heterogeneity check).

use super::options::HeterogeneityOptions;
use super::result::Heterogeneity;

/// CV per parameter over the rows of `means` (one row per used shard), with warnings and
/// exceedances among the checked parameters. See [`HeterogeneityOptions`].
pub fn heterogeneity(
    means: &[Vec<f64>],
    opts: &HeterogeneityOptions,
    from_supplied_means: bool,
) -> Heterogeneity {
    let p = means.first().map_or(0, Vec::len);
    let k = means.len() as f64;
    let cv: Vec<f64> = (0..p)
        .map(|j| {
            let mean = means.iter().map(|m| m[j]).sum::<f64>() / k;
            let sd = (means.iter().map(|m| (m[j] - mean).powi(2)).sum::<f64>() / k).sqrt();
            let floor = opts.floor.as_ref().map_or(0.0, |f| f[j]);
            let scale = mean.abs().max(floor);
            if sd == 0.0 {
                0.0
            } else if scale > 0.0 {
                sd / scale
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let checked: Vec<usize> = match &opts.checked {
        Some(idx) => idx.clone(),
        None => (0..p).collect(),
    };
    let warned = checked
        .iter()
        .copied()
        .filter(|&j| cv[j] > opts.warn_cv)
        .collect();
    let exceeded = checked
        .iter()
        .copied()
        .filter(|&j| cv[j] > opts.max_cv)
        .collect();
    Heterogeneity {
        cv,
        warned,
        exceeded,
        from_supplied_means,
    }
}
