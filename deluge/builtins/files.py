"""FILE functions (list-map-date-json.md section 6): toFile and the get/set methods of a FILE.

A FILE is a `DFile(name, content: bytes, content_type, charset)`. Scripts get
files from `toFile` or from the host (a mocked `invokeurl` response, a task).
`isFile` lives with the other type tests in `common`.

Decisions where the spec is silent:
- `toFile` needs a TEXT file name (anything else, null included, is a runtime
  error); the content is the text in UTF-8 (an unpaired surrogate becomes `?`),
  or the printed text of a list or map. More than 5 MiB of content is a
  runtime error (the spec's 5 MB cap, read as 5 * 1024 * 1024 bytes).
- The MIME type of a `toFile` file comes from a fixed table of extensions
  (case-insensitive), never from the machine's own MIME database; an unknown
  or missing extension gives `application/octet-stream`.
- `setFileType(type)`: a type containing `/` is stored as it is; otherwise it
  is read as an extension (`"pdf"` or `".pdf"` → `application/pdf`), and a word
  the table does not know is stored as it is. `setFileName` does not change the
  type.
- `setCharset` accepts the names of text encodings (`UTF-8`, `ISO-8859-1`,
  `windows-1252`, `UTF-16`, ...); an unknown name, or a Python codec that is not
  a character set (`zlib`, `rot13`, `unicode_escape`...), is a runtime error.
  `getFileContent` decodes with it, replacing bytes that do not decode with
  U+FFFD (binary files give "junk", as Zoho's page says).
"""

from __future__ import annotations

import codecs
from typing import Any

from deluge.builtins.registry import method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.execution import check_text_length
from deluge.runtime.render import render
from deluge.runtime.values import DFile, type_name

MAX_FILE_BYTES = 5 * 1024 * 1024

MIME_TYPES = {
    "txt": "text/plain", "text": "text/plain", "log": "text/plain", "json": "application/json",
    "csv": "text/csv", "tsv": "text/tab-separated-values", "html": "text/html", "htm": "text/html",
    "xml": "application/xml", "css": "text/css", "js": "application/javascript", "md": "text/markdown",
    "ics": "text/calendar", "vcf": "text/vcard", "yaml": "application/yaml", "yml": "application/yaml",
    "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "bmp": "image/bmp",
    "webp": "image/webp", "svg": "image/svg+xml", "ico": "image/x-icon", "tif": "image/tiff", "tiff": "image/tiff",
    "mp3": "audio/mpeg", "wav": "audio/wav", "mp4": "video/mp4", "mov": "video/quicktime",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "rtf": "application/rtf", "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
DEFAULT_TYPE = "application/octet-stream"

# Python codecs that are text encodings by Python's flag but not character sets a file could use.
_NOT_CHARSETS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "mbcs", "oem"}


def mime_type(name: str) -> str:
    """The MIME type the extension of a file name suggests."""
    base = name.rsplit("/", 1)[-1]
    if "." not in base:
        return DEFAULT_TYPE
    return MIME_TYPES.get(base.rsplit(".", 1)[1].lower(), DEFAULT_TYPE)


def _codec(name: str, fname: str) -> codecs.CodecInfo:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        raise DelugeRuntimeError(f"{fname}: '{name}' is not a character set")
    return info


def _text_arg(value: Any, fname: str, what: str) -> str:
    if type(value) is not str:
        raise DelugeRuntimeError(f"{fname} needs a TEXT {what}, not a value of type {type_name(value)}")
    return value  # type: ignore[no-any-return]


@method(("text", "collection"), "toFile")
def to_file(ex: Any, value: Any, file_name: Any) -> DFile:
    """A FILE named `file_name` holding the text (or the printed list or map) in UTF-8."""
    name = _text_arg(file_name, "toFile", "file name")
    text = value if type(value) is str else render(value, ex.limits.data_nesting, ex.limits.text_length)
    if len(text) > MAX_FILE_BYTES:
        raise _too_big(len(text))
    ex.charge_work(len(text) // 64 + 1)
    content = text.encode("utf-8", "replace")
    if len(content) > MAX_FILE_BYTES:
        raise _too_big(len(content))
    return DFile(name, content, mime_type(name), "UTF-8")


def _too_big(size: int) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"toFile: the content is at least {size} bytes, more than the 5 MB a file may hold")


@method("file", "getFileContent")
def get_file_content(ex: Any, file: DFile) -> str:
    """The content as text, decoded with the file's charset (UTF-8 unless setCharset changed it)."""
    info = _codec(file.charset or "UTF-8", "getFileContent")
    ex.charge_work(len(file.content) // 64 + 1)
    text = info.decode(file.content, "replace")[0]
    if len(text) > ex.limits.text_length:
        check_text_length(len(text))
    return text  # type: ignore[no-any-return]


@method("file", "getFileName")
def get_file_name(ex: Any, file: DFile) -> str:
    return file.name or ""


@method("file", "getFileSize")
def get_file_size(ex: Any, file: DFile) -> int:
    """The size of the content in bytes, as a NUMBER."""
    return len(file.content)


@method("file", "getFileType")
def get_file_type(ex: Any, file: DFile) -> str:
    return file.content_type or DEFAULT_TYPE


@method("file", "setFileName")
def set_file_name(ex: Any, file: DFile, name: Any) -> None:
    """Renames the file; the content and the type stay."""
    file.name = _text_arg(name, "setFileName", "name")


@method("file", "setFileType")
def set_file_type(ex: Any, file: DFile, kind: Any) -> None:
    """Changes the declared type only: `"pdf"` means `application/pdf`; a MIME type is kept as given."""
    text = _text_arg(kind, "setFileType", "type").strip()
    if not text:
        raise DelugeRuntimeError("setFileType needs a file type, not an empty text")
    if "/" not in text:
        text = MIME_TYPES.get(text.lstrip(".").lower(), text)
    file.content_type = text


@method("file", "setCharset")
def set_charset(ex: Any, file: DFile, charset: Any) -> None:
    """Sets the character set getFileContent decodes with; an unknown name is a runtime error."""
    name = _text_arg(charset, "setCharset", "character set").strip()
    _codec(name, "setCharset")
    file.charset = name


def _unavailable(name: str) -> Any:
    def unavailable(ex: Any, file: DFile, *args: Any) -> Any:
        raise DelugeRuntimeError(f"{name} is not available in the sandbox: it needs an archive or document engine")

    unavailable.__name__ = name
    unavailable.__doc__ = f"`{name}` needs an engine the sandbox does not have: always a runtime error."
    return unavailable


for _name in ("compress", "extract", "convertToPDF"):
    method("file", _name)(_unavailable(_name))
