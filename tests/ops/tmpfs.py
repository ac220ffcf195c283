"""A small tmpfs for tests that fill a disk (root only; skipped elsewhere)."""
import contextlib
import os
import subprocess
import tempfile

import pytest


@contextlib.contextmanager
def small_tmpfs(size: str = "1m"):
    path = tempfile.mkdtemp(prefix="kr-tmpfs-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], capture_output=True)
    if mounted.returncode != 0:
        os.rmdir(path)
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], capture_output=True)
        os.rmdir(path)


def fill(path: str) -> None:
    """Fill the filesystem of `path` to the last byte."""
    with open(os.path.join(path, "filler"), "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    with contextlib.suppress(OSError):
        with open(os.path.join(path, "filler2"), "wb") as f:
            while True:
                f.write(b"\0")
                f.flush()
