"""Benchmarks over Ray: the same results as the run in one process, a killed worker's task run
again, a cluster started with `ray start`, and one-line refusals (about two minutes)."""

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from keras_mnist7.run.cluster import check_address, folder_files, put_files
from keras_mnist7.run.run_state import RUN_FILES
from tests.helpers import REPO, full_tier, without

RAY_MISSING = importlib.util.find_spec("ray") is None
SKIP_REASON = ("ray is not installed (pip install -r requirements-ray.txt; .ci/run installs it)")
# A tiny benchmark: two seeds of m2 on 1,024 images for 2 epochs, one thread per run.
BENCHMARK = ["main.py", "--stage=m2", "--seeds=0,1", "--epochs=2", "--train_size=1024",
             "--threads=1", "--notensorboard", "--verbose=2"]
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

WITHOUT_RAY = without("ray")


def environment():
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "2"}


def main_py(args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=REPO, env=environment(),
                          capture_output=True, text=True, timeout=timeout)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def histories(group):
    """{seed: the per-epoch numbers of its metrics.json} of a benchmark folder."""
    result = json.loads((group / "seeds.json").read_text())
    return {run["seed"]: [[row[key] for key in HISTORY_KEYS] for row in json.loads(
        (group / f"seed{run['seed']}" / "metrics.json").read_text())["history"]]
        for run in result["runs"]}


def parent_pid(pid):
    """The parent of a process (0 once it is gone): field 4 of /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat[stat.rindex(")") + 2:].split()[1])


def running_task_pids(driver):
    """Pids of Ray workers executing a train_run task now (Ray titles them ray::train_run)
    that descend from `driver`, whose private local cluster they belong to: never the
    workers of another benchmark running on the machine."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if not (entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(
                    b"ray::train_run")):
                continue
        except OSError:
            continue
        ancestor = int(entry.name)
        while ancestor > 1 and ancestor != driver:
            ancestor = parent_pid(ancestor)
        if ancestor == driver:
            pids.append(int(entry.name))
    return pids


class FilesTest(unittest.TestCase):
    def test_a_run_folder_travels_whole_and_stale_files_go(self):
        source, target = (Path(tempfile.mkdtemp()) for _ in range(2))
        for folder in (source, target):
            self.addCleanup(shutil.rmtree, folder)
        (source / "backup").mkdir()
        (source / "metrics.json").write_text("{}")
        (source / ".lock").write_text("pid")
        (source / ".metrics.json.tmp").write_text("half")
        (source / "backup" / "epoch-0001").write_bytes(b"\x00\x01")
        files = folder_files(source)
        self.assertEqual(sorted(files), ["backup/epoch-0001", "metrics.json"])
        (target / "backup" / "keras").mkdir(parents=True)
        (target / "backup" / "keras" / "old").write_text("stale")
        (target / ".lock").write_text("mine")
        put_files(target, {"metrics.json": b"{}", "best.keras": b"zip"})
        self.assertEqual(folder_files(target), {"metrics.json": b"{}", "best.keras": b"zip"})
        self.assertFalse((target / "backup").exists())
        self.assertEqual((target / ".lock").read_text(), "mine")


class RefusalsTest(unittest.TestCase):
    def assert_one_line(self, result, expected):
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stderr.strip().count("\n"), 0, result.stderr)
        self.assertIn(expected, result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    @unittest.skipIf(RAY_MISSING, SKIP_REASON)
    def test_an_address_where_no_head_listens(self):
        with tempfile.TemporaryDirectory() as output:
            result = main_py([*BENCHMARK, f"--ray=127.0.0.1:{free_port()}",
                              f"--output_dir={output}"], timeout=60)
            self.assert_one_line(result, "no Ray head answers there")
            self.assertEqual(list(Path(output).iterdir()), [])

    def test_ray_not_installed(self):
        with tempfile.TemporaryDirectory() as output:
            result = main_py(["-c", WITHOUT_RAY, *BENCHMARK, "--ray=local",
                              f"--output_dir={output}"], timeout=60)
            self.assert_one_line(result, "--ray needs Ray, which is not installed")

    def test_ray_needs_seeds_and_a_sane_address(self):
        self.assert_one_line(main_py(["main.py", "--ray=local"], timeout=60),
                             "--ray runs a benchmark: it needs --mode=train and --seeds")
        with self.assertRaisesRegex(ValueError, "HOST:PORT"):
            check_address("nohost")


@unittest.skipIf(RAY_MISSING, SKIP_REASON)
@full_tier("Ray and trainings")
class RayBenchmarkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.folder = Path(cls.tmp.name)
        result = main_py([*BENCHMARK, f"--output_dir={cls.folder / 'sequential'}"])
        assert result.returncode == 0, result.stderr[-3000:]
        cls.expected = histories(cls.folder / "sequential" / "m2")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assert_same_benchmark(self, group, seeds=(0, 1)):
        self.assertEqual(histories(group), {seed: self.expected[seed] for seed in seeds})
        for seed in seeds:
            self.assertTrue(all((group / f"seed{seed}" / name).is_file() for name in RUN_FILES))
            self.assertFalse((group / f"seed{seed}" / "backup").exists())

    def test_local_ray_gives_the_sequential_results_exactly(self):
        output = self.folder / "local"
        result = main_py([*BENCHMARK, "--ray=local", f"--output_dir={output}"])
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assert_same_benchmark(output / "m2")
        self.assertEqual(len(re.findall(r"\[ray\] seed \d done after", result.stdout)), 2)
        self.assertIn("0 left", result.stdout)
        self.assertIn("artifacts in /tmp/keras_mnist7-seed", result.stdout)  # a worker's own

    def test_tasks_write_into_a_shared_folder_themselves(self):
        output = self.folder / "shared"
        result = main_py([*BENCHMARK, "--ray=local", "--ray_shared_folder",
                          f"--output_dir={output}"])
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assert_same_benchmark(output / "m2")
        self.assertIn(f"artifacts in {output}/m2/seed1/", result.stdout)
        self.assertNotIn("artifacts in /tmp/keras_mnist7-seed", result.stdout)

    def test_a_killed_worker_is_retried_and_the_results_do_not_change(self):
        output = self.folder / "killed"
        log = (self.folder / "killed.log").open("w+")
        self.addCleanup(log.close)
        driver = subprocess.Popen([sys.executable, *BENCHMARK, "--ray=local",
                                   f"--output_dir={output}"], cwd=REPO, env=environment(),
                                  stdout=log, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(driver.kill)
        deadline, victim, workers = time.monotonic() + 900, None, set()
        while driver.poll() is None and time.monotonic() < deadline:
            running = running_task_pids(driver.pid)
            workers.update(running)
            if victim is None and running:
                victim = running[0]
                os.kill(victim, signal.SIGKILL)
            time.sleep(0.05)
        log.seek(0)
        output_text = log.read()
        self.assertEqual(driver.wait(timeout=10), 0, output_text[-3000:])
        self.assertIsNotNone(victim, "no Ray task was seen running")
        self.assertGreaterEqual(len(workers), 3, "the killed task was not run again")
        self.assert_same_benchmark(output / "m2")
        self.assertEqual(len(re.findall(r"\[ray\] seed \d done after", output_text)), 2)

    def test_a_cluster_started_with_ray_start(self):
        # --block keeps the cluster's processes tied to this one, which an interrupt stops:
        # `ray stop` would stop every Ray cluster on the machine, a benchmark's too. Its own
        # --temp-dir keeps its address file out of /tmp/ray, where it would outlive it. The
        # interrupt is un-ignored first: a suite started in the background (`... &` in a script)
        # ignores SIGINT, and so would the head, which then outlived the test.
        ray = Path(sys.executable).with_name("ray")
        port = free_port()
        temp_dir = tempfile.mkdtemp(prefix="ray-")
        self.addCleanup(shutil.rmtree, temp_dir, ignore_errors=True)
        head = subprocess.Popen(
            [str(ray), "start", "--head", "--block", f"--port={port}", f"--temp-dir={temp_dir}",
             "--node-ip-address=127.0.0.1", "--num-cpus=2", "--include-dashboard=false",
             "--disable-usage-stats"], env=environment(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.addCleanup(head.stdout.close)
        self.addCleanup(head.wait, timeout=120)
        self.addCleanup(head.send_signal, signal.SIGINT)
        started = ""
        for line in head.stdout:  # until the cluster is up, or the command has ended
            started += line
            if "Ray runtime started" in line:
                break
        self.assertIn("Ray runtime started", started, started[-3000:])
        threading.Thread(target=head.stdout.read, daemon=True).start()  # keep the pipe drained
        output = self.folder / "cluster"
        result = main_py([*BENCHMARK, f"--ray=127.0.0.1:{port}", f"--output_dir={output}"])
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assert_same_benchmark(output / "m2")


if __name__ == "__main__":
    unittest.main()
