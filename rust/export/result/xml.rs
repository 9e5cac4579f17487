//! XML (UTF-8, well-formed: text escaped, characters XML 1.0 forbids dropped).
//!
//! Structured: `<result type="structured">` with one element per field, named after the
//! field when the name is a plain XML name, else `<field name="...">`; objects nest,
//! arrays hold `<item>` elements, `null` is an empty element with `null="true"`.
//! Free text: `<result type="freeText">` with `<page number source confidence>` elements
//! holding one `<line>` per non-blank line.

use super::super::xml_escape::push_escaped;
use super::value::{push_number, Value};
use super::{is_plain_xml_name, Record, Shape};

pub(crate) const PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

pub(crate) fn write(record: &Record) -> Vec<u8> {
    let mut out = String::with_capacity(1024);
    out.push_str(PROLOG);
    push_result(&mut out, record, 0);
    out.into_bytes()
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// `<result ...>...</result>` at `depth`, followed by a newline.
pub(crate) fn push_result(out: &mut String, record: &Record, depth: usize) {
    indent(out, depth);
    match &record.shape {
        Shape::FreeText => {
            if record.pages.is_empty() {
                out.push_str("<result type=\"freeText\"/>\n");
                return;
            }
            out.push_str("<result type=\"freeText\">\n");
            for page in &record.pages {
                indent(out, depth + 1);
                out.push_str("<page number=\"");
                super::super::push_uint(out, page.number as u64);
                out.push('"');
                if let Some(source) = &page.source {
                    out.push_str(" source=\"");
                    push_escaped(out, source);
                    out.push('"');
                }
                if let Some(c) = page.confidence {
                    out.push_str(" confidence=\"");
                    push_f64(out, c);
                    out.push('"');
                }
                let mut lines = page.lines().peekable();
                if lines.peek().is_none() {
                    out.push_str("/>\n");
                    continue;
                }
                out.push_str(">\n");
                for line in lines {
                    indent(out, depth + 2);
                    out.push_str("<line>");
                    push_escaped(out, line);
                    out.push_str("</line>\n");
                }
                indent(out, depth + 1);
                out.push_str("</page>\n");
            }
            indent(out, depth);
            out.push_str("</result>\n");
        }
        Shape::Structured(_) => {
            out.push_str("<result type=\"structured\"");
            match record.value {
                Value::Object(entries) if !entries.is_empty() => {
                    out.push_str(">\n");
                    for (k, v) in entries {
                        push_element(out, k, v, depth + 1);
                    }
                    indent(out, depth);
                    out.push_str("</result>\n");
                }
                Value::Object(_) => out.push_str("/>\n"),
                other => {
                    out.push_str(">\n");
                    push_element(out, "value", other, depth + 1);
                    indent(out, depth);
                    out.push_str("</result>\n");
                }
            }
        }
    }
}

fn push_f64(out: &mut String, x: f64) {
    match serde_json::Number::from_f64(x) {
        Some(n) => push_number(out, &n),
        None => out.push('0'),
    }
}

fn push_element(out: &mut String, name: &str, value: &Value, depth: usize) {
    indent(out, depth);
    let plain = is_plain_xml_name(name);
    let tag = if plain { name } else { "field" };
    out.push('<');
    out.push_str(tag);
    if !plain {
        out.push_str(" name=\"");
        push_escaped(out, name);
        out.push('"');
    }
    match value {
        Value::Null => out.push_str(" null=\"true\"/>\n"),
        Value::Bool(b) => {
            out.push('>');
            out.push_str(if *b { "true" } else { "false" });
            close(out, tag);
        }
        Value::Number(n) => {
            out.push('>');
            push_number(out, n);
            close(out, tag);
        }
        Value::String(s) => {
            out.push('>');
            push_escaped(out, s);
            close(out, tag);
        }
        Value::Array(items) if items.is_empty() => out.push_str("/>\n"),
        Value::Object(entries) if entries.is_empty() => out.push_str("/>\n"),
        Value::Array(items) => {
            out.push_str(">\n");
            for item in items {
                push_element(out, "item", item, depth + 1);
            }
            indent(out, depth);
            close(out, tag);
        }
        Value::Object(entries) => {
            out.push_str(">\n");
            for (k, v) in entries {
                push_element(out, k, v, depth + 1);
            }
            indent(out, depth);
            close(out, tag);
        }
    }
}

fn close(out: &mut String, tag: &str) {
    out.push_str("</");
    out.push_str(tag);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
    use super::super::super::test_support::xml;
    use super::super::samples::*;
    use super::super::{parse_result, Record};
    use super::*;

    #[test]
    fn structured_reads_back() {
        let v = parse_result(STRUCTURED.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None))).unwrap();
        let root = xml::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(root.attr("type"), Some("structured"));
        assert_eq!(root.find_all("invoiceNumber")[0].text(), "INV-<1>");
        let fields = root.find_all("field");
        assert_eq!(fields[0].attr("name"), Some("ชื่อ"));
        assert_eq!(fields[0].text(), "บริษัท \"ไทย\"");
        assert_eq!(fields[1].attr("name"), Some("2bad name"));
        assert_eq!(root.find_all("date")[0].attr("null"), Some("true"));
        assert_eq!(root.find_all("items")[0].find_all("item").len(), 2);
        assert_eq!(root.find_all("description")[1].text(), "@SUM(A1)");
    }

    #[test]
    fn free_text_reads_back() {
        let v = parse_result(FREE.as_bytes()).unwrap();
        let out = String::from_utf8(write(&Record::new(&v, None, None))).unwrap();
        let root = xml::parse(&out).unwrap();
        let pages = root.find_all("page");
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].attr("confidence"), Some("91.5"));
        assert_eq!(pages[0].find_all("line")[1].text(), "ภาษาไทย ราคา");
        assert_eq!(pages[0].find_all("line")[0].text(), "Invoice <script>alert(1)</script>");
    }
}
