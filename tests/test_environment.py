import unittest

from keras_mnist7 import environment


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

    def test_revision_is_a_commit_maybe_dirty(self):
        self.assertRegex(environment.source_revision(), r"^[0-9a-f]{7,}(\+dirty)?$")


if __name__ == "__main__":
    unittest.main()
