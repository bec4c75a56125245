//! Alias and legacy-shape normalisation on the raw [`Node`] tree: the spellings and
//! older layouts the original program accepts (through its configuration manager, its
//! loader and its command line) are rewritten to the one canonical layout.
//!
//! Runs before the typed read, so the typed sections only know canonical keys. Moved
//! nodes keep their source line, so later errors still point at the right line. Every
//! change is recorded as an *info* note in the report.
//!
//! Handled:
//! * `analysis_mode` spellings (`static_isotropic`, `static_anisotropic`, `Laminar-Flow`,
//!   ...) → `static` / `laminar_flow`; missing → `metadata.analysis_mode`, else `static`;
//! * flat legacy keys: top-level `dt`, `start_frame`, `end_frame`, `wavevector_q`,
//!   `stator_rotor_gap`, `data_file`, `data_folder_path`, `data_file_name`;
//!   `analyzer_parameters.{wavevector_q, stator_rotor_gap, q}`,
//!   `experimental_data.{dt, geometry.stator_rotor_gap, sample_detector_distance}`;
//! * `experimental_data`: `file_path` derived from folder + name (and split when only
//!   `file_path` is given);
//! * parameter aliases (`gamma_dot_0`, `gamma_dot_offset`, `phi_0`) in
//!   `initial_parameters.{parameter_names, active_parameters, fixed_parameters}` and
//!   `parameter_space.bounds[*].name`;
//! * `initial_parameters` written as a flat `{name: value}` mapping;
//!   `initial_parameters.per_angle_scaling.{contrast, offset}` given as a scalar;
//! * `parameter_space.bounds` written as a `{name: {min, max}}` or `{name: [min, max]}`
//!   mapping;
//! * `optimization.nlsq.diagnostics.enable` → `enabled`;
//! * deprecated `optimization.consensus_monte_carlo`, `optimization.parallel_mcmc`,
//!   `optimization.cmc.sharding.optimal_shard_size` → warnings.

use crate::issues::ValidationReport;
use crate::node::{Entry, Node, NodeKind};
use crate::params::{canonical_name, is_known_name};
use homodyne_model::AnalysisMode;

/// Normalise `root` in place. Returns `false` (with an error recorded) when the root is
/// not a mapping.
pub(crate) fn normalize(root: &mut Node, report: &mut ValidationReport) -> bool {
    if root.is_null() {
        report.info("", 0, "empty configuration: built-in defaults are used");
        *root = Node::empty_map();
    }
    if root.entries().is_none() {
        report.error(
            "",
            root.line,
            format!(
                "the configuration must be a mapping of sections, found {}",
                root.describe()
            ),
        );
        return false;
    }
    analysis_mode(root, report);
    flat_legacy(root, report);
    experimental_data(root, report);
    initial_parameters(root, report);
    bounds(root, report);
    nlsq(root, report);
    deprecated(root, report);
    true
}

fn analysis_mode(root: &mut Node, report: &mut ValidationReport) {
    match root
        .get("analysis_mode")
        .map(|n| (n.as_str().map(str::to_string), n.line))
    {
        Some((Some(s), line)) => {
            if let Ok(mode) = s.parse::<AnalysisMode>()
                && mode.as_str() != s
            {
                report.info(
                    "analysis_mode",
                    line,
                    format!("\"{s}\" normalised to \"{mode}\""),
                );
                let mut n = Node::new(NodeKind::Str(mode.as_str().into()));
                n.line = line;
                root.insert("analysis_mode", line, n);
            }
        }
        Some((None, _)) => {} // type error reported by the typed read
        None => {
            let from_meta = root
                .get_path("metadata.analysis_mode")
                .and_then(Node::as_str)
                .and_then(|s| s.parse::<AnalysisMode>().ok());
            let mode = from_meta.unwrap_or(AnalysisMode::Static);
            report.warning(
                "analysis_mode",
                0,
                format!(
                    "missing; using \"{mode}\"{}",
                    if from_meta.is_some() {
                        " from metadata.analysis_mode"
                    } else {
                        ""
                    }
                ),
            );
            root.insert(
                "analysis_mode",
                0,
                Node::new(NodeKind::Str(mode.as_str().into())),
            );
        }
    }
}

/// Move `root.<from...>` to `root.<to...>` unless the target exists (then warn).
fn move_key(root: &mut Node, from: &[&str], to: &[&str], report: &mut ValidationReport) {
    let from_path = from.join(".");
    let to_path = to.join(".");
    let Some(parent) = get_mut_path(root, &from[..from.len() - 1]) else {
        return;
    };
    let Some(entry) = parent.remove(from[from.len() - 1]) else {
        return;
    };
    if root.get_path(&to_path).is_some() {
        report.warning(
            &from_path,
            entry.key_line,
            format!("legacy key ignored: `{to_path}` is also set and wins"),
        );
        return;
    }
    let mut target = &mut *root;
    for k in &to[..to.len() - 1] {
        match target.child_map_mut(k) {
            Some(t) => target = t,
            None => {
                report.warning(
                    &from_path,
                    entry.key_line,
                    format!("legacy key ignored: cannot move it to `{to_path}`"),
                );
                return;
            }
        }
    }
    report.info(
        &from_path,
        entry.key_line,
        format!("legacy location; read as `{to_path}`"),
    );
    target.insert(to[to.len() - 1], entry.key_line, entry.value);
}

fn get_mut_path<'a>(root: &'a mut Node, path: &[&str]) -> Option<&'a mut Node> {
    let mut n = root;
    for k in path {
        n = n.get_mut(k)?;
    }
    Some(n)
}

fn flat_legacy(root: &mut Node, report: &mut ValidationReport) {
    const AP: &str = "analyzer_parameters";
    for k in ["dt", "start_frame", "end_frame"] {
        move_key(root, &[k], &[AP, k], report);
        move_key(root, &["experimental_data", k], &[AP, k], report);
    }
    move_key(
        root,
        &["wavevector_q"],
        &[AP, "scattering", "wavevector_q"],
        report,
    );
    move_key(
        root,
        &[AP, "wavevector_q"],
        &[AP, "scattering", "wavevector_q"],
        report,
    );
    move_key(
        root,
        &[AP, "q"],
        &[AP, "scattering", "wavevector_q"],
        report,
    );
    move_key(
        root,
        &["stator_rotor_gap"],
        &[AP, "geometry", "stator_rotor_gap"],
        report,
    );
    move_key(
        root,
        &[AP, "stator_rotor_gap"],
        &[AP, "geometry", "stator_rotor_gap"],
        report,
    );
    move_key(
        root,
        &["experimental_data", "geometry", "stator_rotor_gap"],
        &[AP, "geometry", "stator_rotor_gap"],
        report,
    );
    // An emptied experimental_data.geometry is dropped so it is not reported as unknown.
    if let Some(ed) = root.get_mut("experimental_data")
        && ed
            .get("geometry")
            .and_then(Node::entries)
            .is_some_and(<[Entry]>::is_empty)
    {
        ed.remove("geometry");
    }
    move_key(
        root,
        &["experimental_data", "sample_detector_distance"],
        &[AP, "geometry", "stator_rotor_gap"],
        report,
    );
    for k in ["data_folder_path", "data_file_name", "file_path"] {
        move_key(root, &[k], &["experimental_data", k], report);
    }
    move_key(
        root,
        &["data_file"],
        &["experimental_data", "file_path"],
        report,
    );
}

fn experimental_data(root: &mut Node, report: &mut ValidationReport) {
    let Some(ed) = root.get_mut("experimental_data") else {
        return;
    };
    if ed.entries().is_none() {
        return;
    }
    let folder = ed
        .get("data_folder_path")
        .and_then(Node::as_str)
        .map(str::to_string);
    let name = ed
        .get("data_file_name")
        .and_then(Node::as_str)
        .map(str::to_string);
    match (folder, name) {
        (Some(f), Some(n)) if ed.get("file_path").is_none_or(Node::is_null) => {
            let p = std::path::Path::new(&f).join(&n);
            ed.insert(
                "file_path",
                0,
                Node::new(NodeKind::Str(p.to_string_lossy().into_owned())),
            );
        }
        (None, None) => {
            if let Some((line, fp)) = ed
                .get("file_path")
                .and_then(|n| n.as_str().map(|s| (n.line, s.to_string())))
            {
                let p = std::path::Path::new(&fp);
                let folder = p
                    .parent()
                    .map(|d| d.to_string_lossy().into_owned())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| ".".into());
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut fnode = Node::new(NodeKind::Str(folder));
                fnode.line = line;
                let mut nnode = Node::new(NodeKind::Str(name));
                nnode.line = line;
                ed.insert("data_folder_path", line, fnode);
                ed.insert("data_file_name", line, nnode);
                report.info(
                    "experimental_data.file_path",
                    line,
                    "split into data_folder_path and data_file_name",
                );
            }
        }
        _ => {}
    }
}

/// Map aliases in a list of parameter-name strings.
fn map_name_list(node: &mut Node, path: &str, report: &mut ValidationReport) {
    if let NodeKind::Seq(items) = &mut node.kind {
        for (i, item) in items.iter_mut().enumerate() {
            map_name(item, &format!("{path}[{i}]"), report);
        }
    }
}

fn map_name(item: &mut Node, path: &str, report: &mut ValidationReport) {
    if let NodeKind::Str(s) = &mut item.kind {
        let c = canonical_name(s);
        if c != s {
            report.info(path, item.line, format!("alias \"{s}\" read as \"{c}\""));
            *s = c.to_string();
        }
    }
}

fn initial_parameters(root: &mut Node, report: &mut ValidationReport) {
    const IP: &str = "initial_parameters";
    let Some(ip) = root.get_mut(IP) else {
        return;
    };
    let Some(entries) = ip.entries() else {
        return;
    };
    // Flat legacy shape {D0: 1000, alpha: -1.2, ...}.
    let known = [
        "parameter_names",
        "values",
        "per_angle_scaling",
        "units",
        "active_parameters",
        "fixed_parameters",
    ];
    if !entries.is_empty()
        && entries.iter().all(|e| !known.contains(&e.key.as_str()))
        && entries
            .iter()
            .all(|e| is_known_name(&e.key) && e.value.as_f64().is_some())
    {
        let line = entries[0].key_line;
        let mut names = Vec::new();
        let mut values = Vec::new();
        for e in entries {
            let mut n = Node::new(NodeKind::Str(canonical_name(&e.key).to_string()));
            n.line = e.key_line;
            names.push(n);
            values.push(e.value.clone());
        }
        report.info(
            IP,
            line,
            "flat {name: value} mapping read as parameter_names + values",
        );
        let mut new = Node::empty_map();
        new.line = ip.line;
        new.insert(
            "parameter_names",
            line,
            Node {
                kind: NodeKind::Seq(names),
                line,
                col: 0,
            },
        );
        new.insert(
            "values",
            line,
            Node {
                kind: NodeKind::Seq(values),
                line,
                col: 0,
            },
        );
        *ip = new;
        return;
    }
    for k in ["parameter_names", "active_parameters"] {
        if let Some(n) = ip.get_mut(k) {
            map_name_list(n, &format!("{IP}.{k}"), report);
        }
    }
    if let Some(fixed) = ip.get_mut("fixed_parameters") {
        match &mut fixed.kind {
            NodeKind::Map(entries) => {
                for e in entries.iter_mut() {
                    let c = canonical_name(&e.key);
                    if c != e.key {
                        report.info(
                            &format!("{IP}.fixed_parameters.{}", e.key),
                            e.key_line,
                            format!("alias \"{}\" read as \"{c}\"", e.key),
                        );
                        e.key = c.to_string();
                    }
                }
            }
            NodeKind::Seq(_) => map_name_list(fixed, &format!("{IP}.fixed_parameters"), report),
            _ => {}
        }
    }
    if let Some(pas) = ip.get_mut("per_angle_scaling")
        && let Some(entries) = pas.entries_mut()
    {
        for e in entries.iter_mut() {
            if matches!(e.value.kind, NodeKind::Int(_) | NodeKind::Float(_)) {
                let line = e.value.line;
                let scalar = std::mem::replace(&mut e.value, Node::new(NodeKind::Null));
                e.value = Node {
                    kind: NodeKind::Seq(vec![scalar]),
                    line,
                    col: 0,
                };
            }
        }
    }
}

fn bounds(root: &mut Node, report: &mut ValidationReport) {
    let Some(b) = root
        .get_mut("parameter_space")
        .and_then(|p| p.get_mut("bounds"))
    else {
        return;
    };
    if let NodeKind::Map(entries) = &b.kind {
        let mut list = Vec::new();
        for e in entries {
            let mut item = match &e.value.kind {
                NodeKind::Map(_) => e.value.clone(),
                NodeKind::Seq(v) if v.len() == 2 => {
                    let mut m = Node {
                        kind: NodeKind::Map(Vec::new()),
                        line: e.key_line,
                        col: 0,
                    };
                    m.insert("min", e.key_line, v[0].clone());
                    m.insert("max", e.key_line, v[1].clone());
                    m
                }
                _ => {
                    report.error(
                        &format!("parameter_space.bounds.{}", e.key),
                        e.key_line,
                        format!(
                            "expected {{min, max}} or [min, max], found {}",
                            e.value.describe()
                        ),
                    );
                    continue;
                }
            };
            let mut name = Node::new(NodeKind::Str(e.key.clone()));
            name.line = e.key_line;
            item.insert("name", e.key_line, name);
            list.push(item);
        }
        report.info(
            "parameter_space.bounds",
            b.line,
            "mapping form read as a list of {name, min, max}",
        );
        b.kind = NodeKind::Seq(list);
    }
    if let NodeKind::Seq(items) = &mut b.kind {
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(name) = item.get_mut("name") {
                map_name(name, &format!("parameter_space.bounds[{i}].name"), report);
            }
        }
    }
}

fn nlsq(root: &mut Node, report: &mut ValidationReport) {
    let path = ["optimization", "nlsq", "diagnostics", "enable"];
    if root.get_path(&path.join(".")).is_some() {
        move_key(
            root,
            &path,
            &["optimization", "nlsq", "diagnostics", "enabled"],
            report,
        );
    }
}

fn deprecated(root: &Node, report: &mut ValidationReport) {
    for p in [
        "optimization.consensus_monte_carlo",
        "optimization.parallel_mcmc",
        "optimization.cmc.sharding.optimal_shard_size",
    ] {
        let (parent, key) = p.rsplit_once('.').unwrap_or(("", p));
        if let Some(e) = root.get_path(parent).and_then(|n| n.entry(key)) {
            report.warning(p, e.key_line, "deprecated key (ignored)");
        }
    }
}
