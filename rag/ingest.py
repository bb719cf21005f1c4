"""Save articles a reader uploads into the corpus folder, checked the way `rag index` reads them.

Each upload gets a safe name, is read with `load_article` (the indexer's size limit and cleaning)
before anything is written, and lands atomically without overwriting a file. `IndexingJob` runs the
index update in a background thread and keeps its status. Nothing here embeds or stores vectors.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

from rag.config import Settings
from rag.corpus import MAX_BYTES, SUFFIXES, find_files, load_article
from rag.errors import CorpusError

Upload = tuple[str, "bytes | Path"]  # (the name the browser gave, the content or a temp file holding it)
MAX_NAME_BYTES = 120  # room for "-NN" and the temp prefix within any file system's 255-byte limit
_UNSAFE = re.compile(r'[<>:"|?*]')  # refused in Windows names; "/" and "\" are path separators
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class Refused(Exception):
    """Why one upload cannot become an article; it goes into the report, never out of save_uploads."""


@dataclass(frozen=True)
class IngestReport:
    saved: tuple[str, ...] = ()  # file names written as given
    renamed: tuple[tuple[str, str], ...] = ()  # (name given, name written): taken or unsafe name
    skipped: tuple[tuple[str, str], ...] = ()  # (name given, reason): already in the archive
    rejected: tuple[tuple[str, str], ...] = ()  # (name given, reason): not an article the index can read

    @property
    def written(self) -> tuple[str, ...]:
        """Every file name this upload added to the corpus folder."""
        return self.saved + tuple(new for _old, new in self.renamed)

    def to_json(self) -> dict:
        return {"saved": list(self.saved), "renamed": [list(p) for p in self.renamed],
                "skipped": [list(p) for p in self.skipped], "rejected": [list(p) for p in self.rejected]}

    def summary(self) -> str:
        """One line per outcome, for a reader:
        IngestReport(saved=("a.txt",)).summary() -> "Added 1 article: a.txt." """
        lines = []
        if self.saved:
            lines.append(f"Added {len(self.saved)} article{'s' if len(self.saved) != 1 else ''}: "
                         f"{', '.join(self.saved)}.")
        lines += [f"Added {old} as {new}." for old, new in self.renamed]
        lines += [f"Skipped {name}: {why}." for name, why in self.skipped]
        lines += [f"Not added {name}: {why}." for name, why in self.rejected]
        return "\n".join(lines) or "No files were given."


def accepted_types() -> str:
    """The suffixes the corpus reads, for a message: ".txt, .md, .html or .htm" """
    return ", ".join(SUFFIXES[:-1]) + " or " + SUFFIXES[-1]


def shown_name(raw: object) -> str:
    """The given name as a report shows it: control characters dropped, cut to 80 characters."""
    text = "".join(ch for ch in str(raw) if unicodedata.category(ch)[0] != "C").strip()
    return (text[:77] + "...") if len(text) > 80 else text or "(no name)"


def safe_name(raw: object) -> str:
    """A file name that stays in the corpus folder and that the corpus reads, or Refused:
    safe_name("../../etc/passwd.txt") -> "passwd.txt"; safe_name(".hidden.TXT") -> "hidden.txt";
    safe_name("CON.txt") -> "CON_.txt"; safe_name("x.pdf") -> Refused("type .pdf not accepted: ...")"""
    if not isinstance(raw, str):
        raise Refused("the file has no name")
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # controls, bidi overrides
    text = " ".join(text.replace("\\", "/").rsplit("/", 1)[-1].split())  # the base name, spaces tidied
    stem, dot, suffix = text.rpartition(".")
    if not dot or not suffix:
        raise Refused(f"no file type: use {accepted_types()}")
    suffix = "." + suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused(f"type {suffix[:12]} not accepted: use {accepted_types()}")
    stem = _UNSAFE.sub("_", stem).lstrip(". ").rstrip(". ")  # no hidden file, no "..", no Windows oddity
    first, dot, rest = stem.partition(".")
    if first.strip().casefold() in _RESERVED:  # Windows devices, whatever follows the first dot
        stem = f"{first}_{dot}{rest}"
    stem = stem.encode()[:MAX_NAME_BYTES - len(suffix)].decode(errors="ignore").rstrip(". ")
    if not stem:
        raise Refused("the file name is empty")
    return stem + suffix


def upload_limit(settings: Settings) -> int:
    """Largest upload in bytes: the setting, never above what the indexer reads (MAX_BYTES)."""
    return min(settings.max_upload_bytes, MAX_BYTES)


def megabytes(n: int) -> str:
    """megabytes(3_200_000) -> "3.2 MB" """
    return f"{n / 1e6:.1f}".removesuffix(".0") + " MB"


def read_upload(content: object, limit: int) -> bytes:
    """The upload's bytes, refused before reading when too large or not a regular file."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        size = len(content)
    elif isinstance(content, os.PathLike):  # a str is not taken as a path: it could name any server file
        try:
            info = os.lstat(content)
        except OSError as exc:
            raise Refused(f"the upload cannot be read ({exc.strerror or exc})") from None
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file")
        size = info.st_size
    else:
        raise Refused("no file content")
    if size > limit:
        raise Refused(f"too large ({megabytes(size)}, limit {megabytes(limit)})")
    if size == 0:
        raise Refused("empty file")
    if isinstance(content, os.PathLike):
        with open(content, "rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:  # grew since lstat
            raise Refused(f"too large (over {megabytes(limit)})")
        return data
    return bytes(content)


def check_article(name: str, data: bytes, scratch: Path, limit: int) -> None:
    """Refused unless `load_article` reads `data` as a non-empty article (binary, not UTF-8, nothing left
    after cleaning); it reads a copy in `scratch`, so the corpus folder is not touched."""
    path = scratch / f"upload{Path(name).suffix}"
    path.write_bytes(data)
    try:
        load_article(path, max_bytes=limit)
    except CorpusError as exc:
        raise Refused(str(exc).removeprefix(f"{path}: ")) from None
    finally:
        path.unlink(missing_ok=True)


def read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file, not following a symlink; None for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO must not block
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read() if stat.S_ISREG(os.fstat(fh.fileno()).st_mode) else None


def write_new(root: Path, name: str, data: bytes) -> bool:
    """Write root/name whole or not at all, never replacing anything there (False if the name is taken):
    a hidden temp file is fsynced, then hard-linked to the name, which fails on any existing entry."""
    target = root / name
    if target.parent != root or os.path.realpath(target.parent) != str(root) or name in (".", ".."):
        raise ValueError(f"refusing to write {name!r} outside the corpus folder")
    tmp = root / f".upload-{uuid.uuid4().hex}.part"  # hidden: the indexer ignores it
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target, follow_symlinks=False)
        except FileExistsError:
            return False
        except OSError as exc:  # a file system without hard links (FAT, some network shares)
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if os.path.lexists(target):
                return False
            os.rename(tmp, target)  # still whole or absent; only a writer racing for this name could be replaced
        dir_fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True
    finally:
        tmp.unlink(missing_ok=True)


class Archive:
    """The corpus folder's names and contents, as far as placing uploads needs them."""

    def __init__(self, root: Path, known: Mapping[str, str]):
        self.root = root
        self.known = dict(known)  # sha256 -> file name relative to root
        self.entries = {n.casefold() for n in os.listdir(root)}
        for stale in root.glob(".upload-*.part"):  # left by a writer killed mid-way over an hour ago
            with contextlib.suppress(OSError):
                if time.time() - stale.lstat().st_mtime > 3600:
                    stale.unlink()
        self.stems: dict[str, list[Path]] = {}  # a stem is the document id, so it must stay unique
        for path in find_files(root):
            self.stems.setdefault(path.stem.casefold(), []).append(path)

    def copy_of(self, data: bytes, stem: str) -> str | None:
        """The name of an article in the archive with exactly these bytes, if there is one."""
        digest = hashlib.sha256(data).hexdigest()
        candidates = [self.root / self.known[digest]] if digest in self.known else []
        for path in candidates + self.stems.get(stem.casefold(), []):
            if read_regular(path) == data:
                return path.relative_to(self.root).as_posix()
        return None

    def free_names(self, name: str):
        """name, then name-2, name-3, ... when the name or its document id is taken."""
        stem, suffix = os.path.splitext(name)
        for n in range(1, 10_000):
            candidate = stem if n == 1 else f"{stem}-{n}"
            if candidate.casefold() not in self.stems and (candidate + suffix).casefold() not in self.entries:
                yield candidate + suffix

    def add(self, name: str, data: bytes) -> str:
        """Write `data` under the first free name and return it."""
        for candidate in self.free_names(name):
            if write_new(self.root, candidate, data):
                self.entries.add(candidate.casefold())
                self.stems.setdefault(Path(candidate).stem.casefold(), []).append(self.root / candidate)
                self.known[hashlib.sha256(data).hexdigest()] = candidate
                return candidate
            self.entries.add(candidate.casefold())  # another writer took it meanwhile
        raise Refused("no free file name")


def save_uploads(files: Sequence[Upload], corpus_dir: str | Path, settings: Settings,
                 known: Mapping[str, str] | None = None) -> IngestReport:
    """Save each (name, bytes or Path) upload into corpus_dir as an article the indexer will read.
    `known` maps the sha256 of indexed articles to their file names, so a copy under another name
    is skipped too. A file with the same name is never overwritten: the upload gets a free name."""
    root = Path(corpus_dir).resolve()
    if not root.is_dir():
        raise CorpusError(f"the corpus folder {corpus_dir} does not exist")
    limit = upload_limit(settings)
    archive = Archive(root, known or {})
    saved, renamed, skipped, rejected = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as scratch:
        for i, upload in enumerate(files):
            raw_name, content = upload if isinstance(upload, tuple) and len(upload) == 2 else (None, None)
            given = shown_name(raw_name)
            try:
                if i >= settings.max_upload_files:
                    raise Refused(f"more than {settings.max_upload_files} files in one upload")
                name = safe_name(raw_name)
                data = read_upload(content, limit)
                check_article(name, data, Path(scratch), limit)
                copy = archive.copy_of(data, Path(name).stem)
                if copy is not None:
                    skipped.append((given, "already in the archive" + (f" as {copy}" if copy != name else "")))
                    continue
                written = archive.add(name, data)
            except Refused as exc:
                rejected.append((given, str(exc)))
                continue
            except OSError as exc:  # e.g. a full disk: this file is not saved, the others may be
                rejected.append((given, f"cannot be saved ({exc.strerror or exc})"))
                continue
            if written == given.replace("\\", "/").rsplit("/", 1)[-1]:
                saved.append(written)
            else:
                renamed.append((given, written))
    return IngestReport(tuple(saved), tuple(renamed), tuple(skipped), tuple(rejected))


class Summarised(Protocol):
    """What an index update returns (rag.indexer.IndexReport): a line for the status."""

    def summary(self) -> str: ...


class IndexingJob:
    """Runs `update(progress)` (an index update) in one background thread at a time and keeps its status.
    `start()` while an update runs marks one more update to run after it, which then picks up every
    file saved meanwhile; an error is kept in the status, never raised or lost."""

    def __init__(self, update: Callable[[Callable[[str], None]], "Summarised"]):
        self._update = update
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._waiting: list[str] = []  # files saved but not yet in an update that has started
        self._listeners: list[Callable[[str], None]] = []
        self._status = {"running": False, "queued": False, "message": "", "done": 0, "total": 0,
                        "error": None, "last_report": "", "index_report": None, "finished_at": None}

    def status(self) -> dict:
        with self._lock:
            return dict(self._status)

    def note(self, report: str) -> None:
        with self._lock:
            self._status["last_report"] = report

    def start(self, names: Sequence[str], progress: Callable[[str], None] | None = None) -> None:
        """Index the corpus with `names` among its new files, now or right after the running update."""
        with self._lock:
            self._waiting += names
            if progress is not None:
                self._listeners.append(progress)
            if self._thread is not None:
                self._status["queued"] = True
                return
            self._thread = threading.Thread(target=self._run, name="rag-indexing", daemon=True)
            self._status.update(running=True, error=None)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no update runs (True) or the timeout passes (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            thread.join(None if deadline is None else max(deadline - time.monotonic(), 0))
            if deadline is not None and time.monotonic() >= deadline and thread.is_alive():
                return False

    def _say(self, message: str, listeners: list) -> None:
        with self._lock:
            self._status["message"] = message
        for listener in listeners:
            try:
                listener(message)
            except Exception:  # noqa: BLE001 - a failing display must not stop the update
                pass

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._thread = None
                    self._status.update(running=False, queued=False, finished_at=time.time())
                    return
                names, self._waiting = self._waiting, []
                listeners, self._listeners = self._listeners, []
                self._status.update(running=True, queued=False, done=0, total=len(names), error=None)
            self._say(f"indexing {len(names)} new article{'s' if len(names) != 1 else ''}", listeners)
            try:
                report = self._update(lambda message: self._say(message, listeners))
            except Exception as exc:  # noqa: BLE001 - kept for the status; the thread must go on
                error = str(exc) or type(exc).__name__
                with self._lock:
                    self._status["error"] = error
                self._say(f"indexing failed: {error}", listeners)
                continue
            summary = report.summary()
            with self._lock:
                self._status.update(done=len(names), index_report=summary)
            self._say(f"index updated: {summary}", listeners)
