//! Logging with `tracing`: the console on stderr (level from -v/--quiet) and, for
//! analysis runs, a log file in the output directory at debug level.
//!
//! Console lines read like the final `error:` line: `warning: <message>` (no timestamp,
//! no module). Errors the configuration crate logs while loading are left out of the
//! console: the same errors come back as the failure, printed once by `main`.

use std::io::IsTerminal;
use std::path::Path;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, filter, fmt};

/// `warning: message key=value` (the level's word in colour on a terminal); a message
/// that already starts with its level's word (`warning: F:12: …`) keeps one.
struct ConsoleFormat;

impl<S, N> FormatEvent<S, N> for ConsoleFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut message = String::new();
        ctx.format_fields(Writer::new(&mut message), event)?;
        let (label, colour) = match *event.metadata().level() {
            Level::ERROR => ("error", "31"),
            Level::WARN => ("warning", "33"),
            Level::INFO => ("info", "32"),
            Level::DEBUG => ("debug", "34"),
            Level::TRACE => ("trace", "35"),
        };
        let mut text = message.as_str();
        if let Some(rest) = text.strip_prefix(label).and_then(|r| r.strip_prefix(": ")) {
            text = rest;
        }
        if writer.has_ansi_escapes() {
            write!(writer, "\x1b[1;{colour}m{label}\x1b[0m: ")?;
        } else {
            write!(writer, "{label}: ")?;
        }
        writeln!(writer, "{text}")
    }
}

/// Errors of the configuration crate: returned as the failure too, printed there.
fn is_returned_config_error(meta: &tracing::Metadata<'_>) -> bool {
    *meta.level() == Level::ERROR && meta.target().starts_with("homodyne_config")
}

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
        .event_format(ConsoleFormat)
        .with_filter(console_filter)
        .with_filter(filter::filter_fn(|meta| !is_returned_config_error(meta)));
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
