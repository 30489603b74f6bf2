"""The public plugin API: what an analysis engine declares so the app can run it.

An engine is plain Python: a function ``run(asset, params, *, progress, cancel)`` that
returns :class:`~editor.core.model.Suggestion` objects for one lane, plus a declaration
of its parameters. The UI builds its panel (form, Run, progress, Cancel, results) from
the declaration, the job runner runs it off the GUI thread, and its results land in the
project's suggestion lane. Built-in engines register through this same API. A ``run``
that also takes ``on_warning`` gets a callable for notes (one readable sentence each:
a slow fallback, a skipped frame), shown beside the job's progress as they come.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from editor.core.errors import CutwiseError
from editor.core.model import MediaAsset, Project, Suggestion, Timeline
from editor.core.progress import CancelToken, ProgressCallback

API_VERSION = 1
#: the API versions this Cutwise can load plugins for (a manifest's ``api``)
SUPPORTED_API_VERSIONS = (1,)

log = logging.getLogger("cutwise.plugins")


@dataclass(frozen=True)
class Parameter:
    """One setting of an engine, shown as a form field with a tooltip and a help line."""

    name: str
    label: str
    default: Any
    kind: str = "float"            # "float", "int", "bool" or "choice"
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def coerce(self, value: Any) -> Any:
        """Bring a value from a form or a preset into range and type."""
        if self.kind == "bool":
            return bool(value)
        if self.kind == "choice":
            return value if value in self.choices else self.default
        number = float(value)
        if self.minimum is not None:
            number = max(number, self.minimum)
        if self.maximum is not None:
            number = min(number, self.maximum)
        return int(round(number)) if self.kind == "int" else number


def accepts(function: Callable, keyword: str) -> bool:
    """Whether ``function`` can be called with the keyword argument ``keyword``."""
    parameters = inspect.signature(function).parameters.values()
    return any(p.name == keyword and p.kind is not p.POSITIONAL_ONLY or p.kind is p.VAR_KEYWORD
               for p in parameters)


class EngineRun(Protocol):
    def __call__(self, asset: MediaAsset, params: dict[str, Any], *, progress: ProgressCallback,
                 cancel: CancelToken) -> list[Suggestion]: ...


@dataclass(frozen=True)
class Engine:
    """An analysis engine's declaration."""

    id: str
    name: str
    lane: str
    run: EngineRun
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    gpu: bool = False
    version: str = "1"
    #: ``"package.module:Class"`` of an ``editor.ui.engine_panel.EnginePanel`` subclass
    #: for an engine that needs more than the generic form (prompts, a plot, overlays);
    #: imported only when the window builds its panel. Empty: the generic panel.
    panel: str = ""

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def resolve(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each coerced to its declared type and range."""
        values = self.defaults()
        for p in self.parameters:
            if params and p.name in params:
                values[p.name] = p.coerce(params[p.name])
        return values


class PluginError(CutwiseError):
    """A plugin that could not be loaded, or that failed while it ran."""


@dataclass(frozen=True)
class Exporter:
    """A plugin's timeline exporter: ``run(project, timeline) -> str`` for files ending in
    ``extension`` (e.g. ``".srt"``); offered by File ▸ Export timeline and ``cutwise export``."""

    id: str
    name: str
    extension: str
    run: Callable[[Project, Timeline], str]
    description: str = ""


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin, as the Plugins dialog lists it."""

    name: str
    version: str
    api: int
    source: str                     # "built-in", "entry point (dist 1.0)" or the folder
    description: str = ""
    engines: tuple[str, ...] = ()
    exporters: tuple[str, ...] = ()


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was disabled, and why, in one readable sentence."""

    plugin: str
    message: str
    source: str = ""
    engines: tuple[str, ...] = ()


@dataclass
class Registry:
    """What the app knows how to run; the UI makes one panel per engine."""

    engines: dict[str, Engine] = field(default_factory=dict)
    listeners: list[Callable[[Engine], None]] = field(default_factory=list)
    exporters: dict[str, Exporter] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    #: called with each new :class:`PluginFailure`, possibly from a worker thread
    failure_listeners: list[Callable[[PluginFailure], None]] = field(default_factory=list)
    #: engine or exporter id -> why it is disabled
    disabled: dict[str, str] = field(default_factory=dict)

    def register_engine(self, engine: Engine) -> None:
        if engine.id in self.engines:
            raise ValueError(f"an engine named {engine.id!r} is already registered")
        self.engines[engine.id] = engine
        for listener in self.listeners:
            listener(engine)

    def register_exporter(self, exporter: Exporter) -> None:
        extension = exporter.extension.lower()
        if exporter.id in self.exporters:
            raise ValueError(f"an exporter named {exporter.id!r} is already registered")
        if any(e.extension.lower() == extension for e in self.exporters.values()):
            raise ValueError(f"another exporter already writes {extension} files")
        self.exporters[exporter.id] = exporter

    def exporter_for(self, path: str) -> Exporter | None:
        """The enabled plugin exporter for ``path``'s extension, if any."""
        name = str(path).lower()
        for exporter in self.exporters.values():
            if exporter.id not in self.disabled and name.endswith(exporter.extension.lower()):
                return exporter
        return None

    def fail(self, failure: PluginFailure, disable: tuple[str, ...] = ()) -> None:
        """Record a plugin failure, disable its engines/exporters, log it and tell listeners."""
        for item in (*failure.engines, *disable):
            self.disabled.setdefault(item, failure.message)
        self.failures.append(failure)
        log.error(failure.message)
        for listener in list(self.failure_listeners):
            listener(failure)
