//! Parallelism as an argument, and the fixed tiling that makes every reduction
//! bit-reproducible.
//!
//! Every driver of this crate takes a [`Par`] (after faer's `Par`): [`Par::Seq`] runs on
//! the calling thread and never touches rayon, [`Par::Rayon`]`(n)` runs at most `n` tasks
//! on the *current* rayon pool (the pool the caller is `install`ed in, else the global
//! one). No driver builds a pool, so chains or shards evaluated in parallel never nest
//! pools: give each of them `Par::Seq`, or a small `n`.
//!
//! Determinism: work is cut into tiles decided from the problem size only (never from the
//! thread count), each tile is accumulated sequentially from zero, and the per-tile
//! partial results are combined in tile order. Which thread runs a tile, and when, cannot
//! change a single bit of the result, so `Seq`, `Rayon(1)`, `Rayon(8)` and repeated runs
//! agree exactly.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

/// How much parallelism a driver may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Par {
    /// Sequential, on the calling thread (no rayon call at all).
    Seq,
    /// At most this many tasks on the current rayon pool (see [`rayon::current_num_threads`]).
    Rayon(NonZeroUsize),
}

impl Par {
    /// `Rayon(n)`; `n = 0` means one task per thread of the current rayon pool, as
    /// counted now (the pool the caller runs in, else the global pool).
    pub fn rayon(n: usize) -> Self {
        let n = if n == 0 {
            rayon::current_num_threads()
        } else {
            n
        };
        Par::Rayon(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN))
    }

    /// Largest number of concurrent tasks (1 for `Seq`).
    pub fn degree(&self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.get(),
        }
    }
}

impl Default for Par {
    /// `Par::rayon(0)`: as wide as the current pool.
    fn default() -> Self {
        Par::rayon(0)
    }
}

/// Run `f(scratch, tile_index, item)` on every item and return the results in item
/// order. With `Par::Seq` (or one item) this is a plain loop; otherwise up to
/// `par.degree()` workers pull items from a shared queue (dynamic load balancing) on
/// the current rayon pool, each with its own scratch from `init`. The result of an item
/// must not depend on the scratch's history (scratch is a buffer, not an accumulator),
/// so the output is independent of scheduling.
pub(crate) fn run_tiles<I, S, T, Init, F>(par: Par, items: Vec<I>, init: Init, f: F) -> Vec<T>
where
    I: Send,
    T: Send,
    Init: Fn() -> S + Sync,
    F: Fn(&mut S, usize, I) -> T + Sync,
{
    let n = items.len();
    let workers = par.degree().min(n);
    if workers <= 1 {
        let mut scratch = init();
        return items
            .into_iter()
            .enumerate()
            .map(|(t, item)| f(&mut scratch, t, item))
            .collect();
    }
    let queue = Mutex::new(items.into_iter().enumerate());
    let parts: Vec<Vec<(usize, T)>> = (0..workers)
        .into_par_iter()
        .with_max_len(1)
        .map(|_| {
            let mut scratch = init();
            let mut done = Vec::new();
            loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some((t, item)) = next else { break };
                done.push((t, f(&mut scratch, t, item)));
            }
            done
        })
        .collect();
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for (t, value) in parts.into_iter().flatten() {
        slots[t] = Some(value);
    }
    slots
        .into_iter()
        .map(|v| v.expect("every tile is run exactly once"))
        .collect()
}

/// Smallest tile, in model points (time pairs x angles): below this the per-tile
/// overhead (a fresh accumulator and a merge) would show.
const MIN_TILE_POINTS: usize = 4096;
/// Most tiles per evaluation: bounds the memory of the per-tile partial sums (the normal
/// equations keep n_phi x L x L numbers per tile) while leaving enough tiles to balance
/// many threads.
const MAX_TILES: usize = 512;

/// Tile size target in points for `total` points.
fn tile_target(total: usize) -> usize {
    MIN_TILE_POINTS.max(total.div_ceil(MAX_TILES))
}

/// Cut `items` (each of `weight(item)` points) into consecutive tiles of about equal
/// weight; depends on the items and weights only.
pub(crate) fn tiles_by_weight(
    items: Range<usize>,
    weight: impl Fn(usize) -> usize,
) -> Vec<Range<usize>> {
    let total: usize = items.clone().map(&weight).sum();
    let target = tile_target(total);
    let mut tiles = Vec::new();
    let (mut start, mut acc) = (items.start, 0usize);
    for k in items.clone() {
        acc += weight(k);
        if acc >= target {
            tiles.push(start..k + 1);
            start = k + 1;
            acc = 0;
        }
    }
    if start < items.end {
        tiles.push(start..items.end);
    }
    tiles
}

/// Cut `0..len` items of `per_item` points each into equal tiles.
pub(crate) fn tiles_uniform(len: usize, per_item: usize) -> Vec<Range<usize>> {
    let per_item = per_item.max(1);
    let step = tile_target(len * per_item).div_ceil(per_item).max(1);
    (0..len)
        .step_by(step)
        .map(|s| s..(s + step).min(len))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_once_and_ignore_threads() {
        let tiles = tiles_by_weight(3..900, |i| 1000 - i);
        assert_eq!(tiles.first().unwrap().start, 3);
        assert_eq!(tiles.last().unwrap().end, 900);
        assert!(tiles.windows(2).all(|w| w[0].end == w[1].start));
        let u = tiles_uniform(10_001, 3);
        assert_eq!(u.iter().map(|r| r.len()).sum::<usize>(), 10_001);
        assert!(tiles_uniform(0, 3).is_empty());
        assert!(tiles_by_weight(5..5, |_| 1).is_empty());
    }

    #[test]
    fn run_tiles_keeps_order() {
        let items: Vec<usize> = (0..100).collect();
        for par in [Par::Seq, Par::rayon(1), Par::rayon(3), Par::rayon(0)] {
            let out = run_tiles(par, items.clone(), || (), |_, t, v| (t, v * 2));
            assert!(
                out.iter()
                    .enumerate()
                    .all(|(k, &(t, v))| t == k && v == 2 * k)
            );
        }
        assert_eq!(Par::rayon(5).degree(), 5);
        assert_eq!(Par::Seq.degree(), 1);
    }
}
