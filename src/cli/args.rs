//! The command line's arguments (clap): every command, its flags, their defaults and help.

use std::path::PathBuf;

use anyhow::Result;
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand};

use moneytrail::output::OutputFormat;
use moneytrail::timefmt::parse_tz;

use super::flag_of;

#[derive(Parser)]
#[command(
    name = "moneytrail",
    version,
    about = "Trace stolen funds through bank transfers, propose extended freezes, find mule-card rings."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// instead (docs/operations.md, "TLS").
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
pub enum AuditCommand {
    Verify {
        /// The audit log (default place: the store's audit.log).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
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
pub enum CliRole {
    Analyst,
    Operator,
    Admin,
}

#[derive(Subcommand)]
pub enum StatementsCommand {
    /// Import statement files (CSV/TSV in UTF-8 or GB18030, .xlsx, .xls; directories searched recursively):
    /// the two records of a transfer between two requested accounts become one transfer; importing the same
    /// file again adds nothing; all or nothing.
    Import {
        #[command(flatten)]
        common: Common,
        /// Statement files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// A bank's own header names, direction words and layouts (TOML, as src/statements/layouts.toml;
        /// `statements layout FILE` proposes one for a file no layout reads).
        #[arg(long, value_name = "FILE")]
        layout: Vec<PathBuf>,
        /// The statement's own account, for files that do not name it (a victim's bank-app export, a
        /// WeChat bill that names only a nickname). Files naming their own account keep it.
        #[arg(long, value_name = "ACCOUNT")]
        account: Option<String>,
        /// Seconds two banks' clocks may differ for the two records of one transfer.
        #[arg(long, default_value_t = moneytrail::policy::STATEMENT_SKEW_DEFAULT_MS / moneytrail::timefmt::SECOND_MS)]
        skew: i64,
        /// Where to write rejected lines (default: DIR/rejects/).
        #[arg(long, value_name = "DIR")]
        rejects_dir: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Propose a layout for a statement file: its header row, each column's field guessed from the name
    /// and the values (guesses marked UNSURE), printed as a layout file to correct and pass back with
    /// `statements import --layout FILE`.
    Layout {
        /// The statement file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Layout files to know besides the built-in ones (the proposal says which one reads the file).
        #[arg(long, value_name = "FILE")]
        layout: Vec<PathBuf>,
        /// Write the proposal here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// `toml` (the layout file) or `json` (the proposal with every column's guess and samples).
        #[arg(long, value_enum, default_value_t)]
        format: ProposalFormat,
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

/// How `statements layout` prints its proposal.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum ProposalFormat {
    #[default]
    Toml,
    Json,
}

#[derive(Args)]
pub struct SeedArgs {
    /// A registered case (`case import`, `POST /v1/cases`): its seeds, as of its report time unless
    /// --as-of is given.
    #[arg(long, value_name = "ID", conflicts_with_all = ["seed_txn", "victim", "from", "to"])]
    pub case: Option<String>,
    /// Seed transfer ids (the victims' payments), comma-separated or repeated.
    #[arg(long = "seed-txn", value_delimiter = ',', value_name = "ID")]
    pub seed_txn: Vec<String>,
    /// A victim account: its outgoing transfers in --from..--to become seeds (not those to terminals or
    /// to the victim's own accounts). Repeat for several victims.
    #[arg(long, value_name = "ACCOUNT")]
    pub victim: Vec<String>,
    /// Start of the victim window.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the victim window.
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub rule: RuleArgs,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Follow {
    #[default]
    Behaviour,
    All,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
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
pub struct PathsArgs {
    #[command(flatten)]
    pub common: Common,
    /// Where the money starts.
    #[arg(long, value_name = "ACCOUNT")]
    pub from: String,
    /// Where it may have arrived.
    #[arg(long, value_name = "ACCOUNT")]
    pub to: String,
    /// Only transfers at or after this time.
    #[arg(long)]
    pub start: Option<String>,
    /// Only transfers at or before this time.
    #[arg(long)]
    pub end: Option<String>,
    #[arg(long, default_value_t = 6)]
    pub max_hops: u32,
    /// At most this many paths listed.
    #[arg(long, default_value_t = moneytrail::policy::PATHS_LIMIT)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub seeds: SeedArgs,
    /// Trace this card's inflows in --from..--to back to where they came from (victims with their cases,
    /// likely unreported payers, salary, platforms, cash) instead of following seeds downstream.
    #[arg(long, value_name = "ACCOUNT", conflicts_with_all = ["seed_txn", "victim", "case"])]
    pub upstream: Option<String>,
    /// With --upstream: which senders to go back through — those that pass money on (behaviour), or all.
    #[arg(long, value_enum, default_value_t, requires = "upstream")]
    pub follow: Follow,
    #[arg(long, value_enum, default_value_t)]
    pub format: TraceFormat,
    /// Labels of the svg and html formats.
    #[arg(long, value_enum, default_value_t)]
    pub lang: moneytrail::flowchart::Lang,
    /// What heads the svg and html formats, e.g. the case id.
    #[arg(long, default_value = "")]
    pub title: String,
}

#[derive(Args)]
pub struct FreezeArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub seeds: SeedArgs,
    /// Accounts holding less traced money than this many yuan are not proposed.
    #[arg(long, default_value = "100")]
    pub threshold: String,
    /// Accounts with at least this many distinct counterparties are treated as hubs (not proposed).
    #[arg(long, default_value_t = 100)]
    pub hub_counterparties: usize,
    /// protective: propose where any of fifo, lifo and proportional leaves the case's money, for the largest
    /// amount, capped by the balance; rule: the --rule alone.
    #[arg(long, value_enum, default_value_t)]
    pub reading: moneytrail::freeze::Reading,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Subcommand)]
pub enum StopCommand {
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
pub struct RuleArgs {
    /// Transfers after this time do not exist (default: now; for `link`, each case's report time if given).
    #[arg(long)]
    pub as_of: Option<String>,
    /// How many hops to follow from the victims (1 to 20).
    #[arg(long, default_value_t = moneytrail::trace::DEFAULT_HOPS)]
    pub hops: u32,
    /// How an outgoing transfer is charged against a commingled balance (docs/trace-semantics.md).
    #[arg(long, value_enum, default_value_t)]
    pub rule: moneytrail::trace::Rule,
    /// Traced portions below this many yuan are not followed.
    #[arg(long, default_value = "0")]
    pub min_amount: String,
}

impl RuleArgs {
    pub fn params(&self, tz: Tz) -> Result<moneytrail::trace::TraceParams> {
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
pub struct LinkArgs {
    #[command(flatten)]
    pub common: Common,
    /// CSV with case_id, seed_txn_ids (;-separated) and optionally report_time.
    #[arg(long, value_name = "FILE")]
    pub cases: PathBuf,
    #[command(flatten)]
    pub rule: RuleArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Subcommand)]
pub enum CaseCommand {
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
pub struct RingsArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only rings scoring at least this (0-100).
    #[arg(long, default_value_t = 0.0)]
    pub min_score: f64,
    /// Only the rings around these accounts (known mules, from traces or freezes); they anchor their
    /// rings even when their own signals are weak. Comma-separated or repeated.
    #[arg(long, value_name = "ACCOUNT", value_delimiter = ',')]
    pub around: Vec<String>,
    /// Cards confirmed as mule cards (a 断卡 team's past operations; one account per line, or a CSV whose
    /// first column is the account): a scorer is trained on them, cross-validated, and flags accounts that
    /// look like them; the confirmed cards anchor rings.
    #[arg(long, value_name = "FILE", conflicts_with = "around")]
    pub confirmed: Option<PathBuf>,
    /// With --confirmed: write every account's score to this CSV (account, score), highest first.
    #[arg(long, value_name = "FILE", requires = "confirmed")]
    pub scores: Option<PathBuf>,
    /// Assemble the rings here from a batch job's features and suspects (`jobs/spark/`, run on an
    /// `export` of this very store) instead of computing every account's features on this machine.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["confirmed", "around"])]
    pub from_batch: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// A generated world and the store holding it.
#[derive(Args)]
pub struct WorldArgs {
    /// A world made by `moneytrail gen`.
    #[arg(long, value_name = "DIR")]
    pub world: PathBuf,
    /// Store holding the world (default: WORLD/.moneytrail-store, ingested if missing).
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    #[arg(long, default_value = "Asia/Shanghai", value_parser = parse_tz)]
    pub tz: Tz,
}

#[derive(Subcommand)]
pub enum EvalCommand {
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
pub struct GenArgs {
    /// Output directory (created).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 2000)]
    pub persons: usize,
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day of the world (local date).
    #[arg(long, default_value = "2026-01-01")]
    pub start: String,
    /// How the world's card dealers behave: a TOML file of habits (datasets/settings/ has the evaluation's
    /// settings; default: the generator's original habits).
    #[arg(long, value_name = "FILE")]
    pub habits: Option<PathBuf>,
}

#[derive(Args)]
pub struct GenStatementsArgs {
    /// A world in the input format (transfers.csv, accounts.csv, truth/).
    #[arg(long, value_name = "DIR")]
    pub world: PathBuf,
    /// Output directory (created).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// These accounts' statements. Comma-separated or repeated.
    #[arg(long, value_name = "ACCOUNT", value_delimiter = ',')]
    pub account: Vec<String>,
    /// Or the accounts a case's money reached, by level (0: the victim), from the world's truth.
    #[arg(long, value_name = "CASE")]
    pub case: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub from_level: u32,
    #[arg(long, default_value_t = 1)]
    pub to_level: u32,
    /// Only lines up to this time (a statement requested at that moment).
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of lines written broken (unreadable amount, Excel-mangled account number).
    #[arg(long, default_value_t = 0.0)]
    pub broken: f64,
    /// Share of lines left out (missing pages).
    #[arg(long, default_value_t = 0.0)]
    pub drop: f64,
}

#[derive(Args)]
pub struct Common {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Time zone for times without an offset, in input and output (IANA name).
    #[arg(long, default_value = "Asia/Shanghai", value_parser = parse_tz)]
    pub tz: Tz,
}

#[derive(Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub common: Common,
    /// Transfers files: CSV, Parquet or Arrow IPC (detected from content).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub transfers: Vec<PathBuf>,
    /// Accounts files: account_id, holder_id, holder_name, phone, device_id, bank, branch, opened_at, kind.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub accounts: Vec<PathBuf>,
    /// CSV field delimiter (one byte; `\t` for tab).
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Column names of your files: `field=column`, e.g. `--map ts=交易时间,amount=交易金额`.
    #[arg(long, value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// A file of `field=column` lines.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// Rows per chunk (bounds memory).
    #[arg(long, default_value_t = 262_144)]
    pub chunk_rows: usize,
    /// Where to write rejected rows (default: DIR/rejects/).
    #[arg(long, value_name = "DIR")]
    pub rejects_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args)]
pub struct AccountArgs {
    #[command(flatten)]
    pub common: Common,
    /// The account's external id (card or account number).
    pub account: String,
    /// Only transfers at or after this time.
    #[arg(long)]
    pub from: Option<String>,
    /// Only transfers at or before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Transfers per page.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Continue after this cursor (printed at the end of the previous page).
    #[arg(long)]
    pub after: Option<String>,
    /// Also show the mule-card ring the account belongs to, if any (runs ring detection over the whole
    /// store: seconds on a large one).
    #[arg(long)]
    pub ring: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}
