//! Minimal iterative radix-2 complex FFT, used only for long autocovariance sequences.

/// In-place FFT of (re, im), length a power of two; `inverse` computes the unnormalised
/// inverse transform.
pub(crate) fn fft_in_place(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let n = re.len();
    debug_assert!(n.is_power_of_two() && im.len() == n);
    // Bit-reversal permutation.
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
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let step = sign * 2.0 * std::f64::consts::PI / len as f64;
        for k in 0..half {
            // Twiddles from sin/cos of each angle (not a recurrence) to keep errors ~eps.
            let (s, c) = (step * k as f64).sin_cos();
            let mut start = 0;
            while start < n {
                let (a, b) = (start + k, start + k + half);
                let tr = re[b] * c - im[b] * s;
                let ti = re[b] * s + im[b] * c;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                start += len;
            }
        }
        len <<= 1;
    }
}

/// Autocovariance `sum_{i} x_i x_{i+lag} / n` for every lag 0..n of an already centred
/// series, via zero-padded FFT (as arviz-stats `autocov`).
pub(crate) fn autocov_fft(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let m = (2 * n).next_power_of_two();
    let mut re = vec![0.0; m];
    let mut im = vec![0.0; m];
    re[..n].copy_from_slice(x);
    fft_in_place(&mut re, &mut im, false);
    for (r, i) in re.iter_mut().zip(im.iter_mut()) {
        *r = *r * *r + *i * *i;
        *i = 0.0;
    }
    fft_in_place(&mut re, &mut im, true);
    let scale = 1.0 / (m as f64 * n as f64);
    re[..n].iter().map(|v| v * scale).collect()
}

#[cfg(test)]
mod tests {
    use super::autocov_fft;

    #[test]
    fn matches_direct_sum() {
        let x: Vec<f64> = (0..37).map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0).collect();
        let acov = autocov_fft(&x);
        for lag in 0..x.len() {
            let direct: f64 =
                (0..x.len() - lag).map(|i| x[i] * x[i + lag]).sum::<f64>() / x.len() as f64;
            assert!((acov[lag] - direct).abs() < 1e-13, "lag {lag}");
        }
    }
}
