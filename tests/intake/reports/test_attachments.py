"""Metadata stripping (docs/design.md#threat-model-and-anonymity-rules, rule 4) on the files, before any sealing."""

import io

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from crypto.scratch import ScratchFile
from intake.reports.attachments import Upload, clean_upload, safe_filename


def upload(name: str, data: bytes) -> Upload:
    scratch = ScratchFile()
    scratch.write(data)
    return Upload(name, scratch.finish())


def cleaned_bytes(name: str, data: bytes):
    result = clean_upload(upload(name, data))
    content = b"".join(result.content.chunks())
    result.content.close()
    return result, content


def test_png_text_chunks_and_icc_profile_are_dropped_and_the_picture_kept():
    image = Image.new("P", (10, 10), 3)
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Marker-PNG-Author")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Marker-XMP</x:xmpmeta>")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, icc_profile=b"Marker-ICC-profile-text" * 10)
    result, content = cleaned_bytes("scan.png", out.getvalue())
    assert result.cleaned and result.content_type == "image/png"
    for marker in (b"Marker-PNG-Author", b"Marker-XMP", b"Marker-ICC"):
        assert marker not in content
    again = Image.open(io.BytesIO(content))
    assert again.size == (10, 10) and again.convert("RGB").getpixel((0, 0)) == (0, 0, 255)


def test_jpeg_is_turned_upright_before_its_exif_goes():
    image = Image.new("RGB", (40, 20), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    result, content = cleaned_bytes("photo.JPG", out.getvalue())
    assert result.cleaned and result.filename == "photo.JPG"
    assert Image.open(io.BytesIO(content)).size == (20, 40) and b"Exif" not in content


def test_pdf_info_and_xmp_are_removed_and_pages_kept():
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=100, height=100)
    writer.add_metadata({"/Author": "Marker-PDF-Author", "/Creator": "Marker-Creator"})
    writer.xmp_metadata = None
    out = io.BytesIO()
    writer.write(out)
    result, content = cleaned_bytes("memo.pdf", out.getvalue())
    assert result.cleaned and result.content_type == "application/pdf"
    assert b"Marker-PDF-Author" not in content and b"Marker-Creator" not in content
    assert len(PdfReader(io.BytesIO(content)).pages) == 3


@pytest.mark.parametrize("data", [b"%PDF-1.7 not really a pdf", b"\x89PNG\r\n\x1a\n broken", b"plain text"])
def test_what_cannot_be_cleaned_is_kept_as_sent_and_flagged(data):
    result, content = cleaned_bytes("thing.bin", data)
    assert not result.cleaned and content == data and result.content_type == "application/octet-stream"


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\report.docx", "report.docx"), ("a\x00b\nc.txt", "abc.txt"),
    ("", "file"), ("...", "file"), ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_file_names_are_reduced_to_a_safe_last_part(given, kept):
    assert safe_filename(given) == kept
