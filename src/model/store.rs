//! Model files: a folder with `model.json` (architecture), `model.npz` (weights, BatchNorm
//! statistics and the diffusion time, one named array each, readable with numpy),
//! `params.json` and `losses.json`; plus `checkpoint.json` for resuming. Every file is
//! written atomically ([`crate::fsio`]).

use std::fs::File;
use std::path::Path;

use ndarray::Array2;
use ndarray_npy::{NpzReader, NpzWriter};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsio::{read_json, write_atomic, write_json};
use crate::model::checkpoint::{Checkpoint, Losses};
use crate::model::network::{Architecture, Model};
use crate::params::Params;

/// Version of the folder layout.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ModelJson {
    format: u32,
    architecture: Architecture,
}

fn npz_fail(path: &Path) -> impl Fn(ndarray_npy::WriteNpzError) -> Error + '_ {
    move |e| Error::io("cannot write", path, std::io::Error::other(e.to_string()))
}

/// Save a model with the parameters it was trained with and its losses.
pub fn save(dir: &Path, model: &Model, params: &Params, losses: &Losses) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    write_json(&dir.join("model.json"), &ModelJson { format: FORMAT, architecture: model.arch.clone() })?;
    write_json(&dir.join("params.json"), params)?;
    write_json(&dir.join("losses.json"), losses)?;
    let path = dir.join("model.npz");
    write_atomic(&path, |tmp| {
        let file = File::create(tmp).map_err(|e| Error::io("cannot write", tmp, e))?;
        let mut npz = NpzWriter::new(file);
        let fail = npz_fail(tmp);
        for (name, rows, cols, values) in named_arrays(model) {
            npz.add_array(name, &Array2::from_shape_vec((rows, cols), values).expect("slot shape")).map_err(&fail)?;
        }
        npz.finish().map_err(&fail)?;
        Ok(())
    })
}

/// (name, rows, cols, values) of every stored array.
fn named_arrays(model: &Model) -> Vec<(String, usize, usize, Vec<f32>)> {
    let slots = model.arch.slots();
    let take = |s: crate::model::network::Slot| model.theta[s.offset..s.offset + s.rows * s.cols].to_vec();
    let mut out = Vec::new();
    if let Some(s) = slots.ip {
        out.push(("inner_products".to_string(), s.rows, s.cols, take(s)));
    }
    let mut bn = 0;
    for (l, ls) in slots.layers.iter().enumerate() {
        out.push((format!("layer{l}.weight"), ls.w.rows, ls.w.cols, take(ls.w)));
        if let Some(s) = ls.w_pos {
            out.push((format!("layer{l}.weight_positions"), s.rows, s.cols, take(s)));
        }
        if let Some(s) = ls.b {
            out.push((format!("layer{l}.bias"), 1, s.cols, take(s)));
        }
        if let (Some(g), Some(b)) = (ls.gamma, ls.beta) {
            out.push((format!("layer{l}.bn_scale"), 1, g.cols, take(g)));
            out.push((format!("layer{l}.bn_shift"), 1, b.cols, take(b)));
            out.push((format!("layer{l}.bn_running_mean"), 1, g.cols, model.running[bn].mean.clone()));
            out.push((format!("layer{l}.bn_running_var"), 1, g.cols, model.running[bn].var.clone()));
            bn += 1;
        }
    }
    if let Some(s) = slots.t {
        out.push(("diffusion_time".to_string(), 1, 1, take(s)));
    }
    out
}

/// Load a model saved by [`save`], with its parameters.
pub fn load(dir: &Path) -> Result<(Model, Params)> {
    let meta: ModelJson = read_json(&dir.join("model.json"))?;
    if meta.format != FORMAT {
        return Err(Error::ModelFile {
            path: dir.join("model.json"),
            message: format!("format {} is not supported (this build reads format {FORMAT})", meta.format),
        });
    }
    let params: Params = read_json(&dir.join("params.json"))?;
    let path = dir.join("model.npz");
    let file = File::open(&path).map_err(|e| Error::io("cannot read", &path, e))?;
    let mut npz = NpzReader::new(file).map_err(|e| Error::ModelFile { path: path.clone(), message: e.to_string() })?;
    let mut model = Model::new(meta.architecture, 0);
    let expected = named_arrays(&model);
    let slots = model.arch.slots();
    let mut values = std::collections::HashMap::new();
    for (name, rows, cols, _) in &expected {
        let a: Array2<f32> = npz.by_name(name).map_err(|e| Error::ModelFile {
            path: path.clone(),
            message: format!("array `{name}`: {e}; the file does not match model.json"),
        })?;
        if a.dim() != (*rows, *cols) {
            return Err(Error::ModelFile {
                path: path.clone(),
                message: format!("array `{name}` has shape {:?}, model.json says ({rows}, {cols})", a.dim()),
            });
        }
        values.insert(name.clone(), a.iter().copied().collect::<Vec<f32>>());
    }
    let mut put = |s: crate::model::network::Slot, name: &str| {
        model.theta[s.offset..s.offset + s.rows * s.cols].copy_from_slice(&values[name]);
    };
    if let Some(s) = slots.ip {
        put(s, "inner_products");
    }
    let mut bn = 0;
    for (l, ls) in slots.layers.iter().enumerate() {
        put(ls.w, &format!("layer{l}.weight"));
        if let Some(s) = ls.w_pos {
            put(s, &format!("layer{l}.weight_positions"));
        }
        if let Some(s) = ls.b {
            put(s, &format!("layer{l}.bias"));
        }
        if let (Some(g), Some(b)) = (ls.gamma, ls.beta) {
            put(g, &format!("layer{l}.bn_scale"));
            put(b, &format!("layer{l}.bn_shift"));
            model.running[bn].mean = values[&format!("layer{l}.bn_running_mean")].clone();
            model.running[bn].var = values[&format!("layer{l}.bn_running_var")].clone();
            bn += 1;
        }
    }
    if let Some(s) = slots.t {
        put(s, "diffusion_time");
    }
    Ok((model, params))
}

/// Read the losses saved with a model.
pub fn read_losses(dir: &Path) -> Result<Losses> {
    read_json(&dir.join("losses.json"))
}

pub(crate) fn write_checkpoint(dir: &Path, state: &Checkpoint) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    write_json(&dir.join("checkpoint.json"), state)
}

pub(crate) fn read_checkpoint(dir: &Path) -> Result<Checkpoint> {
    let path = dir.join("checkpoint.json");
    if !path.exists() {
        return Err(Error::ModelFile {
            path,
            message: "no checkpoint here; train without resuming first (checkpoints are written every epoch)".into(),
        });
    }
    read_json(&path)
}
