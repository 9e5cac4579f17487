//! A thin safe wrapper over Tesseract's C API (through leptess): one engine per thread,
//! pixels handed over directly (no image encoding), words read with the result iterator.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::path::{Path, PathBuf};

use leptess::capi;

use crate::error::{Error, Result};
use crate::model::{Block, Line, Word};
use crate::raster::Gray;

/// The tessdata folder: `TESSDATA_PREFIX` if set, else Debian's location.
pub fn tessdata_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("TESSDATA_PREFIX") {
        return PathBuf::from(p);
    }
    for p in [
        "/usr/share/tesseract-ocr/5/tessdata",
        "/usr/share/tesseract-ocr/4.00/tessdata",
        "/usr/share/tessdata",
        "/usr/local/share/tessdata",
    ] {
        if Path::new(p).is_dir() {
            return PathBuf::from(p);
        }
    }
    PathBuf::from("/usr/share/tesseract-ocr/5/tessdata")
}

/// Check a language string such as `eng+tha`: only plain names, each with traineddata.
pub fn validate_lang(lang: &str) -> Result<()> {
    if lang.is_empty() || lang.len() > 100 {
        return Err(Error::LanguageNotAvailable(format!("{lang:?}")));
    }
    let dir = tessdata_dir();
    for part in lang.split('+') {
        let ok_name = !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok_name {
            return Err(Error::LanguageNotAvailable(format!("{part:?} is not a language name")));
        }
        if !dir.join(format!("{part}.traineddata")).is_file() {
            return Err(Error::LanguageNotAvailable(format!("{part} (no {part}.traineddata in {})", dir.display())));
        }
    }
    Ok(())
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Engine("NUL byte in a Tesseract argument".into()))
}

struct Api(*mut capi::TessBaseAPI);

// A Tesseract engine may move between threads; it is never shared.
unsafe impl Send for Api {}

impl Api {
    fn init(lang: &str) -> Result<Api> {
        validate_lang(lang)?;
        let datapath = cstring(&tessdata_dir().to_string_lossy())?;
        let clang = cstring(lang)?;
        unsafe {
            let api = capi::TessBaseAPICreate();
            if api.is_null() {
                return Err(Error::Engine("TessBaseAPICreate failed".into()));
            }
            let api = Api(api);
            if capi::TessBaseAPIInit3(api.0, datapath.as_ptr(), clang.as_ptr()) != 0 {
                return Err(Error::LanguageNotAvailable(format!("Tesseract could not load {lang}")));
            }
            Ok(api)
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        let (n, v) = (cstring(name).unwrap(), cstring(value).unwrap());
        unsafe {
            capi::TessBaseAPISetVariable(self.0, n.as_ptr(), v.as_ptr());
        }
    }

    fn set_image(&mut self, img: &Gray, dpi: u32) {
        unsafe {
            capi::TessBaseAPISetImage(
                self.0,
                img.data.as_ptr(),
                img.width as c_int,
                img.height as c_int,
                1,
                img.width as c_int,
            );
            capi::TessBaseAPISetSourceResolution(self.0, dpi as c_int);
        }
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        unsafe {
            capi::TessBaseAPIEnd(self.0);
            capi::TessBaseAPIDelete(self.0);
        }
    }
}

/// A Tesseract engine loaded with one language string.
pub struct Engine {
    api: Api,
}

impl Engine {
    pub fn new(lang: &str) -> Result<Engine> {
        let mut api = Api::init(lang)?;
        // Thai has no spaces between words; keep Tesseract from inventing them.
        api.set("preserve_interword_spaces", "1");
        api.set("debug_file", "/dev/null");
        unsafe { capi::TessBaseAPISetPageSegMode(api.0, capi::TessPageSegMode_PSM_AUTO) };
        Ok(Engine { api })
    }

    /// OCR one page; boxes are in the image's pixels.
    pub fn recognize(&mut self, img: &Gray, dpi: u32) -> Result<Vec<Block>> {
        self.api.set_image(img, dpi);
        let h = self.api.0;
        unsafe {
            if capi::TessBaseAPIRecognize(h, std::ptr::null_mut()) != 0 {
                capi::TessBaseAPIClear(h);
                return Err(Error::Engine("Tesseract failed to recognise the page".into()));
            }
            let blocks = read_blocks(h);
            capi::TessBaseAPIClear(h);
            Ok(blocks)
        }
    }
}

unsafe fn bbox(pi: *const capi::TessPageIterator, level: capi::TessPageIteratorLevel) -> Option<[u32; 4]> {
    let (mut l, mut t, mut r, mut b) = (0 as c_int, 0 as c_int, 0 as c_int, 0 as c_int);
    if capi::TessPageIteratorBoundingBox(pi, level, &mut l, &mut t, &mut r, &mut b) == 0 {
        return None;
    }
    Some([l.max(0) as u32, t.max(0) as u32, r.max(0) as u32, b.max(0) as u32])
}

unsafe fn take_text(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    capi::TessDeleteText(p);
    Some(s)
}

/// Which words Tesseract's own line text puts a space after. Thai comes out of the word
/// iterator in pieces (often one glyph cluster each); the line text knows where the real
/// spaces are.
fn spaces_after(line_text: &str, words: &[String]) -> Vec<bool> {
    let mut out = Vec::with_capacity(words.len());
    let mut rest = line_text;
    for w in words {
        rest = rest.trim_start();
        match rest.find(w.as_str()) {
            Some(pos) if pos <= 2 => {
                rest = &rest[pos + w.len()..];
                out.push(rest.is_empty() || rest.starts_with(char::is_whitespace));
            }
            _ => out.push(true),
        }
    }
    out
}

struct RawLine {
    bbox: [u32; 4],
    text: String,
    words: Vec<(String, [u32; 4], f32)>,
}

impl RawLine {
    /// Words as Tesseract spaced them: pieces without a space between them become one word.
    fn into_line(self) -> Line {
        let texts: Vec<String> = self.words.iter().map(|w| w.0.clone()).collect();
        let spaces = spaces_after(&self.text, &texts);
        let mut words: Vec<Word> = Vec::new();
        let mut join = false;
        for ((text, bbox, conf), space) in self.words.into_iter().zip(spaces) {
            match words.last_mut() {
                Some(prev) if join => {
                    prev.text.push_str(&text);
                    prev.bbox = crate::model::union(prev.bbox, bbox);
                    prev.confidence = prev.confidence.min(conf);
                }
                _ => words.push(Word { text, bbox, confidence: conf }),
            }
            join = !space;
        }
        for w in &mut words {
            w.text = normalize_thai(&w.text);
        }
        Line { bbox: self.bbox, words }
    }
}

unsafe fn read_blocks(h: *mut capi::TessBaseAPI) -> Vec<Block> {
    let ri = capi::TessBaseAPIGetIterator(h);
    if ri.is_null() {
        return Vec::new();
    }
    let pi = capi::TessResultIteratorGetPageIteratorConst(ri);
    let (ril_block, ril_line, ril_word) = (
        capi::TessPageIteratorLevel_RIL_BLOCK,
        capi::TessPageIteratorLevel_RIL_TEXTLINE,
        capi::TessPageIteratorLevel_RIL_WORD,
    );
    let mut blocks: Vec<(Block, Vec<RawLine>)> = Vec::new();
    loop {
        if capi::TessPageIteratorIsAtBeginningOf(pi, ril_block) != 0 || blocks.is_empty() {
            if let Some(b) = bbox(pi, ril_block) {
                blocks.push((Block { bbox: b, lines: Vec::new() }, Vec::new()));
            }
        }
        if let Some((_, lines)) = blocks.last_mut() {
            if capi::TessPageIteratorIsAtBeginningOf(pi, ril_line) != 0 || lines.is_empty() {
                if let Some(b) = bbox(pi, ril_line) {
                    let text = take_text(capi::TessResultIteratorGetUTF8Text(ri, ril_line)).unwrap_or_default();
                    lines.push(RawLine { bbox: b, text, words: Vec::new() });
                }
            }
            if let (Some(line), Some(b)) = (lines.last_mut(), bbox(pi, ril_word)) {
                if let Some(text) = take_text(capi::TessResultIteratorGetUTF8Text(ri, ril_word)) {
                    let text = text.trim();
                    if !text.is_empty() {
                        let conf = capi::TessResultIteratorConfidence(ri, ril_word).clamp(0.0, 100.0);
                        line.words.push((text.to_string(), b, conf));
                    }
                }
            }
        }
        if capi::TessResultIteratorNext(ri, ril_word) == 0 {
            break;
        }
    }
    capi::TessResultIteratorDelete(ri);
    blocks
        .into_iter()
        .filter_map(|(mut block, raw)| {
            block.lines = raw.into_iter().filter(|l| !l.words.is_empty()).map(RawLine::into_line).collect();
            (!block.lines.is_empty()).then_some(block)
        })
        .collect()
}

/// Tesseract's Thai model writes SARA AM as NIKHAHIT + SARA AA (U+0E4D U+0E32); text
/// search and comparison need the single precomposed character U+0E33.
pub fn normalize_thai(text: &str) -> String {
    if text.contains('\u{0E4D}') {
        text.replace("\u{0E4D}\u{0E32}", "\u{0E33}")
    } else {
        text.to_string()
    }
}

/// Orientation detection with Tesseract's OSD model.
pub struct Osd {
    api: Api,
}

impl Osd {
    pub fn new() -> Result<Osd> {
        let mut api = Api::init("osd")?;
        api.set("debug_file", "/dev/null");
        unsafe { capi::TessBaseAPISetPageSegMode(api.0, capi::TessPageSegMode_PSM_OSD_ONLY) };
        Ok(Osd { api })
    }

    /// Degrees clockwise the page must be turned to read upright, with OSD's confidence;
    /// None when OSD finds too little text to decide.
    pub fn detect(&mut self, img: &Gray, dpi: u32) -> Option<(u32, f32)> {
        self.api.set_image(img, dpi);
        let h = self.api.0;
        let (mut deg, mut conf, mut script_conf) = (0 as c_int, 0f32, 0f32);
        let mut script: *const c_char = std::ptr::null();
        let ok =
            unsafe { capi::TessBaseAPIDetectOrientationScript(h, &mut deg, &mut conf, &mut script, &mut script_conf) };
        unsafe { capi::TessBaseAPIClear(h) };
        if ok == 0 {
            return None;
        }
        Some((deg.rem_euclid(360) as u32, conf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sara_am_is_recomposed() {
        assert_eq!(normalize_thai("\u{0E19}\u{0E49}\u{0E4D}\u{0E32}"), "\u{0E19}\u{0E49}\u{0E33}");
        assert_eq!(normalize_thai("plain"), "plain");
    }

    #[test]
    fn spaces_follow_the_line_text() {
        let words: Vec<String> = ["ภา", "ษา", "ไทย", "สวัสดี", "Hello"].iter().map(|s| s.to_string()).collect();
        assert_eq!(spaces_after("ภาษาไทย สวัสดี Hello\n", &words), vec![false, false, true, true, true]);
        let words: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(spaces_after("", &words), vec![true, true]);
    }

    #[test]
    fn rejects_hostile_language_names() {
        assert!(validate_lang("../../etc/passwd").is_err());
        assert!(validate_lang("").is_err());
        assert!(validate_lang("eng+").is_err());
        assert!(validate_lang("zzz_not_installed").is_err());
    }
}
