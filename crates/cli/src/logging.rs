//! Logging with `tracing`: console on stderr (level from -v/--quiet), and optionally a
//! log file in the output directory.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Console-only logging: warnings by default, -v info, -vv debug, -vvv trace.
pub fn init_console(verbose: u8, quiet: bool) {
    let level = level_for(verbose, quiet);
    let filter = EnvFilter::try_from_env("HOMODYNE_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

pub fn level_for(verbose: u8, quiet: bool) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    }
}
