"""homodyne_rs against the command line: same numbers, same messages, numpy in and out."""

import json
import os
import resource
import signal
import threading
import time

import numpy as np
import pytest

import homodyne_rs as h

KEYS = ["wavevector_q_list", "phi_angles_list", "t1", "t2", "c2_exp"]


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def test_import_and_reference_names():
    assert h.fit_nlsq_jax is h.fit_nlsq
    assert h.fit_mcmc_jax is h.fit_cmc
    assert isinstance(h.__version__, str)


def test_load_returns_the_reference_dict(data):
    assert sorted(data) == sorted(KEYS)
    n_phi, n_t, n_t2 = data["c2_exp"].shape
    assert (n_phi, n_t, n_t2) == (8, 80, 80)
    assert data["phi_angles_list"].shape == (n_phi,)
    assert data["t1"].shape == data["t2"].shape == (n_t,)
    assert data["t1"][0] == 0.0 and np.isclose(data["t1"][1], 0.1)
    assert data["c2_exp"].dtype == np.float64
    np.testing.assert_array_equal(data["c2_exp"], data["c2_exp"].transpose(0, 2, 1))


def test_fit_equals_the_cli_parameters_json(tmp_path, run_cli, example, data):
    out = tmp_path / "cli"
    run_cli("homodyne", "--config", example, "--output-dir", out, "--quiet")
    cli = json.loads((out / "nlsq" / "parameters.json").read_text())
    fit = h.fit_nlsq(data, str(example))
    assert set(fit.parameters) == set(cli["parameters"])
    for name, entry in cli["parameters"].items():
        assert close(fit.parameters[name], entry["value"]), name
        if entry["uncertainty"] is not None:
            assert close(fit.uncertainties[name], entry["uncertainty"]), name
    assert close(fit.chi_squared, cli["chi_squared"])
    assert close(fit.reduced_chi_squared, cli["reduced_chi_squared"])
    assert fit.convergence_status == cli["convergence_status"]
    assert fit.quality_flag == "good"
    # Profile-likelihood intervals, as parameters.json writes them.
    assert set(fit.profile_intervals) == {
        name for name, entry in cli["parameters"].items() if "interval_68" in entry
    }
    assert "D0" in fit.profile_intervals
    for name, p in fit.profile_intervals.items():
        entry = cli["parameters"][name]
        assert close(p["interval_68"][0], entry["interval_68"][0]), name
        assert close(p["interval_99_7"][1], entry["interval_99_7"][1]), name
        assert p["interval_99_7"][0] <= p["interval_68"][0] < p["value"] < p["interval_68"][1]
    n = len(fit.parameter_names)
    assert fit.covariance.shape == (n, n)
    assert fit.parameter_values.shape == (n,)
    per = fit.per_angle
    assert per["contrast"].shape == per["offset"].shape == (8,)
    np.testing.assert_array_equal(per["phi_angles"], data["phi_angles_list"])
    d = fit.to_dict()
    assert d["parameters"] == fit.parameters
    assert d["details"]["chi_squared"] == fit.chi_squared
    assert "D0" in repr(fit)


def test_config_forms_and_overrides_agree(example, data, monkeypatch, run_cli, tmp_path):
    by_path = h.fit_nlsq(data, str(example))
    cm = h.ConfigManager(str(example))
    assert cm.analysis_mode == "laminar_flow"
    assert h.fit_nlsq(data, cm).parameters == by_path.parameters
    # A dict resolves relative data paths against the working directory.
    monkeypatch.chdir(example.parent)
    as_dict = cm.config
    assert h.load_xpcs_data(config_dict=as_dict)["c2_exp"].shape == data["c2_exp"].shape
    assert h.fit_nlsq(data, as_dict).parameters == by_path.parameters
    # Start values and solver settings are overrides, as the CLI's flags.
    short = h.fit_nlsq(data, cm, initial_params={"D0": 2e4}, max_iterations=1)
    out = tmp_path / "cli"
    run_cli("homodyne", "--config", example, "--output-dir", out, "--quiet",
            "--initial-d0", "20000", "--max-iterations", "1", "--accept-poor-fit")
    cli = json.loads((out / "nlsq" / "parameters.json").read_text())
    for name, entry in cli["parameters"].items():
        assert close(short.parameters[name], entry["value"]), name
    assert h.fit_nlsq_jax(data, cm, [1.4e4, -0.3, 700, 4e-4, 0, 0, 2]).quality_flag == "good"


def test_simulate_equals_the_cli_npz(tmp_path, run_cli, example):
    npz = tmp_path / "sim.npz"
    run_cli("homodyne", "simulate", "--config", example, "--output", npz, "--phi-angles", "0,45,90")
    cli = np.load(npz)
    sim = h.simulate(str(example), [0, 45, 90], full_output=True)
    np.testing.assert_array_equal(sim["t"], cli["t"])
    np.testing.assert_array_equal(sim["phi_angles"], cli["phi_angles"])
    assert np.max(np.abs(sim["c2"] - cli["c2"])) <= 1e-12
    c2 = h.simulate(str(example), [0, 45, 90])
    np.testing.assert_array_equal(c2, sim["c2"])


def test_g2_is_the_model_of_simulate(example):
    cm = h.ConfigManager(str(example))
    t = np.arange(80) * 0.1
    params = cm.initial_parameters
    g = h.g2(params, [0, 45, 90], t, q=0.0054, stator_rotor_gap=2e6, contrast=0.3, offset=1.0)
    sim = h.simulate(cm, [0, 45, 90])
    np.testing.assert_array_equal(g, sim)
    # From plain parameters too: sequences, per-angle scaling.
    g7 = h.g2(list(params.values()), [0, 90], t, q=0.0054, stator_rotor_gap=2e6,
              contrast=[0.2, 0.4])
    assert g7.shape == (2, 80, 80)
    static = h.g2({"D0": 1e4, "alpha": 0.0, "D_offset": 0.0}, [0.0], t, q=0.0054)
    assert np.all((static >= 1.0) & (static <= 2.0 + 1e-12))
    with pytest.raises(ValueError, match="stator_rotor_gap"):
        h.g2(params, [0.0], t, q=0.0054)
    with pytest.raises(ValueError, match="parameter values"):
        h.g2([1.0, 2.0], [0.0], t, q=0.0054)


def test_validate_equals_homodyne_config(run_cli, example, tmp_path):
    cli = run_cli("homodyne-config", "--validate", example)
    report = h.validate_config(str(example))
    assert report["valid"] is True
    assert report["report"] == cli.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(example.read_text().replace("dt: 0.1", "dt: -0.1"))
    cli = run_cli("homodyne-config", "--validate", bad, check=False)
    report = h.validate_config(str(bad))
    assert cli.returncode == 1 and report["valid"] is False and report["errors"]
    assert report["report"] == cli.stdout


def test_templates():
    for mode in ["static", "laminar_flow"]:
        text = h.config_template(mode)
        assert f"analysis_mode: \"{mode}\"" in text or f"analysis_mode: {mode}" in text
        assert h.ConfigManager.from_template(mode).analysis_mode == mode
    assert len(h.config_template("static", "minimal")) < len(h.config_template("static"))
    with pytest.raises(ValueError, match="unknown filter"):
        h.config_template("static", "nope")


def test_bad_inputs_raise_the_named_exceptions(tmp_path, example, data, run_cli):
    with pytest.raises(FileNotFoundError, match="configuration file not found"):
        h.load_xpcs_data(str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError, match="configuration file not found"):
        h.fit_nlsq(data, str(tmp_path / "missing.yaml"))
    # A missing data file: the CLI's message.
    nofile = tmp_path / "nofile.yaml"
    nofile.write_text(example.read_text().replace('data_folder_path: "data/"',
                                                  f'data_folder_path: "{tmp_path}/"'))
    with pytest.raises(FileNotFoundError) as e:
        h.load_xpcs_data(str(nofile))
    cli = run_cli("homodyne", "--config", nofile, "--output-dir", tmp_path / "o", check=False)
    assert cli.returncode == 1 and str(e.value) in cli.stderr
    # An unreadable data file.
    (tmp_path / "example_laminar.hdf").write_bytes(b"not an hdf5 file at all" * 10)
    with pytest.raises(OSError) as e:
        h.load_xpcs_data(str(nofile))
    assert not isinstance(e.value, FileNotFoundError)
    # Bad configuration values.
    bad = tmp_path / "bad.yaml"
    bad.write_text(example.read_text().replace("dt: 0.1", "dt: -0.1"))
    with pytest.raises(ValueError, match="dt"):
        h.fit_nlsq(data, str(bad))
    with pytest.raises(ValueError):
        h.load_xpcs_data(config_dict={"analysis_mode": "laminar_flow",
                                      "analyzer_parameters": {"dt": "fast"}})
    # Bad data.
    wrong = dict(data, c2_exp=data["c2_exp"][:, :, :10])
    with pytest.raises(ValueError, match="square"):
        h.fit_nlsq(wrong, str(example))
    with pytest.raises(ValueError, match="phi_angles_list"):
        h.fit_nlsq(dict(data, phi_angles_list=data["phi_angles_list"][:3]), str(example))
    with pytest.raises(ValueError, match="no 'c2_exp'"):
        h.fit_nlsq({k: v for k, v in data.items() if k != "c2_exp"}, str(example))
    with pytest.raises(ValueError, match="unknown parameter"):
        h.fit_nlsq(data, str(example), initial_params={"D1": 1.0})
    with pytest.raises(TypeError, match="unexpected keyword"):
        h.fit_nlsq(data, str(example), max_iter=3)
    with pytest.raises(TypeError):
        h.fit_nlsq(data, 42)


def test_float32_and_other_dtypes_are_accepted(example, data):
    ref = h.fit_nlsq(data, str(example))
    f32 = h.fit_nlsq(dict(data, c2_exp=data["c2_exp"].astype(np.float32)), str(example))
    assert abs(f32.parameters["D0"] - ref.parameters["D0"]) < 0.1 * ref.uncertainties["D0"]
    # Non-contiguous views are copied once, as any input.
    view = np.ascontiguousarray(data["c2_exp"].transpose(0, 2, 1)).transpose(0, 2, 1)
    assert not view.flags["C_CONTIGUOUS"]
    assert h.fit_nlsq(dict(data, c2_exp=view), str(example)).parameters == ref.parameters


def test_progress_callback_and_errors_in_it(example, data):
    events = []
    h.fit_nlsq(data, str(example), callback=events.append, progress=True)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "stage_started" and kinds[-1] == "stage_finished"
    assert "iteration" in kinds

    def boom(event):
        if event["event"] == "iteration":
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        h.fit_nlsq(data, str(example), callback=boom)
    # The module is usable afterwards.
    assert h.fit_nlsq(data, str(example)).quality_flag == "good"


def test_cmc_posterior(example, data, tmp_path):
    nlsq = h.fit_nlsq(data, str(example))
    events = []
    cmc = h.fit_cmc(data, str(example), nlsq_result=nlsq, n_samples=100, n_warmup=100,
                    n_chains=2, callback=events.append)
    d = len(cmc.param_names)
    assert cmc.posterior_samples.shape == (2, 100, d)
    for key in ["r_hat", "ess_bulk", "ess_tail"]:
        assert getattr(cmc, key).shape == (d,)
        assert set(cmc.diagnostics[key]) == set(cmc.param_names)
    assert cmc.samples["D0"].shape == (2, 100)
    assert cmc.samples["contrast_7"].shape == (2, 100)
    assert cmc.sample_stats["diverging"].dtype == bool
    assert cmc.quality_flag in {"good", "acceptable", "poor"}
    # Near the NLSQ answer (a short run: within a few sd).
    assert abs(cmc.parameters["D0"] - nlsq.parameters["D0"]) < 4 * nlsq.uncertainties["D0"]
    assert events[-1]["event"] == "stage_finished"
    assert any(e["event"] == "cmc_progress" for e in events)
    try:
        import arviz  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install arviz"):
            cmc.to_inference_data()
    else:
        idata = cmc.to_inference_data()
        assert idata.posterior["D0"].shape == (2, 100)
        assert "diverging" in idata.sample_stats
    # Warm start from an earlier run's folder, with the CLI's files written.
    out = tmp_path / "run"
    h.fit_nlsq(data, str(example), output_dir=str(out))
    assert (out / "nlsq" / "parameters.json").is_file()
    cmc2 = h.fit_cmc(data, str(example), nlsq_result=str(out), n_samples=50, n_warmup=50,
                     n_chains=1, output_dir=str(out))
    assert cmc2.posterior_samples.shape[:2] == (1, 50)
    assert (out / "cmc" / "samples.npz").is_file()


def test_ctrl_c_interrupts_a_long_sampling(example, data):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not handled by Python here")

    def fire():
        time.sleep(1.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=fire, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        h.fit_cmc(data, str(example), n_samples=100_000, n_warmup=1000, n_chains=2)
    assert time.monotonic() - started < 10
    # The interpreter and the module keep working.
    assert h.fit_nlsq(data, str(example)).quality_flag == "good"


ROUND_TRIP = r"""
import json, resource, sys
import numpy as np
import homodyne_rs as h

n_phi, n = int(sys.argv[1]), 1000
c2 = np.ones((n_phi, n, n))
c2[:, 0, 0] = 2.0
t = np.arange(n) * 0.1
d = dict(wavevector_q_list=np.array([0.0054]), phi_angles_list=np.linspace(-90, 90, n_phi),
         t1=t, t2=t.copy(), c2_exp=c2)
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = peak()
out = h._roundtrip(d, 0.1)
after = peak()
ok = bool(np.array_equal(out["c2_exp"], c2)) and not np.shares_memory(out["c2_exp"], c2)
print(json.dumps(dict(size=c2.nbytes / 2**20, grown=after - before, equal=ok,
                      owndata=bool(out["c2_exp"].flags["OWNDATA"]))))
"""


def test_large_array_round_trip_copies_once():
    """23 x 1000 x 1000 float64 (184 MB) dict -> library -> dict: one copy of c2 (peak
    RSS of a fresh interpreter grows by one array), the way back is a move."""
    import subprocess
    import sys

    n_phi = os.environ.get("HOMODYNE_RS_RSS_ANGLES", "23")
    run = subprocess.run([sys.executable, "-c", ROUND_TRIP, n_phi], capture_output=True,
                         text=True, check=True)
    r = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"round trip of {r['size']:.0f} MiB: peak RSS +{r['grown']:.0f} MiB "
          f"({r['grown'] / r['size']:.2f} copies)")
    assert r["equal"]
    assert r["grown"] <= 1.15 * r["size"]
    assert r["grown"] >= 0.85 * r["size"]  # the one copy is really made (and measured)
    # The returned array is the library's own buffer, handed over, not copied again.
    assert not r["owndata"]
