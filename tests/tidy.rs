//! Tidy checks (in the spirit of rust-analyzer's): the layering rules of ARCHITECTURE.md, read off the source
//! so they hold by construction rather than by memory. Each rule names the invariant it keeps; a failure
//! lists every file and line that breaks it.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, as (path relative to `src/`, text).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src/ is readable") {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).expect("under src/").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("a source file is UTF-8"))
        })
        .collect()
}

/// Whether `needle` occurs in `code` at `at` as a whole word (not part of a longer identifier).
fn word_at(code: &str, at: usize, needle: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code[..at].chars().next_back().is_none_or(|c| !ident(c))
        && code[at + needle.len()..].chars().next().is_none_or(|c| !ident(c))
}

/// Lines of code (comments stripped) that use the crate or module `needle`: as a path (`needle::…`), or
/// named in a `use` declaration (`use crate::keys;`, `use crate::{keys, model}`).
fn uses(text: &str, needle: &str) -> Vec<(usize, String)> {
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let trimmed = code.trim_start();
        let is_use =
            trimmed.starts_with("use ") || trimmed.starts_with("pub use ") || trimmed.starts_with("pub(crate) use ");
        let mentions = code
            .match_indices(needle)
            .any(|(at, _)| word_at(code, at, needle) && (code[at + needle.len()..].starts_with("::") || is_use));
        if mentions {
            hits.push((i + 1, line.trim().to_string()));
        }
    }
    hits
}

/// Fails with every (file, line) where a file for which `applies` holds uses one of `crates`.
fn forbid(rule: &str, crates: &[&str], applies: impl Fn(&str) -> bool) {
    let mut bad = Vec::new();
    for (path, text) in sources() {
        if !applies(&path) {
            continue;
        }
        for c in crates {
            for (line, code) in uses(&text, c) {
                bad.push(format!("src/{path}:{line}: {code}"));
            }
        }
    }
    assert!(bad.is_empty(), "{rule}\n{}", bad.join("\n"));
}

fn under(path: &str, dir: &str) -> bool {
    path.starts_with(dir)
}

#[test]
fn only_the_store_knows_rocksdb() {
    forbid("Only src/store/ may use RocksDB:", &["rocksdb"], |p| !under(p, "store/"));
}

/// Use cases write only through the desk (`app/desk.rs`), whose `write` runs the after-commit step
/// (caches dropped, new transfers and newly known accounts checked for warnings) on every write: nothing
/// else above the store may hold the store itself. The ingest pipeline is below the desk (it is what
/// `Tx::ingest` runs).
#[test]
fn only_the_desk_holds_the_store() {
    let mut bad = Vec::new();
    for (path, text) in sources() {
        if under(&path, "store/") || under(&path, "ingest/") || path == "app/desk.rs" {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.match_indices("TransferStore").any(|(at, _)| word_at(code, at, "TransferStore")) {
                bad.push(format!("src/{path}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(bad.is_empty(), "only src/app/desk.rs holds the store (write through Desk::write):\n{}", bad.join("\n"));
}

#[test]
fn only_the_server_knows_http() {
    forbid(
        "Only src/server/ may use HTTP crates (axum, tower, hyper, http-body-util, utoipa-axum):",
        &["axum", "tower", "tower_http", "hyper", "http_body_util", "utoipa_axum"],
        |p| !under(p, "server/"),
    );
}

/// Analysis: functions of the `TransferGraph` and of what they are given (which of our modules each may use
/// is the layer table's; see `every_module_uses_only_what_its_layer_allows`).
const ANALYSIS: [&str; 10] = [
    "trace/",
    "freeze.rs",
    "cases.rs",
    "link.rs",
    "rings/",
    "warnings.rs",
    "watch.rs",
    "flowchart.rs",
    "graph.rs",
    "finbench/",
];

/// Scoring against a generated world's truth lives in `src/eval/` and only the binary's `eval` commands
/// call it: no use case or analysis depends on a world's truth.
#[test]
fn only_the_binary_calls_the_evaluation() {
    forbid("src/eval/ is called by the binary (main.rs, cli/) only:", &["eval"], |p| {
        p != "main.rs" && !under(p, "cli/") && !under(p, "eval/")
    });
}

/// Analysis is a function of the graph and what it is given; the use cases take what front ends read.
/// Files are read and written by the input and output layers (`ingest/`, `statements/`, `batch/`, the
/// store), the evaluation and the binary.
#[test]
fn analysis_and_use_cases_touch_no_files() {
    let mut bad = Vec::new();
    for (path, text) in sources() {
        let applies = under(&path, "app/") || (ANALYSIS.iter().any(|a| under(&path, a)) && !under(&path, "finbench/"));
        if !applies {
            continue;
        }
        // Unit tests may write fixtures to temporary directories.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            let line_code = line.split("//").next().unwrap_or("");
            for needle in ["std::fs", "fs::", "File::", "from_path", "read_to_string", "read_dir", "tempfile"] {
                if line_code.contains(needle) {
                    bad.push(format!("src/{path}:{}: {} (uses {needle})", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "analysis and use cases read and write no files:\n{}", bad.join("\n"));
}

#[test]
fn anyhow_only_at_the_edge() {
    forbid(
        "anyhow is for the binary's edge (main.rs, cli/) only; the library returns thiserror enums:",
        &["anyhow"],
        |p| p != "main.rs" && !under(p, "cli/"),
    );
}

/// Front ends parse, call a use case, render. The analysis entry points and the store's writes are the
/// use-case layer's to call, so a feature is written once.
#[test]
fn front_ends_call_use_cases_not_analysis() {
    let entry_points = [
        "trace_downstream",
        "propose_freezes",
        "resolve_seeds",
        "detect_rings",
        "link::link",
        "watch::check",
        "place_stop",
        "renew_stop",
        "release_stop",
        "put_case",
        "add_warnings",
        "ack_warning",
        "stopped_at",
        "all_stops",
        "begin_ingest",
        "load_snapshot",
        "parse_params_file",
    ];
    let mut bad = Vec::new();
    for (path, text) in sources() {
        if !(path == "main.rs" || under(&path, "cli/") || under(&path, "server/")) {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for e in entry_points {
                for (at, _) in code.match_indices(e) {
                    if !word_at(code, at, e) || !code[at + e.len()..].starts_with('(') {
                        continue;
                    }
                    let before = &code[..at];
                    // A handler of the same name (`fn place_stop(`), or the use case itself (`app::…::eval_trace(`).
                    let path_before: String =
                        before.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                    if before.trim_end().ends_with("fn")
                        || path_before.chars().rev().collect::<String>().starts_with("app::")
                    {
                        continue;
                    }
                    bad.push(format!("src/{path}:{}: {} (calls {e})", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "front ends must go through src/app/:\n{}", bad.join("\n"));
}

/// The router registers API routes with `routes!` (router and document in one step); bare `.route(` is
/// only for what is not the API: the web view's files and the document itself.
#[test]
fn every_api_route_is_registered_with_its_documentation() {
    let text = sources().into_iter().find(|(p, _)| p == "server/mod.rs").expect("server/mod.rs").1;
    let allowed = ["\"/openapi.json\"", "\"/\"", "\"/viz\"", "\"/viz/\"", "\"/viz/{file}\""];
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices(".route(") {
            let arg = line[at + ".route(".len()..].split(',').next().unwrap_or("").trim().to_string();
            if !allowed.contains(&arg.as_str()) {
                bad.push(format!("src/server/mod.rs:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "API routes must be registered with routes!(…) so they are documented:\n{}",
        bad.join("\n")
    );
}

/// Files whose module is declared under `#[cfg(test)]` (`mod tests;`, `mod reference;`): test code.
fn test_only_files(files: &[(String, String)]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for (path, text) in files {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for w in lines.windows(2) {
            let decl = w[1].strip_prefix("pub ").unwrap_or(w[1]);
            let Some(name) = decl.strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) else { continue };
            if w[0] != "#[cfg(test)]" {
                continue;
            }
            // `a/mod.rs` and `lib.rs` hold their children beside them; `a/b.rs` holds them in `a/b/`.
            let dir = match path.rsplit_once('/') {
                _ if path == "lib.rs" => String::new(),
                Some((dir, "mod.rs")) => format!("{dir}/"),
                Some((dir, file)) => format!("{dir}/{}/", file.trim_end_matches(".rs")),
                None => format!("{}/", path.trim_end_matches(".rs")),
            };
            out.insert(format!("{dir}{name}.rs"));
        }
    }
    out
}

/// A file's code without its unit tests: up to a `#[cfg(test)]` module with a body (`mod tests {`), which
/// by convention comes last. (A `#[cfg(test)] mod tests;` declaration names a file of its own.)
fn without_tests(text: &str) -> &str {
    let mut at = 0;
    while let Some(i) = text[at..].find("#[cfg(test)]\nmod ") {
        let start = at + i;
        let rest = &text[start + "#[cfg(test)]\nmod ".len()..];
        let head = rest.split('\n').next().unwrap_or("");
        if head.trim_end().ends_with('{') {
            return &text[..start];
        }
        at = start + 1;
    }
    text
}

/// Names of constants that are a time, an amount, a share or a weight.
const THRESHOLD_SUFFIXES: [&str; 13] = [
    "_MS",
    "_FEN",
    "_YUAN",
    "_SECS",
    "_SECONDS",
    "_MINUTES",
    "_HOURS",
    "_DAYS",
    "_SHARE",
    "_WEIGHT",
    "_WEIGHTS",
    "_THRESHOLD",
    "_WINDOW",
];

/// Literals that are a unit of time in milliseconds (or a day in seconds) written out: a window typed
/// where it is used instead of named in `policy.rs` (or the unit from `timefmt`).
const TIME_LITERALS: [&str; 7] = ["60_000", "3_600_000", "86_400_000", "60000", "3600000", "86400000", "86_400"];

/// Constants of that kind allowed outside `policy.rs`, each with why it is not a decision about fraud.
const NOT_POLICY: [(&str, &str, &str); 7] = [
    ("store/writer.rs", "SST_THRESHOLD", "a storage choice: chunks this large are written as sorted SST files"),
    ("server/mod.rs", "REQUEST_TIMEOUT", "an operations default, overridden by the server config"),
    ("server/auth.rs", "FAILURE_WINDOW", "the rate limit of failed authentications (operations)"),
    ("server/webhooks.rs", "FIRST_RETRY", "webhook delivery mechanics"),
    ("server/webhooks.rs", "ATTEMPT_TIMEOUT", "webhook delivery mechanics"),
    ("money.rs", "MAX_AMOUNT_FEN", "the largest amount the parser accepts: a bound of the representation"),
    ("app/stops.rs", "MAX_EXPIRING_WITHIN_HOURS", "a bound on a list request's look-ahead"),
];

/// Every threshold, window and weight lives in `policy.rs` with its reason: a constant named for a time,
/// amount, share or weight, or a written-out time unit, anywhere else is flagged unless `NOT_POLICY` says
/// why it is not a decision about fraud. Units live in `timefmt.rs`; the generator's habits in `gen/` are
/// the simulated world's, not the engine's.
#[test]
fn thresholds_live_in_policy() {
    let files = sources();
    let tests = test_only_files(&files);
    let mut bad = Vec::new();
    for (path, text) in &files {
        if path == "policy.rs" || path == "timefmt.rs" || under(path, "gen/") || tests.contains(path) {
            continue;
        }
        bad.extend(threshold_hits(path, without_tests(text)));
    }
    assert!(bad.is_empty(), "thresholds, windows and weights belong in policy.rs:\n{}", bad.join("\n"));
}

/// The lines of `code` (file `path`) that `thresholds_live_in_policy` flags.
fn threshold_hits(path: &str, code: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let trimmed = code.trim_start();
        let decl = ["pub const ", "pub(crate) const ", "pub(super) const ", "const "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p));
        if let Some(decl) = decl {
            let name = decl.split(':').next().unwrap_or("").trim();
            let ty = decl.split(':').nth(1).unwrap_or("").split('=').next().unwrap_or("");
            let named = THRESHOLD_SUFFIXES.iter().any(|s| name.ends_with(s)) || ty.contains("Duration");
            if named && !NOT_POLICY.iter().any(|(f, n, _)| *f == path && *n == name) {
                bad.push(format!("src/{path}:{}: {} (a threshold outside policy.rs)", i + 1, line.trim()));
                continue;
            }
        }
        for lit in TIME_LITERALS {
            let hit = code.match_indices(lit).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                let after = code[at + lit.len()..].chars().next();
                before.is_none_or(|c| !c.is_ascii_digit() && c != '_')
                    && after.is_none_or(|c| !c.is_ascii_digit() && c != '_')
            });
            if hit {
                bad.push(format!("src/{path}:{}: {} (a time written out: name it)", i + 1, line.trim()));
            }
        }
    }
    bad
}

/// The layer table of ARCHITECTURE.md (after `<!-- tidy:layers -->`): module → the modules of ours it may
/// use.
fn layers() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md");
    let after = doc.split("<!-- tidy:layers -->").nth(1).expect("ARCHITECTURE.md has the layer table's marker");
    let ticked = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    let mut out = std::collections::BTreeMap::new();
    for line in after.lines().map(str::trim).skip_while(|l| l.is_empty()).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(module) = ticked(cells[0]).into_iter().next() else { continue }; // the header and its rule
        let allowed = cells.last().map(|c| ticked(c)).unwrap_or_default();
        out.insert(module, allowed.into_iter().collect());
    }
    out
}

/// The top-level module a file of `src/` belongs to (`main` for the binary's root).
fn module_of(path: &str) -> String {
    path.split('/').next().unwrap_or(path).trim_end_matches(".rs").to_string()
}

/// The top-level modules of ours that `code` names (`crate::x…`, `moneytrail::x…`, `use crate::{x, y::z}`).
fn our_uses(code: &str) -> std::collections::BTreeSet<String> {
    let code: String = code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let ident = |s: &str| -> String { s.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut out = std::collections::BTreeSet::new();
    for root in ["crate::", "moneytrail::"] {
        for (at, _) in code.match_indices(root) {
            if !word_at(&code, at, root.trim_end_matches("::")) {
                continue;
            }
            let rest = &code[at + root.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // The group's top-level items, up to its closing brace.
                let (mut depth, mut item) = (0usize, String::new());
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.insert(ident(&item));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                out.insert(ident(&item));
            } else {
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty() && m != "self" && m != "super");
    out
}

/// The allowlist of ARCHITECTURE.md's layer table, checked: every module of `src/` has a row, and uses only
/// the modules of ours its row names.
#[test]
fn every_module_uses_only_what_its_layer_allows() {
    let table = layers();
    assert!(table.len() >= 20, "the layer table was not found or is short: {table:?}");
    let files = sources();
    let tests = test_only_files(&files);
    let modules: std::collections::BTreeSet<String> =
        files.iter().map(|(p, _)| module_of(p)).filter(|m| m != "lib").collect();
    let unlisted: Vec<&String> = modules.iter().filter(|m| !table.contains_key(*m)).collect();
    assert!(unlisted.is_empty(), "modules without a row in ARCHITECTURE.md's layer table: {unlisted:?}");
    let gone: Vec<&String> = table.keys().filter(|m| !modules.contains(*m)).collect();
    assert!(gone.is_empty(), "rows of the layer table for modules that do not exist: {gone:?}");
    let mut bad = Vec::new();
    for (path, text) in &files {
        let module = module_of(path);
        if module == "lib" || tests.contains(path) {
            continue;
        }
        let allowed = &table[&module];
        for used in our_uses(without_tests(text)) {
            if used != module && modules.contains(&used) && !allowed.contains(&used) {
                bad.push(format!("src/{path}: `{module}` uses `{used}`, which its layer does not allow"));
            }
        }
    }
    assert!(bad.is_empty(), "uses the layer table (ARCHITECTURE.md) does not allow:\n{}", bad.join("\n"));
}

/// The checks above must be able to fail: each is run on a snippet that breaks it.
#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(uses("use rocksdb::{DB, Options};", "rocksdb").len(), 1);
    assert_eq!(uses("    let x = crate::store::TransferStore::open(p);", "store").len(), 1);
    assert_eq!(uses("use crate::keys;", "keys").len(), 1);
    assert!(uses("// rocksdb::DB in a comment", "rocksdb").is_empty());
    assert!(uses("let restore = mystore::x();", "store").is_empty(), "a longer word is not the module");
    assert!(uses("let store = view.store;", "store").is_empty(), "a variable is not the module");
    assert_eq!(uses("use crate::{keys, model};", "keys").len(), 1);
    // Uses of our modules: paths, groups over lines, the binary's crate name; not comments or longer words.
    let used = our_uses("use crate::{\n    keys::{self, A},\n    model,\n};\nlet x = moneytrail::app::now();\n// crate::server\nlet y = mycrate::store;");
    assert_eq!(used.into_iter().collect::<Vec<_>>(), vec!["app", "keys", "model"]);
    // Thresholds: a named window, a written-out hour, a Duration; not a unit's name, not a longer number.
    assert_eq!(threshold_hits("rings/x.rs", "pub const PASS_WINDOW_MS: i64 = HOUR_MS;").len(), 1);
    assert_eq!(threshold_hits("rings/x.rs", "let w = 3_600_000;").len(), 1);
    assert_eq!(threshold_hits("server/x.rs", "const WAIT: Duration = Duration::from_secs(3);").len(), 1);
    assert!(threshold_hits("rings/x.rs", "let w = 13_600_000; let d = DAY_MS;").is_empty());
    assert!(threshold_hits("server/mod.rs", "pub const REQUEST_TIMEOUT: Duration = x;").is_empty(), "allowed");
    let files = vec![
        ("rings/mod.rs".to_string(), "#[cfg(test)]\nmod tests;\n".to_string()),
        ("trace/report.rs".to_string(), "#[cfg(test)]\nmod golden;\n".to_string()),
    ];
    let tests = test_only_files(&files);
    assert!(tests.contains("rings/tests.rs") && tests.contains("trace/report/golden.rs"), "{tests:?}");
    let code = "#[cfg(test)]\nmod tests;\nfn a() {}\n#[cfg(test)]\nmod tests {\n fn b() {}\n}\n";
    assert_eq!(without_tests(code), "#[cfg(test)]\nmod tests;\nfn a() {}\n", "a declaration is not the tests' body");
}

/// The web view translates the scorer's evidence word by word: every feature's words in
/// `rings/scorer.rs` has its entry in `viz/i18n.js`, so no Chinese page shows a stray English phrase.
#[test]
fn every_scorer_feature_has_its_words_in_the_web_view() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scorer = std::fs::read_to_string(root.join("src/rings/scorer.rs")).expect("scorer source");
    let i18n = std::fs::read_to_string(root.join("viz/i18n.js")).expect("viz/i18n.js");
    let words: Vec<&str> = scorer.split("words: \"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert!(words.len() >= 20, "found the scorer's features: {words:?}");
    let missing: Vec<&&str> =
        words.iter().filter(|w| !i18n.contains(&format!("\"{w}\":")) && !i18n.contains(&format!("  {w}:"))).collect();
    assert!(missing.is_empty(), "scorer words without a translation in viz/i18n.js: {missing:?}");
}

/// Every account feature the API serves has its label in both languages of the web view and a display
/// kind in `viz/app.js` (a new feature otherwise shows as `feat.name` with a raw number).
#[test]
fn every_account_feature_has_its_label_in_the_web_view() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let features = std::fs::read_to_string(root.join("src/rings/features.rs")).expect("features source");
    let i18n = std::fs::read_to_string(root.join("viz/i18n.js")).expect("viz/i18n.js");
    let app = std::fs::read_to_string(root.join("viz/app.js")).expect("viz/app.js");
    let body =
        features.split("pub struct AccountFeatures {").nth(1).and_then(|b| b.split("\n}").next()).expect("struct");
    let fields: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .filter_map(|l| l.split(':').next())
        .filter(|f| !matches!(*f, "id" | "kind"))
        .collect();
    assert!(fields.len() >= 30, "found the features: {fields:?}");
    for f in fields {
        assert_eq!(i18n.matches(&format!("\"feat.{f}\":")).count(), 2, "feat.{f}: a label in zh and in en");
        assert!(app.contains(&format!("    {f}: \"")), "{f}: a display kind in FEATURES (viz/app.js)");
    }
}

/// The Spark job (`jobs/spark/features_job.py`) has no thresholds of its own: every policy value it reads is
/// `P["NAME"]` from the export's manifest, every one of those is in `rings::batch_policy()` (which the export
/// writes), and the manifest carries nothing the job does not read. A number typed into the job instead of
/// read from the policy would let the two implementations drift.
#[test]
fn the_batch_job_takes_its_thresholds_from_the_export() {
    let job = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/spark/features_job.py"))
        .expect("the Spark job");
    let mut read = std::collections::BTreeSet::new();
    for (i, _) in job.match_indices("P[\"") {
        let name: String = job[i + 3..].chars().take_while(|c| *c != '"').collect();
        read.insert(name);
    }
    let given: std::collections::BTreeSet<String> = moneytrail::rings::batch_policy().into_keys().collect();
    assert!(!read.is_empty(), "the job reads no policy values: has the P[\"…\"] spelling changed?");
    let unknown: Vec<_> = read.difference(&given).collect();
    assert!(unknown.is_empty(), "the job reads policy values the export does not write: {unknown:?}");
    let unread: Vec<_> = given.difference(&read).collect();
    assert!(unread.is_empty(), "the export writes policy values the job never reads: {unread:?}");
}
