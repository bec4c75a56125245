//! Load -> fit -> write through the library, on the bundled laminar-flow example:
//!
//!     cargo run --release -p homodyne --example fit_from_rust [CONFIG] [OUTPUT_DIR]
use homodyne::{Analysis, Overrides, Silent};

fn main() -> homodyne::Result<()> {
    let mut args = std::env::args().skip(1);
    let config = args
        .next()
        .unwrap_or("examples/example_laminar.yaml".into());
    let out = args.next().unwrap_or("fit_from_rust_results".into());

    let analysis = Analysis::from_file(&config, Overrides::default())?;
    let data = analysis.load(Some(out.as_ref()), &Silent)?;
    let fit = analysis.fit_nlsq(&data, &Silent)?;
    for name in fit.physical_names() {
        let e = fit
            .parameter(name)
            .expect("every physical name is a parameter");
        println!("{name:>20} = {:.6e} ± {:.2e}", e.value, e.uncertainty);
    }
    println!(
        "reduced chi2 = {:.4} ({})",
        fit.reduced_chi_squared,
        fit.quality_flag.as_str()
    );
    let written = analysis.write_nlsq(&data, &fit, &analysis.output_options(&out), &Silent)?;
    println!("{} files written to {out}", written.len());
    Ok(())
}
