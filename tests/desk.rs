//! One desk for every use case: the same write through the CLI and through the API ends in the same store
//! and raises the same warnings. (Before the desk, `statements import` from the CLI raised none.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use moneytrail::app::Desk;
use moneytrail::server::{app, AppState, AuditLog, Role, ServerConfig};
use moneytrail::store::TransferStore;
use moneytrail::timefmt::DEFAULT_TZ;

const OPERATOR: &str = "operator-token-1234567890";

// A victim V1 paid the mule card M; M passed most of it to M2. The case is registered with V1's payment.
const VICTIM: &str = "6217000000000001";
const NEXT_VICTIM: &str = "6217000000000002";
const MULE: &str = "6222000000000009";
const LEVEL_TWO: &str = "6228000000000003";

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_moneytrail")).args(args).output().expect("run moneytrail")
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A store with the four accounts, the two transfers and the registered case, under `dir/base`.
fn base_store(dir: &Path) -> PathBuf {
    let accounts = dir.join("accounts.csv");
    let mut text = String::from("account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind\n");
    for (i, (account, name)) in
        [(VICTIM, "张三"), (NEXT_VICTIM, "李四"), (MULE, "王五"), (LEVEL_TWO, "赵六")].into_iter().enumerate()
    {
        text.push_str(&format!("{account},H{i},{name},1380000000{i},D{i},ICBC,,2020-01-01,personal\n"));
    }
    std::fs::write(&accounts, text).unwrap();
    let transfers = dir.join("transfers.csv");
    std::fs::write(
        &transfers,
        format!(
            "txn_id,ts,src,dst,amount,channel,currency,src_name,dst_name,src_bank,dst_bank,memo\n\
             T1,2026-01-09 10:00:00,{VICTIM},{MULE},50000.00,transfer,CNY,张三,王五,ICBC,ICBC,\n\
             T2,2026-01-09 10:20:00,{MULE},{LEVEL_TWO},49000.00,transfer,CNY,王五,赵六,ICBC,ICBC,\n"
        ),
    )
    .unwrap();
    let cases = dir.join("cases.csv");
    std::fs::write(&cases, "case_id,seed_txn_ids,report_time\nCASE-1,T1,2026-01-09 12:00:00\n").unwrap();
    let db = dir.join("base");
    ok(&["ingest", "--db", p(&db), "--accounts", p(&accounts), "--transfers", p(&transfers)]);
    ok(&["case", "import", "--db", p(&db), "--file", p(&cases)]);
    db
}

/// M's statement, as its bank sends it: V1's payment (stored already) and a second person's payment at
/// 14:00, after the case was registered (a victim still paying, to be warned).
fn statement(dir: &Path) -> PathBuf {
    let path = dir.join("mule.csv");
    std::fs::write(
        &path,
        format!(
            "查询账号：{MULE}\n交易时间,交易金额,借贷标志,余额,对手账号,对手户名\n\
             2026-01-09 10:00:00,50000.00,贷,50000.00,{VICTIM},张三\n\
             2026-01-09 10:20:00,49000.00,借,1000.00,{LEVEL_TWO},赵六\n\
             2026-01-09 14:00:00,30000.00,贷,31000.00,{NEXT_VICTIM},李四\n"
        ),
    )
    .unwrap();
    path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A warning without its times: (transfer, account, payer, fen, grade, reasons).
type Warned = (u64, u32, u32, i64, String, Vec<String>);

/// The store's digest apart from the warnings (they carry the time they were raised), and the warnings
/// without their times: what a write through either front end must leave the same.
fn outcome(db: &Path) -> (u64, Vec<Warned>) {
    let store = TransferStore::open(db).unwrap();
    let digest = store.digest_of(|family| family != "warnings").unwrap();
    let warnings = store
        .view()
        .unwrap()
        .all_warnings()
        .unwrap()
        .into_iter()
        .map(|w| (w.seq, w.account, w.sender, w.amount_fen, format!("{:?}", w.grade), w.reasons))
        .collect();
    (digest, warnings)
}

#[tokio::test]
async fn a_statement_imported_through_the_cli_and_the_api_ends_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_store(dir.path());
    let file = statement(dir.path());
    let (cli_db, api_db) = (dir.path().join("cli"), dir.path().join("api"));
    copy_dir(&base, &cli_db);
    copy_dir(&base, &api_db);

    let cli: serde_json::Value =
        serde_json::from_str(&ok(&["statements", "import", "--db", p(&cli_db), "--format", "json", p(&file)])).unwrap();
    assert_eq!(cli["transfers_added"], 1, "{cli}");
    assert_eq!(cli["warnings_raised"], 1, "the CLI's import checks the new payment too: {cli}");

    let config = ServerConfig::with_tokens(&[(OPERATOR, "opa", Role::Operator)]);
    let desk = Desk::new(Arc::new(TransferStore::open(&api_db).unwrap()), DEFAULT_TZ);
    let state = AppState::new(desk, config, AuditLog::open(&dir.path().join("audit.log")).unwrap());
    let req = Request::builder()
        .method("POST")
        .uri("/v1/ingest/statements?name=mule.csv")
        .header("authorization", format!("Bearer {OPERATOR}"))
        .header("content-type", "text/csv")
        .body(Body::from(std::fs::read(&file).unwrap()))
        .unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let api: serde_json::Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(api["transfers_added"], 1, "{api}");
    assert_eq!(api["warnings_raised"], 1, "{api}");
    drop(state);

    let (cli_out, api_out) = (outcome(&cli_db), outcome(&api_db));
    assert_eq!(cli_out.1.len(), 1, "one warning: the second person's payment into the case's card");
    assert_eq!(cli_out, api_out, "the CLI and the API leave the same store and the same warnings");
}
