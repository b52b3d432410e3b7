"""README and docs/: every relative link and image points at a file (and heading) that exists."""

import re
import unittest

from tests.helpers import REPO, full_tier

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def pages():
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
            *[p for p in [REPO / "pretrained" / "README.md"] if p.exists()]]


def anchors(markdown_file):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"```.*?```", "", markdown_file.read_text(), flags=re.S)
    headings = re.findall(r"^#+\s+(.*)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


class LinksTest(unittest.TestCase):
    def test_every_relative_link_and_image_resolves(self):
        checked = 0
        for page in pages():
            for target in LINK.findall(page.read_text()):
                if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
                    continue
                path, _, anchor = target.partition("#")
                destination = (page.parent / path).resolve() if path else page
                with self.subTest(page=page.name, link=target):
                    self.assertTrue(destination.exists(), f"{page.name}: {target} is missing")
                    if anchor and destination.suffix == ".md":
                        self.assertIn(anchor, anchors(destination))
                checked += 1
        self.assertGreater(checked, 20)

    def test_the_checker_sees_a_broken_link(self):
        self.assertEqual(LINK.findall("see [x](docs/none.md#a) and ![f](a.png)"),
                         ["docs/none.md#a", "a.png"])
        self.assertIn("stop-resume-start-over", anchors(REPO / "docs" / "runs.md"))

    def test_readme_reads_in_two_minutes(self):
        self.assertLessEqual(len((REPO / "README.md").read_text().splitlines()), 250)


if __name__ == "__main__":
    unittest.main()


class FlagsPageTest(unittest.TestCase):
    """docs/flags.md is generated from main.py's flags, whose recipe and architecture help
    comes from the registry: one fact, one place."""

    def test_the_page_equals_what_the_flags_say(self):
        from keras_mnist7 import cli

        self.assertEqual((REPO / "docs" / "flags.md").read_text(), cli.flags_page(),
                         "docs/flags.md is stale: python main.py --mode=report rewrites it")

    def test_every_mode_has_its_help_and_its_command(self):
        from keras_mnist7 import cli

        self.assertEqual(cli.FLAGS["mode"].parser.enum_values, list(cli.MODES))
        for name, mode in cli.MODES.items():
            self.assertTrue(mode.help and callable(mode.prepare) and callable(mode.run), name)
            self.assertIn(f"{name}: {mode.help}", cli.FLAGS["mode"].help)

    def test_each_setting_flag_gives_every_stage_its_own_default(self):
        from keras_mnist7 import cli
        from keras_mnist7.spec.stages import get_stage, stage_values

        for name in cli.SETTINGS:
            self.assertTrue(cli.FLAGS[name].help.endswith(f"Stage default: {stage_values(name)}."))
        m6 = get_stage("m6").recipe
        self.assertIn(f"m6: {m6.batch_size}", cli.FLAGS["batch_size"].help)
        self.assertIn(f"m6: {m6.lr:g}", cli.FLAGS["lr"].help)
        self.assertIn(f"m6: {m6.translation_pixels:g}", cli.FLAGS["translation_pixels"].help)


class SeedStudyTest(unittest.TestCase):
    def test_the_claims_quoted_are_the_registrys(self):
        from keras_mnist7.spec.stages import get_stage

        rows = re.findall(r"^\| (M\d) \|.*\| ([\d.]+) \| ([\d.]+) \| [^|]+ \|$",
                          (REPO / "docs" / "seed-study.md").read_text(), flags=re.M)
        self.assertEqual(len(rows), 4)
        for stage, best_train, best_test in rows:
            claim = get_stage(stage.lower()).seed_claim
            self.assertEqual((float(best_train), float(best_test)),
                             (claim["best_train"], claim["best_test"]))


@full_tier("reads every result file")
class GeneratedPagesTest(unittest.TestCase):
    """README's results section and docs/results.md are what `python main.py --mode=report`
    writes from the committed result files, byte for byte."""

    def test_the_pages_equal_what_the_report_writes_from_the_results(self):
        from keras_mnist7.study.report import pages

        readme = (REPO / "README.md").read_text()
        begin = readme.index(pages.README_BEGIN) + len(pages.README_BEGIN)
        section = readme[begin:readme.index(pages.README_END)]
        self.assertEqual(section, "\n" + pages.results_section("results") + "\n",
                         "README is stale: python main.py --mode=report rewrites it")
        begin = readme.index(pages.STATUS_BEGIN) + len(pages.STATUS_BEGIN)
        status = readme[begin:readme.index(pages.STATUS_END)]
        self.assertEqual(status, "\n" + pages.status_section("results") + "\n",
                         "README's status is stale: python main.py --mode=report rewrites it")
        self.assertEqual((REPO / "docs" / "results.md").read_text(),
                         pages.results_page("results"),
                         "docs/results.md is stale: python main.py --mode=report rewrites it")
