//! SVG plots with `plotters`: one chart per [`Plot`], lines with a marker at each point.

use std::{ops::Range, path::Path};

use anyhow::anyhow;
use plotters::{
    coord::{
        ranged1d::{AsRangedCoord, Ranged, ValueFormatter},
        Shift,
    },
    prelude::*,
};

use crate::Plot;

const SIZE: (u32, u32) = (800, 460);
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// The range that holds `values` with a margin: a factor on a log axis, `top` times the
/// span on a linear one (which starts at 0 when every value is positive).
fn range(values: impl Iterator<Item = f64>, log: bool, top: f64) -> Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if log {
        (lo / 1.5)..(hi * 1.5)
    } else {
        let lo = if lo > 0.0 { 0.0 } else { lo };
        let pad = if hi > lo { (hi - lo) * top } else { 1.0 };
        lo..(hi + pad)
    }
}

/// Draws `plot` into an SVG file at `file`.
pub(crate) fn draw(plot: &Plot, file: &Path) -> anyhow::Result<()> {
    let points = || plot.series.iter().flat_map(|s| s.points.iter());
    let x = range(points().map(|p| p.0), plot.log_x, 0.05);
    // Room for the legend (upper left) above the data.
    let y = range(points().map(|p| p.1), plot.log_y, 0.4);
    let root = SVGBackend::new(file, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let base = plot.x_log_base.unwrap_or(10.0);
    match (plot.log_x, plot.log_y) {
        (true, true) => chart(&root, plot, x.log_scale().base(base), y.log_scale()),
        (true, false) => chart(&root, plot, x.log_scale().base(base), y),
        (false, true) => chart(&root, plot, x, y.log_scale()),
        (false, false) => chart(&root, plot, x, y),
    }?;
    root.present().map_err(|e| anyhow!("{e}"))
}

fn chart<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    plot: &Plot,
    x: X,
    y: Y,
) -> anyhow::Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let err = |e: &dyn std::fmt::Display| anyhow!("{e}");
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(&plot.x_label)
        .y_desc(&plot.y_label)
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .draw()
        .map_err(|e| err(&e))?;
    for (series, colour) in plot
        .series
        .iter()
        .filter(|s| !s.points.is_empty())
        .zip(COLOURS.iter().cycle())
    {
        let style = ShapeStyle::from(colour).stroke_width(2);
        chart
            .draw_series(LineSeries::new(series.points.iter().copied(), style))
            .map_err(|e| err(&e))?
            .label(&series.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x.saturating_add(20), y)], style));
        chart
            .draw_series(
                series
                    .points
                    .iter()
                    .map(|&p| Circle::new(p, 3, colour.filled())),
            )
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))
}

/// Axis numbers: 16384, 0.25, 0.001.
fn number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1.0..1e6).contains(&a) && v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BenchResult;

    #[test]
    fn plots_are_svg_with_every_series_and_label() {
        let result = BenchResult::parse(&crate::result::tests::sample().to_string()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.svg");
        draw(&result.plots[0], &file).unwrap();
        let svg = std::fs::read_to_string(&file).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        // The text of every <text> element.
        let texts: Vec<&str> = svg
            .split("</text>")
            .filter_map(|chunk| chunk.rsplit_once('>'))
            .map(|(_, text)| text.trim())
            .collect();
        // Title, axis labels, legend, and base-2 labels on the x axis.
        for text in ["P", "n", "ms", "sparse", "256", "512"] {
            assert!(texts.contains(&text), "{text:?} not among {texts:?}");
        }
        // The empty "dense" series has no legend entry.
        assert!(!texts.contains(&"dense"));
    }

    #[test]
    fn linear_axes_start_at_zero_with_room_for_the_legend_and_log_axes_keep_a_margin() {
        assert_eq!(range([2.0, 10.0].into_iter(), false, 0.4), 0.0..14.0);
        let r = range([1.0, 100.0].into_iter(), true, 0.4);
        assert!(r.start < 1.0 && r.end > 100.0);
    }

    #[test]
    fn axis_numbers_are_short() {
        assert_eq!(number(16384.0), "16384");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(2.5), "2.5");
    }
}
