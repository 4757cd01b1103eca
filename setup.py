"""Build step: the wheel carries the top-level personas/ and prompts/ inside the package.

They stay at the top of the repository, where trainers find and edit them; at build time
they are copied to voicetrainer/_shipped/ in the build folder (never into the source tree),
where voicetrainer/shipped.py finds them in an installed wheel. Everything else is in
pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("personas", "prompts")  # as voicetrainer/shipped.py


class BuildWithShippedFolders(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the repository's folders directly
            return
        for name in SHIPPED_FOLDERS:
            target = Path(self.build_lib) / "voicetrainer" / "_shipped" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildWithShippedFolders})
