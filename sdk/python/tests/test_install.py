"""``pip install ./sdk/python`` works (pyproject.toml, standard library only):
installed from a copy into a temporary target and imported from there."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)


class InstallTest(unittest.TestCase):
    def test_pip_install_and_import(self):
        tmp = tempfile.mkdtemp(prefix="firebreak-pip-")
        self.addCleanup(shutil.rmtree, tmp, True)
        src = os.path.join(tmp, "src")
        shutil.copytree(SDK, src, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
        target = os.path.join(tmp, "site")
        # No build isolation: the machine is offline, setuptools comes from the system.
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--no-index", "--target", target, src],
            capture_output=True,
            text=True,
        )
        self.assertEqual(pip.returncode, 0, pip.stdout + pip.stderr)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PYTHONPATH"] = target
        probe = subprocess.run(
            [sys.executable, "-c", "import firebreak, sys; print(firebreak.__file__); print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi','starlette','httpx','uvicorn')))"],
            capture_output=True,
            text=True,
            cwd=tmp,
            env=env,
        )
        self.assertEqual(probe.returncode, 0, probe.stderr)
        path, third_party = probe.stdout.splitlines()
        self.assertTrue(path.startswith(target), path)
        self.assertEqual(third_party, "[]", "importing firebreak pulls in no third-party package")


if __name__ == "__main__":
    unittest.main()
