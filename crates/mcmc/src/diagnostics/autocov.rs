//! Chain-averaged autocovariance, computed lazily lag by lag.
//!
//! Geyer's sequence usually stops after a few lags, so direct sums (exact, O(n) per lag)
//! beat an FFT; once more than `direct_max_lag` lags are needed, all remaining lags come
//! from one FFT per chain, keeping long or slowly mixing chains O(n log n).

use ndarray::ArrayView2;

use super::fft::{Fft, autocov_fft, padded_len};

/// Lags computed by direct sums before switching to the FFT.
pub(crate) const DIRECT_MAX_LAG: usize = 64;

pub(crate) struct MeanAutocov {
    /// Chains centred on their own means.
    centred: Vec<Vec<f64>>,
    direct_max_lag: usize,
    /// Mean over chains of every lag, once the FFT has been run.
    fft: Option<Vec<f64>>,
}

impl MeanAutocov {
    pub(crate) fn new(ary: ArrayView2<f64>, direct_max_lag: usize) -> Self {
        let centred = ary
            .rows()
            .into_iter()
            .map(|row| {
                let mean = row.sum() / row.len() as f64;
                row.iter().map(|v| v - mean).collect()
            })
            .collect();
        Self {
            centred,
            direct_max_lag,
            fft: None,
        }
    }

    /// `np.mean(acov[:, lag])`.
    pub(crate) fn at(&mut self, lag: usize) -> f64 {
        if lag <= self.direct_max_lag {
            return self.direct(lag);
        }
        let m = self.centred.len() as f64;
        let fft = self.fft.get_or_insert_with(|| {
            let n = self.centred[0].len();
            let plan = Fft::new(padded_len(n));
            let mut total = vec![0.0; n];
            for chain in &self.centred {
                for (t, v) in total.iter_mut().zip(autocov_fft(chain, &plan)) {
                    *t += v;
                }
            }
            total
        });
        fft[lag] / m
    }

    fn direct(&self, lag: usize) -> f64 {
        let mut total = 0.0;
        for x in &self.centred {
            let n = x.len();
            let s: f64 = x[..n - lag].iter().zip(&x[lag..]).map(|(a, b)| a * b).sum();
            total += s / n as f64;
        }
        total / self.centred.len() as f64
    }
}
