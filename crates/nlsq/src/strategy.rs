//! Execution strategies: how the (one) objective is computed, never what it is.
//!
//! The reference's memory model decides: with `N` grid points and `P` optimiser
//! variables, `index_GB = N*8/1024^3` and `peak_GB = N*P*8*6.5/1024^3` are compared with
//! a budget (75 % of available RAM): index too big -> [`Strategy::Streaming`], peak too
//! big -> [`Strategy::Chunked`], else [`Strategy::Standard`]. This crate never stores
//! the Jacobian, so the strategies differ only in how rows of the (t1, t2) grid are
//! grouped: all at once, or in chunks balanced by point count whose normal equations are
//! summed.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How the objective is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// All rows in one parallel pass.
    Standard,
    /// Row chunks balanced by point count, normal equations summed.
    Chunked,
    /// Chunks, L-BFGS warm-up then Gauss-Newton in bounds-normalised variables.
    Streaming,
}

impl Strategy {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Standard => "standard",
            Strategy::Chunked => "chunked",
            Strategy::Streaming => "streaming",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Strategy::Standard),
            "chunked" | "large" | "out_of_core" => Ok(Strategy::Chunked),
            "streaming" | "hybrid_streaming" => Ok(Strategy::Streaming),
            _ => Err(format!(
                "unknown strategy '{s}': expected standard, chunked or streaming"
            )),
        }
    }
}

/// The memory model's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryEstimate {
    /// Grid points `n_phi * n_t^2` (the reference's N).
    pub n_points: usize,
    /// Optimiser variables.
    pub n_params: usize,
    /// Memory of index arrays in GiB (reference formula).
    pub index_gb: f64,
    /// Estimated peak memory in GiB.
    pub peak_gb: f64,
    /// Budget the estimates are compared with.
    pub threshold_gb: f64,
    /// RAM considered available (GiB) and where the number came from.
    pub available_gb: f64,
    /// Where the available memory was read.
    pub memory_source: String,
}

/// The chosen strategy and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyDecision {
    /// The strategy chosen.
    pub strategy: Strategy,
    /// Why, in one line.
    pub reason: String,
    /// The memory estimate behind the choice.
    pub memory: MemoryEstimate,
    /// Number of row chunks the objective is evaluated in.
    pub n_chunks: usize,
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Available RAM in GiB: MemAvailable (else MemTotal) from /proc/meminfo, 16 GiB when
/// unreadable.
pub fn available_memory_gb() -> (f64, String) {
    if let Ok(text) = std::fs::read_to_string("/proc/meminfo") {
        for key in ["MemAvailable:", "MemTotal:"] {
            let kb = text.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|v| v.parse::<f64>().ok())
            });
            if let Some(kb) = kb {
                return (
                    kb * 1024.0 / GIB,
                    format!("/proc/meminfo {}", &key[..key.len() - 1]),
                );
            }
        }
    }
    (16.0, "fallback 16 GiB".into())
}

/// Memory estimate for `n_points` grid points and `n_params` variables.
pub fn estimate(
    n_points: usize,
    n_params: usize,
    memory_limit_gb: Option<f64>,
    memory_fraction: f64,
) -> MemoryEstimate {
    let (available_gb, memory_source, threshold_gb) = match memory_limit_gb {
        Some(gb) => (gb, "memory_limit_gb option".to_string(), gb),
        None => {
            let (avail, src) = available_memory_gb();
            (avail, src, avail * memory_fraction.clamp(0.1, 0.9))
        }
    };
    MemoryEstimate {
        n_points,
        n_params,
        index_gb: n_points as f64 * 8.0 / GIB,
        peak_gb: n_points as f64 * n_params as f64 * 8.0 * 6.5 / GIB,
        threshold_gb,
        available_gb,
        memory_source,
    }
}

/// Choose the strategy (or honour a forced one) and explain the choice.
pub fn choose(memory: &MemoryEstimate, forced: Option<Strategy>) -> (Strategy, String) {
    if let Some(s) = forced {
        return (s, format!("forced by option (strategy = {s})"));
    }
    if memory.index_gb > memory.threshold_gb {
        (
            Strategy::Streaming,
            format!(
                "index array {:.3} GiB exceeds the memory budget {:.3} GiB",
                memory.index_gb, memory.threshold_gb
            ),
        )
    } else if memory.peak_gb > memory.threshold_gb {
        (
            Strategy::Chunked,
            format!(
                "estimated peak {:.3} GiB (N*P*8*6.5) exceeds the memory budget {:.3} GiB",
                memory.peak_gb, memory.threshold_gb
            ),
        )
    } else {
        (
            Strategy::Standard,
            format!(
                "estimated peak {:.3} GiB fits the memory budget {:.3} GiB",
                memory.peak_gb, memory.threshold_gb
            ),
        )
    }
}

/// Split rows `0..n_t` into contiguous chunks of about `chunk_points` off-diagonal
/// points each, at least `min_chunks`. Row i holds the `n_t - 1 - i` time pairs
/// (i, j > i) of every angle, each giving `residuals_per_pair` points (2 when both
/// triangles count, 1 when each unordered pair counts once, as for symmetric data).
pub fn row_chunks(
    n_t: usize,
    n_phi: usize,
    residuals_per_pair: usize,
    chunk_points: usize,
    min_chunks: usize,
) -> Vec<Range<usize>> {
    let row_points = |i: usize| residuals_per_pair * (n_t - 1 - i) * n_phi;
    let total: usize = (0..n_t).map(row_points).sum();
    let target_chunks = total.div_ceil(chunk_points.max(1)).max(min_chunks).max(1);
    let target = total as f64 / target_chunks as f64;
    let mut chunks = Vec::with_capacity(target_chunks);
    let (mut start, mut acc) = (0, 0usize);
    for i in 0..n_t {
        acc += row_points(i);
        if chunks.len() + 1 < target_chunks
            && acc as f64 >= target * (chunks.len() + 1) as f64 - 0.5
            && i + 1 < n_t
        {
            chunks.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < n_t {
        chunks.push(start..n_t);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_follows_memory_model() {
        let m = estimate(23_000_000, 9, Some(8.0), 0.75);
        assert!((m.peak_gb - 23e6 * 9.0 * 52.0 / GIB).abs() < 1e-9);
        assert_eq!(choose(&m, None).0, Strategy::Chunked);
        let m = estimate(23_000_000, 9, Some(100.0), 0.75);
        assert_eq!(choose(&m, None).0, Strategy::Standard);
        let m = estimate(23_000_000, 9, Some(0.1), 0.75);
        assert_eq!(choose(&m, None).0, Strategy::Streaming);
        assert_eq!(choose(&m, Some(Strategy::Standard)).0, Strategy::Standard);
        assert_eq!("out_of_core".parse(), Ok(Strategy::Chunked));
    }

    #[test]
    fn chunks_cover_rows_and_balance_points() {
        let (n_t, n_phi) = (100, 3);
        let chunks = row_chunks(n_t, n_phi, 2, 3000, 1);
        assert_eq!(chunks.first().unwrap().start, 0);
        assert_eq!(chunks.last().unwrap().end, n_t);
        for w in chunks.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        let pts: Vec<usize> = chunks
            .iter()
            .map(|r| r.clone().map(|i| 2 * (n_t - 1 - i) * n_phi).sum())
            .collect();
        let total: usize = pts.iter().sum();
        assert_eq!(total, n_phi * n_t * (n_t - 1));
        assert!(chunks.len() >= 9, "{chunks:?}");
        assert!(pts.iter().all(|&p| p < 2 * 3000 + 2 * n_t * n_phi));
        assert_eq!(row_chunks(5, 1, 2, 1_000_000, 1), vec![0..5]);
        // Each pair once: half the points per row, about half the chunks.
        let once = row_chunks(n_t, n_phi, 1, 3000, 1);
        assert!(once.len() * 2 <= chunks.len() + 2, "{once:?}");
    }
}
