//! The ArviZ InferenceData layout on top of [`StoreWriter`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Array, Attrs, StoreWriter, ZarrError};

/// One group of an InferenceData: an xarray Dataset of data variables and coordinates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    coords: Vec<(String, Array)>,
    vars: Vec<(String, Array)>,
    attrs: Attrs,
}

impl Dataset {
    /// An empty dataset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a data variable, e.g. `D0` with dims `(chain, draw)`.
    pub fn var(&mut self, name: &str, array: Array) -> &mut Self {
        self.vars.push((name.to_owned(), array));
        self
    }

    /// Adds a coordinate variable, usually one-dimensional along the dimension of the same
    /// name (`angle` with the phi values). Dimensions left without one get `0..n` (`i64`).
    pub fn coord(&mut self, name: &str, array: Array) -> &mut Self {
        self.coords.push((name.to_owned(), array));
        self
    }

    /// Adds (or replaces) a group attribute.
    pub fn attr(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.attrs.insert(key.to_owned(), value.into());
        self
    }

    /// The data variables, in insertion order.
    pub fn vars(&self) -> &[(String, Array)] {
        &self.vars
    }

    /// The coordinates given explicitly, in insertion order.
    pub fn coords(&self) -> &[(String, Array)] {
        &self.coords
    }

    /// The group attributes.
    pub fn attrs(&self) -> &Attrs {
        &self.attrs
    }

    fn write(&self, w: &mut StoreWriter, group: &str) -> Result<(), ZarrError> {
        w.create_group(group, &self.attrs)?;
        let mut sizes = BTreeMap::new();
        for (name, array) in self.coords.iter().chain(&self.vars) {
            w.write_array(&format!("{group}/{name}"), array)?;
            sizes.extend(array.dims.iter().cloned().zip(array.shape.iter().copied()));
        }
        // ArviZ (and xarray's alignment) expect an index for every dimension.
        for (dim, n) in sizes {
            if !self
                .coords
                .iter()
                .chain(&self.vars)
                .any(|(name, _)| *name == dim)
            {
                let index: Vec<i64> = (0..n as i64).collect();
                w.write_array(&format!("{group}/{dim}"), &Array::vector(index, &dim))?;
            }
        }
        Ok(())
    }
}

/// An ArviZ InferenceData: named groups (`posterior`, `sample_stats`, ...; nested paths such
/// as `shards/shard_0003/posterior` too) plus root attributes, written as one Zarr v2 store
/// with consolidated metadata.
///
/// Readers: ArviZ 1.x `xarray.open_datatree(path, engine="zarr")` (all groups), ArviZ 0.x
/// `az.from_zarr(path)` (top-level groups only; it needs zarr-python 2 and xarray < 2025).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferenceData {
    attrs: Attrs,
    groups: Vec<(String, Dataset)>,
}

impl InferenceData {
    /// No groups, no attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a root attribute.
    pub fn attr(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.attrs.insert(key.to_owned(), value.into());
        self
    }

    /// The group at `path`, created empty on first use.
    pub fn group(&mut self, path: &str) -> &mut Dataset {
        let i = match self.groups.iter().position(|(p, _)| p == path) {
            Some(i) => i,
            None => {
                self.groups.push((path.to_owned(), Dataset::new()));
                self.groups.len() - 1
            }
        };
        &mut self.groups[i].1
    }

    /// The `posterior` group.
    pub fn posterior(&mut self) -> &mut Dataset {
        self.group("posterior")
    }

    /// The `sample_stats` group.
    pub fn sample_stats(&mut self) -> &mut Dataset {
        self.group("sample_stats")
    }

    /// The `observed_data` group.
    pub fn observed_data(&mut self) -> &mut Dataset {
        self.group("observed_data")
    }

    /// The `constant_data` group.
    pub fn constant_data(&mut self) -> &mut Dataset {
        self.group("constant_data")
    }

    /// The groups, in insertion order.
    pub fn groups(&self) -> &[(String, Dataset)] {
        &self.groups
    }

    /// The root attributes.
    pub fn attrs(&self) -> &Attrs {
        &self.attrs
    }

    /// Writes the store at `path` atomically (see [`StoreWriter`]) and returns the path.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<PathBuf, ZarrError> {
        let mut w = StoreWriter::create(path)?;
        w.set_root_attrs(&self.attrs)?;
        for (group, ds) in &self.groups {
            ds.write(&mut w, group)?;
        }
        w.finish()
    }
}
