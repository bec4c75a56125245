//! Atomic PNG output: every plot is rendered into a temporary `.png` file in the target
//! folder and renamed over the destination only after encoding succeeded, so readers
//! never see a half-written image. Also hosts the shared render driver.

use crate::error::{MAX_SIDE, MIN_SIDE, PlotError};
use crate::font;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file that is removed on drop unless committed.
struct TempPng {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl TempPng {
    fn create(dest: &Path) -> Result<Self, PlotError> {
        let name = dest
            .file_name()
            .ok_or_else(|| PlotError::InvalidInput(format!("{} has no file name", dest.display())))?
            .to_string_lossy()
            .into_owned();
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(PlotError::Io {
                path: dir,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "output folder does not exist",
                ),
            });
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp.png", std::process::id()));
        // Create it now so permission problems surface as a clear I/O error.
        std::fs::File::create(&tmp).map_err(|source| PlotError::Io {
            path: tmp.clone(),
            source,
        })?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        })
    }

    fn commit(mut self) -> Result<(), PlotError> {
        std::fs::rename(&self.tmp, &self.dest).map_err(|source| PlotError::Io {
            path: self.dest.clone(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempPng {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Checks an image size.
pub(crate) fn check_size(width: u32, height: u32) -> Result<(), PlotError> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(PlotError::InvalidSize { width, height });
    }
    Ok(())
}

/// Root drawing area type handed to the drawing closures.
pub(crate) type Root<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Renders a `width × height` PNG at `dest` atomically. `draw` paints on a white root
/// area and reports drawing failures as strings.
pub(crate) fn render_png<T>(
    dest: &Path,
    width: u32,
    height: u32,
    draw: impl FnOnce(&Root<'_>) -> Result<T, String>,
) -> Result<T, PlotError> {
    check_size(width, height)?;
    font::ensure_font()?;
    let tmp = TempPng::create(dest)?;
    let draw_err = |message: String| PlotError::Draw {
        path: dest.to_path_buf(),
        message,
    };
    let value = {
        let root = BitMapBackend::new(&tmp.tmp, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(e.to_string()))?;
        let value = draw(&root).map_err(draw_err)?;
        root.present().map_err(|e| PlotError::Io {
            path: tmp.tmp.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        value
    };
    tmp.commit()?;
    Ok(value)
}

/// Converts any displayable drawing error into the closure error type.
pub(crate) fn de<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}
