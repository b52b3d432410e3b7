"""README and docs/: every relative link and image points at a file (and heading) that exists."""

import re
import unittest

from tests.helpers import REPO

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
