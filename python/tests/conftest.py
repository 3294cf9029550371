"""Fixtures: the in-process engine, a live `marble serve`, and small datasets."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import marble_rs

ROOT = Path(__file__).resolve().parents[2]


def marble_bin():
    """The `marble` binary: $MARBLE_BIN, the release build of this checkout, or PATH."""
    for candidate in (os.environ.get("MARBLE_BIN"), ROOT / "target" / "release" / "marble", shutil.which("marble")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


@pytest.fixture
def local(tmp_path):
    return marble_rs.Engine(tmp_path / "data")


@pytest.fixture
def server(tmp_path):
    """The URL of a `marble serve` on a free port, stopped after the test."""
    exe = marble_bin()
    if exe is None:
        if os.environ.get("MARBLE_REQUIRE_SERVER") == "1":
            pytest.fail("MARBLE_REQUIRE_SERVER=1 but no marble binary (set MARBLE_BIN)")
        pytest.skip("no marble binary to serve (set MARBLE_BIN)")
    proc = subprocess.Popen([exe, "serve", "--addr", "127.0.0.1:0", "--data-dir", str(tmp_path / "server")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:
            m = re.search(r"listening on (http://[0-9.:]+)", line)
            if m:
                yield m.group(1)
                break
        else:
            pytest.fail("marble serve stopped before listening")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def planar_fields(n=150, seed=0):
    """Three rotational fields on the unit square, one per condition (anchors, vectors)."""
    rng = np.random.default_rng(seed)
    anchors = [rng.uniform(-1, 1, (n, 2)) for _ in range(3)]
    vectors = [np.stack([-a[:, 1] * (1 + 0.5 * i), a[:, 0]], axis=1) for i, a in enumerate(anchors)]
    return anchors, vectors


def van_der_pol(mus=(0.5, 1.5), n_traj=6, steps=120, dt=0.05, seed=0):
    """Trajectories of van der Pol oscillators (Euler steps), a list of T x 2 arrays per mu."""
    rng = np.random.default_rng(seed)
    out = []
    for mu in mus:
        trajs = []
        for _ in range(n_traj):
            x = rng.uniform(-3, 3, 2)
            path = [x]
            for _ in range(steps):
                dx = np.array([x[1], mu * (1 - x[0] ** 2) * x[1] - x[0]])
                x = x + dt * dx
                path.append(x)
            trajs.append(np.array(path))
        out.append(trajs)
    return out
