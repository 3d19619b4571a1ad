"""Downloads, resume, archives and whole-dataset fetches against a local HTTP server (never the internet)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import tarfile
import threading
import types
import urllib.parse
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pooch
import pytest
from PIL import Image

from srbench.data import fetch
from srbench.data.datasets import CATALOGUED, CatalogSpec
from srbench.data.fetch import download, extract_archive, fetch_dataset, mirror_url
from srbench.data.verify import verify_dataset
from srbench.errors import DataError

# --- a local HTTP server with Range support, dropped connections and a request log --------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    requests: list[tuple[str, str | None]]
    drop_after: dict[str, int]  # path -> drop the connection once, after this many bytes of the file
    fail: dict[str, int]  # path -> answer 503 this many times
    ignore_range: bool

    def url(self, rel: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/{rel}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        rel = urllib.parse.unquote(self.path.split("?", 1)[0]).lstrip("/")
        rng = self.headers.get("Range")
        srv.requests.append((rel, rng))
        if srv.fail.get(rel, 0) > 0:
            srv.fail[rel] -= 1
            self.send_error(503, "Service Unavailable")
            return
        path = srv.root / rel
        if not path.is_file():
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        start, status = 0, 200
        if rng and not srv.ignore_range:
            m = re.fullmatch(r"bytes=(\d+)-", rng)
            assert m, rng
            start = int(m.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        cut = srv.drop_after.pop(rel, None)
        if cut is not None:  # simulate an interrupted transfer: half a body, then a closed connection
            self.wfile.write(body[: max(0, cut - start)])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    www = tmp_path / "www"
    www.mkdir()
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.root, srv.requests, srv.drop_after, srv.fail, srv.ignore_range = www, [], {}, {}, False
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def _fast_and_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pooch.core, "time", types.SimpleNamespace(sleep=lambda s: None))  # no waits between retries
    monkeypatch.delenv("SRBENCH_MIRROR", raising=False)


# --- a tiny catalog -----------------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encode(arr: np.ndarray, fmt: str = "PNG", **kw: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **kw)
    return buf.getvalue()


def _record(file: str, data: bytes) -> dict[str, Any]:
    with Image.open(io.BytesIO(data)) as im:
        px = np.ascontiguousarray(np.asarray(im))
    return {
        "file": file,
        "width": px.shape[1],
        "height": px.shape[0],
        "channels": 1 if px.ndim == 2 else px.shape[2],
        "sha256": _sha(data),
        "pixel_sha256": _sha(px.tobytes()),
    }


def _rgb(seed: int, size: int = 16) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(members: dict[str, bytes], mode: Any = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_toy(www: Path, base: str) -> CatalogSpec:
    """8 files: plain PNGs (HR + LR), a JPEG to decode, one zip for two images, a tar.gz with HR + LR."""
    files = www / "files"
    files.mkdir(parents=True, exist_ok=True)
    a, a2 = _encode(_rgb(1)), _encode(_rgb(2, 8))
    b = _encode(np.random.default_rng(3).integers(0, 256, (16, 16), dtype=np.uint8))
    c_jpg = _encode(_rgb(4), "JPEG", quality=90)
    with Image.open(io.BytesIO(c_jpg)) as im:
        c_png = _encode(np.asarray(im), compress_level=9)  # the catalog's PNG; ours may differ in bytes
    d, d2, e, e2 = _encode(_rgb(5)), _encode(_rgb(6)), _encode(_rgb(7)), _encode(_rgb(8, 8))
    blobs = {
        "a.png": a,
        "a_x2.png": a2,
        "b.png": b,
        "c.jpg": c_jpg,
        "d.zip": _zip({"inner/d.png": d, "inner/d2.png": d2, "inner/readme.txt": b"not extracted"}),
        "e.tar.gz": _tar({"pack/e.png": e, "pack/e_x2.png": e2}),
    }
    for name, data in blobs.items():
        (files / name).write_bytes(data)
    url = f"{base.rstrip('/')}/files/"
    zsha, tsha = _sha(blobs["d.zip"]), _sha(blobs["e.tar.gz"])
    images = [
        {
            "id": "a",
            "hr": _record("hr/a.png", a),
            "lr": {"lr_x2": _record("lr_x2/a.png", a2)},
            "sources": [
                {"url": url + "a.png", "dest": "hr/a.png", "sha256": _sha(a)},
                {"url": url + "a_x2.png", "dest": "lr_x2/a.png", "sha256": _sha(a2)},
            ],
        },
        {
            "id": "b",
            "hr": _record("hr/b.png", b),
            "sources": [{"url": url + "b.png", "dest": "hr/b.png", "sha256": _sha(b)}],
        },
        {
            "id": "c",
            "hr": _record("hr/c.png", c_png),
            "sources": [{"url": url + "c.jpg", "dest": "hr/c.png", "sha256": _sha(c_jpg), "convert": "decode-to-png"}],
        },
        {
            "id": "d",
            "hr": _record("hr/d.png", d),
            "sources": [
                {
                    "url": url + "d.zip",
                    "sha256": zsha,
                    "archive": "zip",
                    "members": {"inner/d.png": "hr/d.png"},
                }
            ],
        },
        {
            "id": "d2",
            "hr": _record("hr/d2.png", d2),
            "sources": [
                {
                    "url": url + "d.zip",
                    "sha256": zsha,
                    "archive": "zip",
                    "members": {"inner/d2.png": "hr/d2.png"},
                }
            ],
        },
        {
            "id": "e",
            "hr": _record("hr/e.png", e),
            "lr": {"lr_x2": _record("lr_x2/e.png", e2)},
            "sources": [
                {
                    "url": url + "e.tar.gz",
                    "sha256": tsha,
                    "archive": "tar",
                    "members": {"pack/e.png": "hr/e.png", "pack/e_x2.png": "lr_x2/e.png"},
                }
            ],
        },
    ]
    doc = {
        "name": "toy",
        "title": "Toy",
        "version": 1,
        "lr_protocols": {"lr_x2": {"scale": 2}},
        "images": images,
    }
    return CatalogSpec.from_json(json.loads(json.dumps(doc)))


ALL_DESTS = {
    "hr/a.png",
    "lr_x2/a.png",
    "hr/b.png",
    "hr/c.png",
    "hr/d.png",
    "hr/d2.png",
    "hr/e.png",
    "lr_x2/e.png",
}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _leftovers(root: Path) -> list[Path]:
    """Temporary files and folders a fetch must not leave behind."""
    return [p for p in root.rglob("*") if p.name.startswith("tmp") or ".extract-" in p.name or p.name == ".downloads"]


# --- fetch_dataset ------------------------------------------------------------------------------------------


def test_full_fetch_verifies_and_second_fetch_downloads_nothing(server: _Server, tmp_path: Path) -> None:
    spec = make_toy(server.root, server.url(""))
    root = tmp_path / "data"
    report = fetch_dataset(spec, root, progress=False)
    assert report.ok, report.lines()
    assert set(report.downloaded) == ALL_DESTS and not report.skipped and not report.failed
    assert report.verification is not None and report.verification.ok
    assert sorted(server.paths()) == sorted(
        f"files/{n}" for n in ("a.png", "a_x2.png", "b.png", "c.jpg", "d.zip", "e.tar.gz")
    )  # the zip named by two images is downloaded once
    assert (root / "toy/hr/a.png").read_bytes() == (server.root / "files/a.png").read_bytes()
    assert not (root / "toy/inner").exists() and not (root / "toy/hr/readme.txt").exists()
    assert verify_dataset(spec, root).ok
    assert _leftovers(tmp_path / "data") == []
    umask = _umask()
    assert {(root / "toy" / d).stat().st_mode & 0o777 for d in ALL_DESTS} == {0o666 & ~umask}

    n = len(server.requests)
    again = fetch_dataset(spec, root, progress=False)
    assert len(server.requests) == n  # nothing downloaded
    assert again.ok and again.downloaded == [] and set(again.skipped) == ALL_DESTS


def test_fetch_with_progress_bar(server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = make_toy(server.root, server.url(""))
    report = fetch_dataset(spec, tmp_path / "data", progress=True)
    assert report.ok
    assert "Toy" in capsys.readouterr().err
    assert report.lines()[0] == "toy: 8 downloaded, 0 already present, 0 failed"


def test_fetch_repairs_only_what_is_damaged(server: _Server, tmp_path: Path) -> None:
    spec = make_toy(server.root, server.url(""))
    root = tmp_path / "data"
    assert fetch_dataset(spec, root, progress=False).ok
    (root / "toy/hr/a.png").write_bytes(b"garbage")
    (root / "toy/lr_x2/e.png").unlink()
    Image.open(root / "toy/hr/b.png").save(root / "toy/hr/b.png", compress_level=0)  # same pixels: fine
    server.requests.clear()
    report = fetch_dataset(spec, root, progress=False)
    assert report.ok, report.lines()
    assert sorted(report.downloaded) == ["hr/a.png", "hr/e.png", "lr_x2/e.png"]
    assert sorted(server.paths()) == ["files/a.png", "files/e.tar.gz"]


def test_fetch_lists_failures_and_fetches_the_rest(server: _Server, tmp_path: Path) -> None:
    spec = make_toy(server.root, server.url(""))
    (server.root / "files/b.png").unlink()
    report = fetch_dataset(spec, tmp_path / "data", progress=False)
    assert not report.ok
    assert [d for d, _ in report.failed] == ["hr/b.png"]
    why = report.failed[0][1]
    assert "HTTP 404" in why and "--mirror" in why and "\n" not in why
    assert set(report.downloaded) == ALL_DESTS - {"hr/b.png"}
    assert report.verification is not None
    assert [c.path.name for c in report.verification.problems] == ["b.png"]
    assert all("\n" not in line for line in report.lines())


def test_fetch_refuses_a_conversion_with_other_pixels(server: _Server, tmp_path: Path) -> None:
    spec = make_toy(server.root, server.url(""))
    doc = json.loads(json.dumps({"name": spec.name, "title": spec.title, "images": list(spec.images)}))
    doc["images"][2]["hr"]["pixel_sha256"] = "f" * 64  # image "c", decoded from the JPEG
    report = fetch_dataset(CatalogSpec.from_json(doc), tmp_path / "data", progress=False)
    assert [d for d, _ in report.failed] == ["hr/c.png"]
    assert "decoded pixels differ" in report.failed[0][1] and "--mirror" in report.failed[0][1]
    assert not (tmp_path / "data/toy/hr/c.png").exists() and _leftovers(tmp_path / "data") == []


def test_an_interrupted_fetch_resumes_file_by_file(server: _Server, tmp_path: Path) -> None:
    """pooch does not resume a partial transfer; a dataset fetch resumes by skipping every finished file."""
    spec = make_toy(server.root, server.url(""))
    (server.root / "files/b.png").rename(server.root / "files/b.away")
    first = fetch_dataset(spec, tmp_path / "data", progress=False)
    assert [d for d, _ in first.failed] == ["hr/b.png"]
    (server.root / "files/b.away").rename(server.root / "files/b.png")
    server.requests.clear()
    again = fetch_dataset(spec, tmp_path / "data", progress=False)
    assert again.ok and again.downloaded == ["hr/b.png"] and server.paths() == ["files/b.png"]


def test_a_dropped_connection_is_retried_within_the_fetch(server: _Server, tmp_path: Path) -> None:
    spec = make_toy(server.root, server.url(""))
    size = (server.root / "files/e.tar.gz").stat().st_size
    server.drop_after["files/e.tar.gz"] = size // 2
    report = fetch_dataset(spec, tmp_path / "data", progress=False)
    assert report.ok, report.lines()
    assert server.paths().count("files/e.tar.gz") == 2
    assert _leftovers(tmp_path / "data") == []


def test_fetch_from_a_mirror_of_the_data_root(server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = make_toy(server.root, server.url(""))
    assert fetch_dataset(spec, server.root / "mirror", progress=False).ok  # a data root, served as a mirror
    png = server.root / "mirror/toy/hr/d.png"
    Image.open(png).save(png, compress_level=1)  # re-encoded on the mirror: same pixels, other bytes
    server.requests.clear()
    report = fetch_dataset(spec, tmp_path / "data", mirror=server.url("mirror/"), progress=False)
    assert report.ok, report.lines()
    assert sorted(server.paths()) == sorted(f"mirror/toy/{d}" for d in ALL_DESTS)
    assert _leftovers(tmp_path / "data") == []

    # $SRBENCH_MIRROR, naming a local folder
    monkeypatch.setenv("SRBENCH_MIRROR", str(server.root / "mirror"))
    server.requests.clear()
    report = fetch_dataset(spec, tmp_path / "data2", progress=False)
    assert report.ok and set(report.downloaded) == ALL_DESTS and server.requests == []


def test_mirror_with_a_modified_file_is_refused(server: _Server, tmp_path: Path) -> None:
    spec = make_toy(server.root, server.url(""))
    assert fetch_dataset(spec, server.root / "mirror", progress=False).ok
    png = server.root / "mirror/toy/hr/a.png"
    px = np.array(Image.open(png))
    px[0, 0, 0] ^= 1
    Image.fromarray(px).save(png)
    report = fetch_dataset(spec, tmp_path / "data", mirror=server.url("mirror"), progress=False)
    assert [d for d, _ in report.failed] == ["hr/a.png"]
    assert "does not match the catalog" in report.failed[0][1]
    assert not (tmp_path / "data/toy/hr/a.png").exists()


def test_mirror_url() -> None:
    assert mirror_url("https://m.example/sr/", "set5", "hr/baby.png") == "https://m.example/sr/set5/hr/baby.png"
    assert mirror_url("http://h/x", "s", "hr/a b.png") == "http://h/x/s/hr/a%20b.png"
    assert mirror_url("/srv/data", "set5", "hr/baby.png") == "file:///srv/data/set5/hr/baby.png"


# --- download -----------------------------------------------------------------------------------------------


@pytest.fixture
def blob(server: _Server) -> bytes:
    data = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    (server.root / "blob.bin").write_bytes(data)
    return data


def test_download_retries_a_dropped_connection_from_zero(server: _Server, tmp_path: Path, blob: bytes) -> None:
    server.drop_after["blob.bin"] = 100_000
    seen: list[tuple[int, int | None]] = []
    dest = download(
        server.url("blob.bin"),
        tmp_path / "out/blob.bin",
        _sha(blob),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert dest.read_bytes() == blob
    assert server.requests == [("blob.bin", None), ("blob.bin", None)]
    assert list(dest.parent.iterdir()) == [dest]
    assert seen[-1] == (len(blob), len(blob))
    assert dest.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_an_interrupted_download_leaves_nothing_behind(server: _Server, tmp_path: Path, blob: bytes) -> None:
    dest = tmp_path / "out" / "blob.bin"
    server.drop_after["blob.bin"] = 123_456
    with pytest.raises(DataError) as exc:
        download(server.url("blob.bin"), dest, _sha(blob), retries=0)
    msg = str(exc.value)
    assert "\n" not in msg and server.url("blob.bin") in msg and "1 attempt(s)" in msg and "--mirror" in msg
    assert list(dest.parent.iterdir()) == []


def test_download_sha_mismatch_leaves_nothing(server: _Server, tmp_path: Path, blob: bytes) -> None:
    dest = tmp_path / "blob.bin"
    wrong = "0" * 64
    with pytest.raises(DataError) as exc:
        download(server.url("blob.bin"), dest, wrong)
    msg = str(exc.value)
    assert server.url("blob.bin") in msg and wrong in msg and _sha(blob) in msg and "--mirror" in msg
    assert "\n" not in msg
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "www"]


def test_download_404_is_one_line_and_not_retried(server: _Server, tmp_path: Path) -> None:
    url = server.url("nope.png")
    with pytest.raises(DataError) as exc:
        download(url, tmp_path / "nope.png", None)
    assert str(exc.value) == f"cannot download {url} (HTTP 404 Not Found); check your network or use --mirror"
    assert len(server.requests) == 1
    assert list(tmp_path.iterdir()) == [tmp_path / "www"]


def test_download_retries_server_errors(server: _Server, tmp_path: Path, blob: bytes) -> None:
    server.fail["blob.bin"] = 2
    download(server.url("blob.bin"), tmp_path / "b.bin", _sha(blob), retries=2)
    assert len(server.requests) == 3
    server.fail["blob.bin"] = 5
    with pytest.raises(DataError, match=r"HTTP 503 .* 2 attempt\(s\)"):
        download(server.url("blob.bin"), tmp_path / "c.bin", _sha(blob), retries=1)


def test_download_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match="check your network or use --mirror") as exc:
        download(f"http://127.0.0.1:{port}/x.png", tmp_path / "x.png", None, retries=1, timeout=5)
    assert "\n" not in str(exc.value)


def test_download_skips_a_valid_dest_and_replaces_a_wrong_one(server: _Server, tmp_path: Path, blob: bytes) -> None:
    dest = tmp_path / "blob.bin"
    dest.write_bytes(blob)
    download(server.url("blob.bin"), dest, _sha(blob))
    assert server.requests == []
    dest.write_bytes(b"old")
    download(server.url("blob.bin"), dest, _sha(blob))
    assert dest.read_bytes() == blob and len(server.requests) == 1


def test_download_file_url_and_bad_scheme(tmp_path: Path) -> None:
    src = tmp_path / "src dir" / "f.bin"
    src.parent.mkdir()
    src.write_bytes(b"hello" * 1000)
    out = download(src.as_uri(), tmp_path / "f.bin", _sha(src.read_bytes()))
    assert out.read_bytes() == src.read_bytes()
    with pytest.raises(DataError, match="check the path"):
        download((tmp_path / "missing.bin").as_uri(), tmp_path / "m.bin", None)
    with pytest.raises(DataError, match="unsupported URL scheme 'ftp'"):
        download("ftp://example.org/x", tmp_path / "x", None)


# --- extract_archive ----------------------------------------------------------------------------------------


def test_extract_zip_with_members_into_a_new_folder(tmp_path: Path) -> None:
    arc = tmp_path / "a.zip"
    arc.write_bytes(_zip({"x/one.txt": b"1", "x/two.txt": b"2", "x/skip.txt": b"-"}))
    out = extract_archive(arc, tmp_path / "new", members={"x/one.txt": "hr/1.txt", "./x/two.txt": "lr/2.txt"})
    assert out == [tmp_path / "new/hr/1.txt", tmp_path / "new/lr/2.txt"]
    assert sorted(str(p.relative_to(tmp_path / "new")) for p in (tmp_path / "new").rglob("*.txt")) == [
        "hr/1.txt",
        "lr/2.txt",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "new"]
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o777 & ~_umask()  # not mkdtemp's 0700


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_extract_tar_into_an_existing_folder(tmp_path: Path, mode: str) -> None:
    arc = tmp_path / "a.tar"
    arc.write_bytes(_tar({"p/a.txt": b"a", "p/q/b.txt": b"b"}, mode))
    dest = tmp_path / "dest"
    (dest / "p").mkdir(parents=True)
    (dest / "keep.txt").write_text("mine")
    (dest / "p/a.txt").write_text("old")
    out = extract_archive(arc, dest)
    assert out == [dest / "p/a.txt", dest / "p/q/b.txt"]
    assert (dest / "p/a.txt").read_bytes() == b"a" and (dest / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar", "dest"]


def _tar_with_link(name: str, target: str, *, hard: bool) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = b"payload"
        info = tarfile.TarInfo("pack/real.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(name)
        link.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
        link.linkname = target
        tf.addfile(link)
    return buf.getvalue()


def _zip_with_symlink(name: str, target: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("pack/real.txt", b"payload")
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (0o120777 << 16) & 0xFFFF0000
        zf.writestr(info, target)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,blob",
    [
        ("zip-dotdot.zip", _zip({"../evil.txt": b"x"})),
        ("zip-abs.zip", _zip({"/tmp/evil.txt": b"x"})),
        ("zip-nested-dotdot.zip", _zip({"ok/../../evil.txt": b"x"})),
        ("zip-symlink.zip", _zip_with_symlink("pack/link", "../../evil.txt")),
        ("tar-dotdot.tar", _tar({"../../evil.txt": b"x"}, "w")),
        ("tar-abs.tar.gz", _tar({"/etc/evil.txt": b"x"})),
        ("tar-symlink.tar", _tar_with_link("pack/link", "../../../etc/passwd", hard=False)),
        ("tar-abs-symlink.tar", _tar_with_link("pack/link", "/etc/passwd", hard=False)),
        ("tar-hardlink.tar", _tar_with_link("pack/link", "../outside.txt", hard=True)),
    ],
)
def test_extract_refuses_path_traversal(tmp_path: Path, name: str, blob: bytes) -> None:
    arc = tmp_path / "in" / name
    arc.parent.mkdir()
    arc.write_bytes(blob)
    dest = tmp_path / "a" / "b" / "dest"
    with pytest.raises(DataError, match="refusing to extract") as exc:
        extract_archive(arc, dest)
    assert "\n" not in str(exc.value)
    assert not dest.exists()
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["in", f"in/{name}"]


def test_extract_links_inside_the_archive_become_copies(tmp_path: Path) -> None:
    for arc_name, blob in [
        ("s.tar", _tar_with_link("pack/alias.txt", "real.txt", hard=False)),
        ("h.tar", _tar_with_link("pack/alias.txt", "pack/real.txt", hard=True)),
        ("s.zip", _zip_with_symlink("pack/alias.txt", "real.txt")),
        ("nested.zip", _zip_with_symlink("pack/sub/alias.txt", "../real.txt")),
        ("nested.tar", _tar_with_link("pack/sub/alias.txt", "../real.txt", hard=False)),
    ]:
        arc = tmp_path / arc_name
        arc.write_bytes(blob)
        dest = tmp_path / f"out-{arc_name}"
        member = "pack/sub/alias.txt" if arc_name.startswith("nested") else "pack/alias.txt"
        extract_archive(arc, dest, members={member: "hr/a.txt"})
        out = dest / "hr/a.txt"
        assert out.read_bytes() == b"payload" and not out.is_symlink(), arc_name


def test_extract_missing_member_and_corrupt_archives(tmp_path: Path) -> None:
    arc = tmp_path / "a.zip"
    arc.write_bytes(_zip({"x.txt": b"1"}))
    with pytest.raises(DataError, match=r"no file 'y\.txt' in the archive"):
        extract_archive(arc, tmp_path / "out", members={"y.txt": "y.txt"})
    with pytest.raises(DataError, match="unsafe path"):
        extract_archive(arc, tmp_path / "out", members={"x.txt": "../x.txt"})
    (tmp_path / "junk.bin").write_bytes(b"definitely not an archive" * 10)
    with pytest.raises(DataError, match="not a zip or tar archive"):
        extract_archive(tmp_path / "junk.bin", tmp_path / "out")
    data = _tar({"big.bin": np.random.default_rng(1).bytes(200_000)})
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt or truncated"):
        extract_archive(tmp_path / "cut.tar.gz", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if ".extract-" in p.name]


def test_fetch_refuses_a_catalog_dest_outside_the_dataset(server: _Server, tmp_path: Path) -> None:
    doc: dict[str, Any] = {"name": "bad", "title": "Bad", "images": [{"id": "x", "hr": {}, "sources": []}]}
    doc["images"][0]["sources"] = [{"url": server.url("x.png"), "dest": "../../x.png", "sha256": "0" * 64}]
    with pytest.raises(DataError, match="unsafe path"):
        fetch_dataset(CatalogSpec.from_json(doc), tmp_path, progress=False)


# --- the real catalogs (no network) -------------------------------------------------------------------------


@pytest.mark.parametrize("name", CATALOGUED)
def test_real_catalogs_have_pinned_https_sources(name: str) -> None:
    spec = CatalogSpec.load(name)
    assert spec.name == name and spec.images
    records = {spec.hr_record(item).file for item in spec.images}
    records |= {lr["file"] for item in spec.images for lr in item.get("lr", {}).values()}
    dests = set()
    for item in spec.images:
        assert item["sources"], item["id"]
        for src in item["sources"]:
            assert re.fullmatch(r"[0-9a-f]{64}", src["sha256"]), src
            url = urllib.parse.urlsplit(src["url"])
            assert url.scheme == "https" and url.netloc, src
            if url.netloc == "raw.githubusercontent.com":  # pinned to a commit, not a branch
                assert re.fullmatch(r"/[^/]+/[^/]+/[0-9a-f]{40}/.+", url.path), src["url"]
            assert src.get("convert") in (None, *fetch.CONVERSIONS)
            dests.add(src["dest"])
    assert dests == records  # every catalogued file has exactly the sources that make it
    jobs = fetch._plan(spec, None)
    assert {d for j in jobs for d in j.dests} == records
    assert all(j.url == mirror_url("https://m/x", name, j.dests[0]) for j in fetch._plan(spec, "https://m/x"))
