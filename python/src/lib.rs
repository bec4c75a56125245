//! Python bindings of `homodyne` (module `homodyne_rs`, built by maturin with the
//! `extension-module` feature): load, NLSQ and CMC fits, simulation and configuration
//! access from a notebook, numpy arrays in and out. Only the facade crate `homodyne` is
//! called.
//!
//! Without the `python` feature (a plain `cargo build/test --workspace`) only [`core`]
//! is built: the Python-free half (data conversion, error classes, the validation
//! report, the polling observer, the interruptible job runner), tested without an
//! interpreter.

pub mod core;

#[cfg(feature = "python")]
mod py;
