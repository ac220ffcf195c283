"""Web Push VAPID key pair for the demo and development machines.

`manage.py announcements_vapid_keys` (run by `make demo`) writes a P-256 key
pair once into `.state/vapid.json` (mode 0600, never committed: .state/ is
ignored); config/settings/local.py reads it when WEBPUSH_VAPID_PRIVATE_KEY
and WEBPUSH_VAPID_PUBLIC_KEY are not set in the environment. Production sets
the two variables (docs/configuration.md). Formats are the ones pywebpush and
the browser's PushManager take: the raw 32-byte private scalar and the
65-byte uncompressed public point, both base64url without padding.

Imported by the settings: no Django import here.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_keys_generate() -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"private_key": _b64url(private), "public_key": _b64url(public)}


def vapid_keys_write(path: Path, *, force: bool = False) -> tuple[dict, bool]:
    """The key pair in `path`, written (0600) when absent or forced; returns
    (keys, written)."""
    path = Path(path)
    if path.exists() and not force:
        keys = vapid_keys_read(path)
        if keys:
            return keys, False
    keys = vapid_keys_generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh)
    os.replace(tmp, path)
    return keys, True


def vapid_keys_read(path: Path) -> dict | None:
    """{"private_key", "public_key"} from `path`, or None when it is missing
    or not such a file."""
    try:
        keys = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(keys, dict) or not all(isinstance(keys.get(k), str) and keys[k]
                                             for k in ("private_key", "public_key")):
        return None
    return {"private_key": keys["private_key"], "public_key": keys["public_key"]}
