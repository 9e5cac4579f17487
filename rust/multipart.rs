//! One-shot parser of a whole multipart/form-data body (RFC 7578) in its common, plain shape.
//!
//! The server reads small upload bodies whole and asks this parser first: one call instead
//! of a Python loop over parser events. Anything outside the plain shape (a preamble,
//! headers other than Content-Disposition and Content-Type, escapes or `filename*` in
//! parameters, a text field with its own Content-Type, odd framing) gives `None`, and the
//! caller runs its streaming parser over the same bytes, which accepts or rejects it with
//! its own messages. So this parser never decides that a body is bad; it only takes the
//! plain ones off the slow path.

use std::ops::Range;

/// One part: its field name, filename and Content-Type when given, and where its content is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub content: Range<usize>,
}

const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The parts of `body`, or `None` when it is not in the plain shape (see the module docs).
pub fn parse(body: &[u8], boundary: &[u8], max_parts: usize) -> Option<Vec<Part>> {
    if boundary.is_empty() || boundary.len() > 200 || boundary.iter().any(|b| matches!(b, b'\r' | b'\n')) {
        return None;
    }
    let mut delimiter = Vec::with_capacity(boundary.len() + 4);
    delimiter.extend_from_slice(b"\r\n--");
    delimiter.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&delimiter);

    // The body starts with the first delimiter (without its CRLF) and a line break.
    let mut at = delimiter.len() - 2;
    if body.get(..at)? != &delimiter[2..] || body.get(at..at + 2)? != b"\r\n" {
        return None;
    }
    at += 2;
    let mut parts = Vec::new();
    loop {
        if parts.len() >= max_parts {
            return None;
        }
        let head_end = at + memchr::memmem::find(body.get(at..(at + MAX_HEADER_BYTES).min(body.len()))?, b"\r\n\r\n")?;
        let mut part = headers(&body[at..head_end])?;
        let start = head_end + 4;
        let end = start + finder.find(body.get(start..)?)?;
        part.content = start..end;
        parts.push(part);
        at = end + delimiter.len();
        match body.get(at..at + 2)? {
            b"\r\n" => at += 2,
            b"--" => {
                let rest = &body[at + 2..];
                return (rest.is_empty() || rest == b"\r\n").then_some(parts);
            }
            _ => return None,
        }
    }
}

fn headers(block: &[u8]) -> Option<Part> {
    let text = std::str::from_utf8(block).ok()?;
    let mut disposition = None;
    let mut content_type = None;
    for line in text.split("\r\n") {
        let (name, value) = line.split_once(':')?;
        if name.is_empty() || name.bytes().any(|b| !(b.is_ascii_alphanumeric() || b == b'-')) {
            return None;
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("content-disposition") && disposition.is_none() {
            disposition = Some(value);
        } else if name.eq_ignore_ascii_case("content-type") && content_type.is_none() {
            if value.is_empty()
                || value.bytes().any(|b| !b.is_ascii() || b.is_ascii_control() || b == b'"' || b == b'\\')
            {
                return None;
            }
            // As the streaming parser gives it: the media type alone, in lower case.
            let media = value.split(';').next().unwrap_or("").trim();
            content_type = Some(media.to_ascii_lowercase());
        } else {
            return None;
        }
    }
    let (kind, mut params) = disposition?.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let mut name = None;
    let mut filename = None;
    while !params.trim().is_empty() {
        let (key, rest) = params.split_once('=')?;
        let key = key.trim();
        let rest = rest.trim_start().strip_prefix('"')?;
        let close = rest.find('"')?;
        let value = &rest[..close];
        if value.contains(['\\', '\r', '\n']) {
            return None;
        }
        let slot = if key.eq_ignore_ascii_case("name") {
            &mut name
        } else if key.eq_ignore_ascii_case("filename") {
            &mut filename
        } else {
            return None;
        };
        if slot.replace(value.to_string()).is_some() {
            return None;
        }
        params = rest[close + 1..].trim_start();
        if !params.is_empty() {
            params = params.strip_prefix(';')?;
        }
    }
    let name: String = name?;
    if filename.is_none() && content_type.is_some() {
        return None; // a text field with its own type (a charset, say): the streaming parser decides
    }
    Some(Part { name, filename, content_type, content: 0..0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, content) in parts {
            out.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"");
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
            if let Some(f) = filename {
                out.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: application/pdf").as_bytes());
            }
            out.extend_from_slice(b"\r\n\r\n");
            out.extend_from_slice(content);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[test]
    fn plain_body() {
        let data = body(&[("projectId", None, b"abc"), ("file", Some("scan \u{e9}.pdf"), b"%PDF\r\n-XyZ --XyZ\r\n")]);
        let parts = parse(&data, b"XyZ", 10).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].filename.as_deref()), ("projectId", None));
        assert_eq!(&data[parts[0].content.clone()], b"abc");
        assert_eq!(parts[1].filename.as_deref(), Some("scan \u{e9}.pdf"));
        assert_eq!(parts[1].content_type.as_deref(), Some("application/pdf"));
        let typed = String::from_utf8_lossy(&data).replace("application/pdf", "Application/PDF; x=1").into_bytes();
        assert_eq!(parse(&typed, b"XyZ", 10).unwrap()[1].content_type.as_deref(), Some("application/pdf"));
        assert_eq!(&data[parts[1].content.clone()], b"%PDF\r\n-XyZ --XyZ\r\n");
    }

    #[test]
    fn anything_unusual_is_left_to_the_streaming_parser() {
        let good = body(&[("a", None, b"1")]);
        assert!(parse(&good, b"XyZ", 10).is_some());
        assert!(parse(&good, b"XyZ", 0).is_none(), "too many parts");
        let cases: Vec<Vec<u8>> = vec![
            [b"preamble\r\n".as_slice(), &good].concat(),
            good[..good.len() - 9].to_vec(), // no closing delimiter
            [&good[..good.len() - 2], b"epilogue".as_slice()].concat(),
            String::from_utf8_lossy(&good).replace("name=\"a\"", "name=a").into_bytes(),
            String::from_utf8_lossy(&good).replace("name=\"a\"", "name=\"a\\\"b\"").into_bytes(),
            String::from_utf8_lossy(&good).replace("name=\"a\"", "name=\"a\"; filename*=UTF-8''x").into_bytes(),
            String::from_utf8_lossy(&good)
                .replace("Content-Disposition", "X-Other: 1\r\nContent-Disposition")
                .into_bytes(),
            String::from_utf8_lossy(&good).replace("form-data", "attachment").into_bytes(),
            String::from_utf8_lossy(&good).replace("; name=\"a\"", "").into_bytes(),
        ];
        for case in cases {
            assert!(parse(&case, b"XyZ", 10).is_none(), "{}", String::from_utf8_lossy(&case));
        }
        assert!(parse(b"", b"XyZ", 10).is_none());
        assert!(parse(&good, b"", 10).is_none());
    }
}
