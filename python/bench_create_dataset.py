"""Creating a dataset of 10^6 points in R^3 in-process, against `Dataset::build` alone.

Each measurement runs in a fresh process (peak memory is per process): the same arrays (a
2-manifold in R^3 with a rotational field, float64), then either
  - `build`: `Dataset::build` on them (`marble_rs._marble._build_only`: the binding's one
    copy, then the build), or
  - `engine`: `create_dataset(...)` on an in-process engine opened beforehand (the copy,
    the build, the conditions written to the data folder, the store's row).
Prints one JSON line per mode and the ratios; the target is at most 1.10 for both.

    python bench_create_dataset.py [--n 1000000] [--repeat 3]
"""

import argparse
import json
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import json, resource, sys, tempfile, time
    import numpy as np
    import marble_rs
    from marble_rs import _marble
    from marble_rs._engine import _conditions
    mode, n = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(0)
    uv = rng.uniform(-1, 1, (n, 2))
    anchors = np.column_stack([uv, 0.5 * (uv[:, 0] ** 2 - uv[:, 1] ** 2)])   # a saddle in R^3
    vectors = np.column_stack([-uv[:, 1], uv[:, 0], -2.0 * uv[:, 0] * uv[:, 1]])
    params = {"k": 10}
    folder = tempfile.TemporaryDirectory()
    engine = marble_rs.Engine(folder.name) if mode == "engine" else None   # opened once, as a session does
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    if mode == "build":
        points = _marble._build_only(_conditions(anchors, vectors, None, None, None, None, None), params)
    else:
        points = engine.create_dataset(anchors, vectors, **params)["summary"]["n_points"]
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"mode": mode, "n": n, "points": points, "seconds": round(seconds, 3),
                      "peak_mib": round(peak / 1024, 1), "above_inputs_mib": round((peak - base) / 1024, 1)}))
""")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    runs = {"build": [], "engine": []}
    for _ in range(args.repeat):
        for mode in runs:  # alternating, so drift in the machine hits both
            out = subprocess.run([sys.executable, "-c", CHILD, mode, str(args.n)], capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"the {mode} run failed:\n{out.stderr}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(r), flush=True)
            runs[mode].append(r)
    best = {m: min(r["seconds"] for r in rs) for m, rs in runs.items()}
    peak = {m: min(r["peak_mib"] for r in rs) for m, rs in runs.items()}
    print(json.dumps({"time_ratio": round(best["engine"] / best["build"], 3),
                      "peak_memory_ratio": round(peak["engine"] / peak["build"], 3),
                      "best_seconds": best, "peak_mib": peak}))


if __name__ == "__main__":
    main()
