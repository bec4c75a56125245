//! Branch-free `sin` and `cos` for the gradient pass ([`crate::gradient`]): written so that
//! a loop over them vectorises (no calls, no branches), accurate to about one ulp for
//! `|x| <= SINCOS_LIMIT` (fdlibm's reduction by pi/2 in two 33-bit parts plus a tail, and
//! fdlibm's kernel polynomials on [-pi/4, pi/4]). Callers check the limit and use the
//! library functions beyond it.

// fdlibm's constants as published (more digits than a double holds).
#![allow(clippy::excessive_precision)]

use std::f64::consts::FRAC_2_PI;

/// Largest `|x|` [`sin_cos`] is meant for (the reduction is exact for |n| < 2^20).
pub(crate) const SINCOS_LIMIT: f64 = 1.0e5;

/// 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
const TO_INT: f64 = 6_755_399_441_055_744.0;
/// First 33 bits of pi/2.
const PIO2_1: f64 = 1.570_796_326_734_125_614_17;
/// Next 33 bits of pi/2.
const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
/// pi/2 - (PIO2_1 + PIO2_2).
const PIO2_2T: f64 = 2.022_266_248_795_950_631_54e-21;

const S1: f64 = -1.666_666_666_666_663_243_48e-1;
const S2: f64 = 8.333_333_333_322_489_461_24e-3;
const S3: f64 = -1.984_126_982_985_794_931_34e-4;
const S4: f64 = 2.755_731_370_707_006_767_89e-6;
const S5: f64 = -2.505_076_025_340_686_341_95e-8;
const S6: f64 = 1.589_690_995_211_550_102_21e-10;

const C1: f64 = 4.166_666_666_666_660_190_37e-2;
const C2: f64 = -1.388_888_888_887_410_957_49e-3;
const C3: f64 = 2.480_158_728_947_672_941_78e-5;
const C4: f64 = -2.755_731_435_139_066_330_35e-7;
const C5: f64 = 2.087_572_321_298_174_827_90e-9;
const C6: f64 = -1.135_964_755_778_819_482_65e-11;

/// `(sin x, cos x)` for finite `|x| <= SINCOS_LIMIT`, without branches.
#[inline(always)]
pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
    // n = round(x * 2/pi); y = x - n pi/2 in [-pi/4, pi/4] (about).
    let t = x * FRAC_2_PI + TO_INT;
    let n = t - TO_INT;
    let q = t.to_bits();
    let y = ((x - n * PIO2_1) - n * PIO2_2) - n * PIO2_2T;
    let z = y * y;
    let w = z * z;
    // fdlibm __kernel_sin (tail 0).
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let s = y + z * y * (S1 + z * r);
    // fdlibm __kernel_cos (tail 0).
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let v = 1.0 - hz;
    let c = v + (((1.0 - v) - hz) + z * r);
    // Quadrant n mod 4: swap sin and cos when n is odd; signs from bits 1 of n, n + 1.
    let swap = (q & 1).wrapping_neg();
    let (sb, cb) = (s.to_bits(), c.to_bits());
    let sin = (sb & !swap) | (cb & swap);
    let cos = (cb & !swap) | (sb & swap);
    (
        f64::from_bits(sin ^ ((q & 2) << 62)),
        f64::from_bits(cos ^ ((q.wrapping_add(1) & 2) << 62)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error in units of the last place of the larger of |reference| and 2^-60.
    fn ulps(got: f64, want: f64) -> f64 {
        let scale = want.abs().max(2f64.powi(-60));
        (got - want).abs() / (scale * f64::EPSILON)
    }

    #[test]
    fn matches_the_library_to_about_an_ulp() {
        let mut worst = (0.0f64, 0.0f64);
        let mut x = 1e-9f64;
        let mut check = |x: f64| {
            for x in [x, -x] {
                let (s, c) = sin_cos(x);
                let (ws, wc) = x.sin_cos();
                // Absolute error against 1 (the magnitude of the functions' range) and
                // relative error where the value is not tiny.
                worst.0 = worst.0.max((s - ws).abs() / f64::EPSILON);
                worst.1 = worst.1.max((c - wc).abs() / f64::EPSILON);
                if ws.abs() > 1e-3 {
                    assert!(ulps(s, ws) <= 2.0, "sin({x}) = {s} vs {ws}");
                }
                if wc.abs() > 1e-3 {
                    assert!(ulps(c, wc) <= 2.0, "cos({x}) = {c} vs {wc}");
                }
            }
        };
        while x < SINCOS_LIMIT {
            check(x);
            x *= 1.000_37;
        }
        for k in 0..200_000 {
            check(k as f64 * 0.01);
        }
        check(0.0);
        check(SINCOS_LIMIT);
        assert!(worst.0 <= 1.0 && worst.1 <= 1.0, "{worst:?}");
        assert_eq!(sin_cos(0.0), (0.0, 1.0));
    }
}
