//! No second TLS stack: what clerk-reqwest adds to a dependency tree, read
//! from `cargo tree`.
//!
//! - `a_service_on_reqwest_with_rustls_gets_no_second_tls_stack`: the
//!   stand-in service in `tls-check/` (reqwest with its default TLS, rustls
//!   on aws-lc-rs) resolved without and with clerk-reqwest. The crates
//!   clerk-reqwest adds must hold no TLS, crypto or HTTP crate, and the tree
//!   must keep one version of each such crate and aws-lc-rs as its only
//!   crypto provider.
//! - `without_default_features_it_brings_no_tls`: clerk-reqwest with
//!   `default-features = false` has no TLS crate at all, so a reqwest on
//!   native-tls, or on rustls with another provider, stays alone.
//!
//! Both resolve against the workspace's `Cargo.lock`, offline: every crate
//! they name is one the workspace's own build has fetched.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `(name, version)` of every crate in a tree.
type Tree = BTreeSet<(String, String)>;

/// Crates that are, or carry, a TLS stack, a crypto provider or an HTTP
/// client stack.
fn is_stack(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "ring",
        "aws-lc-rs",
        "aws-lc-sys",
        "aws-lc-fips-sys",
        "native-tls",
        "openssl",
        "openssl-sys",
        "schannel",
        "security-framework",
        "webpki-roots",
        "webpki-root-certs",
        "h2",
        "h3",
        "quinn",
        "reqwest",
        "clerk-hyper",
    ];
    EXACT.contains(&name)
        || ["rustls", "hyper", "tokio-rustls", "tokio-native-tls"]
            .iter()
            .any(|prefix| name == *prefix || name.starts_with(&format!("{prefix}-")))
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_dir() -> PathBuf {
    crate_dir()
        .parent()
        .and_then(Path::parent)
        .expect("crates/clerk-reqwest sits two levels below the workspace")
        .to_path_buf()
}

/// `cargo tree` of the normal dependencies, for this machine's target.
fn tree(manifest: &Path, args: &[&str]) -> Tree {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .arg("--manifest-path")
        .arg(manifest)
        .args(args)
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    let tree: Tree = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect();
    assert!(!tree.is_empty(), "cargo tree {args:?} printed nothing");
    tree
}

fn names(tree: &Tree) -> BTreeSet<&str> {
    tree.iter().map(|(name, _)| name.as_str()).collect()
}

fn versions<'a>(tree: &'a Tree, name: &str) -> Vec<&'a str> {
    tree.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A copy of `tls-check/` out of the source tree, its paths made absolute,
/// with the workspace's lock; removed when dropped.
struct StandIn {
    dir: PathBuf,
}

impl StandIn {
    fn copy() -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("clerk-reqwest-tls-check-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).expect("create the stand-in's directory");
        let template = fs::read_to_string(crate_dir().join("tls-check/Cargo.toml"))
            .expect("read tls-check/Cargo.toml");
        let absolute = |path: PathBuf| format!("path = '{}'", path.display());
        let manifest = template
            .replacen(
                r#"path = "../../clerk-core""#,
                &absolute(workspace_dir().join("crates/clerk-core")),
                1,
            )
            .replacen(r#"path = "..""#, &absolute(crate_dir()), 1);
        assert!(
            !manifest.contains(r#"path = ""#),
            "a relative path is left in the stand-in:\n{manifest}"
        );
        fs::write(dir.join("Cargo.toml"), manifest).expect("write the stand-in's manifest");
        fs::copy(
            crate_dir().join("tls-check/src/main.rs"),
            dir.join("src/main.rs"),
        )
        .expect("copy the stand-in's main.rs");
        fs::copy(workspace_dir().join("Cargo.lock"), dir.join("Cargo.lock"))
            .expect("copy the workspace's Cargo.lock");
        Self { dir }
    }

    fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_service_on_reqwest_with_rustls_gets_no_second_tls_stack() {
    let stand_in = StandIn::copy();
    let before = tree(&stand_in.manifest(), &[]);
    let after = tree(&stand_in.manifest(), &["--features", "with-clerk"]);
    let added: Vec<_> = after.difference(&before).collect();
    // Visible with --nocapture.
    eprintln!("crates clerk-reqwest adds to a service on reqwest with rustls: {added:?}");

    let names_added: BTreeSet<&str> = added.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        names_added.contains("clerk-reqwest") && names_added.contains("clerk-core"),
        "the feature did not bring clerk-reqwest in: {added:?}"
    );
    let stack: Vec<_> = added.iter().filter(|(name, _)| is_stack(name)).collect();
    assert!(
        stack.is_empty(),
        "clerk-reqwest adds TLS, crypto or HTTP crates: {stack:?}"
    );
    for name in names(&after).into_iter().filter(|name| is_stack(name)) {
        let found = versions(&after, name);
        assert_eq!(found.len(), 1, "{name} appears at {found:?}");
    }
    let providers: Vec<&str> = names(&after)
        .into_iter()
        .filter(|name| ["ring", "aws-lc-rs"].contains(name))
        .collect();
    assert_eq!(providers, ["aws-lc-rs"], "the crypto providers");
    for absent in ["native-tls", "openssl", "clerk-hyper"] {
        assert!(!names(&after).contains(absent), "{absent} is in the tree");
    }
}

#[test]
fn without_default_features_it_brings_no_tls() {
    let tree = tree(
        &workspace_dir().join("Cargo.toml"),
        &["--locked", "-p", "clerk-reqwest", "--no-default-features"],
    );
    assert!(names(&tree).contains("reqwest"), "{tree:?}");
    let tls: Vec<_> = names(&tree)
        .into_iter()
        .filter(|name| is_stack(name) && !["reqwest", "hyper", "hyper-util", "h2"].contains(name))
        .collect();
    assert!(
        tls.is_empty(),
        "TLS or crypto crates without default features: {tls:?}"
    );
}
