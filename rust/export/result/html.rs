//! HTML: one self-contained page (inline CSS, no scripts, a Content-Security-Policy that
//! forbids them anyway): a fields table with confidences, one table per line-item array,
//! then the text by page. Everything from the document is escaped.

use super::super::xml_escape::push_escaped;
use super::value::Value;
use super::{Record, Shape};

const STYLE: &str = "body{font-family:system-ui,'Noto Sans Thai','Loma',sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}\
table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}\
th{background:#f1f1f1}td.num{text-align:right}.page{border-top:1px solid #ddd;margin-top:1rem}.page p{margin:.2rem 0;white-space:pre-wrap}\
.muted{color:#777;font-size:.9em}";

pub(crate) fn head(out: &mut String, title: &str) {
    out.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    push_escaped(out, if title.is_empty() { "OCR result" } else { title });
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
}

pub(crate) const TAIL: &str = "</body>\n</html>\n";

pub(crate) fn write(record: &Record, title: &str) -> Vec<u8> {
    let mut out = String::with_capacity(4096);
    head(&mut out, title);
    out.push_str("<h1>");
    push_escaped(&mut out, if title.is_empty() { "OCR result" } else { title });
    out.push_str("</h1>\n");
    push_record(&mut out, record, 2);
    out.push_str(TAIL);
    out.into_bytes()
}

fn heading(out: &mut String, level: u8, text: &str) {
    let l = (b'0' + level.min(6)) as char;
    out.push_str("<h");
    out.push(l);
    out.push('>');
    push_escaped(out, text);
    out.push_str("</h");
    out.push(l);
    out.push_str(">\n");
}

fn cell(out: &mut String, v: Option<&Value>) {
    match v {
        Some(Value::Number(_)) => out.push_str("<td class=\"num\">"),
        _ => out.push_str("<td>"),
    }
    if let Some(v) = v {
        push_escaped(out, &v.cell_text());
    }
    out.push_str("</td>");
}

/// Fields, tables and text of one record, headings from `level`.
pub(crate) fn push_record(out: &mut String, record: &Record, level: u8) {
    if let Shape::Structured(s) = &record.shape {
        heading(out, level, "Fields");
        out.push_str("<table class=\"fields\">\n<thead><tr><th>Field</th><th>Value</th><th>Confidence</th></tr></thead>\n<tbody>\n");
        for (name, v) in &s.fields {
            out.push_str("<tr><th scope=\"row\">");
            push_escaped(out, name);
            out.push_str("</th>");
            cell(out, Some(v));
            out.push_str("<td class=\"num\">");
            if let Some(c) = record.field_confidence(name) {
                out.push_str(&format!("{c:.1}"));
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        for t in &s.tables {
            heading(out, level, t.name);
            out.push_str("<table class=\"items\">\n<thead><tr>");
            for c in &t.columns {
                out.push_str("<th>");
                push_escaped(out, c);
                out.push_str("</th>");
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for row in &t.rows {
                out.push_str("<tr>");
                for v in row {
                    cell(out, *v);
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
    if record.pages.is_empty() {
        if matches!(record.shape, Shape::FreeText) {
            out.push_str("<p class=\"muted\">No text was recognised.</p>\n");
        }
        return;
    }
    heading(out, level, "Text");
    for page in &record.pages {
        out.push_str("<section class=\"page\">\n");
        let mut title = format!("Page {}", page.number);
        if let Some(c) = page.confidence {
            title.push_str(&format!(" (confidence {c:.1})"));
        }
        heading(out, level + 1, &title);
        for line in page.lines() {
            out.push_str("<p>");
            push_escaped(out, line);
            out.push_str("</p>\n");
        }
        out.push_str("</section>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::super::{parse_result, Record};
    use super::*;

    #[test]
    fn escapes_everything() {
        let v = parse_result(FREE.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None), "<b>x</b>.pdf")).unwrap();
        assert!(!out.contains("<script>") && out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(out.contains("<title>&lt;b&gt;x&lt;/b&gt;.pdf</title>"));
        assert!(out.contains("<p>ภาษาไทย ราคา</p>"));
        let v = parse_result(STRUCTURED.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None), "a")).unwrap();
        assert!(out.contains("<td>INV-&lt;1&gt;</td><td class=\"num\">88.5</td>"), "{out}");
        assert!(out.contains("<h2>items</h2>"));
    }
}
