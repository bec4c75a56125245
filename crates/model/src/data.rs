//! The data a fit or a likelihood reads: c2 and its uncertainty sigma.
//!
//! Three storages, one contract ([`PointData`]), usable by every driver of
//! [`crate::normal`]:
//!
//! * [`FitData`] borrows a full (n_phi, n_t, n_t) grid (what NLSQ uses; `Copy`);
//! * [`OwnedFitData`] owns a full grid behind `Arc`s: `Send + Sync + 'static` and cloned
//!   in O(1), for consumers that must own their model (a sampler's `Arc<Model>`);
//! * [`ShardData`] owns only the values of one [`TimePairs`] shard, all angles, in a
//!   compact angle-major layout (`n_phi * n_pairs` numbers per triangle, plus sigma when it
//!   varies per point), so a shard does not keep the full 23 x 1000 x 1000 array alive.
//!   It is evaluated with its own pair list ([`ShardData::points`]) and gives bit for bit
//!   the same sums as the full grid restricted to those pairs.
//!
//! A point enters the objective when its c2 is finite and its sigma finite and positive.

use std::sync::Arc;

use ndarray::ArrayView3;

use crate::error::ModelError;
use crate::experiment::Experiment;
use crate::points::{PointSet, TimePairs, Triangles};

/// Measurement uncertainty of c2.
/// A c2 value as stored: float64, or float32 as APS files store it. Readers widen each
/// value to f64 (exact) and accumulate in f64.
pub trait C2Value: Copy + Into<f64> + PartialEq + Send + Sync + 'static {}
impl C2Value for f64 {}
impl C2Value for f32 {}

/// A borrowed (n_phi, n_t, n_t) c2 stack in its stored precision: what the NLSQ driver,
/// the noise estimate and the quantile estimates read, so float32 data need no f64 copy.
#[derive(Debug, Clone, Copy)]
pub enum C2View<'a> {
    /// float64 values.
    F64(ArrayView3<'a, f64>),
    /// float32 values (half the memory).
    F32(ArrayView3<'a, f32>),
}

impl<'a> From<ArrayView3<'a, f64>> for C2View<'a> {
    fn from(v: ArrayView3<'a, f64>) -> Self {
        C2View::F64(v)
    }
}

impl<'a> From<ArrayView3<'a, f32>> for C2View<'a> {
    fn from(v: ArrayView3<'a, f32>) -> Self {
        C2View::F32(v)
    }
}

impl<'a> C2View<'a> {
    /// The shape `[n_phi, n_t, n_t]`.
    pub fn shape(&self) -> &[usize] {
        match self {
            C2View::F64(v) => v.shape(),
            C2View::F32(v) => v.shape(),
        }
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }
    /// Whether the stack holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Value `[a, i, j]` widened to f64.
    pub fn get(&self, idx: [usize; 3]) -> f64 {
        match self {
            C2View::F64(v) => v[idx],
            C2View::F32(v) => f64::from(v[idx]),
        }
    }
    /// Bytes per value (8 or 4).
    pub fn bytes_per_value(&self) -> usize {
        match self {
            C2View::F64(_) => 8,
            C2View::F32(_) => 4,
        }
    }
    /// [`FitData`] over these values (checked as [`FitData::new`] checks).
    pub fn fit_data<'b>(
        self,
        experiment: &Experiment,
        sigma: Sigma<'b>,
    ) -> Result<FitData<'b>, ModelError>
    where
        'a: 'b,
    {
        match self {
            C2View::F64(v) => FitData::new(experiment, v, sigma),
            C2View::F32(v) => FitData::new_f32(experiment, v, sigma),
        }
    }
}

/// Measurement uncertainty of c2.
#[derive(Debug, Clone, Copy)]
pub enum Sigma<'a> {
    /// One sigma for every point (the reference's default is 0.01).
    Uniform(f64),
    /// One sigma per angle (length n_phi), shared by every point of the angle: a
    /// per-angle noise level without an n_phi x n_t x n_t array. An entry that is not
    /// finite and positive excludes its angle's points, as an invalid per-point sigma does.
    PerAngle(&'a [f64]),
    /// Per-point sigma, same shape as c2.
    PerPoint(ArrayView3<'a, f64>),
}

/// Data to fit: c2 of shape (n_phi, n_t, n_t) on the experiment's grid, and sigma
/// (borrowed; see [`OwnedFitData`] for an owned counterpart). c2 may be float64
/// ([`FitData::new`]) or float32 as APS files store it ([`FitData::new_f32`]: half the
/// memory); the drivers widen each value to f64 and accumulate in f64.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    pub(crate) c2: Values<'a>,
    pub(crate) sigma: SigmaSlice<'a>,
    pub(crate) n_phi: usize,
    pub(crate) n_t: usize,
}

/// The c2 values of a full grid, row-major (n_phi, n_t, n_t), in their stored precision.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
}

impl Values<'_> {
    /// Value `idx`, widened to f64 (exact).
    #[inline(always)]
    pub(crate) fn get(&self, idx: usize) -> f64 {
        match self {
            Values::F64(v) => v[idx],
            Values::F32(v) => f64::from(v[idx]),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum SigmaSlice<'a> {
    /// `1 / sigma`.
    Uniform(f64),
    /// sigma of each angle.
    PerAngle(&'a [f64]),
    PerPoint(&'a [f64]),
}

/// `1 / s` for a valid sigma (finite and positive), else None.
#[inline(always)]
fn inverse(s: f64) -> Option<f64> {
    (s.is_finite() && s > 0.0).then(|| 1.0 / s)
}

fn check_per_angle(s: &[f64], n_phi: usize) -> Result<(), ModelError> {
    if s.len() == n_phi {
        Ok(())
    } else {
        Err(ModelError::PerAngleLength {
            name: "sigma",
            got: s.len(),
            expected: n_phi,
        })
    }
}

fn check_uniform(s: f64) -> Result<f64, ModelError> {
    if s.is_finite() && s > 0.0 {
        Ok(s)
    } else {
        Err(ModelError::Invalid(format!(
            "sigma = {s} must be finite and positive"
        )))
    }
}

/// The slice of a c2 array of the experiment's grid shape in standard layout.
fn grid_slice<'a, T>(
    experiment: &Experiment,
    c2: ArrayView3<'a, T>,
) -> Result<&'a [T], ModelError> {
    let expected = vec![experiment.n_phi(), experiment.n_t(), experiment.n_t()];
    if c2.shape() != expected.as_slice() {
        return Err(ModelError::Shape {
            got: c2.shape().to_vec(),
            expected,
        });
    }
    c2.to_slice().ok_or_else(|| {
        ModelError::Invalid("c2 must be a contiguous (standard layout) array".into())
    })
}

impl<'a> FitData<'a> {
    /// Check shapes against the experiment; arrays must be in standard (C) layout.
    pub fn new(
        experiment: &Experiment,
        c2: ArrayView3<'a, f64>,
        sigma: Sigma<'a>,
    ) -> Result<Self, ModelError> {
        let c2 = Values::F64(grid_slice(experiment, c2)?);
        Self::with_values(experiment, c2, sigma)
    }

    /// float32 c2 (as APS files store it), checked as [`FitData::new`] checks: half the
    /// memory of f64 data. Every driver widens each value to f64 (exactly) and
    /// accumulates in f64, so the results are bit for bit those of the same values held
    /// as f64.
    pub fn new_f32(
        experiment: &Experiment,
        c2: ArrayView3<'a, f32>,
        sigma: Sigma<'a>,
    ) -> Result<Self, ModelError> {
        let c2 = Values::F32(grid_slice(experiment, c2)?);
        Self::with_values(experiment, c2, sigma)
    }

    fn with_values(
        experiment: &Experiment,
        c2: Values<'a>,
        sigma: Sigma<'a>,
    ) -> Result<Self, ModelError> {
        let expected = vec![experiment.n_phi(), experiment.n_t(), experiment.n_t()];
        let sigma = match sigma {
            Sigma::Uniform(s) => SigmaSlice::Uniform(1.0 / check_uniform(s)?),
            Sigma::PerAngle(s) => {
                check_per_angle(s, experiment.n_phi())?;
                SigmaSlice::PerAngle(s)
            }
            Sigma::PerPoint(view) => {
                if view.shape() != expected.as_slice() {
                    return Err(ModelError::Shape {
                        got: view.shape().to_vec(),
                        expected,
                    });
                }
                SigmaSlice::PerPoint(view.to_slice().ok_or_else(|| {
                    ModelError::Invalid("sigma must be a contiguous array".into())
                })?)
            }
        };
        Ok(FitData {
            c2,
            sigma,
            n_phi: experiment.n_phi(),
            n_t: experiment.n_t(),
        })
    }

    /// `(c2, 1/sigma)` at flat index `idx` (a point of angle `a`), or None if the point
    /// is excluded.
    #[inline(always)]
    pub(crate) fn at_index(&self, a: usize, idx: usize) -> Option<(f64, f64)> {
        let value = self.c2.get(idx);
        if !value.is_finite() {
            return None;
        }
        match self.sigma {
            SigmaSlice::Uniform(inv) => Some((value, inv)),
            SigmaSlice::PerAngle(s) => inverse(s[a]).map(|inv| (value, inv)),
            SigmaSlice::PerPoint(s) => inverse(s[idx]).map(|inv| (value, inv)),
        }
    }

    /// Number of points in the objective (off-diagonal, finite data, valid sigma).
    pub fn n_valid_points(&self) -> usize {
        let n = self.n_t;
        let mut count = 0;
        for a in 0..self.n_phi {
            for i in 0..n {
                let base = (a * n + i) * n;
                count += (0..n)
                    .filter(|&j| j != i && self.at_index(a, base + j).is_some())
                    .count();
            }
        }
        count
    }
}

/// Owned sigma of an [`OwnedFitData`].
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedSigma {
    /// One sigma for every point.
    Uniform(f64),
    /// One sigma per angle (see [`Sigma::PerAngle`]).
    PerAngle(Arc<[f64]>),
    /// Per-point sigma, row-major (n_phi, n_t, n_t) like c2.
    PerPoint(Arc<[f64]>),
}

/// An owned [`FitData`]: c2 (and sigma) of the full grid behind `Arc`s, so the value is
/// `Send + Sync + 'static` and `clone` shares the arrays. Every driver accepts it;
/// [`OwnedFitData::view`] lends it out as a [`FitData`].
#[derive(Debug, Clone)]
pub struct OwnedFitData {
    c2: Arc<[f64]>,
    sigma: OwnedSigma,
    n_phi: usize,
    n_t: usize,
}

impl OwnedFitData {
    /// Row-major (n_phi, n_t, n_t) c2 of the experiment's grid, and sigma; checked as
    /// [`FitData::new`] checks.
    pub fn new(
        experiment: &Experiment,
        c2: Arc<[f64]>,
        sigma: OwnedSigma,
    ) -> Result<Self, ModelError> {
        let shape = (experiment.n_phi(), experiment.n_t(), experiment.n_t());
        let flat_view = |v: &[f64], what: &str| -> Result<(), ModelError> {
            if v.len() == shape.0 * shape.1 * shape.2 {
                Ok(())
            } else {
                Err(ModelError::Invalid(format!(
                    "{what} has {} values; the grid {shape:?} has {}",
                    v.len(),
                    shape.0 * shape.1 * shape.2
                )))
            }
        };
        flat_view(&c2, "c2")?;
        match &sigma {
            OwnedSigma::Uniform(s) => {
                check_uniform(*s)?;
            }
            OwnedSigma::PerAngle(s) => check_per_angle(s, shape.0)?,
            OwnedSigma::PerPoint(s) => flat_view(s, "sigma")?,
        }
        Ok(OwnedFitData {
            c2,
            sigma,
            n_phi: shape.0,
            n_t: shape.1,
        })
    }

    /// Borrow as a [`FitData`] (no copy).
    pub fn view(&self) -> FitData<'_> {
        FitData {
            c2: Values::F64(&self.c2),
            sigma: match &self.sigma {
                OwnedSigma::Uniform(s) => SigmaSlice::Uniform(1.0 / s),
                OwnedSigma::PerAngle(s) => SigmaSlice::PerAngle(s),
                OwnedSigma::PerPoint(s) => SigmaSlice::PerPoint(s),
            },
            n_phi: self.n_phi,
            n_t: self.n_t,
        }
    }

    /// The c2 values, row-major (n_phi, n_t, n_t).
    pub fn c2(&self) -> &Arc<[f64]> {
        &self.c2
    }

    /// The uncertainty.
    pub fn sigma(&self) -> &OwnedSigma {
        &self.sigma
    }

    /// c2 as an array view.
    pub fn c2_view(&self) -> ArrayView3<'_, f64> {
        ArrayView3::from_shape((self.n_phi, self.n_t, self.n_t), &self.c2[..])
            .expect("shape checked at construction")
    }

    /// Number of points in the objective (see [`FitData::n_valid_points`]).
    pub fn n_valid_points(&self) -> usize {
        self.view().n_valid_points()
    }
}

impl From<FitData<'_>> for OwnedFitData {
    /// Copy borrowed data into owned storage.
    fn from(data: FitData<'_>) -> Self {
        OwnedFitData {
            c2: match data.c2 {
                Values::F64(v) => Arc::from(v),
                Values::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            },
            sigma: match data.sigma {
                SigmaSlice::Uniform(inv) => OwnedSigma::Uniform(1.0 / inv),
                SigmaSlice::PerAngle(s) => OwnedSigma::PerAngle(Arc::from(s)),
                SigmaSlice::PerPoint(s) => OwnedSigma::PerPoint(Arc::from(s)),
            },
            n_phi: data.n_phi,
            n_t: data.n_t,
        }
    }
}

#[derive(Debug, Clone)]
enum ShardSigma {
    /// `1 / sigma`.
    Uniform(f64),
    /// sigma of each angle.
    PerAngle(Arc<[f64]>),
    /// Per point, same layout as the values.
    PerPoint {
        upper: Arc<[f64]>,
        lower: Arc<[f64]>,
    },
}

/// The data of one shard: for each pair `p` of a [`TimePairs`] list (canonical order)
/// and each angle `a`, c2 at `(a, i_p, j_p)` and, when extracted with
/// [`Triangles::Both`], at `(a, j_p, i_p)`; sigma likewise (or one uniform value).
/// Stored angle-major (`a * n_pairs + p`) behind `Arc`s: `Send + Sync + 'static`, cloned
/// in O(1), and independent of the full array it was cut from. Invalid points (non-finite
/// c2 or sigma) are kept and skipped at evaluation, as on the full grid.
#[derive(Debug, Clone)]
pub struct ShardData {
    n_phi: usize,
    pairs: Arc<TimePairs>,
    triangles: Triangles,
    upper: Arc<[f64]>,
    /// Empty with `Triangles::Upper`.
    lower: Arc<[f64]>,
    sigma: ShardSigma,
}

impl ShardData {
    /// Copy the values of `pairs` (all angles) out of full-grid data. With
    /// [`Triangles::Upper`] only the (i, j), i < j, values are kept (half the memory);
    /// such a shard can only be evaluated with `Triangles::Upper`.
    pub fn extract(
        data: &FitData<'_>,
        pairs: impl Into<Arc<TimePairs>>,
        triangles: Triangles,
    ) -> Result<Self, ModelError> {
        let pairs = pairs.into();
        if pairs.n_t() != data.n_t {
            return Err(ModelError::Invalid(format!(
                "pair list is for {} times; the data have {}",
                pairs.n_t(),
                data.n_t
            )));
        }
        let (n, n_pairs) = (data.n_t, pairs.len());
        let gather = |values: Values<'_>, lower: bool| -> Arc<[f64]> {
            let mut out = Vec::with_capacity(data.n_phi * n_pairs);
            for a in 0..data.n_phi {
                out.extend(pairs.iter().map(|(i, j)| {
                    let (r, c) = if lower { (j, i) } else { (i, j) };
                    values.get((a * n + r) * n + c)
                }));
            }
            out.into()
        };
        let both = triangles == Triangles::Both;
        let empty: Arc<[f64]> = Arc::from(Vec::new());
        let upper = gather(data.c2, false);
        let lower = if both {
            gather(data.c2, true)
        } else {
            empty.clone()
        };
        let sigma = match data.sigma {
            SigmaSlice::Uniform(inv) => ShardSigma::Uniform(inv),
            SigmaSlice::PerAngle(s) => ShardSigma::PerAngle(Arc::from(s)),
            SigmaSlice::PerPoint(s) => ShardSigma::PerPoint {
                upper: gather(Values::F64(s), false),
                lower: if both {
                    gather(Values::F64(s), true)
                } else {
                    empty
                },
            },
        };
        Ok(ShardData {
            n_phi: data.n_phi,
            pairs,
            triangles,
            upper,
            lower,
            sigma,
        })
    }

    /// The shard's pairs.
    pub fn pairs(&self) -> &Arc<TimePairs> {
        &self.pairs
    }

    /// Which triangles were extracted.
    pub fn triangles(&self) -> Triangles {
        self.triangles
    }

    /// The point set to evaluate this shard with: its pairs, with the triangles it holds.
    pub fn points(&self) -> PointSet<'_> {
        PointSet::Pairs {
            pairs: &self.pairs,
            triangles: self.triangles,
        }
    }

    /// c2 at (a, i_p, j_p) for pair `p`, angle-major (`a * n_pairs + p`).
    pub fn upper_values(&self) -> &[f64] {
        &self.upper
    }

    /// c2 at (a, j_p, i_p), angle-major; empty when extracted with `Triangles::Upper`.
    pub fn lower_values(&self) -> &[f64] {
        &self.lower
    }

    /// Number of points in [`ShardData::points`] that enter the objective.
    pub fn n_valid_points(&self) -> usize {
        let lookup = self.lookup();
        let np = self.pairs.len();
        let mut count = 0;
        for a in 0..self.n_phi {
            for p in 0..np {
                count += usize::from(lookup.at(a, 0, 1, p).is_some());
                if self.triangles == Triangles::Both {
                    count += usize::from(lookup.at(a, 1, 0, p).is_some());
                }
            }
        }
        count
    }

    pub(crate) fn lookup(&self) -> ShardLookup<'_> {
        ShardLookup {
            n_pairs: self.pairs.len(),
            upper: &self.upper,
            lower: &self.lower,
            sigma: match &self.sigma {
                ShardSigma::Uniform(inv) => ShardSigmaRef::Uniform(*inv),
                ShardSigma::PerAngle(s) => ShardSigmaRef::PerAngle(s),
                ShardSigma::PerPoint { upper, lower } => ShardSigmaRef::PerPoint { upper, lower },
            },
        }
    }
}

/// Data the drivers of [`crate::normal`] can evaluate: [`FitData`], [`OwnedFitData`] and
/// [`ShardData`] (sealed: the drivers rely on the layouts of these three).
pub trait PointData: sealed::Sealed + Sync {
    /// Number of angles.
    fn n_phi(&self) -> usize;
    /// Length of the time grid.
    fn n_t(&self) -> usize;
}

pub(crate) mod sealed {
    use super::{FitData, ShardData};

    /// What a driver reads.
    pub enum Source<'a> {
        Grid(FitData<'a>),
        Shard(&'a ShardData),
    }

    pub trait Sealed {
        fn source(&self) -> Source<'_>;
    }
}

use sealed::{Sealed, Source};

impl Sealed for FitData<'_> {
    fn source(&self) -> Source<'_> {
        Source::Grid(*self)
    }
}
impl PointData for FitData<'_> {
    fn n_phi(&self) -> usize {
        self.n_phi
    }
    fn n_t(&self) -> usize {
        self.n_t
    }
}

impl Sealed for OwnedFitData {
    fn source(&self) -> Source<'_> {
        Source::Grid(self.view())
    }
}
impl PointData for OwnedFitData {
    fn n_phi(&self) -> usize {
        self.n_phi
    }
    fn n_t(&self) -> usize {
        self.n_t
    }
}

impl Sealed for ShardData {
    fn source(&self) -> Source<'_> {
        Source::Shard(self)
    }
}
impl PointData for ShardData {
    fn n_phi(&self) -> usize {
        self.n_phi
    }
    fn n_t(&self) -> usize {
        self.pairs.n_t()
    }
}

/// Where a driver reads `(c2, 1/sigma)` of one residual.
pub(crate) trait Lookup: Sync {
    /// Angle `a`, times `(i, j)` (either triangle); `p` is the index of the unordered
    /// pair in the pair list being walked (meaningless when walking rows).
    fn at(&self, a: usize, i: usize, j: usize, p: usize) -> Option<(f64, f64)>;

    /// The points of angle `a` at the pairs `(i, j)` of `cols` (the upper triangle, or
    /// `(j, i)` when `lower`): `value[k]`, `inv_sigma[k]` for entry `k`, both 0 where the
    /// point does not enter. Returns the number of points that enter.
    #[inline(always)]
    fn gather(
        &self,
        a: usize,
        i: usize,
        cols: Columns<'_>,
        lower: bool,
        value: &mut [f64],
        inv_sigma: &mut [f64],
    ) -> usize {
        gather_points(self, a, i, cols, lower, value, inv_sigma)
    }
}

/// [`Lookup::gather`] point by point.
#[inline(always)]
fn gather_points<L: Lookup + ?Sized>(
    lookup: &L,
    a: usize,
    i: usize,
    cols: Columns<'_>,
    lower: bool,
    value: &mut [f64],
    inv_sigma: &mut [f64],
) -> usize {
    let mut count = 0;
    for (k, (v, s)) in value.iter_mut().zip(inv_sigma.iter_mut()).enumerate() {
        let (j, p) = cols.at(k);
        let (r, c) = if lower { (j, i) } else { (i, j) };
        (*v, *s) = match lookup.at(a, r, c, p) {
            Some(point) => {
                count += 1;
                point
            }
            None => (0.0, 0.0),
        };
    }
    count
}

/// [`Lookup::gather`] from contiguous values: entry `k` is `src(k)` with `1/sigma`
/// `inv(k)` (0 where sigma is not valid). Branch-free (vectorises).
#[inline(always)]
fn gather_run(
    value: &mut [f64],
    inv_sigma: &mut [f64],
    src: impl Fn(usize) -> f64,
    inv: impl Fn(usize) -> f64,
) -> usize {
    let mut count = 0usize;
    for (k, (v, s)) in value.iter_mut().zip(inv_sigma.iter_mut()).enumerate() {
        let (x, w) = (src(k), inv(k));
        // Finite data (written as a float comparison, which vectorises).
        let ok = (x.abs() < f64::INFINITY) & (w != 0.0);
        *v = if ok { x } else { 0.0 };
        *s = if ok { w } else { 0.0 };
        count += usize::from(ok);
    }
    count
}

/// `1 / s` for a valid sigma, else 0 (as [`inverse`]).
#[inline(always)]
fn inverse_or_zero(s: f64) -> f64 {
    inverse(s).unwrap_or(0.0)
}

/// The second times of a block of pairs `(i, j)` with a common first time.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Columns<'c> {
    /// Entry `k` is `j = start + k` (a row walk; no pair index).
    Row { start: usize },
    /// Entry `k` is `j = cols[k]`, pair index `p0 + k` in the list walked.
    List { cols: &'c [u32], p0: usize },
}

impl Columns<'_> {
    /// `(j, p)` of entry `k`.
    #[inline(always)]
    pub fn at(&self, k: usize) -> (usize, usize) {
        match *self {
            Columns::Row { start } => (start + k, 0),
            Columns::List { cols, p0 } => (cols[k] as usize, p0 + k),
        }
    }
}

impl Lookup for FitData<'_> {
    #[inline(always)]
    fn at(&self, a: usize, i: usize, j: usize, _p: usize) -> Option<(f64, f64)> {
        let n = self.n_t;
        self.at_index(a, a * n * n + i * n + j)
    }

    #[inline(always)]
    fn gather(
        &self,
        a: usize,
        i: usize,
        cols: Columns<'_>,
        lower: bool,
        value: &mut [f64],
        inv_sigma: &mut [f64],
    ) -> usize {
        let (Columns::Row { start }, false) = (cols, lower) else {
            return gather_points(self, a, i, cols, lower, value, inv_sigma);
        };
        // A row of the upper triangle: contiguous.
        let n = self.n_t;
        let base = a * n * n + i * n + start;
        let m = value.len();
        macro_rules! run {
            ($inv:expr) => {
                match self.c2 {
                    Values::F64(c) => {
                        let c = &c[base..base + m];
                        gather_run(value, inv_sigma, |k| c[k], $inv)
                    }
                    Values::F32(c) => {
                        let c = &c[base..base + m];
                        gather_run(value, inv_sigma, |k| f64::from(c[k]), $inv)
                    }
                }
            };
        }
        match self.sigma {
            SigmaSlice::Uniform(inv) => run!(|_| inv),
            SigmaSlice::PerAngle(s) => {
                let inv = inverse_or_zero(s[a]);
                run!(|_| inv)
            }
            SigmaSlice::PerPoint(s) => {
                let s = &s[base..base + m];
                run!(|k| inverse_or_zero(s[k]))
            }
        }
    }
}

/// Full-grid data behind a point mask.
pub(crate) struct MaskedGrid<'a> {
    pub grid: FitData<'a>,
    pub mask: &'a [bool],
}

impl Lookup for MaskedGrid<'_> {
    #[inline(always)]
    fn at(&self, a: usize, i: usize, j: usize, _p: usize) -> Option<(f64, f64)> {
        let n = self.grid.n_t;
        let idx = a * n * n + i * n + j;
        if self.mask[idx] {
            self.grid.at_index(a, idx)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum ShardSigmaRef<'a> {
    Uniform(f64),
    PerAngle(&'a [f64]),
    PerPoint { upper: &'a [f64], lower: &'a [f64] },
}

pub(crate) struct ShardLookup<'a> {
    n_pairs: usize,
    upper: &'a [f64],
    lower: &'a [f64],
    sigma: ShardSigmaRef<'a>,
}

impl Lookup for ShardLookup<'_> {
    #[inline(always)]
    fn gather(
        &self,
        a: usize,
        i: usize,
        cols: Columns<'_>,
        lower: bool,
        value: &mut [f64],
        inv_sigma: &mut [f64],
    ) -> usize {
        let Columns::List { p0, .. } = cols else {
            return gather_points(self, a, i, cols, lower, value, inv_sigma);
        };
        // Angle-major storage: the pairs of a run are contiguous.
        let base = a * self.n_pairs + p0;
        let m = value.len();
        let c = &(if lower { self.lower } else { self.upper })[base..base + m];
        match self.sigma {
            ShardSigmaRef::Uniform(inv) => gather_run(value, inv_sigma, |k| c[k], |_| inv),
            ShardSigmaRef::PerAngle(s) => {
                let inv = inverse_or_zero(s[a]);
                gather_run(value, inv_sigma, |k| c[k], |_| inv)
            }
            ShardSigmaRef::PerPoint { upper, lower: low } => {
                let s = &(if lower { low } else { upper })[base..base + m];
                gather_run(value, inv_sigma, |k| c[k], |k| inverse_or_zero(s[k]))
            }
        }
    }

    #[inline(always)]
    fn at(&self, a: usize, i: usize, j: usize, p: usize) -> Option<(f64, f64)> {
        let idx = a * self.n_pairs + p;
        let is_upper = i < j;
        let value = if is_upper {
            self.upper[idx]
        } else {
            self.lower[idx]
        };
        if !value.is_finite() {
            return None;
        }
        match self.sigma {
            ShardSigmaRef::Uniform(inv) => Some((value, inv)),
            ShardSigmaRef::PerAngle(s) => inverse(s[a]).map(|inv| (value, inv)),
            ShardSigmaRef::PerPoint { upper, lower } => {
                let s = if is_upper { upper[idx] } else { lower[idx] };
                inverse(s).map(|inv| (value, inv))
            }
        }
    }
}
