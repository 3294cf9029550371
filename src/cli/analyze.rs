//! `marble analyze`: analyse a run folder again and decode behaviour from it, writing the
//! same files as the engine's analyze and decode.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use marble::analysis::{Analysis, AnalysisParams, Decoding};
use marble::dataset::io;
use marble::run::{AnalysisRecord, Run};

use super::AnalysisArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Folder written by `marble fit`.
    #[arg(long)]
    run: PathBuf,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Behaviour to decode (.npy or .csv with a header): one row per point, or one row
    /// per input row of all conditions stacked.
    #[arg(long)]
    behaviour: Option<PathBuf>,
    /// Cross-validation groups: `condition`, or an integer .npy/.csv (trial ids) aligned
    /// like --behaviour. Without it, folds are contiguous blocks of rows.
    #[arg(long)]
    groups: Option<String>,
    /// Cross-validation folds (default 5).
    #[arg(long)]
    folds: Option<usize>,
    /// Colour the embedding and vector-field figures by this variable instead of by
    /// condition (.npy or .csv with a header, one column): one value per point, or one per
    /// input row of all conditions stacked, as --behaviour. The colour bar is named after
    /// the CSV column or the file's stem.
    #[arg(long)]
    colour_by: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    if args.behaviour.is_none() && args.groups.is_some() {
        bail!("--groups applies to decoding: give --behaviour too");
    }
    let choice = args.analysis.choice()?;
    let run = Run::read(&args.run)?;
    let mut p = choice.params(run.n_points());
    if let Some(path) = &args.colour_by {
        let (values, name) = colour_by(path)?;
        p.colour_by = Some(values);
        p.colour_by_name = Some(name);
    }
    let (a, record) = run.analyze(&p)?;
    print(&run.dir, &p, &a, &record)?;
    match &args.behaviour {
        Some(path) => decode(&run, path, args.groups.as_deref(), args.folds),
        None => Ok(()),
    }
}

/// The values and name of `--colour-by FILE`: one column, named by its CSV header or the
/// file's stem.
fn colour_by(path: &Path) -> Result<(Vec<f64>, String)> {
    let (table, header) = io::read_named_table(path)?;
    if table.ncols() != 1 {
        bail!(
            "--colour-by {}: has {} columns; give one column (one value per point or per input row)",
            path.display(),
            table.ncols()
        );
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = header.into_iter().next().filter(|h| !h.trim().is_empty()).unwrap_or(stem);
    Ok((table.column(0).to_vec(), name))
}

/// Print the distances between conditions and what was written.
pub(super) fn print(dir: &Path, p: &AnalysisParams, a: &Analysis, record: &AnalysisRecord) -> Result<()> {
    say!(
        "distances between conditions ({}, {}):",
        serde_json::to_value(p.distance)?.as_str().unwrap_or(""),
        a.distances.method
    );
    // A name in two groups (one reach target per animal) is written with its group.
    let names = match &record.condition_groups {
        Some(g) => {
            let groups = marble::analysis::Groups::new(g);
            marble::plot::qualified_names(&record.condition_names, marble::plot::Grouping::from(&groups))
        }
        None => record.condition_names.clone(),
    };
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for (row, name) in a.distances.matrix.rows().into_iter().zip(&names) {
        say!("  {name:>width$} {}", row.iter().map(|v| format!("{v:8.4}")).collect::<Vec<_>>().join(" "));
    }
    if let [first, second] = record.condition_map_explained[..] {
        say!("condition map: its axes explain {:.0}% and {:.0}% of the variance", 100.0 * first, 100.0 * second);
    }
    if let Some(matching) = &record.matching {
        say!("nearest condition in each other group:");
        for line in matching.lines() {
            say!("  {line}");
        }
    }
    if let Some(name) = &record.colour_by {
        say!("embedding and vector field coloured by {name}");
    }
    say!("wrote {} files in {}: {}", record.files.len(), dir.display(), record.files.join(", "));
    say!("{}", marble::dataset::StepTime::line(&record.timings));
    Ok(())
}

/// Cross-validation groups: every point's condition, or integer ids from a table (one per
/// point or per input row, aligned with the behaviour by the decoding step).
fn groups(run: &Run, groups: Option<&str>) -> Result<Option<Vec<usize>>> {
    Ok(match groups {
        None => None,
        Some("condition") => Some(run.condition.clone()),
        Some(file) => {
            let g = io::read_table(Path::new(file))?;
            if g.ncols() != 1 || g.iter().any(|v| *v < 0.0 || v.fract() != 0.0) {
                bail!("--groups {file}: give one non-negative integer per row");
            }
            Some(g.iter().map(|&v| v as usize).collect())
        }
    })
}

fn decode(run: &Run, behaviour: &Path, groups_arg: Option<&str>, folds: Option<usize>) -> Result<()> {
    let groups = groups(run, groups_arg)?;
    let source = behaviour.display().to_string();
    let d = run.decode_and_write(io::read_table(behaviour)?, groups.as_deref(), folds, &source)?;
    let fmt = |d: &Decoding| d.r2.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(", ");
    let (latents, b) = (&d.latents, &d.baseline);
    say!(
        "decoding {} behaviour column(s), {}-fold {}:",
        d.behaviour_columns,
        d.folds,
        if latents.grouped { "grouped cross-validation" } else { "cross-validation over contiguous blocks" }
    );
    say!("  MARBLE latents ({} dims): R^2 {} (mean {:.3})", latents.predictors, fmt(latents), latents.r2_mean);
    say!("  PCA of the input ({} dims): R^2 {} (mean {:.3})", b.predictors, fmt(b), b.r2_mean);
    if let Some(t) = &d.transfer {
        say!("decoding across groups (mean R^2 over the behaviour columns):");
        for line in t.lines() {
            say!("  {line}");
        }
    }
    say!("wrote {} and decoding_predictions.npy", d.written.display());
    Ok(())
}
