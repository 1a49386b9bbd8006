"""The three ways a user installs articlebot each open the console on the bundled posts.

A wheel is built from this checkout and installed into a fresh virtual environment (with
the current environment's packages visible, so nothing is downloaded); `pip install .`
(not editable) likewise; and this checkout's own editable install is run from a folder
outside it. Each answers a search from the sample posts with no settings at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p.name for p in (ROOT / "content").glob("*.md"))

pytestmark = pytest.mark.slow


def clean_env(home: Path) -> dict[str, str]:
    """No settings, no token, and a user data folder of its own (the default index)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTICLEBOT_", "DISCORD_"))}
    env.pop("PYTHONPATH", None)
    return {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}


def fresh_venv(path: Path) -> Path:
    """A virtual environment that sees this one's packages (the dependencies) but not
    articlebot, which each test installs itself."""
    venv.EnvBuilder(with_pip=True).create(path)  # ensurepip: offline
    site = next((path / "lib").glob("python*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "deps.pth").write_text("\n".join(ours) + "\n")
    return path / "bin" / "python"


def console(python: Path, home: Path) -> subprocess.CompletedProcess[str]:
    script = python.parent / "articlebot"
    assert script.exists(), "the console script was not installed"
    return subprocess.run(
        [str(script)],
        input="search motorbike stunt\nquit\n",
        capture_output=True,
        text=True,
        cwd=home,
        env=clean_env(home),
        timeout=300,
    )


def assert_console_works(done: subprocess.CompletedProcess[str], where: str) -> None:
    assert done.returncode == 0, done.stderr
    assert "articlebot console · 14 articles from " in done.stdout
    assert where in done.stdout.splitlines()[0]
    assert "rooftop motorbike jump" in done.stdout
    assert "Traceback" not in done.stderr


def install(python: Path, what: str) -> None:
    """``pip install --no-deps what`` in that environment (its dependencies are shared)."""
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", what],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        capture_output=True,
        timeout=600,
    )


def test_a_built_wheel_ships_the_package_and_the_posts(tmp_path: Path) -> None:
    pip("wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT))
    wheel = next((tmp_path / "dist").glob("articlebot-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "articlebot/index/service.py" in names and "articlebot/bot/cli.py" in names
    assert sorted(n.split("/")[-1] for n in names if n.startswith("articlebot/content/")) == (
        SAMPLES
    )
    assert not any(n.startswith(("index/", "bot/", "tests/", "bench/")) for n in names)
    python = fresh_venv(tmp_path / "v")
    install(python, str(wheel))
    home = tmp_path / "home"
    home.mkdir()
    assert_console_works(console(python, home), "site-packages/articlebot/content")


def test_pip_install_dot_opens_the_console_on_the_bundled_posts(tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "v")
    install(python, str(ROOT))
    home = tmp_path / "home"
    home.mkdir()
    assert_console_works(console(python, home), "site-packages/articlebot/content")


def test_the_editable_install_opens_the_console_from_anywhere(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert_console_works(console(Path(sys.executable), home), str(ROOT / "content"))
