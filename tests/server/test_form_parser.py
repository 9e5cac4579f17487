"""The core's one-shot form parser against the streaming ``multipart`` parser.

Small upload bodies are parsed whole by ``ocrdesk._core.parse_form``; it must either give
exactly what the streaming parser gives, or decline (None) so the streaming parser decides.
Hypothesis builds bodies in plain and unusual shapes and mutates them.
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from multipart import MultipartSegment, PushMultipartParser

from ocrdesk._core import parse_form

BOUNDARY = "b0und4ry"


def streaming(body: bytes, boundary: str = BOUNDARY) -> list[tuple[str, str | None, str | None, bytes]] | None:
    """What the streaming parser makes of a whole body; None when it rejects it."""
    parts: list[tuple[str, str | None, str | None, bytes]] = []
    try:
        with PushMultipartParser(boundary, max_segment_count=100) as parser:
            segment: MultipartSegment | None = None
            content = bytearray()
            for chunk in (body, b""):
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment, content = event, bytearray()
                    elif event:
                        content += event
                    elif segment is not None:
                        parts.append((segment.name, segment.filename, segment.content_type, bytes(content)))
            if not parser.closed:
                return None
    except Exception:
        return None
    return parts


def fast(body: bytes, boundary: str = BOUNDARY) -> list[tuple[str, str | None, str | None, bytes]] | None:
    parts = parse_form(body, boundary, 100)
    if parts is None:
        return None
    return [(name, filename, ctype, body[start:end]) for name, filename, ctype, start, end in parts]


# Mostly printable names (the plain shape), sometimes with quotes, backslashes or line breaks.
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters='"\\'), max_size=12) | st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
)
contents = st.lists(st.sampled_from([b"a", b"\r\n", b"--", BOUNDARY.encode(), b"\r\n--", b"\x00", b"\xff", b"%PDF-"]), max_size=12).map(b"".join)
part = st.tuples(names, st.none() | names, st.none() | st.sampled_from(["application/pdf", "text/plain; charset=latin-1", "image/png"]), contents)


def build(parts: list[tuple[str, str | None, str | None, bytes]], style: dict[str, bool]) -> bytes:
    out = bytearray(b"preamble\r\n" if style["preamble"] else b"")
    for name, filename, ctype, content in parts:
        out += f"--{BOUNDARY}\r\n".encode()
        quote = (lambda v: f'"{v}"') if style["quoted"] else (lambda v: v)
        header = f"Content-Disposition: form-data; name={quote(name)}"
        if filename is not None:
            header += f"; filename={quote(filename)}"
        if style["extra_header"]:
            header = "X-Extra: 1\r\n" + header
        if ctype is not None:
            header += f"\r\nContent-Type: {ctype}"
        out += header.encode("utf-8", "surrogatepass") + b"\r\n\r\n" + content + b"\r\n"
    out += f"--{BOUNDARY}--".encode() + (b"\r\n" if style["final_crlf"] else b"")
    if style["epilogue"]:
        out += b"epilogue"
    return bytes(out)


rarely = st.sampled_from([False, False, False, False, True])
styles = st.fixed_dictionaries(
    {"preamble": rarely, "quoted": st.sampled_from([True, True, True, False]), "extra_header": rarely,
     "final_crlf": st.booleans(), "epilogue": rarely}
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(part, min_size=1, max_size=4), styles, st.data())
def test_fast_parser_agrees_or_declines(parts: list, style: dict[str, bool], data: st.DataObject) -> None:
    body = build(parts, style)
    if data.draw(rarely, label="mutate"):
        at = data.draw(st.integers(0, len(body)), label="at")
        cut = data.draw(st.integers(0, 4), label="cut")
        insert = data.draw(st.sampled_from([b"", b"\r\n", b"--", b'"', b";", b"\\", b"x", BOUNDARY.encode()]), label="insert")
        body = body[:at] + insert + body[at + cut :]
    got = fast(body)
    event("fast path" if got is not None else "declined")
    if got is not None:
        assert got == streaming(body), body


def test_plain_bodies_take_the_fast_path() -> None:
    parts = [("projectId", None, None, b"0123"), ("file", "scan \u00e9 (1).pdf", "application/pdf", b"%PDF-1.4\r\n--b0und4\r\n")]
    body = build(parts, {"preamble": False, "quoted": True, "extra_header": False, "final_crlf": True, "epilogue": False})
    assert fast(body) == streaming(body) == parts
    assert fast(body[:-12]) is None and streaming(body[:-12]) is None  # cut short: both refuse
