"""A file's bytes before they are a table: what the file really is, and its text as UTF-8.

Binary files renamed to .csv (PDF, old .xls, images, archives) and encrypted workbooks are
refused with what they are; text is decoded in the fixed order BOM → strict UTF-8 → cp1252
(or the encoding the user forces) and handed on as UTF-8 bytes, uncopied when it already is.
"""

from __future__ import annotations

import codecs

import numpy as np

from segmentation.errors import InputError

# Formats users rename to .csv by mistake: say what the file really is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel 97-2003 (.xls) or other Office file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)


def is_zip(raw: bytes) -> bool:
    """Whether the bytes are a zip archive (an .xlsx workbook is one)."""
    return raw[:4] == b"PK\x03\x04"


def _is_encrypted_workbook(raw: bytes) -> bool:
    # Excel wraps an encrypted .xlsx in an OLE compound file (the .xls container) holding an
    # "EncryptedPackage" stream; stream names are stored in UTF-16.
    return raw.startswith(b"\xd0\xcf\x11\xe0") and "EncryptedPackage".encode("utf-16-le") in raw


def refuse_non_text(raw: bytes, name: str) -> None:
    """Refuse what is not a text table: an encrypted workbook, a broken .xlsx, a binary file.

    Raises
    ------
    InputError
        Saying what the file really is and how to export it as CSV or .xlsx.
    """
    if _is_encrypted_workbook(raw):
        raise InputError(
            f"{name} is a password-protected (encrypted) workbook, which cannot be read. Open it "
            "in Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, clear it), save it, and upload it again."
        )
    if str(name).lower().endswith((".xlsx", ".xlsm")):
        raise InputError(
            f"{name} is named like an Excel workbook but is not one. "
            "Open it in Excel and save it as .xlsx or CSV."
        )
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise InputError(
                f"{name} is {what}, not a CSV export. Export the data from your CRM as CSV or .xlsx."
            )
    head = raw[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    # Binary formats (and BOM-less UTF-16) are full of NULs; a stray NUL in one CRM field is not.
    if head.count(b"\x00") > max(2, len(head) // 1000):
        raise InputError(
            f"{name} looks like a binary file, not text. Export the data as CSV or .xlsx."
        )


def to_utf8(raw: bytes, name: str, encoding: str | None):
    """Decode with the fixed order BOM → strict UTF-8 → cp1252; return UTF-8 bytes.

    The bytes come back as ``bytes`` or as a zero-copy ``memoryview`` of ``raw``. UTF-8 input
    is validated without decoding it into a ``str`` (which would take up to four times the
    file's size): the verdict is the same as ``raw.decode("utf-8")``'s.
    """
    if encoding:
        try:
            forced_utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            raise InputError(
                f"Unknown encoding {encoding!r}. Try utf-8, cp1252 or utf-16."
            ) from None
        if forced_utf8 and _is_utf8(raw):
            # As raw.decode(encoding).lstrip("\ufeff").encode("utf-8") below: drop leading BOMs.
            skip = 0
            while raw.startswith(codecs.BOM_UTF8, skip):
                skip += len(codecs.BOM_UTF8)
            body = memoryview(raw)[skip:] if skip else raw
            _check_text(_utf8_head_text(body), name)
            return body, encoding
        try:
            text = raw.decode(encoding)
        except LookupError:
            raise InputError(
                f"Unknown encoding {encoding!r}. Try utf-8, cp1252 or utf-16."
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} is not valid {encoding} (byte {exc.start}). "
                "Leave the encoding on automatic or pick another one."
            ) from None
        return _check_text(text.lstrip("\ufeff"), name).encode("utf-8"), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        used, candidates = "utf-8-sig", ("utf-8-sig",)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        used, candidates = "utf-16", ("utf-16",)
    else:
        used, candidates = None, ("utf-8", "cp1252")
    for enc in candidates:
        if enc in ("utf-8", "utf-8-sig"):
            # Already UTF-8: validate in place and hand the bytes on (after the BOM) uncopied.
            body = memoryview(raw)[3:] if enc == "utf-8-sig" else raw
            if not _is_utf8(body):
                continue
            _check_text(_utf8_head_text(body), name)
            return body, enc
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        _check_text(text[:65536], name)
        return text.lstrip("\ufeff").encode("utf-8"), used or enc
    raise InputError(
        f"{name} could not be decoded as {' or '.join(candidates)}. "
        "Save it from Excel as 'CSV UTF-8', or choose its encoding explicitly."
    )


def _is_utf8(data) -> bool:
    """Whether ``bytes(data).decode("utf-8")`` succeeds, without building the ``str``.

    Arrow's validator (strict RFC 3629, like Python's codec) answers in milliseconds; when it
    says no, Python's codec is asked too, piece by piece, so its rules have the last word.
    """
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(
            full=True
        )
        return True
    except pa.ArrowInvalid:
        pass
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(view), step):
            decoder.decode(view[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_head_text(data, chars: int = 65536) -> str:
    """``data.decode("utf-8")[:chars]`` for valid UTF-8, decoding only the head."""
    return codecs.getincrementaldecoder("utf-8")().decode(data[: 4 * chars])[:chars]


# Characters below U+0020 other than tab, line feed, carriage return and form feed.
_CONTROL_CHARS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\r\n\f")


def _check_text(text: str, name: str) -> str:
    sample = text[:65536]
    controls = sum(map(sample.count, _CONTROL_CHARS))
    if controls > max(2, 0.01 * len(sample)):  # a stray control character is not binary
        raise InputError(f"{name} contains binary data, not text. Export the data as CSV or .xlsx.")
    return text
