//! A trace's memory grows with the money it follows, not with victims × transfers (issue 17: one
//! request of 62,000 seeds from many payers took the server to 1.2 GB). Measured with a counting
//! allocator around the engine alone: 1,000 victims, each robbed through a chain of its own five cards
//! to an ATM. Every transfer and card carries one victim's money, so a per-victim amount kept densely
//! (a 1,000-long vector per traced transfer and three per card) costs about 170 MB here; kept sparsely,
//! a few MB.

use moneytrail::graph::MemGraph;
use moneytrail::model::{AccountKind, Channel};
use moneytrail::trace::{trace_downstream, Rule, TraceParams};
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const VICTIMS: u32 = 1_000;
const CHAIN: u32 = 5;
const ATM: u32 = 999_999;

#[test]
fn a_trace_of_a_thousand_victims_keeps_only_the_amounts_that_moved() {
    let mut g = MemGraph::new();
    g.set_kind(ATM, AccountKind::Atm);
    let mut seq = 0;
    let mut seeds = Vec::new();
    for v in 0..VICTIMS {
        let card = |k: u32| 10_000 + v * 10 + k;
        seq += 1;
        g.add(seq, i64::from(v) * 1_000, v, card(0), 50_000_00, Channel::Transfer);
        seeds.push(seq);
        for k in 0..CHAIN {
            seq += 1;
            let (dst, channel) =
                if k + 1 == CHAIN { (ATM, Channel::AtmWithdrawal) } else { (card(k + 1), Channel::Transfer) };
            g.add(seq, i64::from(v) * 1_000 + i64::from(k) + 1, card(k), dst, 49_000_00, channel);
        }
    }
    let params = TraceParams { rule: Rule::Fifo, hops: 10, ..Default::default() };
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let trace = trace_downstream(&g, &seeds, &params).unwrap();
    let peak = ALLOC.peak_usage() - before;
    let kept = ALLOC.current_usage() - before;

    // The trace is right, so the figure is about a real trace.
    assert_eq!(trace.victims.len(), VICTIMS as usize);
    assert_eq!(trace.accounts.len(), (VICTIMS * CHAIN) as usize);
    assert_eq!(trace.transfers.len(), (VICTIMS * (CHAIN + 1)) as usize);
    assert!(trace.conserved());
    assert_eq!(trace.totals.iter().map(|t| t.terminals).sum::<i64>(), i64::from(VICTIMS) * 49_000_00);
    eprintln!("1,000 victims, 6,000 traced transfers: peak {} KiB, result {} KiB", peak / 1024, kept / 1024);
    assert!(peak < 24 << 20, "the trace took {} MiB at its peak: per-victim amounts kept densely?", peak >> 20);
}
