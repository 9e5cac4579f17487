//! CSV (RFC 4180, CRLF rows, UTF-8 with a byte-order mark so spreadsheet programs read
//! Thai correctly). Structured: one header row of field names (nested objects as `a.b`,
//! the first line-item table's columns as `items.description`, further tables as JSON
//! cells), then one row per line item with the other fields repeated, or one row. Free
//! text: `page,line,text`, one row per non-blank line.
//!
//! Cells starting with `=`, `+`, `-`, `@`, tab or carriage return are formulas to a
//! spreadsheet (CSV injection): they get a leading `'` unless they are a plain number.

use std::borrow::Cow;

use super::value::Value;
use super::{Record, Shape, Structured};

pub(crate) const BOM: &str = "\u{FEFF}";

pub(crate) fn write(record: &Record) -> Vec<u8> {
    let mut out = String::with_capacity(1024);
    out.push_str(BOM);
    match &record.shape {
        Shape::FreeText => {
            push_row(&mut out, ["page", "line", "text"].iter().map(|s| Cow::Borrowed(*s)));
            push_free_text_rows(&mut out, record, &[]);
        }
        Shape::Structured(s) => {
            let (columns, rows) = structured_rows(s);
            push_row(&mut out, columns.iter().map(|c| Cow::Borrowed(c.as_str())));
            for row in rows {
                push_row(&mut out, row.into_iter());
            }
        }
    }
    out.into_bytes()
}

/// `prefix..., page, line, text` rows of a free-text record.
pub(crate) fn push_free_text_rows(out: &mut String, record: &Record, prefix: &[&str]) {
    let mut num = String::new();
    for page in &record.pages {
        for (i, line) in page.lines().enumerate() {
            num.clear();
            super::super::push_uint(&mut num, i as u64 + 1);
            let page_no = page.number.to_string();
            let cells = prefix
                .iter()
                .map(|s| Cow::Borrowed(*s))
                .chain([Cow::Borrowed(page_no.as_str()), Cow::Borrowed(num.as_str()), Cow::Borrowed(line)]);
            push_row(out, cells);
        }
    }
}

/// Column names and rows of a structured result.
pub(crate) fn structured_rows<'s>(s: &'s Structured) -> (Vec<String>, Vec<Vec<Cow<'s, str>>>) {
    let mut columns: Vec<String> = s.fields.iter().map(|(n, _)| n.clone()).collect();
    let mut base: Vec<Cow<'s, str>> = s.fields.iter().map(|(_, v)| v.cell_text()).collect();
    let first = s.tables.first();
    for t in s.tables.iter().skip(1) {
        columns.push(t.name.to_owned());
        let mut json = String::from("[");
        for (i, row) in t.rows.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push('{');
            let mut n = 0;
            for (c, v) in t.columns.iter().zip(row) {
                if let Some(v) = v {
                    if n > 0 {
                        json.push(',');
                    }
                    n += 1;
                    Value::String(Cow::Borrowed(c)).push_json(&mut json);
                    json.push(':');
                    v.push_json(&mut json);
                }
            }
            json.push('}');
        }
        json.push(']');
        base.push(Cow::Owned(json));
    }
    let mut rows = Vec::new();
    match first {
        Some(t) => {
            let at = columns.len();
            columns.extend(t.columns.iter().map(|c| format!("{}.{}", t.name, c)));
            for row in &t.rows {
                let mut cells = base.clone();
                cells.extend(row.iter().map(|v| v.map(|v| v.cell_text()).unwrap_or(Cow::Borrowed(""))));
                debug_assert_eq!(cells.len(), at + t.columns.len());
                rows.push(cells);
            }
        }
        None => rows.push(base),
    }
    (columns, rows)
}

pub(crate) fn push_row<'c>(out: &mut String, cells: impl Iterator<Item = Cow<'c, str>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, &cell);
    }
    out.push_str("\r\n");
}

fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - digits_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s2 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - s2;
    }
    if digits > 0 && i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let s3 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s3 {
            return false;
        }
    }
    digits > 0 && i == b.len()
}

/// One cell: neutralised if it reads as a formula, quoted when it holds `,` `"` CR or LF.
pub(crate) fn push_cell(out: &mut String, cell: &str) {
    let formula = matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
        && !is_plain_number(cell);
    let needs_quotes = formula || cell.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        out.push_str(cell);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    let mut start = 0;
    for (i, b) in cell.bytes().enumerate() {
        if b == b'"' {
            out.push_str(&cell[start..=i]);
            out.push('"');
            start = i + 1;
        }
    }
    out.push_str(&cell[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::super::{parse_result, Record};
    use super::*;

    fn cells(s: &str) -> String {
        let mut out = String::new();
        push_cell(&mut out, s);
        out
    }

    #[test]
    fn neutralises_formulas_and_quotes() {
        assert_eq!(cells("=cmd()"), "\"'=cmd()\"");
        assert_eq!(cells("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cells("-1.5"), "-1.5");
        assert_eq!(cells("+66 2 123"), "\"'+66 2 123\"");
        assert_eq!(cells("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(cells("ภาษาไทย"), "ภาษาไทย");
        assert!(is_plain_number("1e5") && is_plain_number("-0.5") && !is_plain_number("-") && !is_plain_number("1e"));
    }

    #[test]
    fn structured_and_free_text() {
        let v = parse_result(STRUCTURED.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None))).unwrap();
        let mut lines = out.split("\r\n");
        assert_eq!(lines.next().unwrap(), "\u{FEFF}invoiceNumber,total,paid,date,ชื่อ,2bad name,vendor.name,vendor.taxId,tags,items.description,items.qty,items.price");
        assert_eq!(lines.next().unwrap(), "INV-<1>,1234.5,false,,\"บริษัท \"\"ไทย\"\"\",\"'=HYPERLINK(\"\"x\"\")\",ACME & Co,-42,a; b,Widget,2,-1.5");
        assert!(lines.next().unwrap().ends_with(",\"'@SUM(A1)\",1,"));
        let v = parse_result(FREE.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None))).unwrap();
        assert_eq!(out, "\u{FEFF}page,line,text\r\n1,1,Invoice <script>alert(1)</script>\r\n1,2,ภาษาไทย ราคา\r\n2,1,\"'=cmd()\"\r\n");
    }
}
