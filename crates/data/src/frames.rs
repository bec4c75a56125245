//! Frame window and time axis: 1-based inclusive `start_frame`/`end_frame` (−1 = last)
//! resolved against the number of frames with the reference's clamping, and the time
//! array `t = linspace(0, dt·(n−1), n)` computed exactly as numpy does.

use std::path::Path;

use ndarray::Array1;

use crate::error::{DataError, DataResult};

/// A resolved, non-empty frame window: 0-based `start`, exclusive `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameWindow {
    /// First frame of the window (0-based).
    pub start: usize,
    /// One past the last frame of the window (0-based, exclusive).
    pub end: usize,
}

impl FrameWindow {
    /// Number of frames in the window.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Always false: a resolved window holds at least one frame.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Resolve 1-based inclusive `start_frame`..`end_frame` (`end_frame < 0` = last frame) on
/// `n_frames` frames: `start = max(start_frame, 1) − 1`, `end = min(end_frame, n_frames)`.
/// Clamping is reported with a warning; an empty window is [`DataError::FramesOutOfRange`].
pub(crate) fn resolve_frames(
    start_frame: i64,
    end_frame: i64,
    n_frames: usize,
    path: &Path,
) -> DataResult<FrameWindow> {
    if start_frame < 1 {
        tracing::warn!(
            start_frame,
            "start_frame < 1: clamped to 1 (frames are 1-based)"
        );
    }
    let start = (start_frame.max(1) - 1) as u64;
    let requested_end = if end_frame >= 0 {
        end_frame as u64
    } else {
        n_frames as u64
    };
    if requested_end > n_frames as u64 {
        tracing::warn!(
            end_frame,
            n_frames,
            "end_frame beyond the last frame: clamped to {n_frames}"
        );
    }
    let end = requested_end.min(n_frames as u64);
    if start >= end {
        return Err(DataError::FramesOutOfRange {
            path: path.to_path_buf(),
            start_frame,
            end_frame,
            n_frames,
        });
    }
    Ok(FrameWindow {
        start: start as usize,
        end: end as usize,
    })
}

/// `numpy.linspace(0, dt·(n−1), n)`: `t[i] = i·step` with `step = dt(n−1)/(n−1)` and the
/// last point set exactly to `dt·(n−1)`.
pub(crate) fn time_array(n: usize, dt: f64) -> Array1<f64> {
    if n == 0 {
        return Array1::zeros(0);
    }
    if n == 1 {
        return Array1::zeros(1);
    }
    let div = (n - 1) as f64;
    let stop = dt * div;
    let step = stop / div;
    let mut t: Array1<f64> = if step == 0.0 {
        Array1::from_iter((0..n).map(|i| i as f64 / div * stop))
    } else {
        Array1::from_iter((0..n).map(|i| i as f64 * step))
    };
    t[n - 1] = stop;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rules() {
        let p = Path::new("x.h5");
        assert_eq!(resolve_frames(10, 20, 100, p).unwrap().len(), 11);
        assert_eq!(
            resolve_frames(1, 50, 50, p).unwrap(),
            FrameWindow { start: 0, end: 50 }
        );
        assert_eq!(
            resolve_frames(-5, 200, 100, p).unwrap(),
            FrameWindow { start: 0, end: 100 }
        );
        assert_eq!(resolve_frames(1, -1, 7, p).unwrap().len(), 7);
        assert!(resolve_frames(101, -1, 100, p).is_err());
        assert!(resolve_frames(5, 4, 100, p).is_err());
        assert!(resolve_frames(1, 0, 100, p).is_err());
    }

    #[test]
    fn time_axis_starts_at_zero() {
        let t = time_array(5, 0.1);
        assert_eq!(t[0], 0.0);
        assert_eq!(t.len(), 5);
        assert!((t[1] - 0.1).abs() < 1e-15);
        assert_eq!(t[4], 0.1 * 4.0);
        assert_eq!(time_array(1, 0.5).to_vec(), vec![0.0]);
    }
}
