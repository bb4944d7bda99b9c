//! The reference documents cannot drift from what the binary and the server are: every command and flag of
//! the binary's own help is in `docs/cli.md`, every operation of the API's own OpenAPI document is in
//! `docs/api.md`, the README stays a guide (short, linking into `docs/`), and every relative link of the
//! README and the docs points at a file that exists.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The help of `moneytrail ARGS… --help`.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail")).args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help text lists under `Commands:` (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    text.split("Commands:")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .skip(1)
                .take_while(|l| l.starts_with("  "))
                .filter_map(|l| l.split_whitespace().next())
                .filter(|c| *c != "help")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The long flags a help text lists under `Options:`.
fn flags(text: &str) -> BTreeSet<String> {
    let options = text.split("Options:").nth(1).unwrap_or("");
    // An option's line starts with it (`  -h, --help`, `      --db <DIR>`); its help text may name others.
    options
        .lines()
        .filter(|l| l.trim_start().starts_with('-'))
        .filter_map(|l| l.split(|c: char| c.is_whitespace() || c == ',' || c == '=').find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '-').to_string())
        .filter(|f| f != "--help" && f != "--version")
        .collect()
}

#[test]
fn every_command_and_flag_is_in_the_cli_reference() {
    let doc = read("docs/cli.md");
    let mut missing = Vec::new();
    let mut stack: Vec<Vec<String>> = subcommands(&help(&[])).into_iter().map(|c| vec![c]).collect();
    let mut seen = 0;
    while let Some(path) = stack.pop() {
        seen += 1;
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let name = format!("moneytrail {}", path.join(" "));
        if !doc.contains(&name) {
            missing.push(format!("command `{name}`"));
        }
        let subs = subcommands(&text);
        if subs.is_empty() {
            for f in flags(&text) {
                if !doc.contains(&f) {
                    missing.push(format!("`{name} {f}`"));
                }
            }
        }
        stack.extend(subs.into_iter().map(|s| [path.clone(), vec![s]].concat()));
    }
    assert!(seen >= 30, "found {seen} commands: has the help format changed?");
    assert!(missing.is_empty(), "docs/cli.md does not document:\n{}", missing.join("\n"));
}

#[test]
fn every_api_operation_is_in_the_api_reference() {
    let doc = read("docs/api.md");
    let openapi = moneytrail::server::openapi_document();
    let mut missing = Vec::new();
    let mut ops = 0;
    for (path, item) in &openapi.paths.paths {
        for (method, op) in [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete)] {
            if op.is_some() {
                ops += 1;
                if !doc.contains(&format!("{method} {path}")) && !doc.contains(&format!("`{method}` `{path}`")) {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
    }
    assert!(ops >= 30, "found {ops} operations");
    assert!(missing.is_empty(), "docs/api.md does not document:\n{}", missing.join("\n"));
}

/// The README is the guide (what it is, the two commands, a tour, links), not the reference.
#[test]
fn the_readme_is_a_guide_that_links_into_the_docs() {
    let readme = read("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 320, "README.md has {lines} lines: reference material belongs in docs/");
    for doc in ["docs/cli.md", "docs/api.md", "docs/methods.md", "docs/operations.md", "docs/performance.md"] {
        assert!(readme.contains(doc), "README.md links {doc}");
    }
    for command in ["make demo", "make test", "token new"] {
        assert!(readme.contains(command), "README.md shows `{command}`");
    }
}

/// Relative links of the README, ARCHITECTURE.md and docs/ point at files that exist (anchors aside).
#[test]
fn relative_links_point_at_files_that_exist() {
    let mut files = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            files.push(format!("docs/{name}"));
        }
    }
    let mut broken = Vec::new();
    for file in &files {
        let text = read(file);
        let dir = Path::new(file).parent().unwrap_or(Path::new(""));
        for (at, _) in text.match_indices("](") {
            let target: String = text[at + 2..].chars().take_while(|c| *c != ')').collect();
            let path = target.split('#').next().unwrap_or("");
            if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                continue;
            }
            if !root().join(dir).join(path).exists() {
                broken.push(format!("{file}: {target}"));
            }
        }
    }
    assert!(broken.is_empty(), "links to files that do not exist:\n{}", broken.join("\n"));
}

/// The README's tour, run as a new user would type it (steps 1–7, and the token of step 8; the server's
/// block is left out: it would hold a port): every command succeeds (or ends with exit code 3, rows refused).
#[test]
fn the_readme_tour_runs() {
    let readme = read("README.md");
    let tour = readme.split("## A ten-minute tour").nth(1).expect("the tour").split("\n## ").next().unwrap_or("");
    let blocks: Vec<&str> = tour.split("```sh\n").skip(1).filter_map(|b| b.split("\n```").next()).collect();
    assert!(blocks.len() >= 8, "found {} blocks", blocks.len());
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("datasets"), dir.path().join("datasets")).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_moneytrail")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for block in blocks.iter().filter(|b| !b.contains("make build") && !b.contains(" serve ")) {
        let script = format!("set -e\nmkdir -p target/tour\n{block}\n");
        let out =
            Command::new("bash").arg("-c").arg(&script).current_dir(dir.path()).env("PATH", &path).output().unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 3)),
            "README tour block failed ({code:?}):\n{block}\n--- stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 7, "ran {ran} blocks");
}
