"""``srbench study serve --ssl-certfile/--ssl-keyfile``: the study over HTTPS with uvicorn's TLS (self-signed
certificate made here, loopback only)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from study_helpers import ADMIN, free_port

from srbench.errors import ConfigError, DataError
from srbench.study.server import ServeOptions, server_config


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_the_study_is_served_over_https_with_uvicorns_tls(study: Path, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    opts = ServeOptions(port=free_port(), admin_token=ADMIN, ssl_certfile=cert, ssl_keyfile=key)
    assert opts.url.startswith("https://") and not opts.public_plain_http
    server = uvicorn.Server(server_config(study, opts))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        client = httpx.Client(verify=ctx, timeout=2.0)
        for _ in range(200):
            try:
                r = client.get(opts.url + "healthz")
                break
            except httpx.TransportError:
                threading.Event().wait(0.05)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        info = client.get(opts.url + "api/info").json()
        assert info["title"] and info["consent"]
        with pytest.raises(httpx.TransportError):  # plain HTTP is not answered on the TLS port
            httpx.get(f"http://127.0.0.1:{opts.port}/healthz", timeout=2.0)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_tls_options_are_checked(study: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="both --ssl-certfile and --ssl-keyfile"):
        server_config(study, ServeOptions(admin_token=ADMIN, ssl_certfile=tmp_path / "c.pem"))
    with pytest.raises(DataError, match="no such file"):
        server_config(study, ServeOptions(admin_token=ADMIN, ssl_certfile=tmp_path / "c", ssl_keyfile=tmp_path / "k"))
    assert ServeOptions(host="0.0.0.0").public_plain_http and not ServeOptions().public_plain_http
