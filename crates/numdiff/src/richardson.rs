//! Richardson extrapolation with a Neville table (Ridders' method), shared by
//! the first-derivative and Hessian engines.
//!
//! Rows are estimates `A(h_k)` at geometric steps `h_k = h_0 / r^k` whose error
//! expands in even powers of `h` (central first differences, central second
//! differences). Column `j` of row `k` eliminates the `h^(2j)` term:
//!
//! ```text
//! T[k][0] = A(h_k)
//! T[k][j] = T[k][j-1] + (T[k][j-1] - T[k-1][j-1]) / (r^(2j) - 1)
//! ```
//!
//! The error of entry `T[k][j]` (j >= 1) is estimated from adjacent orders,
//! `2 max(|T[k][j] - T[k][j-1]|, |T[k][j] - T[k-1][j-1]|, |T[k][j] - T[k-1][j]|)`
//! (a safety factor of 2 on the adjacent-order differences), plus the round-off of
//! the row estimates propagated through the same recurrence with absolute
//! values. Each output component independently keeps the entry with the
//! smallest estimate, so the table tolerates a first step that is too large
//! (truncation) or a last one that is too small (round-off).
//!
//! A row containing non-finite values (for example a large step leaving the
//! domain of `f`) restarts the table from the next row.

/// Factor applied to the adjacent-order differences in the error estimate.
const SAFETY: f64 = 2.0;

/// Neville table over vector-valued estimates, tracking the best entry per
/// component. Only the previous row is stored.
#[derive(Debug, Clone)]
pub(crate) struct Neville {
    ratio2: f64,
    max_cols: usize,
    prev: Vec<Vec<f64>>,
    prev_round: Vec<Vec<f64>>,
    best: Vec<f64>,
    best_err: Vec<f64>,
    rows_since_reset: usize,
    resets: usize,
}

impl Neville {
    /// A table for `m` components, step ratio `ratio` and at most `max_cols`
    /// columns (the highest order eliminated is `h^(2 (max_cols - 1))`).
    pub(crate) fn new(m: usize, ratio: f64, max_cols: usize) -> Self {
        Self {
            ratio2: ratio * ratio,
            max_cols: max_cols.max(2),
            prev: Vec::new(),
            prev_round: Vec::new(),
            best: vec![f64::NAN; m],
            best_err: vec![f64::INFINITY; m],
            rows_since_reset: 0,
            resets: 0,
        }
    }

    /// Number of times a non-finite row restarted the table.
    pub(crate) fn resets(&self) -> usize {
        self.resets
    }

    /// Adds the estimate `value` at the next (smaller) step, with its
    /// round-off bound `round`.
    pub(crate) fn push(&mut self, value: Vec<f64>, round: Vec<f64>) {
        if value.iter().chain(&round).any(|v| !v.is_finite()) {
            self.prev.clear();
            self.prev_round.clear();
            self.rows_since_reset = 0;
            self.resets += 1;
            return;
        }
        let k = self.rows_since_reset;
        let ncols = (k + 1).min(self.max_cols);
        let mut cur: Vec<Vec<f64>> = Vec::with_capacity(ncols);
        let mut cur_round: Vec<Vec<f64>> = Vec::with_capacity(ncols);
        cur.push(value);
        cur_round.push(round);
        let mut fac = 1.0;
        for j in 1..ncols {
            fac *= self.ratio2;
            let d = fac - 1.0;
            let (a, p) = (&cur[j - 1], &self.prev[j - 1]);
            let next: Vec<f64> = a.iter().zip(p).map(|(a, p)| a + (a - p) / d).collect();
            let (ra, rp) = (&cur_round[j - 1], &self.prev_round[j - 1]);
            let next_round: Vec<f64> = ra.iter().zip(rp).map(|(a, p)| a + (a + p) / d).collect();
            for c in 0..next.len() {
                let v = next[c];
                let mut e = (v - cur[j - 1][c]).abs().max((v - p[c]).abs());
                if j < self.prev.len() {
                    e = e.max((v - self.prev[j][c]).abs());
                }
                let e = SAFETY * e + next_round[c];
                if e.is_finite() && e < self.best_err[c] {
                    self.best_err[c] = e;
                    self.best[c] = v;
                }
            }
            cur.push(next);
            cur_round.push(next_round);
        }
        self.prev = cur;
        self.prev_round = cur_round;
        self.rows_since_reset += 1;
    }

    /// Whether every component has a finite best estimate.
    pub(crate) fn complete(&self) -> bool {
        self.best_err.iter().all(|e| e.is_finite())
    }

    /// Rows in the current (un-reset) table.
    pub(crate) fn rows(&self) -> usize {
        self.rows_since_reset
    }

    /// Best value and error estimate per component (NaN / infinity where no
    /// extrapolated entry exists yet).
    ///
    /// As a guard against a chance agreement of neighbouring entries far
    /// from the asymptotic regime, the estimate is raised to at least the
    /// distance (times the safety factor) from the best value to the closest
    /// extrapolated entry of the last row (unless the best entry is in it).
    pub(crate) fn finish(self) -> (Vec<f64>, Vec<f64>) {
        let (mut best, mut err) = (self.best, self.best_err);
        for c in 0..best.len() {
            let cross = self
                .prev
                .iter()
                .skip(1)
                .map(|row| row[c])
                .filter(|&v| v != best[c])
                .map(|v| (v - best[c]).abs())
                .fold(f64::INFINITY, f64::min);
            let in_last_row = self.prev.iter().skip(1).any(|row| row[c] == best[c]);
            if !in_last_row && cross.is_finite() {
                err[c] = err[c].max(SAFETY * cross);
            }
            if !err[c].is_finite() {
                best[c] = f64::NAN;
            }
        }
        (best, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extrapolates_polynomial_error_exactly() {
        // A(h) = 1 + h^2 + h^4: two columns of elimination recover 1 exactly.
        let mut t = Neville::new(1, 2.0, 4);
        for k in 0..4 {
            let h = 0.5f64.powi(k);
            t.push(vec![1.0 + h * h + h.powi(4)], vec![0.0]);
        }
        let (v, e) = t.finish();
        assert!((v[0] - 1.0).abs() < 1e-14, "{v:?}");
        assert!(e[0] < 1e-13);
    }

    #[test]
    fn restarts_after_non_finite_row() {
        let mut t = Neville::new(1, 2.0, 4);
        t.push(vec![f64::NAN], vec![0.0]);
        assert_eq!(t.resets(), 1);
        for k in 1..4 {
            let h = 0.5f64.powi(k);
            t.push(vec![3.0 + h * h], vec![0.0]);
        }
        assert_eq!(t.rows(), 3);
        let (v, _) = t.finish();
        assert!((v[0] - 3.0).abs() < 1e-14);
    }
}
