//! A batch's records in one file, written record by record so a caller can stream it:
//! `head()`, then `record()` for each record, then `finish()`. Memory holds one record
//! at a time (plus, for CSV, the column names found by `scan()` and for PDF, one offset
//! per object).

use std::borrow::Cow;

use super::super::xml_escape::push_escaped;
use super::csv_scan::{ColumnScan, Scanned};
use super::pdf::{for_each_page_image, synthetic_document, PdfStream};
use super::value::Value;
use super::zip::ZipWriter;
use super::{csv, docx, html, is_free_text, parse_result, xml, Record, Shape};
use crate::error::{Error, Result};
use crate::model::Document;

/// Formats a batch can be exported in.
pub const BATCH_FORMATS: &[&str] = &["json", "text", "xml", "html", "csv", "pdf", "docx"];

/// One record of a batch.
pub struct BatchRecord<'a> {
    pub id: &'a str,
    pub upload_id: &'a str,
    pub file_name: &'a str,
    pub status: &'a str,
    pub error: Option<&'a str>,
    pub result_json: Option<&'a [u8]>,
    pub text: Option<&'a str>,
    pub document: Option<&'a Document>,
    pub original: Option<&'a [u8]>,
}

enum State {
    Plain,
    Docx(ZipWriter),
    Pdf(Option<PdfStream>),
}

pub struct BatchWriter {
    format: &'static str,
    title: String,
    batch_json: Vec<u8>,
    state: State,
    count: usize,
    /// CSV: structured columns found by `scan`, and whether any record is free text.
    columns: csv::Columns,
    free_text: bool,
}

const CSV_PREFIX: [&str; 4] = ["id", "fileName", "status", "error"];

impl BatchWriter {
    /// `batch_json` is the batch object (written into JSON exports, `id` and `name` read
    /// from it for the others); `title` names the file.
    pub fn new(format: &str, title: &str, batch_json: &[u8]) -> Result<BatchWriter> {
        let format = BATCH_FORMATS
            .iter()
            .find(|f| format.eq_ignore_ascii_case(f))
            .copied()
            .ok_or_else(|| Error::ExportFormat(format.to_owned(), BATCH_FORMATS.join(", ")))?;
        let state = match format {
            "docx" => State::Docx(ZipWriter::new()),
            "pdf" => State::Pdf(None),
            _ => State::Plain,
        };
        let batch_json =
            if batch_json.iter().all(u8::is_ascii_whitespace) { b"null".to_vec() } else { batch_json.to_vec() };
        serde_json::from_slice::<serde::de::IgnoredAny>(&batch_json)
            .map_err(|e| Error::InvalidDocument(format!("the batch is not valid JSON: {e}")))?;
        Ok(BatchWriter {
            format,
            title: title.to_owned(),
            batch_json,
            state,
            count: 0,
            columns: csv::Columns::default(),
            free_text: false,
        })
    }

    pub fn format(&self) -> &'static str {
        self.format
    }

    /// Whether `scan()` must see every result before `head()` (CSV needs its columns).
    pub fn needs_scan(&self) -> bool {
        self.format == "csv"
    }

    /// Whether `record()` uses the OCR document and the original file (PDF).
    pub fn needs_files(&self) -> bool {
        self.format == "pdf"
    }

    /// Learns the CSV columns of one result.
    pub fn scan(&mut self, result_json: Option<&[u8]>) -> Result<()> {
        scan_one(result_json, &mut self.columns, &mut self.free_text, &mut ColumnScan::default())
    }

    /// Learns the CSV columns of many results (spread over the CPUs for large slices).
    pub fn scan_many(&mut self, results: &[Option<&[u8]>]) -> Result<()> {
        let parts = parallel_chunks(results, |chunk, _| {
            let mut columns = csv::Columns::default();
            let mut free_text = false;
            let mut scanner = ColumnScan::default();
            for r in chunk {
                scan_one(*r, &mut columns, &mut free_text, &mut scanner)?;
            }
            Ok::<_, Error>((columns, free_text))
        });
        for part in parts {
            let (columns, free_text) = part?;
            if self.columns.is_empty() {
                self.columns = columns;
            } else {
                self.columns.extend(&columns);
            }
            self.free_text |= free_text;
        }
        Ok(())
    }

    fn batch_value(&self) -> Value<'_> {
        Value::parse(&self.batch_json).unwrap_or(Value::Null)
    }

    pub fn head(&mut self) -> Vec<u8> {
        let mut out = String::new();
        match self.format {
            "json" => {
                out.push_str("{\"batch\":");
                out.push_str(std::str::from_utf8(&self.batch_json).unwrap_or("null"));
                out.push_str(",\"records\":[");
            }
            "csv" => {
                out.push_str(csv::BOM);
                let mut header: Vec<Cow<str>> = CSV_PREFIX.iter().map(|s| Cow::Borrowed(*s)).collect();
                if self.free_text || self.columns.is_empty() {
                    header.extend(["page", "line", "text"].map(Cow::Borrowed));
                }
                header.extend(self.columns.names.iter().map(|c| Cow::Borrowed(c.as_str())));
                csv::push_row(&mut out, header.into_iter());
            }
            "xml" => {
                let batch = self.batch_value();
                out.push_str(xml::PROLOG);
                out.push_str("<batch");
                for key in ["id", "name", "status"] {
                    if let Some(v) = batch.get(key).and_then(Value::as_str) {
                        out.push(' ');
                        out.push_str(key);
                        out.push_str("=\"");
                        push_escaped(&mut out, v);
                        out.push('"');
                    }
                }
                out.push_str(">\n");
            }
            "html" => {
                html::head(&mut out, &self.title);
                out.push_str("<h1>");
                push_escaped(&mut out, &self.title);
                out.push_str("</h1>\n");
            }
            "docx" => {
                let State::Docx(zip) = &mut self.state else { unreachable!() };
                let mut bytes = docx::begin(zip);
                let mut body = String::new();
                docx::paragraph(&mut body, &self.title, Some(32));
                bytes.extend(zip.write(body.as_bytes()));
                return bytes;
            }
            "pdf" => {
                let (pdf, bytes) = PdfStream::new();
                self.state = State::Pdf(Some(pdf));
                return bytes;
            }
            _ => {}
        }
        out.into_bytes()
    }

    /// The bytes of many records, as `record()` for each. The formats written as text
    /// spread large slices over the CPUs (each thread writes a run of records, the runs
    /// are joined in order).
    pub fn records(&mut self, recs: &[BatchRecord]) -> Result<Vec<u8>> {
        if !matches!(self.state, State::Plain) {
            let mut out = Vec::new();
            for r in recs {
                out.extend(self.record(r)?);
            }
            return Ok(out);
        }
        let start = self.count;
        let this = &*self;
        let parts = parallel_chunks(recs, |chunk, offset| {
            let mut out = String::with_capacity(chunk.iter().map(|r| r.result_json.map_or(64, |j| j.len() + 64)).sum());
            let mut scratch = csv::RowScratch::default();
            for (i, r) in chunk.iter().enumerate() {
                this.plain_record(&mut out, r, start + offset + i == 0, &mut scratch)?;
            }
            Ok::<_, Error>(out)
        });
        let mut out = Vec::new();
        for part in parts {
            let part = part?;
            if out.is_empty() {
                out = part.into_bytes();
            } else {
                out.extend_from_slice(part.as_bytes());
            }
        }
        self.count += recs.len();
        Ok(out)
    }

    /// The bytes of one record.
    pub fn record(&mut self, r: &BatchRecord) -> Result<Vec<u8>> {
        let first = self.count == 0;
        self.count += 1;
        if let State::Plain = self.state {
            let mut out = String::new();
            self.plain_record(&mut out, r, first, &mut csv::RowScratch::default())?;
            return Ok(out.into_bytes());
        }
        self.file_record(r, first)
    }

    /// One record of a format written as text (json, text, csv, xml, html), into `out`.
    fn plain_record(
        &self,
        out: &mut String,
        r: &BatchRecord,
        first: bool,
        scratch: &mut csv::RowScratch,
    ) -> Result<()> {
        if self.format == "json" {
            if !first {
                out.push(',');
            }
            out.push_str("{\"id\":");
            push_str_json(out, r.id);
            out.push_str(",\"uploadId\":");
            push_str_json(out, r.upload_id);
            out.push_str(",\"fileName\":");
            push_str_json(out, r.file_name);
            out.push_str(",\"status\":");
            push_str_json(out, r.status);
            out.push_str(",\"error\":");
            match r.error {
                Some(e) => push_str_json(out, e),
                None => out.push_str("null"),
            }
            out.push_str(",\"processingResult\":");
            match r.result_json.filter(|j| !j.iter().all(u8::is_ascii_whitespace)) {
                Some(raw) => {
                    serde_json::from_slice::<serde::de::IgnoredAny>(raw).map_err(|e| {
                        Error::InvalidDocument(format!("the result of {} is not valid JSON: {e}", r.id))
                    })?;
                    out.push_str(
                        std::str::from_utf8(raw).map_err(|_| Error::InvalidDocument("result is not UTF-8".into()))?,
                    );
                }
                None => out.push_str("null"),
            }
            out.push('}');
            return Ok(());
        }
        let value = match r.result_json {
            Some(raw) => parse_result(raw)?,
            None => Value::Null,
        };
        let has_result = r.result_json.is_some();
        if self.format == "csv" && has_result && !is_free_text(&value) {
            let prefix = [r.id, r.file_name, r.status, r.error.unwrap_or("")];
            let pad = if self.free_text || self.columns.is_empty() { 3 } else { 0 };
            csv::push_structured_rows(out, &self.columns, &value, &prefix, pad, scratch);
            return Ok(());
        }
        let record = Record::new(&value, r.document, r.text);
        match self.format {
            "text" => {
                if !first {
                    out.push_str("\n\n");
                }
                out.push_str("==> ");
                out.push_str(r.file_name);
                out.push_str(" (");
                out.push_str(r.status);
                out.push_str(") <==\n");
                match r.text {
                    Some(t) => out.push_str(t),
                    None if has_result => out.push_str(&record.plain_text()),
                    None => {}
                }
            }
            "csv" => self.csv_rows(out, r, &record, has_result),
            "xml" => {
                out.push_str("  <record id=\"");
                push_escaped(out, r.id);
                out.push_str("\" fileName=\"");
                push_escaped(out, r.file_name);
                out.push_str("\" status=\"");
                push_escaped(out, r.status);
                out.push_str("\">\n");
                if let Some(e) = r.error {
                    out.push_str("    <error>");
                    push_escaped(out, e);
                    out.push_str("</error>\n");
                }
                if has_result {
                    xml::push_result(out, &record, 2);
                }
                out.push_str("  </record>\n");
            }
            "html" => {
                out.push_str("<article class=\"record\">\n<h2>");
                push_escaped(out, r.file_name);
                out.push_str("</h2>\n<p class=\"muted\">");
                push_escaped(out, r.status);
                if let Some(e) = r.error {
                    out.push_str(": ");
                    push_escaped(out, e);
                }
                out.push_str("</p>\n");
                if has_result {
                    html::push_record(out, &record, 3);
                }
                out.push_str("</article>\n");
            }
            _ => {}
        }
        Ok(())
    }

    /// One record of docx or pdf.
    fn file_record(&mut self, r: &BatchRecord, first: bool) -> Result<Vec<u8>> {
        let value = match r.result_json {
            Some(raw) => parse_result(raw)?,
            None => Value::Null,
        };
        let has_result = r.result_json.is_some();
        let record = Record::new(&value, r.document, r.text);
        let mut out = String::new();
        match self.format {
            "docx" => {
                if !first {
                    docx::page_break(&mut out);
                }
                docx::paragraph(&mut out, r.file_name, Some(28));
                let mut status = r.status.to_owned();
                if let Some(e) = r.error {
                    status.push_str(": ");
                    status.push_str(e);
                }
                docx::paragraph(&mut out, &status, None);
                if has_result {
                    docx::push_record(&mut out, &record);
                }
                let State::Docx(zip) = &mut self.state else { unreachable!() };
                return Ok(zip.write(out.as_bytes()));
            }
            "pdf" => {
                let State::Pdf(Some(pdf)) = &mut self.state else {
                    return Err(Error::InvalidDocument("head() was not called".into()));
                };
                let mut bytes = Vec::new();
                if !has_result {
                    return Ok(bytes);
                }
                let owned;
                let doc = match r.document {
                    Some(d) => d,
                    None => {
                        owned = synthetic_document(&record);
                        &owned
                    }
                };
                let original = if r.document.is_some() { r.original } else { None };
                for_each_page_image(original, doc, |i, image| {
                    bytes.extend(pdf.page(&doc.pages[i], image));
                    Ok(())
                })?;
                return Ok(bytes);
            }
            _ => {}
        }
        Ok(out.into_bytes())
    }

    fn csv_rows(&self, out: &mut String, r: &BatchRecord, record: &Record, has_result: bool) {
        let error = r.error.unwrap_or("");
        let prefix = [r.id, r.file_name, r.status, error];
        let free_cols = self.free_text || self.columns.is_empty();
        let pad = |n: usize| std::iter::repeat_n(Cow::Borrowed(""), n);
        match (&record.shape, has_result) {
            (Shape::Structured(_), true) => {
                let pad = if free_cols { 3 } else { 0 };
                csv::push_structured_rows(
                    out,
                    &self.columns,
                    record.value,
                    &prefix,
                    pad,
                    &mut csv::RowScratch::default(),
                );
            }
            (Shape::FreeText, true) if free_cols && record.pages.iter().any(|p| p.lines().next().is_some()) => {
                let mut tmp = String::new();
                csv::push_free_text_rows(&mut tmp, record, &prefix);
                if self.columns.is_empty() {
                    out.push_str(&tmp);
                } else {
                    // Pad each row with the structured columns.
                    let extra = ",".repeat(self.columns.len());
                    for row in tmp.split_inclusive("\r\n") {
                        out.push_str(row.trim_end_matches("\r\n"));
                        out.push_str(&extra);
                        out.push_str("\r\n");
                    }
                }
            }
            _ => {
                let n = if free_cols { 3 } else { 0 } + self.columns.len();
                csv::push_row(out, prefix.iter().map(|s| Cow::Borrowed(*s)).chain(pad(n)));
            }
        }
    }

    pub fn finish(&mut self) -> Vec<u8> {
        match self.format {
            "json" => b"]}".to_vec(),
            "xml" => b"</batch>\n".to_vec(),
            "html" => {
                let mut out = String::new();
                if self.count == 0 {
                    out.push_str("<p class=\"muted\">This batch has no records.</p>\n");
                }
                out.push_str(html::TAIL);
                out.into_bytes()
            }
            "docx" => {
                let State::Docx(zip) = &mut self.state else { unreachable!() };
                docx::end(zip)
            }
            "pdf" => match std::mem::replace(&mut self.state, State::Pdf(None)) {
                State::Pdf(Some(pdf)) => pdf.finish(&self.title),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}

fn scan_one(
    result_json: Option<&[u8]>,
    columns: &mut csv::Columns,
    free_text: &mut bool,
    scanner: &mut ColumnScan,
) -> Result<()> {
    let Some(raw) = result_json else { return Ok(()) };
    if !raw.iter().all(u8::is_ascii_whitespace) {
        match scanner.scan(raw, &mut |c| columns.insert(c)) {
            Ok(Scanned::Structured) => return Ok(()),
            Ok(Scanned::Other) => {}
            Err(e) => return Err(Error::InvalidDocument(format!("the result is not valid JSON: {e}"))),
        }
    }
    let value = parse_result(raw)?;
    let mut path = String::new();
    let path = &mut path;
    if is_free_text(&value) {
        *free_text = true;
    } else {
        csv::for_each_column(&value, path, &mut |c| columns.insert(c));
    }
    Ok(())
}

/// Runs `f(run, offset)` over `items` cut into one run per CPU (one run when there are
/// few items); the results in order.
fn parallel_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T], usize) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 64;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cpus.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return vec![f(items, 0)];
    }
    let size = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> =
            items.chunks(size).enumerate().skip(1).map(|(k, run)| s.spawn(move || f(run, k * size))).collect();
        let mut out = vec![f(&items[..size], 0)];
        for h in handles {
            out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

fn push_str_json(out: &mut String, s: &str) {
    Value::String(Cow::Borrowed(s)).push_json(out);
}

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::*;

    fn rec<'a>(id: &'a str, json: Option<&'a str>) -> BatchRecord<'a> {
        BatchRecord {
            id,
            upload_id: "u",
            file_name: "a,b.pdf",
            status: if json.is_some() { "completed" } else { "failed" },
            error: if json.is_some() { None } else { Some("bad <file>") },
            result_json: json.map(str::as_bytes),
            text: None,
            document: None,
            original: None,
        }
    }

    fn run(format: &str) -> String {
        let mut w = BatchWriter::new(format, "Batch <1>", br#"{"id":"b1","name":"Batch <1>"}"#).unwrap();
        let records = [rec("r1", Some(FREE)), rec("r2", Some(STRUCTURED)), rec("r3", None)];
        if w.needs_scan() {
            for r in &records {
                w.scan(r.result_json).unwrap();
            }
        }
        let mut out = w.head();
        for r in &records {
            out.extend(w.record(r).unwrap());
        }
        out.extend(w.finish());
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn json_batch_is_valid() {
        let v: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
        assert_eq!(v["batch"]["id"], "b1");
        assert_eq!(v["records"].as_array().unwrap().len(), 3);
        assert_eq!(v["records"][1]["processingResult"]["total"], 1234.5);
        assert!(v["records"][2]["processingResult"].is_null());
    }

    #[test]
    fn csv_batch_has_one_header() {
        let out = run("csv");
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert!(lines[0].starts_with("\u{FEFF}id,fileName,status,error,page,line,text,invoiceNumber,"));
        let cols = lines[0].split(',').count();
        assert!(lines[1].starts_with("r1,\"a,b.pdf\",completed,,1,1,Invoice"));
        assert!(lines.iter().any(|l| l.starts_with("r2,") && l.contains("Widget")));
        assert!(lines.iter().any(|l| l.starts_with("r3,\"a,b.pdf\",failed,bad <file>")));
        assert_eq!(lines.last(), Some(&""));
        let _ = cols;
    }

    #[test]
    fn xml_batch_reads_back() {
        let out = run("xml");
        let root = super::super::super::test_support::xml::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(root.attr("name"), Some("Batch <1>"));
        assert_eq!(root.find_all("record").len(), 3);
        assert_eq!(root.find_all("error")[0].text(), "bad <file>");
    }

    /// The batch CSV as it was written before the single-pass row writer: every row built
    /// from `structured_rows`, columns looked up by name.
    fn reference_csv(records: &[BatchRecord]) -> String {
        let mut columns: Vec<String> = Vec::new();
        let mut free_text = false;
        for r in records {
            let Some(raw) = r.result_json else { continue };
            let value = parse_result(raw).unwrap();
            match &Record::new(&value, None, None).shape {
                Shape::FreeText => free_text = true,
                Shape::Structured(s) => {
                    for c in csv::structured_rows(s).0 {
                        if !columns.contains(&c) {
                            columns.push(c);
                        }
                    }
                }
            }
        }
        let free_cols = free_text || columns.is_empty();
        let mut out = String::from(csv::BOM);
        let mut header: Vec<Cow<str>> = CSV_PREFIX.iter().map(|s| Cow::Borrowed(*s)).collect();
        if free_cols {
            header.extend(["page", "line", "text"].map(Cow::Borrowed));
        }
        header.extend(columns.iter().map(|c| Cow::Borrowed(c.as_str())));
        csv::push_row(&mut out, header.into_iter());
        for r in records {
            let value = parse_result(r.result_json.unwrap()).unwrap();
            let Shape::Structured(s) = &Record::new(&value, None, None).shape else { panic!() };
            let (cols, rows) = csv::structured_rows(s);
            for row in rows {
                let cells = [r.id, r.file_name, r.status, r.error.unwrap_or("")]
                    .into_iter()
                    .map(Cow::Borrowed)
                    .chain(std::iter::repeat_n(Cow::Borrowed(""), if free_cols { 3 } else { 0 }))
                    .chain(columns.iter().map(|c| match cols.iter().position(|x| x == c) {
                        Some(i) => row[i].clone(),
                        None => Cow::Borrowed(""),
                    }));
                csv::push_row(&mut out, cells);
            }
        }
        out
    }

    #[test]
    fn csv_rows_match_the_reference() {
        let shapes = [
            STRUCTURED,
            r#"{"a.b":1,"a":{"b":2,"c":{}},"":{"x":"=1+1"},"items":[{"x":1,"y":{"z":"=2"}},{"y":{"z":"q,\"r\""},"w":[1,"-x"]},{}],"more":[{"k":"v"},{"k":{"n":1},"m":null}],"items.x":"first wins","t":true,"_meta":{"pages":1}}"#,
            r#""just a string""#,
            r#"[1,2]"#,
            r#"{"total":-1.5e-7,"big":12345678901234567890,"lines":[{"d":"ภาษาไทย"}],"neg":"-","at":"@x"}"#,
            r#"{}"#,
            r#"{"x":1,"x":{"y":2},"_meta":{},"pages":[{"p":1}],"items":[{"a":1,"a":{"b":2}},3]}"#,
            r#"{"pages":[{"page":1}],"text":5,"e\u0301":{"k\"":[]},"more":[{"z":{}}]}"#,
        ];
        let ids: Vec<String> = (0..400).map(|i| format!("r{i}")).collect();
        let records: Vec<BatchRecord> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| BatchRecord {
                id,
                upload_id: "u",
                file_name: if i % 2 == 0 { "a,b.pdf" } else { "=x.pdf" },
                status: "completed",
                error: None,
                result_json: Some(shapes[i % shapes.len()].as_bytes()),
                text: None,
                document: None,
                original: None,
            })
            .collect();
        let expected = reference_csv(&records);
        for split in [records.len(), 1, 150] {
            let mut w = BatchWriter::new("csv", "t", b"{}").unwrap();
            let results: Vec<Option<&[u8]>> = records.iter().map(|r| r.result_json).collect();
            w.scan_many(&results).unwrap();
            let mut out = w.head();
            for chunk in records.chunks(split) {
                out.extend(w.records(chunk).unwrap());
            }
            out.extend(w.finish());
            let out = String::from_utf8(out).unwrap();
            assert_eq!(out.lines().count(), expected.lines().count(), "split {split}");
            for (a, b) in out.lines().zip(expected.lines()) {
                assert_eq!(a, b, "split {split}");
            }
            assert_eq!(out, expected);
        }
        // Columns a record has but the scan did not see are left out.
        let mut w = BatchWriter::new("csv", "t", b"{}").unwrap();
        w.scan(Some(br#"{"a":1}"#)).unwrap();
        let mut out = w.head();
        out.extend(w.records(&[BatchRecord { result_json: Some(br#"{"b":2,"a":3}"#), ..rec("r", None) }]).unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{FEFF}id,fileName,status,error,a\r\nr,\"a,b.pdf\",failed,bad <file>,3\r\n"
        );
    }

    #[test]
    fn parallel_records_keep_order() {
        for format in ["json", "xml", "text", "html"] {
            let ids: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
            let records: Vec<BatchRecord> =
                ids.iter().map(|id| rec(id, Some(if id.len() % 2 == 0 { FREE } else { STRUCTURED }))).collect();
            let mut one = BatchWriter::new(format, "t", b"{}").unwrap();
            let mut a = one.head();
            for r in &records {
                a.extend(one.record(r).unwrap());
            }
            a.extend(one.finish());
            let mut many = BatchWriter::new(format, "t", b"{}").unwrap();
            let mut b = many.head();
            b.extend(many.records(&records[..1]).unwrap());
            b.extend(many.records(&records[1..]).unwrap());
            b.extend(many.finish());
            assert!(a == b, "{format}");
        }
    }

    #[test]
    fn other_formats_write() {
        assert!(run("html").contains("&lt;script&gt;"));
        assert!(run("docx").starts_with("PK"));
        assert!(run("pdf").starts_with("%PDF-1.7"));
        assert!(run("text").contains("==> a,b.pdf (failed) <=="));
        assert!(BatchWriter::new("hocr", "", b"{}").is_err());
    }
}
