//! SIGINT and SIGTERM: remove this process's temporary files, note the interruption in
//! the incomplete-run marker of the output folder, and exit 130 (SIGINT) or 143
//! (SIGTERM), the shell's 128 + signal. The handler runs on its own thread (signal-hook's
//! self-pipe), not in the signal context, so it may touch files. Elsewhere than on Unix
//! the default disposition stays; temporary files left behind are removed by the next
//! run in the same folder.

/// Install the handler (once, at start).
#[cfg(unix)]
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(s) => s,
        Err(e) => {
            crate::out::errln!(
                "warning: cannot handle SIGINT/SIGTERM ({e}); an interrupted run may leave temporary files"
            );
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
                // A progress line may be open on a terminal: end it first.
                let newline = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    "\n"
                } else {
                    ""
                };
                crate::out::errln!(
                    "{newline}interrupted ({name}): temporary files removed; the results of this run are incomplete"
                );
                homodyne::io::exit_interrupted(name, 128 + signal);
            }
        });
    if let Err(e) = spawned {
        crate::out::errln!("warning: cannot handle SIGINT/SIGTERM ({e})");
    }
}

/// Nothing to install here: the default disposition ends the process.
#[cfg(not(unix))]
pub fn install() {}
