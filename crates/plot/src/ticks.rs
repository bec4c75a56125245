//! Tick-label formatting shared by all plots: as few decimals as the axis span needs
//! (trailing zeros trimmed), scientific notation for very large or very small values.

/// Formats a tick value `v` on an axis that spans `span` (max − min).
pub(crate) fn fmt_tick(v: f64, span: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let span = if span.is_finite() && span > 0.0 {
        span
    } else {
        v.abs().max(1.0)
    };
    // Snap values that are zero up to rounding noise.
    if v.abs() < span * 1e-9 {
        return "0".to_string();
    }
    let mag = v.abs().max(span);
    if !(1e-3..1e5).contains(&mag) {
        return trim_exp(format!("{:.2e}", v));
    }
    let decimals = ((-(span / 5.0).log10()).ceil() + 1.0).clamp(0.0, 8.0) as usize;
    trim_zeros(format!("{:.*}", decimals, v))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".to_string()
        } else {
            t.to_string()
        }
    } else {
        s
    }
}

fn trim_exp(s: String) -> String {
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{}", trim_zeros(m.to_string()), e),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_tick;

    #[test]
    fn formats() {
        assert_eq!(fmt_tick(1.05, 0.5), "1.05");
        assert_eq!(fmt_tick(1.1, 0.5), "1.1");
        assert_eq!(fmt_tick(0.0, 1.0), "0");
        assert_eq!(fmt_tick(20.0, 100.0), "20");
        assert_eq!(fmt_tick(2.5e-5, 1e-4), "2.5e-5");
        assert_eq!(fmt_tick(300000.0, 1e6), "3e5");
        assert_eq!(fmt_tick(1e-17, 1.0), "0");
    }
}
