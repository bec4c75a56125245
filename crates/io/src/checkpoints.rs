//! Finished-shard checkpoints of a CMC run ([`ShardCheckpoints`], a
//! `homodyne_cmc::ShardStore`), so that an interrupted run resumes where it stopped.
//!
//! Shard `i` is two files in the checkpoint folder, both written atomically:
//!
//! * `shard_<iiii>.npz`: per chain (stacked as `(chain, draw, d)` and `(chain, draw)`)
//!   `z` and `x` (the draws in the sampler's and the model's coordinates, float64),
//!   `diverging`, `tree_depth`, `n_steps` (int64), `step_size`, `lp`, `energy`,
//!   `acceptance_rate` (float64), and `fingerprint` (the decimal string);
//! * `shard_<iiii>.json`, written after the archive (so it marks a complete checkpoint):
//!   `format_version`, `index`, `fingerprint` (decimal string: a u64 does not fit a JSON
//!   number read as f64), `n_points`, `n_chains`, `n_draws`, `dim`, and per chain
//!   `warmup_divergences`, `gradient_evaluations`, `seconds`.
//!
//! A checkpoint is used only when both files exist, parse, carry the requested index and
//! fingerprint (in both files) and have consistent shapes; anything else (stale settings,
//! a truncated archive, a missing half) is ignored with a debug log line, never a panic.
//! Values round-trip bit for bit. Checkpoints are scratch files: they are not listed in
//! the run summary.

use std::path::{Path, PathBuf};

use homodyne_cmc::{ChainDraws, ShardResult, ShardStore};
use homodyne_data::NpzReader;
use ndarray::ArrayD;
use serde_json::{Value, json};

use crate::error::{OutputError, OutputResult, io_err};
use crate::json::write_json_unrecorded;
use crate::npy::TypedNpz;

/// Version of the checkpoint files; others are ignored.
const FORMAT_VERSION: u64 = 1;

/// Finished-shard checkpoints in one folder (the facade uses `<out>/cmc/shards`).
#[derive(Debug, Clone)]
pub struct ShardCheckpoints {
    dir: PathBuf,
}

impl ShardCheckpoints {
    /// Checkpoints in `dir` (created when the first one is saved).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ShardCheckpoints { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn npz_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("shard_{index:04}.npz"))
    }

    fn json_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("shard_{index:04}.json"))
    }

    /// Remove every checkpoint file (`shard_<digits>.npz|json`) of the folder, then the
    /// folder itself when that leaves it empty. Other files are kept. A missing folder is
    /// not an error.
    pub fn clear(&self) -> OutputResult<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err("cannot read folder", &self.dir)(e)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_checkpoint_name(&name) {
                let path = entry.path();
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io_err("cannot remove", path)(e));
                    }
                    _ => {}
                }
            }
        }
        // Only succeeds when empty; anything else the user put there stays.
        let _ = std::fs::remove_dir(&self.dir);
        Ok(())
    }

    fn save_files(&self, r: &ShardResult) -> OutputResult<()> {
        let (npz_path, json_path) = (self.npz_path(r.index), self.json_path(r.index));
        let chains = r.chains.len();
        let n = r.chains.first().map_or(0, |c| c.diverging.len());
        let d = if n == 0 {
            0
        } else {
            r.chains.first().map_or(0, |c| c.x.len() / n)
        };
        for (c, ch) in r.chains.iter().enumerate() {
            let lens = [
                ch.step_size.len(),
                ch.tree_depth.len(),
                ch.n_steps.len(),
                ch.lp.len(),
                ch.energy.len(),
                ch.acceptance_rate.len(),
                ch.diverging.len(),
            ];
            if lens.iter().any(|&l| l != n) || ch.x.len() != n * d || ch.z.len() != n * d {
                return Err(OutputError::Inconsistent(format!(
                    "shard {} chain {c}: draw arrays of different lengths",
                    r.index
                )));
            }
        }
        // A json of an earlier save must not vouch for the archive written now.
        match std::fs::remove_file(&json_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_err("cannot remove", &json_path)(e));
            }
            _ => {}
        }
        let cube = [chains, n, d];
        let plane = [chains, n];
        let each = |f: fn(&ChainDraws) -> &Vec<f64>| r.chains.iter().flat_map(f);
        let mut npz = TypedNpz::new();
        npz.f64("z", &cube, each(|c| &c.z))
            .f64("x", &cube, each(|c| &c.x))
            .bool(
                "diverging",
                &plane,
                r.chains.iter().flat_map(|c| c.diverging.iter().copied()),
            )
            .f64("step_size", &plane, each(|c| &c.step_size))
            .i64(
                "tree_depth",
                &plane,
                r.chains
                    .iter()
                    .flat_map(|c| c.tree_depth.iter().map(|&v| v as i64)),
            )
            .i64(
                "n_steps",
                &plane,
                r.chains
                    .iter()
                    .flat_map(|c| c.n_steps.iter().map(|&v| v as i64)),
            )
            .f64("lp", &plane, each(|c| &c.lp))
            .f64("energy", &plane, each(|c| &c.energy))
            .f64("acceptance_rate", &plane, each(|c| &c.acceptance_rate))
            .text("fingerprint", &r.fingerprint.to_string());
        npz.write_unrecorded(&npz_path, false)?;
        let meta = json!({
            "format_version": FORMAT_VERSION,
            "index": r.index,
            "fingerprint": r.fingerprint.to_string(),
            "n_points": r.n_points,
            "n_chains": chains,
            "n_draws": n,
            "dim": d,
            "chains": r.chains.iter().map(|c| json!({
                "warmup_divergences": c.warmup_divergences,
                "gradient_evaluations": c.gradient_evaluations,
                "seconds": c.seconds,
            })).collect::<Vec<_>>(),
        });
        write_json_unrecorded(&json_path, &meta)
    }

    fn load_files(&self, index: usize, fingerprint: u64) -> Result<ShardResult, String> {
        let json_path = self.json_path(index);
        let text = std::fs::read_to_string(&json_path).map_err(|e| format!("no json: {e}"))?;
        let meta: Value = serde_json::from_str(&text).map_err(|e| format!("bad json: {e}"))?;
        let uint = |key: &str| {
            meta.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("json: {key} missing"))
        };
        if uint("format_version")? != FORMAT_VERSION {
            return Err("another format version".into());
        }
        if uint("index")? != index as u64 {
            return Err("another shard index".into());
        }
        let print = meta
            .get("fingerprint")
            .and_then(Value::as_str)
            .ok_or("json: fingerprint missing")?;
        if print != fingerprint.to_string() {
            return Err(format!("stale: fingerprint {print} != {fingerprint}"));
        }
        let n_points = uint("n_points")? as usize;
        let (chains, n, d) = (
            uint("n_chains")? as usize,
            uint("n_draws")? as usize,
            uint("dim")? as usize,
        );
        let per_chain = meta
            .get("chains")
            .and_then(Value::as_array)
            .filter(|a| a.len() == chains)
            .ok_or("json: chains missing or of another length")?;

        let mut npz = NpzReader::open(&self.npz_path(index)).map_err(|e| e.to_string())?;
        let npz_print = npz
            .read_unicode_scalar("fingerprint")
            .map_err(|e| e.to_string())?;
        if npz_print != print {
            return Err("archive of another run".into());
        }
        let mut read = |name: &str, shape: &[usize]| -> Result<ArrayD<f64>, String> {
            let a = npz.read_f64(name).map_err(|e| e.to_string())?;
            if a.shape() != shape {
                return Err(format!("{name}: shape {:?} != {shape:?}", a.shape()));
            }
            Ok(a)
        };
        let (cube, plane) = ([chains, n, d], [chains, n]);
        let z = read("z", &cube)?;
        let x = read("x", &cube)?;
        let step_size = read("step_size", &plane)?;
        let tree_depth = read("tree_depth", &plane)?;
        let n_steps = read("n_steps", &plane)?;
        let lp = read("lp", &plane)?;
        let energy = read("energy", &plane)?;
        let acceptance_rate = read("acceptance_rate", &plane)?;
        let diverging = read_bool(&mut npz, "diverging", &plane)?;

        let row = |a: &ArrayD<f64>, c: usize| -> Vec<f64> {
            a.index_axis(ndarray::Axis(0), c).iter().copied().collect()
        };
        let count = |a: &ArrayD<f64>, c: usize| -> Result<Vec<u64>, String> {
            a.index_axis(ndarray::Axis(0), c)
                .iter()
                .map(|&v| {
                    (v >= 0.0 && v.fract() == 0.0 && v < 9.0e15)
                        .then_some(v as u64)
                        .ok_or_else(|| format!("bad count {v}"))
                })
                .collect()
        };
        let mut out = Vec::with_capacity(chains);
        for (c, m) in per_chain.iter().enumerate() {
            let field = |k: &str| m.get(k).ok_or_else(|| format!("json: chain {c}: {k}"));
            out.push(ChainDraws {
                z: row(&z, c),
                x: row(&x, c),
                diverging: diverging[c * n..(c + 1) * n].to_vec(),
                step_size: row(&step_size, c),
                tree_depth: count(&tree_depth, c)?,
                n_steps: count(&n_steps, c)?,
                lp: row(&lp, c),
                energy: row(&energy, c),
                acceptance_rate: row(&acceptance_rate, c),
                warmup_divergences: field("warmup_divergences")?
                    .as_u64()
                    .ok_or("json: warmup_divergences")?,
                gradient_evaluations: field("gradient_evaluations")?
                    .as_u64()
                    .ok_or("json: gradient_evaluations")?,
                seconds: field("seconds")?.as_f64().ok_or("json: seconds")?,
            });
        }
        Ok(ShardResult {
            index,
            fingerprint,
            n_points,
            chains: out,
        })
    }
}

/// `shard_<digits>.npz` or `shard_<digits>.json`.
fn is_checkpoint_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".npz")
        .or_else(|| name.strip_suffix(".json"));
    stem.and_then(|s| s.strip_prefix("shard_"))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A `|b1` entry of `shape`, flattened (the data crate's reader has no bool decoder).
fn read_bool(npz: &mut NpzReader, name: &str, shape: &[usize]) -> Result<Vec<bool>, String> {
    use std::io::Read;
    let header = npz
        .header(name)
        .ok_or_else(|| format!("{name} missing"))?
        .clone();
    if header.shape != shape || header.dtype != homodyne_data::NpyDtype::Other("|b1".into()) {
        return Err(format!(
            "{name}: {:?} {:?} is not bool {shape:?}",
            header.dtype, header.shape
        ));
    }
    let count: usize = shape.iter().product();
    let file = std::fs::File::open(npz.path()).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let mut entry = zip
        .by_name(&format!("{name}.npy"))
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    entry
        .read_to_end(&mut raw)
        .map_err(|e| format!("{name}: {e}"))?;
    let data = raw
        .get(header.header_bytes..)
        .filter(|d| d.len() == count)
        .ok_or_else(|| format!("{name}: truncated"))?;
    data.iter()
        .map(|&b| match b {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(format!("{name}: byte {b} is not a bool")),
        })
        .collect()
}

impl ShardStore for ShardCheckpoints {
    fn load(&self, index: usize, fingerprint: u64) -> Option<ShardResult> {
        match self.load_files(index, fingerprint) {
            Ok(r) => {
                tracing::info!("shard {index}: resumed from {}", self.dir.display());
                Some(r)
            }
            Err(why) => {
                tracing::debug!("shard {index}: no usable checkpoint ({why})");
                None
            }
        }
    }

    fn save(&self, result: &ShardResult) -> Result<(), String> {
        self.save_files(result).map_err(|e| e.to_string())
    }
}
