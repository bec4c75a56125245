//! Logging with `tracing`: the console on stderr (level from -v/--quiet) and, for
//! analysis runs, a log file in the output directory at debug level.

use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// Console level: warnings by default, -v info, -vv debug, -vvv trace.
pub fn level_for(verbose: u8, quiet: bool) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    }
}

/// Console logging, plus `log_file` (created or appended) when given. `HOMODYNE_LOG`
/// overrides the console filter.
pub fn init(verbose: u8, quiet: bool, log_file: Option<&Path>) {
    let console_filter = EnvFilter::try_from_env("HOMODYNE_LOG")
        .unwrap_or_else(|_| EnvFilter::new(level_for(verbose, quiet)));
    let console = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(console_filter);
    let file_layer = log_file
        .and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        })
        .map(|file| {
            fmt::layer()
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .with_target(false)
                .with_filter(EnvFilter::new("debug"))
        });
    let _ = tracing_subscriber::registry()
        .with(console)
        .with(file_layer)
        .try_init();
}

/// Console-only logging.
pub fn init_console(verbose: u8, quiet: bool) {
    init(verbose, quiet, None);
}
