//! `homodyne-config`: write a commented configuration template, or validate a
//! configuration file (spec 07 §7.2, 08 §8.8).
//!
//! * `--mode static|laminar_flow [--output FILE] [--force] [--filter F]` writes the
//!   template (atomically: temporary file in the same folder, then rename).
//! * `--interactive` asks on stdin for data file, q, dt, frames and gap (works with
//!   piped input; an empty answer or end of input keeps the template value).
//! * `--validate FILE` prints a summary and every error, warning and note; exit 1 on
//!   errors (including a missing file).
//!
//! * `--output -` writes the configuration to stdout (prompts then go to stderr).
//!
//! Exit codes: 0 success, 1 failure (no action → help + 1; existing output without
//! `--force` → 1), 2 usage errors (clap), 130/143 interrupted by SIGINT/SIGTERM. A closed
//! stdout (`homodyne-config --validate C.yaml | head -1`) ends the output quietly; the
//! exit code stays that of the work (0 valid, 1 invalid).

#[path = "../out.rs"]
mod out;
#[path = "../signals.rs"]
mod signals;

use out::{errln, outln};

use clap::{CommandFactory, Parser, ValueEnum};
use homodyne::config::{AnalysisMode, TemplateFilter, TemplateValues};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    #[value(name = "static")]
    Static,
    #[value(name = "laminar_flow")]
    LaminarFlow,
}

impl From<ModeArg> for AnalysisMode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Static => AnalysisMode::Static,
            ModeArg::LaminarFlow => AnalysisMode::LaminarFlow,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FilterArg {
    #[value(name = "full")]
    Full,
    #[value(name = "minimal")]
    Minimal,
    #[value(name = "nlsq_only")]
    NlsqOnly,
    #[value(name = "cmc_only")]
    CmcOnly,
}

impl From<FilterArg> for TemplateFilter {
    fn from(f: FilterArg) -> Self {
        match f {
            FilterArg::Full => TemplateFilter::Full,
            FilterArg::Minimal => TemplateFilter::Minimal,
            FilterArg::NlsqOnly => TemplateFilter::NlsqOnly,
            FilterArg::CmcOnly => TemplateFilter::CmcOnly,
        }
    }
}

/// Generate or validate homodyne configuration files.
#[derive(Parser, Debug)]
#[command(
    name = "homodyne-config",
    version,
    about = "Generate or validate homodyne configuration files",
    after_help = "Examples:\n  homodyne-config --mode laminar_flow --output my_config.yaml\n  homodyne-config --mode static --filter minimal\n  homodyne-config --interactive --mode laminar_flow < answers.txt\n  homodyne-config --validate my_config.yaml"
)]
struct Args {
    /// Analysis mode of the template.
    #[arg(short, long, value_enum)]
    mode: Option<ModeArg>,
    /// Output file (default: homodyne_<mode>_config.yaml); `-` writes to stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Ask for data file, q, dt, frames and gap on stdin.
    #[arg(short, long)]
    interactive: bool,
    /// Validate a configuration file and print the report.
    #[arg(short = 'v', long, value_name = "CONFIG_FILE")]
    validate: Option<PathBuf>,
    /// Overwrite an existing output file.
    #[arg(short, long)]
    force: bool,
    /// Part of the template to write.
    #[arg(long, value_enum, default_value = "full")]
    filter: FilterArg,
}

fn main() -> ExitCode {
    signals::install();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    if let Some(path) = &args.validate {
        return validate(path);
    }
    if args.mode.is_none() && !args.interactive {
        out::stdout(&Args::command().render_help().to_string());
        errln!("\nerror: nothing to do: give --mode, --interactive or --validate");
        return ExitCode::from(1);
    }
    match generate(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            errln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn generate(args: &Args) -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let mut prompter = Prompter {
        input: &mut input,
        eof: false,
        to_stderr: to_stdout,
    };
    let mode: AnalysisMode = match args.mode {
        Some(m) => m.into(),
        None => prompter.ask_mode()?,
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("homodyne_{mode}_config.yaml")));
    if !to_stdout && output.exists() && !args.force {
        return Err(format!(
            "{} already exists; use --force to overwrite",
            output.display()
        ));
    }
    let values = if args.interactive {
        prompter.ask_values(mode)?
    } else {
        TemplateValues::default()
    };
    let text =
        homodyne::config::render(mode, args.filter.into(), &values).map_err(|e| e.to_string())?;
    // The generated file must load cleanly with our own loader.
    let name = if to_stdout {
        "<stdout>".into()
    } else {
        output.to_string_lossy()
    };
    let check = homodyne::config::validate_str(&text, homodyne::config::Format::Yaml, &name);
    if !check.is_valid() {
        return Err(format!("generated configuration is invalid:\n{check}"));
    }
    if to_stdout {
        out::stdout(&text);
        return Ok(());
    }
    if let Some(dir) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        // An interruption removes this process's temporary file there.
        homodyne::io::watch_folder(dir);
    } else {
        homodyne::io::watch_folder(Path::new("."));
    }
    homodyne::config::write_atomic(&output, &text, args.force).map_err(|e| e.to_string())?;
    outln!("Configuration written to {}", output.display());
    outln!("  mode: {mode}, filter: {:?}", args.filter);
    outln!("Next steps:");
    outln!("  1. edit experimental_data and analyzer_parameters for your data");
    outln!("  2. homodyne-config --validate {}", output.display());
    outln!("  3. homodyne --config {}", output.display());
    Ok(())
}

/// Line-based prompts on stdin; an empty answer or end of input keeps the default.
struct Prompter<'a> {
    input: &'a mut dyn BufRead,
    eof: bool,
    /// Prompts on stderr (the configuration itself goes to stdout).
    to_stderr: bool,
}

impl Prompter<'_> {
    fn say(&self, text: &str) {
        if self.to_stderr {
            out::stderr(text);
        } else {
            out::stdout(text);
        }
    }

    fn line(&mut self, prompt: &str) -> Result<Option<String>, String> {
        self.say(prompt);
        if self.eof {
            self.say("\n");
            return Ok(None);
        }
        let mut s = String::new();
        let n = self
            .input
            .read_line(&mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        if n == 0 {
            self.eof = true;
            self.say("\n");
            return Ok(None);
        }
        let s = s.trim().to_string();
        Ok((!s.is_empty()).then_some(s))
    }

    /// Ask until `parse` accepts the answer (at most 3 tries; then an error).
    fn ask<T>(
        &mut self,
        prompt: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        for _ in 0..3 {
            match self.line(prompt)? {
                None => return Ok(None),
                Some(s) => match parse(&s) {
                    Ok(v) => return Ok(Some(v)),
                    Err(e) => self.say(&format!("  invalid answer: {e}\n")),
                },
            }
        }
        Err(format!("no valid answer for: {}", prompt.trim()))
    }

    fn ask_mode(&mut self) -> Result<AnalysisMode, String> {
        Ok(self
            .ask(
                "Analysis mode (static/laminar_flow) [laminar_flow]: ",
                |s| s.parse::<AnalysisMode>(),
            )?
            .unwrap_or(AnalysisMode::LaminarFlow))
    }

    fn ask_values(&mut self, mode: AnalysisMode) -> Result<TemplateValues, String> {
        let positive = |what: &'static str| {
            move |s: &str| match s.parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
                _ => Err(format!("{what} must be a positive number")),
            }
        };
        let mut v = TemplateValues::default();
        self.say(&format!(
            "Interactive configuration ({mode}); press Enter to keep [default].\n"
        ));
        v.data_file = self.ask("Data file (HDF5) [./data/sample/experiment.hdf]: ", |s| {
            Ok(PathBuf::from(s))
        })?;
        v.wavevector_q = self.ask("Wavevector q [1/Å] [0.0054]: ", positive("q"))?;
        v.dt = self.ask("Time step dt [s] [0.001]: ", positive("dt"))?;
        v.start_frame = self.ask("Start frame (1-based) [1]: ", |s| match s.parse::<i64>() {
            Ok(x) if x >= 1 => Ok(x),
            _ => Err("start frame must be an integer ≥ 1".into()),
        })?;
        let start = v.start_frame.unwrap_or(1);
        v.end_frame = self.ask("End frame (-1 = all) [2000]: ", move |s| {
            match s.parse::<i64>() {
                Ok(x) if x == -1 || x >= start => Ok(x),
                _ => Err(format!("end frame must be -1 or an integer ≥ {start}")),
            }
        })?;
        if mode == AnalysisMode::LaminarFlow {
            v.stator_rotor_gap = self.ask("Stator-rotor gap [Å] [2000000]: ", positive("gap"))?;
        }
        Ok(v)
    }
}

fn validate(path: &Path) -> ExitCode {
    outln!("Validating {}", path.display());
    if !path.exists() {
        errln!("error: configuration file not found: {}", path.display());
        return ExitCode::from(1);
    }
    let mut report = homodyne::check(path);
    if let Ok(loaded) = homodyne::config::load_file(path) {
        let c = &loaded.config;
        outln!("  analysis mode:     {}", c.mode());
        outln!(
            "  frames:            {}..{} (dt = {} s)",
            c.start_frame(),
            c.end_frame(),
            c.dt()
        );
        outln!("  wavevector q:      {} 1/Å", c.wavevector_q());
        if c.mode() == AnalysisMode::LaminarFlow {
            outln!("  stator-rotor gap:  {} Å", c.stator_rotor_gap());
        }
        match c.data_file_resolved(path) {
            Some(f) => {
                let exists = f.exists();
                outln!(
                    "  data file:         {}{}",
                    f.display(),
                    if exists { "" } else { " (not found)" }
                );
                if !exists {
                    report.warning(
                        "experimental_data",
                        0,
                        format!("data file does not exist: {}", f.display()),
                    );
                }
            }
            None => outln!("  data file:         (not set)"),
        }
        let iv = c.initial_values();
        outln!(
            "  parameters:        {} ({})",
            c.physical_names().join(", "),
            if iv.from_midpoints {
                "start at bound midpoints"
            } else {
                "start values given"
            }
        );
        if c.phi_filtering.enabled {
            let ranges: Vec<String> = c
                .phi_filtering
                .target_ranges
                .iter()
                .map(|r| format!("[{}, {}]", r.min_angle, r.max_angle))
                .collect();
            outln!("  phi filtering:     {}", ranges.join(" "));
        }
    }
    for issue in report.all() {
        outln!("  {issue}");
    }
    outln!(
        "{} error(s), {} warning(s), {} note(s)",
        report.errors.len(),
        report.warnings.len(),
        report.info.len()
    );
    if report.is_valid() {
        outln!("Configuration is valid");
        ExitCode::SUCCESS
    } else {
        errln!("error: configuration is invalid: {}", path.display());
        ExitCode::from(1)
    }
}
