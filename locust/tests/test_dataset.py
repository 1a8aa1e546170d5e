"""locust/oleada_dataset.py: bundled data sets, reference parsing, and verification of what a registry serves.

The round trip against a real registry (TypeScript pushes, this module pulls, checksums equal; wrong
credentials) is tools/oci/src/dataset-roundtrip.spec.ts. Here a tiny in-process registry stands in
where a real one cannot misbehave on purpose: a blob that does not match its digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import oleada_dataset as od  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_bundled_dataset_is_the_scenario_file(monkeypatch):
    monkeypatch.delenv("OLEADA_DATASET", raising=False)
    data = od.load_dataset("blackfriday")
    assert data == json.loads((REPO_ROOT / "libs/scenarios/src/blackfriday/dataset.json").read_text())
    assert data["scenario"] == "blackfriday"


def test_unknown_or_invalid_scenarios_are_refused(monkeypatch):
    monkeypatch.delenv("OLEADA_DATASET", raising=False)
    with pytest.raises(od.DatasetError, match="no bundled data set for scenario 'nosuch'"):
        od.load_dataset("nosuch")
    with pytest.raises(od.DatasetError, match="invalid scenario name"):
        od.load_dataset("../etc")


def test_oleada_dataset_must_be_an_oci_reference(monkeypatch):
    monkeypatch.setenv("OLEADA_DATASET", "/tmp/dataset.json")
    with pytest.raises(od.DatasetError, match="must be an oci:// reference"):
        od.load_dataset("blackfriday")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("oci://zot.example.com:5000/oleada/datasets/blackfriday:v1", ("zot.example.com:5000", "oleada/datasets/blackfriday", "v1", None)),
        ("127.0.0.1:5000/oleada/datasets/weather@sha256:" + "a" * 64, ("127.0.0.1:5000", "oleada/datasets/weather", None, "sha256:" + "a" * 64)),
    ],
)
def test_parse_reference(text, expected):
    ref = od.parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == expected


@pytest.mark.parametrize("text", ["oleada:v1", "zot:5000/oleada/datasets/blackfriday", "zot:5000/Oleada/x:v1"])
def test_parse_reference_rejects(text):
    with pytest.raises(od.DatasetError, match="invalid artifact reference"):
        od.parse_reference(text)


def test_plain_http_only_on_loopback():
    assert od.is_loopback("127.0.0.1:5000") and od.is_loopback("localhost:5000") and od.is_loopback("[::1]:5000")
    assert not od.is_loopback("10.0.0.1:5000") and not od.is_loopback("zot.example.com")
    with pytest.raises(od.DatasetError, match="only allowed for a loopback registry"):
        od.pull_dataset("oci://zot.example.com:5000/oleada/datasets/blackfriday:v1", env={"REGISTRY_INSECURE": "1"})


class FakeRegistry:
    """Serves one artifact over the distribution API with Basic auth; `tamper` corrupts the blob."""

    def __init__(self, dataset: dict, artifact_type: str = od.ARTIFACT_TYPE, tamper: bool = False):
        self.blob = json.dumps(dataset).encode()
        digest = "sha256:" + hashlib.sha256(self.blob).hexdigest()
        self.manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": od.OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
            "layers": [{"mediaType": od.LAYER_MEDIA_TYPE, "digest": digest, "size": len(self.blob)}],
        }).encode()
        self.digest = digest
        served = self.blob[:-1] + b" " if tamper else self.blob
        registry = self
        expected_auth = "Basic " + base64.b64encode(b"u:p").decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                if self.headers.get("Authorization") != expected_auth:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="fake"')
                    self.end_headers()
                    return
                if self.path.endswith("/manifests/v1"):
                    body, ctype = registry.manifest, od.OCI_MANIFEST
                    digest = "sha256:" + hashlib.sha256(body).hexdigest()
                elif self.path.endswith(f"/blobs/{registry.digest}"):
                    body, ctype, digest = served, "application/octet-stream", registry.digest
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Docker-Content-Digest", digest)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def env():
    return {"ZOT_USERNAME": "u", "ZOT_PASSWORD": "p", "REGISTRY_INSECURE": "1"}


def test_pulls_and_substitutes_the_scenario(monkeypatch, env):
    registry = FakeRegistry({"scenario": "blackfriday", "version": 1})
    try:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OLEADA_DATASET", f"oci://{registry.address}/oleada/datasets/{{scenario}}:v1")
        assert od.load_dataset("blackfriday") == {"scenario": "blackfriday", "version": 1}
    finally:
        registry.close()


def test_a_blob_that_does_not_match_its_digest_is_refused(env):
    registry = FakeRegistry({"scenario": "blackfriday"}, tamper=True)
    try:
        with pytest.raises(od.DatasetError, match="digest mismatch"):
            od.pull_dataset(f"oci://{registry.address}/oleada/datasets/blackfriday:v1", env=env)
    finally:
        registry.close()


def test_a_data_set_for_another_scenario_is_refused(monkeypatch, env):
    registry = FakeRegistry({"scenario": "weather"})
    try:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OLEADA_DATASET", f"oci://{registry.address}/oleada/datasets/blackfriday:v1")
        with pytest.raises(od.DatasetError, match="is for scenario 'weather', not 'blackfriday'"):
            od.load_dataset("blackfriday")
    finally:
        registry.close()


def test_wrong_credentials_and_missing_credentials(env):
    registry = FakeRegistry({"scenario": "blackfriday"})
    try:
        ref = f"oci://{registry.address}/oleada/datasets/blackfriday:v1"
        with pytest.raises(od.RegistryAuthError, match='failed for user "u": check ZOT_USERNAME and ZOT_PASSWORD'):
            od.pull_dataset(ref, env={**env, "ZOT_PASSWORD": "wrong"})
        with pytest.raises(od.RegistryAuthError, match="requires authentication: set ZOT_USERNAME and ZOT_PASSWORD"):
            od.pull_dataset(ref, env={"REGISTRY_INSECURE": "1"})
    finally:
        registry.close()
