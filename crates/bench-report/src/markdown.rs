//! The markdown report.

use std::fmt::Write as _;

use crate::{BenchResult, Machine, Run, Table};

/// A ratio with as many digits as it needs: 1234, 12.3, 1.23.
pub(crate) fn ratio(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn table(out: &mut String, columns: &[String], rows: &[Vec<String>]) {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(columns));
    out.push_str(&line(&vec!["---".to_owned(); columns.len()]));
    for row in rows {
        out.push_str(&line(row));
    }
}

fn seconds(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.0} s ({:.1} min)", s, s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// The report: the run, the machine, every ratio, then each benchmark with its summary,
/// plots (from `plots_dir`, relative to the report) and tables.
pub(crate) fn render(
    run: &Run,
    machine: &Machine,
    results: &[BenchResult],
    plots_dir: &str,
) -> String {
    let mut out = String::new();
    out.push_str("# Benchmarks\n\n");
    out.push_str(
        "<!-- Written by crates/bench-report from the results of scripts/bench.sh; \
         rerun that command rather than editing this file. -->\n\n",
    );
    let _ = write!(
        out,
        "Produced by `{}`{}: the benchmarks ran for {} after building{}{}.",
        run.command,
        if run.quick {
            " (quick: a reduced grid, figures not for comparison)"
        } else {
            ""
        },
        seconds(run.seconds as f64),
        if run.date.is_empty() {
            String::new()
        } else {
            format!(", started {}", run.date)
        },
        if run.commit.is_empty() {
            String::new()
        } else {
            format!(", at commit `{}`", run.commit)
        },
    );
    out.push_str(
        " Each benchmark measures its figure and what it is compared with in the same run, \
         on this machine, and prints the ratio last; each can be run alone with the command \
         shown under it.\n\n",
    );

    out.push_str("## Machine\n\n");
    let mut facts = vec![
        vec!["CPUs (`nproc`)".to_owned(), machine.nproc.to_string()],
        vec![
            "CPU model".to_owned(),
            machine
                .cpu_model
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ],
        vec![
            "RAM".to_owned(),
            machine.mem_total_kib.map_or_else(
                || "unknown".into(),
                |kib| format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)),
            ),
        ],
    ];
    if let Some(kernel) = &machine.kernel {
        facts.push(vec!["Linux".to_owned(), kernel.clone()]);
    }
    if !run.rustc.is_empty() {
        facts.push(vec!["Compiler".to_owned(), run.rustc.clone()]);
    }
    if !run.load_before.is_empty() {
        facts.push(vec![
            "Load average before the run (1, 5, 15 min)".to_owned(),
            run.load_before.clone(),
        ]);
    }
    table(&mut out, &["".to_owned(), "".to_owned()], &facts);

    out.push_str("\n## Ratios\n\n");
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            vec![
                format!("[{}](#{})", r.name, r.name),
                ratio(r.ratio.value),
                r.ratio.what.clone(),
            ]
        })
        .collect();
    table(
        &mut out,
        &["benchmark".into(), "ratio".into(), "of".into()],
        &rows,
    );

    for r in results {
        let _ = write!(
            out,
            "\n## {}\n\n**{}**\n\n{}\n\n",
            r.name, r.title, r.summary
        );
        let _ = write!(
            out,
            "Ratio: **{}**, {}.\n\nRun alone: `{}` ({}).\n",
            ratio(r.ratio.value),
            r.ratio.what,
            r.command,
            seconds(r.seconds)
        );
        for p in &r.plots {
            let _ = write!(out, "\n![{}]({plots_dir}/{}.svg)\n", p.title, p.id);
        }
        for Table {
            caption,
            columns,
            rows,
        } in &r.tables
        {
            let _ = write!(out, "\n{caption}:\n\n");
            table(&mut out, columns, rows);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_holds_the_machine_the_ratios_and_the_plots() {
        let result = BenchResult::parse(&crate::result::tests::sample().to_string()).unwrap();
        let run = Run {
            quick: true,
            command: "scripts/bench.sh --quick".into(),
            seconds: 42,
            rustc: "rustc 1.90.0".into(),
            ..Run::default()
        };
        let machine = Machine {
            nproc: 2,
            cpu_model: Some("Some CPU".into()),
            mem_total_kib: Some(24 * 1024 * 1024),
            kernel: None,
        };
        let text = render(&run, &machine, &[result], "benchmarks");
        for expected in [
            "Produced by `scripts/bench.sh --quick` (quick",
            "ran for 42 s after building",
            "| CPUs (`nproc`) | 2 |",
            "| CPU model | Some CPU |",
            "| RAM | 24.0 GiB |",
            "| Compiler | rustc 1.90.0 |",
            "| [epoch](#epoch) | 120 | dense / sparse |",
            "![P](benchmarks/epoch-by-n.svg)",
            "| a | b |\n| --- | --- |\n| 1 | 2 |",
            "Run alone: `cargo bench --bench epoch` (2 s)",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
    }

    #[test]
    fn ratios_keep_three_significant_digits_or_more() {
        assert_eq!(ratio(1234.4), "1234");
        assert_eq!(ratio(12.34), "12.3");
        assert_eq!(ratio(1.234), "1.23");
    }

    #[test]
    fn pipes_in_cells_are_escaped() {
        let mut out = String::new();
        table(&mut out, &["a|b".into()], &[vec!["x|y".into()]]);
        assert_eq!(out, "| a\\|b |\n| --- |\n| x\\|y |\n");
    }
}
