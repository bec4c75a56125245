//! The [`Method`] enum on its own, because both the configuration and the
//! error type name methods: keeping it apart lets `config` depend on `error`
//! without `error` depending back on `config`.

use std::fmt;

/// Differentiation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// One-sided forward differences, `O(h)` truncation error.
    Forward,
    /// One-sided backward differences, `O(h)` truncation error.
    Backward,
    /// Central differences, `O(h^2)` truncation error.
    Central,
    /// Complex-step differentiation `Im f(x + i h e_k) / h`; needs the complex
    /// extension of the function, accurate to a few ulps.
    ComplexStep,
    /// Richardson extrapolation (Ridders' Neville table) of central differences
    /// over a geometric sequence of steps.
    Richardson,
    /// Pick automatically: try methods in order and return the first that
    /// succeeds (no error, every value finite):
    ///
    /// * with a complex-analytic function (the `*_complex` entry points): complex
    ///   step → Richardson → central → forward → backward;
    /// * with a real function: Richardson → central → forward → backward.
    ///
    /// A non-finite value at `x` itself, a wrong output length and input errors
    /// (empty or non-finite `x`, bad configuration) end the search at once. Each
    /// failure is recorded as a warning in the returned result, and the result's
    /// `method` is the method that succeeded. One-sided differences come last
    /// because they only help when the function is undefined on one side of `x`
    /// (a bound). If every method fails, [`NumDiffError::AllMethodsFailed`]
    /// carries the last error.
    ///
    /// [`NumDiffError::AllMethodsFailed`]: crate::NumDiffError::AllMethodsFailed
    Adaptive,
}

impl Method {
    /// All concrete (non-adaptive) methods, in order of increasing accuracy.
    pub const CONCRETE: [Method; 5] = [
        Method::Forward,
        Method::Backward,
        Method::Central,
        Method::Richardson,
        Method::ComplexStep,
    ];

    /// Short lowercase name (`"forward"`, `"complex-step"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Method::Forward => "forward",
            Method::Backward => "backward",
            Method::Central => "central",
            Method::ComplexStep => "complex-step",
            Method::Richardson => "richardson",
            Method::Adaptive => "adaptive",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
