//! Keeping iterates strictly inside their bounds: shared by the trust-region solver and
//! the Gauss-Newton polish (which would otherwise import each other).

/// Move `x` strictly inside the bounds: entries within `rstep` (relative) of a bound are
/// pushed inside; `rstep = 0` uses the next representable number.
pub fn make_strictly_feasible(x: &[f64], lb: &[f64], ub: &[f64], rstep: f64) -> Vec<f64> {
    x.iter()
        .zip(lb.iter().zip(ub))
        .map(|(&x, (&l, &u))| {
            let mut v = x.clamp(l, u);
            if rstep == 0.0 {
                if v <= l {
                    v = l.next_up();
                } else if v >= u {
                    v = u.next_down();
                }
            } else {
                if v <= l + rstep * l.abs().max(1.0) {
                    v = l + rstep * l.abs().max(1.0);
                }
                if v >= u - rstep * u.abs().max(1.0) {
                    v = u - rstep * u.abs().max(1.0);
                }
            }
            if v < l || v > u || (v <= l && v >= u) {
                0.5 * (l + u)
            } else {
                v
            }
        })
        .collect()
}
