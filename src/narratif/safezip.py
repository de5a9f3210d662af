"""Zip archives from untrusted sources (.docx, .odt, .qdpx), read with a hard cap on inflation.

The sizes a zip declares are only claims: a member whose headers say 4 KB can
inflate to gigabytes, and ``ZipFile.read`` inflates the whole compressed stream
before cutting it to the declared size. Here members are streamed in chunks of
``CHUNK`` bytes and reading stops as soon as a member passes its declared size, so
a member that inflates to more than its headers say is refused after at most one
extra chunk, and no archive yields more than ``MAX_INFLATED_BYTES``, whatever it claims. Member
names that could escape a folder, implausible member counts, sizes and compression
ratios are refused before anything is inflated. Every error is an
:class:`ArchiveError` whose message names the file.
"""

from __future__ import annotations

import copy
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

#: Bytes inflated per read: the most a lying member can inflate past its declared size.
CHUNK = 64 * 1024
#: Ceiling on the bytes actually inflated from one archive, whatever its headers say or a caller allows.
MAX_INFLATED_BYTES = 1024 * 1024 * 1024
#: Members over this many bytes must compress less than ``max_ratio``:1.
RATIO_FLOOR = 1024 * 1024
#: Compression methods of office and REFI-QDA files; bzip2 and LZMA inflate without an output bound here.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError,
                OSError, zlib.error)


class ArchiveError(ValueError):
    """An archive that cannot be read safely: ``reason`` is ``unsafe`` (a refused construction,
    such as a zip bomb or a path escaping the folder) or ``unreadable`` (corrupt or not a zip)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class NotAZip(ArchiveError):
    """The file is not a zip archive at all."""

    def __init__(self, message: str):
        super().__init__("unreadable", message)


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.4g} MiB"


def safe_member_name(name: str) -> str | None:
    """The normalised member name, or None when it could escape the folder it is extracted to."""
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n) or "\0" in n or ".." in PurePosixPath(n).parts:
        return None
    return str(PurePosixPath(n))


class SafeZip:
    """A zip archive opened for reading under limits; use as a context manager.

    ``label`` names the file in messages; ``max_total`` bounds the declared and the
    actually inflated size of everything read (and ``max_member`` of one member);
    members over ``RATIO_FLOOR`` bytes must compress less than ``max_ratio``:1. Only the
    members ``wanted`` accepts (by normalised name) are sized and can be read; every
    name is checked.
    """

    def __init__(self, path: str | Path, *, label: str | None = None, max_members: int = 5000,
                 max_total: int = 200 * 1024 * 1024, max_member: int | None = None, max_ratio: int = 200,
                 wanted: Callable[[str], bool] | None = None):
        self.path = Path(path)
        self.label = label or str(path)
        self.max_total = min(max_total, MAX_INFLATED_BYTES)
        self.max_member = min(max_member or self.max_total, self.max_total)
        self.max_ratio = max_ratio
        self.inflated = 0  # bytes actually inflated so far, across members
        try:
            self._zf = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise NotAZip(f"{self.label}: not a readable zip archive ({exc})") from None
        except _READ_ERRORS as exc:
            raise ArchiveError("unreadable", f"{self.label}: cannot open the zip archive: "
                               f"{getattr(exc, 'strerror', None) or exc}") from None
        try:
            self._infos = self._check(max_members, wanted)
        except BaseException:
            self._zf.close()
            raise

    def _check(self, max_members: int, wanted: Callable[[str], bool] | None) -> dict[str, zipfile.ZipInfo]:
        infos = self._zf.infolist()
        if len(infos) > max_members:
            raise ArchiveError("unsafe", f"{self.label}: {len(infos)} archive members (limit {max_members})")
        out: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = safe_member_name(info.filename)
            if name is None:
                raise ArchiveError("unsafe", f"{self.label}: unsafe member {info.filename!r}, an unsafe path "
                                   "that could land outside the folder")
            if info.is_dir() or (wanted is not None and not wanted(name)):
                continue
            if name in out:  # readers would not agree on which copy is meant
                raise ArchiveError("unsafe", f"{self.label}: archive member {name!r} appears twice")
            if info.file_size > self.max_member:
                raise ArchiveError("unsafe", f"{self.label}: member {name!r} expands to {info.file_size} bytes, "
                                   f"over the {_mib(self.max_member)} limit (zip bomb?)")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and ratio > self.max_ratio:
                raise ArchiveError("unsafe", f"{self.label}: member {name!r} compresses {ratio:.0f}:1 (zip bomb?)")
            total += info.file_size
            if total > self.max_total:
                raise ArchiveError("unsafe", f"{self.label}: archive expands beyond {_mib(self.max_total)} "
                                   "(zip bomb?)")
            out[name] = info
        return out

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()

    def names(self) -> list[str]:
        """Normalised names of the file members, in archive order."""
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """The bytes of member ``name``, inflated in chunks and checked against its headers and CRC."""
        return b"".join(self._stream(name))

    def verify(self, name: str) -> None:
        """Inflate member ``name`` without keeping it: its size and CRC match its headers."""
        for _ in self._stream(name):
            pass

    def _stream(self, name: str):
        info = self._infos.get(name)
        if info is None:
            raise ArchiveError("unreadable", f"{self.label}: no member {name!r} in the archive")
        if info.compress_type not in _METHODS:
            raise ArchiveError("unsafe", f"{self.label}: member {name!r} uses compression method "
                               f"{info.compress_type} (only stored or deflated members are read)")
        if info.flag_bits & 0x1:
            raise ArchiveError("unreadable", f"{self.label}: member {name!r} is encrypted")
        declared = info.file_size
        # zipfile cuts a member at the size it is given (and then checks the CRC): give it a chunk
        # more than declared, so a member inflating past its headers is caught here, by name
        probe = copy.copy(info)
        probe.file_size = declared + CHUNK + 1
        got = 0
        try:
            with self._zf.open(probe) as fh:
                while True:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        break
                    got += len(chunk)
                    self.inflated += len(chunk)
                    if got > declared:
                        raise ArchiveError("unsafe", f"{self.label}: member {name!r} inflates beyond the {declared} "
                                           "bytes its header declares (zip bomb?)")
                    if self.inflated > self.max_total:
                        raise ArchiveError("unsafe", f"{self.label}: archive inflates beyond "
                                           f"{_mib(self.max_total)} (zip bomb?)")
                    yield chunk
        except ArchiveError:
            raise
        except _READ_ERRORS as exc:
            raise ArchiveError("unreadable", f"{self.label}: cannot read member {name!r}: {exc}") from None
        if got != declared:
            raise ArchiveError("unreadable", f"{self.label}: member {name!r} holds {got} bytes, "
                               f"its header declares {declared}")
