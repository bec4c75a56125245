//! Embedded font: DejaVu Sans (Bitstream Vera licence, see `assets/`) compiled into the
//! binary and registered once with plotters' `ab_glyph` text backend, so plotting never
//! touches system font libraries (fontconfig/freetype).

use crate::error::PlotError;
use plotters::style::FontStyle;
use std::sync::OnceLock;

/// Raw bytes of the embedded TrueType font.
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Font family name under which the embedded font is registered.
pub(crate) const FAMILY: &str = "sans-serif";

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the embedded font (idempotent, thread-safe).
pub(crate) fn ensure_font() -> Result<(), PlotError> {
    // Bold/italic requests fall back to the normal face automatically.
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}
