//! Plain text: `Document::text()` as UTF-8 (pages separated by form feed).

use crate::model::Document;

pub(crate) fn write(doc: &Document) -> Vec<u8> {
    doc.text().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample_document;
    use super::*;

    #[test]
    fn is_the_document_text() {
        let doc = sample_document();
        let out = String::from_utf8(write(&doc)).unwrap();
        assert_eq!(out, doc.text());
        let pages: Vec<&str> = out.split('\u{000C}').collect();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0], "Invoice <script>&\"'\nภาษา ไทย ภาษาไทย\n\ntab\there new\nline\r bell\u{7}\u{FFFF}x");
        assert_eq!(pages[1], "\nPage two\n\n");
    }
}
