"""Every file and folder a user names, read in one place, for every command.

`trailwatch check` (Pulumi.yaml, Pulumi.<stack>.yaml, PulumiPolicy.yaml, --policy-pack-config,
--invoke-result, the program and pack folders), `trailwatch pattern` (event files,
--pattern-file) and `trailwatch audit` (--accounts, `audit merge` reports) read their inputs
with these helpers. A file is read as UTF-8 text (a leading byte-order mark is dropped, as the
Pulumi CLI does for its project and stack files: sdk/go/common/workspace/loaders.go,
readFileStripUTF8BOM), up to a size limit; whatever goes wrong is one `InputError` whose
message names the input and the way out -- exit 2, never a traceback, never a silent pass.

Imports nothing heavy: `trailwatch pattern` and `trailwatch audit merge` use it too.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO

KIB = 1024
MIB = 1024 * KIB
#: Project, stack and pack files, pack configs, invoke results, account lists: far above any
#: real one, low enough that a wrong file (a disk image, a log) is refused before it is read.
CONFIG_LIMIT = 16 * MIB
#: Event files and audit reports, which are data and can be large; read whole into memory.
DATA_LIMIT = 1024 * MIB


class InputError(Exception):
    """An input cannot be used; the message names it (`<input>: <problem>; <fix>`)."""


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n:,} bytes"


def _reason(error: OSError) -> str:
    return error.strerror or errno.errorcode.get(error.errno or 0, type(error).__name__)


def _too_large(label: str, size: int | None, limit: int, fix: str) -> InputError:
    what = f"{_size(size)}, more" if size is not None else "more"
    return InputError(f"{label}: {what} than the {_size(limit)} such a file may hold; {fix}")


def _unreachable(p: Path, label: str, kind: str, link_fix: str, fix: str, exc: BaseException) -> InputError:
    """Why `p` cannot even be looked at: missing, a link to nothing, a link loop, no permission."""
    if isinstance(exc, FileNotFoundError):
        if p.is_symlink():
            return InputError(f"{label}: a symbolic link to {os.readlink(p)}, which does not exist; {link_fix}")
        return InputError(f"{label}: no such {kind}; {fix}")
    # RuntimeError: a symbolic link loop as Python 3.11's pathlib reports it (3.13: ELOOP)
    loop = isinstance(exc, RuntimeError) or (isinstance(exc, OSError) and exc.errno == errno.ELOOP)
    reason = "a symbolic link loop" if loop or not isinstance(exc, OSError) else _reason(exc)
    return InputError(f"{label}: cannot be read ({reason}); {fix}")


def decode(data: bytes, label: str) -> str:
    """UTF-8 text, or an InputError naming the first bad byte and its line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{label}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}: {exc.reason}); save it as UTF-8"
        ) from None


def read_bytes(path: str | os.PathLike[str], label: str, fix: str, limit: int = CONFIG_LIMIT) -> bytes:
    """The bytes of a file the user named. `fix` says what to give instead (it ends the message)."""
    p = Path(path)
    try:
        info = p.stat()
    except (OSError, RuntimeError) as exc:
        raise _unreachable(p, label, "file", f"fix the link, or {fix}", fix, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{label}: a folder, not a file; {fix}")
    if stat.S_ISREG(info.st_mode) and info.st_size > limit:
        raise _too_large(label, info.st_size, limit, fix)
    try:
        with open(p, "rb") as handle:
            data = handle.read(limit + 1)  # a pipe or a device has no size to check first
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({_reason(exc)}); {fix}") from None
    if len(data) > limit:
        raise _too_large(label, None, limit, fix)
    return data


def read_text(path: str | os.PathLike[str], label: str, fix: str, limit: int = CONFIG_LIMIT) -> str:
    """A file the user named, as UTF-8 text, or one InputError naming it."""
    return decode(read_bytes(path, label, fix, limit), label)


def read_stdin(label: str, fix: str, limit: int = CONFIG_LIMIT, stream: BinaryIO | None = None) -> str:
    """Standard input (`-`), under the same rules as a file."""
    source = stream if stream is not None else getattr(sys.stdin, "buffer", None)
    if source is None:  # a text stream put in place of sys.stdin (an embedding program, a test)
        text = sys.stdin.read(limit + 1)
        if len(text) > limit:
            raise _too_large(label, None, limit, fix)
        return text
    try:
        data = source.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({_reason(exc)}); {fix}") from None
    if len(data) > limit:
        raise _too_large(label, None, limit, fix)
    return decode(data, label)


def parse_json(text: str, label: str, fix: str) -> Any:
    """JSON, or an InputError with the line and column of the problem."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); {fix}") from None
    except RecursionError:
        raise InputError(f"{label}: JSON nested too deeply to read; {fix}") from None


def read_json(path: str | os.PathLike[str], label: str, fix: str, limit: int = CONFIG_LIMIT) -> Any:
    return parse_json(read_text(path, label, fix, limit), label, fix)


def folder(path: str | os.PathLike[str], label: str, fix: str) -> Path:
    """A folder the user named, resolved and listable, or one InputError naming it."""
    p = Path(path)
    try:
        resolved = p.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise _unreachable(p, label, "folder", fix, fix, exc) from None
    if not resolved.is_dir():
        raise InputError(f"{label}: a file, not a folder; {fix}")
    try:
        with os.scandir(resolved) as entries:
            next(entries, None)
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({_reason(exc)}); {fix}") from None
    return resolved


def exists(path: Path) -> bool:
    """Whether a directory entry is there at all (a dangling symbolic link counts)."""
    try:
        path.lstat()
    except OSError:
        return False
    return True
