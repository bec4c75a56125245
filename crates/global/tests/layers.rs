//! Anti-degeneracy layers 2-5: for each, a case it changes and a case it leaves alone.

mod common;

use common::*;
use homodyne_global::layers::{
    GradientMonitoring, Monitored, Regularization, Response, hierarchical_applies,
};
use homodyne_global::{Layers, Profile, refine};
use homodyne_model::Par;
use homodyne_model::layout::ParameterLayout;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::{AngleMap, PerAngleMode, ScalingKind};
use homodyne_nlsq::{Fitter, NlsqOptions, Objective, initial_values};

const TRUTH: [f64; 7] = [2e4, -0.5, 100.0, 1e-3, -0.2, 0.0, 3.0];

fn fitter<'a>(case: &'a Case, mode: PerAngleMode, start: &[f64]) -> Fitter<'a> {
    let bounds = wide_bounds();
    let initial = initial_values(
        &case.experiment,
        case.c2.view(),
        AnalysisMode::LaminarFlow,
        Some(start),
        None,
        &bounds,
    )
    .unwrap();
    let options = NlsqOptions {
        per_angle_mode: mode,
        ..Default::default()
    };
    Fitter::new(
        &case.experiment,
        case.c2.view(),
        None,
        &initial,
        &bounds,
        &options,
    )
    .unwrap()
}

fn start() -> Vec<f64> {
    vec![5e4, -0.2, 300.0, 3e-3, 0.0, 0.0, 0.0]
}

fn layers_of(actions: &[homodyne_global::LayerAction]) -> Vec<u8> {
    actions.iter().map(|a| a.layer).collect()
}

#[test]
fn layer2_hierarchical_acts_on_many_per_angle_values_only() {
    let case = simulate(&TRUTH, 12, 60, 0.2, 5);
    // Individual scaling of 12 angles: 24 per-angle values vs 7 physical.
    let f = fitter(&case, PerAngleMode::Individual, &start());
    assert!(hierarchical_applies(
        &Layers::default(),
        f.problem().layout()
    ));
    let (sol, actions) = refine(&f, f.start(), &Layers::default()).unwrap();
    assert!(layers_of(&actions).contains(&2), "{actions:?}");
    let plain = f.solve_from(f.start()).unwrap();
    assert!(
        sol.equations.cost <= plain.equations.cost * (1.0 + 1e-6),
        "hierarchical {} vs joint {}",
        sol.equations.cost,
        plain.equations.cost
    );
    // Averaged scaling: 2 per-angle values, nothing to alternate.
    let f = fitter(&case, PerAngleMode::Auto, &start());
    assert!(!hierarchical_applies(
        &Layers::default(),
        f.problem().layout()
    ));
    let (sol, actions) = refine(&f, f.start(), &Layers::default()).unwrap();
    assert!(!layers_of(&actions).contains(&2), "{actions:?}");
    let plain = f.solve_from(f.start()).unwrap();
    assert!((sol.equations.cost / plain.equations.cost - 1.0).abs() < 1e-6);
}

#[test]
fn layer3_regularisation_pulls_per_angle_values_together_in_individual_mode_only() {
    let case = simulate(&TRUTH, 12, 40, 0.2, 6);
    let cv = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt() / m.abs()
    };
    let on = Layers {
        regularization: Regularization {
            enable: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let f = fitter(&case, PerAngleMode::Individual, &TRUTH);
    let (reg, actions) = refine(&f, f.start(), &on).unwrap();
    assert!(layers_of(&actions).contains(&3), "{actions:?}");
    let (free, actions_off) = refine(&f, f.start(), &Layers::default()).unwrap();
    assert!(!layers_of(&actions_off).contains(&3));
    let layout = f.problem().layout();
    let (c_reg, c_free) = (
        layout.decode(&reg.x).contrast,
        layout.decode(&free.x).contrast,
    );
    assert!(
        cv(&c_reg) < 0.5 * cv(&c_free),
        "CV {} vs {}",
        cv(&c_reg),
        cv(&c_free)
    );
    // Reported chi^2 is the data's own, so never below the free optimum.
    assert!(reg.equations.chi2 >= free.equations.chi2 * (1.0 - 1e-9));
    // Averaged scaling: not applied, the same answer bit for bit.
    let f = fitter(&case, PerAngleMode::Auto, &TRUTH);
    let (a, actions) = refine(&f, f.start(), &on).unwrap();
    let (b, _) = refine(&f, f.start(), &Layers::default()).unwrap();
    assert!(!layers_of(&actions).contains(&3));
    assert_eq!(a.x, b.x);
}

/// A quadratic whose per-angle variables carry nearly all the gradient.
struct Toy {
    weights: Vec<f64>,
}

impl Objective for Toy {
    fn n_params(&self) -> usize {
        self.weights.len()
    }
    fn evaluate(
        &self,
        x: &[f64],
    ) -> Result<homodyne_model::normal::NormalEquations, homodyne_nlsq::NlsqError> {
        let n = x.len();
        let mut ne = homodyne_model::normal::NormalEquations::zeros(n);
        for (i, (xi, w)) in x.iter().zip(&self.weights).enumerate() {
            let r = w * (xi - 1.0);
            ne.cost += r * r;
            ne.jtr[i] = w * r;
            ne.jtj[i * n + i] = w * w;
        }
        ne.chi2 = ne.cost;
        Ok(ne)
    }
    fn cost(
        &self,
        x: &[f64],
    ) -> Result<homodyne_model::normal::CostSummary, homodyne_nlsq::NlsqError> {
        let ne = self.evaluate(x)?;
        Ok(homodyne_model::normal::CostSummary {
            chi2: ne.chi2,
            cost: ne.cost,
            n_points: 10,
        })
    }
}

#[test]
fn layer4_gradient_monitor_triggers_on_collapse_only() {
    // Static mode, individual scaling of 2 angles: 4 per-angle + 3 physical variables.
    let layout = ParameterLayout::new(
        AnalysisMode::Static,
        ScalingKind::Individual,
        AngleMap::individual(2),
        AngleMap::individual(2),
        &[1e3, 0.0, 0.0],
        &[false; 3],
    )
    .unwrap();
    let (lo, hi) = (vec![-10.0; 7], vec![10.0; 7]);
    let settings = GradientMonitoring {
        response: Response::Hierarchical,
        ..Default::default()
    };
    let run = |weights: Vec<f64>| {
        let toy = Toy { weights };
        let m = Monitored::new(&toy, &layout, &lo, &hi, settings.clone());
        let mut stopped = false;
        for k in 0..10 {
            // A walk towards the optimum: the cost falls at every evaluation.
            let x = vec![3.0 - 0.2 * k as f64; 7];
            if m.evaluate(&x).is_err() {
                stopped = true;
                break;
            }
        }
        (m.triggered().is_some(), stopped)
    };
    // Per-angle gradients 1e4 x the physical ones: triggers after 5 evaluations.
    assert_eq!(
        run(vec![100.0, 100.0, 100.0, 100.0, 1.0, 1.0, 1.0]),
        (true, true)
    );
    // Balanced gradients: left alone.
    assert_eq!(run(vec![1.0; 7]), (false, false));
    // A laminar fit from a fair start: no trigger, no action.
    let case = simulate(&TRUTH, 8, 50, 0.2, 7);
    let f = fitter(&case, PerAngleMode::Auto, &start());
    let (_, actions) = refine(&f, f.start(), &Layers::default()).unwrap();
    assert!(!layers_of(&actions).contains(&4), "{actions:?}");
}

#[test]
fn layer5_shear_weights_use_degrees_and_only_laminar_flow() {
    let layers = Layers::default();
    // phi0 = 0: the angle along the flow weighs 1, the one across it w_min = 0.3, before
    // normalisation to mean 1 (the reference's radian/degree mix gave ~uniform weights).
    let w = layers.shear_weights(&[0.0, 90.0], 0.0);
    assert!(
        (w[0] - 2.0 / 1.3).abs() < 1e-9 && (w[1] - 0.6 / 1.3).abs() < 1e-9,
        "{w:?}"
    );
    let w = layers.shear_weights(&[10.0, 100.0, -80.0], 10.0);
    assert!(
        w[0] > 1.0 && (w[1] - w[2]).abs() < 1e-12 && w[1] < 1.0,
        "{w:?}"
    );
    // Changes the search objective of a laminar problem ...
    let case = simulate(&TRUTH, 8, 40, 0.2, 8);
    let f = fitter(&case, PerAngleMode::Auto, &start());
    let mut profile = Profile::new(f.problem()).unwrap();
    let plain = profile.evaluate(&start(), Par::Seq).unwrap().chi2;
    let action = layers.apply_shear_weighting(&mut profile, &start());
    assert!(action.is_some_and(|a| a.layer == 5));
    let weighted = profile.evaluate(&start(), Par::Seq).unwrap().chi2;
    assert!(
        (weighted / plain - 1.0).abs() > 1e-3,
        "{weighted} vs {plain}"
    );
    // ... and leaves a static one (no flow angle) or a disabled layer alone.
    assert!(
        layers
            .apply_shear_weighting(&mut profile, &[1e4, -1.0, 0.0])
            .is_none()
    );
    assert!(profile.angle_weights().iter().all(|w| *w == 1.0));
    assert!(
        Layers::off()
            .apply_shear_weighting(&mut profile, &start())
            .is_none()
    );
}

#[test]
fn profile_matches_the_objective_at_its_scaling() {
    let case = simulate(&TRUTH, 6, 40, 0.2, 9);
    let f = fitter(&case, PerAngleMode::Individual, &TRUTH);
    let profile = Profile::new(f.problem()).unwrap();
    let p = profile.evaluate(&TRUTH, Par::rayon(0)).unwrap();
    let direct = f.problem().cost(&p.x).unwrap().chi2;
    assert!(
        (p.chi2 / direct - 1.0).abs() < 1e-9,
        "{} vs {direct}",
        p.chi2
    );
    // The profiled scaling is the best: the fitter's start (quantile estimates) is worse.
    let mut x = f.start().to_vec();
    let k = x.len() - 7;
    x[k..].copy_from_slice(&TRUTH);
    assert!(f.problem().cost(&x).unwrap().chi2 >= direct);
}

#[test]
fn layer4_response_changes_the_local_solve_when_it_triggers() {
    // A threshold no real fit stays above: the monitor triggers at the first evaluation
    // of the joint solve, and the configured response is what the solve does next.
    let case = simulate(&TRUTH, 8, 50, 0.2, 10);
    let f = fitter(&case, PerAngleMode::Auto, &start());
    let forced = |response| Layers {
        gradient_monitoring: GradientMonitoring {
            ratio_threshold: 1e12,
            consecutive_triggers: 1,
            response,
            ..Default::default()
        },
        ..Default::default()
    };
    let (plain, none) = refine(&f, f.start(), &Layers::default()).unwrap();
    assert!(!layers_of(&none).contains(&4));
    // hierarchical: alternations from the trigger point, then the joint solve; same optimum.
    let (h, actions) = refine(&f, f.start(), &forced(Response::Hierarchical)).unwrap();
    let a = actions
        .iter()
        .find(|a| a.layer == 4)
        .expect("layer 4 acted");
    assert!(
        a.message.contains("hierarchical alternations"),
        "{}",
        a.message
    );
    assert!(
        (h.equations.cost / plain.equations.cost - 1.0).abs() < 1e-6,
        "{} vs {}",
        h.equations.cost,
        plain.equations.cost
    );
    // abort: the solve stops where it triggered (the start), not converged.
    let (ab, actions) = refine(&f, f.start(), &forced(Response::Abort)).unwrap();
    assert!(layers_of(&actions).contains(&4));
    assert_eq!(ab.x, f.start());
    assert!(!ab.termination.converged());
    assert!(ab.equations.cost > plain.equations.cost);
    // reset: per-angle values to their mean, then the joint solve.
    let (_, actions) = refine(&f, f.start(), &forced(Response::Reset)).unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a.layer == 4 && a.message.contains("reset")),
        "{actions:?}"
    );
    // The master switch off: never acts.
    let mut off = forced(Response::Abort);
    off.disabled = true;
    let (x, actions) = refine(&f, f.start(), &off).unwrap();
    assert!(actions.is_empty() && x.termination.converged());
}
