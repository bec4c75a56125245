//! Colour maps used by the heatmaps: a viridis-like sequential map (anchor colours of
//! matplotlib's viridis at 10 evenly spaced positions, linearly interpolated), a
//! red/blue diverging map (ColorBrewer RdBu reversed, like matplotlib `RdBu_r`) for
//! residuals, and the grey used for missing (NaN / non-finite) cells.

use plotters::style::RGBColor;

/// Colour used for cells without any finite value.
pub const NAN_COLOR: RGBColor = RGBColor(128, 128, 128);

/// viridis sampled at `i / 9`, `i = 0..=9`.
const VIRIDIS: [(u8, u8, u8); 10] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x28, 0x78),
    (0x3e, 0x49, 0x89),
    (0x31, 0x68, 0x8e),
    (0x26, 0x82, 0x8e),
    (0x1f, 0x9e, 0x89),
    (0x35, 0xb7, 0x79),
    (0x6e, 0xce, 0x58),
    (0xb5, 0xde, 0x2b),
    (0xfd, 0xe7, 0x25),
];

/// ColorBrewer RdBu (11 classes) reversed: dark blue (low) → white → dark red (high).
const RDBU_R: [(u8, u8, u8); 11] = [
    (0x05, 0x30, 0x61),
    (0x21, 0x66, 0xac),
    (0x43, 0x93, 0xc3),
    (0x92, 0xc5, 0xde),
    (0xd1, 0xe5, 0xf0),
    (0xf7, 0xf7, 0xf7),
    (0xfd, 0xdb, 0xc7),
    (0xf4, 0xa5, 0x82),
    (0xd6, 0x60, 0x4d),
    (0xb2, 0x18, 0x2b),
    (0x67, 0x00, 0x1f),
];

/// A colour map from the unit interval to RGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Sequential, perceptually uniform (viridis-like). Default for c2 data.
    #[default]
    Viridis,
    /// Diverging blue–white–red (`RdBu_r`-like); white at 0.5. Used for residuals.
    Diverging,
}

impl Colormap {
    /// Colour at position `f` in `[0, 1]` (clamped; NaN gives [`NAN_COLOR`]).
    pub fn at(self, f: f64) -> RGBColor {
        if f.is_nan() {
            return NAN_COLOR;
        }
        let table: &[(u8, u8, u8)] = match self {
            Colormap::Viridis => &VIRIDIS,
            Colormap::Diverging => &RDBU_R,
        };
        interpolate(table, f.clamp(0.0, 1.0))
    }

    /// Colour of `value` on a scale from `vmin` to `vmax` (values outside are clamped,
    /// non-finite values give [`NAN_COLOR`]).
    pub fn map(self, value: f64, vmin: f64, vmax: f64) -> RGBColor {
        if !value.is_finite() {
            return NAN_COLOR;
        }
        let span = vmax - vmin;
        let f = if span > 0.0 && span.is_finite() {
            (value - vmin) / span
        } else {
            0.5
        };
        self.at(f)
    }
}

fn interpolate(table: &[(u8, u8, u8)], f: f64) -> RGBColor {
    let n = table.len() - 1;
    let pos = f * n as f64;
    let i = (pos.floor() as usize).min(n - 1);
    let w = pos - i as f64;
    let (a, b) = (table[i], table[i + 1]);
    let mix = |x: u8, y: u8| -> u8 {
        let v = f64::from(x) + (f64::from(y) - f64::from(x)) * w;
        v.round().clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_nan() {
        assert_eq!(Colormap::Viridis.at(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(Colormap::Viridis.at(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(Colormap::Viridis.at(-3.0), Colormap::Viridis.at(0.0));
        assert_eq!(Colormap::Viridis.at(7.0), Colormap::Viridis.at(1.0));
        assert_eq!(Colormap::Diverging.at(0.5), RGBColor(0xf7, 0xf7, 0xf7));
        assert_eq!(Colormap::Viridis.at(f64::NAN), NAN_COLOR);
        assert_eq!(Colormap::Viridis.map(f64::INFINITY, 0.0, 1.0), NAN_COLOR);
        assert_eq!(
            Colormap::Viridis.map(2.0, 1.0, 1.0),
            Colormap::Viridis.at(0.5)
        );
    }
}
