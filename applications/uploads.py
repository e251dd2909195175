"""Content checks of uploaded materials (材料上传校验).

A file is judged by what it is, never by what it is called or what the browser says it
is: the type comes from its magic bytes (libmagic), then the file must really be that
type (a PDF that parses and has a sane number of pages, an image Pillow can decode with
sane dimensions). Everything refused says why in Chinese, naming the file.

Settings (read with ``getattr`` so the defaults hold without configuration):

* ``UPLOAD_ALLOWED_TYPES``: content type → stored extension,
  default PDF, JPG, PNG (a list of content types is accepted too);
* ``UPLOAD_MAX_BYTES``: default 10 MB;
* ``UPLOAD_MAX_PDF_PAGES``: default 200;
* ``UPLOAD_MIN_IMAGE_SIDE`` / ``UPLOAD_MAX_IMAGE_SIDE``: default 200 / 12,000 pixels.

``check(file)`` returns a ``CheckedFile`` (the bytes, the real type, a display name,
size, sha256, pages); ``applications.materials`` stores it in the document store.
"""

import bisect
import hashlib
import io
import mimetypes
import re
import unicodedata
import warnings
import zlib
from dataclasses import dataclass, field

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

DEFAULT_ALLOWED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PDF_PAGES = 200
DEFAULT_MIN_IMAGE_SIDE = 200
DEFAULT_MAX_IMAGE_SIDE = 12_000
DISPLAY_NAME_MAX_LENGTH = 100

# Pillow's names for the formats behind each content type (MPO: JPEGs from phone cameras).
PILLOW_FORMATS = {
    "image/jpeg": {"JPEG", "MPO"},
    "image/png": {"PNG"},
    "image/gif": {"GIF"},
    "image/webp": {"WEBP"},
    "image/tiff": {"TIFF"},
    "image/bmp": {"BMP"},
}


class UploadRejected(ValidationError):
    """The file is refused; the message (Chinese) names the file and says why."""


@dataclass(frozen=True)
class CheckedFile:
    content: bytes = field(repr=False)
    display_name: str
    content_type: str
    extension: str
    size: int
    sha256: str
    pages: int | None = None
    width: int | None = None
    height: int | None = None


# --- Settings -----------------------------------------------------------------------------


def allowed_types() -> dict[str, str]:
    """Content type → extension of the stored file."""
    configured = getattr(settings, "UPLOAD_ALLOWED_TYPES", DEFAULT_ALLOWED_TYPES)
    if isinstance(configured, dict):
        return {str(k).lower(): v for k, v in configured.items()}
    return {
        str(t).lower(): DEFAULT_ALLOWED_TYPES.get(str(t).lower()) or mimetypes.guess_extension(t) or ""
        for t in configured
    }


def allowed_labels() -> str:
    """“PDF、JPG、PNG”: the allowed types as the applicant knows them."""
    return "、".join(ext.lstrip(".").upper() for ext in allowed_types().values() if ext)


def accept_attribute() -> str:
    """For ``<input type=file accept=…>``: a hint to the browser's picker, never a check."""
    return ",".join([*allowed_types().keys(), *(ext for ext in allowed_types().values() if ext)])


def max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pdf_pages() -> int:
    return int(getattr(settings, "UPLOAD_MAX_PDF_PAGES", DEFAULT_MAX_PDF_PAGES))


def image_side_limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "UPLOAD_MIN_IMAGE_SIDE", DEFAULT_MIN_IMAGE_SIDE)),
        int(getattr(settings, "UPLOAD_MAX_IMAGE_SIDE", DEFAULT_MAX_IMAGE_SIDE)),
    )


# --- File names ---------------------------------------------------------------------------

_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')


def sanitize_filename(name: str, content_type: str = "") -> str:
    """A name safe to show and to put in Content-Disposition.

    No path, no control or invisible formatting characters (a right-to-left override can
    make “exe.pdf” read as “fdp.exe”), no characters that file systems refuse, at most
    100 characters, and an extension that matches the real content type.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = _UNSAFE_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    ext = f".{ext.lower()}"[:10] if ext else ""
    if content_type:
        # The extension shown is the one of the real content (a PNG called “photo.exe” is “photo.png”).
        real = allowed_types().get(content_type) or mimetypes.guess_extension(content_type) or ""
        if ext not in {*mimetypes.guess_all_extensions(content_type), real}:
            ext = real
    fallback = _("未命名文件")
    stem = stem.strip(" .")[: DISPLAY_NAME_MAX_LENGTH - len(ext)].rstrip(" .") or fallback
    return f"{stem}{ext}"


# --- Receiving ----------------------------------------------------------------------------


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops keeping an uploaded file once it passes ``UPLOAD_MAX_BYTES`` instead of spooling
    a huge body to disk; the form's other fields still arrive. Put it first in
    ``request.upload_handlers`` (before anything reads ``request.POST``); the names of the
    files dropped are in ``too_large``."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = max_bytes()
        self.too_large: list[str] = []

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large.append(sanitize_filename(self.file_name or ""))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def too_large_error(name: str) -> "UploadRejected":
    return _too_large(sanitize_filename(name), max_bytes())


# --- The checks ---------------------------------------------------------------------------


def _reject(message: str, code: str) -> UploadRejected:
    return UploadRejected(message, code=code)


def _read(file) -> bytes:
    """The content, reading at most one byte past the limit (the declared size can lie)."""
    limit = max_bytes()
    if hasattr(file, "seek"):
        file.seek(0)
    if isinstance(file, (bytes, bytearray)):
        return bytes(file[: limit + 1])
    if hasattr(file, "chunks"):
        parts, total = [], 0
        for chunk in file.chunks():
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                break
        return b"".join(parts)[: limit + 1]
    return file.read(limit + 1)


def check(file, name: str | None = None) -> CheckedFile:
    """Check an upload (a Django ``UploadedFile``, a file object or bytes) by its content.

    Raises ``UploadRejected`` with a Chinese message naming the file.
    """
    display = sanitize_filename(name if name is not None else getattr(file, "name", ""))
    limit = max_bytes()
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(display, limit)
    content = _read(file)
    if len(content) > limit:
        raise _too_large(display, limit)
    if not content:
        raise _reject(_("文件“%(name)s”是空文件，请重新选择。") % {"name": display}, "empty")

    content_type = magic.from_buffer(content[:65536], mime=True).lower()
    types = allowed_types()
    if content_type not in types:
        raise _reject(
            _("文件“%(name)s”的实际类型不符合要求，仅支持 %(types)s 格式的文件。")
            % {"name": display, "types": allowed_labels()},
            "type_not_allowed",
        )

    display = sanitize_filename(display, content_type)
    pages = width = height = None
    if content_type == "application/pdf":
        pages = _check_pdf(content, display)
    elif content_type.startswith("image/"):
        width, height = _check_image(content, content_type, display)
    return CheckedFile(
        content=content,
        display_name=display,
        content_type=content_type,
        extension=types[content_type] or "",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        pages=pages,
        width=width,
        height=height,
    )


def _too_large(display: str, limit: int) -> UploadRejected:
    return _reject(
        _("文件“%(name)s”超过 %(limit)s 的大小限制，请压缩或分拆后再上传。")
        % {"name": display, "limit": filesizeformat(limit)},
        "too_large",
    )


def _unreadable(display: str) -> UploadRejected:
    return _reject(
        _("文件“%(name)s”已损坏或无法读取，请重新导出或扫描后再上传。") % {"name": display}, "unreadable"
    )


# --- Images -------------------------------------------------------------------------------
#
# Pillow reads the header (format, dimensions) and ``verify()``s the structure; whether the
# pixel data is complete is checked on the bytes themselves, because Pillow's
# ``ImageFile.LOAD_TRUNCATED_IMAGES`` is process-wide and WeasyPrint turns it on when imported
# (a truncated image would then load without an error). PNG: every chunk's CRC, an IEND, and
# the IDAT data inflating to its end. JPEG: an end-of-image marker after the last scan.


def _image_too_large(display: str, max_side: int, size: tuple[int, int] | None = None) -> UploadRejected:
    if size is None:
        message = _("图片“%(name)s”的尺寸过大，长和宽均不能超过 %(max)d 像素。")
    else:
        message = _("图片“%(name)s”的尺寸（%(width)d×%(height)d 像素）过大，长和宽均不能超过 %(max)d 像素。")
    width, height = size or (0, 0)
    return _reject(
        message % {"name": display, "width": width, "height": height, "max": max_side}, "image_too_large"
    )


def _check_image(content: bytes, content_type: str, display: str) -> tuple[int, int]:
    min_side, max_side = image_side_limits()
    try:
        with warnings.catch_warnings():
            # The dimensions are checked below, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format not in PILLOW_FORMATS.get(content_type, {image.format}):
                    raise _unreadable(display)
                width, height = image.size
                if width > max_side or height > max_side:
                    raise _image_too_large(display, max_side, (width, height))
                if width < min_side or height < min_side:
                    raise _reject(
                        _(
                            "图片“%(name)s”的尺寸（%(width)d×%(height)d 像素）过小，内容无法看清，"
                            "长和宽均不能小于 %(min)d 像素。"
                        )
                        % {"name": display, "width": width, "height": height, "min": min_side},
                        "image_too_small",
                    )
                image.verify()
            if content_type == "image/png" and not _png_complete(content):
                raise _unreadable(display)
            if content_type == "image/jpeg":
                if not _jpeg_complete(content):
                    raise _unreadable(display)
                with Image.open(io.BytesIO(content)) as image:
                    # Decoded at 1/8 scale (DCT scaling): cheap, and a corrupt scan still fails.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses to even open it: far beyond the maximum dimensions.
        raise _image_too_large(display, max_side) from exc
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, ValueError…) on hostile input
        raise _unreadable(display) from exc
    return width, height


def _png_complete(content: bytes) -> bool:
    """Every chunk whole with a good CRC up to IEND, and the image data inflating to its end."""
    position, image_data = 8, []
    while position + 12 <= len(content):
        length = int.from_bytes(content[position : position + 4], "big")
        end = position + 12 + length
        if end > len(content):
            return False
        kind = content[position + 4 : position + 8]
        crc = int.from_bytes(content[end - 4 : end], "big")
        if zlib.crc32(content[position + 4 : end - 4]) != crc:
            return False
        if kind == b"IDAT":
            image_data.append(content[position + 8 : end - 4])
        if kind == b"IEND":
            try:
                _Inflater(_INFLATE_BUDGET).inflate(b"".join(image_data), keep=False)
            except _Damaged:
                return False
            return bool(image_data)
        position = end
    return False


def _jpeg_complete(content: bytes) -> bool:
    """An end-of-image marker after the last start-of-scan (0xFFD9 cannot occur inside scan
    data, where 0xFF is always stuffed); trailing bytes after it (camera data) are fine."""
    return content.rfind(b"\xff\xd9") > content.rfind(b"\xff\xda") >= 0


class _Damaged(Exception):
    """Compressed data that does not inflate to its end."""


class _Inflater:
    """Inflates zlib streams within one output budget (decompression bombs): what is past
    the budget is not checked."""

    def __init__(self, budget: int):
        self.budget = budget

    def inflate(self, data: bytes, keep: bool) -> bytes:
        """The inflated bytes (kept only if asked); raises _Damaged on a damaged stream."""
        if self.budget <= 0:
            return b""
        inflater = zlib.decompressobj()
        kept = []
        try:
            out = inflater.decompress(data, self.budget)
            while True:
                self.budget -= len(out)
                if keep:
                    kept.append(out)
                if not inflater.unconsumed_tail or self.budget <= 0:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, self.budget)
        except zlib.error as exc:
            raise _Damaged from exc
        if not inflater.eof and self.budget > 0:
            raise _Damaged  # the data stops before its end: truncated or overwritten
        return b"".join(kept)


# Inflating stops after this much output per file.
_INFLATE_BUDGET = 64 * 1024 * 1024


# --- PDFs ---------------------------------------------------------------------------------
#
# No PDF library in the dependencies: a small, bounded scanner reads what the checks need.
# Structure: the header, %%EOF, and startxref pointing at a cross-reference section, so a
# truncated file fails; every Flate-compressed stream must inflate (within a budget), so a
# damaged one fails; an /Encrypt entry means a password-protected file. Pages: the objects
# are found in the file and inside compressed object streams (PDF 1.5+, as WeasyPrint and
# office suites write); the trailer's /Root leads to the catalog's /Pages and its /Count,
# with the /Page leaves counted when the tree cannot be followed. It checks, it does not render.

# Bounded repetitions keep every pattern linear on hostile input (no catastrophic backtracking).
_OBJ_KEYWORD_RE = re.compile(rb"obj(?![A-Za-z0-9])")
_PDF_WHITESPACE = b" \t\r\n\f\x00"
_DIGITS = b"0123456789"
_STARTXREF_RE = re.compile(rb"startxref\s{1,32}(\d{1,12})\s{0,32}%%EOF")
_XREF_AT_RE = re.compile(rb"\s{0,32}(xref|\d{1,10}\s{1,32}\d{1,5}\s{1,32}obj)")
_ROOT_RE = re.compile(rb"/Root(?![A-Za-z0-9])\s{0,32}(\d{1,10})\s{1,32}\d{1,5}\s{1,32}R")
_PAGES_REF_RE = re.compile(rb"/Pages(?![A-Za-z0-9])\s{0,32}(\d{1,10})\s{1,32}\d{1,5}\s{1,32}R")
_COUNT_RE = re.compile(rb"/Count(?![A-Za-z0-9])\s{0,32}(\d{1,10})(?!\d|\s{1,32}\d{1,5}\s{1,32}R)")
_TYPE_PAGES_RE = re.compile(rb"/Type\s{0,32}/Pages(?![A-Za-z0-9])")
_TYPE_PAGE_RE = re.compile(rb"/Type\s{0,32}/Page(?![A-Za-z0-9])")
_ENCRYPT_RE = re.compile(rb"/Encrypt(?![A-Za-z0-9])")
_LENGTH_RE = re.compile(rb"/Length(?![A-Za-z0-9])\s{0,32}(\d{1,10})(?!\d|\s{1,32}\d{1,5}\s{1,32}R)")
# A page tree node's dictionary is small; only streams are read further.
_OBJ_HEAD_MAX_BYTES = 64 * 1024
# “obj” keywords looked at (with “endobj”): beyond, the file is refused rather than parsed.
_MAX_KEYWORDS = 500_000


def _check_pdf(content: bytes, display: str) -> int:
    tail = content[-2048:]
    starts = _STARTXREF_RE.findall(tail)
    if not content.startswith(b"%PDF-") or not starts:
        raise _unreadable(display)
    offset = int(starts[-1])
    if offset >= len(content) or not _XREF_AT_RE.match(content, offset):
        raise _unreadable(display)
    if _ENCRYPT_RE.search(content):
        raise _reject(
            _("文件“%(name)s”已加密或设置了打开密码，请取消密码保护后再上传。") % {"name": display},
            "encrypted",
        )
    try:
        pages = pdf_page_count(content)
    except _Damaged as exc:
        raise _unreadable(display) from exc
    if not pages:
        raise _unreadable(display)
    if pages > max_pdf_pages():
        raise _reject(
            _("文件“%(name)s”共 %(pages)d 页，超过 %(max)d 页的限制，请分拆后再上传。")
            % {"name": display, "pages": pages, "max": max_pdf_pages()},
            "too_many_pages",
        )
    return pages


def _object_heads(content: bytes) -> list[tuple[int, int]]:
    """(object number, offset after the keyword) of each “N G obj”.

    The keyword is searched as a literal and the numbers before it are read backwards with
    ``bytes.rstrip`` (C speed): a pattern that starts with digits would be tried at every
    byte of the file. Raises _Damaged past the keyword limit."""
    heads = []
    for hits, hit in enumerate(_OBJ_KEYWORD_RE.finditer(content)):
        if hits > _MAX_KEYWORDS:
            raise _Damaged
        position = hit.start()
        window = content[max(0, position - 64) : position]
        generation_end = window.rstrip(_PDF_WHITESPACE)
        generation = generation_end[len(generation_end.rstrip(_DIGITS)) :]
        number_end = generation_end[: len(generation_end) - len(generation)].rstrip(_PDF_WHITESPACE)
        number = number_end[len(number_end.rstrip(_DIGITS)) :]
        spaced = len(generation_end) < len(window) and len(number_end) < len(generation_end) - len(generation)
        if spaced and 0 < len(generation) <= 5 and 0 < len(number) <= 10:
            heads.append((int(number), hit.end()))
    return heads


def _pdf_objects(content: bytes) -> dict[int, bytes]:
    """Object number → the object's dictionary text (later definitions win: incremental updates
    append), including the members of compressed object streams. Inflates every Flate stream.

    Every slice is bounded (by the next ``endobj``, the next object, 64 KB, and a read budget
    for stream data) so that a hostile file costs time in proportion to its size."""
    heads = _object_heads(content)
    ends = [m.start() for m in re.finditer(rb"endobj", content)]
    objects: dict[int, bytes] = {}
    packed: list[tuple[bytes, bytes]] = []
    inflater = _Inflater(_INFLATE_BUDGET)
    read_budget = 4 * len(content)
    for index, (number, start) in enumerate(heads):
        following = bisect.bisect_left(ends, start)
        stop = ends[following] if following < len(ends) else len(content)
        next_head = heads[index + 1][1] if index + 1 < len(heads) else len(content)
        head_limit = min(stop, next_head, start + _OBJ_HEAD_MAX_BYTES)
        keyword = content.find(b"stream", start, head_limit)
        head = content[start : keyword if keyword >= 0 else head_limit]
        objects[number] = head
        if keyword < 0 or b"/FlateDecode" not in head:
            continue
        data_start = keyword + len(b"stream")
        data_start += 2 if content.startswith(b"\r\n", data_start) else 1
        length = _LENGTH_RE.search(head)
        if length and data_start + int(length.group(1)) <= stop:
            data_end = data_start + int(length.group(1))
        else:
            found = content.find(b"endstream", data_start, stop)
            data_end = stop if found < 0 else found
        read_budget -= data_end - data_start
        if read_budget < 0:
            raise _Damaged
        is_object_stream = b"/ObjStm" in head
        inflated = inflater.inflate(content[data_start:data_end], keep=is_object_stream)
        if is_object_stream:
            packed.append((head, inflated))
    for head, text in packed:
        for number, member in _object_stream_members(head, text):
            objects.setdefault(number, member)
    return objects


def _object_stream_members(head: bytes, text: bytes) -> list[tuple[int, bytes]]:
    """The objects packed in one inflated object stream (/Type /ObjStm)."""
    first = re.search(rb"/First(?![A-Za-z0-9])\s{0,32}(\d{1,10})", head)
    count = re.search(rb"/N(?![A-Za-z0-9])\s{0,32}(\d{1,10})", head)
    if not first or not count or b"/DecodeParms" in head:
        return []
    first_offset, n = int(first.group(1)), int(count.group(1))
    numbers = [int(x) for x in re.findall(rb"\d{1,10}", text[:first_offset])][: 2 * n]
    pairs = list(zip(numbers[0::2], numbers[1::2], strict=False))
    members = []
    for i, (number, offset) in enumerate(pairs):
        start = first_offset + offset
        stop = first_offset + pairs[i + 1][1] if i + 1 < len(pairs) else len(text)
        members.append((number, text[start:stop]))
    return members


def pdf_page_count(content: bytes) -> int:
    """Pages of a PDF from its page tree; 0 when there is none. Raises _Damaged."""
    objects = _pdf_objects(content)
    roots = _ROOT_RE.findall(content)
    if roots:
        catalog = objects.get(int(roots[-1]), b"")
        pages_ref = _PAGES_REF_RE.search(catalog)
        if pages_ref:
            tree = objects.get(int(pages_ref.group(1)), b"")
            count = _COUNT_RE.search(tree)
            if count and _TYPE_PAGES_RE.search(tree):
                return int(count.group(1))
    # Damaged cross references: the biggest /Pages node, or else the /Page leaves.
    counts = [
        int(m.group(1))
        for text in objects.values()
        if _TYPE_PAGES_RE.search(text)
        for m in [_COUNT_RE.search(text)]
        if m
    ]
    if counts:
        return max(counts)
    return sum(1 for text in objects.values() if _TYPE_PAGE_RE.search(text))
