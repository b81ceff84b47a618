"""Where the specs and fixtures are: inside the installed wheel, or at the top of a source checkout."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["StrictLoader", "fixtures_dir", "load_spec", "read_yaml", "specs_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent  # the mockingjob package


def _data_dir(name: str) -> Path:
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    checkout = _PACKAGE.parent.parent / name  # src/mockingjob → repository root
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"cannot find the {name}/ folder (looked in {shipped} and {checkout})")


def specs_dir() -> Path:
    return _data_dir("specs")


def fixtures_dir() -> Path:
    return _data_dir("fixtures")


# libyaml's parser when PyYAML was built with it (its wheels are): parsing the specs and fixtures is most of
# the start-up time, and it parses about ten times faster than the pure-Python one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe YAML loader that refuses a mapping with the same key twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """The document in `path`, parsed by `StrictLoader`; every call returns a copy of its own to change.

    Parsing is most of what start-up does after the imports, so parsed documents are kept, by the hash of the
    file's bytes, in memory and in a cache folder (``$MOCKINGJOB_CACHE_DIR``, else the user's cache folder;
    set it empty to keep nothing on disk). A changed file is a new key, so nothing kept is ever stale.
    """
    data = path.read_bytes()
    key = hashlib.sha256(_CACHE_SALT + data).hexdigest()
    blob = _KEPT.get(key) or _read_kept(key)
    if blob is not None:
        try:
            document = pickle.loads(blob)  # a fresh copy, several times faster than copy.deepcopy
        except Exception:  # a damaged cache file (pickle raises many kinds): parse it again
            pass
        else:
            _KEPT[key] = blob
            return document
    with path.open(encoding="utf-8") as handle:  # from the file, so that errors name it
        document = yaml.load(handle, Loader=StrictLoader)
    blob = _KEPT[key] = pickle.dumps(document, pickle.HIGHEST_PROTOCOL)
    _keep(key, blob)
    return document


def load_spec(path: Path) -> dict[str, Any]:
    """The parsed spec document, a copy of its own: connexion may mutate it freely."""
    document: dict[str, Any] = read_yaml(path)
    return document


# What changes how a file parses: the parser and this loader.
_CACHE_SALT = f"mockingjob-yaml-1 PyYAML {yaml.__version__} {_SafeLoader.__name__}\n".encode()
_KEPT: dict[str, bytes] = {}


def _cache_dir() -> Path | None:
    configured = os.environ.get("MOCKINGJOB_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mockingjob" / "yaml"


def _read_kept(key: str) -> bytes | None:
    folder = _cache_dir()
    if folder is None:
        return None
    try:
        return (folder / key).read_bytes()
    except OSError:
        return None


def _keep(key: str, blob: bytes) -> None:
    """Write the parsed document for later processes; a folder that cannot be written only costs the speed-up.
    Written under a temporary name and renamed, so that workers starting together never read half a file."""
    folder = _cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{key}.")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(temporary, folder / key)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
