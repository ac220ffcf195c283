"""Issue 21: `make demo` writes a Web Push VAPID pair into .state (never
committed) so that push works in the demo; the pair is what pywebpush (via
py_vapid) and the browser's PushManager take."""
import base64
import io
import json
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from py_vapid import Vapid02

from announcements.vapid import vapid_keys_read, vapid_keys_write


def _b64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_the_pair_is_written_once_private_and_usable(tmp_path):
    path = tmp_path / "state" / "vapid.json"
    keys, written = vapid_keys_write(path)
    assert written and stat.S_IMODE(path.stat().st_mode) == 0o600
    private, public = _b64(keys["private_key"]), _b64(keys["public_key"])
    assert len(private) == 32 and len(public) == 65 and public[0] == 4  # raw scalar, uncompressed point
    # py_vapid (what pywebpush signs with) reads the private key and derives
    # the public key the browser is given.
    vapid = Vapid02.from_raw(keys["private_key"].encode())
    derived = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert derived == public
    headers = vapid.sign({"sub": "mailto:diskominfo@kuburayakab.go.id", "aud": "http://127.0.0.1:9"})
    assert headers["Authorization"].startswith("vapid t=")
    # Run again: the same pair (subscriptions keep working); --force: a new one.
    assert vapid_keys_write(path) == (keys, False)
    again, written = vapid_keys_write(path, force=True)
    assert written and again != keys and vapid_keys_read(path) == again


@pytest.mark.parametrize("content", [None, "", "{}", "[1]", '{"private_key": "", "public_key": "x"}'])
def test_a_missing_or_odd_file_is_no_pair(tmp_path, content):
    path = tmp_path / "vapid.json"
    if content is not None:
        path.write_text(content)
    assert vapid_keys_read(path) is None


def test_the_command_prints_the_public_key_only(tmp_path):
    path = tmp_path / "vapid.json"
    out = io.StringIO()
    call_command("announcements_vapid_keys", "--path", str(path), stdout=out)
    keys = json.loads(path.read_text())
    assert keys["public_key"] in out.getvalue() and keys["private_key"] not in out.getvalue()


def test_make_demo_writes_it_under_state_which_git_ignores():
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    demo_data = makefile.split("\ndemo-data:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py announcements_vapid_keys" in demo_data
    ignored = subprocess.run(["git", "check-ignore", "-q", ".state/vapid.json"], cwd=settings.BASE_DIR)
    assert ignored.returncode == 0
