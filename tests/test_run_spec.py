import dataclasses
import pickle
import unittest
from pathlib import Path

from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage


class RunSpecTest(unittest.TestCase):
    def test_a_stage_run_and_its_seeds(self):
        spec = RunSpec.of_stage("m5", "results/m5", holdout=5000)
        self.assertEqual((spec.recipe, spec.architecture),
                         (get_stage("m5").recipe, get_stage("m5").architecture))
        seed = spec.for_seed(7)
        self.assertEqual((seed.seed, seed.folder, seed.holdout), (7, Path("results/m5/seed7"), 5000))

    def test_threads_cannot_be_negative(self):
        with self.assertRaisesRegex(ValueError, "--threads must be >= 0"):
            RunSpec.of_stage("m1", "runs/m1", threads=-1)

    def test_frozen_and_picklable_as_a_worker_needs(self):
        spec = RunSpec.of_stage("m4", "runs/m4", recipe=get_stage("m4").recipe_with(lr=0.1))
        self.assertEqual(pickle.loads(pickle.dumps(spec)), spec)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            spec.seed = 3


if __name__ == "__main__":
    unittest.main()
