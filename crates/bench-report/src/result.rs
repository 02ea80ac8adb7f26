//! The JSON a benchmark writes, and the rules it must keep.

use std::collections::HashSet;

use anyhow::{bail, ensure};
use serde::Deserialize;

/// The schema version this crate reads.
const SCHEMA: u32 = 1;

/// One benchmark's result file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BenchResult {
    /// Must be 1.
    pub schema: u32,
    /// Short name: lowercase letters, digits and `-` (a heading and an anchor).
    pub name: String,
    /// One-line title.
    pub title: String,
    /// The command that runs this benchmark alone.
    pub command: String,
    /// Whether it ran with `--quick`.
    pub quick: bool,
    /// How long it ran, in seconds.
    pub seconds: f64,
    /// Markdown: what was measured, how, and against what.
    pub summary: String,
    /// The ratio the benchmark printed last.
    pub ratio: Ratio,
    /// Tables of figures, in order.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Plots, in order.
    #[serde(default)]
    pub plots: Vec<Plot>,
}

/// A ratio of two figures measured side by side.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ratio {
    /// What is divided by what, and where.
    pub what: String,
    /// Finite and positive.
    pub value: f64,
}

/// A table; cells are preformatted text.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Shown above the table.
    pub caption: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<String>>,
}

/// A plot of one or more series of points.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Plot {
    /// File name without `.svg`: lowercase letters, digits and `-`, unique in the report.
    pub id: String,
    /// Caption.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Logarithmic x axis (every x must be positive).
    pub log_x: bool,
    /// Logarithmic y axis (every y must be positive).
    pub log_y: bool,
    /// The base of a logarithmic x axis' labels, e.g. 2 for sizes that double (default 10).
    #[serde(default)]
    pub x_log_base: Option<f64>,
    /// At least one series with points.
    pub series: Vec<Series>,
}

/// One line on a plot.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// `(x, y)` points, drawn in order; may be empty (e.g. a reference that ran nowhere).
    pub points: Vec<(f64, f64)>,
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl BenchResult {
    /// Parses and checks one result file's text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let result: Self = serde_json::from_str(text)?;
        result.check()?;
        Ok(result)
    }

    fn check(&self) -> anyhow::Result<()> {
        ensure!(
            self.schema == SCHEMA,
            "schema {} (this report reads {SCHEMA})",
            self.schema
        );
        ensure!(is_slug(&self.name), "name {:?} is not a slug", self.name);
        ensure!(
            self.seconds.is_finite() && self.seconds >= 0.0,
            "seconds is {}",
            self.seconds
        );
        ensure!(
            self.ratio.value.is_finite() && self.ratio.value > 0.0,
            "the ratio ({}) is {}, not a positive number",
            self.ratio.what,
            self.ratio.value
        );
        for table in &self.tables {
            for row in &table.rows {
                ensure!(
                    row.len() == table.columns.len(),
                    "table {:?}: a row of {} cells under {} columns",
                    table.caption,
                    row.len(),
                    table.columns.len()
                );
            }
        }
        for plot in &self.plots {
            plot.check()?;
        }
        Ok(())
    }
}

impl Plot {
    fn check(&self) -> anyhow::Result<()> {
        ensure!(is_slug(&self.id), "plot id {:?} is not a slug", self.id);
        if let Some(base) = self.x_log_base {
            ensure!(
                self.log_x && base.is_finite() && base > 1.0,
                "plot {}: x_log_base {base} needs log_x and a base above 1",
                self.id
            );
        }
        ensure!(
            self.series.iter().any(|s| !s.points.is_empty()),
            "plot {} has no points",
            self.id
        );
        for (x, y) in self.series.iter().flat_map(|s| &s.points) {
            ensure!(
                x.is_finite() && y.is_finite(),
                "plot {}: point ({x}, {y}) is not finite",
                self.id
            );
            ensure!(
                (!self.log_x || *x > 0.0) && (!self.log_y || *y > 0.0),
                "plot {}: point ({x}, {y}) on a log axis must be positive",
                self.id
            );
        }
        Ok(())
    }
}

/// Names and plot ids are unique across the report (anchors and file names).
pub(crate) fn check_unique(results: &[BenchResult]) -> anyhow::Result<()> {
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    for r in results {
        if !names.insert(&r.name) {
            bail!("two results are named {}", r.name);
        }
        for p in &r.plots {
            if !ids.insert(&p.id) {
                bail!("two plots have the id {}", p.id);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> serde_json::Value {
        serde_json::json!({
            "schema": 1,
            "name": "epoch",
            "title": "Epoch",
            "command": "cargo bench --bench epoch",
            "quick": true,
            "seconds": 1.5,
            "summary": "What and how.",
            "ratio": { "what": "dense / sparse", "value": 120.0 },
            "tables": [{ "caption": "T", "columns": ["a", "b"], "rows": [["1", "2"]] }],
            "plots": [{
                "id": "epoch-by-n", "title": "P", "x_label": "n", "y_label": "ms",
                "log_x": true, "log_y": true, "x_log_base": 2,
                "series": [
                    { "name": "sparse", "points": [[256, 0.1], [512, 0.2]] },
                    { "name": "dense", "points": [] }
                ]
            }]
        })
    }

    fn parse(v: &serde_json::Value) -> anyhow::Result<BenchResult> {
        BenchResult::parse(&v.to_string())
    }

    #[test]
    fn a_well_formed_result_parses() {
        let r = parse(&sample()).unwrap();
        assert_eq!(r.name, "epoch");
        assert_eq!(
            r.plots[0].series[0].points,
            vec![(256.0, 0.1), (512.0, 0.2)]
        );
    }

    #[test]
    fn results_that_break_the_rules_are_refused() {
        type Break = fn(&mut serde_json::Value);
        let broken: [(&str, Break); 11] = [
            ("log base 1", |v| v["plots"][0]["x_log_base"] = 1.0.into()),
            ("log base on a linear axis", |v| {
                v["plots"][0]["log_x"] = false.into();
                v["plots"][0]["x_log_base"] = 2.0.into();
            }),
            ("schema", |v| v["schema"] = 2.into()),
            ("unknown field", |v| v["extra"] = 1.into()),
            ("missing ratio", |v| {
                v.as_object_mut().unwrap().remove("ratio");
            }),
            ("zero ratio", |v| v["ratio"]["value"] = 0.0.into()),
            ("name", |v| v["name"] = "Epoch Bench".into()),
            ("short row", |v| {
                v["tables"][0]["rows"][0] = serde_json::json!(["1"])
            }),
            ("no points", |v| {
                v["plots"][0]["series"][0]["points"] = serde_json::json!([])
            }),
            ("log of zero", |v| {
                v["plots"][0]["series"][0]["points"][0] = serde_json::json!([0, 1])
            }),
            ("plot id", |v| v["plots"][0]["id"] = "a/b".into()),
        ];
        for (what, breaks) in broken {
            let mut v = sample();
            breaks(&mut v);
            assert!(parse(&v).is_err(), "{what} was accepted");
        }
    }

    #[test]
    fn names_and_plot_ids_must_be_unique() {
        let a = parse(&sample()).unwrap();
        let mut b = a.clone();
        assert!(check_unique(&[a.clone(), b.clone()]).is_err());
        b.name = "other".into();
        assert!(
            check_unique(&[a.clone(), b.clone()]).is_err(),
            "same plot id"
        );
        b.plots[0].id = "other-plot".into();
        check_unique(&[a, b]).unwrap();
    }
}
