//! The two text files the reference writes after reading an HDF5 file:
//! `phi_angles_list.txt` (`%.6f`, header "Phi angles (degrees)") and
//! `wavevector_q_list.txt` (`%.8e`, header "Wavevector q (1/Angstrom)"), numpy `savetxt`
//! style with a `# ` comment prefix.

use std::path::Path;

use crate::data::XpcsData;
use crate::error::{DataError, DataResult};

/// Python `%.8e`: mantissa with 8 decimals, exponent signed with at least two digits.
pub(crate) fn format_percent_e8(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let s = format!("{v:.8e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Write `phi_dir/phi_angles_list.txt` and `q_dir/wavevector_q_list.txt`.
pub fn write_label_lists(data: &XpcsData, phi_dir: &Path, q_dir: &Path) -> DataResult<()> {
    let write = |path: &Path, header: &str, lines: Vec<String>| -> DataResult<()> {
        let mut text = format!("# {header}\n");
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DataError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(path, text).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    write(
        &phi_dir.join("phi_angles_list.txt"),
        "Phi angles (degrees)",
        data.phi_angles_list
            .iter()
            .map(|v| format!("{v:.6}"))
            .collect(),
    )?;
    write(
        &q_dir.join("wavevector_q_list.txt"),
        "Wavevector q (1/Angstrom)",
        data.wavevector_q_list
            .iter()
            .map(|&v| format_percent_e8(v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_exponent_format() {
        assert_eq!(format_percent_e8(0.0054), "5.40000000e-03");
        assert_eq!(format_percent_e8(12345.0), "1.23450000e+04");
        assert_eq!(format_percent_e8(0.0), "0.00000000e+00");
    }
}
