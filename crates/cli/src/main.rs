//! `homodyne`: the command line. It only translates: flags to the `homodyne` library's
//! `Analysis` and `Overrides`, progress to the terminal, errors to one line and an exit
//! code.
//!
//! Exit codes: 0 success, 1 failure (one-line reason on stderr), 2 usage error,
//! 3 the fit did not converge, 4 the fit converged but its quality is poor (results are
//! written in both cases; `--accept-poor-fit` turns 3 and 4 into 0), 130 interrupted
//! (the default SIGINT disposition).

mod args;
mod logging;
mod progress;
mod run;
mod simulate;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line: the chain of causes joined.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Some(Command::Simulate(args)) => {
            logging::init_console(args.verbose, false);
            simulate::run(args).map(|()| ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "homodyne", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        None => run::run(&cli.run).map(|outcome| outcome.exit_code(cli.run.accept_poor_fit)),
    }
}
