"""A real PostgreSQL server for the tests, started in a temporary folder.

Debian's postgresql package puts ``initdb`` and ``pg_ctl`` under /usr/lib/postgresql/N/bin.
The server refuses to run as root, so when the tests run as root (CI here) it runs as the
``postgres`` user the package creates (``setpriv``); otherwise as the current user. It
listens on a free port on 127.0.0.1 only, trusts local connections (a throwaway cluster),
and is stopped and deleted afterwards. Where the binaries are missing the tests that need
it skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


def binaries() -> Path | None:
    """The folder with initdb and pg_ctl: the newest packaged version, else the PATH's."""
    for pattern in SEARCH:
        found = sorted(p for p in Path("/").glob(pattern.lstrip("/")) if (p / "pg_ctl").exists())
        if found:
            return found[-1]
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that runs the server's tools as a user it accepts."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("postgres")  # KeyError: no such user, the caller skips
    os.chown(folder, user.pw_uid, user.pw_gid)
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Run a PostgreSQL server in a new temporary folder (in the system's temporary
    folder, which the server's user can reach, unlike pytest's private ones); yields its
    URL (database ``postgres``, user ``articlebot``). Raises RuntimeError with the reason
    when it cannot start."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed")
    folder = Path(tempfile.mkdtemp(prefix="articlebot-pg-"))
    try:
        with _running(bin_dir, folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _running(bin_dir: Path, folder: Path) -> Iterator[str]:
    try:
        prefix = _as_server_user(folder)
    except KeyError:
        raise RuntimeError("running as root and there is no postgres user") from None
    data, log = folder / "data", folder / "server.log"
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, cwd=folder
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {(done.stderr or done.stdout)[-600:]}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "articlebot", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c full_page_writes=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
    try:
        yield f"postgresql://articlebot@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
