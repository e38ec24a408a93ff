"""Put the public catalogs in the layout ``read_catalogs`` reads.

None of these files is part of the repository. ``fetch(target)`` downloads each one from its public
GitHub repository at a pinned commit (``SOURCES``); ``fetch_from(source, target)`` copies them from a
local directory instead (a copy in this layout like ``../shared/catalogs``, or checkouts of the
original repositories side by side). Either way every file is checked against the version this
catalog was built and tested with: its SHA-256 (``LAYOUT``) or, since converted pickles and
re-formatted JSON cannot be byte-identical, the SHA-256 of its canonical JSON (``CONTENT``,
see ``content_digest``). A file matching neither is refused unless ``accept_changed`` is set (then
it is written and reported). Nothing is written unless every file was fetched and checked.

Some originals ship as Python pickles: those are read by ``load_pickle``, which admits plain data
only (containers, strings, numbers) and refuses anything that would import or call other code.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import pickle
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

# The layout, and the SHA-256 of the files the catalog is tested with (see tests/test_catalog_stage.py).
LAYOUT: dict[str, str] = {
    "scpl/App_Identifiers.json": "e4f907e1bb52adb31db672cf434bb2a7c0ad4ca8f4145f727c6b7361d8996106",
    "scpl/OutActions.json": "843fd8b969e6374e0533c29ba422e7bdb8360e47d7dc07ed869e0e369b0ff043",
    "scpl/WFActions_Shortcuts_2.2.json": "208a55253ebb29139998b3779e2566ed86f693dc0fbf5df3ba0e594452da3410",
    "shortcutsbench/2_all_detailed_identifiers.json":
        "13cad48abab6e000eb23c8eccca7e514d876bcb14661d1b5d4949ab3c086c0c7",
    "shortcutsbench/all_api2info.json": "48ce7e362c8c739256b8e7f2807d8e38b61af3b74010d275c7dbb28800f0f270",
    "shortcutsbench/all_api2paraname2paratype.json": "13d51d557e70a84f6873f6d4a14e445764f27507ab556c8e6421981983fbefc3",
    "shortcutsbench/all_api2parasummary.json": "309488b2d5a2d2f9311d37f102a684cc104b0c8d3b651d8e376d3687f024caea",
    "workflowllm/api_categories.json": "cd4ccecd6085b12a0d5d5d43cd07204320cdc2f0e5592bd5c9b0692ed88c47d0",
    "workflowllm/api_docs.json": "b1bbfc427e818317b63bfd633803e73d57d2fdc069233f9ebf2e74bf23c2fd87",
    "workflowllm/api_key_params.json": "fdbb904a77e23ab185fb7713900056853ee4b208f60dc7e028857e33ed0b7ecb",
    "workflowllm/api_stubs.json": "5b908c67861c431c50d5c99e4e5929c0607cb021e8588c802d7e40b8099dcc31",
    "workflowllm/apis_with_output.json": "93d0ccb721c9cfc806e526911cf214d7e480366e1c7b7779e23272861359eab5",
}

# The SHA-256 of the same files' canonical JSON (``content_digest``): what a converted pickle, or the
# same data in another formatting or with other line ends, must match.
CONTENT: dict[str, str] = {
    "scpl/App_Identifiers.json": "c0b531baa48f4c51097b973c053373161a58e14e013280e7f2bf35f919833654",
    "scpl/OutActions.json": "6faa8bef92d597b7b48aa68142d633c21d3d7074b6c27d82ff6b69a5cf717d12",
    "scpl/WFActions_Shortcuts_2.2.json": "ee9a61ed23f4a621b90bc9d96516d516adbe78556cf19fb5d9e20b43f6bac945",
    "shortcutsbench/2_all_detailed_identifiers.json":
        "e934b206d6efc3f23e63f86f730e412d7b3bd329f8b366198d47ab6bc3e14bbb",
    "shortcutsbench/all_api2info.json": "2f704d3b32ef0ce63f9cac938fc7d9dbe32d936ba34bd9bb3a57916d748a327b",
    "shortcutsbench/all_api2paraname2paratype.json": "338498af95e5739e11734d5c5abb5ebb29015b04c491e193aa1d8e03fb71bb97",
    "shortcutsbench/all_api2parasummary.json": "c8ad76dd6a75c9650596a8370c6be27486511c959deac806cf0e10b4e37d5327",
    "workflowllm/api_categories.json": "bc5247ab8786523bfc5cd4df9c925d0bbcc88763fe1f137437cfeb42c4bb053d",
    "workflowllm/api_docs.json": "906319d87759839795a1aebb734f0b46a645785ddc1dd9369e41563fdd6ce4be",
    "workflowllm/api_key_params.json": "67f6c78b51defbc13da99fa4177b862c0ab76b6a430655c3db3ea5b887cfefdd",
    "workflowllm/api_stubs.json": "41afd81d7fc5271ad96faa5860c0859ac282811bee92ea0bcc59f8c28f8913f5",
    "workflowllm/apis_with_output.json": "580540a5b5f51b3eb08ba2d8ca980bbe664c4d20f716d01309f4d9e20f7d9935",
}

DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
MIRROR_ENV = "WORKFLOWBENCH_CATALOG_MIRROR"  # a base URL serving the same /<owner>/<repo>/<ref>/<path> tree
TIMEOUT = 30.0  # seconds, per connection attempt and per read
ATTEMPTS = 3  # per file, for connection errors, timeouts and 5xx answers
RETRY_DELAY = 0.5  # seconds before the second attempt, doubled for each further one
MAX_BYTES = 64 << 20  # the largest file is ~1.3 MB; a bigger answer is not a catalog file

Convert = Literal["json", "pickle", "pickle-keys"]


@dataclass(frozen=True)
class Pin:
    """Where a layout file comes from: ``path`` in GitHub repository ``repo`` at ``ref`` (a commit),
    and how it becomes the layout's JSON: ``json`` is kept as it is; ``pickle`` is read with
    ``load_pickle`` and written as JSON; ``pickle-keys`` keeps only the sorted keys of the mapping."""

    repo: str
    ref: str
    path: str
    convert: Convert = "json"

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/{self.ref}/{quote(self.path)}"

    @property
    def checkout(self) -> str:
        """The path in a checkout of the repository named after it (``scpl/src/Data/...``)."""
        return f"{self.repo.rpartition('/')[2]}/{self.path}"


_SCPL = "pfgithub/scpl"
_SHORTCUTSBENCH = "EachSheep/ShortcutsBench"
# WorkflowLLM is published as OpenBMB/WorkflowLLM; the pinned commits are those of the copy in
# XingYing-stack/WorkflowLLM, which holds the same files.
_WORKFLOWLLM = "XingYing-stack/WorkflowLLM"

# Each pin is a commit of the repository's public history that holds the file. ScPL's Shortcuts 2.2
# dump is tab-indented there with one array item a line (the tested copy writes short arrays on one
# line): it matches by content, which is why ``CONTENT`` exists besides ``LAYOUT``.
SOURCES: dict[str, Pin] = {
    "scpl/App_Identifiers.json": Pin(_SCPL, "1d4bafdcbf6f11870d91f1228cee6ddf9e4889bb",
                                     "src/Data/App Identifiers.json"),
    "scpl/OutActions.json": Pin(_SCPL, "98d5e67adf389f2e48d2123001ecaf081faf4285", "src/Data/OutActions.json"),
    # ScPL's dump of Apple's WFActions for Shortcuts 2.2 (later commits add actions and keys)
    "scpl/WFActions_Shortcuts_2.2.json": Pin(_SCPL, "c819ca8bb728616cb99483f806f610fa8efc2be2",
                                             "src/Data/Shortcuts 2.2.json"),
    "shortcutsbench/2_all_detailed_identifiers.json": Pin(
        _SHORTCUTSBENCH, "610a661d5c2948998804ca53ee8320b31ade2992", "data/2_all_detailed_identifiers.json"),
    "shortcutsbench/all_api2info.json": Pin(
        _SHORTCUTSBENCH, "61670460c2109c491f9f7cea9520622a830a26f8", "data/all_api2info.json"),
    "shortcutsbench/all_api2paraname2paratype.json": Pin(
        _SHORTCUTSBENCH, "61670460c2109c491f9f7cea9520622a830a26f8", "data/all_api2paraname2paratype.json"),
    "shortcutsbench/all_api2parasummary.json": Pin(
        _SHORTCUTSBENCH, "61670460c2109c491f9f7cea9520622a830a26f8", "data/all_api2parasummary.json"),
    # WorkflowLLM's pickles, written by its preprocess/generate_*_functions.py as defaultdicts:
    # identifier -> [identifier, JSON doc] (docs), -> Python stub (stubs), -> category list,
    # -> input parameter key, -> output types (only APIs with an output have a key, so the layout
    # lists those keys).
    "workflowllm/api_categories.json": Pin(
        _WORKFLOWLLM, "77118a33fb64a5f3f643fc7c3a02ad8d635a61dc", "preprocess/identifier2category.pkl", "pickle"),
    "workflowllm/api_docs.json": Pin(
        _WORKFLOWLLM, "7a2c0427a8b5002b54d1946c7298e7481792e2b8", "data/identifier2json.pkl", "pickle"),
    "workflowllm/api_key_params.json": Pin(
        _WORKFLOWLLM, "77118a33fb64a5f3f643fc7c3a02ad8d635a61dc", "preprocess/identifier2keyparams.pkl", "pickle"),
    "workflowllm/api_stubs.json": Pin(
        _WORKFLOWLLM, "7a2c0427a8b5002b54d1946c7298e7481792e2b8", "data/identifier2python.pkl", "pickle"),
    "workflowllm/apis_with_output.json": Pin(
        _WORKFLOWLLM, "77118a33fb64a5f3f643fc7c3a02ad8d635a61dc", "preprocess/identifier2output.pkl",
        "pickle-keys"),
}

# The licences travel with the data but do not gate it: one that cannot be fetched, or whose text
# differs from the tested one, is reported and the data is written all the same. WorkflowLLM's is
# the published repository's current one (its default branch), not a commit.
LICENSE_SOURCES: dict[str, Pin] = {
    "scpl/LICENSE": Pin(_SCPL, "bb8712f3dfbb42077782847451bc59610e6a3a84", "LICENSE"),
    "shortcutsbench/LICENSE": Pin(_SHORTCUTSBENCH, "61670460c2109c491f9f7cea9520622a830a26f8", "LICENSE"),
    "workflowllm/LICENSE": Pin("OpenBMB/WorkflowLLM", "HEAD", "LICENSE"),
}
# SHA-256 of each tested licence text with CRLF line ends made LF (MIT; Apache-2.0 twice).
LICENSE_DIGESTS: dict[str, str] = {
    "scpl/LICENSE": "8be61fdb6c0e3c84e77ad1402a64dfa13d5526f539580e81a836ff131d8a81f0",
    "shortcutsbench/LICENSE": "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
    "workflowllm/LICENSE": "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
}
LICENSES = tuple(LICENSE_SOURCES)


class FetchError(Exception):
    """A catalog file could not be fetched or was refused; names where from and why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


# --- pickles ------------------------------------------------------------------------------------

_PLAIN = (dict, list, tuple, set, frozenset, str, bytes, int, float, bool, type(None))
# The only globals a pickle may name: the container and scalar types plain data is made of.
# WorkflowLLM's pickles are defaultdicts (``defaultdict(str)``), which name two of them.
_SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "defaultdict"): defaultdict,
    ("collections", "OrderedDict"): OrderedDict,
    **{(module, t.__name__): t for module in ("builtins", "__builtin__")
       for t in (dict, list, tuple, set, frozenset, str, int, float, bool)},
}
_SAFE_FACTORIES = (None, *{v for v in _SAFE_GLOBALS.values() if v is not defaultdict})


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Any other global (a function, a class with behaviour) is refused: plain data needs none.
        try:
            return _SAFE_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"refused: the pickle refers to {module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("refused: the pickle uses persistent ids")


def load_pickle(data: bytes) -> Any:
    """A pickle's plain data (dicts, lists, tuples, sets, strings, numbers), without running anything."""
    try:
        value = _PlainUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError:
        raise
    except Exception as exc:  # truncated or garbled data raises whatever the opcode hit
        raise pickle.UnpicklingError(f"not a readable pickle: {type(exc).__name__}: {exc}") from None
    stack, seen = [value], set()
    while stack:  # only safe globals can have been built; check what came out all the same
        v = stack.pop()
        if id(v) in seen:  # a pickle can make a container hold itself
            continue
        seen.add(id(v))
        if not isinstance(v, _PLAIN):
            raise pickle.UnpicklingError(f"refused: {type(v).__name__} is not plain data")
        if isinstance(v, defaultdict) and v.default_factory not in _SAFE_FACTORIES:
            raise pickle.UnpicklingError("refused: a defaultdict with a default factory that is not a type")
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple, set, frozenset)):
            stack.extend(v)
    return value


# --- JSON and digests ---------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)  # JSON has no sets; sorted makes the result independent of hash order
    raise TypeError(f"{type(value).__name__} is not JSON data")


def to_json(value: Any, **kwargs: Any) -> str:
    """``value`` as JSON text (tuples as lists, sets as sorted lists); ValueError if it has no JSON form."""
    try:
        return json.dumps(value, ensure_ascii=False, default=_json_default, **kwargs)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"no JSON form: {exc}") from None


def content_digest(value: Any) -> str:
    """SHA-256 of ``value``'s canonical JSON: sorted keys, no spaces, UTF-8."""
    text = to_json(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def convert(data: bytes, how: Convert) -> tuple[bytes, Any]:
    """A fetched file -> (the bytes to write in the layout, its data). ValueError if it is not the
    expected kind of file; pickle.UnpicklingError if a pickle is refused."""
    if how == "json":
        try:
            return data, json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
    value = load_pickle(data)
    if how == "pickle-keys":
        if not isinstance(value, (dict, list, tuple, set, frozenset)):
            raise ValueError(f"expected a mapping or a collection, found {type(value).__name__}")
        try:
            value = sorted(value)
        except TypeError as exc:
            raise ValueError(f"keys cannot be sorted: {exc}") from None
    text = to_json(value)
    return text.encode(), json.loads(text)


def matches(rel: str, body: bytes, value: Any) -> bool:
    """Whether a layout file is the tested version: same bytes, or the same data."""
    return hashlib.sha256(body).hexdigest() == LAYOUT[rel] or content_digest(value) == CONTENT[rel]


def _licence_matches(rel: str, data: bytes) -> bool:
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == LICENSE_DIGESTS[rel]


# --- downloading --------------------------------------------------------------------------------


def download(url: str, *, timeout: float = TIMEOUT, attempts: int = ATTEMPTS) -> bytes:
    """The body of a 200 answer to GET ``url``. Connection errors, timeouts and 5xx answers are tried
    again, up to ``attempts`` in all; anything else, or the last failure, raises FetchError."""
    reason = "not tried"
    for attempt in range(max(attempts, 1)):
        if attempt:
            time.sleep(RETRY_DELAY * 2 ** (attempt - 1))
        request = urllib.request.Request(url, headers={"User-Agent": "workflowbench-catalog-fetch"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                expected = response.headers.get("Content-Length", "")
                buffer = bytearray()
                while chunk := response.read(1 << 20):
                    buffer += chunk
                    if len(buffer) > MAX_BYTES:
                        raise FetchError(url, f"larger than {MAX_BYTES} bytes")
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code} {exc.reason}"
            exc.close()
            if exc.code < 500:  # a missing or forbidden file stays so
                raise FetchError(url, reason) from None
            continue
        except urllib.error.URLError as exc:  # connecting failed (refused, no route, DNS, timeout)
            reason = "timed out" if isinstance(exc.reason, TimeoutError) else f"cannot connect: {exc.reason}"
            continue
        except TimeoutError:
            reason = "timed out"
            continue
        except (http.client.HTTPException, OSError) as exc:  # dropped or cut short mid-answer
            reason = f"connection lost: {type(exc).__name__}: {exc}".rstrip(": ")
            continue
        if expected.isdigit() and len(buffer) != int(expected):  # http.client returns a cut body silently
            reason = f"connection lost: {len(buffer)} of {expected} bytes received"
            continue
        return bytes(buffer)
    raise FetchError(url, f"{reason} (after {max(attempts, 1)} attempts)")


# --- writing ------------------------------------------------------------------------------------


@dataclass
class Fetched:
    copied: list[str] = field(default_factory=list)  # layout files written
    changed: list[str] = field(default_factory=list)  # neither bytes nor data are the tested version
    missing: list[str] = field(default_factory=list)  # layout files not in a local source
    licences: list[str] = field(default_factory=list)  # licence files written
    notes: list[str] = field(default_factory=list)  # licences not fetched or not the tested text
    sources: dict[str, str] = field(default_factory=dict)  # layout file -> the URL or path it came from


def _install(files: dict[str, bytes], target: Path) -> None:
    """Write ``files`` (layout path -> bytes) under ``target``: staged in a temporary directory next
    to it first, so that a failed write leaves no half-written file in the layout."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for rel, data in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(data)
        for rel in files:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target / rel)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _finish(out: Fetched, files: dict[str, bytes], licences: dict[str, bytes], target: Path) -> Fetched:
    """Write the checked files and licences in one step and say what was written."""
    _install(files | licences, target)
    out.copied = list(files)
    out.licences = list(licences)
    return out


def fetch(target: str | os.PathLike[str], *, accept_changed: bool = False, base_url: str | None = None,
          timeout: float = TIMEOUT, attempts: int = ATTEMPTS) -> Fetched:
    """Download the catalog files at their pinned commits into ``target``. ``base_url`` (default:
    $WORKFLOWBENCH_CATALOG_MIRROR, else raw.githubusercontent.com) serves ``/<owner>/<repo>/<ref>/<path>``.
    Raises FetchError, naming the URL, when a file cannot be downloaded or read, or a pickle is refused;
    changed files are refused (nothing written) unless ``accept_changed``."""
    base = base_url or os.environ.get(MIRROR_ENV) or DEFAULT_BASE_URL
    out = Fetched()
    files: dict[str, bytes] = {}
    for rel, pin in SOURCES.items():
        url = pin.url(base)
        data = download(url, timeout=timeout, attempts=attempts)
        try:
            body, value = convert(data, pin.convert)
        except pickle.UnpicklingError as exc:
            raise FetchError(url, f"pickle refused: {str(exc).removeprefix('refused: ')}") from None
        except ValueError as exc:
            raise FetchError(url, str(exc)) from None
        out.sources[rel] = url
        if not matches(rel, body, value):
            out.changed.append(rel)
        files[rel] = body
    if out.changed and not accept_changed:
        return out
    licences: dict[str, bytes] = {}
    for rel, pin in LICENSE_SOURCES.items():
        try:
            licences[rel] = download(pin.url(base), timeout=timeout, attempts=attempts)
        except FetchError as exc:
            out.notes.append(f"{rel}: not written: {exc}")
            continue
        if not _licence_matches(rel, licences[rel]):
            out.notes.append(f"{rel}: written, but its text differs from the tested one ({pin.url(base)})")
    return _finish(out, files, licences, Path(target))


def fetch_from(source: str | os.PathLike[str], target: str | os.PathLike[str], *,
               accept_changed: bool = False) -> Fetched:
    """Copy the catalog files from ``source`` into ``target``. ``source`` holds each file in the
    layout (a ``.pkl`` with the same stem is converted to JSON) or, for checkouts of the original
    repositories, at its path in a directory named after its repository (``scpl/src/Data/...``,
    ``WorkflowLLM/data/identifier2json.pkl``). Refuses changed files unless ``accept_changed``;
    raises pickle.UnpicklingError for a refused pickle and FetchError for a file that is not data."""
    src, dst = Path(source), Path(target)
    out = Fetched()
    files: dict[str, bytes] = {}
    for rel, pin in SOURCES.items():
        as_pickle: Convert = pin.convert if pin.convert != "json" else "pickle"
        candidates: list[tuple[Path, Convert]] = [
            (src / rel, "json"), ((src / rel).with_suffix(".pkl"), as_pickle), (src / pin.checkout, pin.convert)]
        found = next(((path, how) for path, how in candidates if path.is_file()), None)
        if found is None:
            out.missing.append(rel)
            continue
        path, how = found
        try:
            body, value = convert(path.read_bytes(), how)
        except ValueError as exc:
            raise FetchError(str(path), str(exc)) from None
        out.sources[rel] = str(path)
        if not matches(rel, body, value):
            out.changed.append(rel)
        files[rel] = body
    if out.changed and not accept_changed:
        return out
    licences: dict[str, bytes] = {}
    for rel, pin in LICENSE_SOURCES.items():
        path = next((p for p in (src / rel, src / pin.checkout) if p.is_file()), None)
        if path is None:
            out.notes.append(f"{rel}: not in {src}")
            continue
        licences[rel] = path.read_bytes()
        if not _licence_matches(rel, licences[rel]):
            out.notes.append(f"{rel}: copied, but its text differs from the tested one ({path})")
    return _finish(out, files, licences, dst)
