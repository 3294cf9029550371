//! `marble_rs._marble`: one binding of marble's `dyn Engine` for Python, opened in-process
//! (`LocalEngine`) or over HTTP (`HttpEngine`). Arrays come in as numpy arrays and reach
//! `Dataset::build` after one copy (none for the JSON detour there is none of); results
//! go out as numpy arrays read from the engine's `.npy` bytes. Every call releases the GIL
//! while the engine works. The Python layer (`marble_rs/__init__.py`) adds the reference's
//! calls, the estimator and progress; this module reimplements nothing of the engine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use marble::engine::{
    DecodeRequest, Engine, FitRequest, HttpEngine, LocalEngine, LocalOptions, NewDataset, PlotKind, RunArray,
    TransformRequest,
};
use marble::{Condition, Conditions, Params};
use ndarray::{Array1, Array2, ArrayD};
use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArray1, PyReadonlyArray2, ToPyArray};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

/// An engine error as the Python exception the error table's status calls for
/// (`marble_rs.errors.from_engine` picks the class), carrying `code`, `status` and `detail`.
fn py_err(py: Python<'_>, e: marble::Error) -> PyErr {
    let (code, status, detail) = (e.code(), e.status(), e.to_string());
    let made = py
        .import("marble_rs.errors")
        .and_then(|m| m.getattr("from_engine"))
        .and_then(|f| f.call1((code, status, detail.clone())));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(import_failed) => import_failed,
    }
}

/// Run engine work with the GIL released, and turn its error into a Python exception.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> marble::Result<T> + Send) -> PyResult<T> {
    py.detach(f).map_err(|e| py_err(py, e))
}

/// A serde value as Python objects (dicts, lists, numbers), for the engine's infos.
fn to_py<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(PyErr::from)
}

/// Parameters from a dict of the reference's keys; an unknown key names the nearest known one.
fn params(py: Python<'_>, d: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Params>> {
    let Some(d) = d else { return Ok(None) };
    pythonize::depythonize::<Params>(d.as_any()).map(Some).map_err(|e| {
        py_err(py, marble::Error::ParamsParse { source_name: "keyword arguments".into(), message: e.to_string() })
    })
}

/// A 2-D float array (float64 or float32, any memory order) as an owned row-major f64
/// matrix: one copy, none more.
fn matrix(a: &Bound<'_, PyAny>, what: &str) -> PyResult<Array2<f64>> {
    if let Ok(x) = a.extract::<PyReadonlyArray2<'_, f64>>() {
        return Ok(x.as_array().as_standard_layout().into_owned());
    }
    if let Ok(x) = a.extract::<PyReadonlyArray2<'_, f32>>() {
        // Converted in logical order: row-major whatever numpy's order, in one allocation.
        let x = x.as_array();
        return Ok(Array2::from_shape_vec(x.dim(), x.iter().map(|&v| f64::from(v)).collect()).expect("shape kept"));
    }
    Err(PyTypeError::new_err(format!("{what}: expected a 2-D float64 or float32 numpy array")))
}

fn vector(a: &Bound<'_, PyAny>, what: &str) -> PyResult<Array1<f64>> {
    if let Ok(x) = a.extract::<PyReadonlyArray1<'_, f64>>() {
        return Ok(x.as_array().to_owned());
    }
    Err(PyTypeError::new_err(format!("{what}: expected a 1-D float64 numpy array")))
}

/// One condition from a dict with `anchor` and `vector` (or `trajectories`), and optional
/// `name`, `value`, `group`, `label`, `mask`.
fn condition(c: usize, d: &Bound<'_, PyDict>) -> PyResult<Condition> {
    let get = |k: &str| d.get_item(k).ok().flatten().filter(|v| !v.is_none());
    let here = |k: &str| format!("condition {c}: {k}");
    let mut cond = match get("trajectories") {
        Some(t) => {
            let mats = t
                .try_iter()?
                .enumerate()
                .map(|(j, m)| matrix(&m?, &here(&format!("trajectory {j}"))))
                .collect::<PyResult<Vec<_>>>()?;
            let views: Vec<_> = mats.iter().map(|m| m.view()).collect();
            Condition::from_trajectories(&views).map_err(|e| py_err(d.py(), e))?
        }
        None => {
            let (Some(a), Some(v)) = (get("anchor"), get("vector")) else {
                return Err(py_err(
                    d.py(),
                    marble::Error::argument(here("anchor"), "give `anchor` and `vector` (or `trajectories`)"),
                ));
            };
            Condition::new(matrix(&a, &here("anchor"))?, matrix(&v, &here("vector"))?)
        }
    };
    cond.name = get("name").map(|n| n.extract()).transpose()?;
    cond.value = get("value").map(|v| v.extract()).transpose()?;
    cond.group = get("group").map(|g| g.extract()).transpose()?;
    cond.label = get("label").map(|l| vector(&l, &here("label"))).transpose()?;
    cond.mask = get("mask").map(|m| vector(&m, &here("mask")).map(|v| v.mapv(|x| x != 0.0))).transpose()?;
    Ok(cond)
}

/// The conditions of a list of dicts (see [`condition`]).
fn condition_list(conditions: &Bound<'_, PyList>) -> PyResult<Vec<Condition>> {
    conditions.iter().enumerate().map(|(c, d)| condition(c, d.cast::<PyDict>()?)).collect()
}

/// An `.npy` payload as a numpy array of its own dtype (float32, float64 or int64).
fn npy_to_py<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    use ndarray_npy::ReadNpyExt;
    if let Ok(a) = ArrayD::<f32>::read_npy(bytes) {
        return Ok(PyArrayDyn::from_owned_array(py, a).into_any());
    }
    if let Ok(a) = ArrayD::<f64>::read_npy(bytes) {
        return Ok(PyArrayDyn::from_owned_array(py, a).into_any());
    }
    match ArrayD::<i64>::read_npy(bytes) {
        Ok(a) => Ok(PyArrayDyn::from_owned_array(py, a).into_any()),
        Err(e) => Err(PyTypeError::new_err(format!("an array the engine sent could not be read: {e}"))),
    }
}

/// The engine: `Engine(data_dir=None)` in this process, or `Engine.connect(url)` to a
/// `marble serve`. Both offer the same calls with the same results.
#[pyclass(frozen, name = "Engine", module = "marble_rs._marble")]
struct PyEngine {
    engine: Arc<dyn Engine>,
    /// A temporary data folder, removed when the engine goes.
    _temp: Option<tempfile::TempDir>,
    data_dir: Option<PathBuf>,
    url: Option<String>,
}

#[pymethods]
impl PyEngine {
    #[new]
    #[pyo3(signature = (data_dir=None, workers=None))]
    fn new(py: Python<'_>, data_dir: Option<PathBuf>, workers: Option<usize>) -> PyResult<Self> {
        let temp = match data_dir {
            Some(_) => None,
            None => Some(tempfile::Builder::new().prefix("marble-rs-").tempdir().map_err(|e| {
                pyo3::exceptions::PyOSError::new_err(format!("cannot create a temporary data folder: {e}"))
            })?),
        };
        let dir = data_dir.unwrap_or_else(|| temp.as_ref().expect("made above").path().to_path_buf());
        let mut options = LocalOptions::new(&dir);
        if let Some(w) = workers {
            options.workers = w;
        }
        let engine = run(py, || LocalEngine::open(options))?;
        Ok(PyEngine { engine: Arc::new(engine), _temp: temp, data_dir: Some(dir), url: None })
    }

    /// An engine behind a `marble serve` at `url`, with its bearer token if it has one.
    #[staticmethod]
    #[pyo3(signature = (url, token=None))]
    fn connect(url: &str, token: Option<String>) -> Self {
        let engine = HttpEngine::with_token(url, token);
        PyEngine { engine: Arc::new(engine), _temp: None, data_dir: None, url: Some(url.to_string()) }
    }

    /// The in-process engine's data folder (None for a remote one).
    #[getter]
    fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone()
    }

    /// The server's address (None in-process).
    #[getter]
    fn url(&self) -> Option<String> {
        self.url.clone()
    }

    #[pyo3(signature = (conditions, name=None, params=None))]
    fn create_dataset<'py>(
        &self,
        py: Python<'py>,
        conditions: &Bound<'py, PyList>,
        name: Option<String>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let conds = condition_list(conditions)?;
        let p = self::params(py, params)?;
        let engine = &self.engine;
        let info = run(py, move || {
            let req = NewDataset::new(name.as_deref(), Conditions::new(conds)?, p);
            engine.create_dataset(&req)
        })?;
        to_py(py, &info)
    }

    #[pyo3(signature = (npz, name=None, params=None))]
    fn create_dataset_npz<'py>(
        &self,
        py: Python<'py>,
        npz: &[u8],
        name: Option<String>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = self::params(py, params)?;
        let info = run(py, || self.engine.create_dataset_npz(npz, name.as_deref(), p.as_ref()))?;
        to_py(py, &info)
    }

    fn list_datasets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.list_datasets())?)
    }

    fn dataset<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.dataset(id))?)
    }

    fn delete_dataset(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        run(py, || self.engine.delete_dataset(id))
    }

    #[pyo3(signature = (dataset, params=None))]
    fn start_fit<'py>(
        &self,
        py: Python<'py>,
        dataset: String,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let req = FitRequest { dataset, params: self::params(py, params)? };
        to_py(py, &run(py, || self.engine.start_fit(&req))?)
    }

    fn job<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.job(id))?)
    }

    fn list_jobs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.list_jobs())?)
    }

    fn cancel_job<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.cancel_job(id))?)
    }

    fn resume_job<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.resume_job(id))?)
    }

    /// Wait for a job to end, at most `timeout` seconds (the GIL released meanwhile).
    #[pyo3(signature = (id, timeout=3600.0))]
    fn wait<'py>(&self, py: Python<'py>, id: &str, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.wait(id, Duration::from_secs_f64(timeout.max(0.0))))?)
    }

    fn model<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.model(id))?)
    }

    fn model_weights<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &run(py, || self.engine.model_weights(id))?))
    }

    /// Embed a dataset with a model; the info's `embedding` is a float32 numpy array (the
    /// engine's own answer, which `HttpEngine` already reads as .npy bytes).
    fn transform<'py>(&self, py: Python<'py>, model: String, dataset: String) -> PyResult<Bound<'py, PyAny>> {
        let mut info = run(py, || self.engine.transform(&TransformRequest { model, dataset }))?;
        let rows = std::mem::take(&mut info.embedding);
        let width = rows.first().map_or(0, Vec::len);
        let latents = Array2::from_shape_vec((rows.len(), width), rows.into_iter().flatten().collect())
            .map_err(|e| PyTypeError::new_err(format!("the engine's embedding is not a matrix: {e}")))?;
        let out = to_py(py, &info)?;
        out.set_item("embedding", latents.into_pyarray(py))?;
        Ok(out)
    }

    /// One array of a model's run folder (`embedding`, `distances`, `clusters`, `view_2d`,
    /// `decoding_predictions`, ...) as a numpy array.
    fn model_array<'py>(&self, py: Python<'py>, model: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let array = RunArray::parse(name).map_err(|e| py_err(py, e))?;
        let bytes = run(py, || self.engine.model_array(model, array))?;
        npy_to_py(py, &bytes)
    }

    /// Analyse a model's training embedding with analysis parameters (a dict).
    #[pyo3(signature = (model, params=None))]
    fn analyze<'py>(
        &self,
        py: Python<'py>,
        model: &str,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p: marble::analysis::AnalysisParams = match params {
            Some(d) => pythonize::depythonize(d.as_any()).map_err(|e| {
                py_err(
                    py,
                    marble::Error::ParamsParse {
                        source_name: "analysis keyword arguments".into(),
                        message: e.to_string(),
                    },
                )
            })?,
            None => Default::default(),
        };
        to_py(py, &run(py, || self.engine.analyze(model, &p))?)
    }

    /// Decode behaviour (n x B float64) from a model's latents; R^2 against the PCA baseline.
    #[pyo3(signature = (model, behaviour, groups=None, folds=None))]
    fn decode<'py>(
        &self,
        py: Python<'py>,
        model: &str,
        behaviour: &Bound<'py, PyAny>,
        groups: Option<Vec<usize>>,
        folds: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let req = DecodeRequest { behaviour: matrix(behaviour, "behaviour")?.into(), groups, folds };
        to_py(py, &run(py, || self.engine.decode(model, &req))?)
    }

    /// A figure of a model as SVG text.
    fn plot(&self, py: Python<'_>, model: &str, kind: &str) -> PyResult<String> {
        let kind = PlotKind::parse(kind).map_err(|e| py_err(py, e))?;
        run(py, || self.engine.plot(model, kind))
    }

    fn readiness<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &run(py, || self.engine.readiness())?)
    }
}

/// The names and defaults of every parameter (the reference's keys), as a dict.
#[pyfunction]
fn default_params<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &Params::default())
}

/// The names and defaults of the analysis parameters, as a dict.
#[pyfunction]
fn default_analysis_params<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &marble::analysis::AnalysisParams::default())
}

/// Embed conditions with a saved run folder's model, in this process (for models loaded
/// from disk, which no engine holds): `marble transform` in Python.
#[pyfunction]
fn transform_with_run<'py>(
    py: Python<'py>,
    run_dir: PathBuf,
    conditions: &Bound<'py, PyList>,
) -> PyResult<Bound<'py, PyAny>> {
    let conds = condition_list(conditions)?;
    let embedded = run(py, || marble::run::transform(&run_dir, &Conditions::new(conds)?, &marble::progress::Silent))?;
    Ok(embedded.embedding.to_pyarray(py).into_any())
}

/// Conditions from the given arrays, as `create_dataset` takes them, validated and dropped:
/// the binding's copy alone, for the test that it makes one (returns the points taken).
#[pyfunction]
fn _take_conditions(py: Python<'_>, conditions: &Bound<'_, PyList>) -> PyResult<usize> {
    let conds = condition_list(conditions)?;
    run(py, || Conditions::new(conds).map(|c| c.as_slice().iter().map(|c| c.anchor.nrows()).sum()))
}

/// `Dataset::build` alone on the given arrays (the baseline of python/bench_create_dataset.py):
/// returns the points of the built dataset.
#[pyfunction]
#[pyo3(signature = (conditions, params=None))]
fn _build_only(py: Python<'_>, conditions: &Bound<'_, PyList>, params: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
    let conds = condition_list(conditions)?;
    let p = self::params(py, params)?.unwrap_or_default();
    run(py, || {
        let data = marble::Dataset::build(&Conditions::new(conds)?, &p.check()?, &marble::progress::Silent)?;
        Ok(data.summary.n_points)
    })
}

#[pymodule]
fn _marble(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add_function(wrap_pyfunction!(default_params, m)?)?;
    m.add_function(wrap_pyfunction!(default_analysis_params, m)?)?;
    m.add_function(wrap_pyfunction!(transform_with_run, m)?)?;
    m.add_function(wrap_pyfunction!(_take_conditions, m)?)?;
    m.add_function(wrap_pyfunction!(_build_only, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
