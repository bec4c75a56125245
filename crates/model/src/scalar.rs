//! The scalar type the physics kernel is generic over.
//!
//! The model is written once and evaluated with `f64` (values), `Complex64` (complex-step
//! derivatives) and forward-mode dual numbers. Branches (floors, clips, the Taylor sinc
//! switch) look at the real part only; floors and clips keep the derivative part
//! ("pass-through"), matching the reference's gradient-safe `where` convention and
//! keeping the optimiser's gradient alive below a floor.

use num_complex::Complex64;
use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// Arithmetic the forward model needs.
pub trait Scalar:
    Copy
    + Send
    + Sync
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    /// The real constant `v`.
    fn from_f64(v: f64) -> Self;
    /// Real part, used for every branch decision.
    fn re(self) -> f64;
    /// Exponential.
    fn exp(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `base^self` for a real, positive base.
    fn pow_of(self, base: f64) -> Self;
    /// Lower floor on the real part, derivative passed through:
    /// `where(re > floor, x, floor)` with the non-real part kept.
    fn floor_at(self, floor: f64) -> Self {
        let r = self.re();
        if r > floor { self } else { self + (floor - r) }
    }
    /// Lower floor with a zero derivative where active: `where(re > floor, x, floor)`.
    fn floor_hard(self, floor: f64) -> Self {
        if self.re() > floor {
            self
        } else {
            Self::from_f64(floor)
        }
    }
    /// Clip of the real part into `[lo, hi]`, derivative passed through.
    fn clip_re(self, lo: f64, hi: f64) -> Self {
        let r = self.re();
        if r < lo {
            self + (lo - r)
        } else if r > hi {
            self + (hi - r)
        } else {
            self
        }
    }
}

impl Scalar for f64 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn re(self) -> f64 {
        self
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        f64::sin(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        f64::cos(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn pow_of(self, base: f64) -> Self {
        base.powf(self)
    }
    #[inline(always)]
    fn floor_at(self, floor: f64) -> Self {
        if self > floor { self } else { floor }
    }
    #[inline(always)]
    fn clip_re(self, lo: f64, hi: f64) -> Self {
        self.clamp(lo, hi)
    }
}

impl Scalar for Complex64 {
    fn from_f64(v: f64) -> Self {
        Complex64::new(v, 0.0)
    }
    fn re(self) -> f64 {
        self.re
    }
    fn exp(self) -> Self {
        Complex64::exp(self)
    }
    fn sin(self) -> Self {
        Complex64::sin(self)
    }
    fn cos(self) -> Self {
        Complex64::cos(self)
    }
    fn sqrt(self) -> Self {
        Complex64::sqrt(self)
    }
    fn pow_of(self, base: f64) -> Self {
        // Keep the real part bit-identical to f64::powf; the imaginary part carries
        // d/dx base^x = base^x ln(base) to first order in the (tiny) imaginary step.
        let value = base.powf(self.re);
        let (s, c) = (self.im * base.ln()).sin_cos();
        Complex64::new(value * c, value * s)
    }
}

impl Scalar for num_dual::Dual64 {
    fn from_f64(v: f64) -> Self {
        num_dual::Dual64::from(v)
    }
    fn re(self) -> f64 {
        self.re
    }
    fn exp(self) -> Self {
        num_dual::DualNum::exp(&self)
    }
    fn sin(self) -> Self {
        num_dual::DualNum::sin(&self)
    }
    fn cos(self) -> Self {
        num_dual::DualNum::cos(&self)
    }
    fn sqrt(self) -> Self {
        num_dual::DualNum::sqrt(&self)
    }
    fn pow_of(self, base: f64) -> Self {
        let value = base.powf(self.re);
        num_dual::Dual64::new(value, value * base.ln() * self.eps)
    }
}
