//! Minimal iterative radix-2 complex FFT, used only for long autocovariance sequences.

/// Plan for one power-of-two length: the twiddle table, computed once with sin/cos of
/// each angle (no recurrence, so errors stay ~eps) and shared by all transforms.
pub(crate) struct Fft {
    cos: Vec<f64>,
    sin: Vec<f64>,
}

impl Fft {
    pub(crate) fn new(n: usize) -> Self {
        debug_assert!(n.is_power_of_two());
        let (sin, cos) = (0..n / 2)
            .map(|k| (-2.0 * std::f64::consts::PI * k as f64 / n as f64).sin_cos())
            .unzip();
        Self { cos, sin }
    }

    /// In-place transform of (re, im) of the plan's length; `inverse` gives the
    /// unnormalised inverse.
    pub(crate) fn transform(&self, re: &mut [f64], im: &mut [f64], inverse: bool) {
        let n = re.len();
        debug_assert!(n == 2 * self.cos.len() && im.len() == n);
        let mut j = 0usize;
        for i in 1..n {
            let mut bit = n >> 1;
            while j & bit != 0 {
                j ^= bit;
                bit >>= 1;
            }
            j |= bit;
            if i < j {
                re.swap(i, j);
                im.swap(i, j);
            }
        }
        let sign = if inverse { -1.0 } else { 1.0 };
        let mut len = 2;
        while len <= n {
            let half = len / 2;
            let stride = n / len;
            // Blocks outer, butterflies inner: contiguous memory access.
            for start in (0..n).step_by(len) {
                for k in 0..half {
                    let (c, s) = (self.cos[k * stride], sign * self.sin[k * stride]);
                    let (a, b) = (start + k, start + k + half);
                    let tr = re[b] * c - im[b] * s;
                    let ti = re[b] * s + im[b] * c;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
            len <<= 1;
        }
    }
}

/// Zero-padded FFT length for the autocovariance of `n` values (no circular wrap-around).
pub(crate) fn padded_len(n: usize) -> usize {
    (2 * n).next_power_of_two()
}

/// Autocovariance `sum_i x_i x_{i+lag} / n` for every lag 0..n of an already centred
/// series (as arviz-stats `autocov`); `fft` must be planned for [`padded_len`].
pub(crate) fn autocov_fft(x: &[f64], fft: &Fft) -> Vec<f64> {
    let n = x.len();
    let m = padded_len(n);
    let mut re = vec![0.0; m];
    let mut im = vec![0.0; m];
    re[..n].copy_from_slice(x);
    fft.transform(&mut re, &mut im, false);
    for (r, i) in re.iter_mut().zip(im.iter_mut()) {
        *r = *r * *r + *i * *i;
        *i = 0.0;
    }
    fft.transform(&mut re, &mut im, true);
    let scale = 1.0 / (m as f64 * n as f64);
    re[..n].iter().map(|v| v * scale).collect()
}

#[cfg(test)]
mod tests {
    use super::{Fft, autocov_fft, padded_len};

    #[test]
    fn matches_direct_sum() {
        let x: Vec<f64> = (0..37)
            .map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0)
            .collect();
        let acov = autocov_fft(&x, &Fft::new(padded_len(x.len())));
        for lag in 0..x.len() {
            let direct: f64 =
                (0..x.len() - lag).map(|i| x[i] * x[i + lag]).sum::<f64>() / x.len() as f64;
            assert!((acov[lag] - direct).abs() < 1e-13, "lag {lag}");
        }
    }
}
