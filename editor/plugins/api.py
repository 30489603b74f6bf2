"""The public plugin API: what an analysis engine declares so the app can run it.

An engine is plain Python: a function ``run(asset, params, *, progress, cancel)`` that
returns :class:`~editor.core.model.Suggestion` objects for one lane, plus a declaration
of its parameters. The UI builds its panel (form, Run, progress, Cancel, results) from
the declaration, the job runner runs it off the GUI thread, and its results land in the
project's suggestion lane. Built-in engines register through this same API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from editor.core.model import MediaAsset, Suggestion
from editor.core.progress import CancelToken, ProgressCallback

API_VERSION = 1


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


@dataclass
class Registry:
    """What the app knows how to run; the UI makes one panel per engine."""

    engines: dict[str, Engine] = field(default_factory=dict)
    listeners: list[Callable[[Engine], None]] = field(default_factory=list)

    def register_engine(self, engine: Engine) -> None:
        if engine.id in self.engines:
            raise ValueError(f"an engine named {engine.id!r} is already registered")
        self.engines[engine.id] = engine
        for listener in self.listeners:
            listener(engine)
