//! `clerk-sign-in-tokens`: see `--help`, or the `clerk_cli` library docs.

fn main() -> std::process::ExitCode {
    clerk_cli::run(std::env::args_os()).into()
}
