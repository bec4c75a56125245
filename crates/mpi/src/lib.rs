//! CMC across MPI ranks: `mpiexec -n N homodyne --method cmc --cmc-backend mpi ...`.
//!
//! Rank 0 resolves the warm start (the NLSQ fit) and the shard plan and broadcasts the
//! plan; every rank reads the data itself and samples shards `r, r + N, r + 2N, ...` into
//! its `<out>/cmc/shards`; the finished shard files are gathered on rank 0 (so no shared
//! file system is needed), which combines them and writes `<out>/cmc/` exactly as a local
//! run would (same bytes). A rank that fails reports its error and shard numbers to
//! rank 0 instead of aborting the others; the checkpoints make a rerun skip what finished.
//!
//! Built without the cargo feature `mpi`, [`available`] is false and [`run_cmc`] returns
//! an error that says how to build with MPI.
#![deny(missing_docs)]

use std::path::Path;

use homodyne::{Analysis, CmcOutcome, Observer, WarmStartFrom, XpcsData};

/// Why an MPI run failed.
#[derive(Debug, thiserror::Error)]
pub enum MpiError {
    /// This build has no MPI.
    #[error(
        "this homodyne was built without MPI: install it with `cargo install --path crates/cli \
         --features mpi` (needs a system MPI, e.g. Debian's mpich libmpich-dev, and libclang-dev)"
    )]
    NotBuilt,
    /// A rank failed.
    #[error("{0}")]
    Failed(String),
    /// The analysis failed.
    #[error(transparent)]
    Analysis(#[from] homodyne::Error),
}

/// Whether this build can run on MPI.
pub fn available() -> bool {
    cfg!(feature = "mpi")
}

/// This process's rank and the number of ranks (0 and 1 without MPI).
pub fn rank_and_size() -> (usize, usize) {
    imp::rank_and_size()
}

/// Run CMC on every rank of `MPI_COMM_WORLD`: returns the posterior on rank 0 and `None`
/// on the others. `warm` is used on rank 0 only (the others receive the plan).
pub fn run_cmc(
    analysis: &Analysis,
    data: &XpcsData,
    warm: WarmStartFrom<'_>,
    output_dir: &Path,
    observer: &dyn Observer,
) -> Result<Option<CmcOutcome>, MpiError> {
    imp::run_cmc(analysis, data, warm, output_dir, observer)
}

#[cfg(not(feature = "mpi"))]
mod imp {
    use super::*;

    pub fn rank_and_size() -> (usize, usize) {
        (0, 1)
    }

    pub fn run_cmc(
        _: &Analysis,
        _: &XpcsData,
        _: WarmStartFrom<'_>,
        _: &Path,
        _: &dyn Observer,
    ) -> Result<Option<CmcOutcome>, MpiError> {
        Err(MpiError::NotBuilt)
    }
}

#[cfg(feature = "mpi")]
mod imp {
    use std::sync::OnceLock;

    use homodyne::CmcPlan;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::*;

    use super::*;

    /// MPI is initialised once per process and finalised at exit.
    fn world() -> &'static SimpleCommunicator {
        static UNIVERSE: OnceLock<Option<mpi::environment::Universe>> = OnceLock::new();
        static WORLD: OnceLock<SimpleCommunicator> = OnceLock::new();
        WORLD.get_or_init(|| {
            let universe = UNIVERSE.get_or_init(mpi::initialize);
            match universe {
                Some(u) => u.world(),
                None => panic!("MPI could not be initialised (was it initialised twice?)"),
            }
        })
    }

    /// `MPI_Finalize` (the universe lives in a static and is never dropped).
    fn finalize() {
        // SAFETY: called once per process, after the last MPI call of this process.
        unsafe {
            mpi::ffi::MPI_Finalize();
        }
    }

    pub fn rank_and_size() -> (usize, usize) {
        let w = world();
        (w.rank() as usize, w.size() as usize)
    }

    /// Broadcast bytes from rank 0.
    fn broadcast(bytes: &mut Vec<u8>) {
        let w = world();
        let root = w.process_at_rank(0);
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(len as usize, 0);
        root.broadcast_into(&mut bytes[..]);
    }

    /// `[status u8][message or files]`: files as `[name len][name][content len][content]`.
    fn pack(status: Result<Vec<(String, Vec<u8>)>, String>) -> Vec<u8> {
        let mut out = Vec::new();
        match status {
            Ok(files) => {
                out.push(0);
                for (name, content) in files {
                    out.extend((name.len() as u64).to_le_bytes());
                    out.extend(name.as_bytes());
                    out.extend((content.len() as u64).to_le_bytes());
                    out.extend(content);
                }
            }
            Err(message) => {
                out.push(1);
                out.extend(message.as_bytes());
            }
        }
        out
    }

    fn unpack(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
        match bytes.first() {
            Some(0) => {
                let mut files = Vec::new();
                let mut p = 1;
                let mut take = |n: usize| -> Option<&[u8]> {
                    let s = bytes.get(p..p + n)?;
                    p += n;
                    Some(s)
                };
                while let Some(len) = take(8) {
                    let len = u64::from_le_bytes(len.try_into().unwrap_or([0; 8])) as usize;
                    let name = String::from_utf8_lossy(take(len).ok_or("truncated")?).into_owned();
                    let len = take(8).ok_or("truncated")?;
                    let len = u64::from_le_bytes(len.try_into().unwrap_or([0; 8])) as usize;
                    let content = take(len).ok_or("truncated")?.to_vec();
                    files.push((name, content));
                }
                Ok(files)
            }
            Some(_) => Err(String::from_utf8_lossy(&bytes[1..]).into_owned()),
            None => Err("empty message".into()),
        }
    }

    /// The shard files of `indices` in `dir` (`shard_XXXX.npz` / `.json`).
    fn shard_files(dir: &Path, indices: &[usize]) -> Result<Vec<(String, Vec<u8>)>, String> {
        let mut files = Vec::new();
        for i in indices {
            for ext in ["npz", "json"] {
                let name = format!("shard_{i:04}.{ext}");
                let content = std::fs::read(dir.join(&name))
                    .map_err(|e| format!("cannot read {}: {e}", dir.join(&name).display()))?;
                files.push((name, content));
            }
        }
        Ok(files)
    }

    pub fn run_cmc(
        analysis: &Analysis,
        data: &XpcsData,
        warm: WarmStartFrom<'_>,
        output_dir: &Path,
        observer: &dyn Observer,
    ) -> Result<Option<CmcOutcome>, MpiError> {
        let w = world();
        let (rank, size) = (w.rank() as usize, w.size() as usize);
        // Rank 0 plans; the plan travels as its JSON text.
        let mut plan_text = Vec::new();
        let mut plan_error = String::new();
        if rank == 0 {
            match analysis.plan_cmc(data, warm, output_dir, observer) {
                Ok(plan) => plan_text = plan.to_json_string().into_bytes(),
                Err(e) => plan_error = e.to_string(),
            }
        }
        let mut failed = plan_error.clone().into_bytes();
        broadcast(&mut failed);
        if !failed.is_empty() {
            return Err(MpiError::Failed(
                String::from_utf8_lossy(&failed).into_owned(),
            ));
        }
        broadcast(&mut plan_text);
        let plan = CmcPlan::from_json_str(&String::from_utf8_lossy(&plan_text))?;
        let mine: Vec<usize> = (rank..plan.num_shards).step_by(size).collect();
        tracing::info!("MPI rank {rank} of {size}: shards {mine:?}");
        let shards_dir = output_dir.join("cmc").join("shards");
        let status = analysis
            .sample_cmc_shards(data, &plan, &mine, output_dir, observer)
            .map_err(|e| format!("rank {rank} (shards {mine:?}): {e}"))
            .and_then(|_| shard_files(&shards_dir, &mine));
        // Gather on rank 0: every rank reports, success or failure.
        let message = pack(status);
        if rank != 0 {
            w.process_at_rank(0).send(&message[..]);
            w.barrier();
            finalize();
            return Ok(None);
        }
        let mut failures = Vec::new();
        if let Err(e) = unpack(&message) {
            failures.push(e);
        }
        for r in 1..size {
            let (bytes, _) = w.process_at_rank(r as i32).receive_vec::<u8>();
            match unpack(&bytes) {
                Ok(files) => {
                    std::fs::create_dir_all(&shards_dir).map_err(|e| {
                        MpiError::Failed(format!("cannot create {}: {e}", shards_dir.display()))
                    })?;
                    for (name, content) in files {
                        let path = shards_dir.join(&name);
                        // Same bytes when the file system is shared; written atomically.
                        if std::fs::read(&path).ok().as_deref() != Some(&content[..]) {
                            let tmp =
                                shards_dir.join(format!(".{name}.mpi-{}", std::process::id()));
                            std::fs::write(&tmp, &content)
                                .and_then(|()| std::fs::rename(&tmp, &path))
                                .map_err(|e| {
                                    let _ = std::fs::remove_file(&tmp);
                                    MpiError::Failed(format!(
                                        "cannot write {}: {e}",
                                        path.display()
                                    ))
                                })?;
                        }
                    }
                }
                Err(e) => failures.push(e),
            }
        }
        w.barrier();
        // Every rank leaves MPI here: a rank that exits without finalising makes the
        // launcher stop the others (rank 0 still combines and writes, without MPI).
        finalize();
        if !failures.is_empty() {
            return Err(MpiError::Failed(format!(
                "{} rank(s) failed: {} (finished shards are kept; rerun to complete them)",
                failures.len(),
                failures.join("; ")
            )));
        }
        Ok(Some(
            analysis.combine_cmc(data, &plan, output_dir, false, observer)?,
        ))
    }
}
