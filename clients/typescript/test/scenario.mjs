// Upload -> fit -> wait -> transform -> distances -> figure through the SDK built from
// src/ (`npm run build`), with no hand-written HTTP. Run by tests/sdk_typescript.rs:
//
//     node test/scenario.mjs BASE_URL DATA.npz
//
// Prints one JSON line: {dataset, model, rows, cols, distances, condition_names, svg_bytes}.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  analyze,
  client,
  createDataset,
  getDataset,
  getJob,
  plot,
  startFit,
  transform,
} from '../dist/index.js';

const [base, npz] = process.argv.slice(2);
assert.ok(base && npz, 'usage: node test/scenario.mjs BASE_URL DATA.npz');
client.setConfig({ baseUrl: `${base}/v1` });

// The .npz goes up as it is: the operation also takes JSON, so say which body this is.
const { data: ds } = await createDataset({
  body: readFileSync(npz),
  bodySerializer: null,
  headers: { 'Content-Type': 'application/octet-stream' },
  query: { name: 'planar', parameters: JSON.stringify({ k: 10, epochs: 3 }) },
});
assert.match(ds.id, /^ds_/);
const { data: again } = await getDataset({ path: { id: ds.id } });
assert.equal(again.summary.n_points, ds.summary.n_points);

// Errors are problem+json with a stable code (they reject unless `throwOnError: false`).
const missing = await getDataset({ path: { id: 'ds_missing' }, throwOnError: false });
assert.equal(missing.response.status, 404);
assert.equal(missing.error.code, 'not_found', JSON.stringify(missing.error));

let { data: job } = await startFit({ body: { dataset: ds.id } });
const deadline = Date.now() + 120_000;
while (!['succeeded', 'failed', 'cancelled'].includes(job.state) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  ({ data: job } = await getJob({ path: { id: job.id } }));
}
assert.equal(job.state, 'succeeded', JSON.stringify(job));

const { data: emb } = await transform({ body: { model: job.id, dataset: ds.id } });
const { data: analysis } = await analyze({ path: { id: job.id }, body: { n_clusters: 4 } });
const { data: svg } = await plot({ path: { id: job.id, kind: 'distances' }, parseAs: 'text' });
assert.ok(typeof svg === 'string' && svg.includes('<svg'), String(svg).slice(0, 200));

console.log(
  JSON.stringify({
    dataset: ds.id,
    model: job.id,
    rows: emb.embedding.length,
    cols: emb.embedding[0].length,
    distances: analysis.distances,
    condition_names: analysis.condition_names,
    svg_bytes: Buffer.byteLength(svg),
  }),
);
