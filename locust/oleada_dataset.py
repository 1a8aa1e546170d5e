"""Scenario sample data for Locust: pulled from the registry (Zot) as an OCI artifact, or bundled.

``load_dataset("blackfriday")`` returns the scenario's data set as a dict:

* when ``OLEADA_DATASET=oci://<host:port>/<repository>:<tag>`` is set, from the registry. The
  reference may contain ``{scenario}`` (``oci://zot:5000/oleada/datasets/{scenario}:v1``) so one
  variable serves every scenario. The artifact is the one ``npx nx run oci:publish-dataset``
  publishes (artifactType ``application/vnd.oleada.dataset.v1+json``, one layer of type
  ``application/vnd.oleada.dataset.layer.v1+json``); manifest and layer digests are verified.
  Credentials come from ``ZOT_USERNAME``/``ZOT_PASSWORD``; ``REGISTRY_CA_FILE`` names the CA of a
  self-signed Zot; ``REGISTRY_INSECURE=1`` allows plain HTTP to a loopback registry only.
* otherwise, from the copy in the repository: ``libs/scenarios/src/<scenario>/dataset.json``.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import requests

__all__ = [
    "ARTIFACT_TYPE",
    "LAYER_MEDIA_TYPE",
    "DatasetError",
    "RegistryAuthError",
    "PulledDataset",
    "Reference",
    "bundled_dataset_path",
    "load_dataset",
    "parse_reference",
    "pull_dataset",
]

ARTIFACT_TYPE = "application/vnd.oleada.dataset.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oleada.dataset.layer.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

REPO_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 30

_SCENARIO = re.compile(r"^[a-z][a-z0-9-]*$")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")

log = logging.getLogger(__name__)


class DatasetError(RuntimeError):
    """The data set could not be loaded or is not what it claims to be."""


class RegistryAuthError(DatasetError):
    """The registry refused our credentials (or we had none)."""


@dataclass(frozen=True)
class Reference:
    registry: str
    repository: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def manifest_reference(self) -> str:
        return self.digest or self.tag or ""

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.registry}/{self.repository}{tag}{digest}"


@dataclass(frozen=True)
class PulledDataset:
    manifest_digest: str
    layer_digest: str
    data: bytes

    def json(self) -> dict:
        return _parse_json(self.data, self.layer_digest)


def parse_reference(text: str) -> Reference:
    """``[oci://]host[:port]/repository[:tag][@sha256:…]``; the registry host is always explicit."""
    raw = text[len("oci://"):] if text.startswith("oci://") else text

    def bad(why: str) -> DatasetError:
        return DatasetError(f'invalid artifact reference "{text}": {why} (expected oci://host[:port]/repository:tag)')

    registry, slash, rest = raw.partition("/")
    if not slash or not registry:
        raise bad("no registry host")
    rest, at, digest = rest.partition("@")
    if at and not _DIGEST.match(digest):
        raise bad(f'bad digest "{digest}"')
    tag = None
    if ":" in rest:
        rest, _, tag = rest.rpartition(":")
        if not _TAG.match(tag):
            raise bad(f'bad tag "{tag}"')
    if not rest or not all(_COMPONENT.match(part) for part in rest.split("/")):
        raise bad(f'bad repository "{rest}"')
    if not tag and not at:
        raise bad("no tag or digest")
    return Reference(registry, rest, tag, digest if at else None)


def is_loopback(registry: str) -> bool:
    host = registry
    if host.startswith("["):
        host = host[1:host.index("]")]
    elif ":" in host:
        host = host.rsplit(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
        for m in re.finditer(r'([A-Za-z0-9_-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))', rest)
    }
    return scheme.lower(), params


def _error_detail(response: requests.Response) -> str:
    try:
        first = response.json()["errors"][0]
        return f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:200]


class _RegistrySession:
    """GETs against the distribution API, answering Basic or Bearer challenges as the registry asks."""

    def __init__(self, ref: Reference, env: Mapping[str, str]):
        self.ref = ref
        insecure = _flag(env.get("REGISTRY_INSECURE"))
        if insecure and not is_loopback(ref.registry):
            raise DatasetError(
                f'REGISTRY_INSECURE=1 (plain HTTP) is only allowed for a loopback registry, not "{ref.registry}": '
                "use HTTPS, and REGISTRY_CA_FILE for a self-signed certificate"
            )
        self.base = f"{'http' if insecure else 'https'}://{ref.registry}"
        username, password = env.get("ZOT_USERNAME") or None, env.get("ZOT_PASSWORD") or None
        if (username is None) != (password is None):
            raise DatasetError("set both ZOT_USERNAME and ZOT_PASSWORD, or neither")
        self.username = username
        self.credentials = (username, password) if username and password else None
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "oleada-locust-dataset/0.1"
        ca_file = env.get("REGISTRY_CA_FILE")
        if ca_file:
            self.session.verify = ca_file
        self.authorization: Optional[str] = None

    def get(self, path: str, accept: Optional[str] = None) -> requests.Response:
        url = f"{self.base}{path}"
        response = self._send(url, accept)
        if response.status_code == 401:
            self._answer(response)
            response = self._send(url, accept)
        if response.status_code in (401, 403):
            who = f'user "{self.username}"' if self.username else "anonymous"
            if response.status_code == 403:
                raise RegistryAuthError(f"{who} may not pull {self.ref} ({_error_detail(response)})")
            raise RegistryAuthError(
                f"authentication to {self.ref.registry} failed for {who}: check ZOT_USERNAME and ZOT_PASSWORD "
                f"({_error_detail(response)})"
            )
        if response.status_code != 200:
            raise DatasetError(f"registry {self.ref.registry}: GET {path} -> {response.status_code} {_error_detail(response)}")
        return response

    def _send(self, url: str, accept: Optional[str]) -> requests.Response:
        headers = {"Accept": accept} if accept else {}
        if self.authorization:
            headers["Authorization"] = self.authorization
        try:
            # requests drops Authorization when a redirect (blob storage) leaves the registry's host.
            return self.session.get(url, headers=headers, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise DatasetError(f"cannot reach registry {self.ref.registry}: {exc}") from exc

    def _answer(self, response: requests.Response) -> None:
        scheme, params = _parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if not self.credentials:
            raise RegistryAuthError(f"registry {self.ref.registry} requires authentication: set ZOT_USERNAME and ZOT_PASSWORD")
        if scheme == "basic":
            token = base64.b64encode(f"{self.credentials[0]}:{self.credentials[1]}".encode()).decode()
            self.authorization = f"Basic {token}"
        elif scheme == "bearer" and params.get("realm"):
            query = {"service": params.get("service")} if params.get("service") else {}
            query["scope"] = params.get("scope") or f"repository:{self.ref.repository}:pull"
            try:
                reply = self.session.get(params["realm"], params=query, auth=self.credentials, timeout=TIMEOUT_SECONDS)
            except requests.RequestException as exc:
                raise DatasetError(f"cannot reach token service {params['realm']}: {exc}") from exc
            if reply.status_code in (401, 403):
                raise RegistryAuthError(
                    f"authentication to {self.ref.registry} failed for user \"{self.username}\": "
                    "check ZOT_USERNAME and ZOT_PASSWORD (token service refused them)"
                )
            reply.raise_for_status()
            body = reply.json()
            self.authorization = f"Bearer {body.get('token') or body.get('access_token')}"
        else:
            raise DatasetError(f"registry {self.ref.registry} asks for unsupported authentication {scheme!r}")


def _verify(data: bytes, digest: str, size: Optional[int], what: str) -> None:
    if not _DIGEST.match(digest or ""):
        raise DatasetError(f"{what}: unsupported digest {digest!r} (only sha256 is verified)")
    if size is not None and len(data) != size:
        raise DatasetError(f"{what}: size mismatch, expected {size} bytes, got {len(data)}")
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise DatasetError(f"{what}: digest mismatch, expected {digest}, got {actual}")


def pull_dataset(reference: str, env: Optional[Mapping[str, str]] = None) -> PulledDataset:
    """Pulls a data set artifact and verifies it (media types, manifest and layer digests)."""
    env = os.environ if env is None else env
    ref = parse_reference(reference)
    registry = _RegistrySession(ref, env)

    response = registry.get(f"/v2/{ref.repository}/manifests/{ref.manifest_reference}", accept=OCI_MANIFEST)
    manifest_bytes = response.content
    manifest_digest = ref.digest or response.headers.get("Docker-Content-Digest")
    if manifest_digest:
        _verify(manifest_bytes, manifest_digest, None, f"manifest of {ref}")
    else:
        manifest_digest = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    manifest = _parse_json(manifest_bytes, f"manifest of {ref}")
    artifact_type = manifest.get("artifactType") or (manifest.get("config") or {}).get("mediaType")
    if artifact_type != ARTIFACT_TYPE:
        raise DatasetError(f"{ref} is not an Oleada data set (artifactType {artifact_type!r}, expected {ARTIFACT_TYPE})")
    layers = [layer for layer in manifest.get("layers") or [] if layer.get("mediaType") == LAYER_MEDIA_TYPE]
    if len(layers) != 1:
        raise DatasetError(f"{ref} has {len(layers)} layers of type {LAYER_MEDIA_TYPE}, expected 1")
    layer = layers[0]

    blob = registry.get(f"/v2/{ref.repository}/blobs/{layer['digest']}").content
    _verify(blob, layer["digest"], layer.get("size"), f"data layer of {ref}")
    return PulledDataset(manifest_digest=manifest_digest, layer_digest=layer["digest"], data=blob)


def _parse_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise DatasetError(f"{what} is not valid JSON: {exc}") from exc


def bundled_dataset_path(scenario: str) -> Path:
    return REPO_ROOT / "libs" / "scenarios" / "src" / scenario / "dataset.json"


def load_dataset(scenario: str) -> dict:
    """The scenario's data set: from ``OLEADA_DATASET=oci://…`` when set, else the bundled copy."""
    if not _SCENARIO.match(scenario or ""):
        raise DatasetError(f"invalid scenario name {scenario!r}")
    source = os.environ.get("OLEADA_DATASET", "").strip()
    if source:
        if not source.startswith("oci://"):
            raise DatasetError(f"OLEADA_DATASET must be an oci:// reference, got {source!r}")
        reference = source.replace("{scenario}", scenario)
        pulled = pull_dataset(reference)
        data = pulled.json()
        origin = f"{reference} ({pulled.manifest_digest})"
    else:
        path = bundled_dataset_path(scenario)
        if not path.is_file():
            raise DatasetError(f"no bundled data set for scenario {scenario!r} at {path}")
        data = _parse_json(path.read_bytes(), str(path))
        origin = str(path)
    if not isinstance(data, dict):
        raise DatasetError(f"data set from {origin} is not a JSON object")
    if data.get("scenario", scenario) != scenario:
        raise DatasetError(f"data set from {origin} is for scenario {data.get('scenario')!r}, not {scenario!r}")
    log.info("loaded %s data set from %s", scenario, origin)
    return data


if __name__ == "__main__":  # python locust/oleada_dataset.py <scenario>: print what Locust would load
    import sys

    logging.basicConfig(level=logging.INFO)
    json.dump(load_dataset(sys.argv[1] if len(sys.argv) > 1 else "blackfriday"), sys.stdout, indent=2)
    print()
