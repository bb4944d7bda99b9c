//! Reading statement files as banks send them: CSV or TSV in UTF-8 (with or without BOM) or GB18030/GBK,
//! and Excel workbooks (.xlsx, .xls) with one or more sheets. Every file becomes sheets of text rows; the
//! encoding used is reported, never guessed silently.

use std::path::{Path, PathBuf};

use super::StatementError;

/// One sheet (a CSV file is one sheet) as rows of cell text.
#[derive(Clone, Debug)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

/// A file read: how it was decoded and its sheets.
#[derive(Clone, Debug)]
pub struct RawFile {
    pub path: PathBuf,
    /// `UTF-8`, `UTF-8 (BOM)`, `GB18030`, `xlsx` or `xls`.
    pub encoding: &'static str,
    pub sheets: Vec<Sheet>,
}

/// What a file is, from its first bytes (the name can lie).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A ZIP container: .xlsx.
    Xlsx,
    /// An OLE compound document: .xls.
    Xls,
    Text,
}

pub fn sniff(bytes: &[u8]) -> FileKind {
    if bytes.starts_with(b"PK\x03\x04") {
        FileKind::Xlsx
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        FileKind::Xls
    } else {
        FileKind::Text
    }
}

/// Decodes text: UTF-8 when the bytes are valid UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK
/// and GB2312), which must decode without a single malformed sequence.
pub fn decode_text(path: &Path, bytes: &[u8]) -> Result<(String, &'static str), StatementError> {
    // UTF-16 with its BOM (a bank's web download written by a Windows program).
    for (bom, enc, name) in
        [(&[0xFF, 0xFE][..], encoding_rs::UTF_16LE, "UTF-16LE"), (&[0xFE, 0xFF][..], encoding_rs::UTF_16BE, "UTF-16BE")]
    {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let (text, had_errors) = enc.decode_without_bom_handling(rest);
            if had_errors {
                return Err(StatementError::Encoding {
                    path: path.into(),
                    detail: format!("a {name} BOM, then bytes that are not {name}"),
                });
            }
            return Ok((text.into_owned(), name));
        }
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest).map(|s| (s.to_string(), "UTF-8 (BOM)")).map_err(|e| {
            StatementError::Encoding { path: path.into(), detail: format!("a UTF-8 BOM, then invalid UTF-8: {e}") }
        });
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(StatementError::Encoding {
            path: path.into(),
            detail: "neither UTF-8 nor GB18030/GBK (bytes that decode as neither)".into(),
        });
    }
    Ok((text.into_owned(), "GB18030"))
}

/// Tab or comma, whichever the first lines use more (a Chinese bank's "CSV" is often tab-separated).
fn delimiter_of(text: &str) -> u8 {
    let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let tabs = head.matches('\t').count();
    let commas = head.matches(',').count();
    if tabs > commas {
        b'\t'
    } else {
        b','
    }
}

fn read_text(path: &Path, bytes: &[u8]) -> Result<RawFile, StatementError> {
    let (text, encoding) = decode_text(path, bytes)?;
    if is_html(&text) {
        // A `.xls` that is an HTML table (what many web banks send as "Excel").
        let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let sheets = html_tables(&text)
            .into_iter()
            .enumerate()
            .map(|(i, rows)| Sheet { name: if i == 0 { name.clone() } else { format!("{name}#{}", i + 1) }, rows })
            .collect();
        let encoding = match encoding {
            "GB18030" => "HTML (GB18030)",
            "UTF-16LE" | "UTF-16BE" => "HTML (UTF-16)",
            _ => "HTML",
        };
        return Ok(RawFile { path: path.into(), encoding, sheets });
    }
    let delimiter = delimiter_of(&text);
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| StatementError::Csv {
            path: path.into(),
            line: e.position().map_or(0, |p| p.line()),
            detail: e.to_string(),
        })?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(RawFile { path: path.into(), encoding, sheets: vec![Sheet { name, rows }] })
}

/// The text Excel shows for a number cell. Whole numbers print without a fraction; a number of 15 or more
/// digits prints the way Excel shows it (`6.22202E+18`), since its digits beyond the 15th are gone: an
/// account number stored as a number is refused when it is read as one.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else if f.abs() >= 1e15 {
        format!("{f:.5E}").replace('E', "E+")
    } else {
        format!("{f}")
    }
}

fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        // A date cell: its serial (days since 1899-12-30), which the line reader turns into a time.
        Data::DateTime(d) => format!("{}", d.as_f64()),
    }
}

fn read_workbook(path: &Path, kind: FileKind) -> Result<RawFile, StatementError> {
    use calamine::Reader;
    let bad = |detail: String| StatementError::Workbook { path: path.into(), detail };
    let mut sheets = Vec::new();
    let mut take = |names: Vec<String>,
                    get: &mut dyn FnMut(&str) -> Result<calamine::Range<calamine::Data>, String>| {
        for name in names {
            let range = get(&name).map_err(bad)?;
            // A range starts at its first used cell: pad it so row numbers are the sheet's own.
            let (top, left) = range.start().unwrap_or((0, 0));
            let mut rows: Vec<Vec<String>> = vec![Vec::new(); top as usize];
            rows.extend(range.rows().map(|r| {
                std::iter::repeat_n(String::new(), left as usize).chain(r.iter().map(cell_text)).collect::<Vec<_>>()
            }));
            sheets.push(Sheet { name, rows });
        }
        Ok::<(), StatementError>(())
    };
    match kind {
        FileKind::Xlsx => {
            let mut wb: calamine::Xlsx<_> =
                calamine::open_workbook(path).map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
            let names = wb.sheet_names();
            take(names, &mut |n| wb.worksheet_range(n).map_err(|e| e.to_string()))?;
        }
        _ => {
            let mut wb: calamine::Xls<_> =
                calamine::open_workbook(path).map_err(|e: calamine::XlsError| bad(e.to_string()))?;
            let names = wb.sheet_names();
            take(names, &mut |n| wb.worksheet_range(n).map_err(|e| e.to_string()))?;
        }
    }
    Ok(RawFile { path: path.into(), encoding: if kind == FileKind::Xlsx { "xlsx" } else { "xls" }, sheets })
}

/// Whether decoded text is an HTML document (a table saved as `.xls`).
fn is_html(text: &str) -> bool {
    let head: String = text.trim_start().chars().take(2048).collect::<String>().to_ascii_lowercase();
    head.starts_with('<') && (head.contains("<table") || head.contains("<html") || head.contains("<tr"))
}

/// The rows of every `<table>` of an HTML document: `<tr>`s of `<td>`/`<th>` cells, tags stripped, entities
/// decoded, a `colspan` kept as empty cells so columns stay aligned.
fn html_tables(text: &str) -> Vec<Vec<Vec<String>>> {
    let lower = text.to_ascii_lowercase();
    let mut tables = Vec::new();
    let table_starts: Vec<usize> = {
        let mut v: Vec<usize> = lower.match_indices("<table").map(|(i, _)| i).collect();
        if v.is_empty() {
            v.push(0);
        }
        v
    };
    for (k, &start) in table_starts.iter().enumerate() {
        let end = table_starts.get(k + 1).copied().unwrap_or(text.len());
        let mut rows = Vec::new();
        let mut pos = start;
        while let Some(tr) = lower[pos..end].find("<tr") {
            let tr_start = pos + tr;
            let tr_end = lower[tr_start + 3..end].find("<tr").map_or(end, |x| tr_start + 3 + x);
            let mut cells = Vec::new();
            let mut c = tr_start;
            while let Some(cell) = lower[c..tr_end].find(['<']).map(|x| c + x) {
                let tag = &lower[cell..tr_end];
                let is_cell = tag.starts_with("<td") || tag.starts_with("<th");
                let Some(open_end) = lower[cell..tr_end].find('>').map(|x| cell + x + 1) else { break };
                if !is_cell {
                    c = open_end;
                    continue;
                }
                let span = attr_number(&lower[cell..open_end], "colspan").unwrap_or(1).clamp(1, 64);
                let close = ["</td", "</th", "<td", "<th", "</tr"]
                    .iter()
                    .filter_map(|t| lower[open_end..tr_end].find(t).map(|x| open_end + x))
                    .min()
                    .unwrap_or(tr_end);
                cells.push(html_text(&text[open_end..close]));
                cells.extend(std::iter::repeat_n(String::new(), span - 1));
                c = close;
            }
            rows.push(cells);
            pos = tr_end;
        }
        if !rows.is_empty() {
            tables.push(rows);
        }
    }
    tables
}

fn attr_number(tag: &str, name: &str) -> Option<usize> {
    let i = tag.find(name)? + name.len();
    let rest = tag[i..].trim_start().strip_prefix('=')?.trim_start().trim_start_matches(['"', '\'']);
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// A cell's text: tags dropped, `&nbsp;` and the other common entities decoded, white space collapsed.
fn html_text(raw: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in raw.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let mut s = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    while let Some(i) = s.find("&#") {
        let Some(j) = s[i..].find(';').map(|j| i + j) else { break };
        let code = &s[i + 2..j];
        let ch = if let Some(hex) = code.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()
        } else {
            code.parse().ok()
        }
        .and_then(char::from_u32);
        match ch {
            Some(c) => s.replace_range(i..=j, &c.to_string()),
            None => break,
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads one statement file, whatever its kind.
pub fn read_file(path: &Path) -> Result<RawFile, StatementError> {
    let bytes = std::fs::read(path).map_err(|source| StatementError::Io { path: path.into(), source })?;
    match sniff(&bytes) {
        FileKind::Text => read_text(path, &bytes),
        kind => read_workbook(path, kind),
    }
}

/// The statement files under the given paths: files as given, directories searched recursively for
/// `.csv`, `.tsv`, `.txt`, `.xlsx` and `.xls` (hidden files skipped). Sorted, so an import reads files in
/// the same order every time (ids and sequence numbers depend on it).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, StatementError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), StatementError> {
        let entries = std::fs::read_dir(dir).map_err(|source| StatementError::Io { path: dir.into(), source })?;
        for e in entries {
            let p = e.map_err(|source| StatementError::Io { path: dir.into(), source })?.path();
            let hidden = p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                let ext = p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                if ["csv", "tsv", "txt", "xlsx", "xls"].contains(&ext.as_str()) {
                    out.push(p);
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside = Vec::new();
            walk(p, &mut inside)?;
            inside.sort();
            out.extend(inside);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(StatementError::Io {
                path: p.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_gb18030_are_told_apart() {
        let p = Path::new("x.csv");
        assert_eq!(decode_text(p, "交易时间,金额".as_bytes()).unwrap(), ("交易时间,金额".into(), "UTF-8"));
        let bom = [&[0xEF, 0xBB, 0xBF][..], "交易时间".as_bytes()].concat();
        assert_eq!(decode_text(p, &bom).unwrap(), ("交易时间".into(), "UTF-8 (BOM)"));
        let (gbk, _, _) = encoding_rs::GB18030.encode("交易时间,对方户名,张三");
        assert_eq!(decode_text(p, &gbk).unwrap(), ("交易时间,对方户名,张三".into(), "GB18030"));
        let e = decode_text(p, &[0x81, 0x20, 0xFF]).unwrap_err().to_string();
        assert!(e.contains("x.csv") && e.contains("neither UTF-8 nor GB18030"), "{e}");
    }

    #[test]
    fn excel_numbers_read_as_excel_shows_them() {
        assert_eq!(number_text(1299.0), "1299");
        assert_eq!(number_text(1299.5), "1299.5");
        assert_eq!(number_text(6_222_021_234_567_890_123.0), "6.22202E+18");
    }

    #[test]
    fn utf16_and_html_tables_saved_as_xls() {
        let p = Path::new("x.xls");
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("交易日期\t金额".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode_text(p, &utf16).unwrap(), ("交易日期\t金额".into(), "UTF-16LE"));
        let html =
            "<html><body><table><tr><td colspan=2>明细</td></tr>\n<tr><th>交易日期</th><th>金额&nbsp;(元)</th></tr>\
                    <tr><td>2026-03-02</td><td>&#45;5,000.00</td></tr></table></body></html>";
        let f = read_text(p, html.as_bytes()).unwrap();
        assert_eq!(f.encoding, "HTML");
        assert_eq!(
            f.sheets[0].rows,
            vec![vec!["明细", ""], vec!["交易日期", "金额 (元)"], vec!["2026-03-02", "-5,000.00"]]
        );
    }

    #[test]
    fn tabs_or_commas() {
        assert_eq!(delimiter_of("a\tb\tc\n1\t2\t3"), b'\t');
        assert_eq!(delimiter_of("a,b,c\n1,2,3"), b',');
    }
}
