//! `marble prepare`: bring recordings of different dimension (animals, sessions with
//! different neuron counts) to one by a PCA per recording, and write them as one `.npz`
//! with each condition's group, ready for `marble fit --data OUT.npz`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use marble::dataset::io;
use marble::dataset::prepare::{self, GroupReport};

#[derive(clap::Args)]
pub struct Args {
    /// Recordings, one per file (.npz, .json or .csv, as `--data` reads them), each of its
    /// own dimension. A file's conditions go in the group named by --group-names, else in
    /// the groups the file gives (`group_<c>` in .npz, `group` in JSON), else in a group
    /// named after the file's stem.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The common dimension: each group's anchors are reduced to this many principal
    /// components (at most the smallest group's dimension).
    #[arg(long)]
    dim: usize,
    /// Output .npz file.
    #[arg(long)]
    out: PathBuf,
    /// The group of each input, in order, comma-separated (`--group-names mihi,chewie`);
    /// inputs given the same name are one group, reduced by one PCA.
    #[arg(long, value_delimiter = ',')]
    group_names: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    if !args.group_names.is_empty() && args.group_names.len() != args.inputs.len() {
        bail!(
            "--group-names: {} names for {} inputs; give one group name per input file",
            args.group_names.len(),
            args.inputs.len()
        );
    }
    let mut conditions = Vec::new();
    let mut stems: Vec<(String, &Path)> = Vec::new();
    for (i, path) in args.inputs.iter().enumerate() {
        let read = io::read_conditions(path)?.into_vec();
        let named = args.group_names.get(i).map(|g| g.trim().to_string());
        let group = match named {
            Some(g) => Some(g),
            None if read[0].group.is_some() => None,
            None => Some(stem_group(path, &mut stems)?),
        };
        conditions.extend(read.into_iter().map(|c| match &group {
            Some(g) => c.with_group(g.clone()),
            None => c,
        }));
    }
    let prepared = prepare::reduce_by_group(conditions, args.dim).context("cannot prepare the recordings")?;
    for g in &prepared.groups {
        say!("{}", describe(g, args.dim));
    }
    let conds = &prepared.conditions;
    io::write_npz(&args.out, conds)?;
    say!(
        "wrote {} ({} groups, {} conditions, {} points, anchors in R^{}, signal dimension {})",
        args.out.display(),
        prepared.groups.len(),
        conds.len(),
        conds.n_points(),
        conds.embedding_dim(),
        conds.signal_dim()
    );
    Ok(())
}

/// The group named after `path`'s stem, refused when an earlier input had the same stem
/// (two `session.npz` in different folders would silently become one group).
fn stem_group<'a>(path: &'a Path, stems: &mut Vec<(String, &'a Path)>) -> Result<String> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some((_, other)) = stems.iter().find(|(s, _)| *s == stem) {
        bail!(
            "{} and {} would both be group {stem:?} (their file stem); name the groups with --group-names",
            other.display(),
            path.display()
        );
    }
    stems.push((stem.clone(), path));
    Ok(stem)
}

/// One line per group: its dimension, size, the variance kept and what became of its
/// vectors.
fn describe(g: &GroupReport, dim: usize) -> String {
    let vectors = if g.vectors_projected {
        "vectors projected with the anchors".to_string()
    } else {
        format!("vectors kept ({} columns, not in the {}-D state space)", g.signal_dim, g.input_dim)
    };
    format!(
        "group {:?}: {} dimensions, {} conditions, {} points; {dim} components keep {:.1}% of the variance; {vectors}",
        g.group,
        g.input_dim,
        g.n_conditions,
        g.n_points,
        100.0 * g.explained
    )
}
