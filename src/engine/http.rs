//! The engine over HTTP: the same [`Engine`] calls, sent to `marble serve`.
//!
//! Server errors arrive as `application/problem+json` with a stable `code`; they come back
//! as the same [`Error`] variants where the body carries their fields (not found, queue
//! full, conflict, invalid argument) and as [`Error::Remote`] with the same `code()`
//! otherwise.

use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::Agent;
use ureq::http::Response;

use super::*;

/// A client of a MARBLE server.
#[derive(Clone)]
pub struct HttpEngine {
    base: String,
    token: Option<String>,
    agent: Agent,
    /// How long a request told "queue full" (429) may keep waiting out `Retry-After`.
    retry_budget: Duration,
}

/// The wait a 429 answer asks for, in whole seconds.
fn retry_after(r: &Response<ureq::Body>) -> Option<Duration> {
    if r.status().as_u16() != 429 {
        return None;
    }
    let seconds: u64 = r.headers().get("retry-after")?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

fn transport(base: &str, e: ureq::Error) -> Error {
    Error::Remote { code: "io", status: 0, message: format!("cannot reach the MARBLE server at {base}: {e}") }
}

impl HttpEngine {
    /// A client of the server at `base` (e.g. `http://127.0.0.1:8080`), with the bearer
    /// token from `MARBLE_TOKEN` when that is set.
    pub fn new(base: &str) -> HttpEngine {
        HttpEngine::with_token(base, std::env::var("MARBLE_TOKEN").ok().filter(|t| !t.is_empty()))
    }

    /// A client with an explicit bearer token.
    pub fn with_token(base: &str, token: Option<String>) -> HttpEngine {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(3600)))
            .build()
            .into();
        HttpEngine { base: base.trim_end_matches('/').to_string(), token, agent, retry_budget: Duration::from_secs(60) }
    }

    /// Wait out a full queue's `Retry-After` (429) for at most `budget` in all before giving
    /// up with [`Error::QueueFull`] (60 s by default; zero gives up at once).
    pub fn with_retry_budget(mut self, budget: Duration) -> HttpEngine {
        self.retry_budget = budget;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    fn auth<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(t) => r.header("Authorization", format!("Bearer {t}")),
            None => r,
        }
    }

    fn check(&self, resp: std::result::Result<Response<ureq::Body>, ureq::Error>) -> Result<Response<ureq::Body>> {
        let mut resp = resp.map_err(|e| transport(&self.base, e))?;
        let status = resp.status().as_u16();
        if status < 400 {
            return Ok(resp);
        }
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        match serde_json::from_str::<crate::error::Problem>(&text) {
            Ok(p) => Err(p.into_error()),
            Err(_) => Err(Error::Remote { code: "internal", status, message: format!("HTTP {status}: {text}") }),
        }
    }

    fn json<T: DeserializeOwned>(&self, resp: std::result::Result<Response<ureq::Body>, ureq::Error>) -> Result<T> {
        let mut resp = self.check(resp)?;
        resp.body_mut().with_config().limit(1 << 34).read_json().map_err(|e| Error::Remote {
            code: "internal",
            status: 200,
            message: format!("unreadable response: {e}"),
        })
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.json(self.auth(self.agent.get(self.url(path))).call())
    }

    fn post<T: DeserializeOwned, B: Serialize>(&self, path: &str, body: &B) -> Result<T> {
        self.json(self.retrying(|| self.auth(self.agent.post(self.url(path))).send_json(body)))
    }

    /// Send a request, again after the wait a full queue's `Retry-After` asks for, while the
    /// retry budget lasts.
    fn retrying(
        &self,
        send: impl Fn() -> std::result::Result<Response<ureq::Body>, ureq::Error>,
    ) -> std::result::Result<Response<ureq::Body>, ureq::Error> {
        let deadline = std::time::Instant::now() + self.retry_budget;
        loop {
            let resp = send();
            if let Ok(r) = &resp
                && let Some(wait) = retry_after(r)
                && std::time::Instant::now() + wait <= deadline
            {
                std::thread::sleep(wait);
                continue;
            }
            return resp;
        }
    }

    /// `POST /v1/datasets` of an .npz, its body still to send.
    fn upload(&self, name: Option<&str>, params: Option<&Params>) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let mut req = self.auth(self.agent.post(self.url("datasets"))).content_type("application/octet-stream");
        if let Some(n) = name {
            req = req.query("name", n);
        }
        if let Some(p) = params {
            req = req.query("parameters", serde_json::to_string(p).expect("plain data"));
        }
        req
    }

    /// Read a whole binary answer (an .npy, a model's .npz).
    fn bytes(&self, resp: std::result::Result<Response<ureq::Body>, ureq::Error>) -> Result<Vec<u8>> {
        let mut resp = self.check(resp)?;
        resp.body_mut().with_config().limit(1 << 34).read_to_vec().map_err(|e| transport(&self.base, e))
    }
}

/// An array from the bytes of an .npy the server sent.
fn npy<D: ndarray::Dimension, T: ndarray_npy::ReadableElement>(bytes: &[u8]) -> Result<ndarray::Array<T, D>> {
    use ndarray_npy::ReadNpyExt;
    ndarray::Array::<T, D>::read_npy(bytes).map_err(|e| Error::Remote {
        code: "internal",
        status: 200,
        message: format!("the server sent an .npy that does not read: {e}"),
    })
}

impl Engine for HttpEngine {
    fn create_dataset(&self, req: &NewDataset) -> Result<DatasetInfo> {
        // The arrays travel as the bytes of an .npz (about 8 bytes a number), never as JSON text.
        let npz = crate::dataset::io::npz_bytes(&req.conditions)?;
        self.create_dataset_npz(&npz, req.name.as_deref(), req.params.as_ref())
    }

    fn list_datasets(&self) -> Result<Vec<DatasetInfo>> {
        self.get("datasets")
    }

    fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        self.get(&format!("datasets/{id}"))
    }

    fn delete_dataset(&self, id: &str) -> Result<()> {
        self.check(self.auth(self.agent.delete(self.url(&format!("datasets/{id}")))).call()).map(|_| ())
    }

    fn start_fit(&self, req: &FitRequest) -> Result<JobInfo> {
        self.post("jobs", req)
    }

    fn job(&self, id: &str) -> Result<JobInfo> {
        self.get(&format!("jobs/{id}"))
    }

    fn list_jobs(&self) -> Result<Vec<JobInfo>> {
        self.get("jobs")
    }

    fn resume_job(&self, id: &str) -> Result<JobInfo> {
        self.post(&format!("jobs/{id}/resume"), &serde_json::json!({}))
    }

    fn cancel_job(&self, id: &str) -> Result<JobInfo> {
        self.json(self.auth(self.agent.post(self.url(&format!("jobs/{id}/cancel")))).send_empty())
    }

    fn model(&self, id: &str) -> Result<ModelInfo> {
        self.get(&format!("models/{id}"))
    }

    fn model_weights(&self, id: &str) -> Result<Vec<u8>> {
        self.bytes(self.auth(self.agent.get(self.url(&format!("models/{id}/weights")))).call())
    }

    fn transform(&self, req: &TransformRequest) -> Result<EmbeddingInfo> {
        // The latents travel as .npy bytes, not as JSON numbers.
        let mut info: EmbeddingInfo = self.post("embeddings?arrays=omit", req)?;
        let latents: ndarray::Array2<f32> = npy(&self.embedding_npy(&info.id)?)?;
        info.embedding = rows(&latents);
        Ok(info)
    }

    fn embedding(&self, id: &str) -> Result<EmbeddingInfo> {
        self.get(&format!("embeddings/{id}"))
    }

    fn analyze(&self, model: &str, params: &AnalysisParams) -> Result<AnalysisInfo> {
        // The arrays travel as .npy bytes from the run folder the analysis just wrote.
        let mut info: AnalysisInfo = self.post(&format!("models/{model}/analyses?arrays=omit"), params)?;
        let f64s = |a: RunArray| -> Result<Vec<Vec<f64>>> {
            Ok(rows(&npy::<ndarray::Ix2, f64>(&self.model_array(model, a)?)?))
        };
        let ints = |a: RunArray| -> Result<Vec<usize>> {
            Ok(npy::<ndarray::Ix1, i64>(&self.model_array(model, a)?)?.iter().map(|&i| i as usize).collect())
        };
        info.distances = f64s(RunArray::Distances)?;
        info.centroids = f64s(RunArray::ClusterCentroids)?;
        info.histograms = f64s(RunArray::ClusterHistograms)?;
        info.condition_map = f64s(RunArray::ConditionMap)?;
        info.view = f64s(RunArray::View2d)?;
        info.clusters = ints(RunArray::Clusters)?;
        info.view_index = ints(RunArray::View2dIndex)?;
        Ok(info)
    }

    fn decode(&self, model: &str, req: &DecodeRequest) -> Result<DecodeInfo> {
        self.post(&format!("models/{model}/decodings"), req)
    }

    fn create_dataset_npz(&self, npz: &[u8], name: Option<&str>, params: Option<&Params>) -> Result<DatasetInfo> {
        self.json(self.retrying(|| self.upload(name, params).send(npz)))
    }

    fn create_dataset_npz_file(
        &self,
        path: &std::path::Path,
        name: Option<&str>,
        params: Option<&Params>,
    ) -> Result<DatasetInfo> {
        use std::io::{Seek, SeekFrom};
        let file = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
        // Streamed from the file with its length, never read whole; from its start again
        // when a full queue's wait is retried.
        self.json(self.retrying(|| {
            (&file).seek(SeekFrom::Start(0))?;
            self.upload(name, params).send(&file)
        }))
    }

    fn embedding_npy(&self, id: &str) -> Result<Vec<u8>> {
        self.bytes(self.auth(self.agent.get(self.url(&format!("embeddings/{id}")))).query("format", "npy").call())
    }

    fn model_array(&self, model: &str, array: RunArray) -> Result<Vec<u8>> {
        self.bytes(self.auth(self.agent.get(self.url(&format!("models/{model}/arrays/{}", array.name())))).call())
    }

    fn readiness(&self) -> Result<Readiness> {
        // 200 or 503, both with the same body; anything else is an error.
        let mut resp = self.agent.get(format!("{}/readyz", self.base)).call().map_err(|e| transport(&self.base, e))?;
        let status = resp.status().as_u16();
        if !matches!(status, 200 | 503) {
            self.check(Ok(resp))?;
            return Err(Error::Remote { code: "internal", status, message: format!("/readyz answered HTTP {status}") });
        }
        resp.body_mut().read_json().map_err(|e| Error::Remote {
            code: "internal",
            status: 200,
            message: format!("unreadable /readyz answer: {e}"),
        })
    }

    fn plot(&self, model: &str, kind: PlotKind) -> Result<String> {
        let name = kind.name();
        let mut resp =
            self.check(self.auth(self.agent.get(self.url(&format!("models/{model}/plots/{name}")))).call())?;
        resp.body_mut().with_config().limit(1 << 30).read_to_string().map_err(|e| transport(&self.base, e))
    }
}
