import json
import shutil
import tempfile
import unittest
from pathlib import Path

from keras_mnist7.run.benchmark import run_seeds
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage
from tests.helpers import full_tier, mnist_subset


@full_tier("trainings")
class RunSeedsTest(unittest.TestCase):
    def test_one_run_per_seed_and_the_summary_files(self):
        output_dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, output_dir)
        recipe = get_stage("m2").recipe_with(epochs=1)
        spec = RunSpec.of_stage("m2", output_dir / "m2", recipe=recipe,
                                command="python main.py --stage=m2 --seeds=3,4")
        result = run_seeds(spec, [3, 4], mnist_subset(512, 200), verbose=0)
        stage_dir = output_dir / "m2"
        self.assertEqual(sorted(p.name for p in stage_dir.iterdir()),
                         ["seed3", "seed4", "seeds.json", "seeds.md"])
        saved = json.loads((stage_dir / "seeds.json").read_text())
        self.assertEqual(saved, json.loads(json.dumps(result)))
        self.assertEqual((saved["stage"], saved["epochs"]), ("m2", 1))
        self.assertEqual(saved["params"]["total"], 8075)
        self.assertEqual([run["seed"] for run in saved["runs"]], [3, 4])
        for run in saved["runs"]:
            metrics = json.loads((stage_dir / f"seed{run['seed']}" / "metrics.json").read_text())
            self.assertEqual(run["test_acc"],
                             [round(100 * r["val_accuracy"], 2) for r in metrics["history"]])
            self.assertEqual(len(run["train_acc"]), 1)
            self.assertEqual(len(run["epoch_seconds"]), 1)
        self.assertNotEqual(saved["runs"][0]["test_acc"], saved["runs"][1]["test_acc"])
        self.assertIn("| 3 |", (stage_dir / "seeds.md").read_text())
        self.assertEqual((saved["evaluated_on"], saved["input"]), ("the test set", "dataset"))
        self.assertEqual(len(saved["runs"][0]["test_loss"]), 1)

    def test_a_held_out_benchmark_with_another_bn_order_says_so(self):
        output_dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, output_dir)
        stage = get_stage("m2")
        spec = RunSpec.of_stage("m2", output_dir / "m2", recipe=stage.recipe_with(epochs=1),
                                holdout=100, tensorboard=False,
                                architecture=stage.architecture_with(bn_before_relu=True))
        result = run_seeds(spec, [0], mnist_subset(256, 100), verbose=0)
        self.assertTrue(result["architecture"]["bn_before_relu"])
        self.assertIn("the last 100 training images, held out", result["evaluated_on"])
        self.assertIn("evaluated on the last 100 training images",
                      (output_dir / "m2" / "seeds.md").read_text())


if __name__ == "__main__":
    unittest.main()
