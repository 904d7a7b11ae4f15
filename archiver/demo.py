"""`archiver demo`: the whole workflow on the bundled sample story, offline.

Serves the sample (fixtures/site, shipped as archiver/sample) on 127.0.0.1, runs the story
workflow on it (the story, the sources its main text cites, extraction, the report) into a
new package, and verifies that package.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from archiver._types import Progress
from archiver.sample_site import SampleServer
from archiver.settings import CaptureSettings
from archiver.story.build import StoryResult, create_story_package
from archiver.timestamps import utc_iso
from archiver.verification import VerificationReport, check

SOURCES_FILE = "_sources.txt"
"""In the sample's root: the story's path first, then the paths of the sources it cites."""


@dataclass
class DemoResult:
    story: StoryResult
    verification: VerificationReport

    @property
    def is_ok(self) -> bool:
        return self.verification.is_valid and self.story.is_complete


def sample_root() -> Path:
    return Path(str(resources.files("archiver").joinpath("sample")))


def default_output() -> Path:
    stamp = utc_iso().replace(":", "").replace("-", "")[:15]
    return Path(f"archiver-demo-{stamp}")


def sample_paths(root: Path) -> list[str]:
    lines = (root / SOURCES_FILE).read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def run_demo(output: Path, *, progress: Progress | None = None) -> DemoResult:
    """Run the story workflow on the sample story into `output`, then verify the package."""
    root = sample_root()
    with SampleServer(root) as server:
        story = server.url(sample_paths(root)[0])
        # The sample is served on 127.0.0.1, which a capture refuses by default.
        result = create_story_package(story, output,
                                      settings=CaptureSettings(allow_private=True),
                                      progress=progress)
    return DemoResult(result, check(output))
