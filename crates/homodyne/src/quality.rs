//! Optional preprocessing and data quality control between loading and fitting
//! (`preprocessing.enabled`, `quality_control.enabled`; both off by default). Their YAML
//! sections are read as the original writes them; reports go to the output directory.

use std::path::Path;

use homodyne_config::Loaded;
use homodyne_data::XpcsData;
use homodyne_quality::{
    PreprocessingConfig, PreprocessingPipeline, QualityControlConfig, QualityController,
    QualityStage, write_json_atomic,
};

use crate::error::{Error, Result, invalid};

fn quality_err(e: impl std::fmt::Display) -> Error {
    Error::Quality(e.to_string())
}

fn section<T: serde::de::DeserializeOwned + Default>(loaded: &Loaded, key: &str) -> Result<T> {
    let Some(node) = loaded.tree.get(key).filter(|n| !n.is_null()) else {
        return Ok(T::default());
    };
    let value = node.to_json();
    serde_json::from_value::<T>(value.clone()).map_err(|e| {
        // serde names the problem, not the key: find the entry without which the section
        // reads, so the message points at it.
        let culprit = value.as_object().and_then(|map| {
            map.keys()
                .find(|k| {
                    let mut rest = map.clone();
                    rest.remove(*k);
                    serde_json::from_value::<T>(serde_json::Value::Object(rest)).is_ok()
                })
                .cloned()
        });
        match culprit {
            Some(k) => invalid!("{key}.{k}: {e}"),
            None => invalid!("{key}: section is malformed: {e}"),
        }
    })
}

/// The `preprocessing` and `quality_control` sections as the quality crate reads them
/// (absent sections: defaults). The run and `check` both call this.
pub fn sections(loaded: &Loaded) -> Result<(PreprocessingConfig, QualityControlConfig)> {
    Ok((
        section(loaded, "preprocessing")?,
        section(loaded, "quality_control")?,
    ))
}

/// Run quality control (raw, preprocessed, final stages) and preprocessing when enabled,
/// modifying `data` in place. Returns whether anything ran.
pub fn apply(loaded: &Loaded, data: &mut XpcsData, out_dir: Option<&Path>) -> Result<bool> {
    let (pre, qc) = sections(loaded)?;
    if !pre.enabled && !qc.enabled {
        return Ok(false);
    }
    // Preprocessing and quality control work on f64 values: float32 stacks are widened.
    data.c2_exp.make_f64();
    let mut controller = QualityController::new(qc.clone());
    let phi = data.phi_angles_list.clone();
    let t = data.t1.clone();
    let mut last = None;
    if qc.enabled {
        let r = controller.validate_stage(
            QualityStage::RawData,
            data.c2_exp.make_f64().view_mut(),
            t.view(),
            phi.view(),
            None,
        );
        last = Some(r);
    }
    if pre.enabled {
        let pipeline = PreprocessingPipeline::new(pre.clone()).map_err(quality_err)?;
        let result = pipeline
            .process(data.c2_exp.make_f64().view(), t.view(), phi.view())
            .map_err(quality_err)?;
        data.c2_exp = result.data.into();
        if let Some(out_dir) = out_dir.filter(|_| pre.save_provenance) {
            let path = out_dir.join("preprocessing_provenance.json");
            result.provenance.save(&path).map_err(quality_err)?;
            tracing::info!("preprocessing provenance written to {}", path.display());
        }
        if qc.enabled {
            let r = controller.validate_stage(
                QualityStage::PreprocessedData,
                data.c2_exp.make_f64().view_mut(),
                t.view(),
                phi.view(),
                last.as_ref(),
            );
            last = Some(r);
        }
    }
    if qc.enabled {
        let r = controller.validate_stage(
            QualityStage::FinalData,
            data.c2_exp.make_f64().view_mut(),
            t.view(),
            phi.view(),
            last.as_ref(),
        );
        tracing::info!(
            "data quality: score {:.0}, {:?}",
            r.metrics.overall_score,
            r.status
        );
        if let Some(out_dir) = out_dir {
            let path = out_dir.join("quality_report.json");
            write_json_atomic(&path, &controller.report()).map_err(quality_err)?;
            tracing::info!("quality report written to {}", path.display());
        }
    }
    Ok(true)
}
