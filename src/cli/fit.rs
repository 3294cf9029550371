//! `marble fit`: build the dataset, train and write a run folder through
//! [`marble::run::fit_run`], as the engine's fit jobs do.

use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use marble::Dataset;
use marble::analysis::AnalysisParams;
use marble::model::{Cancel, EpochReport, Fitted, Observer};
use marble::run::{FitEvents, FitPlan, fit_run};
use ndarray::Array2;

use super::{AnalysisArgs, Bars, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: DataArgs,
    /// Output folder: embedding.npy, condition.npy, sample_index.npy, anchor.npy,
    /// vector.npy, summary.json, params.json, losses.json, model.json, model.npz,
    /// checkpoint.json, and the analysis (distances.npy, clusters.npy, *.svg, ...).
    #[arg(long)]
    out: PathBuf,
    /// Continue from DIR/checkpoint.json for `epochs` more epochs.
    #[arg(long)]
    resume: bool,
    /// Skip the analysis (distances.npy, clusters.npy, figures) after training.
    #[arg(long, conflicts_with_all = ["clusters", "distance", "view", "analysis_params"])]
    no_analysis: bool,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

/// Prints the summary, a bar over epochs with the latest losses and learning rate, and what
/// training gave.
struct Report<'a> {
    out: &'a std::path::Path,
    epochs: u64,
    bar: Option<ProgressBar>,
}

impl Observer for Report<'_> {
    fn epoch(&mut self, r: &EpochReport) {
        let Some(bar) = &self.bar else { return };
        bar.set_message(format!(
            "epoch {} train {:.4} val {:.4} lr {:.2e} t {:.3}{}",
            r.epoch,
            r.train_loss,
            r.val_loss,
            r.lr,
            r.diffusion_time,
            if r.best { " *" } else { "" }
        ));
        bar.inc(1);
    }
}

impl FitEvents for Report<'_> {
    fn built(&mut self, data: &Dataset) {
        say!("{}", data.summary.to_string().trim_end());
        let bar = ProgressBar::new(self.epochs);
        bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]").expect("valid template"));
        self.bar = Some(bar);
    }

    fn saved(&mut self, data: &Dataset, fitted: &Fitted, embedding: &Array2<f32>) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
        say!("{}", fitted.feature_path);
        say!(
            "trained {} epochs (best {}), diffusion time {:.4}, test loss {}",
            fitted.epochs,
            fitted.best_epoch,
            fitted.model.diffusion_time(),
            fitted.losses.test_loss.first().map_or("n/a".to_string(), |l| format!("{l:.4}"))
        );
        let rows = data.output_rows().point.len();
        say!("wrote {} ({} x {})", self.out.join("embedding.npy").display(), rows, embedding.ncols());
    }
}

pub fn run(args: Args) -> Result<()> {
    let conds = args.input.conditions()?;
    let params = args.input.params()?;
    let analysis = if args.no_analysis { None } else { Some(args.analysis.choice()?) };
    let params_for = analysis.as_ref().map(|c| move |n: usize| c.params(n));
    let plan = FitPlan {
        dir: &args.out,
        params: &params,
        resume: args.resume,
        epochs: params.epochs,
        analysis: params_for.as_ref().map(|f| f as &dyn Fn(usize) -> AnalysisParams),
    };
    let mut report = Report { out: &args.out, epochs: params.epochs as u64, bar: None };
    let done = fit_run(&conds, &plan, &Bars::new(), &mut report, &Cancel::new())?.context("the fit was cancelled")?;
    if let Some((p, a, record)) = &done.analysis {
        super::analyze::print(&args.out, p, a, record)?;
    }
    Ok(())
}
