//! `homodyne`: the command line. It only translates: flags to the `homodyne` library's
//! `Analysis` and `Overrides`, progress to the terminal, errors to one line and an exit
//! code.
//!
//! Exit codes: 0 success, 1 failure (one `error:` line on stderr), 2 usage error,
//! 3 the fit did not converge, 4 the fit converged but its quality is poor (results are
//! written in both cases; `--accept-poor-fit` turns 3 and 4 into 0), 130 interrupted by
//! SIGINT and 143 by SIGTERM (temporary files removed, the output folder keeps its
//! `.homodyne_run_incomplete` marker). A closed stdout (`homodyne … | head`) ends the
//! console output quietly; the exit code stays that of the work.

mod args;
mod cmc_jobs;
mod logging;
mod out;
mod progress;
mod run;
mod signals;
mod simulate;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};

fn main() -> ExitCode {
    signals::install();
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
            out::errln!("error: {}", error_line(&e));
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
        Some(Command::Cmc(command)) => cmc_jobs::run(command),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "homodyne", &mut script);
            out::stdout(&String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
        None => run::run(&cli.run).map(|outcome| outcome.exit_code(cli.run.accept_poor_fit)),
    }
}

/// The failure as one line without the `error: ` prefix (the caller adds one): an
/// invalid configuration as its errors, each with file, line, key and value; any other
/// error as its chain of causes, with the `error: ` prefixes of the lower crates' own
/// lines dropped.
fn error_line(e: &anyhow::Error) -> String {
    use homodyne::config::ConfigError;
    let report = e
        .chain()
        .find_map(|cause| match cause.downcast_ref::<homodyne::Error>() {
            Some(homodyne::Error::Config(ConfigError::Invalid { report })) => Some(report),
            _ => match cause.downcast_ref::<ConfigError>() {
                Some(ConfigError::Invalid { report }) => Some(report),
                _ => None,
            },
        });
    match report {
        Some(report) if !report.errors.is_empty() => config_errors_line(report),
        _ => one_line(&format!("{e:#}")),
    }
}

/// `F:22: `key`: message` for one error; `F: 2 errors: line 22 `a`: m; line 30 `b`: m`
/// for several.
fn config_errors_line(report: &homodyne::config::ValidationReport) -> String {
    let issue = |i: &homodyne::config::Issue, with_file: bool| {
        let mut s = String::new();
        match (&i.file, i.line, with_file) {
            (Some(f), Some(l), true) => s.push_str(&format!("{}:{l}: ", f.display())),
            (Some(f), None, true) => s.push_str(&format!("{}: ", f.display())),
            (_, Some(l), _) => s.push_str(&format!("line {l}: ")),
            _ => {}
        }
        if !i.path.is_empty() {
            s.push_str(&format!("`{}`: ", i.path));
        }
        s.push_str(&one_line(&i.message));
        s
    };
    match report.errors.as_slice() {
        [only] => issue(only, true),
        all => {
            let file = report
                .file
                .as_deref()
                .or(all[0].file.as_deref())
                .map_or_else(|| "configuration".to_string(), |f| f.display().to_string());
            let list: Vec<String> = all.iter().map(|i| issue(i, false)).collect();
            format!("{file}: {} errors: {}", all.len(), list.join("; "))
        }
    }
}

/// Lines joined with spaces, each without a leading `error: `, and no `: error: ` inside.
fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(" ");
    joined.replace(": error: ", ": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_drops_nested_error_prefixes_only() {
        assert_eq!(
            one_line("invalid configuration F:\n  error: F:22: `dt`: found -0.1"),
            "invalid configuration F: F:22: `dt`: found -0.1"
        );
        assert_eq!(
            one_line("error: F: error: x"),
            "F: x",
            "leading and inner prefixes"
        );
        assert_eq!(
            one_line("F:55: syntax error: bad"),
            "F:55: syntax error: bad"
        );
    }
}
