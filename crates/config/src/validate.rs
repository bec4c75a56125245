//! Semantic checks on a typed [`Config`] (value ranges, allowed choices, consistency),
//! collected into the [`ValidationReport`] together with the parse-time issues.
//!
//! Follows the original program's checks of its configuration and of its CMC settings:
//! what the original refuses to run with is an error here, what it only logs is a
//! warning. Lines are looked up in the normalised [`Node`] tree by key path.

use crate::choices::check_choice;
use crate::config::Config;
use crate::issues::ValidationReport;
use crate::node::{Node, line_of};
use crate::params;
use crate::sections::auto::AutoOr;
use crate::sections::cmc::CmcBackend;
use homodyne_model::AnalysisMode;

/// The package version configs are compared against (major.minor).
const PACKAGE_VERSION: &str = "2.23";

struct Ctx<'a> {
    tree: &'a Node,
    report: &'a mut ValidationReport,
}

impl Ctx<'_> {
    fn error(&mut self, path: &str, msg: impl Into<String>) {
        // A key that already failed to read (type error) holds its default; a semantic
        // complaint about that default would only mislead.
        if self.report.errors.iter().any(|e| e.path == path) {
            return;
        }
        let line = line_of(self.tree, path);
        self.report.error(path, line, msg);
    }
    fn warning(&mut self, path: &str, msg: impl Into<String>) {
        // Same for warnings: `start_frame: 1.5` is a type error, not also "0 is treated
        // as 1" about the stand-in value.
        if self.report.errors.iter().any(|e| e.path == path) {
            return;
        }
        let line = line_of(self.tree, path);
        self.report.warning(path, line, msg);
    }
    /// Parse `value` with the enum that owns choice key `path` (see
    /// [`crate::choice_keys`]): the parse a run uses, so validation accepts exactly that.
    fn choice(&mut self, path: &str, value: &str) {
        if let Err(e) = check_choice(path, value) {
            self.error(path, e);
        }
    }
}

/// Run every semantic check on `cfg`; `tree` is the normalised source tree.
pub(crate) fn check(cfg: &Config, tree: &Node, report: &mut ValidationReport) {
    let mut c = Ctx { tree, report };
    version(cfg, &mut c);
    analyzer(cfg, &mut c);
    data(cfg, &mut c);
    parameters(cfg, &mut c);
    nlsq(cfg, &mut c);
    cmc(cfg, &mut c);
    // `performance.strategy_override`, like `optimization.nlsq.{loss,strategy}`, is a
    // choice of the fitting crate, which this crate cannot see: the `homodyne` facade's
    // check validates it by the very parse the run uses.
    c.choice("optimization.method", &cfg.optimization.method);
}

fn version(cfg: &Config, c: &mut Ctx) {
    let v = cfg
        .metadata
        .config_version
        .as_ref()
        .or(cfg.config_version.as_ref());
    if let Some(v) = v {
        let mm: Vec<&str> = v.split('.').take(2).collect();
        if mm.join(".") != PACKAGE_VERSION {
            let path = if cfg.metadata.config_version.is_some() {
                "metadata.config_version"
            } else {
                "config_version"
            };
            c.warning(
                path,
                format!("config version {v} differs from package version {PACKAGE_VERSION}"),
            );
        }
    }
}

fn analyzer(cfg: &Config, c: &mut Ctx) {
    let ap = &cfg.analyzer_parameters;
    if c.tree.get_path("analyzer_parameters.dt").is_none() {
        c.warning("analyzer_parameters.dt", "missing; using dt = 0.1 s");
    }
    if !(ap.dt.is_finite() && ap.dt > 0.0) {
        c.error(
            "analyzer_parameters.dt",
            format!("must be a positive number of seconds, found {}", ap.dt),
        );
    }
    if ap.start_frame < 1 {
        c.warning(
            "analyzer_parameters.start_frame",
            format!("frames are 1-based; {} is treated as 1", ap.start_frame),
        );
    }
    if ap.end_frame != -1 && ap.end_frame < ap.start_frame.max(1) {
        c.error(
            "analyzer_parameters.end_frame",
            format!(
                "must be -1 (all frames) or ≥ start_frame ({}), found {}",
                ap.start_frame, ap.end_frame
            ),
        );
    }
    if !(ap.scattering.wavevector_q.is_finite() && ap.scattering.wavevector_q > 0.0) {
        c.error(
            "analyzer_parameters.scattering.wavevector_q",
            format!(
                "must be a positive wavevector in Å⁻¹, found {}",
                ap.scattering.wavevector_q
            ),
        );
    }
    let gap = ap.geometry.stator_rotor_gap;
    if !(gap.is_finite() && gap > 0.0) {
        c.error(
            "analyzer_parameters.geometry.stator_rotor_gap",
            format!("must be a positive length in Å, found {gap}"),
        );
    }
}

fn data(cfg: &Config, c: &mut Ctx) {
    let ed = &cfg.experimental_data;
    if ed.data_folder_path.is_none() || ed.data_file_name.is_none() {
        c.warning(
            "experimental_data",
            "data_folder_path and data_file_name are needed to load data (or pass --data-file)",
        );
    }
    let unknown: Vec<String> = template_placeholders(&ed.cache_filename_template)
        .into_iter()
        .filter(|p| !CACHE_PLACEHOLDERS.contains(&p.as_str()))
        .collect();
    if !unknown.is_empty() {
        let braces = |names: &mut dyn Iterator<Item = &str>| {
            names
                .map(|n| format!("${{{n}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        c.error(
            "experimental_data.cache_filename_template",
            format!(
                "unknown placeholder {} in \"{}\" (known: {}; write $$ for a literal $)",
                braces(&mut unknown.iter().map(String::as_str)),
                ed.cache_filename_template,
                braces(&mut CACHE_PLACEHOLDERS.iter().copied())
            ),
        );
    }
    for (i, r) in cfg.phi_filtering.target_ranges.iter().enumerate() {
        for (k, v) in [("min_angle", r.min_angle), ("max_angle", r.max_angle)] {
            if !v.is_finite() {
                c.error(
                    &format!("phi_filtering.target_ranges[{i}].{k}"),
                    "must be a finite angle in degrees",
                );
            } else if v.abs() > 360.0 {
                c.warning(
                    &format!("phi_filtering.target_ranges[{i}].{k}"),
                    format!("|{v}| > 360 degrees"),
                );
            }
        }
    }
    let df = &cfg.data_filtering;
    c.choice("data_filtering.combine_criteria", &df.combine_criteria);
    if df.frame_filtering.stride < 1 {
        c.error("data_filtering.frame_filtering.stride", "must be ≥ 1");
    }
    if let Some(q) = &df.q_range
        && let (Some(a), Some(b)) = (q.min, q.max)
        && a > b
    {
        c.error("data_filtering.q_range", format!("min {a} > max {b}"));
    }
    if cfg.q_tolerance_fraction <= 0.0 {
        c.error("q_tolerance_fraction", "must be positive");
    }
}

/// The placeholders `experimental_data.cache_filename_template` may use.
const CACHE_PLACEHOLDERS: [&str; 3] = ["wavevector_q", "start_frame", "end_frame"];

/// Placeholder names of a cache file name template, as the loader reads it: `${name}`,
/// `$name` and the legacy `{name}` / `{name:fmt}` (`$$` is a literal `$`).
fn template_placeholders(template: &str) -> Vec<String> {
    let chars: Vec<char> = template.chars().collect();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('$', Some('$')) => i += 2,
            ('$', Some('{')) => match chars[i + 2..].iter().position(|&c| c == '}') {
                Some(rel) => {
                    names.push(chars[i + 2..i + 2 + rel].iter().collect());
                    i += rel + 3;
                }
                None => i += 1,
            },
            ('$', Some(&c)) if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i + 1..].iter().take_while(|&&c| ident(c)).count();
                names.push(chars[i + 1..i + 1 + len].iter().collect());
                i += 1 + len;
            }
            ('{', _) => {
                let inner: Option<String> = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '}')
                    .map(|rel| chars[i + 1..i + 1 + rel].iter().collect());
                let name = inner.as_deref().and_then(|s| s.split(':').next());
                match name {
                    Some(n) if !n.is_empty() && n.chars().all(ident) => {
                        names.push(n.to_string());
                        i += inner.map_or(1, |s| s.chars().count() + 2);
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    names
}

fn parameters(cfg: &Config, c: &mut Ctx) {
    let mode = cfg.analysis_mode;
    // Bounds entries.
    for (i, b) in cfg.parameter_space.bounds.iter().enumerate() {
        let p = format!("parameter_space.bounds[{i}]");
        if b.name.is_empty() {
            c.error(&format!("{p}.name"), "missing parameter name");
            continue;
        }
        if !params::is_known_name(&b.name) {
            c.warning(
                &format!("{p}.name"),
                format!("unknown parameter \"{}\" (ignored)", b.name),
            );
        }
        if let (Some(lo), Some(hi)) = (b.min, b.max)
            && lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less)
        {
            c.error(
                &format!("{p}.min"),
                format!("min ({lo}) must be < max ({hi}) for {}", b.name),
            );
        }
        if let Some(t) = &b.r#type {
            c.choice(&format!("{p}.type"), t);
        }
        if let Some(s) = b.prior_sigma
            && (s.is_nan() || s <= 0.0)
        {
            c.error(
                &format!("{p}.prior_sigma"),
                format!("must be > 0, found {s}"),
            );
        }
    }
    let bounds = cfg.parameter_bounds();
    let ip = &cfg.initial_parameters;
    if let Some(names) = &ip.parameter_names {
        for (i, n) in names.iter().enumerate() {
            if !params::is_known_name(n) {
                c.error(
                    &format!("initial_parameters.parameter_names[{i}]"),
                    format!(
                        "unknown parameter \"{n}\"; expected one of {}",
                        params::LAMINAR_PARAMS.join(", ")
                    ),
                );
            } else if !mode.physical_names().contains(&n.as_str())
                && !params::SCALING_PARAMS.contains(&n.as_str())
            {
                c.warning(
                    &format!("initial_parameters.parameter_names[{i}]"),
                    format!("\"{n}\" is not a parameter of the {mode} model"),
                );
            }
        }
        if let Some(values) = &ip.values {
            if values.len() != names.len() {
                c.error(
                    "initial_parameters.values",
                    format!(
                        "{} values for {} parameter_names; expected one value per name (or null for bound midpoints)",
                        values.len(),
                        names.len()
                    ),
                );
            } else {
                for (i, (n, v)) in names.iter().zip(values).enumerate() {
                    if let Some(b) = bounds.get(n)
                        && !b.contains(*v)
                    {
                        c.warning(
                            &format!("initial_parameters.values[{i}]"),
                            format!("{n} = {v} lies outside its bounds [{}, {}]", b.min, b.max),
                        );
                    }
                }
            }
        }
    } else if ip.values.is_some() {
        c.warning(
            "initial_parameters.values",
            format!("values without parameter_names are read in the {mode} order"),
        );
    }
    for key in ["active_parameters"] {
        if let Some(list) = &ip.active_parameters {
            for (i, n) in list.iter().enumerate() {
                if !params::is_known_name(n) {
                    c.error(
                        &format!("initial_parameters.{key}[{i}]"),
                        format!("unknown parameter \"{n}\""),
                    );
                }
            }
        }
    }
    if let Some(f) = &ip.fixed_parameters {
        for n in f.names() {
            if !params::is_known_name(&n) {
                c.error(
                    "initial_parameters.fixed_parameters",
                    format!("unknown parameter \"{n}\""),
                );
            }
        }
    }
    let pas = &ip.per_angle_scaling;
    for (k, v, name) in [
        ("contrast", &pas.contrast, "contrast"),
        ("offset", &pas.offset, "offset"),
    ] {
        if let Some(v) = v {
            let b = bounds.get(name);
            for (i, x) in v.iter().enumerate() {
                if let Some(b) = b
                    && !b.contains(*x)
                {
                    c.warning(
                        &format!("initial_parameters.per_angle_scaling.{k}[{i}]"),
                        format!("{x} lies outside the {name} bounds [{}, {}]", b.min, b.max),
                    );
                }
            }
        }
    }
    if let (Some(a), Some(b)) = (&pas.contrast, &pas.offset)
        && a.len() != b.len()
        && a.len() != 1
        && b.len() != 1
    {
        c.error(
            "initial_parameters.per_angle_scaling",
            format!("contrast has {} values but offset has {}", a.len(), b.len()),
        );
    }
}

fn nlsq(cfg: &Config, c: &mut Ctx) {
    let n = &cfg.optimization.nlsq;
    const P: &str = "optimization.nlsq";
    if !(n.memory_fraction > 0.0 && n.memory_fraction < 1.0) {
        c.warning(
            &format!("{P}.memory_fraction"),
            format!("{} is outside (0, 1)", n.memory_fraction),
        );
    }
    if n.max_iterations > 50_000 {
        c.warning(
            &format!("{P}.max_iterations"),
            format!("{} is very large (> 50000)", n.max_iterations),
        );
    }
    if n.tolerance > 1e-4 || n.tolerance < 1e-14 {
        c.warning(
            &format!("{P}.tolerance"),
            format!("{} is outside [1e-14, 1e-4]", n.tolerance),
        );
    }
    if n.force_stratified_ls == Some(true) {
        c.warning(
            &format!("{P}.force_stratified_ls"),
            "forces the stratified least-squares path",
        );
    }
    // `loss` and `strategy` are choices of the fitting crate, which this crate cannot
    // see: the `homodyne` facade's check validates them by the very parse the run uses.
    if n.f_scale.is_nan() || n.f_scale <= 0.0 {
        c.error(&format!("{P}.f_scale"), "must be > 0");
    }
    if let Some(s) = n.sigma.value()
        && !(s.is_finite() && s > 0.0)
    {
        c.error(
            &format!("{P}.sigma"),
            format!("{s} must be a positive number (or \"estimate\")"),
        );
    }
    let ad = &n.anti_degeneracy;
    c.choice(
        &format!("{P}.anti_degeneracy.per_angle_mode"),
        &ad.per_angle_mode,
    );
    if ad.fourier_order < 1 {
        c.error(&format!("{P}.anti_degeneracy.fourier_order"), "must be ≥ 1");
    }
    if cfg.analysis_mode == AnalysisMode::LaminarFlow && ad.enable && !ad.hierarchical.enable {
        c.warning(
            &format!("{P}.anti_degeneracy.hierarchical.enable"),
            "laminar flow with hierarchical optimisation disabled is prone to degeneracy",
        );
    }
}

fn cmc(cfg: &Config, c: &mut Ctx) {
    let m = &cfg.optimization.cmc;
    const P: &str = "optimization.cmc";
    if m.min_points_for_cmc == 0 {
        c.error(
            &format!("{P}.min_points_for_cmc"),
            "must be a positive integer",
        );
    }
    c.choice(&format!("{P}.per_angle_mode"), &m.per_angle_mode);
    c.choice(&format!("{P}.sharding.strategy"), &m.sharding.strategy);
    if m.sharding.num_shards == AutoOr::Value(0) {
        c.error(
            &format!("{P}.sharding.num_shards"),
            "must be \"auto\" or a positive integer",
        );
    }
    if m.sharding.max_points_per_shard == AutoOr::Value(0) {
        c.error(
            &format!("{P}.sharding.max_points_per_shard"),
            "must be \"auto\" or a positive integer",
        );
    }
    match &m.backend {
        Some(CmcBackend::Name(n)) => c.choice(&format!("{P}.backend"), n),
        Some(CmcBackend::Config(b)) => {
            if let Some(n) = &b.name {
                c.choice(&format!("{P}.backend.name"), n);
            }
        }
        None => {}
    }
    if let Some(n) = &m.backend_config.name {
        c.choice(&format!("{P}.backend_config.name"), n);
    }
    c.choice(&format!("{P}.combination.method"), &m.combination.method);
    for (k, v) in [
        (
            "combination.min_success_rate",
            m.combination.min_success_rate,
        ),
        (
            "combination.min_success_rate_warning",
            m.combination.min_success_rate_warning,
        ),
        ("validation.min_success_rate", m.validation.min_success_rate),
        (
            "validation.max_divergence_rate",
            m.validation.max_divergence_rate,
        ),
    ] {
        if !(0.0..=1.0).contains(&v) {
            c.error(&format!("{P}.{k}"), format!("must be in [0, 1], found {v}"));
        }
    }
    let ps = &m.per_shard_mcmc;
    for (k, v) in [
        ("num_warmup", ps.num_warmup),
        ("num_samples", ps.num_samples),
        ("num_chains", ps.num_chains),
    ] {
        if v == 0 {
            c.error(
                &format!("{P}.per_shard_mcmc.{k}"),
                "must be a positive integer",
            );
        }
    }
    c.choice(
        &format!("{P}.per_shard_mcmc.chain_method"),
        &ps.chain_method,
    );
    if !(ps.target_accept_prob > 0.0 && ps.target_accept_prob < 1.0) {
        c.error(
            &format!("{P}.per_shard_mcmc.target_accept_prob"),
            "must be in (0, 1)",
        );
    }
    if let Some(e) = m.validation.min_per_shard_ess
        && e < 0.0
    {
        c.error(&format!("{P}.validation.min_per_shard_ess"), "must be ≥ 0");
    }
    if m.validation.max_per_shard_rhat < 1.0 {
        c.error(
            &format!("{P}.validation.max_per_shard_rhat"),
            "must be ≥ 1.0",
        );
    }
    let mc = &cfg.optimization.mcmc;
    for (k, v) in [
        ("num_warmup", mc.num_warmup),
        ("num_samples", mc.num_samples),
        ("num_chains", mc.num_chains),
    ] {
        if v == 0 {
            c.error(
                &format!("optimization.mcmc.{k}"),
                "must be a positive integer",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::template_placeholders;

    #[test]
    fn cache_template_placeholders() {
        assert_eq!(
            template_placeholders("c_q${wavevector_q}_$start_frame-{end_frame:d}_$$x{}.npz"),
            ["wavevector_q", "start_frame", "end_frame"]
        );
        assert_eq!(
            template_placeholders("a_${unknown}_$q.npz"),
            ["unknown", "q"]
        );
        assert!(template_placeholders("plain$.npz").is_empty());
    }
}
