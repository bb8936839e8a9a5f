"""Secrets and trust for the farm (Ray-free: both sides use it).

- Tokens live in files readable by their owner only (0600), written atomically; a token file that
  others can read is refused (one line saying `chmod 600`).
- The API token is compared in constant time; the Host header is checked against the names the
  farm answers to (a web page on the creator's network cannot reach it by DNS rebinding).
- HTTPS uses a self-signed certificate made by `farm serve --tls`; clients pin its SHA-256 on
  first use and refuse a farm whose certificate changed.
- The creator's machine keeps, per farm URL, its token and pinned certificate in one 0600 file.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.errors import ShotloomError
from engine.fsutil import write_bytes_atomic, write_json_atomic

TOKEN_ENV = "SHOTLOOM_FARM_TOKEN"


class FarmError(ShotloomError):
    """The farm could not be reached, refused a request, or sent something wrong."""


# -- secret files -----------------------------------------------------------------------------------

def new_token() -> str:
    return secrets.token_urlsafe(32)


def read_secret(path: Path, what: str = "token") -> str:
    """The secret in `path`, refused when other users could read it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FarmError(f"{path} does not exist; run `shotloom farm token` on the farm to make the {what}.") from None
    if os.name != "nt" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise FarmError(f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}); "
                        f"run `chmod 600 {path}` so only you can read the {what}.")
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise FarmError(f"{path} is empty; delete it and run `shotloom farm token` to make a new {what}.")
    return value


def write_secret(path: Path, value: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(path, (value.strip() + "\n").encode("utf-8"), mode=0o600)


def ensure_secret(path: Path, what: str = "token") -> str:
    """The secret in `path`, made (0600) when there is none yet."""
    if not path.exists():
        write_secret(path, new_token())
    return read_secret(path, what)


def bearer_matches(header: str | None, token: str) -> bool:
    """True when an Authorization header carries exactly `token` (constant-time comparison)."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return False
    return hmac.compare_digest(value.strip().encode("utf-8"), token.encode("utf-8"))


# -- the Host header --------------------------------------------------------------------------------

def host_name(header: str | None) -> str | None:
    """The host part of a Host header, lower-case, without port or IPv6 brackets."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else None
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(bind: str, names: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    """The names a farm bound to `bind` answers to: loopback names always (SSH tunnels), the bound
    address when it is a specific one, and the names given with `--name`."""
    hosts = {"127.0.0.1", "localhost", "::1"}
    try:
        if not ipaddress.ip_address(bind).is_unspecified:
            hosts.add(bind)
    except ValueError:
        hosts.add(bind.lower())
    hosts.update(n.strip().lower() for n in names if n.strip())
    return frozenset(hosts)


# -- TLS --------------------------------------------------------------------------------------------

def certificate_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def ensure_certificate(folder: Path, names: list[str]) -> tuple[Path, Path, str]:
    """A self-signed certificate for `names` (made once, key 0600): (cert, key, sha256 of the DER)."""
    cert_path, key_path = folder / "farm-cert.pem", folder / "farm-key.pem"
    if not (cert_path.is_file() and key_path.is_file()):
        import datetime

        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise FarmError("--tls needs the cryptography package of the farm extra; install it with "
                            "`bash installer/install.sh --farm`, or use an SSH tunnel instead of --tls.") from None
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for name in dict.fromkeys(names):
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shotloom farm")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False).sign(key, hashes.SHA256()))
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()), mode=0o600)
        write_bytes_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    import ssl

    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text(encoding="ascii"))
    return cert_path, key_path, certificate_fingerprint(der)


# -- the creator's side: known farms ----------------------------------------------------------------

def farm_base(url: str) -> str:
    """A farm URL reduced to scheme://host:port (the key under which its token and pin are kept)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FarmError(f"{url!r} is not a farm URL like http://127.0.0.1:8765 or https://gpu-box:8765.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host.lower()}:{port}"


class KnownFarms:
    """Per farm URL: its token and the certificate pinned on first use (user config, mode 0600)."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from engine.paths import user_config_dir

            path = user_config_dir() / "farms.json"
        self.path = path

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        text = read_secret(self.path, "farm tokens")
        try:
            data = json.loads(text)
        except ValueError:
            raise FarmError(f"{self.path} is damaged; delete it and save the farm tokens again "
                            "(`shotloom farm token URL`).") from None
        return data if isinstance(data, dict) else {}

    def get(self, url: str) -> dict[str, Any]:
        return dict(self._load().get(farm_base(url), {}))

    def update(self, url: str, **values: Any) -> None:
        data = self._load()
        entry = data.setdefault(farm_base(url), {})
        entry.update({k: v for k, v in values.items() if v is not None})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, data, mode=0o600)
