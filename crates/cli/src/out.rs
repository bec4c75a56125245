//! Console output that ends quietly on a closed pipe.
//!
//! `homodyne … | head` closes stdout early; `println!` would then panic (exit 101). Every
//! write to stdout goes through [`stdout`] instead: on EPIPE (or any other write error)
//! it stops writing for good, without a message for EPIPE, and the program carries on,
//! so its exit code is that of its work (0 on success, 3/4 for a doubtful fit), never
//! 141 or a panic. Messages on stderr go through [`stderr`], which ignores errors.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Write `text` to stdout and flush; after a failed write, nothing more is written.
pub fn stdout(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            stderr(&format!("warning: cannot write to stdout: {e}\n"));
        }
    }
}

/// Write `text` to stderr, ignoring errors (a closed stderr must not stop the work).
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `println!` through [`stdout`].
#[allow(unused_macros)]
macro_rules! outln {
    () => {
        $crate::out::stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` through [`stderr`].
#[allow(unused_macros)]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::stderr(&format!("{}\n", format_args!($($arg)*)))
    };
}

#[allow(unused_imports)]
pub(crate) use {errln, outln};
