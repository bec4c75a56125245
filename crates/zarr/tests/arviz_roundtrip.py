"""Opens a store written by tests/arviz.rs with xarray/ArviZ and compares it with the
expected values, dims, coordinates and attributes. Usage: arviz_roundtrip.py STORE EXPECTED.json

Checks every reader available here: xarray.open_datatree (ArviZ 1.x's loader; xarray >= 2024.10;
with ArviZ 0.x followed by az.InferenceData.from_datatree) and az.from_zarr (ArviZ 0.x with
zarr-python 2 only). Prints one `verified: ...` line."""
import json
import sys
import warnings

warnings.simplefilter("ignore")  # ArviZ 0.x's refactor notice, xarray's zarr-format notes

import numpy as np
import xarray as xr
import zarr
import arviz as az

store, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    expected = json.load(f)


def check_array(where, da, e):
    assert list(da.dims) == e["dims"], f"{where}: dims {da.dims} != {e['dims']}"
    got = np.asarray(da.values)
    if e["dtype"] == "str":
        assert got.dtype.kind in "UO", f"{where}: dtype {got.dtype}"
        assert [str(s) for s in got.ravel()] == e["values"], f"{where}: {got}"
        return
    want = np.array(e["values"], dtype=e["dtype"]).reshape(e["shape"])
    assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
    assert np.array_equal(got, want), f"{where}: values differ"


def check_dataset(group, ds, e):
    for name, ev in e["vars"].items():
        assert name in ds.data_vars, f"{group}/{name} missing: {list(ds.data_vars)}"
        check_array(f"{group}/{name}", ds[name], ev)
    assert sorted(ds.data_vars) == sorted(e["vars"]), f"{group}: {list(ds.data_vars)}"
    for name, ev in e["coords"].items():
        check_array(f"{group}/coord {name}", ds.coords[name], ev)
    for dim in ds.dims:
        assert dim in ds.coords, f"{group}: dim {dim} has no coordinate"
    for k, v in e["attrs"].items():
        assert ds.attrs.get(k) == v, f"{group}: attr {k}={ds.attrs.get(k)!r} != {v!r}"


done = []
arviz_major = int(az.__version__.split(".")[0])
zarr_major = int(zarr.__version__.split(".")[0])

if hasattr(xr, "open_datatree"):
    dt = xr.open_datatree(store, engine="zarr")
    for k, v in expected["root_attrs"].items():
        assert dt.attrs.get(k) == v, f"root attr {k}"
    for group, e in expected["groups"].items():
        check_dataset(group, dt[group].to_dataset(inherit=False), e)
    if arviz_major >= 1:
        data = dt
        how = "xr.open_datatree + az.summary + az.rhat"
    else:
        # ArviZ 0.x's own advice when zarr-python is 3 (its from_zarr refuses that).
        data = az.InferenceData.from_datatree(dt)
        for group, e in expected["groups"].items():
            if "/" not in group:
                check_dataset(group, getattr(data, group), e)
        how = "xr.open_datatree + az.InferenceData.from_datatree + az.summary + az.rhat"
    summary = az.summary(data)
    rhat = az.rhat(data)
    assert "D0" in summary.index and summary.shape[0] >= 2 + 3, summary
    assert np.all(np.isfinite(np.asarray(rhat["D0"]))), rhat
    done.append(how)

if arviz_major < 1 and zarr_major < 3:
    idata = az.from_zarr(store)
    for group, e in expected["groups"].items():
        if "/" in group:
            continue  # from_zarr reads top-level groups only
        check_dataset(group, getattr(idata, group), e)
    summary = az.summary(idata)
    rhat = az.rhat(idata)
    assert "D0" in summary.index, summary
    assert np.all(np.isfinite(np.asarray(rhat["D0"]))), rhat
    done.append("az.from_zarr + az.summary + az.rhat")

if not done:
    print(
        f"skipped: no reader to check with (arviz {az.__version__}, xarray {xr.__version__}, "
        f"zarr {zarr.__version__})"
    )
else:
    print(
        f"verified: {'; '.join(done)} (arviz {az.__version__}, xarray {xr.__version__}, "
        f"zarr {zarr.__version__}, numpy {np.__version__})"
    )
