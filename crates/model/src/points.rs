//! Which points of the (phi, t1, t2) grid an evaluation covers.
//!
//! The model is symmetric in (t1, t2), so the drivers always evaluate it once per
//! unordered time pair (i < j) and all angles, and then form one or two residuals:
//! [`Triangles::Both`] uses the data at (i, j) and at (j, i) (every off-diagonal point of
//! the grid: data with independent noise in both triangles), [`Triangles::Upper`] only
//! the data at (i, j) (each unordered pair once: symmetric data such as rebuilt APS half
//! matrices, whose (i, j) and (j, i) are one measurement, and the CMC likelihood). A
//! [`PointSet`] is one of
//!
//! * [`PointSet::Rows`]: the pairs whose first time lies in a range of rows;
//! * [`PointSet::Mask`]: the grid points a boolean mask selects;
//! * [`PointSet::Pairs`]: an explicit list of unique time pairs ([`TimePairs`]), each with
//!   all angles: the unit that CMC shards.

use std::ops::Range;

use crate::error::ModelError;

/// Which residuals an unordered time pair (i < j) contributes, per angle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Triangles {
    /// Two: the data at (i, j) and at (j, i) (both triangles of the matrix).
    #[default]
    Both,
    /// One: the data at (i, j), i < j (upper triangle; each unordered pair once).
    Upper,
}

/// A set of unique unordered time pairs `(i, j)`, `i < j < n_t`, in canonical order
/// (sorted by `i`, then `j`), whatever order they were given in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimePairs {
    n_t: usize,
    first: Vec<u32>,
    second: Vec<u32>,
}

impl TimePairs {
    /// Validate and sort pairs on a grid of `n_t` times. Each pair must satisfy
    /// `i < j < n_t` and appear once (a pair given twice would be counted twice, so it is
    /// an error rather than silently merged).
    pub fn new(
        n_t: usize,
        pairs: impl IntoIterator<Item = (usize, usize)>,
    ) -> Result<Self, ModelError> {
        if u32::try_from(n_t).is_err() {
            return Err(ModelError::Invalid(format!(
                "time grid of {n_t} points is too long for a pair list"
            )));
        }
        let mut list: Vec<(u32, u32)> = Vec::new();
        for (i, j) in pairs {
            if i >= j || j >= n_t {
                return Err(ModelError::Invalid(format!(
                    "time pair ({i}, {j}) must satisfy i < j < {n_t}"
                )));
            }
            list.push((i as u32, j as u32));
        }
        list.sort_unstable();
        if let Some(w) = list.windows(2).find(|w| w[0] == w[1]) {
            return Err(ModelError::Invalid(format!(
                "time pair ({}, {}) is listed twice",
                w[0].0, w[0].1
            )));
        }
        let (first, second) = list.into_iter().unzip();
        Ok(TimePairs { n_t, first, second })
    }

    /// Every pair `i < j` of a grid of `n_t` times.
    pub fn all(n_t: usize) -> Self {
        let mut first = Vec::with_capacity(n_t * n_t.saturating_sub(1) / 2);
        let mut second = Vec::with_capacity(first.capacity());
        for i in 0..n_t {
            for j in i + 1..n_t {
                first.push(i as u32);
                second.push(j as u32);
            }
        }
        TimePairs { n_t, first, second }
    }

    /// Length of the time grid the pairs index.
    pub fn n_t(&self) -> usize {
        self.n_t
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// No pairs at all.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// Pair `p` in canonical order.
    pub fn get(&self, p: usize) -> (usize, usize) {
        (self.first[p] as usize, self.second[p] as usize)
    }

    /// The pairs in canonical order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (usize, usize)> + ExactSizeIterator + '_ {
        self.first
            .iter()
            .zip(&self.second)
            .map(|(&i, &j)| (i as usize, j as usize))
    }

    /// First times, one per pair (canonical order).
    pub(crate) fn firsts(&self) -> &[u32] {
        &self.first
    }

    /// Second times, one per pair (canonical order).
    pub(crate) fn seconds(&self) -> &[u32] {
        &self.second
    }
}

/// The points an evaluation covers; see the [module documentation](self).
#[derive(Clone, PartialEq)]
pub enum PointSet<'a> {
    /// Pairs (i, j), j > i, for i in `rows` (clamped to the grid): each row of the upper
    /// triangle with its mirror column. `0..n_t` covers the whole grid.
    Rows {
        /// Rows i of the upper triangle.
        rows: Range<usize>,
        /// Residuals per pair.
        triangles: Triangles,
    },
    /// The off-diagonal grid points whose entry is `true` in a row-major
    /// (n_phi, n_t, n_t) mask (its length must be n_phi * n_t^2). Either triangle may be
    /// selected; the model is still evaluated once per pair. Costs as much as all rows
    /// (for a sparse subset, use [`PointSet::Pairs`]).
    Mask(&'a [bool]),
    /// An explicit list of unique time pairs, each with all angles (a CMC shard).
    Pairs {
        /// The pairs.
        pairs: &'a TimePairs,
        /// Residuals per pair.
        triangles: Triangles,
    },
}

impl<'a> PointSet<'a> {
    /// Every off-diagonal point of the grid: rows `0..n_t`, both triangles (the NLSQ
    /// objective of non-symmetric data).
    pub fn all(n_t: usize) -> Self {
        PointSet::rows(0..n_t)
    }

    /// Rows `rows`, both triangles (what `normal_equations(.., rows, ..)` evaluates).
    pub fn rows(rows: Range<usize>) -> Self {
        PointSet::Rows {
            rows,
            triangles: Triangles::Both,
        }
    }

    /// Every unordered pair of the grid once: rows `0..n_t`, upper triangle only.
    pub fn unique_pairs(n_t: usize) -> Self {
        PointSet::Rows {
            rows: 0..n_t,
            triangles: Triangles::Upper,
        }
    }

    /// The pairs of `pairs` with the residuals of `triangles`.
    pub fn pairs(pairs: &'a TimePairs, triangles: Triangles) -> Self {
        PointSet::Pairs { pairs, triangles }
    }
}

impl std::fmt::Debug for PointSet<'_> {
    /// Sizes rather than contents (a mask has n_phi * n_t^2 entries).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointSet::Rows { rows, triangles } => f
                .debug_struct("Rows")
                .field("rows", rows)
                .field("triangles", triangles)
                .finish(),
            PointSet::Mask(mask) => write!(
                f,
                "Mask({} of {} points)",
                mask.iter().filter(|&&m| m).count(),
                mask.len()
            ),
            PointSet::Pairs { pairs, triangles } => f
                .debug_struct("Pairs")
                .field("n_pairs", &pairs.len())
                .field("n_t", &pairs.n_t())
                .field("triangles", triangles)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_sorted_and_checked() {
        let p = TimePairs::new(5, [(2, 4), (0, 3), (0, 1)]).unwrap();
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![(0, 1), (0, 3), (2, 4)]);
        assert_eq!(p.get(1), (0, 3));
        assert!(TimePairs::new(5, [(1, 1)]).is_err());
        assert!(TimePairs::new(5, [(3, 1)]).is_err());
        assert!(TimePairs::new(5, [(1, 5)]).is_err());
        assert!(TimePairs::new(5, [(1, 2), (1, 2)]).is_err());
        assert_eq!(TimePairs::all(4).len(), 6);
        assert!(TimePairs::all(1).is_empty());
        assert_eq!(
            TimePairs::all(4),
            TimePairs::new(4, TimePairs::all(4).iter().rev()).unwrap()
        );
    }
}
