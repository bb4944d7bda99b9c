//! The `moneytrail` command line. The only place that knows terminals and exit codes.
//!
//! Exit codes: 0 success; 1 error (nothing committed by the failing command); 2 usage error;
//! 3 ingest finished and committed, but some rows were rejected (see the rejects file).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use moneytrail::ingest::{self, ColumnMapping, IngestOptions};
use moneytrail::output::{render, spreadsheet_safe, OutputFormat, Report};
use moneytrail::timefmt::{parse_ts, parse_tz};
use moneytrail::{app, eval};

/// mimalloc: a bulk load allocates several strings per row, and glibc's malloc and free cost about a fifth
/// of its CPU (measured with perf on a 2M-row load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_REJECTED_ROWS: u8 = 3;

#[derive(Parser)]
#[command(
    name = "moneytrail",
    version,
    about = "Trace stolen funds through bank transfers, propose extended freezes, find mule-card rings."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load transfers (and accounts) files into a store; idempotent, all-or-nothing.
    Ingest(IngestArgs),
    /// Bank statements as banks send them (调单 replies): import them, check their balances.
    #[command(subcommand)]
    Statements(StatementsCommand),
    /// Upgrade a store written by an older moneytrail to this version's on-disk format, in place.
    Migrate {
        /// The store directory.
        #[arg(long, value_name = "DIR")]
        db: PathBuf,
    },
    /// Accounts, transfers, time span, totals by channel and account kind.
    Stats(StatsArgs),
    /// An account's attributes and its transfers in time order, a page at a time.
    Account(AccountArgs),
    /// Follow victims' money hop by hop, in time order, under an allocation rule.
    Trace(TraceArgs),
    /// Propose extended freezes (延伸止付): accounts holding traced money, how much, on what evidence.
    Freeze(FreezeArgs),
    /// The stop-payment registry: record stops placed, renewed, released; list them.
    #[command(subcommand)]
    Stop(StopCommand),
    /// Is money from one account connected to another: the fewest-hop and the earliest-arriving
    /// time-respecting paths, and all of them up to --max-hops (each with its transfers).
    Paths(PathsArgs),
    /// Link cases whose traces pass through the same accounts (串并).
    Link(LinkArgs),
    /// The case registry: cases the API and the web view trace by id.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Score against a generated world's ground truth.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Mule-card rings for 断卡 crackdowns, ranked, with members, roles and evidence.
    Rings(RingsArgs),
    /// The LDBC FinBench transfer reads (tcr1, tcr3, tcr4, tcr5, tcr7, tcr8) over a FinBench snapshot:
    /// one JSON array of result rows per parameter line (datasets/finbench-sf0.01/QUERIES.md).
    Finbench {
        /// tcr1, tcr3, tcr4, tcr5, tcr7 or tcr8.
        query: String,
        /// The snapshot folder (e.g. datasets/finbench-sf0.01/snapshot).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Parameters: one JSON object per line, or FinBench's own `|` rows (read_params/complex_N_param.csv).
        #[arg(long, value_name = "FILE")]
        params: PathBuf,
    },
    /// Serve the HTTP API and the web view (http://ADDR/viz/).
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on; loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// TOML file with the bearer tokens and their roles (see datasets/demo-server.toml).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Serve the web view from this directory instead of the copy built into the binary.
        #[arg(long, value_name = "DIR")]
        viz: Option<PathBuf>,
        /// Load a FinBench snapshot folder and answer POST /v1/finbench/{query} over it.
        #[arg(long, value_name = "DIR")]
        finbench: Option<PathBuf>,
        /// Serve plain HTTP on an address other than loopback. Without it such an address is refused:
        /// tokens and bank records would cross the network in clear. Put a TLS reverse proxy in front
        /// instead (README, "TLS").
        #[arg(long)]
        insecure_http: bool,
    },
    /// Server tokens: `token new --name NAME --role ROLE` prints a new token once, and the lines that admit
    /// it to the server's config (which keeps only its SHA-256).
    #[command(subcommand)]
    Token(TokenCommand),
    /// A consistent copy of a store into a new directory (RocksDB checkpoint: hard links on the same
    /// filesystem). For a store a server has open, ask the server: POST /v1/admin/backup (admin token).
    Backup {
        /// The store directory.
        #[arg(long, value_name = "DIR")]
        db: PathBuf,
        /// The backup's directory (must not exist yet).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Make a store from a backup (into a new or empty directory), checked by opening it.
    Restore {
        /// The backup's directory.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The new store's directory.
        #[arg(long, value_name = "DIR")]
        db: PathBuf,
    },
    /// The server's audit log: `audit verify FILE` recomputes its hash chain (exit 1 if a line was
    /// deleted or edited) and prints the head to compare with the one the server logged.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Every account's mule-card features, as CSV (for analysis).
    Features {
        #[command(flatten)]
        common: Common,
        /// Print the features a batch job computed (`jobs/spark/`, from `export` of this store) instead
        /// of computing them here: the same columns, for comparing the two.
        #[arg(long, value_name = "DIR")]
        from_batch: Option<PathBuf>,
    },
    /// The store as Parquet for whole-graph work elsewhere (Spark, DuckDB): transfers partitioned by local
    /// day, accounts, login attributes, and a manifest (watermark, counts, the policy values a batch job
    /// needs). See jobs/spark/README.md.
    Export {
        #[command(flatten)]
        common: Common,
        /// The export's directory (new or empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Generate a synthetic world (transfers, accounts, ground truth) in the input format.
    Gen(GenArgs),
    /// Write bank statements of a world's accounts as banks send them (several layouts, GB18030, Excel,
    /// skewed clocks, balances), with a manifest of which transfer each line is.
    GenStatements(GenStatementsArgs),
}

#[derive(Subcommand)]
enum AuditCommand {
    Verify {
        /// The audit log (default place: the store's audit.log).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a new token: its first line of output is the token (shown once: hand it to its holder), then
    /// the config lines that admit it.
    New {
        /// Who holds it (shown in the audit log).
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: CliRole,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CliRole {
    Analyst,
    Operator,
    Admin,
}

#[derive(Subcommand)]
enum StatementsCommand {
    /// Import statement files (CSV/TSV in UTF-8 or GB18030, .xlsx, .xls; directories searched recursively):
    /// the two records of a transfer between two requested accounts become one transfer; importing the same
    /// file again adds nothing; all or nothing.
    Import {
        #[command(flatten)]
        common: Common,
        /// Statement files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// A bank's own header names and direction words (TOML, as src/statements/layouts.toml).
        #[arg(long, value_name = "FILE")]
        layout: Vec<PathBuf>,
        /// Seconds two banks' clocks may differ for the two records of one transfer.
        #[arg(long, default_value_t = moneytrail::policy::STATEMENT_SKEW_DEFAULT_MS / moneytrail::timefmt::SECOND_MS)]
        skew: i64,
        /// Where to write rejected lines (default: DIR/rejects/).
        #[arg(long, value_name = "DIR")]
        rejects_dir: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Per statement account: the period covered, lines, opening and closing balance, and every break in
    /// balance continuity (missing lines or pages).
    Check {
        #[command(flatten)]
        common: Common,
        /// Only this account.
        account: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
}

#[derive(Args)]
struct SeedArgs {
    /// Seed transfer ids (the victims' payments), comma-separated or repeated.
    #[arg(long = "seed-txn", value_delimiter = ',', value_name = "ID")]
    seed_txn: Vec<String>,
    /// A victim account: its outgoing transfers in --from..--to become seeds (not those to terminals or
    /// to the victim's own accounts). Repeat for several victims.
    #[arg(long, value_name = "ACCOUNT")]
    victim: Vec<String>,
    /// Start of the victim window.
    #[arg(long)]
    from: Option<String>,
    /// End of the victim window.
    #[arg(long)]
    to: Option<String>,
    #[command(flatten)]
    rule: RuleArgs,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum Follow {
    #[default]
    Behaviour,
    All,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum TraceFormat {
    #[default]
    Table,
    Json,
    Csv,
    Dot,
    /// The money-flow diagram, as the web view shows it.
    Svg,
    /// A self-contained page for the case folder: diagram, totals, accounts (opens offline).
    Html,
}

#[derive(Args)]
struct PathsArgs {
    #[command(flatten)]
    common: Common,
    /// Where the money starts.
    #[arg(long, value_name = "ACCOUNT")]
    from: String,
    /// Where it may have arrived.
    #[arg(long, value_name = "ACCOUNT")]
    to: String,
    /// Only transfers at or after this time.
    #[arg(long)]
    start: Option<String>,
    /// Only transfers at or before this time.
    #[arg(long)]
    end: Option<String>,
    #[arg(long, default_value_t = 6)]
    max_hops: u32,
    /// At most this many paths listed.
    #[arg(long, default_value_t = moneytrail::policy::PATHS_LIMIT)]
    limit: usize,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
struct TraceArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    seeds: SeedArgs,
    /// Trace this card's inflows in --from..--to back to where they came from (victims with their cases,
    /// likely unreported payers, salary, platforms, cash) instead of following seeds downstream.
    #[arg(long, value_name = "ACCOUNT", conflicts_with_all = ["seed_txn", "victim"])]
    upstream: Option<String>,
    /// With --upstream: which senders to go back through — those that pass money on (behaviour), or all.
    #[arg(long, value_enum, default_value_t, requires = "upstream")]
    follow: Follow,
    #[arg(long, value_enum, default_value_t)]
    format: TraceFormat,
    /// Labels of the svg and html formats.
    #[arg(long, value_enum, default_value_t)]
    lang: moneytrail::flowchart::Lang,
    /// What heads the svg and html formats, e.g. the case id.
    #[arg(long, default_value = "")]
    title: String,
}

#[derive(Args)]
struct FreezeArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    seeds: SeedArgs,
    /// Accounts holding less traced money than this many yuan are not proposed.
    #[arg(long, default_value = "100")]
    threshold: String,
    /// Accounts with at least this many distinct counterparties are treated as hubs (not proposed).
    #[arg(long, default_value_t = 100)]
    hub_counterparties: usize,
    /// protective: propose where any of fifo, lifo and proportional leaves the case's money, for the largest
    /// amount, capped by the balance; rule: the --rule alone.
    #[arg(long, value_enum, default_value_t)]
    reading: moneytrail::freeze::Reading,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Subcommand)]
enum StopCommand {
    /// Record a stop placed on an account (48 hours).
    Place {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        account: String,
        /// Amount stopped, in yuan.
        #[arg(long)]
        amount: String,
        /// When it was placed (default: now).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = "")]
        case: String,
        #[arg(long, default_value = "")]
        by: String,
        /// The transfer id the stop rests on.
        #[arg(long, default_value = "")]
        basis_txn: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Renew a stop for another 48 hours (at most twice).
    Renew {
        #[command(flatten)]
        common: Common,
        id: u64,
        #[arg(long)]
        at: Option<String>,
    },
    /// Record a stop's release.
    Release {
        #[command(flatten)]
        common: Common,
        id: u64,
        #[arg(long)]
        at: Option<String>,
    },
    /// List stops: all, or those in force at a time, or about to expire.
    List {
        #[command(flatten)]
        common: Common,
        /// Only stops in force at this time.
        #[arg(long)]
        active_at: Option<String>,
        /// Only stops in force now that expire within this many hours.
        #[arg(long)]
        expiring_within: Option<u32>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
}

#[derive(Args)]
struct RuleArgs {
    /// Transfers after this time do not exist (default: now; for `link`, each case's report time if given).
    #[arg(long)]
    as_of: Option<String>,
    /// How many hops to follow from the victims (1 to 20).
    #[arg(long, default_value_t = moneytrail::trace::DEFAULT_HOPS)]
    hops: u32,
    /// How an outgoing transfer is charged against a commingled balance (docs/trace-semantics.md).
    #[arg(long, value_enum, default_value_t)]
    rule: moneytrail::trace::Rule,
    /// Traced portions below this many yuan are not followed.
    #[arg(long, default_value = "0")]
    min_amount: String,
}

impl RuleArgs {
    fn params(&self, tz: Tz) -> Result<moneytrail::trace::TraceParams> {
        moneytrail::trace::TraceParams::from_text(
            self.rule,
            Some(self.hops),
            Some(&self.min_amount),
            self.as_of.as_deref(),
            tz,
        )
        .map_err(|e| anyhow::anyhow!("{}: {}", flag_of(e.field), e.message))
    }
}

#[derive(Args)]
struct LinkArgs {
    #[command(flatten)]
    common: Common,
    /// CSV with case_id, seed_txn_ids (;-separated) and optionally report_time.
    #[arg(long, value_name = "FILE")]
    cases: PathBuf,
    #[command(flatten)]
    rule: RuleArgs,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Subcommand)]
enum CaseCommand {
    /// Register cases from a CSV (case_id, seed_txn_ids ;-separated, optional report_time), as a case
    /// system would through POST /v1/cases. Cases already registered are left as they were.
    Import {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Args)]
struct RingsArgs {
    #[command(flatten)]
    common: Common,
    /// Only rings scoring at least this (0-100).
    #[arg(long, default_value_t = 0.0)]
    min_score: f64,
    /// Only the rings around these accounts (known mules, from traces or freezes); they anchor their
    /// rings even when their own signals are weak. Comma-separated or repeated.
    #[arg(long, value_name = "ACCOUNT", value_delimiter = ',')]
    around: Vec<String>,
    /// Cards confirmed as mule cards (a 断卡 team's past operations; one account per line, or a CSV whose
    /// first column is the account): a scorer is trained on them, cross-validated, and flags accounts that
    /// look like them; the confirmed cards anchor rings.
    #[arg(long, value_name = "FILE", conflicts_with = "around")]
    confirmed: Option<PathBuf>,
    /// With --confirmed: write every account's score to this CSV (account, score), highest first.
    #[arg(long, value_name = "FILE", requires = "confirmed")]
    scores: Option<PathBuf>,
    /// Assemble the rings here from a batch job's features and suspects (`jobs/spark/`, run on an
    /// `export` of this very store) instead of computing every account's features on this machine.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["confirmed", "around"])]
    from_batch: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// A generated world and the store holding it.
#[derive(Args)]
struct WorldArgs {
    /// A world made by `moneytrail gen`.
    #[arg(long, value_name = "DIR")]
    world: PathBuf,
    /// Store holding the world (default: WORLD/.moneytrail-store, ingested if missing).
    #[arg(long, value_name = "DIR")]
    db: Option<PathBuf>,
    #[arg(long, default_value = "Asia/Shanghai", value_parser = parse_tz)]
    tz: Tz,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Mule-card detection vs. the truth's mule labels: precision, recall, ring purity, look-alikes. The
    /// world's reported cases are registered first (as investigators have them) unless --no-cases.
    Rings {
        #[command(flatten)]
        w: WorldArgs,
        /// Detect from the accounts' own signals alone, without the world's reported cases.
        #[arg(long)]
        no_cases: bool,
        /// Give this share of the world's mule cards (0-1, the same ones every run) as confirmed cards to
        /// the scorer, and score detection on the others.
        #[arg(long, value_name = "SHARE")]
        confirmed_share: Option<f64>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Case linking (串并) vs. the truth of which ring ran each case: pairwise precision and recall of
    /// the links and the groups, adjusted Rand index.
    Link {
        #[command(flatten)]
        w: WorldArgs,
        #[command(flatten)]
        rule: RuleArgs,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Warnings (资金预警) as they would run: the world's transfers uploaded period by period in time order
    /// into a new store, each case registered when the upload after its report time has landed, rings
    /// detected daily. Reports the share of victims' payments into already-known accounts that were warned,
    /// the share of warnings about victims, and the minutes from payment to warning.
    Warnings {
        /// A generated world (transfers.csv, accounts.csv, truth/cases.csv).
        #[arg(long, value_name = "DIR")]
        world: PathBuf,
        /// Minutes of transfers per upload.
        #[arg(long, default_value_t = 60)]
        upload_minutes: i64,
        /// Hours between ring detections (0: ring cards are not watched).
        #[arg(long, default_value_t = 24)]
        rings_hours: i64,
        /// Keep the replayed store here (a new directory) to look at its warnings afterwards.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        #[arg(long, default_value = "Asia/Shanghai", value_parser = parse_tz)]
        tz: Tz,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Freeze proposals per case vs. the truth's holdings at the report time.
    Trace {
        #[command(flatten)]
        w: WorldArgs,
        #[command(flatten)]
        rule: RuleArgs,
        /// Freeze threshold in yuan.
        #[arg(long, default_value = "100")]
        threshold: String,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
}

#[derive(Args)]
struct GenArgs {
    /// Output directory (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, default_value_t = 2000)]
    persons: usize,
    #[arg(long, default_value_t = 30)]
    days: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day of the world (local date).
    #[arg(long, default_value = "2026-01-01")]
    start: String,
    /// How the world's card dealers behave: a TOML file of habits (datasets/settings/ has the evaluation's
    /// settings; default: the generator's original habits).
    #[arg(long, value_name = "FILE")]
    habits: Option<PathBuf>,
}

#[derive(Args)]
struct GenStatementsArgs {
    /// A world in the input format (transfers.csv, accounts.csv, truth/).
    #[arg(long, value_name = "DIR")]
    world: PathBuf,
    /// Output directory (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// These accounts' statements. Comma-separated or repeated.
    #[arg(long, value_name = "ACCOUNT", value_delimiter = ',')]
    account: Vec<String>,
    /// Or the accounts a case's money reached, by level (0: the victim), from the world's truth.
    #[arg(long, value_name = "CASE")]
    case: Option<String>,
    #[arg(long, default_value_t = 0)]
    from_level: u32,
    #[arg(long, default_value_t = 1)]
    to_level: u32,
    /// Only lines up to this time (a statement requested at that moment).
    #[arg(long)]
    until: Option<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of lines written broken (unreadable amount, Excel-mangled account number).
    #[arg(long, default_value_t = 0.0)]
    broken: f64,
    /// Share of lines left out (missing pages).
    #[arg(long, default_value_t = 0.0)]
    drop: f64,
}

#[derive(Args)]
struct Common {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    db: PathBuf,
    /// Time zone for times without an offset, in input and output (IANA name).
    #[arg(long, default_value = "Asia/Shanghai", value_parser = parse_tz)]
    tz: Tz,
}

#[derive(Args)]
struct IngestArgs {
    #[command(flatten)]
    common: Common,
    /// Transfers files: CSV, Parquet or Arrow IPC (detected from content).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    transfers: Vec<PathBuf>,
    /// Accounts files: account_id, holder_id, holder_name, phone, device_id, bank, branch, opened_at, kind.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    accounts: Vec<PathBuf>,
    /// CSV field delimiter (one byte; `\t` for tab).
    #[arg(long, default_value = ",")]
    delimiter: String,
    /// Column names of your files: `field=column`, e.g. `--map ts=交易时间,amount=交易金额`.
    #[arg(long, value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// A file of `field=column` lines.
    #[arg(long, value_name = "FILE")]
    map_file: Option<PathBuf>,
    /// Rows per chunk (bounds memory).
    #[arg(long, default_value_t = 262_144)]
    chunk_rows: usize,
    /// Where to write rejected rows (default: DIR/rejects/).
    #[arg(long, value_name = "DIR")]
    rejects_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
struct StatsArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
struct AccountArgs {
    #[command(flatten)]
    common: Common,
    /// The account's external id (card or account number).
    account: String,
    /// Only transfers at or after this time.
    #[arg(long)]
    from: Option<String>,
    /// Only transfers at or before this time.
    #[arg(long)]
    to: Option<String>,
    /// Transfers per page.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Continue after this cursor (printed at the end of the previous page).
    #[arg(long)]
    after: Option<String>,
    /// Also show the mule-card ring the account belongs to, if any (runs ring detection over the whole
    /// store: seconds on a large one).
    #[arg(long)]
    ring: bool,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

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
        Command::Backup { db, out } => {
            let desk = writable(
                app::Desk::open_existing(&db, moneytrail::timefmt::DEFAULT_TZ),
                "ask the server for the backup instead: POST /v1/admin/backup with an admin token (it writes under the \
                 server's backup_dir)",
            )?;
            let report = app::backup::backup(&desk, &out).map_err(cli_error)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { from, db } => {
            let report = app::backup::restore(&from, &db).map_err(cli_error)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
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
        Command::Migrate { db } => {
            let desk = writable(
                app::Desk::open_existing(&db, moneytrail::timefmt::DEFAULT_TZ),
                "stop the server first: a store is upgraded by the one process that writes to it",
            )?;
            println!("{}: on-disk format version {}", db.display(), desk.schema_version().map_err(cli_error)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace(a) => cmd_trace(a),
        Command::Paths(a) => {
            let desk = read_only(&a.common)?;
            let tz = a.common.tz;
            let (start, end) = (a.start.as_deref(), a.end.as_deref());
            let q = app::trace::PathsQuery::from_text(&a.from, &a.to, start, end, Some(a.max_hops), Some(a.limit), tz)?;
            let report = app::trace::paths(&desk, &q).map_err(cli_error)?;
            print_report(a.format, &report)
        }
        Command::Freeze(a) => cmd_freeze(a),
        Command::Finbench { query, data, params } => cmd_finbench(&query, &data, &params),
        Command::Serve { common, addr, config, viz, finbench, insecure_http } => {
            use moneytrail::server::{serve, viz::VizSource, AppState, AuditLog, ServerConfig};
            if !addr.ip().is_loopback() && !insecure_http {
                anyhow::bail!(
                    "refusing to serve {addr} over plain HTTP: bearer tokens and bank records would cross the network \
                     in clear. Serve on 127.0.0.1 behind a TLS reverse proxy (README, \"TLS\"), or pass \
                     --insecure-http if this network is already encrypted"
                );
            }
            let config = ServerConfig::load(&config).map_err(anyhow::Error::msg)?;
            for name in &config.clear_tokens {
                eprintln!(
                    "warning: the token of {name} is in the config in clear; replace it by its sha256 (moneytrail token new)"
                );
            }
            let desk = writable(
                app::Desk::open(&common.db, common.tz),
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
        Command::Export { common, out } => {
            let desk = read_only(&common)?;
            let m = app::export::export(&desk, &out).map_err(cli_error)?;
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
        Command::Features { common, from_batch } => {
            let desk = read_only(&common)?;
            let view = desk.view().map_err(cli_error)?;
            let feats = match &from_batch {
                Some(dir) => app::batch::features(&desk, dir).map_err(cli_error)?,
                None => app::rings::features(&desk).map_err(cli_error)?,
            };
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            for (i, f) in feats.iter().enumerate() {
                let serde_json::Value::Object(m) = serde_json::to_value(f)? else { continue };
                if i == 0 {
                    w.write_record(std::iter::once("account".to_string()).chain(m.keys().cloned()))?;
                }
                let cell = |v: &serde_json::Value| match v {
                    serde_json::Value::String(s) => spreadsheet_safe(s).into_owned(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                let account = view.account_external(f.id)?.unwrap_or_default();
                w.write_record(std::iter::once(spreadsheet_safe(&account).into_owned()).chain(m.values().map(cell)))?;
            }
            w.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Link(a) => {
            let desk = read_only(&a.common)?;
            let params = a.rule.params(a.common.tz)?;
            let report = app::cases::link_file(&desk, &a.cases, &params).map_err(cli_error)?;
            print_report(a.format, &report)
        }
        Command::Case(CaseCommand::Import { common, file }) => {
            let desk = writable(app::Desk::open(&common.db, common.tz), "register the cases through POST /v1/cases")?;
            let s = app::cases::import(&desk, &file).map_err(cli_error)?;
            println!(
                "registered {} cases from {} ({} already registered, left as they were)",
                s.registered,
                file.display(),
                s.already_registered
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Rings(a) => {
            let desk = read_only(&a.common)?;
            if let Some(file) = &a.confirmed {
                let listed = moneytrail::ingest::lists::read_confirmed(file)?;
                let source =
                    file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into());
                let found =
                    app::rings::with_confirmed(&desk, &listed, &source, a.min_score, None).map_err(cli_error)?;
                if let Some(out) = &a.scores {
                    write_scores(&desk.view().map_err(cli_error)?, &found.scores, out)?;
                }
                print_report(a.format, &found.report)
            } else if let Some(dir) = &a.from_batch {
                let report = app::rings::ranked_from_batch(&desk, dir, a.min_score).map_err(cli_error)?;
                print_report(a.format, &report)
            } else if a.around.is_empty() {
                let report =
                    app::rings::ranked(&desk, a.min_score, None, app::rings::Freshness::Current).map_err(cli_error)?;
                print_report(a.format, &report)
            } else {
                let mut around = app::rings::around(&desk, &a.around, true).map_err(cli_error)?;
                around.rings.retain(|r| r.ring.score >= a.min_score);
                print_report(a.format, &around)
            }
        }
        Command::Eval(EvalCommand::Rings { w: WorldArgs { world, db, tz }, no_cases, confirmed_share, format }) => {
            let db = world_store(&world, db, tz)?;
            let mut desk = app::Desk::open(&db, tz).map_err(cli_error)?;
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
        Command::Eval(EvalCommand::Link { w: WorldArgs { world, db, tz }, rule, format }) => {
            let db = world_store(&world, db, tz)?;
            let desk = app::Desk::open_read_only(&db, tz).map_err(cli_error)?;
            let eval = eval::link::score(&desk, &world, &rule.params(tz)?).map_err(cli_error)?;
            print_report(format, &eval)
        }
        Command::Eval(EvalCommand::Trace { w: WorldArgs { world, db, tz }, rule, threshold, format }) => {
            let db = world_store(&world, db, tz)?;
            let desk = app::Desk::open_read_only(&db, tz).map_err(cli_error)?;
            let threshold_fen =
                moneytrail::money::parse_yuan(&threshold).with_context(|| format!("--threshold {threshold:?}"))?;
            let fp = moneytrail::freeze::FreezeParams { threshold_fen, ..Default::default() };
            let eval = eval::trace::score(&desk, &world, &rule.params(tz)?, &fp).map_err(cli_error)?;
            print_report(format, &eval)
        }
        Command::Eval(EvalCommand::Warnings { world, upload_minutes, rings_hours, keep, tz, format }) => {
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
                upload_every_ms: upload_minutes * moneytrail::timefmt::MINUTE_MS,
                rings_every_ms: (rings_hours > 0).then_some(rings_hours * moneytrail::timefmt::HOUR_MS),
            };
            let eval = eval::warnings::replay(&world, &work_dir, opts, tz).map_err(cli_error)?;
            print_report(format, &eval)
        }
        Command::Stop(c) => cmd_stop(c),
        Command::Gen(a) => {
            let days =
                moneytrail::timefmt::parse_date_days(&a.start).with_context(|| format!("--start {:?}", a.start))?;
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
                + chrono::Duration::days(i64::from(days));
            use chrono::Datelike;
            let config = moneytrail::gen::WorldConfig {
                persons: a.persons,
                days: a.days,
                seed: a.seed,
                start_date: (date.year(), date.month(), date.day()),
                habits: match &a.habits {
                    Some(f) => moneytrail::gen::Habits::from_file(f)?,
                    None => moneytrail::gen::Habits::default(),
                },
            };
            let summary = moneytrail::gen::generate(&config, &a.out)?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::GenStatements(a) => {
            use moneytrail::gen::statements::{case_accounts, write_statements, StatementConfig};
            let mut accounts = a.account.clone();
            if let Some(case) = &a.case {
                let levels = case_accounts(&a.world, case, a.to_level)?;
                for level in levels
                    .iter()
                    .skip(a.from_level as usize)
                    .take((a.to_level + 1).saturating_sub(a.from_level) as usize)
                {
                    accounts.extend(level.iter().cloned());
                }
            }
            if accounts.is_empty() {
                anyhow::bail!("give --account ACCOUNT[,…] or --case CASE (with --from-level/--to-level)");
            }
            let until_ms = match &a.until {
                Some(t) => {
                    Some(parse_ts(t, moneytrail::timefmt::DEFAULT_TZ).with_context(|| format!("--until {t:?}"))?)
                }
                None => None,
            };
            let config = StatementConfig { accounts, seed: a.seed, broken_rate: a.broken, drop_rate: a.drop, until_ms };
            let written = write_statements(&a.world, &a.out, &config)?;
            println!("{}", serde_json::to_string_pretty(&written)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats(a) => {
            let desk = read_only(&a.common)?;
            let stats = app::query::stats(&desk).map_err(cli_error)?;
            print_report(a.format, &stats)
        }
        Command::Account(a) => {
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
    }
}

/// The flag a request field is set with on the command line.
fn flag_of(field: &str) -> String {
    match field {
        "seed_txn_ids" => "--seed-txn".into(),
        "victims" => "--victim".into(),
        "file" => "--file".into(),
        f => format!("--{}", f.replace('_', "-")),
    }
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

/// A use case's error as the command line says it: the flag at fault instead of the API's field name.
fn cli_error(e: app::AppError) -> anyhow::Error {
    use app::AppError as A;
    match e {
        A::BadInput { field, message } | A::Unprocessable { field, message } if field != "file" => {
            anyhow::anyhow!("{}: {message}", flag_of(&field))
        }
        A::BadInput { message, .. } | A::Unprocessable { message, .. } => anyhow::anyhow!(message),
        other => anyhow::Error::new(other),
    }
}

fn print_report(format: OutputFormat, report: &impl Report) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match render(&mut out, format, report).and_then(|()| out.flush()) {
        // The reader went away (`| head`): not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => r.map(|()| ExitCode::SUCCESS).context("writing output"),
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
        app::Desk::open(&a.common.db, a.common.tz),
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
    print_report(a.format, &summary)?;
    if summary.rejected() > 0 {
        eprintln!(
            "{} row(s) rejected; reasons in {}",
            summary.rejected(),
            summary.rejects_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
        );
        return Ok(ExitCode::from(EXIT_REJECTED_ROWS));
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_statements(c: StatementsCommand) -> Result<ExitCode> {
    match c {
        StatementsCommand::Import { common, paths, layout, skew, rejects_dir, format } => {
            let mut layouts = moneytrail::statements::Layouts::builtin();
            for f in &layout {
                layouts.add_file(f).map_err(|e| anyhow::anyhow!("--layout {e}"))?;
            }
            let opts = app::statements::ImportOptions {
                layouts,
                tz: common.tz,
                skew_ms: skew.saturating_mul(moneytrail::timefmt::SECOND_MS),
                rejects_dir,
            };
            let desk = writable(
                app::Desk::open(&common.db, common.tz),
                "upload the files through the server instead (POST /v1/ingest/statements), or stop it",
            )?;
            let summary = app::statements::import(&desk, &paths, &opts).map_err(cli_error)?;
            print_report(format, &summary)?;
            if summary.rejected() > 0 {
                eprintln!(
                    "{} line(s) rejected; reasons in {}",
                    summary.rejected(),
                    summary.rejects_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
                );
                return Ok(ExitCode::from(EXIT_REJECTED_ROWS));
            }
            Ok(ExitCode::SUCCESS)
        }
        StatementsCommand::Check { common, account, format } => {
            let desk = read_only(&common)?;
            let check = app::statements::check(&desk, account.as_deref()).map_err(cli_error)?;
            print_report(format, &check)
        }
    }
}

/// The trace query of `trace` and `freeze`: seeds and rule options, parsed once (`from_text`) as the API does.
fn trace_query(s: &SeedArgs, tz: Tz) -> Result<app::trace::TraceQuery> {
    let params = s.rule.params(tz)?;
    let seeds = moneytrail::trace::SeedSpec::from_text(&s.seed_txn, &s.victim, s.from.as_deref(), s.to.as_deref(), tz)
        .map_err(|e| anyhow::anyhow!("{}: {}", flag_of(e.field), e.message))?;
    Ok(app::trace::TraceQuery { seeds, params })
}

fn cmd_trace(a: TraceArgs) -> Result<ExitCode> {
    let desk = read_only(&a.common)?;
    if let Some(account) = &a.upstream {
        let (tz, r, seeds) = (a.common.tz, &a.seeds.rule, &a.seeds);
        let (from, to, as_of) = (seeds.from.as_deref(), seeds.to.as_deref(), r.as_of.as_deref());
        let follow_all = a.follow == Follow::All;
        let q = app::trace::UpstreamQuery::from_text(account, from, to, as_of, Some(r.hops), r.rule, follow_all, tz)?;
        let report = app::trace::upstream(&desk, &q).map_err(cli_error)?;
        return match a.format {
            TraceFormat::Json => print_report(OutputFormat::Json, &report),
            TraceFormat::Csv => print_report(OutputFormat::Csv, &report),
            TraceFormat::Table => print_report(OutputFormat::Table, &report),
            other => anyhow::bail!("--format {other:?} is not available for --upstream (table, json or csv)"),
        };
    }
    let q = trace_query(&a.seeds, a.common.tz)?;
    let report = app::trace::trace(&desk, &q).map_err(cli_error)?;
    match a.format {
        TraceFormat::Dot => {
            print!("{}", report.to_dot());
            Ok(ExitCode::SUCCESS)
        }
        TraceFormat::Table => print_report(OutputFormat::Table, &report),
        TraceFormat::Json => print_report(OutputFormat::Json, &report),
        TraceFormat::Csv => print_report(OutputFormat::Csv, &report),
        TraceFormat::Svg | TraceFormat::Html => {
            use moneytrail::flowchart::{to_html, to_svg, ChartTitle};
            let title = ChartTitle { subject: a.title, lang: a.lang };
            let doc = if a.format == TraceFormat::Svg {
                to_svg(&report, &title)
            } else {
                let now = moneytrail::timefmt::format_rfc3339(app::now_ms(), a.common.tz);
                to_html(&report, &title, &now)
            };
            std::io::Write::write_all(&mut std::io::stdout().lock(), doc.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cmd_freeze(a: FreezeArgs) -> Result<ExitCode> {
    let tz = a.common.tz;
    let desk = read_only(&a.common)?;
    let q = trace_query(&a.seeds, tz)?;
    let threshold_fen =
        moneytrail::money::parse_yuan(&a.threshold).with_context(|| format!("--threshold {:?}", a.threshold))?;
    let fp = moneytrail::freeze::FreezeParams {
        threshold_fen,
        hub_counterparties: a.hub_counterparties,
        reading: a.reading,
    };
    let report = app::trace::freeze(&desk, &q, &fp).map_err(cli_error)?;
    print_report(a.format, &report)
}

fn now_or(at: &Option<String>, tz: Tz) -> Result<i64> {
    at.as_deref().map_or(Ok(app::now_ms()), |v| parse_ts(v, tz).with_context(|| format!("--at {v:?}")))
}

fn cmd_stop(c: StopCommand) -> Result<ExitCode> {
    match c {
        StopCommand::Place { common, account, amount, at, case, by, basis_txn, note } => {
            let desk = writable(app::Desk::open(&common.db, common.tz), "record the stop through POST /v1/stops")?;
            let amount_fen =
                moneytrail::money::parse_positive_yuan(&amount).with_context(|| format!("--amount {amount:?}"))?;
            let new = moneytrail::store::NewStop {
                account,
                amount_fen,
                placed_at_ms: now_or(&at, common.tz)?,
                case_id: case,
                placed_by: by,
                basis_txn,
                note,
            };
            print_report(OutputFormat::Table, &app::stops::place(&desk, &new, None).map_err(cli_error)?.value)
        }
        StopCommand::Renew { common, id, at } => {
            let desk =
                writable(app::Desk::open(&common.db, common.tz), "renew the stop through POST /v1/stops/{id}/renew")?;
            let list = app::stops::renew(&desk, id, now_or(&at, common.tz)?, None).map_err(cli_error)?.value;
            print_report(OutputFormat::Table, &list)
        }
        StopCommand::Release { common, id, at } => {
            let desk = writable(
                app::Desk::open(&common.db, common.tz),
                "release the stop through POST /v1/stops/{id}/release",
            )?;
            let list = app::stops::release(&desk, id, now_or(&at, common.tz)?, None).map_err(cli_error)?.value;
            print_report(OutputFormat::Table, &list)
        }
        StopCommand::List { common, active_at, expiring_within, format } => {
            let desk = read_only(&common)?;
            let active_at_ms = match &active_at {
                Some(t) => Some(parse_ts(t, common.tz).with_context(|| format!("--active-at {t:?}"))?),
                None => None,
            };
            let filter =
                app::stops::StopFilter { active_at_ms, expiring_within_hours: expiring_within, now_ms: app::now_ms() };
            let list = app::stops::list(&desk, filter).map_err(cli_error)?;
            print_report(format, &list)
        }
    }
}

/// The store of a generated world: the given one, or WORLD/.moneytrail-store (ingested if missing).
/// Every account's score from the scorer, highest first, as CSV.
fn write_scores(view: &moneytrail::store::StoreView<'_>, scores: &[f64], out: &std::path::Path) -> Result<()> {
    let mut order: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut w = csv::Writer::from_path(out).with_context(|| format!("--scores {}", out.display()))?;
    w.write_record(["account", "score"])?;
    for i in order {
        let name = view.account_external(i as u32)?.unwrap_or_default();
        w.write_record([spreadsheet_safe(&name).into_owned(), format!("{:.4}", scores[i])])?;
    }
    w.flush().with_context(|| format!("--scores {}", out.display()))?;
    Ok(())
}

fn world_store(world: &std::path::Path, db: Option<PathBuf>, tz: Tz) -> Result<PathBuf> {
    let (db, missing) = eval::world_store(world, db);
    if missing {
        eprintln!("ingesting {} into {}", world.display(), db.display());
        eval::ingest_world(world, &db, tz).map_err(cli_error)?;
    }
    Ok(db)
}

/// A desk on the store for reading: works beside a server that writes to it.
fn read_only(common: &Common) -> Result<app::Desk> {
    app::Desk::open_read_only(&common.db, common.tz).map_err(cli_error)
}

/// A desk opened for writing, or, when a server holds the store, an error that says so and what to do
/// instead (`instead`).
fn writable(opened: app::AppResult<app::Desk>, instead: &str) -> Result<app::Desk> {
    opened.map_err(|e| match e {
        app::AppError::InUse { .. } => anyhow::anyhow!("{e}: {instead}"),
        other => cli_error(other),
    })
}
