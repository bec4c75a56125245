//! `cmc/posterior.zarr`: the posterior as an ArviZ InferenceData (Zarr v2 store, CMC
//! design note §4), readable by `xarray.open_datatree(path, engine="zarr")` (ArviZ 1.x, or
//! ArviZ 0.x through `az.InferenceData.from_datatree`) and `az.from_zarr` (ArviZ 0.x).
//!
//! * `posterior`: each free physical parameter as its own variable `(chain, draw)`
//!   (fixed ones omitted), `contrast` and `offset` `(chain, draw, angle)` with the
//!   coordinate `angle` = phi in degrees;
//! * `sample_stats`: `diverging` (bool), `step_size`, `tree_depth` and `n_steps` (int64),
//!   `lp`, `energy`, `acceptance_rate`, all `(chain, draw)`;
//! * `constant_data`: `phi` and `sigma` `(angle)`, `t` `(time)` in seconds;
//! * root attributes `created_by`, `created_at`, `inference_library`, `sampling_method`
//!   (`nuts` for one shard, `consensus_mc` otherwise), `num_shards`, `combination`,
//!   `ess_tail_quantiles`, `analysis_mode`, `per_angle_mode`; the posterior and
//!   sample_stats groups carry the same.
//!
//! With several shards, each shard's own posterior (the sampled vector, one variable per
//! entry, `(chain, draw)`) is kept in `shards/shard_XXXX/posterior` for diagnosis, when
//! all of them together stay below 50 MB (the shard checkpoints hold them in any case).

use std::path::{Path, PathBuf};

use homodyne_zarr::{Array, Attrs, InferenceData};
use ndarray::Axis;
use serde_json::{Value, json};

use crate::cmc_files::{CmcRun, Derived, ESS_TAIL_QUANTILES};
use crate::error::{OutputError, OutputResult};
use crate::json::timestamp;
use crate::run::record_file;

/// Largest total size of the per-shard groups.
const SHARD_GROUPS_MAX_BYTES: usize = 50 << 20;

/// nuts-rs, pinned in the workspace.
const INFERENCE_LIBRARY: &str = "nuts-rs 0.19.1";

/// Write the store at `path` (atomically: the zarr writer builds it under a temporary
/// name and renames it) and return the path.
pub(crate) fn write_posterior_zarr(
    path: &Path,
    run: &CmcRun,
    derived: &Derived,
) -> OutputResult<PathBuf> {
    let result = run.result;
    let (c, n, _) = result.draws.dim();
    let phi: Vec<f64> = run.data.phi_angles_list.to_vec();
    let mut attrs = Attrs::new();
    let mut attr = |k: &str, v: Value| {
        attrs.insert(k.to_string(), v);
    };
    attr(
        "created_by",
        json!(format!("homodyne-rs {}", env!("CARGO_PKG_VERSION"))),
    );
    attr("created_at", json!(timestamp()));
    attr("inference_library", json!(INFERENCE_LIBRARY));
    attr(
        "sampling_method",
        json!(if result.num_shards > 1 {
            "consensus_mc"
        } else {
            "nuts"
        }),
    );
    attr("num_shards", json!(result.num_shards));
    attr("combination", json!(result.combination));
    attr("ess_tail_quantiles", json!(ESS_TAIL_QUANTILES));
    attr("analysis_mode", json!(result.layout.mode.as_str()));
    attr("per_angle_mode", json!(result.layout.scaling_kind.as_str()));

    let mut idata = InferenceData::new();
    for (k, v) in &attrs {
        idata.attr(k, v.clone());
    }
    let angle = || Array::vector(phi.clone(), "angle").with_attr("units", "deg");
    let chain_draw = ["chain", "draw"];
    {
        let post = idata.posterior();
        for (k, v) in &attrs {
            post.attr(k, v.clone());
        }
        for k in derived.free() {
            let values: Vec<f64> = derived.physical_draws(k).iter().copied().collect();
            post.var(
                &derived.physical_names[k],
                Array::new(values, &[c, n], &chain_draw),
            );
        }
        let cube = |a: &ndarray::Array3<f64>| a.iter().copied().collect::<Vec<f64>>();
        let dims = ["chain", "draw", "angle"];
        let n_phi = phi.len();
        post.var(
            "contrast",
            Array::new(cube(&derived.contrast), &[c, n, n_phi], &dims),
        )
        .var(
            "offset",
            Array::new(cube(&derived.offset), &[c, n, n_phi], &dims),
        )
        .coord("angle", angle());
    }
    {
        let st = &result.sample_stats;
        let stats = idata.sample_stats();
        for (k, v) in &attrs {
            stats.attr(k, v.clone());
        }
        let f = |a: &ndarray::Array2<f64>| {
            Array::new(
                a.iter().copied().collect::<Vec<f64>>(),
                &[c, n],
                &chain_draw,
            )
        };
        let i = |a: &ndarray::Array2<i64>| {
            Array::new(
                a.iter().copied().collect::<Vec<i64>>(),
                &[c, n],
                &chain_draw,
            )
        };
        stats
            .var(
                "diverging",
                Array::new(
                    st.diverging.iter().copied().collect::<Vec<bool>>(),
                    &[c, n],
                    &chain_draw,
                ),
            )
            .var("step_size", f(&st.step_size))
            .var("tree_depth", i(&st.tree_depth))
            .var("n_steps", i(&st.n_steps))
            .var("lp", f(&st.lp))
            .var("energy", f(&st.energy))
            .var("acceptance_rate", f(&st.acceptance_rate));
        if st.diverging.len_of(Axis(0)) != c || st.diverging.len_of(Axis(1)) != n {
            return Err(OutputError::Inconsistent(format!(
                "sample statistics of shape {:?} for draws ({c}, {n})",
                st.diverging.dim()
            )));
        }
    }
    {
        let sigma: Vec<f64> = (0..phi.len())
            .map(|a| match run.sigma.len() {
                0 => f64::NAN,
                1 => run.sigma[0],
                _ => run.sigma.get(a).copied().unwrap_or(f64::NAN),
            })
            .collect();
        idata
            .constant_data()
            .var(
                "phi",
                Array::vector(phi.clone(), "angle").with_attr("units", "deg"),
            )
            .var("sigma", Array::vector(sigma, "angle"))
            .var(
                "t",
                Array::vector(run.data.t1.to_vec(), "time").with_attr("units", "s"),
            )
            .coord("angle", angle());
    }
    let shard_bytes: usize = result.shard_draws.iter().map(|(_, a)| a.len() * 8).sum();
    if result.num_shards > 1 && shard_bytes <= SHARD_GROUPS_MAX_BYTES {
        for (index, draws) in &result.shard_draws {
            let (sc, sn, d) = draws.dim();
            let group = idata.group(&format!("shards/shard_{index:04}/posterior"));
            for (j, name) in result.names.iter().enumerate().take(d) {
                let values: Vec<f64> = draws.index_axis(Axis(2), j).iter().copied().collect();
                group.var(name, Array::new(values, &[sc, sn], &chain_draw));
            }
        }
    }
    let written = idata.write(path).map_err(|e| OutputError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    record_file(&written);
    Ok(written)
}
