import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "example_laminar.yaml"


def _cli(binary):
    """The command line of a homodyne-cli binary: target/release/<binary> when built,
    else `cargo run --release`."""
    exe = REPO / "target" / "release" / binary
    if exe.is_file() and os.access(exe, os.X_OK):
        return [str(exe)]
    if shutil.which("cargo") is None:
        pytest.skip(f"neither target/release/{binary} nor cargo is available")
    return ["cargo", "run", "--quiet", "--release", "-p", "homodyne-cli", "--bin", binary, "--"]


@pytest.fixture(scope="session")
def run_cli():
    def run(binary, *args, check=True):
        return subprocess.run(
            _cli(binary) + [str(a) for a in args],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=check,
        )

    return run


@pytest.fixture(scope="session")
def example():
    return EXAMPLE


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def data(example):
    import homodyne_rs

    return homodyne_rs.load_xpcs_data(str(example))
