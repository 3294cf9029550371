"""What needs a process of its own: peak memory of 10^6 points, and Ctrl-C during a fit."""

import json
import subprocess
import sys
import textwrap


def run_child(code: str, timeout=300) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_million_points_cross_into_the_engine_with_one_copy():
    r = run_child("""
        import json, resource
        import numpy as np
        from marble_rs import _marble
        from marble_rs._engine import _conditions
        rng = np.random.default_rng(0)
        anchors = rng.standard_normal((1_000_000, 3))
        vectors = rng.standard_normal((1_000_000, 3))
        conds = _conditions(anchors, vectors, None, None, None, None, None)
        assert conds[0]["anchor"] is anchors          # no copy in Python
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        n = _marble._take_conditions(conds)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"n": n, "delta_kib": peak - base, "input_kib": (anchors.nbytes + vectors.nbytes) // 1024}))
    """)
    assert r["n"] == 1_000_000
    # One copy of the 48 MB of input (the engine owns its arrays); two would be 96 MB.
    assert r["delta_kib"] < 1.3 * r["input_kib"], r


def test_ctrl_c_cancels_a_fit_within_a_second_and_the_engine_goes_on():
    r = run_child("""
        import json, os, signal, threading, time
        import numpy as np
        import marble_rs
        rng = np.random.default_rng(0)
        anchors = [rng.uniform(-1, 1, (300, 2)) for _ in range(2)]
        vectors = [np.stack([-a[:, 1], a[:, 0]], 1) for a in anchors]
        e = marble_rs.Engine()
        ds = e.create_dataset(anchors, vectors, k=10, epochs=2000)
        job = e.start_fit(ds)
        sent = {}
        def interrupt():
            while e.job(job).epoch < 1:
                time.sleep(0.01)
            sent["t"] = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)
        threading.Thread(target=interrupt).start()
        try:
            e.wait(job, verbose=False)
            caught = None
        except KeyboardInterrupt:
            caught = time.monotonic()
        state = e.job(job)
        again = e.fit(e.create_dataset(anchors, vectors, k=10, epochs=1), verbose=False)
        print(json.dumps({"caught": caught is not None, "delay": caught - sent["t"], "state": state.state,
                          "epoch": state.epoch, "again": again.id is not None}))
    """)
    assert r["caught"] and r["state"] == "cancelled" and r["epoch"] < 2000, r
    assert r["delay"] < 1.0, r
    assert r["again"]
