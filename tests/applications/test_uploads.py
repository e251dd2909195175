"""Uploads are judged by their content (applications.uploads), never by their name."""

import io
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from applications import uploads


def pdf_bytes(pages: int = 1) -> bytes:
    """A small real PDF written by Pillow's PDF writer."""
    images = [Image.new("RGB", (300, 300), "white") for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def image_bytes(fmt: str = "PNG", size=(300, 400), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def rejection(file) -> uploads.UploadRejected:
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check(file)
    return caught.value


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"PE\x00\x00"
    + b"\x00" * 400
)
HTML = b"<!DOCTYPE html><html><head><script>alert(document.cookie)</script></head><body>x</body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def test_a_valid_pdf_is_accepted_with_its_page_count_and_hash():
    checked = uploads.check(upload("营业执照.pdf", pdf_bytes(pages=3)))

    assert checked.content_type == "application/pdf"
    assert checked.extension == ".pdf"
    assert checked.pages == 3
    assert len(checked.sha256) == 64
    assert checked.display_name == "营业执照.pdf"


def test_a_pdf_written_by_weasyprint_with_compressed_object_streams_is_counted():
    from weasyprint import HTML as WeasyHTML

    content = WeasyHTML(string="<p>第一页</p><p style='break-before: page'>第二页</p>").write_pdf()

    assert uploads.check(upload("回执.pdf", content)).pages == 2


def test_a_png_and_a_jpeg_are_accepted_with_their_dimensions():
    png = uploads.check(upload("身份证正面.png", image_bytes("PNG"), "image/png"))
    jpeg = uploads.check(upload("身份证反面.jpg", image_bytes("JPEG"), "image/jpeg"))

    assert (png.content_type, png.width, png.height) == ("image/png", 300, 400)
    assert (jpeg.content_type, jpeg.extension) == ("image/jpeg", ".jpg")


def test_a_renamed_exe_is_refused_with_a_message_naming_the_file():
    error = rejection(upload("身份证.pdf", EXE, "application/pdf"))

    assert error.code == "type_not_allowed"
    assert "身份证.pdf" in error.messages[0]
    assert "仅支持 PDF、JPG、PNG" in error.messages[0]


def test_an_html_file_named_pdf_is_refused():
    assert rejection(upload("申请表.pdf", HTML)).code == "type_not_allowed"


def test_an_svg_named_png_is_refused():
    assert rejection(upload("照片.png", SVG, "image/png")).code == "type_not_allowed"


def test_the_browsers_content_type_is_ignored():
    checked = uploads.check(upload("scan.bin", image_bytes("PNG"), "application/octet-stream"))

    assert checked.content_type == "image/png"
    assert checked.display_name == "scan.png"


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024

    error = rejection(upload("大文件.pdf", pdf_bytes() + b"\n" * 2048))

    assert error.code == "too_large"
    assert "大文件.pdf" in error.messages[0]
    assert "1.0\xa0KB" in error.messages[0]  # filesizeformat keeps number and unit together


def test_a_file_that_lies_about_its_size_is_still_measured(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    file = upload("a.pdf", pdf_bytes() + b"\n" * 2048)
    file.size = 10  # what a client could claim

    assert rejection(file).code == "too_large"


def test_the_default_size_limit_is_ten_megabytes():
    assert uploads.max_bytes() == 10 * 1024 * 1024


def test_an_empty_file_is_refused():
    assert rejection(upload("空.pdf", b"")).code == "empty"


def test_a_truncated_pdf_is_refused_as_unreadable():
    content = pdf_bytes(pages=2)

    error = rejection(upload("扫描件.pdf", content[: len(content) // 2]))

    assert error.code == "unreadable"
    assert "扫描件.pdf" in error.messages[0]


def test_a_pdf_with_a_damaged_compressed_stream_is_refused():
    from weasyprint import HTML as WeasyHTML

    content = WeasyHTML(string="<p>材料</p>").write_pdf()
    start = content.index(b"stream\n") + len(b"stream\n") + 4
    damaged = content[:start] + b"\x00" * 40 + content[start + 40 :]

    assert rejection(upload("损坏.pdf", damaged)).code == "unreadable"


def test_a_header_alone_is_not_a_pdf():
    assert rejection(upload("假.pdf", b"%PDF-1.7\n%%EOF\n")).code == "unreadable"


def test_an_encrypted_pdf_is_refused():
    content = pdf_bytes().replace(b"/Root", b"/Encrypt 9 0 R\n/Root")

    error = rejection(upload("加密.pdf", content))

    assert error.code == "encrypted"
    assert "密码" in error.messages[0]


def test_a_pdf_over_the_page_limit_is_refused(settings):
    settings.UPLOAD_MAX_PDF_PAGES = 3

    error = rejection(upload("厚.pdf", pdf_bytes(pages=4)))

    assert error.code == "too_many_pages"
    assert "共 4 页" in error.messages[0]


def test_a_png_with_huge_dimensions_is_refused_before_decoding():
    # Mode "1" keeps the test file small: 13,000 × 300 one-bit pixels.
    error = rejection(upload("长图.png", image_bytes("PNG", size=(13_000, 300), mode="1"), "image/png"))

    assert error.code == "image_too_large"
    assert "13000×300" in error.messages[0]


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims other dimensions (how decompression bombs look)."""
    content = bytearray(image_bytes("PNG", size=(300, 300)))
    content[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    content[29:33] = zlib.crc32(bytes(content[12:29])).to_bytes(4, "big")
    return bytes(content)


def test_a_decompression_bomb_png_is_refused():
    error = rejection(upload("bomb.png", png_claiming(50_000, 50_000), "image/png"))

    assert error.code == "image_too_large"


def test_a_tiny_image_is_refused_as_unreadable_to_staff():
    error = rejection(upload("小图.jpg", image_bytes("JPEG", size=(120, 120)), "image/jpeg"))

    assert error.code == "image_too_small"
    assert "不能小于 200 像素" in error.messages[0]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("pillow_tolerates_truncation", [False, True])
def test_a_truncated_image_is_refused(fmt, pillow_tolerates_truncation, monkeypatch):
    # WeasyPrint turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when it is imported.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pillow_tolerates_truncation)
    content = image_bytes(fmt, size=(1200, 1200))

    assert rejection(upload(f"半截.{fmt.lower()}", content[: len(content) // 2])).code == "unreadable"


def test_a_png_with_a_damaged_chunk_is_refused():
    content = bytearray(image_bytes("PNG", size=(600, 600)))
    content[60:70] = b"\x00" * 10

    assert rejection(upload("坏图.png", bytes(content), "image/png")).code == "unreadable"


def test_a_gif_is_refused_unless_configured(settings):
    gif = image_bytes("GIF", size=(300, 300))
    assert rejection(upload("a.gif", gif, "image/gif")).code == "type_not_allowed"

    settings.UPLOAD_ALLOWED_TYPES = {"image/gif": ".gif"}

    assert uploads.check(upload("a.gif", gif, "image/gif")).extension == ".gif"


def test_the_filename_loses_its_path_control_characters_and_bidi_tricks():
    name = "C:\\Users\\张三\\..\\证明\u202egpj.exe\x00\n"

    assert uploads.sanitize_filename(name, "application/pdf") == "证明gpj.pdf"


def test_a_long_filename_is_shortened_keeping_its_extension():
    name = uploads.sanitize_filename("很" * 300 + ".pdf", "application/pdf")

    assert len(name) == uploads.DISPLAY_NAME_MAX_LENGTH
    assert name.endswith(".pdf")


def test_an_unnamed_file_gets_a_readable_name():
    assert uploads.sanitize_filename("../..", "image/png") == "未命名文件.png"


def test_a_known_extension_of_the_real_type_is_kept():
    assert uploads.sanitize_filename("照片.JPEG", "image/jpeg") == "照片.jpeg"


def test_a_pdf_with_more_objects_than_the_scanner_reads_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "_MAX_KEYWORDS", 3)

    assert rejection(upload("很多对象.pdf", pdf_bytes(pages=3))).code == "unreadable"
