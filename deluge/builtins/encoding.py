"""Encoding, hashing and encryption (text-number-common.md section 7; DECISIONS.md D41, D42).

Every entry is a function-form call: `encodeUrl(text)` and the dotted
`zoho.encryption.*` names. Text is always turned into bytes as UTF-8 (a lone
surrogate becomes `?`, as Java does); a FILE argument, where one is accepted,
gives its bytes as they are.

Decisions where the spec is silent (each function's docstring repeats its own):
- A data argument that is a NUMBER, DECIMAL, BOOLEAN, DATE-TIME or TIME is used
  as its rendered text (as text concatenation shows it); `null` and lists or
  maps are a runtime error. Exception: `urlEncode`/`urlDecode` return `null`
  for any non-TEXT value, as Zoho's pages say.
- Output formats (`"hex"`, `"base64"`, `"binary"`) are matched ignoring case;
  `"binary"` gives the same lower-case hex as `"hex"` (a TEXT cannot hold raw
  bytes); any other format is a runtime error.
- Decoded bytes that are not valid in the character set (base64Decode,
  base32Decode) become U+FFFD, as Java's `new String(bytes, charset)` does;
  urlDecode instead fails on them, like it fails on a malformed `%` escape.
- AES: Zoho's key derivation is undocumented, so only round-tripping is
  promised (spec). The scheme is AES in CTR mode with a key derived by
  PBKDF2-HMAC-SHA256 from the passphrase and a 16-byte salt, authenticated by
  HMAC-SHA256 over the whole message (encrypt-then-MAC, D41). Output:
  base64 of  version(1) | salt(16) | cipher text | tag(32).
  `aesEncode` uses AES-256 and a random salt (so two encodings of one text
  differ); `aesEncode128` uses AES-128, and its `iv` (16 characters) becomes the
  salt, so with an IV the output is deterministic. Iterations: default 1,000,
  allowed 1 to 100,000 (more is a runtime error: the sandbox bounds the cost).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import mimetypes
import os
import re
import urllib.parse
from typing import Any

from deluge.builtins.core import as_int, check_text, wrong_type
from deluge.builtins.registry import function
from deluge.errors import DelugeRuntimeError
from deluge.runtime.render import render
from deluge.runtime.values import DateTime, DFile, Time

# ------------------------------------------------------------------ arguments


def _text_arg(value: Any, fname: str, param: str) -> str:
    """A TEXT argument; scalars are used as their rendered text, null and collections fail."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind in (int, float, bool, DateTime, Time):
        return render(value)
    if value is None:
        raise DelugeRuntimeError(f"The function '{fname}' needs a TEXT for {param}, not null")
    raise wrong_type(fname, param, "a TEXT", value)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


def _bytes_arg(value: Any, fname: str, param: str, charset: str = "UTF-8") -> bytes:
    """The bytes of a TEXT (in `charset`) or of a FILE (as they are)."""
    if type(value) is DFile:
        return bytes(value.content)
    text = _text_arg(value, fname, param)
    if charset == "UTF-8":
        return _utf8(text)
    return _encode_charset(text, charset)


def _charset(value: Any, fname: str) -> str:
    """A character-set name, normalised: UTF-8, UTF-16LE, UTF-16BE, UTF-16, US-ASCII or ISO-8859-1."""
    if value is None:
        return "UTF-8"
    if type(value) is not str:
        raise wrong_type(fname, "charset", "a TEXT", value)
    key = value.strip().upper().replace("_", "").replace("-", "")
    name = _CHARSETS.get(key)
    if name is None:
        raise DelugeRuntimeError(
            f"The function '{fname}' does not know the character set '{value}' "
            "(use UTF-8, UTF-16LE, UTF-16BE, UTF-16, US-ASCII or ISO-8859-1)"
        )
    return name


_CHARSETS = {
    "UTF8": "UTF-8",
    "UTF16LE": "UTF-16LE",
    "UTF16BE": "UTF-16BE",
    "UTF16": "UTF-16",
    "USASCII": "US-ASCII",
    "ASCII": "US-ASCII",
    "ISO88591": "ISO-8859-1",
    "LATIN1": "ISO-8859-1",
}


def _encode_charset(text: str, charset: str) -> bytes:
    if charset == "UTF-8":
        return _utf8(text)
    if charset == "UTF-16LE":
        return text.encode("utf-16-le", "replace")
    if charset == "UTF-16BE":
        return text.encode("utf-16-be", "replace")
    if charset == "UTF-16":  # Java: big-endian with a byte-order mark
        return b"\xfe\xff" + text.encode("utf-16-be", "replace")
    if charset == "US-ASCII":
        return text.encode("ascii", "replace")
    return text.encode("latin-1", "replace")


def _decode_charset(data: bytes, charset: str) -> str:
    if charset == "UTF-8":
        return data.decode("utf-8", "replace")
    if charset == "UTF-16LE":
        return data.decode("utf-16-le", "replace")
    if charset == "UTF-16BE":
        return data.decode("utf-16-be", "replace")
    if charset == "UTF-16":  # Java: a byte-order mark decides, big-endian without one
        if data[:2] == b"\xff\xfe":
            return data[2:].decode("utf-16-le", "replace")
        if data[:2] == b"\xfe\xff":
            data = data[2:]
        return data.decode("utf-16-be", "replace")
    if charset == "US-ASCII":
        return data.decode("ascii", "replace")
    return data.decode("latin-1")


def _format(value: Any, fname: str, default: str) -> str:
    """An output format: "hex" (also "binary") or "base64"; null means the default."""
    if value is None:
        return default
    if type(value) is not str:
        raise wrong_type(fname, "output format", "a TEXT", value)
    key = value.strip().lower()
    if key in ("hex", "binary"):
        return "hex"
    if key == "base64":
        return "base64"
    raise DelugeRuntimeError(f"The function '{fname}' has no output format '{value}' (use hex, base64 or binary)")


def _digest_text(digest: bytes, fmt: str) -> str:
    if fmt == "hex":
        return digest.hex()
    return base64.b64encode(digest).decode("ascii")


def _charge(ex: Any, nbytes: int) -> None:
    """About one unit of work per 64 bytes scanned."""
    if nbytes >= 64:
        ex.charge_work(nbytes // 64)


# ------------------------------------------------------------------ URL encoding

# Java's URLEncoder keeps A-Z a-z 0-9 . - * _ ; quote() keeps "_.-~" always, so "~" is fixed afterwards.
_URL_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _url_encode(ex: Any, text: str, space: str, fname: str) -> str:
    data = _utf8(text)
    unsafe = len(data.translate(None, _URL_SAFE + b" "))
    spaces = data.count(b" ")
    check_text(ex, len(data) + 2 * unsafe + (len(space) - 1) * spaces)
    _charge(ex, len(data))
    if space == "+":
        encoded = urllib.parse.quote_plus(data, safe="*")
    else:
        encoded = urllib.parse.quote(data, safe="*")
    return encoded.replace("~", "%7E")


@function("encodeUrl")
def encode_url(ex: Any, value: Any) -> str:
    """Form encoding as Java's URLEncoder does it: a space becomes `+`, unsafe bytes `%XX` (UTF-8).

    Kept as they are: `A-Z a-z 0-9 . - * _` (spec). A NUMBER, DECIMAL or BOOLEAN is encoded as its text;
    null and collections are a runtime error [decision].
    """
    return _url_encode(ex, _text_arg(value, "encodeUrl", "text"), "+", "encodeUrl")


@function("zoho.encryption.urlEncode")
def url_encode(ex: Any, value: Any) -> str | None:
    """Like encodeUrl, but a space becomes `%20`; any non-TEXT value (null included) gives null (Zoho's page)."""
    if type(value) is not str:
        return None
    return _url_encode(ex, value, "%20", "zoho.encryption.urlEncode")


@function("zoho.encryption.urlDecode")
def url_decode(ex: Any, value: Any) -> str | None:
    """The inverse of urlEncode/encodeUrl: `%XX` escapes are UTF-8 bytes, `+` is a space.

    Non-TEXT gives null (Zoho's page). A `%` not followed by two hex digits, or escapes that are not
    valid UTF-8, are a runtime error [choice/decision].
    """
    if type(value) is not str:
        return None
    bad = _BAD_ESCAPE.search(value)
    if bad is not None:
        raise DelugeRuntimeError(
            f"zoho.encryption.urlDecode: malformed escape '{value[bad.start():bad.start() + 3]}' "
            f"at position {bad.start()}"
        )
    _charge(ex, len(value))
    try:
        return urllib.parse.unquote(value.replace("+", " "), encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise DelugeRuntimeError("zoho.encryption.urlDecode: the escapes do not form valid UTF-8 text") from None


# ------------------------------------------------------------------ base64 and base32

_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567")
_WHITESPACE = " \t\r\n\f\v"
_NO_WHITESPACE = {ord(c): None for c in _WHITESPACE}


def _strict_decode(text: str, fname: str, what: str, alphabet: frozenset[str], block: int,
                   bad_lengths: tuple[int, ...], max_pad: int) -> tuple[str, int]:
    """Validates base64/base32 text (D42); returns the characters without padding and the padding needed.

    White space is ignored and missing padding is accepted; any other character outside the alphabet,
    `=` anywhere but at the end, too much padding or an impossible length is a runtime error.
    """
    core = text.translate(_NO_WHITESPACE)
    stripped = core.rstrip("=")
    if not alphabet.issuperset(stripped):
        seen_pad = False
        for i, ch in enumerate(text):
            if ch in _WHITESPACE:
                continue
            if ch == "=":
                seen_pad = True
                continue
            if ch not in alphabet:
                raise DelugeRuntimeError(
                    f"{fname}: the text is not valid {what}: the character {ch!r} at position {i} is not allowed"
                )
            if seen_pad:
                raise DelugeRuntimeError(f"{fname}: the text is not valid {what}: '=' padding before its end")
    pad = len(core) - len(stripped)
    rest = len(stripped) % block
    needed = (block - rest) % block
    if rest in bad_lengths or pad > max_pad or (pad and pad != needed):
        raise DelugeRuntimeError(f"{fname}: the text is not valid {what} (wrong length or padding)")
    return stripped, needed


def _b64decode(text: str, fname: str) -> bytes:
    """Strict base64 (D42): white space ignored, missing padding accepted, anything else outside the alphabet fails."""
    core, needed = _strict_decode(text, fname, "base64", _B64_ALPHABET, 4, (1,), 2)
    try:
        return base64.b64decode(core + "=" * needed, validate=True)
    except binascii.Error:  # pragma: no cover - the checks above catch every malformed input
        raise DelugeRuntimeError(f"{fname}: the text is not valid base64") from None


def _b32decode(text: str, fname: str) -> bytes:
    """Strict base32: white space ignored, letters in either case, missing padding accepted."""
    core, needed = _strict_decode(text, fname, "base32", _B32_ALPHABET, 8, (1, 3, 6), 6)
    try:
        return base64.b32decode(core.upper() + "=" * needed)
    except binascii.Error:  # pragma: no cover - the checks above catch every malformed input
        raise DelugeRuntimeError(f"{fname}: the text is not valid base32") from None


@function("zoho.encryption.base64Encode")
def base64_encode(ex: Any, data: Any) -> str:
    """Standard base64 with padding of a TEXT (UTF-8) or of a FILE's bytes."""
    raw = _bytes_arg(data, "zoho.encryption.base64Encode", "data")
    check_text(ex, 4 * ((len(raw) + 2) // 3))
    _charge(ex, len(raw))
    return base64.b64encode(raw).decode("ascii")


@function("zoho.encryption.base64Decode")
def base64_decode(ex: Any, data: Any) -> str:
    """Decodes base64 to TEXT (UTF-8; invalid bytes become U+FFFD). Strict per D42: a runtime error on bad input."""
    text = _text_arg(data, "zoho.encryption.base64Decode", "data")
    _charge(ex, len(text))
    return _b64decode(text, "zoho.encryption.base64Decode").decode("utf-8", "replace")


_MIME = mimetypes.MimeTypes()  # the built-in table only: no system files, same answer on every machine


def _content_type(name: str) -> str:
    guessed = _MIME.guess_type(name, strict=False)[0]
    return guessed or "application/octet-stream"


@function("zoho.encryption.base64DecodeToFile")
def base64_decode_to_file(ex: Any, data: Any, file_name: Any) -> DFile:
    """Decodes base64 into a FILE named `file_name`; its type follows the name's extension [decision]."""
    fname = "zoho.encryption.base64DecodeToFile"
    text = _text_arg(data, fname, "data")
    name = _text_arg(file_name, fname, "file name")
    _charge(ex, len(text))
    return DFile(name, _b64decode(text, fname), _content_type(name), "UTF-8")


@function("zoho.encryption.base32Encode")
def base32_encode(ex: Any, data: Any, charset: Any = None) -> str:
    """RFC 4648 base32 (upper case, padded) of a TEXT in `charset` (UTF-8 by default) or of a FILE's bytes."""
    fname = "zoho.encryption.base32Encode"
    raw = _bytes_arg(data, fname, "data", _charset(charset, fname))
    check_text(ex, 8 * ((len(raw) + 4) // 5))
    _charge(ex, len(raw))
    return base64.b32encode(raw).decode("ascii")


@function("zoho.encryption.base32Decode")
def base32_decode(ex: Any, data: Any, charset: Any = None) -> str:
    """The inverse of base32Encode; letters in either case, white space ignored, missing padding accepted [choice]."""
    fname = "zoho.encryption.base32Decode"
    cs = _charset(charset, fname)
    text = _text_arg(data, fname, "data")
    _charge(ex, len(text))
    return _decode_charset(_b32decode(text, fname), cs)


# ------------------------------------------------------------------ hashes and HMAC


def _hash(ex: Any, algo: str, fname: str, data: Any, fmt: Any) -> str:
    raw = _bytes_arg(data, fname, "data")
    out = _format(fmt, fname, "hex")
    _charge(ex, len(raw))
    return _digest_text(hashlib.new(algo, raw).digest(), out)


@function("zoho.encryption.md5")
def md5(ex: Any, data: Any, fmt: Any = None) -> str:
    """MD5 of a TEXT (UTF-8) or FILE; lower-case hex by default, or "base64"."""
    return _hash(ex, "md5", "zoho.encryption.md5", data, fmt)


@function("zoho.encryption.sha1")
def sha1(ex: Any, data: Any, fmt: Any = None) -> str:
    """SHA-1 in lower-case hex (the spec's family shape also allows "base64" as a second argument)."""
    return _hash(ex, "sha1", "zoho.encryption.sha1", data, fmt)


@function("zoho.encryption.sha256")
def sha256(ex: Any, data: Any, fmt: Any = None) -> str:
    """SHA-256; lower-case hex by default, "base64" on request, "binary" is hex (spec)."""
    return _hash(ex, "sha256", "zoho.encryption.sha256", data, fmt)


@function("zoho.encryption.sha512")
def sha512(ex: Any, data: Any, fmt: Any = None) -> str:
    """SHA-512, same shape as sha256."""
    return _hash(ex, "sha512", "zoho.encryption.sha512", data, fmt)


def _hmac(ex: Any, algo: str, fname: str, key: Any, data: Any, fmt: Any) -> str:
    secret = _bytes_arg(key, fname, "key")
    raw = _bytes_arg(data, fname, "data")
    out = _format(fmt, fname, "base64")
    _charge(ex, len(raw) + len(secret))
    return _digest_text(hmac.new(secret, raw, algo).digest(), out)


@function("zoho.encryption.hmacsha1")
def hmac_sha1(ex: Any, key: Any, data: Any, fmt: Any = None) -> str:
    """HMAC-SHA1 (key first, then data); base64 by default, "hex" for lower-case hex."""
    return _hmac(ex, "sha1", "zoho.encryption.hmacsha1", key, data, fmt)


@function("zoho.encryption.hmacsha256")
def hmac_sha256(ex: Any, key: Any, data: Any, fmt: Any = None) -> str:
    """HMAC-SHA256 (key first, then data); base64 by default, "hex" for lower-case hex."""
    return _hmac(ex, "sha256", "zoho.encryption.hmacsha256", key, data, fmt)


@function("zoho.encryption.hmacsha512")
def hmac_sha512(ex: Any, key: Any, data: Any, fmt: Any = None) -> str:
    """HMAC-SHA512 (key first, then data); base64 by default, "hex" for lower-case hex."""
    return _hmac(ex, "sha512", "zoho.encryption.hmacsha512", key, data, fmt)


# ------------------------------------------------------------------ AES (pure Python: no crypto package needed)


def _aes_tables() -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """The AES S-box and the four encryption T-tables (FIPS-197)."""
    sbox = [0] * 256
    p = q = 1
    while True:
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        x = q ^ ((q << 1 | q >> 7) & 0xFF) ^ ((q << 2 | q >> 6) & 0xFF) ^ ((q << 3 | q >> 5) & 0xFF)
        x ^= (q << 4 | q >> 4) & 0xFF
        sbox[p] = x ^ 0x63
        if p == 1:
            break
    sbox[0] = 0x63

    def times2(a: int) -> int:
        a <<= 1
        return (a ^ 0x11B) if a & 0x100 else a

    t0: list[int] = []
    t1: list[int] = []
    t2: list[int] = []
    t3: list[int] = []
    for s in sbox:
        w = (times2(s) << 24) | (s << 16) | (s << 8) | (times2(s) ^ s)
        t0.append(w)
        t1.append(((w >> 8) | (w << 24)) & 0xFFFFFFFF)
        t2.append(((w >> 16) | (w << 16)) & 0xFFFFFFFF)
        t3.append(((w >> 24) | (w << 8)) & 0xFFFFFFFF)
    return sbox, t0, t1, t2, t3


_SBOX, _T0, _T1, _T2, _T3 = _aes_tables()


def _aes_key_schedule(key: bytes) -> tuple[list[int], int]:
    nk = len(key) // 4
    rounds = nk + 6
    w = [int.from_bytes(key[4 * i:4 * i + 4], "big") for i in range(nk)]
    rcon = 1
    s = _SBOX
    for i in range(nk, 4 * (rounds + 1)):
        t = w[i - 1]
        if i % nk == 0:
            t = ((s[(t >> 16) & 255] << 24) | (s[(t >> 8) & 255] << 16) | (s[t & 255] << 8) | s[t >> 24]) ^ (rcon << 24)
            rcon = (rcon << 1) ^ (0x11B if rcon & 0x80 else 0)
        elif nk > 6 and i % nk == 4:
            t = (s[t >> 24] << 24) | (s[(t >> 16) & 255] << 16) | (s[(t >> 8) & 255] << 8) | s[t & 255]
        w.append(w[i - nk] ^ t)
    return w, rounds


def _aes_block(schedule: tuple[list[int], int], block: int) -> int:
    """Encrypts one 128-bit block given as an integer; returns the cipher block as an integer."""
    w, rounds = schedule
    t0, t1, t2, t3, s = _T0, _T1, _T2, _T3, _SBOX
    a = ((block >> 96) & 0xFFFFFFFF) ^ w[0]
    b = ((block >> 64) & 0xFFFFFFFF) ^ w[1]
    c = ((block >> 32) & 0xFFFFFFFF) ^ w[2]
    d = (block & 0xFFFFFFFF) ^ w[3]
    k = 4
    for _ in range(rounds - 1):
        a, b, c, d = (
            t0[a >> 24] ^ t1[(b >> 16) & 255] ^ t2[(c >> 8) & 255] ^ t3[d & 255] ^ w[k],
            t0[b >> 24] ^ t1[(c >> 16) & 255] ^ t2[(d >> 8) & 255] ^ t3[a & 255] ^ w[k + 1],
            t0[c >> 24] ^ t1[(d >> 16) & 255] ^ t2[(a >> 8) & 255] ^ t3[b & 255] ^ w[k + 2],
            t0[d >> 24] ^ t1[(a >> 16) & 255] ^ t2[(b >> 8) & 255] ^ t3[c & 255] ^ w[k + 3],
        )
        k += 4
    return (
        ((((s[a >> 24] << 24) | (s[(b >> 16) & 255] << 16) | (s[(c >> 8) & 255] << 8) | s[d & 255]) ^ w[k]) << 96)
        | ((((s[b >> 24] << 24) | (s[(c >> 16) & 255] << 16) | (s[(d >> 8) & 255] << 8) | s[a & 255])
            ^ w[k + 1]) << 64)
        | ((((s[c >> 24] << 24) | (s[(d >> 16) & 255] << 16) | (s[(a >> 8) & 255] << 8) | s[b & 255])
            ^ w[k + 2]) << 32)
        | (((s[d >> 24] << 24) | (s[(a >> 16) & 255] << 16) | (s[(b >> 8) & 255] << 8) | s[c & 255]) ^ w[k + 3])
    )


_AES_BLOCK_WORK = 20
"""Work units per AES block (about 20 microseconds in pure Python)."""


def _aes_ctr(ex: Any, key: bytes, data: bytes) -> bytes:
    """AES in counter mode (the counter starts at 0: every message has its own derived key)."""
    if not data:
        return b""
    schedule = _aes_key_schedule(key)
    blocks = (len(data) + 15) // 16
    stream = bytearray()
    chunk = 256
    for start in range(0, blocks, chunk):
        stop = min(blocks, start + chunk)
        ex.charge_work((stop - start) * _AES_BLOCK_WORK)
        for counter in range(start, stop):
            stream += _aes_block(schedule, counter).to_bytes(16, "big")
    n = len(data)
    mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream[:n], "big")
    return mixed.to_bytes(n, "big")


_AES_DEFAULT_ITERATIONS = 1000
_AES_MAX_ITERATIONS = 100_000
_SALT = 16
_TAG = 32
_VERSION_AES256 = 1
_VERSION_AES128 = 2


def _aes_keys(ex: Any, passphrase: bytes, salt: bytes, iterations: int, key_len: int) -> tuple[bytes, bytes]:
    ex.charge_work(iterations * 2)
    material = hashlib.pbkdf2_hmac("sha256", passphrase, salt, iterations, key_len + 32)
    return material[:key_len], material[key_len:]


def _iterations(value: Any, fname: str) -> int:
    if value is None:
        return _AES_DEFAULT_ITERATIONS
    count = as_int(value, fname, "iterations")
    if not 1 <= count <= _AES_MAX_ITERATIONS:
        raise DelugeRuntimeError(f"{fname}: iterations must be between 1 and {_AES_MAX_ITERATIONS}, not {count}")
    return count


def _iv(value: Any, fname: str) -> bytes | None:
    if value is None:
        return None
    raw = _utf8(_text_arg(value, fname, "iv"))
    if len(raw) != _SALT:
        raise DelugeRuntimeError(f"{fname}: the iv must be 16 characters (16 bytes), not {len(raw)} bytes")
    return raw


def _aes_encode(ex: Any, fname: str, version: int, key: Any, data: Any, salt: bytes | None, iterations: int) -> str:
    passphrase = _utf8(_text_arg(key, fname, "key"))
    plain = _utf8(_text_arg(data, fname, "data"))
    check_text(ex, 4 * ((1 + _SALT + len(plain) + _TAG + 2) // 3))
    if salt is None:
        salt = os.urandom(_SALT)
    key_len = 32 if version == _VERSION_AES256 else 16
    enc_key, mac_key = _aes_keys(ex, passphrase, salt, iterations, key_len)
    body = bytes([version]) + salt + _aes_ctr(ex, enc_key, plain)
    tag = hmac.new(mac_key, body, "sha256").digest()
    return base64.b64encode(body + tag).decode("ascii")


def _aes_decode(ex: Any, fname: str, version: int, key: Any, data: Any, iv: bytes | None, iterations: int) -> str:
    passphrase = _utf8(_text_arg(key, fname, "key"))
    text = _text_arg(data, fname, "data")
    _charge(ex, len(text))
    try:
        blob = _b64decode(text, fname)
    except DelugeRuntimeError:
        raise DelugeRuntimeError(f"{fname}: the text is not an encrypted value (it is not valid base64)") from None
    if len(blob) < 1 + _SALT + _TAG or blob[0] not in (_VERSION_AES256, _VERSION_AES128):
        raise DelugeRuntimeError(f"{fname}: the text is not an encrypted value made by this interpreter")
    if blob[0] != version:
        other = "aesEncode" if blob[0] == _VERSION_AES256 else "aesEncode128"
        raise DelugeRuntimeError(f"{fname}: the text was encrypted with {other}; decode it with the matching function")
    salt = blob[1:1 + _SALT]
    if iv is not None and not hmac.compare_digest(iv, salt):
        raise DelugeRuntimeError(f"{fname}: the iv does not match the one the text was encrypted with")
    body, tag = blob[:-_TAG], blob[-_TAG:]
    key_len = 32 if version == _VERSION_AES256 else 16
    enc_key, mac_key = _aes_keys(ex, passphrase, salt, iterations, key_len)
    if not hmac.compare_digest(hmac.new(mac_key, body, "sha256").digest(), tag):
        raise DelugeRuntimeError(f"{fname}: wrong key (or iterations), or the encrypted text was changed")
    plain = _aes_ctr(ex, enc_key, body[1 + _SALT:])
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - authenticated data was UTF-8 when encrypted
        raise DelugeRuntimeError(f"{fname}: the decrypted data is not text") from None


@function("zoho.encryption.aesEncode")
def aes_encode(ex: Any, key: Any, data: Any) -> str:
    """Encrypts TEXT with a passphrase: AES-256-CTR + HMAC-SHA256, random salt (module docs; D41)."""
    return _aes_encode(ex, "zoho.encryption.aesEncode", _VERSION_AES256, key, data, None, _AES_DEFAULT_ITERATIONS)


@function("zoho.encryption.aesDecode")
def aes_decode(ex: Any, key: Any, data: Any) -> str:
    """Decrypts aesEncode's output; a wrong key or altered text is always a runtime error (D41)."""
    return _aes_decode(ex, "zoho.encryption.aesDecode", _VERSION_AES256, key, data, None, _AES_DEFAULT_ITERATIONS)


@function("zoho.encryption.aesEncode128")
def aes_encode128(ex: Any, key: Any, data: Any, iv: Any = None, iterations: Any = None) -> str:
    """AES-128 variant; the optional 16-character iv is used as the salt (deterministic output)."""
    fname = "zoho.encryption.aesEncode128"
    return _aes_encode(ex, fname, _VERSION_AES128, key, data, _iv(iv, fname), _iterations(iterations, fname))


@function("zoho.encryption.aesDecode128")
def aes_decode128(ex: Any, key: Any, data: Any, iv: Any = None, iterations: Any = None) -> str:
    """Decrypts aesEncode128's output; key, iv and iterations must match the encoding (else runtime error)."""
    fname = "zoho.encryption.aesDecode128"
    return _aes_decode(ex, fname, _VERSION_AES128, key, data, _iv(iv, fname), _iterations(iterations, fname))

