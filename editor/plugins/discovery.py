"""Finding plugins: installed packages' entry points and plugin folders, read from their
manifests without importing their code.

A plugin is a Python package holding a ``cutwise-plugin.toml`` manifest (format in
docs/plugins.md). It is found

* as an installed distribution with an entry point in the group ``cutwise.plugins``
  whose value names that package (``blackframes = "cutwise_blackframes"``), or
* in a plugin folder: ``<folder>/<project>/<package>/cutwise-plugin.toml``. The folders
  are the ``plugins/`` folder beside the ``editor`` package, the user's plugin folder
  (``<user data dir>/plugins``, ``$CUTWISE_DATA_DIR/plugins``) and those in ``$CUTWISE_PLUGIN_PATH``.

Only the manifest is read at startup. An engine's ``run`` and an exporter's function are
imported the first time they are used; a plugin whose manifest is wrong, targets another
API version, fails to import or raises is disabled with a readable message (in
``registry.failures``, the log and the UI) and everything else keeps working.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from editor.core.errors import CutwiseError
from editor.core.model import Suggestion
from editor.plugins.api import (
    API_VERSION, SUPPORTED_API_VERSIONS, Engine, Exporter, Parameter, PluginError, PluginFailure,
    PluginInfo, Registry, accepts,
)

MANIFEST = "cutwise-plugin.toml"
ENTRY_POINT_GROUP = "cutwise.plugins"
_PARAMETER_KEYS = {"name", "label", "default", "kind", "minimum", "maximum", "step", "choices", "help"}


@dataclass
class Manifest:
    """A plugin's declaration, read from its ``cutwise-plugin.toml``."""

    name: str
    version: str
    api: int
    description: str = ""
    engines: list[dict[str, Any]] = field(default_factory=list)
    exporters: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    import_root: Path | None = None  # folder to put on sys.path (folder plugins)


def parse_manifest(text: str, source: str) -> Manifest:
    """Validate a manifest's text; raises PluginError with one readable sentence."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PluginError(f"The plugin manifest {source} is not valid TOML ({exc}).") from None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PluginError(f"The plugin manifest {source} has no 'name'.")
    api = data.get("api")
    if not isinstance(api, int) or isinstance(api, bool):
        raise PluginError(f"Plugin '{name}' does not say which plugin API it targets ('api = {API_VERSION}').")
    if api not in SUPPORTED_API_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_API_VERSIONS))
        raise PluginError(f"Plugin '{name}' targets plugin API {api}; this Cutwise provides API "
                          f"{supported}. Install a version of the plugin made for API {API_VERSION}.")
    engines, exporters = data.get("engines", []), data.get("exporters", [])
    if not isinstance(engines, list) or not isinstance(exporters, list) or not (engines or exporters):
        raise PluginError(f"Plugin '{name}' contributes nothing: its manifest lists no [[engines]] or [[exporters]].")
    for kind, items, keys in (("engine", engines, ("id", "name", "lane", "run")),
                              ("exporter", exporters, ("id", "name", "extension", "run"))):
        for item in items:
            missing = [k for k in keys if not isinstance(item.get(k), str) or not item[k]]
            if missing:
                raise PluginError(f"Plugin '{name}': an {kind} lacks {', '.join(missing)} in its manifest.")
            if ":" not in item["run"]:
                raise PluginError(f"Plugin '{name}': {kind} '{item['id']}' run = '{item['run']}' "
                                  "must be 'module:function'.")
    return Manifest(name=name, version=str(data.get("version", "0")), api=api,
                    description=str(data.get("description", "")), engines=engines,
                    exporters=exporters, source=source)


# --- where manifests are ----------------------------------------------------------------

def plugin_folders() -> list[Path]:
    """The folders searched for plugins, in order."""
    folders = [Path(__file__).resolve().parents[2] / "plugins"]
    frozen = getattr(sys, "_MEIPASS", None)  # the desktop bundle ships plugins/ inside
    if frozen:
        folders.append(Path(frozen) / "plugins")
    from editor.core.project_file import default_data_dir

    folders.append(default_data_dir() / "plugins")
    extra = os.environ.get("CUTWISE_PLUGIN_PATH", "")
    folders += [Path(p) for p in extra.split(os.pathsep) if p]
    return list(dict.fromkeys(folders))


def _entry_point_manifests() -> list[tuple[str, Callable[[], Manifest]]]:
    found = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        source = f"entry point {ep.name} ({dist.name} {dist.version})" if dist else f"entry point {ep.name}"
        found.append((ep.name, lambda ep=ep, source=source: _read_entry_point(ep, source)))
    return found


def _read_entry_point(ep, source: str) -> Manifest:
    """The manifest inside the package the entry point names, read without importing it."""
    package = ep.value.split(":")[0].strip()
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError) as exc:
        raise PluginError(f"Plugin '{ep.name}' ({source}) cannot be found: {exc}.") from None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        manifest = Path(folder) / MANIFEST
        if manifest.is_file():
            return parse_manifest(manifest.read_text("utf-8"), source)
    raise PluginError(f"Plugin '{ep.name}' ({source}): package '{package}' has no {MANIFEST}.")


def _folder_manifests(folders: list[Path]) -> list[tuple[str, Callable[[], Manifest]]]:
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for manifest in sorted(folder.glob(f"*/*/{MANIFEST}")):
            root = manifest.parent.parent

            def read(manifest=manifest, root=root) -> Manifest:
                try:
                    text = manifest.read_text("utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise PluginError(f"Cannot read the plugin manifest {manifest}: {exc}.") from None
                parsed = parse_manifest(text, str(root))
                parsed.import_root = root
                return parsed
            found.append((root.name, read))
    return found


# --- lazy, guarded loading --------------------------------------------------------------

_import_lock = threading.Lock()


def _load_object(reference: str, root: Path | None):
    """Import ``module:attribute`` (with a folder plugin's root on sys.path)."""
    module_name, _, attribute = reference.partition(":")
    with _import_lock:
        if root is not None and str(root) not in sys.path:
            sys.path.append(str(root))
        module = importlib.import_module(module_name)
    target = module
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _PluginGuard:
    """Loads a plugin's code on first use; turns its crashes into a disabled plugin."""

    def __init__(self, registry: Registry, manifest: Manifest):
        self.registry = registry
        self.manifest = manifest
        self.ids = tuple([e["id"] for e in manifest.engines] + [x["id"] for x in manifest.exporters])
        self.engine_ids = tuple(e["id"] for e in manifest.engines)

    def fail(self, what: str, exc: BaseException) -> PluginError:
        message = (f"Plugin '{self.manifest.name}' {what}: {_describe(exc)}. It is disabled until "
                   "Cutwise restarts; your project is unchanged.")
        if not any(f.plugin == self.manifest.name for f in self.registry.failures):
            self.registry.fail(PluginFailure(self.manifest.name, message, self.manifest.source,
                                             self.engine_ids), disable=self.ids)
        return PluginError(message)

    def call(self, item_id: str, reference: str, label: str, *args, optional=None, **kwargs):
        """The plugin's ``reference`` called with the arguments, and with those of
        ``optional`` that it takes."""
        if item_id in self.registry.disabled:
            raise PluginError(self.registry.disabled[item_id])
        try:
            function = _load_object(reference, self.manifest.import_root)
        except Exception as exc:  # noqa: BLE001 - any import error disables the plugin
            raise self.fail(f"could not be loaded ({reference})", exc) from exc
        kwargs.update({k: v for k, v in (optional or {}).items() if accepts(function, k)})
        try:
            return function(*args, **kwargs)
        except CutwiseError:  # bad input or Cancelled: the plugin is fine
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not take the app down
            raise self.fail(f"failed in {label}", exc) from exc

    def engine_run(self, spec: dict):
        def run(asset, params, *, progress, cancel, on_warning=None):
            result = self.call(spec["id"], spec["run"], spec["name"], asset, params,
                               progress=progress, cancel=cancel,
                               optional={"on_warning": on_warning} if on_warning else None)
            bad = not isinstance(result, list) or any(
                not isinstance(s, Suggestion) or s.asset_id != asset.id or s.lane != spec["lane"]
                for s in result)
            if bad:
                raise self.fail(f"returned something other than a list of suggestions for lane "
                                f"'{spec['lane']}' in {spec['name']}", TypeError(type(result).__name__))
            return result
        return run

    def exporter_run(self, spec: dict):
        def run(project, timeline):
            result = self.call(spec["id"], spec["run"], spec["name"], project, timeline)
            if not isinstance(result, str):
                raise self.fail(f"returned {type(result).__name__} instead of text in {spec['name']}",
                                TypeError(type(result).__name__))
            return result
        return run


def _parameter(plugin: str, data: dict) -> Parameter:
    unknown = set(data) - _PARAMETER_KEYS
    if unknown or "name" not in data or "default" not in data:
        raise PluginError(f"Plugin '{plugin}': parameter {data.get('name', '?')} needs name, label "
                          f"and default{'; unknown keys ' + ', '.join(sorted(unknown)) if unknown else ''}.")
    values = dict(data)
    values.setdefault("label", values["name"])
    values["choices"] = tuple(values.get("choices", ()))
    return Parameter(**values)


def _install(registry: Registry, manifest: Manifest) -> PluginInfo:
    """Register a manifest's engines and exporters (all or none)."""
    guard = _PluginGuard(registry, manifest)
    engines = [Engine(id=spec["id"], name=spec["name"], lane=spec["lane"], run=guard.engine_run(spec),
                      description=str(spec.get("description", "")),
                      parameters=tuple(_parameter(manifest.name, p) for p in spec.get("parameters", [])),
                      gpu=bool(spec.get("gpu", False)), version=str(spec.get("version", manifest.version)),
                      panel=str(spec.get("panel", "")))
               for spec in manifest.engines]
    exporters = [Exporter(id=spec["id"], name=spec["name"], extension=spec["extension"],
                          run=guard.exporter_run(spec), description=str(spec.get("description", "")))
                 for spec in manifest.exporters]
    clash = [e.id for e in engines if e.id in registry.engines] + \
            [x.id for x in exporters if x.id in registry.exporters or registry.exporter_for("x" + x.extension)]
    if clash:
        raise PluginError(f"Plugin '{manifest.name}' contributes {', '.join(clash)}, which another "
                          "plugin or Cutwise itself already provides.")
    if manifest.import_root is not None and any(e.panel for e in engines):
        with _import_lock:  # the window imports panel classes itself
            if str(manifest.import_root) not in sys.path:
                sys.path.append(str(manifest.import_root))
    for exporter in exporters:
        registry.register_exporter(exporter)
    for engine in engines:
        registry.register_engine(engine)
    return PluginInfo(manifest.name, manifest.version, manifest.api, manifest.source,
                      manifest.description, tuple(e.id for e in engines), tuple(x.id for x in exporters))


def discover(registry: Registry, *, folders: list[Path] | None = None, entry_points: bool = True) -> Registry:
    """Add every plugin found to ``registry``; failures are recorded, never raised."""
    candidates = (_entry_point_manifests() if entry_points else []) + \
        _folder_manifests(plugin_folders() if folders is None else folders)
    loaded = {p.name for p in registry.plugins}
    for label, read in candidates:
        try:
            manifest = read()
        except PluginError as exc:
            registry.fail(PluginFailure(label, exc.message, label))
            continue
        except Exception as exc:  # noqa: BLE001 - a broken package must not stop the others
            registry.fail(PluginFailure(label, f"Plugin '{label}' could not be read: {_describe(exc)}.", label))
            continue
        if manifest.name in loaded:  # installed and also in a folder: the first found wins
            continue
        try:
            registry.plugins.append(_install(registry, manifest))
            loaded.add(manifest.name)
        except PluginError as exc:
            registry.fail(PluginFailure(manifest.name, exc.message, manifest.source))
        except (TypeError, ValueError) as exc:
            registry.fail(PluginFailure(manifest.name, f"Plugin '{manifest.name}' has an invalid "
                                        f"manifest: {exc}.", manifest.source))
    return registry


def load_registry(*, folders: list[Path] | None = None, entry_points: bool = True) -> Registry:
    """The built-in engines plus every plugin that loads; what the app and CLI use."""
    from editor import __version__
    from editor.plugins.builtin import builtin_registry

    registry = builtin_registry()
    registry.plugins.insert(0, PluginInfo("cutwise", __version__, API_VERSION, "built-in",
                                          "The engines that ship with Cutwise",
                                          tuple(registry.engines), tuple(registry.exporters)))
    return discover(registry, folders=folders, entry_points=entry_points)
