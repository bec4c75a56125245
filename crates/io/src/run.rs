//! Output folders that tell the truth.
//!
//! * Temporary files (`.<name>.tmp-<pid>`, see [`crate::write_atomic`]) are registered in
//!   a process-wide registry while they exist; [`exit_interrupted`] (called by a front
//!   end's SIGINT/SIGTERM handler) removes them, and those the plotting and data crates
//!   create with this process's id in a watched folder, before the process exits.
//! * [`clean_stale_temporaries`] removes temporary files that earlier, crashed runs left
//!   behind: those of a process that no longer runs, and any older than the new run.
//! * A [`RunFolder`] marks its folder with [`INCOMPLETE_MARKER`] while the run writes it
//!   and records every file the run writes there, so that the run summary
//!   (`homodyne_results.<fmt>`, written last) can name them all; the marker is removed
//!   when the run finishes (or when it failed before writing anything).
//! * Per-angle figures of an earlier run (files matching this crate's own naming
//!   patterns only) are removed before a run writes new ones into the same folder
//!   ([`remove_stale_figures`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::error::{OutputResult, io_err};

/// Name of the marker present in an output folder while a run writes it, and left
/// behind (listing what was written) when the run was interrupted or failed midway.
pub const INCOMPLETE_MARKER: &str = ".homodyne_run_incomplete";

/// Subfolders of an output folder that runs write.
const RUN_SUBFOLDERS: [&str; 5] = ["nlsq", "cmc", "cmc/shards", "plots", "simulated_data"];

/// A temporary file older than the run by more than this is stale even when its
/// process id belongs to a running process (ids are reused; file times may be coarse).
const STALE_AGE_SLACK: Duration = Duration::from_secs(2);

struct RunRecord {
    id: u64,
    dir: PathBuf,
    /// Files the run wrote.
    files: Vec<PathBuf>,
    /// Files the run appends to but that are not its own (the log).
    shared: Vec<PathBuf>,
}

struct Registry {
    /// Temporary files of this process that exist now.
    temporaries: BTreeSet<PathBuf>,
    /// Folders searched for temporary files of this process on interruption (with a
    /// count: several runs may watch the same folder).
    folders: Vec<(PathBuf, usize)>,
    /// Runs in progress.
    runs: Vec<RunRecord>,
    next_id: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    temporaries: BTreeSet::new(),
    folders: Vec::new(),
    runs: Vec::new(),
    next_id: 0,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A registered temporary file: created (empty) under the registry's lock, so that an
/// interruption either sees it registered or prevents its creation; removed (if it still
/// exists) and unregistered on drop.
pub(crate) struct Temporary {
    path: PathBuf,
}

impl Temporary {
    pub(crate) fn create(path: PathBuf) -> std::io::Result<Self> {
        let mut reg = registry();
        std::fs::File::create(&path)?;
        reg.temporaries.insert(path.clone());
        Ok(Temporary { path })
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let mut reg = registry();
        // After a successful rename there is nothing left to remove.
        let _ = std::fs::remove_file(&self.path);
        reg.temporaries.remove(&self.path);
    }
}

/// Note that `path` was written: when a [`RunFolder`] covers it, it becomes one of the
/// run's files (listed by the summary). Writers of this crate call it for every file.
pub fn record_file(path: &Path) {
    let mut reg = registry();
    for run in reg.runs.iter_mut().filter(|r| path.starts_with(&r.dir)) {
        if !run.files.iter().any(|f| f == path) {
            run.files.push(path.to_path_buf());
        }
    }
}

/// Files recorded under `dir` by the runs in progress.
pub(crate) fn recorded_files_under(dir: &Path) -> Vec<PathBuf> {
    let reg = registry();
    let mut files: Vec<PathBuf> = reg
        .runs
        .iter()
        .flat_map(|r| r.files.iter().chain(&r.shared))
        .filter(|f| f.starts_with(dir))
        .cloned()
        .collect();
    files.sort();
    files.dedup();
    files
}

fn is_recorded(path: &Path) -> bool {
    registry()
        .runs
        .iter()
        .any(|r| r.files.iter().any(|f| f == path))
}

/// Search `dir` for temporary files of this process when the process is interrupted
/// (until [`unwatch_folder`]). For folders that writers outside this crate (plots,
/// caches, configuration files) write into.
pub fn watch_folder(dir: &Path) {
    let mut reg = registry();
    match reg.folders.iter_mut().find(|(d, _)| d == dir) {
        Some((_, n)) => *n += 1,
        None => reg.folders.push((dir.to_path_buf(), 1)),
    }
}

/// Undo one [`watch_folder`] of `dir`.
pub fn unwatch_folder(dir: &Path) {
    let mut reg = registry();
    if let Some(i) = reg.folders.iter().position(|(d, _)| d == dir) {
        reg.folders[i].1 -= 1;
        if reg.folders[i].1 == 0 {
            reg.folders.remove(i);
        }
    }
}

/// The process id in a temporary file name of this project, if `name` is one:
/// `.<name>.tmp-<pid>` (result files), `.<name>.tmp-<pid>-<n>` (configuration files),
/// `.<name>.<pid>.tmp` (data caches), `.<name>.<pid>.<n>.tmp.png` (figures). `Some(None)`
/// for a hidden `.tmp-` name without a readable id.
pub fn temporary_owner(name: &str) -> Option<Option<u32>> {
    let rest = name.strip_prefix('.')?;
    let digits = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(i) = rest.rfind(".tmp-") {
        let tail = &rest[i + 5..];
        let mut parts = tail.splitn(2, '-');
        let pid = parts.next().and_then(digits);
        let attempt_ok = parts.next().is_none_or(|a| digits(a).is_some());
        return Some(pid.filter(|_| attempt_ok));
    }
    if let Some(stem) = rest.strip_suffix(".tmp.png") {
        let (stem, n) = stem.rsplit_once('.')?;
        digits(n)?;
        let (_, pid) = stem.rsplit_once('.')?;
        return digits(pid).map(Some);
    }
    if let Some(stem) = rest.strip_suffix(".tmp") {
        let (_, pid) = stem.rsplit_once('.')?;
        return digits(pid).map(Some);
    }
    None
}

/// Whether process `pid` runs now; `None` when this system cannot tell (no `/proc`).
fn process_alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new(&format!("/proc/{pid}")).exists())
}

/// Remove the temporary files in `dir` (not its subfolders) that earlier runs left
/// behind: those of a process that no longer runs, and any last modified before
/// `run_started` (less a little slack). Temporary files of this process and other files
/// are never touched. Returns the files removed.
pub fn clean_stale_temporaries(dir: &Path, run_started: SystemTime) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let cutoff = run_started
        .checked_sub(STALE_AGE_SLACK)
        .unwrap_or(run_started);
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = temporary_owner(&name.to_string_lossy()) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        // Folders too: the temporary store of `posterior.zarr` (`.posterior.zarr.tmp-<pid>`),
        // but only with a readable process id.
        let folder = meta.is_dir() && owner.is_some();
        if !(meta.is_file() || folder) || owner == Some(me) {
            continue;
        }
        let dead = owner.and_then(process_alive) == Some(false);
        let old = meta.modified().is_ok_and(|t| t < cutoff);
        if !(dead || old) {
            continue;
        }
        let gone = if folder {
            std::fs::remove_dir_all(entry.path()).is_ok()
        } else {
            std::fs::remove_file(entry.path()).is_ok()
        };
        if gone {
            removed.push(entry.path());
        }
    }
    removed
}

/// Temporary files of this process in `dir` (written by any crate).
fn own_temporaries(dir: &Path) -> Vec<PathBuf> {
    let me = std::process::id();
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| temporary_owner(&e.file_name().to_string_lossy()) == Some(Some(me)))
        .map(|e| e.path())
        .collect()
}

/// Whether `name` is `<prefix><angle><suffix>` with a decimal angle (`-67.5`, `0.0`).
fn is_angle_file(name: &str, prefix: &str, suffix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
        .is_some_and(|angle| {
            !angle.is_empty()
                && angle
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
                && angle.parse::<f64>().is_ok()
        })
}

/// Remove the per-angle figures `<prefix><angle><suffix>` in `dir` that this process did
/// not write in a run in progress: those of an earlier run (whose angles may differ).
/// Only names of exactly this pattern are touched. Returns the files removed.
pub fn remove_stale_figures(dir: &Path, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if is_angle_file(&entry.file_name().to_string_lossy(), prefix, suffix)
            && entry.file_type().is_ok_and(|t| t.is_file())
            && !is_recorded(&path)
            && std::fs::remove_file(&path).is_ok()
        {
            removed.push(path);
        }
    }
    if !removed.is_empty() {
        tracing::info!(
            "removed {} {prefix}*{suffix} figures of an earlier run from {}",
            removed.len(),
            dir.display()
        );
    }
    removed
}

/// One run writing an output folder: created by [`RunFolder::begin`], ended by
/// [`RunFolder::finish`]. While it lasts, `<dir>/.homodyne_run_incomplete` exists and
/// every file written under `<dir>` is recorded (the NLSQ summary lists them). Dropped
/// without `finish`: the marker is removed when nothing was written, else kept and
/// rewritten with the files written so far.
#[derive(Debug)]
pub struct RunFolder {
    id: u64,
    dir: PathBuf,
    watched: Vec<PathBuf>,
    finished: bool,
}

fn marker_text(started: &str, files: &[PathBuf], dir: &Path, end: &str) -> String {
    let mut text = format!(
        "homodyne run (process {}, started {started}) {end}.\n\
         The files of this folder may mix this run's and an earlier run's; \
         homodyne_results.* names the files of the run that wrote it.\n",
        std::process::id()
    );
    if !files.is_empty() {
        text.push_str("Files written by this run:\n");
        for f in files {
            let rel = f.strip_prefix(dir).unwrap_or(f);
            text.push_str(&format!("  {}\n", rel.display()));
        }
    }
    text
}

impl RunFolder {
    /// Start a run in `dir` (created if missing): remove temporary files that earlier
    /// crashed runs left in it and its `nlsq/`, `cmc/`, `cmc/shards/`, `plots/`,
    /// `simulated_data/` subfolders,
    /// write the incomplete-run marker, and watch these folders for interruption.
    pub fn begin(dir: &Path) -> OutputResult<RunFolder> {
        std::fs::create_dir_all(dir).map_err(io_err("cannot create folder", dir))?;
        let started = SystemTime::now();
        let watched: Vec<PathBuf> = std::iter::once(dir.to_path_buf())
            .chain(RUN_SUBFOLDERS.iter().map(|s| dir.join(s)))
            .collect();
        let removed: Vec<PathBuf> = watched
            .iter()
            .flat_map(|d| clean_stale_temporaries(d, started))
            .collect();
        if !removed.is_empty() {
            tracing::warn!(
                "removed {} temporary file(s) left in {} by an earlier interrupted run",
                removed.len(),
                dir.display()
            );
            for f in &removed {
                tracing::debug!("removed stale temporary file {}", f.display());
            }
        }
        let marker = dir.join(INCOMPLETE_MARKER);
        std::fs::write(
            &marker,
            marker_text(
                &crate::json::timestamp(),
                &[],
                dir,
                "is writing this folder",
            ),
        )
        .map_err(io_err("cannot write", &marker))?;
        let id = {
            let mut reg = registry();
            reg.next_id += 1;
            let id = reg.next_id;
            reg.runs.push(RunRecord {
                id,
                dir: dir.to_path_buf(),
                files: Vec::new(),
                shared: Vec::new(),
            });
            id
        };
        for d in &watched {
            watch_folder(d);
        }
        Ok(RunFolder {
            id,
            dir: dir.to_path_buf(),
            watched,
            finished: false,
        })
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files this run has written so far under its folder.
    pub fn files(&self) -> Vec<PathBuf> {
        registry()
            .runs
            .iter()
            .find(|r| r.id == self.id)
            .map(|r| r.files.clone())
            .unwrap_or_default()
    }

    /// `path` (under the folder) is a file this run appends to without owning it, such as
    /// the log: the summary lists it, but it is no reason to keep the marker after a
    /// failure that wrote nothing else.
    pub fn record_shared(&self, path: &Path) {
        let mut reg = registry();
        if let Some(run) = reg.runs.iter_mut().find(|r| r.id == self.id)
            && path.starts_with(&run.dir)
            && !run.shared.iter().any(|f| f == path)
        {
            run.shared.push(path.to_path_buf());
        }
    }

    /// The run is complete: remove the marker.
    pub fn finish(mut self) -> OutputResult<()> {
        self.finished = true;
        let marker = self.dir.join(INCOMPLETE_MARKER);
        match std::fs::remove_file(&marker) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_err("cannot remove", marker)(e))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        let files = {
            let mut reg = registry();
            let i = reg.runs.iter().position(|r| r.id == self.id);
            i.map(|i| reg.runs.remove(i).files).unwrap_or_default()
        };
        for d in &self.watched {
            unwatch_folder(d);
        }
        if self.finished {
            return;
        }
        let marker = self.dir.join(INCOMPLETE_MARKER);
        if files.is_empty() {
            let _ = std::fs::remove_file(&marker);
        } else {
            let _ = std::fs::write(
                &marker,
                marker_text(
                    &crate::json::timestamp(),
                    &files,
                    &self.dir,
                    "failed before writing all its files",
                ),
            );
        }
    }
}

/// Remove every temporary file of this process (registered ones, and those other
/// crates created in watched folders), note the interruption in the markers of the runs
/// in progress, and exit with `code` (130 for SIGINT, 143 for SIGTERM). The registry
/// stays locked until the process is gone, so no new temporary file appears meanwhile.
/// For a front end's signal handler (it must not run in the signal context itself).
pub fn exit_interrupted(signal: &str, code: i32) -> ! {
    let reg = registry();
    for tmp in &reg.temporaries {
        let _ = std::fs::remove_file(tmp);
    }
    for (dir, _) in &reg.folders {
        for tmp in own_temporaries(dir) {
            if tmp.is_dir() {
                let _ = std::fs::remove_dir_all(tmp);
            } else {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
    for run in &reg.runs {
        let _ = std::fs::write(
            run.dir.join(INCOMPLETE_MARKER),
            marker_text(
                &crate::json::timestamp(),
                &run.files,
                &run.dir,
                &format!("was interrupted by {signal}"),
            ),
        );
    }
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_of_every_writer_are_recognised() {
        assert_eq!(temporary_owner(".parameters.json.tmp-123"), Some(Some(123)));
        assert_eq!(temporary_owner(".c.yaml.tmp-77-0"), Some(Some(77)));
        assert_eq!(temporary_owner(".cache.npz.4242.tmp"), Some(Some(4242)));
        assert_eq!(
            temporary_owner(".c2_heatmaps_phi_0.0deg.png.99.3.tmp.png"),
            Some(Some(99))
        );
        assert_eq!(temporary_owner(".x.tmp-abc"), Some(None));
        for user in [
            "parameters.json",
            "notes.tmp-1",
            ".hidden",
            ".a.b.tmp",
            ".x.tmp.png",
        ] {
            assert_eq!(temporary_owner(user), None, "{user}");
        }
    }

    #[test]
    fn stale_temporaries_of_dead_processes_and_old_ones_go_others_stay() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        // u32::MAX - 1 is above any pid_max, so no such process runs.
        let dead = format!(".fitted_data.npz.tmp-{}", u32::MAX - 1);
        // A temporary store folder of a dead process goes; a user's folder stays.
        let dead_store = p(&format!(".posterior.zarr.tmp-{}", u32::MAX - 1));
        std::fs::create_dir_all(dead_store.join("posterior")).unwrap();
        std::fs::create_dir_all(p("my_folder.tmp-x")).unwrap();
        let mine = format!(".parameters.json.tmp-{}", std::process::id());
        for n in [dead.as_str(), mine.as_str(), "notes.txt", ".hidden.tmp-x"] {
            std::fs::write(p(n), "x").unwrap();
        }
        let mut removed = clean_stale_temporaries(dir.path(), SystemTime::now());
        assert!(!p(&dead).exists());
        assert!(!dead_store.exists() && p("my_folder.tmp-x").is_dir());
        removed.retain(|f| *f != dead_store);
        assert!(p(&mine).exists() && p("notes.txt").exists());
        // Fresh, without a readable id: kept; once older than the run: removed.
        assert!(p(".hidden.tmp-x").exists());
        let later = SystemTime::now() + 2 * STALE_AGE_SLACK;
        clean_stale_temporaries(dir.path(), later);
        assert!(!p(".hidden.tmp-x").exists());
        assert!(p(&mine).exists());
        assert_eq!(removed, vec![p(&dead)]);
    }

    #[test]
    fn stale_figures_only_of_the_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "c2_heatmaps_phi_-67.5deg.png",
            "c2_heatmaps_phi_10.0deg.png",
            "c2_heatmaps_phi_mine.png",
            "c2_heatmaps_phi_10.0deg.png.bak",
            "my_c2_heatmaps_phi_1.0deg.png",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), "x").unwrap();
        }
        let removed = remove_stale_figures(dir.path(), "c2_heatmaps_phi_", "deg.png");
        assert_eq!(removed.len(), 2);
        for n in &names[2..] {
            assert!(dir.path().join(n).exists(), "{n}");
        }
    }

    #[test]
    fn a_run_records_its_files_and_marks_its_folder_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let marker = out.join(INCOMPLETE_MARKER);
        let run = RunFolder::begin(&out).unwrap();
        assert!(marker.is_file());
        crate::write_text(&out.join("nlsq/a.json"), "{}").unwrap();
        record_file(&dir.path().join("elsewhere.txt"));
        run.record_shared(&out.join("homodyne.log"));
        assert_eq!(run.files(), vec![out.join("nlsq/a.json")]);
        assert_eq!(
            recorded_files_under(&out),
            vec![out.join("homodyne.log"), out.join("nlsq/a.json")]
        );
        run.finish().unwrap();
        assert!(!marker.exists());

        // Failed before writing: no marker; failed midway: the marker lists the files.
        let run = RunFolder::begin(&out).unwrap();
        run.record_shared(&out.join("homodyne.log"));
        drop(run);
        assert!(!marker.exists());
        let run = RunFolder::begin(&out).unwrap();
        crate::write_text(&out.join("b.txt"), "b").unwrap();
        drop(run);
        let text = std::fs::read_to_string(&marker).unwrap();
        assert!(text.contains("b.txt") && text.contains("failed"), "{text}");
    }
}
