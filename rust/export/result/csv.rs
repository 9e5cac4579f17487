//! CSV (RFC 4180, CRLF rows, UTF-8 with a byte-order mark so spreadsheet programs read
//! Thai correctly). Structured: one header row of field names (nested objects as `a.b`,
//! the first line-item table's columns as `items.description`, further tables as JSON
//! cells), then one row per line item with the other fields repeated, or one row. Free
//! text: `page,line,text`, one row per non-blank line.
//!
//! Cells starting with `=`, `+`, `-`, `@`, tab or carriage return are formulas to a
//! spreadsheet (CSV injection): they get a leading `'` unless they are a plain number.

use std::borrow::Cow;
use std::collections::HashMap;

use super::value::Value;
use super::{table, Record, Shape, Structured, Table};

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
            let cells = prefix.iter().map(|s| Cow::Borrowed(*s)).chain([
                Cow::Borrowed(page_no.as_str()),
                Cow::Borrowed(num.as_str()),
                Cow::Borrowed(line),
            ]);
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
        base.push(Cow::Owned(rows_json(t)));
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

/// The columns of a batch's CSV, in order of first appearance, with their index.
#[derive(Default, Clone)]
pub(crate) struct Columns {
    pub names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    pub fn insert(&mut self, name: &str) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_owned(), self.names.len());
            self.names.push(name.to_owned());
        }
    }

    pub fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Adds `other`'s columns after these (first appearance order is kept when `other`
    /// saw later records).
    pub fn extend(&mut self, other: &Columns) {
        for n in &other.names {
            self.insert(n);
        }
    }
}

/// Calls `leaf(name, value)` for `value` flattened under `path` the way
/// `Record`'s `flatten` names it (`a.b`; `base` is where the relative prefix starts, so
/// an empty prefix gets no dot). `path` is restored afterwards.
fn flatten_visit<'v, 'a>(
    path: &mut String,
    base: usize,
    value: &'v Value<'a>,
    leaf: &mut impl FnMut(&str, &'v Value<'a>),
) {
    match value {
        Value::Object(entries) if !entries.is_empty() => {
            for (k, v) in entries {
                let len = path.len();
                if len > base {
                    path.push('.');
                }
                path.push_str(k);
                flatten_visit(path, base, v, leaf);
                path.truncate(len);
            }
        }
        _ => leaf(path, value),
    }
}

/// A column of a structured result: a flattened field, or a line-item table after the
/// first (one JSON cell).
enum Part<'v, 'a> {
    Field(&'v Value<'a>),
    Table(&'v [Value<'a>]),
}

/// The parts of a structured result in the order of [`structured_rows`]' columns:
/// `part(name, ...)` for each flattened field, then for each line-item table after the
/// first; returns the first table.
fn visit_structured<'v, 'a>(
    value: &'v Value<'a>,
    path: &mut String,
    part: &mut impl FnMut(&str, Part<'v, 'a>),
) -> Option<(&'v str, &'v [Value<'a>])> {
    let Value::Object(entries) = value else {
        part("value", Part::Field(value));
        return None;
    };
    for (k, v) in entries {
        if k != "_meta" && !v.is_table() {
            path.clear();
            path.push_str(k);
            flatten_visit(path, 0, v, &mut |name, v| part(name, Part::Field(v)));
        }
    }
    let mut first = None;
    for (k, v) in entries {
        if k == "_meta" {
            continue;
        }
        if let Value::Array(items) = v {
            if v.is_table() {
                if first.is_none() {
                    first = Some((k.as_ref(), items.as_slice()));
                } else {
                    part(k, Part::Table(items));
                }
            }
        }
    }
    first
}

/// Calls `f(column)` for each column of a structured result (those of
/// [`structured_rows`], repeats included).
pub(crate) fn for_each_column(value: &Value, path: &mut String, f: &mut impl FnMut(&str)) {
    let first = visit_structured(value, path, &mut |name, _| f(name));
    if let Some((name, items)) = first {
        for item in items {
            path.clear();
            path.push_str(name);
            path.push('.');
            let base = path.len();
            flatten_visit(path, base, item, &mut |col, _| f(col));
        }
    }
}

/// Reused buffers of [`push_structured_rows`]: the column index of each field and
/// line-item cell as the last record had them (records of a batch mostly share a shape,
/// so a name is hashed only when it differs from the last record's at that position).
#[derive(Default)]
pub(crate) struct RowScratch {
    path: String,
    cell: String,
    fields: Vec<(String, Option<usize>)>,
    items: Vec<(String, Option<usize>)>,
    touched: Vec<usize>,
}

fn lookup(memo: &mut Vec<(String, Option<usize>)>, pos: usize, name: &str, columns: &Columns) -> Option<usize> {
    if let Some((n, g)) = memo.get(pos) {
        if n == name {
            return *g;
        }
    }
    let g = columns.get(name);
    if pos < memo.len() {
        memo[pos].0.clear();
        memo[pos].0.push_str(name);
        memo[pos].1 = g;
    } else {
        memo.push((name.to_owned(), g));
    }
    g
}

#[derive(Clone, Copy)]
enum Slot<'v, 'a> {
    Empty,
    Value(&'v Value<'a>),
    Text(usize),
}

/// The rows of one structured result in a batch CSV whose header is `prefix columns`,
/// `pad` empty cells, then `columns`: one row per item of the first line-item table (or
/// one row), cells written straight into `out`. A column the record has but `columns`
/// lacks is left out; when a record repeats a column name, its first value is kept (as
/// [`structured_rows`] does).
pub(crate) fn push_structured_rows(
    out: &mut String,
    columns: &Columns,
    value: &Value,
    prefix: &[&str],
    pad: usize,
    scratch: &mut RowScratch,
) {
    let mut slots: Vec<Slot> = vec![Slot::Empty; columns.len()];
    let mut texts: Vec<String> = Vec::new();
    let RowScratch { path, cell, fields, items: item_memo, touched } = scratch;
    let mut pos = 0;
    let first = visit_structured(value, path, &mut |name, part| match part {
        Part::Field(v) => {
            if let Some(g) = lookup(fields, pos, name, columns) {
                if let Slot::Empty = slots[g] {
                    slots[g] = Slot::Value(v);
                }
            }
            pos += 1;
        }
        Part::Table(items) => {
            if let Some(g) = columns.get(name) {
                if let Slot::Empty = slots[g] {
                    texts.push(table_json(name, items));
                    slots[g] = Slot::Text(texts.len() - 1);
                }
            }
        }
    });
    let Some((name, items)) = first else {
        push_slots_row(out, prefix, pad, &slots, &texts, cell);
        return;
    };
    for item in items {
        path.clear();
        path.push_str(name);
        path.push('.');
        let base = path.len();
        let mut pos = 0;
        touched.clear();
        flatten_visit(path, base, item, &mut |col, v| {
            if let Some(g) = lookup(item_memo, pos, col, columns) {
                if let Slot::Empty = slots[g] {
                    slots[g] = Slot::Value(v);
                    touched.push(g);
                }
            }
            pos += 1;
        });
        push_slots_row(out, prefix, pad, &slots, &texts, cell);
        for &g in touched.iter() {
            slots[g] = Slot::Empty;
        }
    }
}

/// A further line-item table as one JSON cell (`[{column: value}]`, nested keys as `a.b`).
fn table_json(name: &str, items: &[Value]) -> String {
    rows_json(&table(name, items))
}

/// A table's rows as a JSON array of objects, leaving out the columns a row lacks.
fn rows_json(t: &Table) -> String {
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
    json
}

fn push_slots_row(out: &mut String, prefix: &[&str], pad: usize, slots: &[Slot], texts: &[String], cell: &mut String) {
    for (i, p) in prefix.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, p);
    }
    for _ in 0..pad {
        out.push(',');
    }
    for (i, slot) in slots.iter().enumerate() {
        if i > 0 || !prefix.is_empty() || pad > 0 {
            out.push(',');
        }
        match *slot {
            Slot::Empty => {}
            Slot::Text(t) => push_cell(out, &texts[t]),
            Slot::Value(v) => push_value_cell(out, v, cell),
        }
    }
    out.push_str("\r\n");
}

/// A value's cell text (as [`Value::push_cell_text`]) written as a cell.
fn push_value_cell(out: &mut String, v: &Value, cell: &mut String) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // JSON numbers are plain numbers: never quoted or neutralised.
        Value::Number(n) => super::value::push_number(out, n),
        Value::String(s) => push_cell(out, s),
        other => {
            cell.clear();
            other.push_cell_text(cell);
            push_cell(out, cell);
        }
    }
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
    let formula =
        matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) && !is_plain_number(cell);
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
        assert_eq!(
            lines.next().unwrap(),
            "INV-<1>,1234.5,false,,\"บริษัท \"\"ไทย\"\"\",\"'=HYPERLINK(\"\"x\"\")\",ACME & Co,-42,a; b,Widget,2,-1.5"
        );
        assert!(lines.next().unwrap().ends_with(",\"'@SUM(A1)\",1,"));
        let v = parse_result(FREE.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None))).unwrap();
        assert_eq!(out, "\u{FEFF}page,line,text\r\n1,1,Invoice <script>alert(1)</script>\r\n1,2,ภาษาไทย ราคา\r\n2,1,\"'=cmd()\"\r\n");
    }
}
