"""One writer per run folder: a second process is refused at once, a dead holder frees it."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from keras_mnist7.run.run_lock import LOCK_NAME, FolderInUse, FolderLock, describe
from tests.helpers import REPO, full_tier, run_python

HOLD_IN_ANOTHER_PROCESS = """
import sys, time
from keras_mnist7.run.run_lock import FolderLock
lock = FolderLock(sys.argv[1], "the other one").acquire()  # kept: dropping it unlocks
print("held", flush=True)
time.sleep(60)
"""


class FolderLockTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.folder = Path(tmp.name)

    def hold_elsewhere(self):
        process = subprocess.Popen([sys.executable, "-c", HOLD_IN_ANOTHER_PROCESS,
                                    str(self.folder)], cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.addCleanup(process.stdout.close)
        self.addCleanup(process.kill)
        self.assertEqual(process.stdout.readline().strip(), "held")
        return process

    def test_a_second_holder_is_refused_naming_the_first(self):
        holder = self.hold_elsewhere()
        with self.assertRaises(FolderInUse) as refused:
            FolderLock(self.folder, "me").acquire()
        self.assertRegex(str(refused.exception),
                         f"^{re.escape(str(self.folder))} is in use by another run \\(pid "
                         f"{holder.pid} on .*, since .*: the other one\\): wait for it")

    def test_a_killed_holder_leaves_no_stale_lock(self):
        holder = self.hold_elsewhere()
        holder.kill()  # SIGKILL: no clean-up runs in the holder
        holder.wait()
        with FolderLock(self.folder, "me") as lock:
            record = json.loads((self.folder / LOCK_NAME).read_text())
            self.assertEqual((record["pid"], record["command"]), (os.getpid(), "me"))
            self.assertIs(lock._file.closed, False)
        FolderLock(self.folder).acquire().release()  # released on exit from the block

    def test_a_half_written_record_is_described_not_fatal(self):
        self.assertEqual(describe(""), "holder not recorded yet")


@full_tier("a training")
class SecondRunTest(unittest.TestCase):
    """A real second main.py on a running run's folder (about 20 s)."""

    def test_a_second_run_is_refused_and_the_first_finishes(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        command = ["main.py", "--stage=m1", "--epochs=3", "--train_size=2048", "--verbose=2",
                   f"--output_dir={tmp.name}"]
        run_dir = Path(tmp.name, "m1")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        first = subprocess.Popen([sys.executable, *command], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(first.kill)
        deadline = time.monotonic() + 300
        while not (run_dir / "summary.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # training has started: the lock is held since before the checks
        self.assertIsNone(first.poll(), "the first run ended before the second could start")
        files_before = sorted(p.name for p in run_dir.iterdir())

        second = run_python(command)
        self.assertEqual(second.returncode, 2, second.stderr)
        self.assertRegex(second.stderr.strip(),
                         f"^error: {re.escape(str(run_dir))} is in use by another run \\(pid "
                         f"{first.pid} on .*: python main.py --stage=m1 .*\\): wait for it")
        self.assertEqual(len(second.stderr.strip().splitlines()), 1)
        self.assertTrue(set(files_before) <= {p.name for p in run_dir.iterdir()})

        out, err = first.communicate(timeout=600)
        self.assertEqual(first.returncode, 0, err)
        self.assertEqual(len(json.loads((run_dir / "metrics.json").read_text())["history"]), 3)
        again = run_python(command)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertRegex(again.stdout, r"^\[finished\] ")


if __name__ == "__main__":
    unittest.main()
