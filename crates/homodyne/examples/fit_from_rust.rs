//! Load -> fit -> write through the library (default: the bundled laminar example):
//! `cargo run --release -p homodyne --example fit_from_rust [CONFIG] [OUTPUT_DIR]`
use homodyne::{Analysis, Overrides, Silent};

const EXAMPLE: &str = "examples/example_laminar.yaml";

fn main() -> homodyne::Result<()> {
    let mut args = std::env::args().skip(1);
    let config = args.next().unwrap_or(EXAMPLE.into());
    let out = args.next().unwrap_or("fit_from_rust_results".into());

    let analysis = Analysis::from_file(&config, Overrides::default())?;
    let data = analysis.load(Some(out.as_ref()), &Silent)?;
    let fit = analysis.fit_nlsq(&data, &Silent)?;
    for name in fit.physical_names() {
        let e = fit.parameter(name).expect("a physical name");
        println!("{name:>20} = {:.6e} ± {:.2e}", e.value, e.uncertainty);
    }
    let quality = fit.quality_flag.as_str();
    println!("reduced chi2 {:.4} ({quality})", fit.reduced_chi_squared);
    let options = analysis.output_options(&out);
    let written = analysis.write_nlsq(&data, &fit, &options, &Silent)?;
    println!("{} files written to {out}", written.len());
    Ok(())
}
