"""Upload -> fit -> transform -> distances -> figure through the committed SDK in
clients/python, with no hand-written HTTP. Run by tests/sdk_python.rs:

    python client_flow.py SDK_DIR BASE_URL DATA.npz
"""

import json
import sys
import time

sdk_dir, base, npz = sys.argv[1:4]
sys.path.insert(0, sdk_dir)

from marble_rs_client import Client  # noqa: E402
from marble_rs_client.api.datasets import create_dataset, get_dataset  # noqa: E402
from marble_rs_client.api.embeddings import transform  # noqa: E402
from marble_rs_client.api.jobs import get_job, start_fit  # noqa: E402
from marble_rs_client.api.models import analyze, model_weights, plot  # noqa: E402
from marble_rs_client.models import (  # noqa: E402
    AnalysisParams,
    DatasetInfo,
    FitRequest,
    JobState,
    PlotKind,
    Problem,
    TransformRequest,
)
from marble_rs_client.types import File  # noqa: E402

client = Client(base_url=base + "/v1", raise_on_unexpected_status=True)

with open(npz, "rb") as f:
    upload = File(payload=f, file_name="data.npz", mime_type="application/octet-stream")
    ds = create_dataset.sync(client=client, body=upload, name="planar", parameters=json.dumps({"k": 10, "epochs": 3}))
assert isinstance(ds, DatasetInfo), ds
assert get_dataset.sync(client=client, id=ds.id).summary.n_points == ds.summary.n_points

missing = get_dataset.sync(client=client, id="ds_missing")
assert isinstance(missing, Problem) and missing.code == "not_found", missing

job = start_fit.sync(client=client, body=FitRequest(dataset=ds.id))
deadline = time.time() + 120
while True:
    job = get_job.sync(client=client, id=job.id)
    if job.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED) or time.time() > deadline:
        break
    time.sleep(0.1)
assert job.state == JobState.SUCCEEDED, job

emb = transform.sync(client=client, body=TransformRequest(model=job.id, dataset=ds.id))
analysis = analyze.sync(client=client, id=job.id, body=AnalysisParams(n_clusters=4))
svg = plot.sync(client=client, id=job.id, kind=PlotKind.DISTANCES)
assert isinstance(svg, str) and "<svg" in svg, svg
weights = model_weights.sync(client=client, id=job.id)
print(
    json.dumps(
        {
            "dataset": ds.id,
            "model": job.id,
            "rows": len(emb.embedding),
            "cols": len(emb.embedding[0]),
            "distances": analysis.distances,
            "condition_names": analysis.condition_names,
            "svg_chars": len(svg),
            "weights_bytes": len(weights.payload.read()),
        }
    )
)
