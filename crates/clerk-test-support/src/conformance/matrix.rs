//! The matrix: case × transport, from the observations every runner wrote.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::cases::Table;
use super::judge::{Cell, Observation, cell};

/// Reads every `*.jsonl` file in `dir` (one [`Observation`] a line).
pub fn read_observations(dir: &std::path::Path) -> std::io::Result<Vec<Observation>> {
    let mut all = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let o: Observation = serde_json::from_str(line)
                .map_err(|e| std::io::Error::other(format!("{}:{}: {e}", file.display(), i + 1)))?;
            all.push(o);
        }
    }
    Ok(all)
}

/// The matrix as text, and whether any cell is red (a failure, or a cell no
/// runner reported).
pub fn render(table: &Table, observations: &[Observation]) -> (String, bool) {
    let mut by_cell: BTreeMap<(&str, &str), &Observation> = BTreeMap::new();
    for o in observations {
        // The last report of a cell wins (a runner that ran twice).
        by_cell.insert((o.case.as_str(), o.transport.as_str()), o);
    }
    let transports: Vec<&str> = table.transports.keys().map(String::as_str).collect();
    let width = table.cases.iter().map(|c| c.name.len()).max().unwrap_or(4);
    let mut out = String::new();
    let mut red = false;
    let _ = write!(out, "{:width$}", "case");
    for t in &transports {
        let _ = write!(out, " | {t:^16}");
    }
    out.push('\n');
    let _ = writeln!(out, "{}", "-".repeat(width + transports.len() * 19));
    let mut notes = Vec::new();
    for case in &table.cases {
        let _ = write!(out, "{:width$}", case.name);
        for t in &transports {
            let verdict = cell(table, case, by_cell.get(&(case.name.as_str(), *t)).copied());
            red |= verdict.is_red();
            let shown = match &verdict {
                Cell::Pass => "pass".to_owned(),
                Cell::NotApplicable(_) => "n/a".to_owned(),
                Cell::Fail(problems) => {
                    notes.push(format!("FAIL {} × {t}: {}", case.name, problems.join("; ")));
                    "FAIL".to_owned()
                }
                Cell::Missing => {
                    notes.push(format!(
                        "MISSING {} × {t}: no runner reported it",
                        case.name
                    ));
                    "MISSING".to_owned()
                }
            };
            let _ = write!(out, " | {shown:^16}");
        }
        out.push('\n');
    }
    out.push('\n');
    for t in &transports {
        let _ = writeln!(out, "{t}: {}", table.transports[*t]);
    }
    out.push('\n');
    for case in &table.cases {
        for (t, reason) in &case.na {
            let _ = writeln!(out, "n/a {} × {t}: {reason}", case.name);
        }
    }
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            out.push_str(&note);
            out.push('\n');
        }
    }
    (out, red)
}
