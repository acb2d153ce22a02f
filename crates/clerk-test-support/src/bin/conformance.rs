//! The conformance suite's command line.
//!
//! ```text
//! conformance serve           starts every case's server; prints one JSON line
//!                             {"admin": ORIGIN, "urls": {CASE: BASE_URL}};
//!                             serves until stdin closes
//! conformance matrix DIR      judges the observations in DIR/*.jsonl against
//!                             the table, prints the matrix (case × transport),
//!                             exits 1 on any failed or missing cell
//! ```

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clerk_test_support::conformance::{Servers, Table, matrix, server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let table = Table::load();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let servers = Arc::new(Servers::start(&table));
            let admin = server::serve_admin(Arc::clone(&servers));
            let line = serde_json::json!({ "admin": admin, "urls": servers.urls() });
            println!("{line}");
            // Until whoever started us closes our stdin (or kills us).
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            ExitCode::SUCCESS
        }
        Some("matrix") => {
            let Some(dir) = args.get(1) else {
                eprintln!("usage: conformance matrix DIR");
                return ExitCode::from(2);
            };
            let observations = match matrix::read_observations(std::path::Path::new(dir)) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("conformance: {e}");
                    return ExitCode::from(2);
                }
            };
            let (text, red) = matrix::render(&table, &observations);
            print!("{text}");
            if red {
                println!("\nconformance: FAILED (a red cell above)");
                ExitCode::FAILURE
            } else {
                println!("\nconformance: every cell is green");
                ExitCode::SUCCESS
            }
        }
        _ => {
            eprintln!("usage: conformance serve | conformance matrix DIR");
            ExitCode::from(2)
        }
    }
}
