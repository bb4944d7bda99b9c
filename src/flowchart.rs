//! The money-flow diagram of a trace: accounts by level from left to right, edges as wide as the money
//! they carried, held amounts on the accounts, terminals marked by kind. One layout serves the web view
//! (the API answers `format=svg`) and the case folder (`moneytrail trace --format svg|html`), so what an
//! investigator saw on screen is what goes into the file.
//!
//! The SVG carries machine-readable attributes (`data-account`, `data-hop`, `data-terminal`, `data-held`
//! on `g.mt-account`; `data-src`, `data-dst`, `data-traced` on `path.mt-edge`) that the web view uses for
//! clicks and its tests use to check the picture against the trace.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rustc_hash::FxHashMap;
use unicode_width::UnicodeWidthChar;

use crate::money::Fen;
use crate::trace::report::{AccountEntry, TraceReport};

/// Label language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn level(self, hop: u32) -> String {
        match (self, hop) {
            (Lang::Zh, 0) => "受害人".into(),
            (Lang::En, 0) => "Victims".into(),
            (Lang::Zh, h) => format!("第{h}级"),
            (Lang::En, h) => format!("Level {h}"),
        }
    }

    /// A trace report's note in this language (notes the report does not define are shown as written).
    fn note(self, note: &str) -> &str {
        use crate::trace::report::{NOTE_CLEAN_MONEY, NOTE_EQUAL_TIMES, NOTE_POISON};
        match (self, note) {
            (Lang::En, _) => note,
            (Lang::Zh, n) if n == NOTE_CLEAN_MONEY => {
                "账户转出超过其有记录转入的部分，按其自有（非涉案）资金处理：库中只有交易流水，没有期初余额。"
            }
            (Lang::Zh, n) if n == NOTE_EQUAL_TIMES => "时间相同的交易按入库顺序（银行记账顺序）排列。",
            (Lang::Zh, n) if n == NOTE_POISON => {
                "污染法：涉案资金到达后的每笔转出都全额计入、对每位受害人都计入；金额会重叠，表示资金可达范围的上限，不是滞留金额。"
            }
            (Lang::Zh, n) => n,
        }
    }

    fn terminal(self, kind: &str) -> &'static str {
        match kind {
            "cash" => self.pick("取现", "cash-out"),
            "otc" => self.pick("U商/OTC", "crypto OTC"),
            "platform" => self.pick("支付平台", "platform"),
            "merchant" => self.pick("商户", "merchant"),
            "frozen" => self.pick("已止付", "stopped"),
            _ => self.pick("终端", "terminal"),
        }
    }
}

/// Fill and stroke of a terminal kind; also used by the legend.
fn terminal_colours(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "cash" => ("#f4cccc", "#cc0000"),
        "otc" => ("#d9d2e9", "#674ea7"),
        "platform" => ("#cfe2f3", "#3d85c6"),
        "merchant" => ("#d9ead3", "#38761d"),
        "frozen" => ("#e0e0e0", "#434343"),
        _ => ("#eeeeee", "#666666"),
    }
}

const NODE_W: f64 = 210.0;
const NODE_H: f64 = 62.0;
const COL_W: f64 = 300.0;
const ROW_H: f64 = 78.0;
const PAD: f64 = 24.0;
const HEADER_H: f64 = 108.0;
const LEGEND_H: f64 = 56.0;
/// Room right of the last level for the arrows of money that goes on past the hop limit.
const BEYOND_W: f64 = 130.0;
/// Above this many edges the amounts are left to the tooltips: labels would cover each other.
const MAX_EDGE_LABELS: usize = 300;
const FONT: &str = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif";

/// A box in the diagram: a victim (level 0) or an account the money reached.
struct Node<'a> {
    account: &'a str,
    hop: u32,
    entry: Option<&'a AccountEntry>,
    /// Money the victim paid in (victims only).
    paid: Fen,
    x: f64,
    y: f64,
}

/// Money carried from one account to another, over all traced transfers between them.
struct Edge {
    src: usize,
    dst: usize,
    traced: Fen,
    transfers: usize,
}

/// The laid-out diagram.
struct Layout<'a> {
    nodes: Vec<Node<'a>>,
    edges: Vec<Edge>,
    /// Money that left a box past the hop limit (node index → amount): the trail goes on.
    beyond: BTreeMap<usize, Fen>,
    levels: BTreeMap<u32, Vec<usize>>,
    width: f64,
    height: f64,
}

fn layout(report: &TraceReport) -> Layout<'_> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    for s in &report.seeds {
        let i = *index.entry(s.victim.as_str()).or_insert_with(|| {
            nodes.push(Node { account: &s.victim, hop: 0, entry: None, paid: Fen(0), x: 0.0, y: 0.0 });
            nodes.len() - 1
        });
        nodes[i].paid += s.amount;
    }
    for a in &report.accounts {
        match index.get(a.account.as_str()) {
            // Money returned to a victim lands on the victim's box.
            Some(&i) => nodes[i].entry = Some(a),
            None => {
                index.insert(&a.account, nodes.len());
                nodes.push(Node { account: &a.account, hop: a.hop, entry: Some(a), paid: Fen(0), x: 0.0, y: 0.0 });
            }
        }
    }
    // The seeds are among the traced transfers: victim → first level comes from them too.
    let mut agg: BTreeMap<(usize, usize), (Fen, usize)> = BTreeMap::new();
    // Arrows are money the trace followed (onwards, back to a victim, or into a terminal). Money past the
    // hop limit or under the cut-off was not followed: even when it lands on a box already drawn (a
    // cycle, a same-level account) it is not part of that box's traced_in, and is shown as a stub instead.
    let followed = |outcome: &str| !matches!(outcome, "beyond_hops" | "below_cutoff");
    for t in report.transfers.iter().filter(|t| t.traced.0 > 0 && followed(t.outcome)) {
        if let (Some(&s), Some(&d)) = (index.get(t.src.as_str()), index.get(t.dst.as_str())) {
            let e = agg.entry((s, d)).or_default();
            e.0 += t.traced;
            e.1 += 1;
        }
    }
    let mut beyond: BTreeMap<usize, Fen> = BTreeMap::new();
    for t in report.transfers.iter().filter(|t| t.outcome == "beyond_hops" && t.traced.0 > 0) {
        if let Some(&s) = index.get(t.src.as_str()) {
            *beyond.entry(s).or_default() += t.traced;
        }
    }
    let edges: Vec<Edge> =
        agg.into_iter().map(|((src, dst), (traced, transfers))| Edge { src, dst, traced, transfers }).collect();

    let mut levels: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        levels.entry(n.hop).or_default().push(i);
    }
    // Order each level by the money-weighted mean row of what fed it (barycentre), so flows run as
    // straight as they can; what nothing placed feeds goes last, largest first.
    let mut row: Vec<f64> = vec![f64::NAN; nodes.len()];
    let mut incoming: Vec<Vec<(usize, i64)>> = vec![Vec::new(); nodes.len()];
    for e in &edges {
        incoming[e.dst].push((e.src, e.traced.0));
    }
    for (hop, members) in levels.iter_mut() {
        if *hop > 0 {
            let key = |i: usize| {
                let (mut sum, mut weight) = (0.0, 0.0);
                for &(s, w) in &incoming[i] {
                    if !row[s].is_nan() && nodes[s].hop < *hop {
                        sum += row[s] * w as f64;
                        weight += w as f64;
                    }
                }
                if weight > 0.0 {
                    sum / weight
                } else {
                    f64::INFINITY
                }
            };
            let traced_in = |i: usize| nodes[i].entry.map_or(0, |e| e.traced_in.0);
            members.sort_by(|&a, &b| {
                key(a)
                    .total_cmp(&key(b))
                    .then(traced_in(b).cmp(&traced_in(a)))
                    .then(nodes[a].account.cmp(nodes[b].account))
            });
        }
        for (r, &i) in members.iter().enumerate() {
            row[i] = r as f64;
        }
    }
    let tallest = levels.values().map(Vec::len).max().unwrap_or(0);
    for (hop, members) in &levels {
        // Shorter columns are centred on the tallest.
        let offset = (tallest - members.len()) as f64 * ROW_H / 2.0;
        for (r, &i) in members.iter().enumerate() {
            nodes[i].x = PAD + *hop as f64 * COL_W;
            nodes[i].y = HEADER_H + offset + r as f64 * ROW_H;
        }
    }
    let columns = levels.keys().next_back().map_or(1, |h| h + 1);
    let stubs = if beyond.is_empty() { 0.0 } else { BEYOND_W };
    let width = (2.0 * PAD + (columns - 1) as f64 * COL_W + NODE_W + stubs).max(760.0);
    let height = HEADER_H + tallest.max(1) as f64 * ROW_H + LEGEND_H;
    Layout { nodes, edges, beyond, levels, width, height }
}

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not characters in XML 1.0: one of them in a holder's name would make the whole diagram
            // unreadable to an XML parser (the web view's among them).
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Cuts `s` to `cols` display columns (CJK characters count two), marking the cut.
fn clip(s: &str, cols: usize) -> String {
    let width = |c: char| c.width().unwrap_or(0);
    if s.chars().map(width).sum::<usize>() <= cols {
        return s.to_string();
    }
    let mut used = 0;
    let mut out = String::new();
    for c in s.chars() {
        if used + width(c) > cols.saturating_sub(1) {
            break;
        }
        used += width(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// What the diagram is of, for its header.
#[derive(Clone, Debug, Default)]
pub struct ChartTitle {
    /// E.g. the case id.
    pub subject: String,
    pub lang: Lang,
}

/// The diagram as a standalone SVG document.
pub fn to_svg(report: &TraceReport, title: &ChartTitle) -> String {
    let lang = title.lang;
    let l = layout(report);
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="mt-flow" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" font-family="{FONT}" role="img" aria-label="{label}">"#,
        w = l.width,
        h = l.height,
        label = esc(&format!("{} {}", lang.pick("资金流向图", "Money-flow diagram"), title.subject)),
    );
    o.push_str(concat!(
        "<defs><marker id=\"mt-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" ",
        "markerWidth=\"11\" markerHeight=\"11\" ",
        "orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#5b7fa6\"/></marker>",
        "<pattern id=\"mt-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">",
        "<rect width=\"6\" height=\"6\" fill=\"#e0e0e0\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9e9e9e\" stroke-width=\"2\"/></pattern></defs>",
    ));
    let _ = write!(o, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    header(&mut o, report, title);
    for hop in l.levels.keys() {
        let _ = write!(
            o,
            r##"<text class="mt-level" x="{:.0}" y="{:.0}" font-size="13" font-weight="bold" fill="#444">{}</text>"##,
            PAD + *hop as f64 * COL_W,
            HEADER_H - 12.0,
            esc(&lang.level(*hop))
        );
    }
    edges(&mut o, &l);
    beyond_stubs(&mut o, &l, lang);
    for n in &l.nodes {
        node(&mut o, n, lang);
    }
    legend(&mut o, &l, lang);
    o.push_str("</svg>\n");
    o
}

fn header(o: &mut String, report: &TraceReport, title: &ChartTitle) {
    let lang = title.lang;
    let t = &report.totals;
    let heading = format!("{} {}", title.subject, lang.pick("资金流向图", "money flow")).trim().to_string();
    let _ =
        write!(o, r##"<text x="{PAD}" y="30" font-size="18" font-weight="bold" fill="#222">{}</text>"##, esc(&heading));
    let rule = format!(
        "{} {} · {} {} · {} {}",
        lang.pick("规则", "rule"),
        report.rule,
        lang.pick("层级上限", "hops"),
        report.hops,
        lang.pick("截至", "as of"),
        report.as_of.as_deref().unwrap_or(lang.pick("当前", "now")),
    );
    let _ = write!(o, r##"<text x="{PAD}" y="52" font-size="12" fill="#444">{}</text>"##, esc(&rule));
    let mut totals = format!(
        "{} ¥{} · {} ¥{} · {} ¥{} · {} ¥{}",
        lang.pick("被骗金额", "stolen"),
        t.seed_total,
        lang.pick("滞留可冻结", "held (freezable)"),
        t.held,
        lang.pick("流至终端", "reached terminals"),
        t.terminals,
        lang.pick("退回受害人", "returned"),
        t.returned,
    );
    if t.below_cutoff.0 > 0 || t.beyond_hops.0 > 0 {
        let _ = write!(
            totals,
            " · {} ¥{} · {} ¥{}",
            lang.pick("低于起点金额未追", "below cut-off"),
            t.below_cutoff,
            lang.pick("超出层级未画", "beyond hop limit"),
            t.beyond_hops
        );
    }
    if report.rule == "poison" {
        totals.push_str(lang.pick(" · 污染法：金额会重复计算", " · poison rule: amounts overlap"));
    }
    let _ = write!(o, r##"<text x="{PAD}" y="70" font-size="12" fill="#444">{}</text>"##, esc(&totals));
}

fn edges(o: &mut String, l: &Layout) {
    let max = l.edges.iter().map(|e| e.traced.0).max().unwrap_or(1).max(1) as f64;
    let labelled = l.edges.len() <= MAX_EDGE_LABELS;
    for e in &l.edges {
        let (s, d) = (&l.nodes[e.src], &l.nodes[e.dst]);
        let width = 1.2 + 10.0 * (e.traced.0 as f64 / max).sqrt();
        let (x1, y1) = (s.x + NODE_W, s.y + NODE_H / 2.0);
        let (x2, y2) = (d.x, d.y + NODE_H / 2.0);
        let terminal = d.entry.and_then(|a| a.terminal);
        let colour = terminal.map_or("#5b7fa6", |k| terminal_colours(k).1);
        // Forward edges are smooth S-curves; edges back to an earlier level (returns, cycles) loop above.
        let (path, dash) = if x2 > x1 {
            let c = (x2 - x1) / 2.0;
            (format!("M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}", x1 + c, x2 - c), "")
        } else {
            let lift = 40.0 + (x1 - x2) * 0.15;
            (
                format!(
                    "M{x1:.1},{y1:.1} C{:.1},{:.1} {:.1},{:.1} {x2:.1},{y2:.1}",
                    x1 + 90.0,
                    y1.min(y2) - lift,
                    x2 - 90.0,
                    y1.min(y2) - lift
                ),
                r#" stroke-dasharray="6 4""#,
            )
        };
        let tip = format!(
            "{} → {}: ¥{} ({} transfer{})",
            s.account,
            d.account,
            e.traced,
            e.transfers,
            if e.transfers == 1 { "" } else { "s" }
        );
        let _ = write!(
            o,
            r#"<path class="mt-edge" data-src="{}" data-dst="{}" data-traced="{}" d="{path}" fill="none" stroke="{colour}" stroke-opacity="0.55" stroke-width="{width:.1}" marker-end="url(#mt-arrow)"{dash}><title>{}</title></path>"#,
            esc(s.account),
            esc(d.account),
            e.traced,
            esc(&tip)
        );
        if labelled {
            let _ = write!(
                o,
                r##"<text class="mt-edge-label" x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#333" stroke="#fff" stroke-width="3" paint-order="stroke">¥{}</text>"##,
                (x1 + x2) / 2.0,
                (y1 + y2) / 2.0 - 3.0,
                e.traced
            );
        }
    }
}

/// Dashed arrows out of the boxes whose money went on past the hop limit: the trace stops, the money
/// does not; raising `hops` follows it.
fn beyond_stubs(o: &mut String, l: &Layout, lang: Lang) {
    for (&i, amount) in &l.beyond {
        let n = &l.nodes[i];
        let (x, y) = (n.x + NODE_W, n.y + NODE_H / 2.0);
        let _ = write!(
            o,
            r##"<g class="mt-beyond" data-src="{}" data-traced="{amount}"><path d="M{x:.1},{y:.1} h70" fill="none" stroke="#999" stroke-width="2" stroke-dasharray="5 4" marker-end="url(#mt-arrow)"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#666">{}</text><text x="{:.1}" y="{:.1}" font-size="10" fill="#666">¥{amount}</text></g>"##,
            esc(n.account),
            x + 6.0,
            y - 6.0,
            lang.pick("超出层级", "beyond hops"),
            x + 6.0,
            y + 14.0,
        );
    }
}

fn node(o: &mut String, n: &Node, lang: Lang) {
    let terminal = n.entry.and_then(|a| a.terminal).unwrap_or("");
    let held = n.entry.map_or(Fen(0), |a| a.held);
    let (fill, stroke, stroke_w) = if n.hop == 0 {
        ("#fce5cd", "#b45f06", 1.5)
    } else if !terminal.is_empty() {
        let (f, s) = terminal_colours(terminal);
        (if terminal == "frozen" { "url(#mt-hatch)" } else { f }, s, 1.5)
    } else if held.0 > 0 {
        // Money still here: what an extended freeze can catch.
        ("#fff2cc", "#e69138", 2.5)
    } else {
        ("#fffdf5", "#b7b7b7", 1.0)
    };
    let _ = write!(
        o,
        r#"<g class="mt-account" data-account="{}" data-hop="{}" data-terminal="{}" data-held="{}" data-traced-in="{}" tabindex="0">"#,
        esc(n.account),
        n.hop,
        terminal,
        held,
        n.entry.map_or(Fen(0), |a| a.traced_in),
    );
    let mut tip = n.account.to_string();
    let line2;
    let line3;
    match n.entry {
        Some(a) if n.hop > 0 => {
            let _ = write!(tip, "\n{} {}\n{} ¥{}", a.holder_name, a.bank, lang.pick("流入", "traced in"), a.traced_in);
            if let Some(first) = &a.first_arrival {
                let _ = write!(tip, "\n{} {first}", lang.pick("首次到账", "first arrival"));
            }
            line2 = format!("{} · {}", a.holder_name, a.bank);
            line3 = if terminal.is_empty() {
                let mut s = format!("{} ¥{}", lang.pick("滞留", "held"), a.held);
                if !a.statement_requested {
                    s.push_str(lang.pick(" · 未调单", " · no statement"));
                }
                s
            } else {
                format!("{} ¥{}", lang.terminal(terminal), a.traced_in)
            };
        }
        _ => {
            line2 = lang.pick("受害人账户", "victim's account").to_string();
            line3 = format!("{} ¥{}", lang.pick("转出", "paid"), n.paid);
            let _ = write!(tip, "\n{} ¥{}", lang.pick("转出", "paid"), n.paid);
        }
    }
    let _ = write!(o, "<title>{}</title>", esc(&tip));
    let _ = write!(
        o,
        r#"<rect x="{:.1}" y="{:.1}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_w}"/>"#,
        n.x, n.y
    );
    let tx = n.x + 8.0;
    let _ = write!(
        o,
        r##"<text x="{tx:.1}" y="{:.1}" font-size="12" font-weight="bold" fill="#222">{}</text>"##,
        n.y + 18.0,
        esc(n.account)
    );
    let _ = write!(
        o,
        r##"<text x="{tx:.1}" y="{:.1}" font-size="11" fill="#555">{}</text>"##,
        n.y + 35.0,
        esc(&clip(&line2, 32))
    );
    let _ = write!(
        o,
        r##"<text class="mt-amount" x="{tx:.1}" y="{:.1}" font-size="12" fill="{}">{}</text>"##,
        n.y + 53.0,
        if terminal.is_empty() && held.0 > 0 { "#b45f06" } else { "#333" },
        esc(&line3)
    );
    o.push_str("</g>");
}

fn legend(o: &mut String, l: &Layout, lang: Lang) {
    let y = l.height - LEGEND_H + 20.0;
    let mut x = PAD;
    let mut item = |o: &mut String, fill: &str, stroke: &str, label: &str| {
        let _ = write!(
            o,
            r##"<rect x="{x:.0}" y="{:.0}" width="16" height="12" fill="{fill}" stroke="{stroke}"/><text x="{:.0}" y="{:.0}" font-size="11" fill="#444">{}</text>"##,
            y,
            x + 22.0,
            y + 10.0,
            esc(label)
        );
        x += 30.0 + label.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>() as f64 * 6.5;
    };
    o.push_str(r#"<g class="mt-legend">"#);
    item(o, "#fce5cd", "#b45f06", lang.pick("受害人", "victim"));
    item(o, "#fff2cc", "#e69138", lang.pick("资金滞留（可冻结）", "money held (freezable)"));
    item(o, "#fffdf5", "#b7b7b7", lang.pick("已转出", "passed on"));
    for k in ["cash", "otc", "platform", "merchant", "frozen"] {
        let (f, s) = terminal_colours(k);
        item(o, if k == "frozen" { "url(#mt-hatch)" } else { f }, s, lang.terminal(k));
    }
    o.push_str("</g>");
}

/// The case-folder page's only styling (inline: the file must stand alone).
const PAGE_STYLE: &str = "body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;margin:24px;color:#222}\
         table{border-collapse:collapse;font-size:13px;margin:8px 0 24px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\
         td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}.chart{overflow:auto;border:1px solid #ddd}.chart svg{max-width:100%;height:auto}\
         .meta{color:#666;font-size:12px}@media print{.chart{overflow:visible}}";

/// A self-contained HTML page for the case folder: the diagram, the totals, every account reached and the
/// statements still to request. No script, nothing fetched: it opens offline and prints.
pub fn to_html(report: &TraceReport, title: &ChartTitle, generated_at: &str) -> String {
    let lang = title.lang;
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>",
        lang.pick("zh-CN", "en"),
        esc(&format!("{} {}", title.subject, lang.pick("资金流向", "money flow"))),
        PAGE_STYLE
    );
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"meta\">{} moneytrail · {}</p>",
        esc(&format!("{} {}", title.subject, lang.pick("资金流向", "money flow"))),
        lang.pick("生成：", "generated by"),
        esc(generated_at)
    );
    let _ = write!(o, "<div class=\"chart\">{}</div>", to_svg(report, title));
    let t = &report.totals;
    let _ = write!(o, "<h2>{}</h2><table>", lang.pick("资金去向合计", "Where the money is"));
    for (k, v) in [
        (lang.pick("被骗金额", "stolen (seeds)"), t.seed_total),
        (lang.pick("滞留在账户（可冻结）", "held in reached accounts"), t.held),
        (lang.pick("流至终端", "reached terminals"), t.terminals),
        (lang.pick("退回受害人", "returned to victims"), t.returned),
        (lang.pick("低于起点金额", "below the cut-off"), t.below_cutoff),
        (lang.pick("超出层级上限", "beyond the hop limit"), t.beyond_hops),
    ] {
        let _ = write!(o, "<tr><th>{}</th><td class=\"n\">¥{v}</td></tr>", esc(k));
    }
    o.push_str("</table>");
    let headers = if lang == Lang::Zh {
        ["级", "账户", "户名", "开户行", "类别", "流入", "流出", "滞留", "首次到账", "证据链"]
    } else {
        ["level", "account", "holder", "bank", "kind", "traced in", "traced out", "held", "first arrival", "evidence"]
    };
    let _ = write!(o, "<h2>{}</h2><table><tr>", lang.pick("涉及账户", "Accounts reached"));
    for h in headers {
        let _ = write!(o, "<th>{h}</th>");
    }
    o.push_str("</tr>");
    for a in &report.accounts {
        let kind = a.terminal.map_or_else(|| a.kind.clone(), |k| lang.terminal(k).to_string());
        let _ = write!(
            o,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            a.hop,
            esc(&a.account),
            esc(&a.holder_name),
            esc(&a.bank),
            esc(&kind),
            a.traced_in,
            a.traced_out,
            a.held,
            esc(a.first_arrival.as_deref().unwrap_or("")),
            esc(&a.evidence.first().map(|c| c.join(" → ")).unwrap_or_default()),
        );
    }
    o.push_str("</table>");
    if !report.statements_to_request.is_empty() {
        let _ = write!(
            o,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            lang.pick("待调单账户", "Statements to request (调单)"),
            lang.pick("账户", "account"),
            lang.pick("级", "level"),
            lang.pick("滞留", "held")
        );
        for r in &report.statements_to_request {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.account),
                r.hop,
                r.held
            );
        }
        o.push_str("</table>");
    }
    for n in &report.notes {
        let _ = write!(o, "<p class=\"meta\">{}</p>", esc(lang.note(n)));
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::MemGraph;
    use crate::model::{AccountKind, Channel};
    use crate::trace::{trace_downstream, Rule, TraceParams};

    /// Accounts of a diagram: account → (hop, terminal, held, x), and edges: (src, dst) → traced.
    type Drawn = (BTreeMap<String, (u32, String, String, f64)>, BTreeMap<(String, String), String>);

    fn drawn(svg: &str) -> Drawn {
        let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
        let mut accounts = BTreeMap::new();
        let mut edges = BTreeMap::new();
        for n in doc.descendants() {
            match n.attribute("class") {
                Some("mt-account") => {
                    let rect = n.children().find(|c| c.has_tag_name("rect")).unwrap();
                    let prev = accounts.insert(
                        n.attribute("data-account").unwrap().to_string(),
                        (
                            n.attribute("data-hop").unwrap().parse().unwrap(),
                            n.attribute("data-terminal").unwrap().to_string(),
                            n.attribute("data-held").unwrap().to_string(),
                            rect.attribute("x").unwrap().parse().unwrap(),
                        ),
                    );
                    assert!(prev.is_none(), "one box per account");
                }
                Some("mt-edge") => {
                    let key =
                        (n.attribute("data-src").unwrap().to_string(), n.attribute("data-dst").unwrap().to_string());
                    assert!(edges.insert(key, n.attribute("data-traced").unwrap().to_string()).is_none());
                }
                _ => {}
            }
        }
        (accounts, edges)
    }

    #[test]
    fn draws_the_hand_worked_fifo_trace() {
        // V pays B 30.00 (the seed) on top of B's clean 10.00; B pays C 20.00, FIFO: 10.00 clean + 10.00
        // stolen, in that order; C withdraws 15.00 at an ATM: the clean 10.00, then 5.00 stolen. Held: B
        // 20.00, C 5.00; cash 5.00.
        let (v, b, c, atm) = (100, 1, 2, 50);
        let mut g = MemGraph::new();
        g.add(1, 0, 9, b, 1000, Channel::Transfer);
        g.add(2, 10, v, b, 3000, Channel::Transfer);
        g.add(3, 20, b, c, 2000, Channel::Transfer);
        g.add(4, 30, c, atm, 1500, Channel::AtmWithdrawal);
        g.set_kind(atm, AccountKind::Atm);
        g.set_name(v, "V");
        g.set_name(b, "B<&\"'>");
        g.set_name(c, "C");
        g.set_name(atm, "ATM");
        let t = trace_downstream(&g, &[2], &TraceParams { rule: Rule::Fifo, ..Default::default() }).unwrap();
        let report = TraceReport::build(&g, &t, chrono_tz::Asia::Shanghai).unwrap();
        for lang in [Lang::Zh, Lang::En] {
            let svg = to_svg(&report, &ChartTitle { subject: "CASE-1".into(), lang });
            let (accounts, edges) = drawn(&svg);
            let strip = |a: &BTreeMap<String, (u32, String, String, f64)>| {
                a.iter().map(|(k, (h, t, held, _))| (k.clone(), *h, t.clone(), held.clone())).collect::<Vec<_>>()
            };
            assert_eq!(
                strip(&accounts),
                vec![
                    ("ATM".to_string(), 3, "cash".to_string(), "0.00".to_string()),
                    ("B<&\"'>".to_string(), 1, String::new(), "20.00".to_string()),
                    ("C".to_string(), 2, String::new(), "5.00".to_string()),
                    ("V".to_string(), 0, String::new(), "0.00".to_string()),
                ]
            );
            // Levels run left to right.
            let x = |a: &str| accounts[a].3;
            assert!(x("V") < x("B<&\"'>") && x("B<&\"'>") < x("C") && x("C") < x("ATM"));
            let e = |s: &str, d: &str| edges.get(&(s.to_string(), d.to_string())).cloned();
            assert_eq!(edges.len(), 3, "{edges:?}");
            assert_eq!(e("V", "B<&\"'>").as_deref(), Some("30.00"));
            assert_eq!(e("B<&\"'>", "C").as_deref(), Some("10.00"));
            assert_eq!(e("C", "ATM").as_deref(), Some("5.00"));
        }
        let zh = to_svg(&report, &ChartTitle { subject: "CASE-1".into(), lang: Lang::Zh });
        let en = to_svg(&report, &ChartTitle { subject: "CASE-1".into(), lang: Lang::En });
        assert!(zh.contains("第1级") && zh.contains("滞留 ¥20.00") && zh.contains("取现 ¥5.00"));
        assert!(en.contains("Level 1") && en.contains("held ¥20.00") && en.contains("cash-out ¥5.00"));
        // With two hops the ATM withdrawal (the third hop) is beyond the limit: C's box gets an arrow saying
        // where the 5.00 went, and no ATM box.
        let short = TraceParams { rule: Rule::Fifo, hops: 2, ..Default::default() };
        let t2 = trace_downstream(&g, &[2], &short).unwrap();
        let r2 = TraceReport::build(&g, &t2, chrono_tz::Asia::Shanghai).unwrap();
        let svg = to_svg(&r2, &ChartTitle { subject: "CASE-1".into(), lang: Lang::En });
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let stubs: Vec<(&str, &str)> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("mt-beyond"))
            .map(|n| (n.attribute("data-src").unwrap(), n.attribute("data-traced").unwrap()))
            .collect();
        assert_eq!(stubs, vec![("C", "5.00")]);
        assert!(!drawn(&svg).0.contains_key("ATM"));
        let zh_page = to_html(&report, &ChartTitle { subject: "CASE-1".into(), lang: Lang::Zh }, "now");
        assert!(zh_page.contains("时间相同的交易") && !zh_page.contains("equal timestamps"), "notes in Chinese");
        let html = to_html(&report, &ChartTitle { subject: "CASE-1".into(), lang: Lang::En }, "now");
        assert!(!html.contains("<script") && !html.contains("B<&"), "no script, names escaped");
        assert!(html.contains("<td>B&lt;&amp;&quot;&#39;&gt;</td>"));
    }

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(esc("a<b>&\"'\u{1}c\u{FFFE}\u{FFFF}d"), "a&lt;b&gt;&amp;&quot;&#39;cd");
    }

    #[test]
    fn clips_by_display_width() {
        assert_eq!(clip("张三 · 中国银行", 32), "张三 · 中国银行");
        assert_eq!(clip("一二三四五六", 6), "一二…");
        assert_eq!(clip("abcdef", 6), "abcdef");
    }
}
