"""One writer per run folder: an exclusive OS lock on <folder>/.lock, held while a run trains.

`fcntl.flock` locks belong to the open file, so the operating system drops them when their
holder exits in any way (kill -9 included): a dead run never leaves a stale lock. The lock
file stays; it records who holds it, for the message a second run is refused with.
"""

import datetime
import fcntl
import json
import os
import socket
from pathlib import Path

LOCK_NAME = ".lock"


class FolderInUse(Exception):
    """Another live process trains in this folder."""


class FolderLock:
    """Holds `folder`'s lock from acquire() until release(), or until the object is dropped
    (its file closes), or the process ends: keep a reference while the run trains."""

    def __init__(self, folder, command=None):
        self.folder = Path(folder)
        self.command = command
        self._file = None

    def acquire(self):
        """Takes the lock, or raises FolderInUse naming the holder; never waits."""
        lock_file = open(self.folder / LOCK_NAME, "a+")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock_file.seek(0)
            holder = lock_file.read()
            lock_file.close()
            raise FolderInUse(f"{self.folder} is in use by another run ({describe(holder)}): "
                              "wait for it to end, or choose another --output_dir") from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
            "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}))
        lock_file.flush()
        self._file = lock_file
        return self

    def release(self):
        if self._file is not None:
            self._file.close()  # closing the file drops the lock
            self._file = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def describe(holder_text):
    """'pid 12, host h, since ..., command ...' from a lock file's record (may be half-written)."""
    try:
        holder = json.loads(holder_text)
    except ValueError:
        return "holder not recorded yet"
    return (f"pid {holder['pid']} on {holder['host']}, since {holder['since']}: "
            f"{holder.get('command') or 'no command recorded'}")
