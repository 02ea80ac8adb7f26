#![doc = include_str!("../README.md")]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

mod machine;
mod markdown;
mod plot;
mod result;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

pub use machine::Machine;
pub use result::{BenchResult, Plot, Ratio, Series, Table};

/// What the report says about the run as a whole.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// The results come from `--quick` runs.
    pub quick: bool,
    /// The command that produced them.
    pub command: String,
    /// How long that command took, in seconds.
    pub seconds: u64,
    /// When it started.
    pub date: String,
    /// The commit measured.
    pub commit: String,
    /// The compiler.
    pub rustc: String,
    /// `/proc/loadavg` before the run.
    pub load_before: String,
}

/// Reads and checks `results`, draws their plots into the directory beside `out` (named
/// after it without `.md`) and writes the markdown report to `out`.
///
/// Fails if a result does not parse or breaks the schema's rules (see the README), if two
/// results share a name or two plots an id, or if a result's `quick` differs from
/// `run.quick`: a quick run's figures never end up in a full report.
pub fn write_report(out: &Path, run: &Run, results: &[PathBuf]) -> anyhow::Result<()> {
    let mut parsed = Vec::with_capacity(results.len());
    for path in results {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let result = BenchResult::parse(&text).with_context(|| format!("in {}", path.display()))?;
        if result.quick != run.quick {
            bail!(
                "{} is from a {} run, but this report is for a {} run",
                path.display(),
                if result.quick { "--quick" } else { "full" },
                if run.quick { "--quick" } else { "full" }
            );
        }
        parsed.push(result);
    }
    result::check_unique(&parsed)?;

    let plots_dir = plots_dir(out)?;
    std::fs::create_dir_all(&plots_dir)
        .with_context(|| format!("creating {}", plots_dir.display()))?;
    // The directory is the report's: plots of an earlier run that this one no longer draws
    // must not linger beside it.
    for entry in
        std::fs::read_dir(&plots_dir).with_context(|| format!("reading {}", plots_dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "svg") {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    for result in &parsed {
        for p in &result.plots {
            let file = plots_dir.join(format!("{}.svg", p.id));
            plot::draw(p, &file).with_context(|| format!("drawing {}", file.display()))?;
        }
    }
    let dir_name = plots_dir
        .file_name()
        .and_then(|n| n.to_str())
        .context("the plots directory has no name")?;
    let text = markdown::render(run, &Machine::this(), &parsed, dir_name);
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

/// `docs/benchmarks.md` → `docs/benchmarks`.
fn plots_dir(out: &Path) -> anyhow::Result<PathBuf> {
    match out.extension().and_then(|e| e.to_str()) {
        Some("md") => Ok(out.with_extension("")),
        _ => bail!("the report must be a .md file, not {}", out.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, plot_id: &str) -> PathBuf {
        let mut v = result::tests::sample();
        v["plots"][0]["id"] = plot_id.into();
        let path = dir.join(name);
        std::fs::write(&path, v.to_string()).unwrap();
        path
    }

    #[test]
    fn a_report_replaces_the_plots_of_the_last_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("benchmarks.md");
        let run = Run {
            quick: true,
            ..Run::default()
        };
        let first = write(dir.path(), "a.json", "old-plot");
        write_report(&out, &run, &[first]).unwrap();
        assert!(dir.path().join("benchmarks/old-plot.svg").exists());

        let second = write(dir.path(), "b.json", "new-plot");
        write_report(&out, &run, &[second]).unwrap();
        assert!(dir.path().join("benchmarks/new-plot.svg").exists());
        assert!(!dir.path().join("benchmarks/old-plot.svg").exists());
        assert!(std::fs::read_to_string(&out)
            .unwrap()
            .contains("benchmarks/new-plot.svg"));
    }

    #[test]
    fn quick_results_never_make_a_full_report() {
        let dir = tempfile::tempdir().unwrap();
        let quick = write(dir.path(), "a.json", "p");
        let out = dir.path().join("benchmarks.md");
        let err = write_report(&out, &Run::default(), &[quick]).unwrap_err();
        assert!(err.to_string().contains("--quick run"), "{err:#}");
        assert!(!out.exists());
    }

    #[test]
    fn the_report_must_be_markdown() {
        assert!(plots_dir(Path::new("docs/benchmarks.md")).is_ok());
        assert!(plots_dir(Path::new("docs/benchmarks")).is_err());
    }
}
