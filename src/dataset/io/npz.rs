//! `.npz` archives (and single `.npy` files) of conditions, and the built dataset as an
//! `.npz` for numpy.

use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD};
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement, WriteNpyExt};

use super::{as_mask, as_matrix, as_vector, open};
use crate::dataset::input::{Condition, Conditions};
use crate::dataset::npy_text;
use crate::error::{Error, Result};

/// Read any numeric (or bool) npy payload as f64, whatever its dtype.
fn read_numeric(bytes: &[u8]) -> std::result::Result<ArrayD<f64>, String> {
    fn attempt<T: ReadableElement + Clone>(
        bytes: &[u8],
        conv: fn(T) -> f64,
    ) -> std::result::Result<Option<ArrayD<f64>>, String> {
        match ArrayD::<T>::read_npy(std::io::Cursor::new(bytes)) {
            Ok(a) => Ok(Some(a.mapv(conv))),
            Err(ReadNpyError::WrongDescriptor(_)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
    // f64 first, moved rather than mapped: the common case costs no second copy.
    match ArrayD::<f64>::read_npy(std::io::Cursor::new(bytes)) {
        Ok(a) => return Ok(a),
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    let tries: [&dyn Fn() -> std::result::Result<Option<ArrayD<f64>>, String>; 5] = [
        &|| attempt::<f32>(bytes, |v| v as f64),
        &|| attempt::<i64>(bytes, |v| v as f64),
        &|| attempt::<i32>(bytes, |v| v as f64),
        &|| attempt::<u8>(bytes, |v| v as f64),
        &|| attempt::<bool>(bytes, |v| if v { 1.0 } else { 0.0 }),
    ];
    for t in tries {
        if let Some(a) = t()? {
            return Ok(a);
        }
    }
    Err("unsupported dtype; use float64, float32, int64, int32, uint8 or bool".into())
}

/// An `.npy` file of any numeric dtype as a matrix (1-D as one column).
pub(super) fn read_npy_matrix(path: &Path) -> Result<Array2<f64>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let a = read_numeric(&bytes).map_err(|m| Error::format(path.display().to_string(), m))?;
    as_matrix(a, &path.display().to_string())
}

/// The arrays of an `.npz` archive, read as raw `.npy` payloads keyed by name.
struct NpzArrays {
    origin: String,
    entries: std::collections::BTreeMap<String, Vec<u8>>,
}

impl NpzArrays {
    fn open(path: &Path) -> Result<Self> {
        NpzArrays::read(BufReader::new(open(path)?), path.display().to_string())
    }

    /// The archive in `reader`, called `origin` in messages.
    fn read(reader: impl Read + Seek, origin: String) -> Result<Self> {
        let mut zip = zip::ZipArchive::new(reader)
            .map_err(|e| Error::format(&origin, format!("not a readable .npz archive: {e}")))?;
        let mut entries = std::collections::BTreeMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).map_err(|e| Error::format(&origin, e.to_string()))?;
            let name = f.name().strip_suffix(".npy").unwrap_or(f.name()).to_string();
            let mut bytes = Vec::with_capacity(f.size() as usize);
            f.read_to_end(&mut bytes).map_err(|e| Error::format(&origin, format!("damaged archive: {e}")))?;
            entries.insert(name, bytes);
        }
        Ok(NpzArrays { origin, entries })
    }

    fn origin(&self, name: &str) -> String {
        format!("{}: array `{name}`", self.origin)
    }

    fn get(&self, name: &str) -> Result<Option<ArrayD<f64>>> {
        let Some(bytes) = self.entries.get(name) else { return Ok(None) };
        read_numeric(bytes).map(Some).map_err(|m| Error::format(self.origin(name), m))
    }

    fn matrix(&self, name: &str) -> Result<Option<Array2<f64>>> {
        self.get(name)?.map(|a| as_matrix(a, &self.origin(name))).transpose()
    }

    /// A one-number array (shape `()`, `(1,)` or `(1, 1)`).
    fn scalar(&self, name: &str) -> Result<Option<f64>> {
        let Some(a) = self.get(name)? else { return Ok(None) };
        match a.iter().collect::<Vec<_>>()[..] {
            [&v] => Ok(Some(v)),
            _ => Err(Error::format(
                self.origin(name),
                format!("has shape {:?}; a condition's value is one number (e.g. np.float64(0.5))", a.shape()),
            )),
        }
    }

    /// The name, value and group of condition `c`.
    fn name_and_value(&self, c: usize, cond: &mut Condition) -> Result<()> {
        cond.name = self.text(&format!("name_{c}"))?;
        cond.value = self.scalar(&format!("value_{c}"))?;
        cond.group = self.group(&format!("group_{c}"))?;
        Ok(())
    }

    /// A group: a numpy string, or a whole number (an animal's index) read as its digits.
    fn group(&self, name: &str) -> Result<Option<String>> {
        let Some(bytes) = self.entries.get(name) else { return Ok(None) };
        if let Ok(text) = npy_text::read_text(bytes) {
            return Ok(Some(text));
        }
        match self.scalar(name) {
            Ok(Some(v)) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(Some(format!("{v:.0}"))),
            _ => Err(Error::format(
                self.origin(name),
                "is not a group; give one string (np.str_(\"mihi\")) or one whole number (np.int64(0))",
            )),
        }
    }

    fn text(&self, name: &str) -> Result<Option<String>> {
        let Some(bytes) = self.entries.get(name) else { return Ok(None) };
        npy_text::read_text(bytes).map(Some).map_err(|m| Error::format(self.origin(name), m))
    }

    /// Condition `c` given as trajectories, if the archive has them.
    fn trajectories(&self, c: usize) -> Result<Option<Condition>> {
        let mut trajs = Vec::new();
        while let Some(t) = self.matrix(&format!("trajectory_{c}_{}", trajs.len()))? {
            trajs.push(t);
        }
        if trajs.is_empty() {
            return Ok(None);
        }
        let views: Vec<_> = trajs.iter().map(|t| t.view()).collect();
        Condition::from_trajectories_of(c, &views).map(Some)
    }

    /// Condition `c` given as anchors and vectors, with its label and mask.
    fn condition(&self, c: usize, anchor: Array2<f64>) -> Result<Condition> {
        let (a_name, v_name) = (format!("anchor_{c}"), format!("vector_{c}"));
        let Some(vector) = self.matrix(&v_name)? else {
            return Err(Error::format(
                &self.origin,
                format!("has `{a_name}` but no `{v_name}`; every condition needs both"),
            ));
        };
        let mut cond = Condition::new(anchor, vector);
        let l_name = format!("label_{c}");
        if let Some(l) = self.get(&l_name)? {
            cond.label = Some(as_vector(l, &self.origin(&l_name))?);
        }
        let m_name = format!("mask_{c}");
        if let Some(m) = self.get(&m_name)? {
            let o = self.origin(&m_name);
            cond.mask = Some(as_mask(as_vector(m, &o)?, &o)?);
        }
        Ok(cond)
    }
}

/// Read conditions from an `.npz` archive (see the module docs for the array names).
pub fn read_npz(path: &Path) -> Result<Conditions> {
    conditions_from_npz(NpzArrays::open(path)?)
}

/// Read conditions from the bytes of an `.npz` archive (an upload), called `origin` in
/// messages, so that they name what the user sent and no file of ours.
pub fn read_npz_bytes(bytes: &[u8], origin: &str) -> Result<Conditions> {
    conditions_from_npz(NpzArrays::read(std::io::Cursor::new(bytes), origin.to_string())?)
}

fn conditions_from_npz(npz: NpzArrays) -> Result<Conditions> {
    let mut conds = Vec::new();
    for c in 0.. {
        let mut cond = match npz.matrix(&format!("anchor_{c}"))? {
            Some(anchor) => npz.condition(c, anchor)?,
            None => match npz.trajectories(c)? {
                Some(cond) => cond,
                None => break,
            },
        };
        npz.name_and_value(c, &mut cond)?;
        conds.push(cond);
    }
    if conds.is_empty() {
        let found: Vec<&str> = npz.entries.keys().map(String::as_str).collect();
        return Err(Error::format(
            npz.origin,
            format!(
                "holds no `anchor_0` / `vector_0` (or `trajectory_0_0`) arrays; found: {}",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") }
            ),
        ));
    }
    Conditions::new(conds)
}

/// Write conditions to an `.npz` archive that [`read_npz`] reads back (names included, as
/// numpy strings, and values as 0-d float64 arrays). Stored uncompressed, as `np.savez`
/// does: the numbers of a recording hardly compress (5% on 10^5 points) and deflating them
/// cost the engine's upload a tenth of the build's time. Not atomic: the engine writes
/// through [`crate::fsio::write_atomic`].
pub fn write_npz(path: &Path, conditions: &Conditions) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io("cannot write", path, e))?;
    let file = write_npz_to(std::io::BufWriter::new(file), conditions, path)?
        .into_inner()
        .map_err(|e| Error::io("cannot write", path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io("cannot write", path, e))
}

/// The `.npz` archive of [`write_npz`] as bytes: what an upload of these conditions sends.
pub fn npz_bytes(conditions: &Conditions) -> Result<Vec<u8>> {
    let out = write_npz_to(std::io::Cursor::new(Vec::new()), conditions, Path::new("an in-memory .npz"))?;
    Ok(out.into_inner())
}

fn write_npz_to<W: Write + Seek>(out: W, conditions: &Conditions, path: &Path) -> Result<W> {
    let fail = |e: String| Error::io("cannot write", path, std::io::Error::other(e));
    // The OS error itself where there is one, so a full disk is told apart.
    let zip_fail = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(e) => Error::io("cannot write", path, e),
        other => fail(other.to_string()),
    };
    let mut zip = zip::ZipWriter::new(out);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
    // I/O errors stay themselves, so that a full disk is told apart.
    let mut put = |name: String, write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<()> {
        zip.start_file(format!("{name}.npy"), options).map_err(zip_fail)?;
        write(&mut zip).map_err(|e| Error::io("cannot write", path, e))
    };
    fn npy<A: WriteNpyExt + ?Sized>(a: &A) -> impl Fn(&mut dyn Write) -> std::io::Result<()> + '_ {
        move |w| {
            a.write_npy(w).map_err(|e| match e {
                ndarray_npy::WriteNpyError::Io(e) => e,
                other => std::io::Error::other(other.to_string()),
            })
        }
    }
    for (c, cond) in conditions.as_slice().iter().enumerate() {
        put(format!("anchor_{c}"), &npy(&cond.anchor))?;
        put(format!("vector_{c}"), &npy(&cond.vector))?;
        if let Some(l) = &cond.label {
            put(format!("label_{c}"), &npy(l))?;
        }
        if let Some(m) = &cond.mask {
            put(format!("mask_{c}"), &npy(m))?;
        }
        if let Some(n) = &cond.name {
            let text = npy_text::write_text(n);
            put(format!("name_{c}"), &move |w| w.write_all(&text))?;
        }
        if let Some(v) = cond.value {
            put(format!("value_{c}"), &npy(&ndarray::arr0(v)))?;
        }
        if let Some(g) = &cond.group {
            let text = npy_text::write_text(g);
            put(format!("group_{c}"), &move |w| w.write_all(&text))?;
        }
    }
    // Finished here, not on drop, where a failed write would go unnoticed.
    zip.finish().map_err(zip_fail)
}

/// Write a built dataset as an `.npz`: `anchor`, `vector`, `label`, `mask`, `condition`,
/// `sample_index` and `split` (0 train, 1 validation, 2 test) per point, the graph as
/// `edge_index` (2 x edges) and `edge_weight`, `eigenvalues_<c>` per condition when
/// computed, and `gauges` (n x D x m) with local frames. Atomic: a reader never sees half.
pub fn write_dataset_npz(path: &Path, d: &crate::Dataset) -> Result<()> {
    crate::fsio::write_atomic(path, |tmp| write_dataset_npz_to(tmp, d))
}

fn write_dataset_npz_to(path: &Path, d: &crate::Dataset) -> Result<()> {
    use crate::dataset::Split;
    let fail = |e: ndarray_npy::WriteNpzError| Error::io("cannot write", path, std::io::Error::other(e.to_string()));
    let file = std::fs::File::create(path).map_err(|e| Error::io("cannot write", path, e))?;
    let mut npz = ndarray_npy::NpzWriter::new_compressed(file);
    let int = |v: &[usize]| Array1::from_iter(v.iter().map(|&c| c as i64));
    npz.add_array("anchor", &d.anchor).map_err(fail)?;
    npz.add_array("vector", &d.vector).map_err(fail)?;
    npz.add_array("label", &d.label).map_err(fail)?;
    npz.add_array("mask", &d.mask).map_err(fail)?;
    npz.add_array("condition", &int(&d.condition)).map_err(fail)?;
    npz.add_array("sample_index", &int(&d.sample_index)).map_err(fail)?;
    let split = Array1::from_iter(d.split.iter().map(|s| match s {
        Split::Train => 0u8,
        Split::Val => 1,
        Split::Test => 2,
    }));
    npz.add_array("split", &split).map_err(fail)?;
    let a = &d.adjacency;
    let mut edges = Array2::<i64>::zeros((2, a.nnz()));
    let mut weights = Vec::with_capacity(a.nnz());
    for (e, (i, j, w)) in a.entries().enumerate() {
        edges[[0, e]] = i as i64;
        edges[[1, e]] = j as i64;
        weights.push(w);
    }
    npz.add_array("edge_index", &edges).map_err(fail)?;
    npz.add_array("edge_weight", &Array1::from_vec(weights)).map_err(fail)?;
    for (c, sp) in d.spectra.iter().flatten().enumerate() {
        npz.add_array(format!("eigenvalues_{c}"), &Array1::from_vec(sp.values.clone())).map_err(fail)?;
    }
    if let crate::geometry::frames::Frames::Local(f) = &d.frames {
        npz.add_array("gauges", f).map_err(fail)?;
    }
    npz.finish().map_err(fail)?;
    Ok(())
}
