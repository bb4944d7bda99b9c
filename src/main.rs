//! The `moneytrail` command line. The only place that knows terminals and exit codes.
//!
//! Each command parses its flags (`cli/args.rs`), opens a desk on the store, makes one call into the use
//! cases (`moneytrail::app`; the evaluation commands into `moneytrail::eval`) and renders what comes back
//! (`cli/mod.rs`). Exit codes: 0 success; 1 error (nothing committed by the failing command); 2 usage error;
//! 3 ingest or import finished and committed, but some rows were rejected (see the rejects file).

mod cli;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use cli::args::*;
use cli::{
    cli_error, now_or, print_features, print_json, print_load, print_report, print_text, read_only, writable,
    write_scores,
};
use moneytrail::app::{self, Desk};
use moneytrail::eval;
use moneytrail::ingest::{self, ColumnMapping, IngestOptions};
use moneytrail::output::OutputFormat;
use moneytrail::timefmt::{parse_ts, DEFAULT_TZ};

/// mimalloc: a bulk load allocates several strings per row, and glibc's malloc and free cost about a fifth
/// of its CPU (measured with perf on a 2M-row load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in logs and captured output.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The chain of causes, each once: many errors already quote their source in their message.
            let mut message = e.to_string();
            for cause in e.chain().skip(1).map(ToString::to_string) {
                if !message.contains(&cause) {
                    message = format!("{message}: {cause}");
                }
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Ingest(a) => cmd_ingest(a),
        Command::Statements(c) => cmd_statements(c),
        Command::Migrate { db } => {
            let desk = writable(
                Desk::open_existing(&db, DEFAULT_TZ),
                "stop the server first: a store is upgraded by the one process that writes to it",
            )?;
            println!("{}: on-disk format version {}", db.display(), desk.schema_version().map_err(cli_error)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats(a) => print_report(a.format, &app::query::stats(&read_only(&a.common)?).map_err(cli_error)?),
        Command::Account(a) => cmd_account(a),
        Command::Trace(a) => cmd_trace(a),
        Command::Freeze(a) => cmd_freeze(a),
        Command::Stop(c) => cmd_stop(c),
        Command::Paths(a) => {
            let tz = a.common.tz;
            let (start, end) = (a.start.as_deref(), a.end.as_deref());
            let q = app::trace::PathsQuery::from_text(&a.from, &a.to, start, end, Some(a.max_hops), Some(a.limit), tz)
                .map_err(|e| anyhow::anyhow!("{}: {}", cli::flag_of(e.field), e.message))?;
            print_report(a.format, &app::trace::paths(&read_only(&a.common)?, &q).map_err(cli_error)?)
        }
        Command::Link(a) => {
            let params = a.rule.params(a.common.tz)?;
            print_report(
                a.format,
                &app::cases::link_file(&read_only(&a.common)?, &a.cases, &params).map_err(cli_error)?,
            )
        }
        Command::Case(CaseCommand::Import { common, file }) => {
            let desk = writable(Desk::open(&common.db, common.tz), "register the cases through POST /v1/cases")?;
            let s = app::cases::import(&desk, &file).map_err(cli_error)?;
            println!(
                "registered {} cases from {} ({} already registered, left as they were)",
                s.registered,
                file.display(),
                s.already_registered
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Rings(a) => cmd_rings(a),
        Command::Eval(c) => cmd_eval(c),
        Command::Finbench { query, data, params } => cmd_finbench(&query, &data, &params),
        Command::Serve { common, addr, config, viz, finbench, insecure_http } => {
            cmd_serve(common, addr, &config, viz, finbench, insecure_http)
        }
        Command::Token(TokenCommand::New { name, role }) => {
            use moneytrail::server::auth::Role;
            let role = match role {
                CliRole::Analyst => Role::Analyst,
                CliRole::Operator => Role::Operator,
                CliRole::Admin => Role::Admin,
            };
            let (token, entry) = moneytrail::server::auth::new_token(&name, role)
                .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
            println!("{token}");
            println!();
            println!(
                "# Give the token above to {name} (it is not stored anywhere); add these lines to the server's config:"
            );
            print!("{entry}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { db, out } => {
            let desk = writable(
                Desk::open_existing(&db, DEFAULT_TZ),
                "ask the server for the backup instead: POST /v1/admin/backup with an admin token (it writes under the \
                 server's backup_dir)",
            )?;
            print_json(&app::backup::backup(&desk, &out).map_err(cli_error)?)
        }
        Command::Restore { from, db } => print_json(&app::backup::restore(&from, &db).map_err(cli_error)?),
        Command::Audit(AuditCommand::Verify { file }) => {
            let v = moneytrail::server::audit::verify(&file)?;
            println!("{}: {} lines ({} from before the chain), head {}", file.display(), v.lines, v.unchained, v.head);
            match v.broken_at {
                None => {
                    println!("chain intact");
                    Ok(ExitCode::SUCCESS)
                }
                Some((line, why)) => {
                    println!("chain broken at line {line}: {why}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Features { common, from_batch } => {
            print_features(&app::rings::features(&read_only(&common)?, from_batch.as_deref()).map_err(cli_error)?)
        }
        Command::Export { common, out } => {
            let m = app::export::export(&read_only(&common)?, &out).map_err(cli_error)?;
            println!(
                "exported {} transfers over {} days, {} accounts, {} login attributes to {}",
                m.transfers,
                m.days.len(),
                m.accounts,
                m.logins,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen(a) => {
            let req = app::gen::WorldRequest {
                persons: a.persons,
                days: a.days,
                seed: a.seed,
                start: a.start,
                habits: a.habits,
            };
            print_json(&app::gen::world(&req, &a.out).map_err(cli_error)?)
        }
        Command::GenStatements(a) => {
            let req = app::gen::StatementsRequest {
                accounts: a.account,
                case: a.case,
                from_level: a.from_level,
                to_level: a.to_level,
                until: a.until,
                seed: a.seed,
                broken: a.broken,
                drop: a.drop,
            };
            print_json(&app::gen::statements(&a.world, &req, &a.out).map_err(cli_error)?)
        }
    }
}

fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 => Ok(s.as_bytes()[0]),
        _ => anyhow::bail!("--delimiter must be one ASCII character (or \\t), got {s:?}"),
    }
}

fn cmd_ingest(a: IngestArgs) -> Result<ExitCode> {
    if a.transfers.is_empty() && a.accounts.is_empty() {
        anyhow::bail!("nothing to ingest: give --transfers FILE... and/or --accounts FILE...");
    }
    let mut mapping = ColumnMapping::parse_pairs(a.map.iter().map(String::as_str)).map_err(anyhow::Error::msg)?;
    if let Some(f) = &a.map_file {
        mapping.merge(ColumnMapping::from_file(f).map_err(anyhow::Error::msg)?);
    }
    let opts = IngestOptions {
        delimiter: parse_delimiter(&a.delimiter)?,
        tz: a.common.tz,
        mapping,
        chunk_rows: a.chunk_rows.max(1),
        rejects_dir: a.rejects_dir.clone(),
    };
    // Every file is opened and its header checked before the store is touched.
    let prepared = app::ingest::check(&a.transfers, &a.accounts, &opts).map_err(cli_error)?;
    let desk = writable(
        Desk::open(&a.common.db, a.common.tz),
        "upload through the server instead (POST /v1/ingest/transfers, POST /v1/ingest/accounts), or stop it",
    )?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |p: ingest::Progress| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        bar.set_message(format!("{} rows", p.rows));
    };
    let summary = app::ingest::run(&desk, prepared, &progress).map_err(cli_error)?;
    bar.finish_and_clear();
    print_load(a.format, &summary, (summary.rejected(), "row"), summary.rejects_file.as_deref())
}

fn cmd_statements(c: StatementsCommand) -> Result<ExitCode> {
    match c {
        StatementsCommand::Import { common, paths, layout, account, skew, rejects_dir, format } => {
            let mut layouts = moneytrail::statements::Layouts::builtin();
            for f in &layout {
                layouts.add_file(f).map_err(|e| anyhow::anyhow!("--layout {e}"))?;
            }
            let skew_ms = skew.saturating_mul(moneytrail::timefmt::SECOND_MS);
            let opts = app::statements::ImportOptions { layouts, tz: common.tz, skew_ms, rejects_dir, account };
            let desk = writable(
                Desk::open(&common.db, common.tz),
                "upload the files through the server instead (POST /v1/ingest/statements), or stop it",
            )?;
            let summary = app::statements::import(&desk, &paths, &opts).map_err(cli_error)?;
            print_load(format, &summary, (summary.rejected(), "line"), summary.rejects_file.as_deref())
        }
        StatementsCommand::Layout { file, layout, out, format } => {
            let mut layouts = moneytrail::statements::Layouts::builtin();
            for f in &layout {
                layouts.add_file(f).map_err(|e| anyhow::anyhow!("--layout {e}"))?;
            }
            let p = app::statements::propose_layout(&file, &layouts).map_err(cli_error)?;
            let text = match format {
                cli::args::ProposalFormat::Toml => p.toml.clone(),
                cli::args::ProposalFormat::Json => serde_json::to_string_pretty(&p)? + "\n",
            };
            match &out {
                Some(o) => std::fs::write(o, text).with_context(|| format!("--out {}", o.display()))?,
                None => print!("{text}"),
            }
            let unsure =
                p.columns.iter().filter(|c| c.certainty == moneytrail::statements::propose::Certainty::Unsure).count();
            eprintln!(
                "{}: {}; header on row {}{}; {} columns, {unsure} unsure; {} of {} sample rows read{}",
                file.display(),
                p.recognised_as
                    .as_deref()
                    .map_or("no known layout reads it".to_string(), |id| format!("read as the known layout {id}")),
                p.header_row,
                if p.sheet.is_empty() { String::new() } else { format!(" of sheet {}", p.sheet) },
                p.columns.len(),
                p.sample_rows_read,
                p.sample_rows,
                if p.missing.is_empty() { String::new() } else { format!("; still missing: {}", p.missing.join("; ")) },
            );
            Ok(ExitCode::SUCCESS)
        }
        StatementsCommand::Check { common, account, format } => {
            print_report(format, &app::statements::check(&read_only(&common)?, account.as_deref()).map_err(cli_error)?)
        }
    }
}

fn cmd_account(a: AccountArgs) -> Result<ExitCode> {
    let tz = a.common.tz;
    let time = |s: &Option<String>, what: &str, default: i64| -> Result<i64> {
        s.as_deref().map_or(Ok(default), |v| parse_ts(v, tz).with_context(|| format!("--{what} {v:?}")))
    };
    let page = app::query::StatementPage {
        account: a.account.clone(),
        from_ms: time(&a.from, "from", i64::MIN)?,
        to_ms: time(&a.to, "to", i64::MAX)?,
        after: a.after.clone(),
        limit: a.limit.clamp(1, app::query::MAX_PAGE),
        features: None,
    };
    let desk = read_only(&a.common)?;
    print_report(a.format, &app::query::account(&desk, &page).map_err(cli_error)?)?;
    if a.ring {
        // Not anchored: looking an account up is no evidence against it.
        let around = app::rings::around(&desk, std::slice::from_ref(&a.account), false).map_err(cli_error)?;
        if around.rings.is_empty() {
            eprintln!("{} is in no detected mule-card ring", a.account);
        } else {
            print_report(a.format, &around)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The trace query of `trace` and `freeze`: seeds and rule options, parsed once (`from_text`) as the API does.
fn trace_query(s: &SeedArgs, tz: Tz) -> Result<app::trace::TraceQuery> {
    let params = s.rule.params(tz)?;
    let seeds = moneytrail::trace::SeedSpec::from_text(&s.seed_txn, &s.victim, s.from.as_deref(), s.to.as_deref(), tz)
        .map_err(|e| anyhow::anyhow!("{}: {}", cli::flag_of(e.field), e.message))?;
    Ok(app::trace::TraceQuery { seeds, params })
}

/// The rule options a registered case's trace takes from the flags (`--case ID`); its seeds and report
/// time come from the case.
fn case_options(r: &RuleArgs, tz: Tz) -> Result<app::cases::CaseRuleOptions> {
    let min_amount_fen = moneytrail::money::parse_yuan(&r.min_amount)
        .map_err(|e| anyhow::anyhow!("--min-amount {:?}: {e}", r.min_amount))?;
    let as_of_ms = match &r.as_of {
        Some(t) => Some(parse_ts(t, tz).with_context(|| format!("--as-of {t:?}"))?),
        None => None,
    };
    Ok(app::cases::CaseRuleOptions {
        rule: Some(r.rule),
        hops: Some(r.hops),
        min_amount_fen: Some(min_amount_fen),
        as_of_ms,
    })
}

fn cmd_trace(a: TraceArgs) -> Result<ExitCode> {
    let desk = read_only(&a.common)?;
    let tz = a.common.tz;
    if let Some(account) = &a.upstream {
        let (r, seeds) = (&a.seeds.rule, &a.seeds);
        let (from, to, as_of) = (seeds.from.as_deref(), seeds.to.as_deref(), r.as_of.as_deref());
        let follow_all = a.follow == Follow::All;
        let q = app::trace::UpstreamQuery::from_text(account, from, to, as_of, Some(r.hops), r.rule, follow_all, tz)
            .map_err(|e| anyhow::anyhow!("{}: {}", cli::flag_of(e.field), e.message))?;
        let report = app::trace::upstream(&desk, &q).map_err(cli_error)?;
        return match a.format {
            TraceFormat::Json => print_report(OutputFormat::Json, &report),
            TraceFormat::Csv => print_report(OutputFormat::Csv, &report),
            TraceFormat::Table => print_report(OutputFormat::Table, &report),
            other => anyhow::bail!("--format {other:?} is not available for --upstream (table, json or csv)"),
        };
    }
    let report = match &a.seeds.case {
        Some(id) => app::cases::trace(&desk, id, &case_options(&a.seeds.rule, tz)?),
        None => app::trace::trace(&desk, &trace_query(&a.seeds, tz)?),
    }
    .map_err(cli_error)?;
    match a.format {
        TraceFormat::Dot => print_text(&report.to_dot()),
        TraceFormat::Table => print_report(OutputFormat::Table, &report),
        TraceFormat::Json => print_report(OutputFormat::Json, &report),
        TraceFormat::Csv => print_report(OutputFormat::Csv, &report),
        TraceFormat::Svg | TraceFormat::Html => {
            use moneytrail::flowchart::{to_html, to_svg, ChartTitle};
            // A registered case's diagram is headed by its id unless a title is given.
            let subject = if a.title.is_empty() { a.seeds.case.clone().unwrap_or_default() } else { a.title };
            let title = ChartTitle { subject, lang: a.lang };
            if a.format == TraceFormat::Svg {
                print_text(&to_svg(&report, &title))
            } else {
                print_text(&to_html(&report, &title, &moneytrail::timefmt::format_rfc3339(app::now_ms(), tz)))
            }
        }
    }
}

fn cmd_freeze(a: FreezeArgs) -> Result<ExitCode> {
    let tz = a.common.tz;
    let threshold_fen =
        moneytrail::money::parse_yuan(&a.threshold).with_context(|| format!("--threshold {:?}", a.threshold))?;
    let fp = moneytrail::freeze::FreezeParams {
        threshold_fen,
        hub_counterparties: a.hub_counterparties,
        reading: a.reading,
    };
    let desk = read_only(&a.common)?;
    let report = match &a.seeds.case {
        Some(id) => app::cases::freeze(&desk, id, &case_options(&a.seeds.rule, tz)?, &fp),
        None => app::trace::freeze(&desk, &trace_query(&a.seeds, tz)?, &fp),
    }
    .map_err(cli_error)?;
    print_report(a.format, &report)
}

fn cmd_stop(c: StopCommand) -> Result<ExitCode> {
    match c {
        StopCommand::Place { common, account, amount, at, case, by, basis_txn, note } => {
            let amount_fen =
                moneytrail::money::parse_positive_yuan(&amount).with_context(|| format!("--amount {amount:?}"))?;
            let new = app::stops::NewStop {
                account,
                amount_fen,
                placed_at_ms: now_or(&at, "at", common.tz)?,
                case_id: case,
                placed_by: by,
                basis_txn,
                note,
            };
            let desk = writable(Desk::open(&common.db, common.tz), "record the stop through POST /v1/stops")?;
            print_report(OutputFormat::Table, &app::stops::place(&desk, &new, None).map_err(cli_error)?.value)
        }
        StopCommand::Renew { common, id, at } => {
            let at_ms = now_or(&at, "at", common.tz)?;
            let desk = writable(Desk::open(&common.db, common.tz), "renew the stop through POST /v1/stops/{id}/renew")?;
            print_report(OutputFormat::Table, &app::stops::renew(&desk, id, at_ms, None).map_err(cli_error)?.value)
        }
        StopCommand::Release { common, id, at } => {
            let at_ms = now_or(&at, "at", common.tz)?;
            let desk =
                writable(Desk::open(&common.db, common.tz), "release the stop through POST /v1/stops/{id}/release")?;
            print_report(OutputFormat::Table, &app::stops::release(&desk, id, at_ms, None).map_err(cli_error)?.value)
        }
        StopCommand::List { common, active_at, expiring_within, format } => {
            let active_at_ms = match &active_at {
                Some(t) => Some(parse_ts(t, common.tz).with_context(|| format!("--active-at {t:?}"))?),
                None => None,
            };
            let filter =
                app::stops::StopFilter { active_at_ms, expiring_within_hours: expiring_within, now_ms: app::now_ms() };
            print_report(format, &app::stops::list(&read_only(&common)?, filter).map_err(cli_error)?)
        }
    }
}

fn cmd_rings(a: RingsArgs) -> Result<ExitCode> {
    let desk = read_only(&a.common)?;
    if let Some(file) = &a.confirmed {
        let found = app::rings::with_confirmed_file(&desk, file, a.min_score, a.scores.is_some()).map_err(cli_error)?;
        if let (Some(out), Some(scores)) = (&a.scores, &found.named_scores) {
            write_scores(scores, out)?;
        }
        print_report(a.format, &found.report)
    } else if let Some(dir) = &a.from_batch {
        print_report(a.format, &app::rings::ranked_from_batch(&desk, dir, a.min_score).map_err(cli_error)?)
    } else if a.around.is_empty() {
        let report = app::rings::ranked(&desk, a.min_score, None, app::rings::Freshness::Current).map_err(cli_error)?;
        print_report(a.format, &report)
    } else {
        let mut around = app::rings::around(&desk, &a.around, true).map_err(cli_error)?;
        around.rings.retain(|r| r.ring.score >= a.min_score);
        print_report(a.format, &around)
    }
}

/// The store of a generated world: the given one, or WORLD/.moneytrail-store (ingested if missing).
fn world_store(world: &Path, db: Option<std::path::PathBuf>, tz: Tz) -> Result<std::path::PathBuf> {
    let (db, missing) = eval::world_store(world, db);
    if missing {
        eprintln!("ingesting {} into {}", world.display(), db.display());
        eval::ingest_world(world, &db, tz).map_err(cli_error)?;
    }
    Ok(db)
}

fn cmd_eval(c: EvalCommand) -> Result<ExitCode> {
    match c {
        EvalCommand::Rings { w: WorldArgs { world, db, tz }, no_cases, confirmed_share, format } => {
            let db = world_store(&world, db, tz)?;
            let mut desk = Desk::open(&db, tz).map_err(cli_error)?;
            if no_cases {
                desk = desk.rings_without_registry();
            } else {
                app::cases::import(&desk, &world.join("truth/cases.csv")).map_err(cli_error)?;
            }
            let eval = match confirmed_share {
                Some(share) => eval::rings::score_with_confirmed(&desk, &world, share),
                None => eval::rings::score(&desk, &world),
            }
            .map_err(cli_error)?;
            print_report(format, &eval)
        }
        EvalCommand::Link { w: WorldArgs { world, db, tz }, rule, format } => {
            let desk = Desk::open_read_only(&world_store(&world, db, tz)?, tz).map_err(cli_error)?;
            print_report(format, &eval::link::score(&desk, &world, &rule.params(tz)?).map_err(cli_error)?)
        }
        EvalCommand::Trace { w: WorldArgs { world, db, tz }, rule, threshold, format } => {
            let desk = Desk::open_read_only(&world_store(&world, db, tz)?, tz).map_err(cli_error)?;
            let threshold_fen =
                moneytrail::money::parse_yuan(&threshold).with_context(|| format!("--threshold {threshold:?}"))?;
            let fp = moneytrail::freeze::FreezeParams { threshold_fen, ..Default::default() };
            print_report(format, &eval::trace::score(&desk, &world, &rule.params(tz)?, &fp).map_err(cli_error)?)
        }
        EvalCommand::Warnings { world, upload_minutes, rings_hours, keep, tz, format } => {
            if upload_minutes < 1 || rings_hours < 0 {
                anyhow::bail!("--upload-minutes must be at least 1 and --rings-hours at least 0");
            }
            let work = tempfile::tempdir().context("a working directory for the replay")?;
            let work_dir = match &keep {
                Some(dir) if dir.exists() => anyhow::bail!("--keep {}: exists already", dir.display()),
                Some(dir) => dir.clone(),
                None => work.path().to_path_buf(),
            };
            let opts = eval::warnings::ReplayOptions {
                upload_every_ms: upload_minutes.saturating_mul(moneytrail::timefmt::MINUTE_MS),
                rings_every_ms: (rings_hours > 0).then_some(rings_hours.saturating_mul(moneytrail::timefmt::HOUR_MS)),
            };
            print_report(format, &eval::warnings::replay(&world, &work_dir, opts, tz).map_err(cli_error)?)
        }
    }
}

fn cmd_serve(
    common: Common,
    addr: std::net::SocketAddr,
    config: &Path,
    viz: Option<std::path::PathBuf>,
    finbench: Option<std::path::PathBuf>,
    insecure_http: bool,
) -> Result<ExitCode> {
    use moneytrail::server::{serve, viz::VizSource, AppState, AuditLog, ServerConfig};
    if !addr.ip().is_loopback() && !insecure_http {
        anyhow::bail!(
            "refusing to serve {addr} over plain HTTP: bearer tokens and bank records would cross the network in \
             clear. Serve on 127.0.0.1 behind a TLS reverse proxy (docs/operations.md, \"TLS\"), or pass \
             --insecure-http if this network is already encrypted"
        );
    }
    let config = ServerConfig::load(config).map_err(anyhow::Error::msg)?;
    for name in &config.clear_tokens {
        eprintln!(
            "warning: the token of {name} is in the config in clear; replace it by its sha256 (moneytrail token new)"
        );
    }
    let desk = writable(
        Desk::open(&common.db, common.tz),
        "one server per store: stop the other one, or point this one at another store",
    )?;
    let audit_path = config.audit_log.clone().unwrap_or_else(|| common.db.join("audit.log"));
    let audit = AuditLog::open(&audit_path).with_context(|| format!("audit log {}", audit_path.display()))?;
    let finbench = finbench.map(|dir| app::finbench::load(&dir).map_err(cli_error)).transpose()?;
    let state = AppState {
        viz: std::sync::Arc::new(viz.map_or(VizSource::Embedded, VizSource::Dir)),
        finbench: finbench.map(std::sync::Arc::new),
        ..AppState::new(desk, config, audit)
    };
    eprintln!(
        "moneytrail API on http://{addr}/v1, web view on http://{addr}/viz/ (audit log: {})",
        audit_path.display()
    );
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(state, addr))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints one JSON array per parameter set on stdout; what was loaded, skipped and timed on stderr.
fn cmd_finbench(query: &str, data: &Path, params: &Path) -> Result<ExitCode> {
    let q = app::finbench::query(query).map_err(cli_error)?;
    let started = std::time::Instant::now();
    let snapshot = app::finbench::load(data).map_err(cli_error)?;
    let c = snapshot.counts();
    eprintln!(
        "FinBench snapshot {}: {} accounts, {} transfers, {} withdraws, {} sign-ins, {} loans, {} deposits ({:.0} ms)",
        data.display(),
        c.accounts,
        c.transfers,
        c.withdraws,
        c.sign_ins,
        c.loans,
        c.deposits,
        started.elapsed().as_secs_f64() * 1e3
    );
    let run = app::finbench::run_file(&snapshot, q, params).map_err(cli_error)?;
    if !run.skipped.is_empty() {
        let lines: Vec<String> = run.skipped.iter().map(u64::to_string).collect();
        eprintln!("{}: skipped {} line(s) that are not data: {}", params.display(), lines.len(), lines.join(", "));
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut micros: Vec<u128> = Vec::with_capacity(run.runs.len());
    for r in &run.runs {
        serde_json::to_writer(&mut out, &r.answer)?;
        match writeln!(out) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            r => r.context("writing output")?,
        }
        micros.push(r.elapsed.as_micros());
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r.context("writing output")?,
    }
    micros.sort_unstable();
    let at = |q: f64| micros.get(((micros.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0);
    eprintln!(
        "{}: {} parameter sets, {} result rows; per read p50 {} µs, p99 {} µs, max {} µs",
        q.name(),
        run.runs.len(),
        run.runs.iter().map(|r| r.answer.len()).sum::<usize>(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
    Ok(ExitCode::SUCCESS)
}
