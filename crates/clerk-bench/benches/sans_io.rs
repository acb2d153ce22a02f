//! clerk-core's sans-IO functions beside hand-written baselines, in the same
//! run (criterion).
//!
//! Groups (each `clerk-core` beside `baseline`):
//!
//! - `build_create`: `request::create_sign_in_token` vs `http::Request::builder`
//!   with the same five headers and `serde_json::to_vec` of a derived struct.
//! - `build_revoke`: `request::revoke_sign_in_token` vs the same by hand.
//! - `parse_token`: `response::sign_in_token` on the spec's `pending` 200 vs
//!   `serde_json::from_slice` into a derived struct.
//! - `parse_422`: `response::sign_in_token` on the spec's 422
//!   `form_param_missing` vs `from_slice` into derived error structs.
//! - `create_round`: build a create request and parse a 200, vs the two
//!   baselines together.
//!
//! `cargo bench -p clerk-bench --bench sans_io` pins itself to core 1 and,
//! after criterion's own report, prints two summaries:
//!
//! - `paired`: clerk-core and the baseline timed in alternating batches of
//!   about 250 µs, 4,000 pairs per group: each side's median time per call
//!   and the median of the per-pair ratios. On a shared or virtual machine
//!   whose speed drifts over seconds this is the figure to trust: both sides
//!   of a pair run within half a millisecond of each other.
//! - `medians`: criterion's median point estimates and their ratio. Criterion
//!   measures one side for 4 s, then the other, so a drift between the two
//!   shows up in this ratio.
//!
//! Under `cargo test --benches` every bench runs once.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clerk_bench::{baseline, fixtures, load, pin};
use clerk_core::{request, response};
use criterion::Criterion;

/// The five comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    BuildCreate,
    BuildRevoke,
    ParseToken,
    Parse422,
    CreateRound,
}

const GROUPS: [Group; 5] = [
    Group::BuildCreate,
    Group::BuildRevoke,
    Group::ParseToken,
    Group::Parse422,
    Group::CreateRound,
];

impl Group {
    fn name(self) -> &'static str {
        match self {
            Self::BuildCreate => "build_create",
            Self::BuildRevoke => "build_revoke",
            Self::ParseToken => "parse_token",
            Self::Parse422 => "parse_422",
            Self::CreateRound => "create_round",
        }
    }
}

/// clerk-core, or the hand-written baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    ClerkCore,
    Baseline,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::ClerkCore => "clerk-core",
            Self::Baseline => "baseline",
        }
    }
}

/// The inputs, made once.
struct Inputs {
    config: clerk_core::Config,
    input: clerk_core::CreateSignInTokenRequest,
    hand: baseline::HandBuilt,
    pending: http::Response<bytes::Bytes>,
    unprocessable: http::Response<bytes::Bytes>,
}

impl Inputs {
    fn new() -> Self {
        let config = fixtures::config();
        Self {
            hand: baseline::HandBuilt::new(&config),
            config,
            input: fixtures::create_input(),
            pending: fixtures::pending_response(),
            unprocessable: fixtures::form_param_missing_response(),
        }
    }

    /// One call of `side` in `group`.
    fn run(&self, group: Group, side: Side) {
        match (group, side) {
            (Group::BuildCreate, Side::ClerkCore) => drop(black_box(
                request::create_sign_in_token(black_box(&self.config), black_box(&self.input)),
            )),
            (Group::BuildCreate, Side::Baseline) => {
                drop(black_box(self.hand.create(black_box(fixtures::USER_ID))))
            }
            (Group::BuildRevoke, Side::ClerkCore) => {
                drop(black_box(request::revoke_sign_in_token(
                    black_box(&self.config),
                    black_box(fixtures::TOKEN_ID),
                )))
            }
            (Group::BuildRevoke, Side::Baseline) => {
                drop(black_box(self.hand.revoke(black_box(fixtures::TOKEN_ID))))
            }
            (Group::ParseToken, Side::ClerkCore) => {
                drop(black_box(response::sign_in_token(black_box(&self.pending))))
            }
            (Group::ParseToken, Side::Baseline) => drop(black_box(baseline::parse_token(
                black_box(self.pending.body()),
            ))),
            (Group::Parse422, Side::ClerkCore) => drop(black_box(response::sign_in_token(
                black_box(&self.unprocessable),
            ))),
            (Group::Parse422, Side::Baseline) => drop(black_box(baseline::parse_errors(
                black_box(self.unprocessable.body()),
            ))),
            (Group::CreateRound, Side::ClerkCore) => {
                self.run(Group::BuildCreate, Side::ClerkCore);
                self.run(Group::ParseToken, Side::ClerkCore);
            }
            (Group::CreateRound, Side::Baseline) => {
                self.run(Group::BuildCreate, Side::Baseline);
                self.run(Group::ParseToken, Side::Baseline);
            }
        }
    }
}

fn benches(c: &mut Criterion, inputs: &Inputs) {
    for group in GROUPS {
        let mut g = c.benchmark_group(group.name());
        for side in [Side::ClerkCore, Side::Baseline] {
            g.bench_function(side.name(), |b| b.iter(|| inputs.run(group, side)));
        }
        g.finish();
    }
}

/// Nanoseconds for `calls` calls of `side` in `group`.
fn time(inputs: &Inputs, group: Group, side: Side, calls: u64) -> f64 {
    let started = Instant::now();
    for _ in 0..calls {
        inputs.run(group, side);
    }
    started.elapsed().as_nanos() as f64
}

fn percentile(sorted: &[f64], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// The drift-proof comparison: clerk-core and the baseline timed in
/// alternating batches of about 250 µs (a, b, b, a, a, b, …), so a slow
/// spell of the machine hits both alike. Prints each side's median time per
/// call and the median (and quartiles) of the per-pair ratio.
fn paired(inputs: &Inputs, pairs: usize) {
    println!();
    println!(
        "paired: clerk-core and baseline in alternating batches of ~250 µs, {pairs} pairs per group"
    );
    println!(
        "{:<14} {:>12} {:>12} {:>7} {:>15}",
        "group", "clerk-core", "baseline", "ratio", "ratio p25-p75"
    );
    for group in GROUPS {
        let mut calls = 1u64;
        while time(inputs, group, Side::ClerkCore, calls) < 250_000.0 && calls < 1 << 20 {
            calls *= 2;
        }
        let mut core = Vec::with_capacity(pairs);
        let mut base = Vec::with_capacity(pairs);
        let mut ratio = Vec::with_capacity(pairs);
        for i in 0..pairs {
            let (a, b) = if i % 2 == 0 {
                let a = time(inputs, group, Side::ClerkCore, calls);
                (a, time(inputs, group, Side::Baseline, calls))
            } else {
                let b = time(inputs, group, Side::Baseline, calls);
                (time(inputs, group, Side::ClerkCore, calls), b)
            };
            core.push(a / calls as f64);
            base.push(b / calls as f64);
            ratio.push(a / b);
        }
        for v in [&mut core, &mut base, &mut ratio] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "{:<14} {:>9.1} ns {:>9.1} ns {:>6.2}x {:>7.2}-{:.2}x",
            group.name(),
            percentile(&core, 50),
            percentile(&base, 50),
            percentile(&ratio, 50),
            percentile(&ratio, 25),
            percentile(&ratio, 75)
        );
    }
}

/// `$CARGO_TARGET_DIR` or the `target` directory the bench binary was built
/// in (the nearest ancestor holding cargo's `CACHEDIR.TAG`).
fn target_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(PathBuf::from)
}

/// Criterion's median point estimate for `group/function`, in nanoseconds.
fn median_ns(root: &std::path::Path, group: &str, function: &str) -> Option<f64> {
    let path = root.join(group).join(function).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn print_medians(root: &std::path::Path) {
    println!();
    println!("medians (criterion point estimates; ratio = clerk-core / baseline)");
    println!(
        "{:<14} {:>12} {:>12} {:>7}",
        "group", "clerk-core", "baseline", "ratio"
    );
    for group in GROUPS.map(Group::name) {
        match (
            median_ns(root, group, "clerk-core"),
            median_ns(root, group, "baseline"),
        ) {
            (Some(core), Some(base)) => println!(
                "{group:<14} {:>9.1} ns {:>9.1} ns {:>6.2}x",
                core,
                base,
                core / base
            ),
            _ => println!("{group:<14} (no estimates under {})", root.display()),
        }
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    if benching {
        pin::pin_self(pin::CLIENT_CORE);
    }
    let root = target_dir().map(|t| t.join("criterion"));
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    if let Some(root) = &root {
        c = c.output_directory(root);
    }
    let mut c = c.configure_from_args();
    let started = Instant::now();
    let busy_before = load::machine_busy_ns();
    let ours_before = load::CpuTime::this_thread();
    let inputs = Inputs::new();
    benches(&mut c, &inputs);
    c.final_summary();
    paired(&inputs, if benching { 4000 } else { 2 });
    if let (true, Some(root)) = (benching, root) {
        print_medians(&root);
        if let (Some(b0), Some(b1), Some(o0), Some(o1)) = (
            busy_before,
            load::machine_busy_ns(),
            ours_before,
            load::CpuTime::this_thread(),
        ) {
            let others = b1
                .saturating_sub(b0)
                .saturating_sub(o1.running_ns - o0.running_ns);
            println!(
                "other processes used {:.0}% of a core during the run (/proc/stat)",
                others as f64 / started.elapsed().as_nanos() as f64 * 100.0
            );
        }
    }
}
