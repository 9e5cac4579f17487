"""Test documents with known text, generated on the fly.

Every generator is deterministic: the same arguments (and seed) give the same bytes, so a
failing test can be reproduced and the expected text is always known exactly. Fonts come
from the system (DejaVu Sans for Latin text, a TLWG font for Thai), located with
fontconfig at run time. When a font is missing, a generator calls ``pytest.skip`` if it
runs under pytest and raises :class:`FontNotFoundError` otherwise.

Import from tests (``tests/`` is on ``sys.path`` via ``tests/conftest.py``) or from
benches (``sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))``)::

    import docgen
    lines = docgen.lorem_lines(20, seed=1)
    pdf = docgen.scanned_pdf([lines], dpi=300)
    assert docgen.word_accuracy("\\n".join(lines), ocr_text) > 0.95

Units: page sizes and font sizes are in PDF points (1/72 inch); ``dpi`` converts points to
pixels. Lines are laid out the same way in PDFs and images (same font, margins, baselines),
so a scanned page and its text layer line up.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import io
import os
import random
import shutil
import struct
import subprocess
import sys
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "A4",
    "LETTER",
    "MARGIN_PT",
    "LINE_SPACING",
    "THAI_LINES",
    "THAI_FONT_SIZE_PT",
    "WORDS",
    "FontNotFoundError",
    "latin_font_path",
    "thai_font_path",
    "lorem_lines",
    "expected_text",
    "text_pdf",
    "render_page_image",
    "scanned_pdf",
    "mixed_pdf",
    "invisible_text_pdf",
    "multipage_tiff",
    "image_bytes",
    "thai_image",
    "encrypted_pdf",
    "many_pages_pdf",
    "truncated",
    "huge_dimension_png",
    "word_accuracy",
    "degrade",
]

# --------------------------------------------------------------------------- constants

A4: tuple[float, float] = (595.276, 841.890)  # points (210 x 297 mm)
LETTER: tuple[float, float] = (612.0, 792.0)
MARGIN_PT = 72.0  # one inch, like a typed page
LINE_SPACING = 1.5  # baseline-to-baseline distance as a multiple of the font size
_MAX_LORE_CHARS = 60  # keeps a lorem line inside A4 minus margins at 12 pt, no wrapping
_FIXED_DATE = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)  # for reproducible PDFs
_LATIN_FAMILY = "DejaVu Sans"
_PDF_FONT = "docgen"  # family name registered in fpdf2

# Thai: about 31 px consonant height at 300 dpi (TLWG consonants are ~0.55 em), which
# Tesseract's Thai model reads well. Covers SARA AM (น้ำ, ทำ, จำ) and stacked marks (ที่, ได้).
THAI_FONT_SIZE_PT = 13.0
THAI_LINES: tuple[str, ...] = (
    "ภาษาไทย สวัสดีครับ ประเทศไทย",
    "กรุงเทพมหานคร ขอบคุณมาก",
    "น้ำดื่ม ทำงาน จำนวนเงิน",
    "โรงเรียน มหาวิทยาลัย โรงพยาบาล",
    "วันที่ ราคา ใบเสร็จรับเงิน",
    "ได้รับแล้ว ยินดีต้อนรับ",
)
# Regular-weight TLWG fonts in order of preference (plain, upright shapes OCR well).
_THAI_PREFERRED = ("Garuda", "Loma", "Norasi", "Waree", "Kinnari", "Umpush", "Laksaman")

# ~300 common English dictionary words, 2-8 letters, lower case, so Tesseract's
# dictionary recognises them. No single letters ("a", "I") that OCR confuses with marks.
WORDS: tuple[str, ...] = tuple(
    """
    about above across after again against almost along already also always among
    animal answer area around asked away back bank based became because become been
    before began behind being best better between black blue board body book both
    bring brought building business called came cannot care carry case cause center
    certain change check child children city class clear close cold color come common
    company complete could country course cover cross current dark data days decide
    deep develop different dinner direction does done door down draw during each early
    earth east easy either energy enough even evening every example face fact family
    farm fast father feel field final find fire first fish five floor follow food
    force form found four free friend from front full game garden gave general give
    given going gold good great green ground group grow half hand happy hard have head
    hear heard heart heat help here high himself hold home horse hour house however
    human idea important inside island just keep kind king know land large last later
    learn leave left letter life light line list listen little live long look made
    make many mark matter mean measure money month more morning most mother mountain
    move much music must name nation near need never next night north note nothing
    notice number object ocean often open order other over page paper part pass past
    pattern people perhaps person picture place plan plant play point power present
    problem produce public question quick quite rain reach read ready real reason
    record remember rest right river road rock room round rule same school science
    second seen sentence service several shape ship short should show side simple
    since size small snow social south space special stand start state station still
    stone story street strong study such summer table take talk teacher tell than
    that their them then there these thing think third those though three through
    time today together told took town travel tree true turn under unit until upon
    usually value very voice walk want warm watch water week well were west what
    wheel where which while white whole wind window winter with without woman wonder
    wood word work world would write year young
    """.split()
)


class FontNotFoundError(RuntimeError):
    """No usable font for a generator was found on this system."""


# --------------------------------------------------------------------------- fonts


def _missing_font(message: str):
    # Under pytest a missing system font is an environment gap, not a failure.
    if "pytest" in sys.modules:
        import pytest

        pytest.skip(message)
    raise FontNotFoundError(message)


def _run_fc(*args: str) -> list[str]:
    exe = shutil.which(args[0])
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, *args[1:]], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.splitlines() if line.strip()]


@functools.cache
def latin_font_path() -> str:
    """Path of DejaVu Sans (Book), found with fontconfig; fallback: the Debian path."""
    candidates = _run_fc("fc-match", "--format=%{file}\n", f"{_LATIN_FAMILY}:style=Book")
    candidates += _run_fc("fc-list", f"{_LATIN_FAMILY}:style=Book", "file", "--format=%{file}\n")
    candidates.append("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    for path in candidates:
        # fc-match always answers with *some* font; accept only DejaVu Sans itself.
        if Path(path).name == "DejaVuSans.ttf" and os.path.isfile(path):
            return path
    return _missing_font("DejaVu Sans not found (Debian: apt-get install fonts-dejavu-core)")


@functools.cache
def thai_font_path() -> str:
    """Path of a regular-weight Thai TrueType font (Garuda, Loma, Norasi, ... preferred)."""
    fonts: list[tuple[str, str, str]] = []  # (file, family, style)
    for line in _run_fc("fc-list", ":lang=th", "--format=%{file}|%{family[0]}|%{style[0]}\n"):
        parts = line.split("|")
        if len(parts) == 3 and os.path.isfile(parts[0]):
            fonts.append((parts[0], parts[1], parts[2]))

    def rank(font: tuple[str, str, str]) -> tuple[int, int, int, str]:
        file, family, style = font
        preferred = _THAI_PREFERRED.index(family) if family in _THAI_PREFERRED else 99
        regular = 0 if style.lower() in ("regular", "book", "normal", "medium") else 1
        truetype = 0 if file.lower().endswith(".ttf") else 1
        return (regular, preferred, truetype, file)

    if not fonts:  # no fontconfig: try where Debian's fonts-thai-tlwg puts them
        for family in _THAI_PREFERRED:
            path = f"/usr/share/fonts/truetype/tlwg/{family}.ttf"
            if os.path.isfile(path):
                fonts.append((path, family, "Regular"))
    if fonts:
        return min(fonts, key=rank)[0]
    return _missing_font("no Thai font found (Debian: apt-get install fonts-thai-tlwg)")


@functools.cache
def _font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    # Raqm shapes Thai (mark positioning); Latin text looks the same either way.
    engine = ImageFont.Layout.RAQM if _has_raqm() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size=size_px, layout_engine=engine)


@functools.cache
def _has_raqm() -> bool:
    from PIL import features

    return bool(features.check("raqm"))


# --------------------------------------------------------------------------- layout


def _layout(
    lines: Sequence[str],
    font_path: str,
    font_size_pt: float,
    page_size: tuple[float, float],
) -> list[tuple[float, float, str]]:
    """Place lines on a page: [(x_pt, baseline_pt, text)], top to bottom.

    A line wider than the text column is wrapped at spaces (extra lines keep the word
    order, which is all ``word_accuracy`` looks at). Too many lines for one page is an
    error rather than a silent second page, so page counts stay what the caller asked.
    """
    ref = _font(font_path, 1000)  # measure at a large size for precision, scale down

    def width_pt(text: str) -> float:
        return ref.getlength(text) * font_size_pt / 1000.0

    page_w, page_h = page_size
    column = page_w - 2 * MARGIN_PT
    placed: list[str] = []
    for line in lines:
        words = line.split()
        if not words:
            placed.append("")
            continue
        current = words[0]
        for word in words[1:]:
            if width_pt(current + " " + word) <= column:
                current += " " + word
            else:
                placed.append(current)
                current = word
        placed.append(current)

    step = font_size_pt * LINE_SPACING
    first = MARGIN_PT + font_size_pt  # ascenders of the first line touch the top margin
    last_allowed = page_h - MARGIN_PT
    fits = int((last_allowed - first) // step) + 1
    if len(placed) > fits:
        raise ValueError(
            f"{len(placed)} lines do not fit on one page at {font_size_pt} pt "
            f"(at most {fits}); split them over more pages"
        )
    return [(MARGIN_PT, first + i * step, text) for i, text in enumerate(placed) if text]


# --------------------------------------------------------------------------- text


def lorem_lines(n: int, seed: int = 0) -> list[str]:
    """``n`` lines of 5-9 real English words each (first word capitalised, final period).

    Lines stay under 60 characters so they fit an A4 text column at 12 pt unwrapped.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(f"lorem-{seed}")
    out: list[str] = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 9))]
        while len(" ".join(words)) + 1 > _MAX_LORE_CHARS and len(words) > 5:
            words.pop()
        words[0] = words[0].capitalize()
        out.append(" ".join(words) + ".")
    return out


def expected_text(pages: Sequence[Sequence[str]]) -> str:
    """The text an OCR of ``pages`` should give: lines joined by newlines, pages by form feed."""
    return "\f".join("\n".join(lines) for lines in pages)


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _words(text: str) -> list[str]:
    # Strip punctuation (any Unicode P* category: quotes, dashes, ...) from word ends.
    out = []
    for token in text.split():
        start, end = 0, len(token)
        while start < end and _is_punct(token[start]):
            start += 1
        while end > start and _is_punct(token[end - 1]):
            end -= 1
        if start < end:
            out.append(token[start:end])
    return out


def word_accuracy(expected: str, got: str) -> float:
    """Fraction of expected words found, in order, in ``got`` (0.0-1.0).

    Words are whitespace tokens with punctuation stripped from their ends, compared
    case-sensitively; the count is the matched blocks of ``difflib.SequenceMatcher`` over
    the two word lists. Extra words in ``got`` cost nothing. No expected words -> 1.0.
    """
    want = _words(expected)
    if not want:
        return 1.0
    have = _words(got)
    matcher = difflib.SequenceMatcher(None, want, have, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(want)


# --------------------------------------------------------------------------- images


def _px(points: float, dpi: int) -> int:
    return max(1, round(points * dpi / 72.0))


def render_page_image(
    lines: Sequence[str],
    dpi: int = 300,
    font_size_pt: float = 12,
    font: str | os.PathLike[str] | None = None,
    size: tuple[float, float] = A4,
) -> Image.Image:
    """A clean page image: black text on white, mode "L", ``size`` in points at ``dpi``.

    ``font`` is a font file path (default DejaVu Sans). Margins are one inch; the image
    carries ``info["dpi"]`` so encoders write the resolution.
    """
    font_path = os.fspath(font) if font is not None else latin_font_path()
    width, height = _px(size[0], dpi), _px(size[1], dpi)
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    face = _font(font_path, _px(font_size_pt, dpi))
    scale = dpi / 72.0
    for x_pt, baseline_pt, text in _layout(lines, font_path, font_size_pt, size):
        draw.text((x_pt * scale, baseline_pt * scale), text, fill=0, font=face, anchor="ls")
    img.info["dpi"] = (dpi, dpi)
    return img


def degrade(
    img: Image.Image,
    seed: int,
    noise: float = 0.02,
    blur: float = 0.5,
    angle: float = 0.0,
) -> Image.Image:
    """A scan-like copy of ``img``: rotated, speckled, then slightly blurred.

    ``angle`` in degrees counter-clockwise (canvas grows to keep every corner, new area
    white); ``noise`` = fraction of pixels turned to black or white specks (half each,
    resolution 1/256); ``blur`` = Gaussian radius in pixels. Deterministic per ``seed``.
    """
    dpi = img.info.get("dpi")
    out = img.convert("L") if img.mode in ("1", "P") else img.copy()
    bands = len(out.getbands())
    white = 255 if bands == 1 else (255,) * bands
    black = 0 if bands == 1 else (0,) * bands
    if angle % 360:
        out = out.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=white)
    if noise > 0:
        rng = random.Random(f"degrade-{seed}")
        specks = Image.frombytes("L", out.size, rng.randbytes(out.size[0] * out.size[1]))
        half = max(1, round(min(noise, 1.0) * 128))
        black_mask = specks.point(lambda v: 255 if v < half else 0)
        white_mask = specks.point(lambda v: 255 if v >= 256 - half else 0)
        out.paste(black, mask=black_mask)
        out.paste(white, mask=white_mask)
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if dpi:
        out.info["dpi"] = dpi
    return out


_FORMATS = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "JPG": "JPEG",
    "WEBP": "WEBP",
    "BMP": "BMP",
    "GIF": "GIF",
    "TIFF": "TIFF",
    "TIF": "TIFF",
}


def _encode(img: Image.Image, fmt: str, dpi: int) -> bytes:
    pil_format = _FORMATS.get(fmt.upper())
    if pil_format is None:
        raise ValueError(f"unknown image format {fmt!r}; use one of {sorted(set(_FORMATS))}")
    options: dict[str, object] = {}
    if pil_format in ("PNG", "JPEG", "TIFF", "BMP"):
        options["dpi"] = (dpi, dpi)
    if pil_format == "JPEG":
        options.update(quality=90, subsampling=0)
    elif pil_format == "WEBP":
        options.update(quality=90, method=4)
    elif pil_format == "TIFF":
        options["compression"] = "tiff_lzw"
    elif pil_format == "PNG":
        options["optimize"] = False
    buf = io.BytesIO()
    img.save(buf, format=pil_format, **options)
    return buf.getvalue()


def image_bytes(
    lines: Sequence[str],
    fmt: str = "PNG",
    dpi: int = 300,
    font_size_pt: float = 12,
    mode: str = "L",
    size: tuple[float, float] = A4,
) -> bytes:
    """A page image encoded as PNG, JPEG, WebP, BMP, GIF or TIFF (``mode`` "L" or "RGB")."""
    img = render_page_image(lines, dpi=dpi, font_size_pt=font_size_pt, size=size)
    if mode != "L":
        img = img.convert(mode)
    return _encode(img, fmt, dpi)


def multipage_tiff(
    pages: Sequence[Sequence[str]],
    dpi: int = 200,
    bilevel: bool = False,
    font_size_pt: float = 12,
) -> bytes:
    """One TIFF with a frame per page: grayscale LZW, or 1-bit fax G4 with ``bilevel``."""
    if not pages:
        raise ValueError("a TIFF needs at least one page")
    frames = [render_page_image(lines, dpi=dpi, font_size_pt=font_size_pt) for lines in pages]
    if bilevel:
        frames = [f.convert("1", dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    frames[0].save(
        buf,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        dpi=(dpi, dpi),
        compression="group4" if bilevel else "tiff_lzw",
    )
    return buf.getvalue()


def thai_image(
    lines: Sequence[str] = THAI_LINES,
    dpi: int = 300,
    font_size_pt: float = THAI_FONT_SIZE_PT,
    font: str | os.PathLike[str] | None = None,
) -> bytes:
    """PNG of Thai text (default :data:`THAI_LINES`) in a TLWG font, sized for Tesseract.

    The canvas is as wide as A4 and only as tall as the lines need, so OCR stays quick.
    Tesseract tends to return SARA AM (U+0E33) as NIKHAHIT + SARA AA (U+0E4D U+0E32);
    the expected text here uses the composed U+0E33.
    """
    font_path = os.fspath(font) if font is not None else thai_font_path()
    # top margin, first line's ascent, further baselines, descent + bottom margin
    height_pt = 2 * MARGIN_PT + font_size_pt * (1.5 + LINE_SPACING * max(0, len(lines) - 1))
    img = render_page_image(
        lines, dpi=dpi, font_size_pt=font_size_pt, font=font_path, size=(A4[0], height_pt)
    )
    return _encode(img, "PNG", dpi)


# --------------------------------------------------------------------------- PDFs


def _new_pdf(font: str | os.PathLike[str] | None = None):
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_producer("ocrdesk tests/docgen.py")
    font_path = os.fspath(font) if font is not None else latin_font_path()
    pdf.add_font(_PDF_FONT, fname=font_path)
    pdf._docgen_font_path = font_path  # for _layout
    return pdf


def _pdf_bytes(pdf) -> bytes:
    return bytes(pdf.output())


def _write_lines(pdf, lines: Sequence[str], font_size: float, invisible: bool = False) -> None:
    pdf.set_font(_PDF_FONT, size=font_size)
    size = (pdf.w, pdf.h)
    placed = _layout(lines, pdf._docgen_font_path, font_size, size)
    if invisible:
        with pdf.local_context(text_mode="INVISIBLE"):
            for x, baseline, text in placed:
                pdf.text(x, baseline, text)
    else:
        for x, baseline, text in placed:
            pdf.text(x, baseline, text)


def _add_image_page(pdf, img: Image.Image, dpi: int) -> None:
    w_pt, h_pt = img.width * 72.0 / dpi, img.height * 72.0 / dpi
    pdf.add_page(format=(w_pt, h_pt))
    pdf.image(img, x=0, y=0, w=w_pt, h=h_pt)


def _scan(lines: Sequence[str], dpi: int, noise: float, blur: float, angle: float, seed: int):
    img = render_page_image(lines, dpi=dpi)
    if noise or blur or angle:
        img = degrade(img, seed=seed, noise=noise, blur=blur, angle=angle)
    return img


def text_pdf(
    pages: Sequence[Sequence[str]],
    font_size: float = 12,
    font: str | os.PathLike[str] | None = None,
) -> bytes:
    """A born-digital A4 PDF: one page per entry, the lines as real text (font embedded)."""
    pdf = _new_pdf(font)
    for lines in pages:
        pdf.add_page()
        _write_lines(pdf, lines, font_size)
    return _pdf_bytes(pdf)


def scanned_pdf(
    pages: Sequence[Sequence[str]],
    dpi: int = 300,
    noise: float = 0.0,
    seed: int = 0,
    blur: float = 0.0,
    angle: float = 0.0,
    jpeg: bool = False,
) -> bytes:
    """A PDF of page images and no text layer, like a scanner makes.

    Each page is :func:`render_page_image` at ``dpi`` (optionally through :func:`degrade`,
    page ``i`` with seed ``seed + i``), drawn over the whole page; the page size follows the
    image so its resolution is exactly ``dpi``. Lossless Flate grayscale, or JPEG with
    ``jpeg=True``.
    """
    pdf = _new_pdf()
    if jpeg:
        pdf.set_image_filter("DCTDecode")
    for i, lines in enumerate(pages):
        _add_image_page(pdf, _scan(lines, dpi, noise, blur, angle, seed + i), dpi)
    return _pdf_bytes(pdf)


def mixed_pdf(
    pages: Sequence[Sequence[str]],
    scanned_pages: Iterable[int] = (1,),
    dpi: int = 300,
    font_size: float = 12,
    noise: float = 0.0,
    seed: int = 0,
) -> bytes:
    """A PDF where pages listed in ``scanned_pages`` (0-based) are images, others text.

    Default: page 0 has a text layer, page 1 is a scan.
    """
    scanned = set(scanned_pages)
    pdf = _new_pdf()
    for i, lines in enumerate(pages):
        if i in scanned:
            _add_image_page(pdf, _scan(lines, dpi, noise, 0.0, 0.0, seed + i), dpi)
        else:
            pdf.add_page()
            _write_lines(pdf, lines, font_size)
    return _pdf_bytes(pdf)


def invisible_text_pdf(
    lines: Sequence[str],
    dpi: int = 300,
    font_size: float = 12,
    hidden_lines: Sequence[str] | None = None,
) -> bytes:
    """One page as OCR tools make it: the scanned image plus an invisible text layer.

    The text is drawn with render mode 3 (invisible) at the same positions as in the
    image. ``hidden_lines`` puts different text in the layer (e.g. to test a bad layer).
    """
    pdf = _new_pdf()
    _add_image_page(pdf, render_page_image(lines, dpi=dpi, font_size_pt=font_size), dpi)
    _write_lines(pdf, lines if hidden_lines is None else hidden_lines, font_size, invisible=True)
    return _pdf_bytes(pdf)


def encrypted_pdf(
    lines: Sequence[str] | None = None,
    user_password: str = "secret",
    owner_password: str = "owner-secret",
) -> bytes:
    """A text PDF that needs ``user_password`` to open (RC4, as fpdf2 writes by default)."""
    pdf = _new_pdf()
    pdf.set_encryption(owner_password=owner_password, user_password=user_password)
    pdf.add_page()
    _write_lines(pdf, lines if lines is not None else lorem_lines(5, seed=7), 12)
    return _pdf_bytes(pdf)


def many_pages_pdf(n: int, text: str | None = None) -> bytes:
    """An ``n``-page A4 PDF written by hand, fast for thousands of pages.

    All pages share one content stream: empty by default, or ``text`` in Helvetica (a
    standard font, not embedded), so every page has the same one-line text layer.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    if text is not None:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        content = f"BT /F1 12 Tf 72 769.89 Td ({escaped}) Tj ET".encode("latin-1")
    else:
        content = b""
    # 1 catalog, 2 page tree, 3 shared content, 4 font, 5.. pages
    first_page = 5
    kids = " ".join(f"{first_page + i} 0 R" for i in range(n))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Count {n} /Kids [{kids}] >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.276 841.89] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 3 0 R >>"
    )
    objects.extend([page] * n)

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --------------------------------------------------------------------------- broken input


def truncated(data: bytes, frac: float) -> bytes:
    """The first ``frac`` (0.0-1.0) of ``data``, as a download cut off midway."""
    if not 0.0 <= frac <= 1.0:
        raise ValueError("frac must be between 0 and 1")
    return bytes(data[: int(len(data) * frac)])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@functools.cache
def huge_dimension_png(w: int = 40000, h: int = 40000) -> bytes:
    """A valid 1-bit grayscale PNG of ``w`` x ``h`` pixels that is tiny on disk.

    A decompression bomb: 40000 x 40000 (1.6 gigapixels, ~1.6 GB as 8-bit gray) in about
    200 kB. Every row is present and valid, so only a size check before decoding saves
    a reader. Cached: building it compresses ~200 MB of zeros (about a second).
    """
    if not (0 < w < 2**31 and 0 < h < 2**31):
        raise ValueError("PNG dimensions must be 1 .. 2**31-1")
    row = b"\x00" * (1 + (w + 7) // 8)  # filter byte 0 + packed bits
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, (1 << 22) // len(row))
    chunk = row * rows_per_chunk
    parts = []
    left = h
    while left:
        take = min(left, rows_per_chunk)
        parts.append(compressor.compress(chunk if take == rows_per_chunk else row * take))
        left -= take
    parts.append(compressor.flush())
    idat = b"".join(parts)
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)  # 1-bit, grayscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + b"".join(_png_chunk(b"IDAT", idat[i : i + 65536]) for i in range(0, len(idat), 65536))
        + _png_chunk(b"IEND", b"")
    )

