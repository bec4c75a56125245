//! A basin that fits as well as the answer (chi^2 within s^2) at values outside its
//! 99.7 % profile intervals is a doubt; one inside the intervals, or one clearly worse,
//! is not.

mod common;

use common::*;
use homodyne_global::Plan;
use homodyne_nlsq::Basin;

#[test]
fn a_basin_as_good_outside_the_error_bars_is_a_doubt() {
    let case = acceptance_case(0);
    let plan = Plan {
        from_midpoints: true,
        ..Default::default()
    };
    let mut r = fit_from_midpoints(&case, &plan);
    assert!(r.rival_basins().is_empty(), "{:?}", r.global_search);
    assert!(
        r.quality_checks
            .checks
            .iter()
            .any(|c| c.name == "unique_basin" && c.passed)
    );
    let scale = r.cost / r.degrees_of_freedom as f64;
    let d0 = r.profile.iter().find(|p| p.name == "D0").unwrap().clone();
    let k = r.fitted_names.iter().position(|n| n == "D0").unwrap();
    let basin = |d0_value: f64, delta: f64| {
        let mut parameters = r.fitted_vector.clone();
        parameters[k] = d0_value;
        Basin {
            cost: r.cost + delta * scale,
            chi_squared: r.chi_squared + delta * scale,
            reduced_chi_squared: r.reduced_chi_squared,
            names: r.fitted_names.clone(),
            parameters,
            members: 1,
            converged: true,
        }
    };
    let far = d0.three_sigma.upper + 2.0 * (d0.three_sigma.upper - d0.value);
    let record = r.global_search.as_mut().unwrap();
    record.basins = vec![
        basin(d0.value, 0.0),                              // the answer's own basin
        basin(far, 0.5),                                   // as good, outside: a rival
        basin(0.5 * (d0.value + d0.one_sigma.upper), 0.2), // inside the error bars
        basin(far, 4.0),                                   // outside but clearly worse
    ];
    record.chosen_basin = 0;
    assert_eq!(
        r.rival_basins().iter().map(|&(i, _)| i).collect::<Vec<_>>(),
        vec![1]
    );
    let doubts = r.doubts();
    let line = doubts
        .iter()
        .find(|d| d.contains("basin 1 fits as well"))
        .unwrap_or_else(|| panic!("{doubts:?}"));
    assert!(
        line.contains("0.500 s^2") && line.contains("D0 = "),
        "{line}"
    );
    assert!(
        !doubts
            .iter()
            .any(|d| d.contains("basin 2") || d.contains("basin 3"))
    );
}
