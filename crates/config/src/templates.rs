//! The configuration templates written by `homodyne-config`.
//!
//! The templates are this project's own commented YAML files (the crate's
//! `templates/*.yaml`), embedded with `include_str!`. They carry the values of the
//! original program's templates, so a generated file means the same as one the original
//! writes, and they load through [`crate::load_str`] without warnings.
//!
//! * [`TemplateFilter::Full`] keeps the commented text; values from
//!   [`TemplateValues`] (the `--interactive` answers) are substituted in place on their
//!   lines, keeping the comments.
//! * The other filters re-emit the pruned tree as YAML without comments (like the
//!   reference): `minimal` keeps `metadata`, `analysis_mode`, `experimental_data`,
//!   `optimization.method`; `nlsq_only` drops `optimization.cmc` and `optimization.mcmc`;
//!   `cmc_only` drops `optimization.lsq` and `optimization.nlsq`.

use crate::issues::ConfigError;
use crate::node::line_of;
use crate::node::{Node, NodeKind, parse_yaml};
use homodyne_model::AnalysisMode;
use std::path::PathBuf;
use std::str::FromStr;

/// Static-mode template text.
const STATIC_TEMPLATE: &str = include_str!("../templates/static.yaml");
/// Laminar-flow template text.
const LAMINAR_FLOW_TEMPLATE: &str = include_str!("../templates/laminar_flow.yaml");

/// Template text for a mode.
pub fn template(mode: AnalysisMode) -> &'static str {
    match mode {
        AnalysisMode::Static => STATIC_TEMPLATE,
        AnalysisMode::LaminarFlow => LAMINAR_FLOW_TEMPLATE,
    }
}

/// Which part of the template to write (`--filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemplateFilter {
    /// The whole commented template.
    #[default]
    Full,
    /// metadata, analysis_mode, experimental_data, optimization.method.
    Minimal,
    /// Without optimization.cmc / optimization.mcmc.
    NlsqOnly,
    /// Without optimization.lsq / optimization.nlsq.
    CmcOnly,
}

impl FromStr for TemplateFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(TemplateFilter::Full),
            "minimal" => Ok(TemplateFilter::Minimal),
            "nlsq_only" => Ok(TemplateFilter::NlsqOnly),
            "cmc_only" => Ok(TemplateFilter::CmcOnly),
            _ => Err(format!(
                "unknown filter \"{s}\"; expected full, minimal, nlsq_only or cmc_only"
            )),
        }
    }
}

/// Values substituted into a template (the `--interactive` answers). `None` keeps the
/// template's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateValues {
    /// HDF5 data file; split into `data_folder_path` + `data_file_name`.
    pub data_file: Option<PathBuf>,
    /// Target q in Å⁻¹.
    pub wavevector_q: Option<f64>,
    /// Time step in s.
    pub dt: Option<f64>,
    /// First frame (1-based).
    pub start_frame: Option<i64>,
    /// Last frame (−1 = all).
    pub end_frame: Option<i64>,
    /// Stator–rotor gap in Å.
    pub stator_rotor_gap: Option<f64>,
}

impl TemplateValues {
    /// `(dotted path, YAML scalar text)` pairs to substitute.
    fn substitutions(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let num = |x: f64| {
            let s = format!("{x:?}");
            s
        };
        if let Some(p) = &self.data_file {
            let folder = p
                .parent()
                .map(|d| d.to_string_lossy().into_owned())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| ".".into());
            let folder = if folder.ends_with('/') {
                folder
            } else {
                format!("{folder}/")
            };
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
            out.push(("experimental_data.file_path", q(&p.to_string_lossy())));
            out.push(("experimental_data.data_folder_path", q(&folder)));
            out.push(("experimental_data.data_file_name", q(&name)));
            out.push(("experimental_data.phi_angles_path", q(&folder)));
            out.push(("experimental_data.cache_file_path", q(&folder)));
        }
        if let Some(x) = self.wavevector_q {
            out.push(("analyzer_parameters.scattering.wavevector_q", num(x)));
        }
        if let Some(x) = self.dt {
            out.push(("analyzer_parameters.dt", num(x)));
        }
        if let Some(x) = self.start_frame {
            out.push(("analyzer_parameters.start_frame", x.to_string()));
        }
        if let Some(x) = self.end_frame {
            out.push(("analyzer_parameters.end_frame", x.to_string()));
        }
        if let Some(x) = self.stator_rotor_gap {
            out.push(("analyzer_parameters.geometry.stator_rotor_gap", num(x)));
        }
        out
    }
}

/// Replace the scalar value on `line` (1-based) after `key:`, keeping any comment.
fn replace_value_on_line(text: &str, line: u64, key: &str, value: &str) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let l = lines.get_mut(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let start = l.find(&format!("{key}:"))? + key.len() + 1;
    // Find a comment start outside quotes.
    let rest = &l[start..];
    let mut in_quote: Option<char> = None;
    let mut comment_at = None;
    let mut prev = ' ';
    for (i, ch) in rest.char_indices() {
        match in_quote {
            Some(q) if ch == q => in_quote = None,
            Some(_) => {}
            None if ch == '"' || ch == '\'' => in_quote = Some(ch),
            None if ch == '#' && prev.is_whitespace() => {
                comment_at = Some(i);
                break;
            }
            None => {}
        }
        prev = ch;
    }
    let new = match comment_at {
        Some(i) => {
            let comment = &rest[i..];
            let width = rest[..i].len().max(value.len() + 2);
            format!("{} {:<w$}{}", &l[..start], value, comment, w = width - 1)
        }
        None => format!("{} {}", &l[..start], value),
    };
    *l = new;
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

fn syntax_err(message: String) -> ConfigError {
    ConfigError::Syntax {
        path: "<template>".into(),
        line: None,
        column: None,
        message,
    }
}

/// Walk (creating empty mappings) to the mapping at `parts`.
fn ensure_path<'a>(n: &'a mut Node, parts: &[&str]) -> Option<&'a mut Node> {
    match parts.split_first() {
        None => Some(n),
        Some((first, rest)) => ensure_path(n.child_map_mut(first)?, rest),
    }
}

/// Render the template for `mode` with `filter` and substituted `values`.
pub fn render(
    mode: AnalysisMode,
    filter: TemplateFilter,
    values: &TemplateValues,
) -> Result<String, ConfigError> {
    let base = template(mode);
    let subs = values.substitutions();
    if filter == TemplateFilter::Full {
        let mut text = base.to_string();
        for (path, value) in subs {
            let (tree, _) = parse_yaml(&text).map_err(|e| syntax_err(e.to_string()))?;
            let line = line_of(&tree, path);
            let key = path.rsplit('.').next().unwrap_or(path);
            text = replace_value_on_line(&text, line, key, &value)
                .ok_or_else(|| syntax_err(format!("template has no line for `{path}`")))?;
        }
        return Ok(text);
    }
    let (mut tree, _) = parse_yaml(base).map_err(|e| syntax_err(e.to_string()))?;
    for (path, value) in subs {
        let (v, _) = parse_yaml(&value).map_err(|e| syntax_err(e.to_string()))?;
        let mut parts: Vec<&str> = path.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        if let Some(n) = ensure_path(&mut tree, &parts) {
            n.insert(last, 0, v);
        }
    }
    let keep_top = |tree: &mut Node, keys: &[&str]| {
        if let NodeKind::Map(e) = &mut tree.kind {
            e.retain(|e| keys.contains(&e.key.as_str()));
        }
    };
    match filter {
        TemplateFilter::Full => {}
        TemplateFilter::Minimal => {
            keep_top(
                &mut tree,
                &[
                    "metadata",
                    "analysis_mode",
                    "experimental_data",
                    "optimization",
                ],
            );
            if let Some(o) = tree.get_mut("optimization") {
                keep_top(o, &["method"]);
            }
        }
        TemplateFilter::NlsqOnly => {
            if let Some(o) = tree.get_mut("optimization") {
                o.remove("cmc");
                o.remove("mcmc");
            }
        }
        TemplateFilter::CmcOnly => {
            if let Some(o) = tree.get_mut("optimization") {
                o.remove("lsq");
                o.remove("nlsq");
            }
        }
    }
    let body = serde_saphyr::to_string(&tree).map_err(|e| syntax_err(e.to_string()))?;
    let name = match filter {
        TemplateFilter::Minimal => "minimal",
        TemplateFilter::NlsqOnly => "nlsq_only",
        TemplateFilter::CmcOnly => "cmc_only",
        TemplateFilter::Full => "full",
    };
    Ok(format!(
        "# homodyne {mode} configuration ({name} subset, generated by homodyne-config).\n\
         # See `homodyne-config --mode {mode} --filter full` for the commented template.\n{body}"
    ))
}
