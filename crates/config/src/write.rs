//! Atomic file writing: the text goes to a temporary file in the destination folder,
//! is flushed to disk, then renamed over the destination, so readers never see a
//! half-written configuration.

use crate::issues::ConfigError;
use std::io::Write;
use std::path::Path;

/// Write `text` to `path` atomically. With `overwrite == false` an existing file is an
/// error (`AlreadyExists`).
pub fn write_atomic(path: &Path, text: &str, overwrite: bool) -> Result<(), ConfigError> {
    let err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if !overwrite && path.exists() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "file exists (use --force to overwrite)",
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let mut tmp = None;
    for attempt in 0..100u32 {
        let candidate = dir.join(format!(".{name}.tmp-{}-{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => {
                tmp = Some((candidate, f));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(err(e)),
        }
    }
    let Some((tmp_path, mut file)) = tmp else {
        return Err(err(std::io::Error::other("cannot create a temporary file")));
    };
    let result = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp_path, path)
        });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(err(e));
    }
    Ok(())
}
