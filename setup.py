"""Build hook: the wheel carries the policy pack as `trailwatch/policy_pack/`.

Everything else is declared in pyproject.toml. The pack folder (policy/) is a CrossGuard
pack, not a Python package: its project file, entry point, requirements and example
configs are copied next to a copy of its rules, so an installed `trailwatch check` (and
`pulumi preview --policy-pack <that folder>`) has the pack without a checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACK = Path(__file__).resolve().parent / "policy"
PACK_FILES = ("PulumiPolicy.yaml", "__main__.py", "requirements.txt")
PACK_DIRS = ("configs", "trailwatch_policy")


class BuildPyWithPack(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the checkout's policy/ folder itself
        target = Path(self.build_lib) / "trailwatch" / "policy_pack"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in PACK_FILES:
            shutil.copy2(PACK / name, target / name)
        for name in PACK_DIRS:
            shutil.copytree(PACK / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "venv"))


setup(cmdclass={"build_py": BuildPyWithPack})
