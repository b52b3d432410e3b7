import os
import subprocess
import sys
import unittest

from keras_mnist7.run import environment
from tests.helpers import full_tier


class EnvironmentTest(unittest.TestCase):
    def test_device_says_cpu_when_no_gpu_is_visible(self):
        # These test machines have no GPU; on one with a GPU the run names it instead.
        self.assertRegex(environment.describe_device(), r"^(CPU \(.+\), no GPU visible|GPU \(gpu)")

    def test_vector_extensions_name_the_widest(self):
        self.assertEqual(environment.vector_extensions("fpu sse2 avx avx2 fma"), "AVX2")
        self.assertEqual(environment.vector_extensions("avx2 avx512f avx512bw"), "AVX-512")
        self.assertEqual(environment.vector_extensions("avx2 avx512f avx512_bf16"),
                         "AVX-512 with BF16")
        self.assertIsNone(environment.vector_extensions("fpu sse2"))

    def test_cpu_name_says_its_simd_on_linux(self):
        if environment._cpuinfo_field("flags") is None:
            self.skipTest("no /proc/cpuinfo flags on this machine")
        self.assertRegex(environment.cpu_name(), r", (AVX2|AVX-512)")

    def test_versions_name_the_stack(self):
        found = environment.versions()
        self.assertEqual(found["backend"], "tensorflow")
        for package in ("python", "keras", "tensorflow", "numpy"):
            self.assertRegex(found[package], r"^\d+\.\d+")

    @full_tier("TensorFlow in subprocesses")
    def test_importing_the_package_first_turns_tensorflows_onednn_on(self):
        # TensorFlow leaves oneDNN off by itself on AVX2 CPUs, where m4 trains about 1.5x
        # slower (results/speed/).
        code = ("import keras_mnist7.run.environment, tensorflow\n"
                "from tensorflow.python.util import _pywrap_util_port as port\n"
                "print(port.IsMklEnabled(), keras_mnist7.run.environment.versions()['tf_onednn'])")
        env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
        out = subprocess.run([sys.executable, "-c", code],
                             env=env, capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.split()[-2:], ["True", "1"])
        env["TF_ENABLE_ONEDNN_OPTS"] = "0"  # still the user's to turn off
        out = subprocess.run([sys.executable, "-c", code],
                             env=env, capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.split()[-2:], ["False", "0"])

    def test_revision_is_a_commit_maybe_dirty(self):
        self.assertRegex(environment.source_revision(), r"^[0-9a-f]{7,}(\+dirty)?$")


if __name__ == "__main__":
    unittest.main()
