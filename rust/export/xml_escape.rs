//! XML 1.0 escaping shared by the hOCR and ALTO writers.
//!
//! One function serves both element text and attribute values in either quote style:
//! `& < > " '` become entities, tab/newline/carriage return become character references
//! (so attribute-value normalisation cannot turn them into spaces), and characters XML 1.0
//! forbids (other C0 controls, U+FFFE, U+FFFF) are dropped: a parser rejects them even
//! as references.

/// What to do with each byte: 0 = copy, 1 = look closer (escape, drop, or a possible
/// U+FFFE/U+FFFF lead byte). Non-ASCII bytes other than 0xEF are always copied.
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\'' as usize] = true;
    table[0xEF] = true;
    table
};

/// Appends `s` to `out`, escaped for XML 1.0 text or attribute values.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        // 0xEF leads a 3-byte sequence; EF BF BE / EF BF BF are U+FFFE / U+FFFF.
        let (replacement, skip) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&#39;", 1),
            b'\t' => ("&#9;", 1),
            b'\n' => ("&#10;", 1),
            b'\r' => ("&#13;", 1),
            0xEF if bytes[i + 1] == 0xBF && matches!(bytes[i + 2], 0xBE | 0xBF) => ("", 3),
            0xEF => {
                i += 1;
                continue;
            }
            _ => ("", 1), // other C0 control: not allowed in XML 1.0
        };
        // Every special byte is ASCII or a UTF-8 lead byte, so these are char boundaries.
        out.push_str(&s[start..i]);
        out.push_str(replacement);
        i += skip;
        start = i;
    }
    out.push_str(&s[start..]);
}

/// `s` escaped as by [`push_escaped`], in a new string.
#[cfg(test)]
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    push_escaped(&mut out, s);
    out
}

/// Whether XML 1.0 allows `c` in a document (the `Char` production).
#[cfg(test)]
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::xml;
    use super::*;

    #[test]
    fn escapes_markup_characters() {
        assert_eq!(escape(r#"<script>&"'"#), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(escape("a&amp;b"), "a&amp;amp;b");
    }

    #[test]
    fn plain_text_is_unchanged() {
        for s in ["", "hello", "ภาษาไทย", "naïve café €100", "emoji 🙂", "\u{FFFD}\u{E000}\u{10FFFF}"]
        {
            assert_eq!(escape(s), s);
        }
    }

    #[test]
    fn whitespace_becomes_character_references() {
        assert_eq!(escape("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
    }

    #[test]
    fn drops_characters_illegal_in_xml() {
        assert_eq!(escape("a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{1F}g"), "abcdefg");
        assert_eq!(escape("x\u{FFFE}y\u{FFFF}z"), "xyz");
        // Neighbours of the dropped code points, sharing their lead byte, survive.
        assert_eq!(escape("\u{FFFD}\u{F000}\u{FFBF}"), "\u{FFFD}\u{F000}\u{FFBF}");
        assert_eq!(escape("\u{FFFF}"), "");
        assert_eq!(escape("\u{FFFF}<"), "&lt;");
    }

    #[test]
    fn is_xml_char_matches_the_spec() {
        assert!(is_xml_char('\t') && is_xml_char('\n') && is_xml_char('\r') && is_xml_char(' '));
        assert!(!is_xml_char('\u{0}') && !is_xml_char('\u{1F}') && !is_xml_char('\u{FFFE}'));
        assert!(!is_xml_char('\u{FFFF}') && is_xml_char('\u{FFFD}') && is_xml_char('\u{10000}'));
    }

    #[test]
    fn every_char_round_trips_through_a_parser_or_is_dropped() {
        // All of the BMP plus a few astral code points, in attribute and element text.
        let all: String = (0u32..0x11000).filter_map(char::from_u32).collect();
        let expected: String = all.chars().filter(|&c| is_xml_char(c)).collect();
        let escaped = escape(&all);
        let doc = format!("<r a='{escaped}' b=\"{escaped}\">{escaped}</r>");
        let root = xml::parse(&doc).unwrap();
        assert_eq!(root.attr("a"), Some(expected.as_str()));
        assert_eq!(root.attr("b"), Some(expected.as_str()));
        assert_eq!(root.text(), expected);
    }
}
