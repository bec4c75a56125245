"""Load the bundled example, fit it (NLSQ), and plot data, fit and residuals.

    pip install ./python matplotlib      # from the repository root
    python python/examples/fit_example.py [CONFIG] [--cmc]

Without matplotlib the fit is printed and the figure skipped.
"""

import sys
from pathlib import Path

import numpy as np

import homodyne_rs as h

REPO = Path(__file__).resolve().parents[2]
args = [a for a in sys.argv[1:] if not a.startswith("--")]
config = args[0] if args else str(REPO / "examples" / "example_laminar.yaml")

data = h.load_xpcs_data(config)  # the reference's dict of numpy arrays
print({k: v.shape for k, v in data.items()})

fit = h.fit_nlsq(data, config, progress=True)  # fit_nlsq_jax is the same function
print(fit)
for name, value in fit.parameters.items():
    print(f"{name:>20} = {value:.6g} ± {fit.uncertainties[name]:.2g}")

if "--cmc" in sys.argv:
    post = h.fit_cmc(data, config, nlsq_result=fit, n_samples=500, n_warmup=300,
                     n_chains=4, progress=True)
    print(post.summary())

# Theory on the data's grid from the fitted values, contrast/offset per angle.
per = fit.per_angle
physical = {k: v for k, v in fit.parameters.items() if k not in ("contrast", "offset")}
cm = h.ConfigManager(config)
geometry = cm.config["analyzer_parameters"]
theory = h.g2(physical, data["phi_angles_list"], data["t1"],
              q=geometry["scattering"]["wavevector_q"],
              stator_rotor_gap=geometry["geometry"]["stator_rotor_gap"],
              contrast=per["contrast"], offset=per["offset"])

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed: no figure")
    sys.exit(0)

angles = range(0, len(data["phi_angles_list"]), max(1, len(data["phi_angles_list"]) // 3))
fig, axes = plt.subplots(len(angles), 3, figsize=(10, 3.2 * len(angles)), squeeze=False)
t = data["t1"]
extent = [t[0], t[-1], t[0], t[-1]]
for row, a in zip(axes, angles):
    exp, th = data["c2_exp"][a], theory[a]
    for ax, img, title in zip(row, [exp, th, exp - th], ["data", "fit", "residual"]):
        im = ax.imshow(img, origin="lower", extent=extent, cmap="viridis")
        ax.set_title(f"{title}, phi = {data['phi_angles_list'][a]:.1f} deg")
        ax.set_xlabel("t2 (s)")
        ax.set_ylabel("t1 (s)")
        fig.colorbar(im, ax=ax, shrink=0.8)
fig.tight_layout()
out = Path("fit_example.png")
fig.savefig(out, dpi=100)
print(f"figure written to {out.resolve()} (reduced chi2 {fit.reduced_chi_squared:.4f})")
print("max |data - fit| on the off-diagonal:",
      float(np.max(np.abs((data["c2_exp"] - theory)[:, ~np.eye(len(t), dtype=bool)]))))
