"""`workflowbench catalog fetch` without --from: downloads from a real HTTP server on 127.0.0.1 that
serves a fake upstream tree laid out like raw.githubusercontent.com (/<owner>/<repo>/<ref>/<path>).
The tests marked as needing ../shared build that tree from the local copy of the catalogs (the
WorkflowLLM files pickled as the originals are); the others use a small synthetic catalog."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED
from workflowbench.catalog import fetch as fetch_module
from workflowbench.catalog.fetch import (
    CONTENT,
    LAYOUT,
    LICENSE_SOURCES,
    MIRROR_ENV,
    SOURCES,
    FetchError,
    Pin,
    content_digest,
    download,
    fetch,
    fetch_from,
    load_pickle,
)
from workflowbench.catalog.sources import read_catalogs
from workflowbench.cli import app

CATALOGS = SHARED / "catalogs"
needs_catalogs = pytest.mark.skipif(not CATALOGS.is_dir(), reason=f"the public catalogs are not present at {CATALOGS}")


# --- a local upstream -------------------------------------------------------------------------------


class Upstream(ThreadingHTTPServer):
    """Serves files under ``root`` by URL path. ``faults[path]`` lists what successive requests for
    that path get instead of the file (the last entry repeats): an HTTP status ('500'), 'drop' (close
    without answering), 'short' (promise more bytes than sent), 'hang' (answer after a long pause)
    or 'ok' (the file)."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.faults: dict[str, list[str]] = {}
        self.hits: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Upstream

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        self.server.hits[path] += 1
        plan = self.server.faults.get(path)
        fault = (plan.pop(0) if len(plan) > 1 else plan[0]) if plan else "ok"
        if fault == "drop":
            self.close_connection = True
            return
        if fault.isdigit():
            self.send_error(int(fault))
            return
        if fault == "hang":
            time.sleep(2)
        file = (self.server.root / unquote(path).lstrip("/")).resolve()
        if not file.is_relative_to(self.server.root.resolve()) or not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) + (100 if fault == "short" else 0)))
        self.end_headers()
        self.wfile.write(body)
        if fault == "short":
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    server = Upstream(tmp_path / "upstream")
    server.root.mkdir()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quick retries, no mirror from the environment, and no proxy between the tests and 127.0.0.1."""
    monkeypatch.setattr(fetch_module, "RETRY_DELAY", 0.01)
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


def put(server: Upstream, pin: Pin, data: bytes) -> str:
    """Serve ``data`` as ``pin``'s file; returns its URL path."""
    path = server.root / pin.repo / pin.ref / pin.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return "/" + pin.url("").lstrip("/")


def as_upstream(rel: str, data: bytes) -> bytes:
    """A layout file in the form its repository holds it: WorkflowLLM's as the defaultdict pickles
    its scripts write, ScPL's Shortcuts 2.2 dump tab-indented with one array item a line."""
    pin = SOURCES[rel]
    if pin.convert == "pickle":
        return pickle.dumps(defaultdict(str, json.loads(data)))
    if pin.convert == "pickle-keys":
        return pickle.dumps(defaultdict(list, {name: ["object"] for name in json.loads(data)}))
    if rel == "scpl/WFActions_Shortcuts_2.2.json":
        return json.dumps(json.loads(data), indent="\t", ensure_ascii=False).encode()
    return data


def serve_catalogs(server: Upstream, catalogs: Path) -> None:
    for rel in SOURCES:
        put(server, SOURCES[rel], as_upstream(rel, (catalogs / rel).read_bytes()))
    for rel, pin in LICENSE_SOURCES.items():
        put(server, pin, (catalogs / rel).read_bytes())


# A small catalog in the layout: one WorkflowLLM API, empty other sources.
IDENT = "is.workflow.actions.gettext"
FUNCTION = "is_workflow_actions_gettext"
SMALL: dict[str, Any] = {
    "scpl/App_Identifiers.json": [{"com.example.app": {"Name": "Example"}}],
    "scpl/OutActions.json": {},
    "scpl/WFActions_Shortcuts_2.2.json": [{}],
    "shortcutsbench/2_all_detailed_identifiers.json": [],
    "shortcutsbench/all_api2info.json": {},
    "shortcutsbench/all_api2paraname2paratype.json": {},
    "shortcutsbench/all_api2parasummary.json": {},
    "workflowllm/api_categories.json": {FUNCTION: ["Text"]},
    "workflowllm/api_docs.json": {IDENT: [IDENT, {
        "name": IDENT, "description": "Passes the text to the next action.", "required_parameters": [],
        "optional_parameters": [{"name": "WFTextActionText", "type": "STRING", "description": "The text."}],
        "return_data": [{"name": "Text", "description": "Output data."}]}]},
    "workflowllm/api_key_params.json": {FUNCTION: "WFTextActionText"},
    "workflowllm/api_stubs.json": {FUNCTION: f"def {FUNCTION}(WFTextActionText: str) -> str:\n    pass\n"},
    "workflowllm/apis_with_output.json": [FUNCTION],
}


@pytest.fixture
def small_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the small catalog's digests in place of the real ones."""
    monkeypatch.setattr(fetch_module, "CONTENT", {rel: content_digest(v) for rel, v in SMALL.items()})
    monkeypatch.setattr(fetch_module, "LAYOUT", {rel: "0" * 64 for rel in SMALL})


def serve_small(server: Upstream) -> None:
    for rel, value in SMALL.items():
        put(server, SOURCES[rel], as_upstream(rel, json.dumps(value).encode()))
    for rel, pin in LICENSE_SOURCES.items():
        put(server, pin, f"the licence of {rel}\n".encode())


def fetch_cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["catalog", "fetch", *args])


# --- the pins ------------------------------------------------------------------------------------


def test_every_layout_file_is_pinned_to_a_commit() -> None:
    assert set(SOURCES) == set(LAYOUT) == set(CONTENT)
    for pin in SOURCES.values():
        assert re.fullmatch(r"[0-9a-f]{40}", pin.ref), pin
    assert {pin.convert for rel, pin in SOURCES.items() if rel.startswith("workflowllm/")} <= {"pickle", "pickle-keys"}
    assert SOURCES["scpl/App_Identifiers.json"].url("http://mirror/") == (
        "http://mirror/pfgithub/scpl/1d4bafdcbf6f11870d91f1228cee6ddf9e4889bb/src/Data/App%20Identifiers.json")


@needs_catalogs
def test_pinned_digests_are_those_of_the_local_copy() -> None:
    for rel in LAYOUT:
        data = (CATALOGS / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == LAYOUT[rel], rel
        assert content_digest(json.loads(data)) == CONTENT[rel], rel


def test_content_digest_ignores_formatting_and_container_kinds() -> None:
    value = {"b": [1, 2.5, "é"], "a": {"x": None}}
    assert content_digest(value) == content_digest(json.loads(json.dumps(value, indent="\t")))
    assert content_digest(load_pickle(pickle.dumps(defaultdict(str, {"a": {"x": None}, "b": (1, 2.5, "é")})))) \
        == content_digest(value)
    assert content_digest({"s": {"b", "a"}}) == content_digest({"s": ["a", "b"]})
    assert content_digest(value) != content_digest({**value, "c": 1})


# --- pickles --------------------------------------------------------------------------------------


class _Opens:
    """A pickle payload: loading it with Python's default unpickler creates ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def test_load_pickle_admits_defaultdicts_and_sets_only_as_data(tmp_path: Path) -> None:
    data = defaultdict(list, {"a": ["str"], "b": []})
    loaded = load_pickle(pickle.dumps(data))
    assert loaded == data and loaded.default_factory is list
    assert load_pickle(pickle.dumps({"s": {1, 2}, "f": frozenset({"x"})}, protocol=2)) == {"s": {1, 2}, "f": {"x"}}
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Opens(control))).close()  # the payload is real
    assert control.exists()
    cycle: list[Any] = []
    cycle.append(cycle)
    assert load_pickle(pickle.dumps(cycle)) is not None  # read, and refused later as not JSON data:
    with pytest.raises(ValueError, match="no JSON form"):
        fetch_module.convert(pickle.dumps(cycle), "pickle")
    marker = tmp_path / "marker"
    for payload in (pickle.dumps(_Opens(marker)), pickle.dumps(defaultdict(print)), b"\x80\x04garbage"):
        with pytest.raises(pickle.UnpicklingError):
            load_pickle(payload)
    assert not marker.exists()


# --- downloading ----------------------------------------------------------------------------------


def test_download_retries_server_errors_and_lost_connections(upstream: Upstream) -> None:
    pin = Pin("o/r", "c" * 40, "a file.json")
    path = put(upstream, pin, b"{}")
    url = pin.url(upstream.url)
    assert "a%20file.json" in url
    assert download(url) == b"{}"
    upstream.faults[path] = ["500", "drop", "ok"]
    upstream.hits.clear()
    assert download(url) == b"{}" and upstream.hits[path] == 3
    for fault, reason in (("503", "HTTP 503"), ("drop", "connection lost"), ("short", "connection lost")):
        upstream.faults[path] = [fault]
        upstream.hits.clear()
        with pytest.raises(FetchError, match=reason) as caught:
            download(url, attempts=2)
        assert caught.value.where == url and "after 2 attempts" in str(caught.value)
        assert upstream.hits[path] == 2


def test_download_does_not_retry_a_missing_file_and_names_timeouts(upstream: Upstream) -> None:
    missing = Pin("o/r", "c" * 40, "missing.json")
    with pytest.raises(FetchError, match="HTTP 404") as caught:
        download(missing.url(upstream.url))
    assert upstream.hits["/" + missing.url("").lstrip("/")] == 1 and caught.value.where == missing.url(upstream.url)
    slow = Pin("o/r", "c" * 40, "slow.json")
    upstream.faults[put(upstream, slow, b"{}")] = ["hang"]
    with pytest.raises(FetchError, match="timed out"):
        download(slow.url(upstream.url), timeout=0.2, attempts=2)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        download(f"http://127.0.0.1:{port}/x", attempts=1)


# --- fetch, on a small catalog --------------------------------------------------------------------


@pytest.mark.usefixtures("small_pins")
def test_fetch_writes_the_layout_read_catalogs_reads(upstream: Upstream, tmp_path: Path) -> None:
    serve_small(upstream)
    target = tmp_path / "out" / "catalogs"
    done = fetch(target, base_url=upstream.url)
    assert done.copied == list(SOURCES) and not done.changed and done.licences == list(LICENSE_SOURCES)
    assert done.sources["workflowllm/api_docs.json"] == SOURCES["workflowllm/api_docs.json"].url(upstream.url)
    assert len(done.notes) == 3 and all("differs from the tested one" in n for n in done.notes)
    for rel, value in SMALL.items():  # pickles come out as JSON
        assert json.loads((target / rel).read_text()) == value, rel
    by_source, names, problems = read_catalogs(target)
    assert problems == [] and names == {"com.example.app": "Example"}
    (api,) = by_source["workflowllm"]
    assert api.identifier == IDENT and api.input_key == "WFTextActionText" and api.output_name == "Text"
    assert sorted(p.name for p in target.parent.iterdir()) == ["catalogs"]  # no staging left behind


@pytest.mark.usefixtures("small_pins")
def test_a_failure_after_some_files_writes_nothing(upstream: Upstream, tmp_path: Path) -> None:
    serve_small(upstream)
    (upstream.root / SOURCES["workflowllm/apis_with_output.json"].repo).joinpath(
        SOURCES["workflowllm/apis_with_output.json"].ref, SOURCES["workflowllm/apis_with_output.json"].path).unlink()
    with pytest.raises(FetchError, match=r"identifier2output\.pkl: HTTP 404"):
        fetch(tmp_path / "c", base_url=upstream.url)
    assert not (tmp_path / "c").exists()
    # a licence that cannot be fetched is reported, and the data is written all the same
    serve_small(upstream)
    upstream.faults["/" + LICENSE_SOURCES["workflowllm/LICENSE"].url("").lstrip("/")] = ["404"]
    done = fetch(tmp_path / "c", base_url=upstream.url)
    assert done.copied == list(SOURCES) and done.licences == ["scpl/LICENSE", "shortcutsbench/LICENSE"]
    assert any(n.startswith("workflowllm/LICENSE: not written") and "HTTP 404" in n for n in done.notes)


@pytest.mark.usefixtures("small_pins")
def test_the_mirror_variable_and_the_cli(upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_small(upstream)
    monkeypatch.setenv(MIRROR_ENV, upstream.url)
    result = fetch_cli("--to", str(tmp_path / "c"))
    assert result.exit_code == 0, result.output
    assert "downloaded 12 catalog files and 3 licences" in result.stdout
    assert sorted(str(p.relative_to(tmp_path / "c")) for p in (tmp_path / "c").rglob("*.json")) == sorted(LAYOUT)
    both = fetch_cli("--to", str(tmp_path / "d"), "--from", str(tmp_path / "c"), "--mirror", upstream.url)
    assert both.exit_code == 2 and "exclude each other" in both.output


@pytest.mark.usefixtures("small_pins")
def test_fetch_from_checkouts_of_the_original_repositories(tmp_path: Path) -> None:
    checkouts = tmp_path / "src"
    for rel, value in SMALL.items():
        path = checkouts / SOURCES[rel].checkout
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(as_upstream(rel, json.dumps(value).encode()))
    for pin in LICENSE_SOURCES.values():
        (checkouts / pin.checkout).write_text("licence\n")
    assert (checkouts / "WorkflowLLM" / "data" / "identifier2json.pkl").is_file()
    done = fetch_from(checkouts, tmp_path / "c")
    assert done.copied == list(SOURCES) and not done.changed and not done.missing
    assert done.licences == list(LICENSE_SOURCES)
    for rel, value in SMALL.items():
        assert json.loads((tmp_path / "c" / rel).read_text()) == value, rel


@pytest.mark.parametrize("fault", ["404", "500", "drop"])
def test_download_failures_are_one_line_errors_through_the_cli(upstream: Upstream, tmp_path: Path,
                                                                fault: str) -> None:
    first = next(iter(SOURCES.values()))
    path = "/" + first.url("").lstrip("/")
    upstream.faults[path] = [fault]
    result = fetch_cli("--to", str(tmp_path / "c"), "--mirror", upstream.url)
    assert result.exit_code == 2, result.output
    assert first.url(upstream.url) in result.output and "Traceback" not in result.output
    assert {"404": "HTTP 404", "500": "HTTP 500", "drop": "connection lost"}[fault] in result.output
    assert upstream.hits[path] == (1 if fault == "404" else fetch_module.ATTEMPTS)
    assert not (tmp_path / "c").exists()


def test_a_malicious_pickle_is_refused_and_never_run(upstream: Upstream, tmp_path: Path) -> None:
    serve_small(upstream)
    marker = tmp_path / "pwned"
    evil = SOURCES["workflowllm/api_key_params.json"]
    put(upstream, evil, pickle.dumps(_Opens(marker)))
    result = fetch_cli("--to", str(tmp_path / "c"), "--mirror", upstream.url)
    assert result.exit_code == 2, result.output
    assert evil.url(upstream.url) in result.output and "refused" in result.output
    assert "Traceback" not in result.output
    assert not marker.exists() and not (tmp_path / "c").exists()


# --- fetch, on the real catalogs ------------------------------------------------------------------


@needs_catalogs
def test_full_fetch_matches_the_local_copy(upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_catalogs(upstream, CATALOGS)
    monkeypatch.setenv(MIRROR_ENV, upstream.url)
    target = tmp_path / "c"
    result = fetch_cli("--to", str(target))
    assert result.exit_code == 0, result.output
    assert "downloaded 12 catalog files and 3 licences to" in result.stdout and "changed" not in result.output
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*.json")) == sorted(LAYOUT)
    for rel in LAYOUT:
        assert content_digest(json.loads((target / rel).read_bytes())) == CONTENT[rel], rel
    for rel in LICENSE_SOURCES:
        assert (target / rel).read_bytes() == (CATALOGS / rel).read_bytes()
    fetched, names, problems = read_catalogs(target)
    local, local_names, local_problems = read_catalogs(CATALOGS)
    assert {k: len(v) for k, v in fetched.items()} == {k: len(v) for k, v in local.items()}
    assert fetched == local and names == local_names and problems == local_problems


@needs_catalogs
def test_a_tampered_file_is_refused_unless_accepted(upstream: Upstream, tmp_path: Path) -> None:
    serve_catalogs(upstream, CATALOGS)
    rel = "scpl/OutActions.json"
    data = json.loads((CATALOGS / rel).read_bytes())
    data["com.apple.facetime.facetime"]["Name"] = "FaceTime (changed)"
    tampered = json.dumps(data).encode()
    put(upstream, SOURCES[rel], tampered)
    url = SOURCES[rel].url(upstream.url)
    refused = fetch_cli("--to", str(tmp_path / "c"), "--mirror", upstream.url)
    assert refused.exit_code == 2, refused.output
    assert f"changed: {rel} from {url}" in refused.output and "1 files differ" in refused.output
    assert not (tmp_path / "c").exists()
    accepted = fetch_cli("--to", str(tmp_path / "c"), "--mirror", upstream.url, "--accept-changed")
    assert accepted.exit_code == 0, accepted.output
    assert url in accepted.output and "(1 changed)" in accepted.stdout
    assert (tmp_path / "c" / rel).read_bytes() == tampered
