//! Training curves.

use plotters::prelude::{Circle, Color, LineSeries};

use super::Svg;
use super::canvas::{Above, Aspect, Axis, Layout, chart, extent, legend_inside, render};
use super::colour::{Key, category};
use crate::error::{Error, Result};
use crate::model::Losses;

/// Loss against epoch (counting from 1): one line for the training loss and one for the
/// validation loss, and the test loss of the final model as a marker at the last epoch, with
/// a legend. Non-finite values are left out (the line joins its neighbours); only the last
/// finite test loss is shown.
///
/// Marks: one `<polyline>` per series with a finite value (train, then validation), with one
/// vertex per finite value; `<circle>` count = one legend swatch per drawn series, plus two
/// (marker and swatch) when there is a test loss.
///
/// Errors ([`Error::InvalidArgument`]): `train_loss` empty or without a finite value.
pub fn loss_curves(losses: &Losses, title: &str) -> Result<Svg> {
    if losses.train_loss.is_empty() {
        return Err(Error::argument("train_loss", "is empty; train for at least one epoch first"));
    }
    let finite = |values: &[f64]| -> Vec<(f64, f64)> {
        values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(e, &v)| ((e + 1) as f64, v)).collect()
    };
    let train = finite(&losses.train_loss);
    if train.is_empty() {
        return Err(Error::argument("train_loss", "holds no finite value; check the training run for divergence"));
    }
    let curves = [("train", train), ("validation", finite(&losses.val_loss))];
    let last_epoch = losses.train_loss.len().max(losses.val_loss.len()) as f64;
    let test = losses.test_loss.iter().rev().copied().find(|v| v.is_finite());
    let loss_range = extent(curves.iter().flat_map(|(_, points)| points.iter().map(|p| p.1)).chain(test));

    render(|root| {
        let layout = Layout {
            title,
            note: None,
            x: Axis::numeric(extent([1.0, last_epoch]), "epoch"),
            y: Axis::numeric(loss_range, "loss"),
            key: &Key::None,
            aspect: Aspect::Free,
            above: Above::Nothing,
        };
        let mut chart = chart(root, layout)?;
        let mut entries = Vec::new();
        for (i, (name, points)) in curves.into_iter().enumerate().filter(|(_, (_, points))| !points.is_empty()) {
            chart.draw_series(LineSeries::new(points, category(i).stroke_width(2)))?;
            entries.push((name.to_owned(), category(i)));
        }
        if let Some(test) = test {
            chart.draw_series([Circle::new((last_epoch, test), 5, category(2).filled())])?;
            entries.push(("test (final model)".to_owned(), category(2)));
        }
        legend_inside(root, &chart, &entries)
    })
}
