"""The command line: flags refused before any work starts, in one line, with nothing written."""

import tempfile
import unittest
from pathlib import Path

from tests.helpers import run_python


class FlagRejectionTest(unittest.TestCase):
    def assert_refused(self, flags, message):
        with tempfile.TemporaryDirectory() as tmp:
            output_dir = Path(tmp, "runs")
            result = run_python(["main.py", *flags, f"--output_dir={output_dir}"])
            self.assertEqual(result.returncode, 2, result.stderr)
            lines = result.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertRegex(lines[0], f"^error: .*{message}")
            self.assertNotIn("Traceback", result.stderr)
            self.assertFalse(output_dir.exists(), "a refused run must write nothing")

    def test_unknown_stage_lists_the_stages(self):
        self.assert_refused(["--stage=bogus"], "value should be one of <m1|m2|m3|m4|m5>")

    def test_bad_recipe_values(self):
        self.assert_refused(["--stage=m3", "--lr=0", "--epochs=3"], "--lr must be > 0, got 0.0")
        self.assert_refused(["--gamma=1.5"], r"--gamma must be in \(0, 1\], got 1.5")

    def test_explicit_data_dir_that_does_not_exist(self):
        self.assert_refused(["--data_dir=/no/such/mnist"], "--data_dir /no/such/mnist: no such")

    def test_output_dir_that_cannot_be_written(self):
        with tempfile.NamedTemporaryFile() as not_a_folder:
            result = run_python(["main.py", f"--output_dir={not_a_folder.name}"])
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr.strip(), f"^error: cannot write to {not_a_folder.name}/m3 "
                                                ".*choose another --output_dir$")


if __name__ == "__main__":
    unittest.main()


class SeedsFlagTest(unittest.TestCase):
    def test_bad_seed_lists_are_refused(self):
        for flags, message in ((["--seeds=0,x"], "--seeds must be integers"),
                               (["--seeds=1,1"], "--seeds must name distinct seeds"),
                               (["--seeds=0,1", "--seed=3"], "give either --seed or --seeds, not both")):
            with self.subTest(flags=flags):
                result = run_python(["main.py", *flags])
                self.assertEqual(result.returncode, 2)
                self.assertRegex(result.stderr.strip(), f"^error: {message}")
