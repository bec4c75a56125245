//! Loading the reference's golden fixtures, kept in the repository in `<workspace>/fixtures`
//! (see its README).
#![allow(dead_code)]

use homodyne_model::{Experiment, Geometry};
use ndarray::{Array0, Array1, Array2, Array3};
use ndarray_npy::NpzReader;
use std::fs::File;
use std::path::PathBuf;

/// `<workspace>/fixtures`, the golden arrays made by the reference homodyne 2.23.3.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn fixture_path(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// The `model_*` case names listed in MANIFEST.json.
pub fn model_cases() -> Vec<String> {
    let text = std::fs::read_to_string(fixture_path("MANIFEST.json")).expect("MANIFEST.json");
    // Minimal scan for "name": "..." entries; the manifest is plain JSON.
    text.split("\"name\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').nth(1).map(str::to_string))
        .collect()
}

pub struct ModelCase {
    pub name: String,
    pub t: Vec<f64>,
    pub phi: Vec<f64>,
    pub q: f64,
    pub gap: f64,
    pub dt: f64,
    pub params: Vec<f64>,
    pub contrast: f64,
    pub offset: f64,
    pub g2: Array3<f64>,
}

impl ModelCase {
    pub fn load(name: &str) -> ModelCase {
        let path = fixture_path(&format!("model_{name}.npz"));
        let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut npz = NpzReader::new(file).unwrap();
        let scalar = |npz: &mut NpzReader<File>, k: &str| -> f64 {
            let a: Array0<f64> = npz.by_name(k).unwrap();
            a.into_scalar()
        };
        let vector = |npz: &mut NpzReader<File>, k: &str| -> Vec<f64> {
            let a: Array1<f64> = npz.by_name(k).unwrap();
            a.to_vec()
        };
        ModelCase {
            name: name.to_string(),
            t: vector(&mut npz, "t"),
            phi: vector(&mut npz, "phi"),
            q: scalar(&mut npz, "q"),
            gap: scalar(&mut npz, "L"),
            dt: scalar(&mut npz, "dt"),
            params: vector(&mut npz, "params"),
            contrast: scalar(&mut npz, "contrast"),
            offset: scalar(&mut npz, "offset"),
            g2: npz.by_name("g2").unwrap(),
        }
    }

    pub fn experiment(&self) -> Experiment {
        Experiment::new(
            Geometry {
                wavevector_q: self.q,
                stator_rotor_gap: self.gap,
                dt: self.dt,
            },
            self.t.clone(),
            self.phi.clone(),
        )
        .unwrap()
    }

    pub fn contrasts(&self) -> Vec<f64> {
        vec![self.contrast; self.phi.len()]
    }
    pub fn offsets(&self) -> Vec<f64> {
        vec![self.offset; self.phi.len()]
    }
}

pub fn load_matrix(file: &str, key: &str) -> Array2<f64> {
    let mut npz = NpzReader::new(File::open(fixture_path(file)).unwrap()).unwrap();
    npz.by_name(key).unwrap()
}

/// Largest |a - b| / max(|b|, tiny) over all entries.
pub fn max_rel_diff<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-300))
        .fold(0.0, f64::max)
}
