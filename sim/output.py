"""Results folders: claimed before any work, written whole or not at all, replaced only if ours.

A command claims its results folder (``claim``) before it computes anything:
an exclusive lock (``flock``) on a lock file beside the target, held until the
command ends, so that two runs writing to one folder cannot both proceed (the
second fails at once, in one line). Under the claim:

- an existing target is replaced only with ``force``, and only if this tool
  wrote it: every results folder holds a marker file (``MARKER``) listing the
  files written; a folder without it, or holding files it does not list, is
  refused before any work;
- the results are written into a temporary folder beside the target, which
  replaces the target in one atomic step (``renameat2`` with RENAME_EXCHANGE
  on Linux: at every instant the target holds the old or the new results,
  complete; elsewhere two renames with signals held in between);
- signals are held (``sim.interrupts.deferred``) while the temporary folder is
  made, while it is put in place and while it is cleaned up; an interruption
  is annotated with what it left (``results_note``: nothing written, the old
  results kept, or the new results complete).

Leftovers of a process killed outright (a temporary folder with our marker)
are removed by the next claim of the same target.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from sim.interrupts import deferred

PACKAGES = ("urbanization-sim", "mesa", "numpy", "pandas", "scipy", "matplotlib")
MARKER = ".urbanization-sim"  # in every results folder this tool writes: which files it wrote
WRITER = "urbanization-sim"
NAME_MAX = 200  # longest folder name accepted (the file system allows 255 bytes)


class OutputError(ValueError):
    """A results folder that cannot be used (bad input: exit status 2)."""


class OutputExistsError(OutputError, FileExistsError):
    """The results folder exists and ``--force`` was not given, or it is not ours to replace."""


class OutputBusyError(OutputExistsError):
    """Another process holds the claim on the results folder."""


def umask_mode(path: Path | str, full: int = 0o666) -> None:
    """Give ``path`` the mode a plain create would (``full`` less the umask): ``mkdtemp``/``mkstemp`` make it private."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, full & ~mask)


# ----------------------------------------------------------------------------- locks
def _lock_path(path: Path) -> Path:
    digest = hashlib.sha256(os.fsencode(path.name)).hexdigest()[:10]
    return path.parent / f".lock-{path.name[:60]}-{digest}"


def acquire_lock(lock: Path, what: str) -> int:
    """An exclusive ``flock`` on ``lock`` (created if needed); ``OutputBusyError`` if another process holds it.

    The holder removes the file when it releases it; a process that opened
    the removed file sees that it is no longer the one at ``lock`` and retries.
    """
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputBusyError(f"{what}: another process ({holder}) is writing it; wait for it to finish "
                                  "or choose another --out") from None
        except BaseException:
            os.close(fd)
            raise
        try:
            current = os.stat(lock)
            opened = os.fstat(fd)
            same = (current.st_ino, current.st_dev) == (opened.st_ino, opened.st_dev)
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"process {os.getpid()}".encode(), 0)
            return fd
        os.close(fd)


def release_lock(lock: Path, fd: int) -> None:
    try:
        os.unlink(lock)
    except FileNotFoundError:
        pass
    os.close(fd)


# ----------------------------------------------------------------------------- renames
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100


def _renameat2(src: Path, dst: Path, flags: int) -> None:
    """Linux ``renameat2``; OSError(ENOSYS) where there is none."""
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if sys.platform == "linux" else None
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if function(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(src), None, str(dst))


_UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP)


def exchange(new: Path, target: Path) -> bool:
    """Swap ``new`` and ``target`` in one step; False where the system cannot (the caller renames twice)."""
    try:
        _renameat2(new, target, RENAME_EXCHANGE)
    except OSError as err:
        if err.errno in _UNSUPPORTED:
            return False
        raise
    return True


def rename_no_replace(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``, failing if ``target`` appeared meanwhile."""
    try:
        _renameat2(new, target, RENAME_NOREPLACE)
        return
    except OSError as err:
        if err.errno == errno.EEXIST:
            raise OutputExistsError(f"{target}: appeared while the results were computed; nothing replaced") from None
        if err.errno not in _UNSUPPORTED:
            raise
    if os.path.lexists(target):
        raise OutputExistsError(f"{target}: appeared while the results were computed; nothing replaced")
    os.rename(new, target)


# ----------------------------------------------------------------------------- the marker
def write_marker(folder: Path, command: str, complete: bool) -> None:
    files = sorted(p.name for p in folder.iterdir() if p.name != MARKER) if complete else []
    text = json.dumps({"written_by": WRITER, "command": command, "complete": complete, "files": files}, indent=1)
    (folder / MARKER).write_text(text + "\n", encoding="utf-8")


def foreign_content(folder: Path) -> str | None:
    """Why ``folder`` is not a results folder this tool wrote (None if it is)."""
    marker = folder / MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("written_by") != WRITER or not isinstance(data.get("files"), list):
            raise ValueError("not our marker")
    except (OSError, ValueError, UnicodeDecodeError):
        return f"no {MARKER} marker (not a results folder written by run_sim.py)"
    listed = {MARKER, *map(str, data["files"])}
    for entry in sorted(os.listdir(folder)):
        if entry not in listed:
            return f"{entry} was not written by run_sim.py"
    return None


# ----------------------------------------------------------------------------- the claim
def target_path(target: Path) -> Path:
    """``target`` as an absolute, normalized path; OutputError for a path that cannot be a results folder."""
    text = os.fspath(target)
    if not text or "\0" in text:
        raise OutputError(f"{target!r}: expected a folder path (no NUL character)")
    path = Path(os.path.abspath(text))
    if not path.name or path == path.parent:
        raise OutputError(f"{target}: expected a folder path with a name, not the root of the file system")
    if path.name in (".", "..") or len(os.fsencode(path.name)) > NAME_MAX:
        raise OutputError(f"{target}: expected a folder name of at most {NAME_MAX} bytes")
    return path


def _refuse(target, path: Path, force: bool) -> None:
    """Raise if ``path`` exists and may not be replaced (not ``force``, not a folder, not ours)."""
    if not os.path.lexists(path):
        return
    if path.is_symlink():
        raise OutputExistsError(f"{target}: is a symbolic link; give the folder itself")
    if not path.is_dir():
        raise OutputExistsError(f"{target}: exists and is not a folder")
    if not force:
        raise OutputExistsError(f"{target}: results folder exists; use --force to replace it")
    why = foreign_content(path)
    if why:
        raise OutputExistsError(f"{target}: --force replaces only a results folder written by run_sim.py, "
                                f"and here {why}; remove it yourself or choose another --out")


def check_target(target: Path, force: bool) -> None:
    """Refuse, before any work, a target that may not be written (without claiming it)."""
    _refuse(target, target_path(target), force)


class Claim:
    """A results folder claimed by this process (see the module's docstring); made by ``claim``."""

    def __init__(self, target: Path, force: bool, command: str):
        self.target, self.force, self.command = target, force, command
        self.path = target_path(target)
        self.tmp: Path | None = None
        self.replaced = False  # an old folder was there
        self.committed = False
        self._fd: int | None = None
        self._created: list[Path] = []

    @property
    def note(self) -> str:
        """What an interruption or failure leaves at the target."""
        if self.committed:
            return f"the new results are complete in {self.target}"
        if os.path.isdir(self.path):
            return f"{self.target} still holds the previous results; nothing new written"
        return "no results written"

    def _prefix(self) -> str:
        return f".tmp-{self.path.name[:60]}-{_lock_path(self.path).name[-10:]}-"

    def acquire(self) -> None:
        missing = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._created = missing  # removed again if nothing is written
        self._fd = acquire_lock(_lock_path(self.path), str(self.target))
        _refuse(self.target, self.path, self.force)
        for stale in self.path.parent.glob(self._prefix() + "*"):  # left by a process killed outright
            if (stale / MARKER).is_file():
                shutil.rmtree(stale, ignore_errors=True)
        with deferred():
            self.tmp = Path(tempfile.mkdtemp(prefix=self._prefix(), dir=self.path.parent))
            umask_mode(self.tmp, 0o777)
            write_marker(self.tmp, self.command, complete=False)

    @contextmanager
    def writing(self):
        """Yield the temporary folder; when the block ends normally, put it in place of the target."""
        assert self.tmp is not None and not self.committed
        yield self.tmp
        write_marker(self.tmp, self.command, complete=True)
        with deferred():
            self._commit()

    def _commit(self) -> None:
        _refuse(self.target, self.path, self.force)  # someone else (not a claim) may have written meanwhile
        if os.path.lexists(self.path):
            self.replaced = True
            if exchange(self.tmp, self.path):  # the old results are now at self.tmp
                self.committed = True
            else:
                old = self.tmp.with_name(self.tmp.name + "-old")
                os.rename(self.path, old)
                os.rename(self.tmp, self.path)
                self.committed = True
                shutil.rmtree(old, ignore_errors=True)
                return
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            rename_no_replace(self.tmp, self.path)
            self.committed = True

    def release(self, error: BaseException | None) -> None:
        with deferred():
            if not self.committed:
                if self.tmp is not None:
                    shutil.rmtree(self.tmp, ignore_errors=True)
                if self._fd is not None:
                    release_lock(_lock_path(self.path), self._fd)
                    self._fd = None
                for folder in self._created:  # parents made for the results, innermost first
                    try:
                        folder.rmdir()
                    except OSError:
                        break
            if self._fd is not None:
                release_lock(_lock_path(self.path), self._fd)
                self._fd = None
            if error is not None:
                error.results_note = self.note


@contextmanager
def claim(target: Path, force: bool, command: str = "run"):
    """Claim ``target`` for this process until the block ends; yields the ``Claim`` (write with ``writing()``)."""
    held = Claim(Path(target), force, command)
    try:
        held.acquire()
        yield held
    except BaseException as err:
        held.release(err)
        raise
    held.release(None)


@contextmanager
def atomic_folder(target: Path, force: bool, command: str = "run"):
    """Claim ``target`` and yield the temporary folder that replaces it when the block ends (both steps at once)."""
    with claim(target, force, command) as held, held.writing() as folder:
        yield folder


def check_file_target(target: Path, force: bool) -> None:
    """Refuse, before any work, to write the file ``target`` over an existing one without ``force``."""
    text = os.fspath(target)
    if not text or "\0" in text:
        raise OutputError(f"{target!r}: expected a file path (no NUL character)")
    if os.path.isdir(target):
        raise OutputError(f"{target}: is a folder; expected a file name")
    if not force and os.path.lexists(target):
        raise OutputExistsError(f"{target}: exists; use --force to replace it")


@contextmanager
def atomic_file(target: Path, force: bool = True):
    """Yield a temporary path beside ``target``; on success it replaces ``target`` (refused without ``force``)."""
    check_file_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    with deferred():
        fd, name = tempfile.mkstemp(prefix=f".tmp-{target.stem[:60]}-", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        tmp = Path(name)
        umask_mode(tmp)
    try:
        yield tmp
        with deferred():
            os.replace(tmp, target)
    except BaseException:
        with deferred():
            tmp.unlink(missing_ok=True)
        raise


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(where: Path) -> str | None:
    """The project's commit, with ``-dirty`` if the work tree differs; None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=float) + "\n", encoding="utf-8")


def timeseries_bytes(frame) -> bytes:
    """CSV with fixed formatting so that equal numbers give equal bytes."""
    return frame.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode("utf-8")


def write_timeseries(path: Path, frame) -> None:
    path.write_bytes(timeseries_bytes(frame))
