"""The timeline: tracks of clips, a timecode ruler, markers, the playhead and the AI
suggestion lanes, drawn with QPainter and edited only through core commands.

The view never keeps model objects across a change: every ``document.changed`` /
``project_replaced`` marks its derived layout stale, and the next paint or hit test
rebuilds it from ``document.project`` (commands replace objects on undo). Interaction
state (drags, selection, the active suggestion) holds ids only.

Screen layout, top to bottom::

    +------------+------------------------------------------------+
    | 00:00:04   | ruler: ticks, timecodes, marker flags, playhead |
    | Shots      | one suggestion lane per lane with suggestions   |
    | Highlights | ...                                             |
    | V2  eye lk | video tracks, highest first (V2 above V1)       |
    | V1  eye lk |  [clip      ][clip   ]                          |
    | A1  spk lk | audio tracks in model order                     |
    +------------+------------------------------------------------+

Only what intersects the repainted region is drawn: each track's clips, the markers and
each lane's suggestions are sorted arrays sliced with ``searchsorted``; items narrower
than a few pixels are merged into runs and rasterised as one row of pixels, text goes
through cached QStaticText, waveforms are cached tiles and the header column a cached
pixmap, so a paint costs O(visible pixels), not O(project size).
:attr:`TimelineView.paint_stats` counts what the last paint drew.

Mouse and keys: click selects a clip (Ctrl toggles, Shift adds), drag moves (also to
another track of the same kind), drag an edge trims, drag on empty track space
rubber-band selects, click or drag on the ruler scrubs, click a suggestion jumps to it,
right-click for clip / suggestion / marker menus. Wheel scrolls sideways, Shift+wheel
up/down, Ctrl+wheel zooms around the cursor. Snapping (to clip edges, markers,
suggestion boundaries and the playhead, within :data:`SNAP_PX`) is on while
:attr:`TimelineView.snapping` is true; holding Alt during a drag suspends it.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QMimeData, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF,
    QStaticText, QTransform,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMenu, QToolTip, QWidget

from editor.core import commands as cmd
from editor.core.errors import CutwiseError
from editor.core.model import (
    ACCEPTED, AUDIO, LANE_HIGHLIGHTS, LANE_MATTING, LANE_REFRAME, LANE_SHOTS, PENDING, REJECTED,
    VIDEO, Clip, Marker, MediaAsset, ModelError, Suggestion, Timeline, Track,
)
from editor.core.timecode import FrameRate

__all__ = ["ASSET_MIME", "MediaProvider", "TimelineView", "asset_mime_data"]

#: Drag-and-drop MIME type for media bin items; the payload is the asset id (UTF-8).
ASSET_MIME = "application/x-cutwise-asset"

HEADER_W = 168          # track/lane header column
RULER_H = 32
LANE_H = 20
LANE_GAP = 3            # between the last lane and the first track
VIDEO_H = 66
AUDIO_H = 50
TRACK_GAP = 1
CLIP_INSET = 3          # vertical margin of a clip block inside its track
TITLE_H = 15            # name strip at the top of a clip
SNAP_PX = 8             # snapping distance
EDGE_PX = 6             # grab zone of a clip edge for trimming
AUTOSCROLL_PX = 24      # a drag this close to the left/right edge scrolls the view
MIN_PPF, MAX_PPF = 1e-4, 64.0
ZOOM_STEP = 1.5
PEAKS_PER_SECOND = 100  # waveform arrays from the media provider


@runtime_checkable
class MediaProvider(Protocol):
    """What the timeline asks for to draw filmstrips and waveforms inside clips.

    Both methods are called on the GUI thread *while painting*, so they must answer at
    once from memory: return ``None`` for anything not ready, start making it in the
    background, and when it is ready repaint the view, either by calling
    :meth:`TimelineView.media_updated` or by emitting a no-argument Qt signal named
    ``updated`` (or ``changed``), which :meth:`TimelineView.set_media_provider` connects.
    A ``None`` answer draws a plain clip block.
    """

    def thumbnail(self, asset_id: str, source_frame: int, height: int,
                  exact: bool = False) -> QImage | None:
        """A picture of source frame ``source_frame`` (decode order) about ``height`` px
        high; a nearby frame is fine (the view asks for each filmstrip tile's first frame)
        unless ``exact`` (a clip's head frame: a nearby one may be across a cut)."""

    def waveform(self, asset_id: str) -> np.ndarray | None:
        """(n, 2) float array of (min, max) sample peaks of the mono mix, in [-1, 1], at
        :data:`PEAKS_PER_SECOND` rows per second of the asset's audio."""


def asset_mime_data(asset_id: str) -> QMimeData:
    """The drag payload the timeline accepts (for the media bin's ``mimeData``)."""
    mime = QMimeData()
    mime.setData(ASSET_MIME, asset_id.encode("utf-8"))
    return mime


# --- colours ------------------------------------------------------------------------------

def _c(name: str, alpha: int = 255) -> QColor:
    color = QColor(name)
    color.setAlpha(alpha)
    return color


class _Theme:
    bg = _c("#18191c")
    track_bg = (_c("#212226"), _c("#1d1e21"))
    track_locked = _c("#2a2222")
    header_bg = _c("#26272b")
    header_line = _c("#111214")
    header_text = _c("#d6d8dd")
    header_dim = _c("#8a8f99")
    ruler_bg = _c("#2c2e33")
    ruler_tick = _c("#6f7480")
    ruler_major = _c("#a3a8b3")
    ruler_text = _c("#b9bdc6")
    lane_bg = _c("#1c1d21")
    playhead = _c("#ff4f4f")
    snap = _c("#ffd24a")
    select = _c("#ffb43c")
    band = _c("#5b9cf0", 50)
    band_line = _c("#5b9cf0", 200)
    invalid = _c("#e5484d")
    clip = {VIDEO: (_c("#3a6ea5"), _c("#2c5581"), _c("#15283d")),
            AUDIO: (_c("#2f8060"), _c("#23634a"), _c("#0f2e22"))}
    clip_selected = {VIDEO: _c("#4a82bd"), AUDIO: _c("#3b9873")}
    clip_text = _c("#f1f3f6")
    corner_bg = _c("#25272b")
    lane_header_bg = _c("#202125")
    ruler_past_end = _c("#000000", 45)
    lanes = {LANE_SHOTS: _c("#f0a030"), LANE_HIGHLIGHTS: _c("#5cc77a"),
             LANE_REFRAME: _c("#4db8e8"), LANE_MATTING: _c("#b77ee0")}
    lane_other = _c("#c9c3a0")
    rejected = _c("#5d616b")
    kind_strip = {VIDEO: _c("#4a86c8"), AUDIO: _c("#3fa878")}
    button_on = {"muted": _c("#d9534f"), "locked": _c("#e0a030")}


LANE_ORDER = (LANE_SHOTS, LANE_HIGHLIGHTS, LANE_REFRAME, LANE_MATTING)
_STATUS_CODE = {PENDING: 0, ACCEPTED: 1, REJECTED: 2}
_WAVE_ARGB = 0xE0A8F0CC
_WAVE_MID_ARGB = 0x80A8F0CC
# Enum members looked up once (attribute access on PySide enums is slow in paint loops).
_PLAIN = Qt.TextFormat.PlainText
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight
_INTERSECT = Qt.ClipOperation.IntersectClip
_NO_PEN = Qt.PenStyle.NoPen
_NO_BRUSH = Qt.BrushStyle.NoBrush
_ALIGN_LEFT_VC = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGN_RIGHT_VC = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_WHITE = QColor("#ffffff")
DETAIL_PX = 10          # clips narrower than this are drawn as plain merged blocks
WAVE_TILE = 256         # waveform images are cached in tiles this wide
_TICK_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


# --- derived layout (rebuilt after every model change) ------------------------------------

@dataclass
class _Row:
    track: Track
    y: int                      # top, relative to the first track, unscrolled
    h: int
    clips: list[Clip]
    starts: list[int]
    ends: list[int]

    def __post_init__(self):
        self.np_starts = np.asarray(self.starts, dtype=np.float64)
        self.np_ends = np.asarray(self.ends, dtype=np.float64)


@dataclass
class _Item:
    """A suggestion mapped through one clip onto the timeline."""

    start: int                  # timeline frames; ``end`` exclusive
    end: int
    point: bool                 # a cut: drawn as a tick at ``start``
    suggestion: Suggestion
    keys: list[int] = field(default_factory=list)   # reframe keyframes, timeline frames


@dataclass
class _Lane:
    name: str
    items: list[_Item]
    starts: list[int]
    max_span: int
    pending: int
    total: int

    def __post_init__(self):
        self.np_starts = np.asarray(self.starts, dtype=np.float64)
        self.np_ends = np.asarray([it.end for it in self.items], dtype=np.float64)
        self.np_point = np.asarray([it.point for it in self.items], dtype=bool)
        self.np_status = np.asarray([_STATUS_CODE.get(it.suggestion.status, 0)
                                     for it in self.items], dtype=np.int8)


@dataclass
class _Layout:
    timeline: Timeline
    rate: FrameRate
    rows: list[_Row]
    row_of_track: dict[str, _Row]
    clip_index: dict[str, tuple[_Row, Clip]]
    assets: dict[str, MediaAsset]
    markers: list[Marker]
    marker_frames: list[int]
    lanes: list[_Lane]
    snap: list[int]
    content_h: int
    duration: int

    def __post_init__(self):
        self.np_marker_frames = np.asarray(self.marker_frames, dtype=np.float64)
        names = list(dict.fromkeys(m.color for m in self.markers))
        self.marker_colors = [QColor(n) if QColor.isValidColorName(n) else QColor("#f5c518")
                              for n in names]
        index = {n: i for i, n in enumerate(names)}
        self.np_marker_color = np.asarray([index[m.color] for m in self.markers], dtype=np.int64)


@dataclass
class _Drag:
    mode: str                   # move, trim_in, trim_out, scrub, band
    press: QPointF
    modifiers: Qt.KeyboardModifier
    clip_id: str | None = None
    ids: list[str] = field(default_factory=list)
    started: bool = False
    delta: int = 0
    track_offset: int = 0
    frame: int = 0
    snapped: int | None = None
    snap: list[int] = field(default_factory=list)
    base_selection: list[str] = field(default_factory=list)
    collapse_to: str | None = None   # a plain click on a selected clip selects only it
    press_frame: float = 0.0          # timeline position of the press (survives scrolling)


@dataclass
class _DropPreview:
    asset_id: str
    frame: int
    placements: list[tuple[str, int, int]]   # (track id, start, duration)
    valid: bool


class TimelineView(QAbstractScrollArea):
    """Shows one timeline of ``document.project`` and edits it through undoable commands."""

    #: The user moved the playhead (ruler scrub, suggestion click); not sent by set_playhead.
    playhead_moved = Signal(int)
    #: Selected clip ids, in selection order.
    selection_changed = Signal(list)
    #: A suggestion was clicked (its id); the playhead has moved to its start.
    suggestion_activated = Signal(str)
    #: A one-line note for the status bar, e.g. why an edit was refused.
    message = Signal(str)
    #: Another sequence is shown (its id).
    timeline_switched = Signal(str)

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self._document = document
        self._timeline_id = document.project.timeline.id
        self._layout: _Layout | None = None
        self._provider: MediaProvider | None = None
        self._provider_signal = None
        self._ppf = 2.0
        self._sx = 0.0
        self._playhead = 0
        self._selection: list[str] = []
        self._active_suggestion: str | None = None
        self._drag: _Drag | None = None
        self._band: QRectF | None = None
        self._drop: _DropPreview | None = None
        self._snap_line: int | None = None
        self._syncing_bars = False
        self._fit_pending = False
        #: Snap moves, trims and scrubbing to edges, markers, suggestions, the playhead.
        self.snapping = True
        #: Scroll to keep the playhead visible when set_playhead moves it off screen.
        self.follow_playhead = True
        #: What the last paint drew: clips, markers, suggestions, thumbnails, waveforms.
        self.paint_stats: dict[str, int] = {}

        self._font = QFont(self.font())
        self._font.setPointSizeF(8.5)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._tc_font = QFont("DejaVu Sans Mono")
        self._tc_font.setStyleHint(QFont.StyleHint.Monospace)
        self._tc_font.setPointSizeF(10.5)
        self._tc_font.setBold(True)
        self._fm = QFontMetricsF(self._font)
        self._fm_h = self._fm.height()
        self._label_w = self._fm.horizontalAdvance("00:00:00:00") + 22
        self._texts: dict[tuple[bool, str], QStaticText] = {}
        self._elisions: dict[tuple[str, int], str] = {}
        self._header_cache: tuple | None = None
        self._wave_tiles: OrderedDict[tuple, QImage] = OrderedDict()
        self._last_drag_pos: tuple | None = None
        self._autoscroll = QTimer(self)
        self._autoscroll.setInterval(30)
        self._autoscroll.timeout.connect(self._on_autoscroll)
        self._generation = 0

        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.viewport().setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.horizontalScrollBar().valueChanged.connect(self._on_hbar)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())
        self.setMinimumSize(400, 160)

        document.changed.connect(self._on_changed)
        document.project_replaced.connect(self._on_project_replaced)

    # ======================================================================== public API

    @property
    def document(self):
        return self._document

    @property
    def timeline(self) -> Timeline:
        """The timeline shown (looked up by id; falls back to the project's first)."""
        return self._ensure().timeline

    @property
    def timeline_id(self) -> str:
        return self.timeline.id

    def set_timeline(self, timeline_id: str) -> None:
        """Show another sequence of the project."""
        self._document.project.get_timeline(timeline_id)  # raises ModelError if unknown
        self._timeline_id = timeline_id
        self._active_suggestion = None
        self._cancel_drag()
        self._invalidate()
        self._set_selection([])
        self.timeline_switched.emit(timeline_id)

    def set_media_provider(self, provider: MediaProvider | None) -> None:
        """Use ``provider`` for filmstrips and waveforms (None: plain blocks)."""
        if self._provider_signal is not None:
            try:
                self._provider_signal.disconnect(self.media_updated)
            except (RuntimeError, TypeError):
                pass
        self._provider, self._provider_signal = provider, None
        for name in ("updated", "changed"):
            signal = getattr(provider, name, None)
            if signal is not None and hasattr(signal, "connect"):
                signal.connect(self.media_updated)
                self._provider_signal = signal
                break
        self.viewport().update()

    @Slot()
    def media_updated(self) -> None:
        """Thumbnails or waveforms became ready: repaint."""
        self.viewport().update()

    def update(self, *args) -> None:  # noqa: D401 - the provider may call view.update()
        """Repaint (the viewport too, where the timeline is drawn)."""
        super().update(*args)
        self.viewport().update(*args)

    # --- playhead ---------------------------------------------------------------------
    @property
    def playhead(self) -> int:
        return self._playhead

    @Slot(int)
    def set_playhead(self, frame: int) -> None:
        """Move the playhead (e.g. from the player); does not emit playhead_moved."""
        frame = max(0, int(frame))
        if frame == self._playhead:
            return
        old = self._playhead
        self._playhead = frame
        if self.follow_playhead and self._drag is None and not self._frame_visible(frame):
            width = self._track_width()
            self._set_scroll(frame * self._ppf - 0.1 * width)
            return
        self._update_playhead_region(old)
        self._update_playhead_region(frame)

    def _move_playhead_by_user(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame != self._playhead:
            old, self._playhead = self._playhead, frame
            self._update_playhead_region(old)
            self._update_playhead_region(frame)
        self.playhead_moved.emit(frame)

    # --- selection --------------------------------------------------------------------
    @property
    def selected_clip_ids(self) -> list[str]:
        return list(self._selection)

    def select_clips(self, clip_ids: list[str]) -> None:
        known = self._ensure().clip_index
        self._set_selection([c for c in dict.fromkeys(clip_ids) if c in known])

    def clear_selection(self) -> None:
        self._set_selection([])

    # --- zoom & scroll ----------------------------------------------------------------
    @property
    def pixels_per_frame(self) -> float:
        return self._ppf

    def set_pixels_per_frame(self, ppf: float, anchor_x: float | None = None) -> None:
        """Zoom so one frame is ``ppf`` px wide, keeping the frame at viewport x
        ``anchor_x`` (default: the playhead if visible, else the left edge) in place."""
        ppf = min(MAX_PPF, max(self._min_ppf(), float(ppf)))
        self._fit_pending = False
        if anchor_x is None:
            px = self.frame_to_x(self._playhead)
            anchor_x = px if HEADER_W <= px <= self.viewport().width() else HEADER_W
        anchor_frame = (anchor_x - HEADER_W + self._sx) / self._ppf
        self._ppf = ppf
        self._set_scroll(anchor_frame * ppf - (anchor_x - HEADER_W))

    def zoom_in(self) -> None:
        self.set_pixels_per_frame(self._ppf * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_pixels_per_frame(self._ppf / ZOOM_STEP)

    def zoom_to_fit(self) -> None:
        """Show the whole timeline (at least ten seconds). The fit follows resizes of
        the view until the user zooms."""
        self._fit_pending = True
        layout = self._ensure()
        frames = max(layout.duration, round(10 * float(layout.rate)))
        self._ppf = min(MAX_PPF, max(MIN_PPF, (self._track_width() - 24) / frames))
        self._set_scroll(0)

    def visible_frame_range(self) -> tuple[float, float]:
        """First and last timeline frame (fractional) across the track area."""
        return self._sx / self._ppf, (self._sx + self._track_width()) / self._ppf

    def scroll_to_frame(self, frame: int) -> None:
        """Scroll so ``frame`` is at the left edge of the tracks."""
        self._set_scroll(frame * self._ppf)

    # --- geometry (viewport coordinates; public for tests and overlays) ----------------
    def frame_to_x(self, frame: float) -> float:
        """Viewport x of the left edge of timeline ``frame``."""
        return HEADER_W + frame * self._ppf - self._sx

    def x_to_frame(self, x: float) -> int:
        """The timeline frame boundary nearest to viewport ``x`` (never below 0)."""
        return max(0, round((x - HEADER_W + self._sx) / self._ppf))

    def ruler_rect(self) -> QRectF:
        return QRectF(HEADER_W, 0, self._track_width(), RULER_H)

    def lane_names(self) -> list[str]:
        """Lanes shown, top to bottom."""
        return [lane.name for lane in self._ensure().lanes]

    def lane_rect(self, lane: str) -> QRectF:
        for i, shown in enumerate(self._ensure().lanes):
            if shown.name == lane:
                return QRectF(HEADER_W, RULER_H + i * LANE_H, self._track_width(), LANE_H)
        raise KeyError(lane)

    def track_rect(self, track_id: str) -> QRectF:
        """The row of a track (right of the headers), scrolled."""
        row = self._ensure().row_of_track[track_id]
        return QRectF(HEADER_W, self._row_top(row), self._track_width(), row.h)

    def track_header_rect(self, track_id: str) -> QRectF:
        row = self._ensure().row_of_track[track_id]
        return QRectF(0, self._row_top(row), HEADER_W, row.h)

    def header_button_rect(self, track_id: str, flag: str) -> QRectF:
        """The mute (``"muted"``) or lock (``"locked"``) toggle in a track header."""
        row = self._ensure().row_of_track[track_id]
        return self._button_rect(row, flag)

    def clip_rect(self, clip_id: str) -> QRectF:
        """The block of a clip, scrolled (may lie outside the viewport)."""
        row, clip = self._ensure().clip_index[clip_id]
        top = self._row_top(row)
        x0, x1 = self.frame_to_x(clip.start), self.frame_to_x(clip.end)
        return QRectF(x0, top + CLIP_INSET, x1 - x0, row.h - 2 * CLIP_INSET)

    def suggestion_ranges(self, suggestion_id: str) -> list[tuple[int, int]]:
        """Where a suggestion shows on this timeline: (start, end exclusive) frames, one
        pair per clip of its asset that contains it (empty if none does)."""
        return sorted({(item.start, item.end) for lane in self._ensure().lanes
                       for item in lane.items if item.suggestion.id == suggestion_id})

    # --- edits ------------------------------------------------------------------------
    def split_at_playhead(self) -> None:
        """Split the selected clips under the playhead, or, with none of them there,
        every clip under the playhead on unlocked tracks: one undo step."""
        layout = self._ensure()
        frame = self._playhead
        under = []
        for row in layout.rows:
            i = bisect_right(row.ends, frame)
            if i < len(row.clips) and row.clips[i].start < frame:
                under.append((row, row.clips[i]))
        chosen = [(r, c) for r, c in under if c.id in self._selection]
        if not chosen:
            chosen = [(r, c) for r, c in under if not r.track.locked]
        if not chosen:
            self.message.emit("No clip under the playhead to split.")
            return
        tl = layout.timeline.id
        commands = [cmd.split_clip(tl, c.id, frame) for _r, c in chosen]
        self._push(commands[0] if len(commands) == 1 else
                   cmd.compound("Split clips", commands))

    def delete_selected(self, ripple: bool = False) -> None:
        """Delete the selected clips; ``ripple`` closes the gaps they leave."""
        if not self._selection:
            self.message.emit("Select clips to delete first.")
            return
        self._push(cmd.remove_clips(self.timeline.id, list(self._selection), ripple=ripple))

    def add_marker_at_playhead(self, name: str = "") -> None:
        layout = self._ensure()
        name = name or f"Marker {len(layout.markers) + 1}"
        self._push(cmd.add_marker(layout.timeline.id, Marker(frame=self._playhead, name=name)))

    def set_suggestions_status(self, suggestion_ids: list[str], status: str) -> None:
        ids = list(dict.fromkeys(suggestion_ids))
        if ids:
            self._push(cmd.set_suggestion_status(ids, status))

    def toggle_track_flag(self, track_id: str, flag: str) -> None:
        """Flip a track's ``muted`` or ``locked`` flag as an undoable edit."""
        if flag not in ("muted", "locked"):
            raise ValueError(flag)
        tl = self.timeline.id
        track = self.timeline.track(track_id)
        turning_on = not getattr(track, flag)
        verb = {("muted", True): "Mute", ("muted", False): "Unmute",
                ("locked", True): "Lock", ("locked", False): "Unlock"}[flag, turning_on]

        def apply(project):
            target = project.get_timeline(tl).track(track_id)
            setattr(target, flag, turning_on)
        self._push(cmd.Command(f"{verb} track {track.name}".strip(), [("timeline", tl)], apply))

    def insert_asset(self, asset_id: str, frame: int, track_id: str | None = None) -> bool:
        """Insert the whole asset at ``frame`` (as a drop does); True if it was added."""
        preview = self._plan_drop(asset_id, frame, track_id)
        if preview is None:
            return False
        return self._commit_drop(preview)

    # --- menus (built on demand; tests trigger their actions directly) -----------------
    def suggestion_menu(self, suggestion_id: str) -> QMenu:
        layout = self._ensure()
        lane = next((ln for ln in layout.lanes for it in ln.items
                     if it.suggestion.id == suggestion_id), None)
        menu = QMenu(self)
        if lane is None:
            return menu
        suggestion = next(it.suggestion for it in lane.items if it.suggestion.id == suggestion_id)
        pending = list(dict.fromkeys(it.suggestion.id for it in lane.items
                                     if it.suggestion.status == PENDING))
        accept = menu.addAction("Accept", lambda: self.set_suggestions_status([suggestion_id], ACCEPTED))
        reject = menu.addAction("Reject", lambda: self.set_suggestions_status([suggestion_id], REJECTED))
        accept.setEnabled(suggestion.status != ACCEPTED)
        reject.setEnabled(suggestion.status != REJECTED)
        if suggestion.status != PENDING:
            menu.addAction("Reset to pending",
                           lambda: self.set_suggestions_status([suggestion_id], PENDING))
        menu.addSeparator()
        all_accept = menu.addAction(f"Accept all in lane ({len(pending)})",
                                    lambda: self.set_suggestions_status(pending, ACCEPTED))
        all_reject = menu.addAction(f"Reject all pending in lane ({len(pending)})",
                                    lambda: self.set_suggestions_status(pending, REJECTED))
        all_accept.setObjectName("accept_all")
        all_reject.setObjectName("reject_all")
        accept.setObjectName("accept")
        reject.setObjectName("reject")
        all_accept.setEnabled(bool(pending))
        all_reject.setEnabled(bool(pending))
        return menu

    def clip_menu(self, clip_id: str) -> QMenu:
        menu = QMenu(self)
        if clip_id not in self._selection:
            self._set_selection([clip_id])
        menu.addAction("Split at playhead", self.split_at_playhead).setShortcut("S")
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_selected(False)).setShortcut("Del")
        menu.addAction("Ripple delete", lambda: self.delete_selected(True)).setShortcut("Shift+Del")
        return menu

    def marker_menu(self, marker_id: str) -> QMenu:
        menu = QMenu(self)
        tl = self.timeline.id
        menu.addAction("Go to marker", lambda: self._goto_marker(marker_id))
        menu.addAction("Remove marker", lambda: self._push(cmd.remove_marker(tl, marker_id)))
        return menu

    def _goto_marker(self, marker_id: str) -> None:
        try:
            self._move_playhead_by_user(self.timeline.marker(marker_id).frame)
        except ModelError:
            pass

    # ===================================================================== model binding

    def _on_changed(self, scope) -> None:
        relevant = scope in ("suggestions", "assets", "timelines") or (
            isinstance(scope, tuple) and scope[1] == self._timeline_id)
        if not relevant:
            return
        self._invalidate()
        known = self._ensure().clip_index
        if self._drag is not None and any(c not in known for c in self._drag.ids):
            self._cancel_drag()
        kept = [c for c in self._selection if c in known]
        if kept != self._selection:
            self._set_selection(kept)

    def _on_project_replaced(self) -> None:
        self._timeline_id = self._document.project.timeline.id
        self._cancel_drag()
        self._active_suggestion = None
        self._playhead = 0
        self._invalidate()
        self._set_selection([])

    def _invalidate(self) -> None:
        self._layout = None
        self._generation += 1
        self._update_scrollbars()
        self.viewport().update()

    def _ensure(self) -> _Layout:
        if self._layout is None:
            self._layout = self._build_layout()
        return self._layout

    def _build_layout(self) -> _Layout:
        project = self._document.project
        try:
            timeline = project.get_timeline(self._timeline_id)
        except ModelError:
            timeline = project.timeline
            self._timeline_id = timeline.id
        assets = {a.id: a for a in project.assets}
        ordered = ([t for t in timeline.tracks if t.kind == VIDEO][::-1]
                   + [t for t in timeline.tracks if t.kind == AUDIO])
        rows, y = [], 0
        for track in ordered:
            h = VIDEO_H if track.kind == VIDEO else AUDIO_H
            clips = sorted(track.clips, key=lambda c: c.start)
            rows.append(_Row(track, y, h, clips, [c.start for c in clips], [c.end for c in clips]))
            y += h + TRACK_GAP
        clip_index = {c.id: (row, c) for row in rows for c in row.clips}
        markers = sorted(timeline.markers, key=lambda m: m.frame)
        lanes = self._map_suggestions(project.suggestions, rows, assets, timeline.frame_rate)
        snap = [f for row in rows for f in row.starts + row.ends]
        snap += [m.frame for m in markers] + [m.frame + m.duration for m in markers if m.duration > 0]
        for lane in lanes:
            for item in lane.items:
                snap.append(item.start)
                if not item.point:
                    snap.append(item.end)
        snap.sort()
        return _Layout(timeline=timeline, rate=timeline.frame_rate, rows=rows,
                       row_of_track={r.track.id: r for r in rows}, clip_index=clip_index,
                       assets=assets, markers=markers, marker_frames=[m.frame for m in markers],
                       lanes=lanes, snap=snap, content_h=y,
                       duration=max((r.ends[-1] for r in rows if r.ends), default=0))

    @staticmethod
    def _map_suggestions(suggestions, rows, assets, rate: FrameRate) -> list[_Lane]:
        """Suggestions are in source frames: place them through every clip of their asset."""
        uses: dict[str, set[tuple[int, int, int]]] = {}
        for row in rows:
            for clip in row.clips:
                uses.setdefault(clip.asset_id, set()).add((clip.start, clip.duration, clip.source_in))
        grouped: dict[tuple[str, str], list[Suggestion]] = {}
        for s in suggestions:
            if s.asset_id in uses and s.asset_id in assets:
                grouped.setdefault((s.lane, s.asset_id), []).append(s)
        by_lane: dict[str, list[_Item]] = {}
        for (lane, asset_id), group in grouped.items():
            asset_rate = assets[asset_id].frame_rate
            same = asset_rate == rate
            group.sort(key=lambda s: s.start)
            starts = [s.start for s in group]
            max_span = max(max(0, s.end - s.start) for s in group)

            def to_tl(src: int, clip_start: int, src_in: int) -> int:
                if same:
                    return clip_start + src - src_in
                return clip_start + rate.frame_at(asset_rate.seconds(src) - asset_rate.seconds(src_in))

            items = by_lane.setdefault(lane, [])
            for clip_start, duration, src_in in uses[asset_id]:
                src_out = src_in + duration if same else asset_rate.frame_at(
                    asset_rate.seconds(src_in) + rate.seconds(duration))
                clip_end = clip_start + duration
                lo_i = bisect_left(starts, src_in - max_span)
                hi_i = bisect_left(starts, src_out)
                for s in group[lo_i:hi_i]:
                    end = max(s.start, s.end)
                    if end < src_in:
                        continue
                    lo, hi = max(s.start, src_in), min(end, src_out - 1)
                    tl_lo = to_tl(lo, clip_start, src_in)
                    if tl_lo >= clip_end:
                        continue
                    point = s.end <= s.start and (lane == LANE_SHOTS or s.kind == "cut")
                    tl_hi = max(tl_lo + 1, min(clip_end, to_tl(hi + 1, clip_start, src_in)))
                    keys = []
                    if lane == LANE_REFRAME:
                        for key in _keyframes(s):
                            if src_in <= key < src_out:
                                keys.append(to_tl(key, clip_start, src_in))
                        if not keys and s.start >= src_in:
                            keys = [tl_lo] + ([tl_hi - 1] if tl_hi - 1 > tl_lo else [])
                    items.append(_Item(tl_lo, tl_hi, point, s, keys))
        names = [n for n in LANE_ORDER if n in by_lane] + sorted(n for n in by_lane if n not in LANE_ORDER)
        lanes = []
        for name in names:
            items = sorted(by_lane[name], key=lambda it: (it.start, it.end))
            if not items:
                continue
            distinct = {it.suggestion.id: it.suggestion.status for it in items}
            lanes.append(_Lane(name, items, [it.start for it in items],
                               max(it.end - it.start for it in items),
                               sum(1 for st in distinct.values() if st == PENDING), len(distinct)))
        return lanes

    # ========================================================================= geometry

    def _track_width(self) -> float:
        return max(1, self.viewport().width() - HEADER_W)

    def _tracks_top(self) -> int:
        lanes = len(self._ensure().lanes)
        return RULER_H + lanes * LANE_H + (LANE_GAP if lanes else 0)

    def _row_top(self, row: _Row) -> float:
        return self._tracks_top() + row.y - self.verticalScrollBar().value()

    def _row_at(self, y: float) -> _Row | None:
        top = self._tracks_top()
        if y < top:
            return None
        rel = y - top + self.verticalScrollBar().value()
        for row in self._ensure().rows:
            if row.y <= rel < row.y + row.h + TRACK_GAP:
                return row
        return None

    def _frame_f(self, x: float) -> float:
        return (x - HEADER_W + self._sx) / self._ppf

    def _frame_visible(self, frame: int) -> bool:
        x = self.frame_to_x(frame)
        return HEADER_W <= x <= self.viewport().width() - 2

    def _min_ppf(self) -> float:
        layout = self._ensure()
        frames = max(layout.duration, round(10 * float(layout.rate)))
        return max(MIN_PPF, min(0.5 * self._track_width() / frames, 1.0))

    def _button_rect(self, row: _Row, flag: str) -> QRectF:
        size = 18
        x = HEADER_W - 8 - size * (2 if flag == "muted" else 1) - (4 if flag == "muted" else 0)
        return QRectF(x, self._row_top(row) + 7, size, size)

    def _update_scrollbars(self) -> None:
        layout = self._ensure()
        width = self._track_width()
        content = layout.duration * self._ppf + 0.75 * width
        hmax = int(max(0.0, content - width, self._sx))
        vmax = max(0, layout.content_h + 16 - (self.viewport().height() - self._tracks_top()))
        self._syncing_bars = True
        try:
            hbar = self.horizontalScrollBar()
            hbar.setRange(0, hmax)
            hbar.setPageStep(int(width))
            hbar.setSingleStep(max(1, int(width / 20)))
            hbar.setValue(round(self._sx))
            vbar = self.verticalScrollBar()
            vbar.setRange(0, vmax)
            vbar.setPageStep(max(1, self.viewport().height() - self._tracks_top()))
            vbar.setSingleStep(20)
        finally:
            self._syncing_bars = False

    def _set_scroll(self, sx: float) -> None:
        self._sx = max(0.0, float(sx))
        self._update_scrollbars()
        self.viewport().update()

    def _on_hbar(self, value: int) -> None:
        if not self._syncing_bars and value != round(self._sx):
            self._sx = float(value)
        self.viewport().update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_pending:
            self.zoom_to_fit()
        self._update_scrollbars()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._fit_pending:
            self.zoom_to_fit()
        self._update_scrollbars()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def _update_playhead_region(self, frame: int) -> None:
        x = self.frame_to_x(frame)
        vp = self.viewport()
        vp.update(int(x) - 8, 0, 17, vp.height())
        vp.update(0, 0, HEADER_W, RULER_H)

    # ====================================================================== hit testing

    def _clip_at(self, pos: QPointF) -> tuple[_Row, Clip, str] | None:
        """(row, clip, part) under ``pos``: part is "in", "out" or "body"."""
        if pos.x() < HEADER_W:
            return None
        row = self._row_at(pos.y())
        if row is None or not row.clips:
            return None
        top = self._row_top(row)
        if not top + CLIP_INSET <= pos.y() <= top + row.h - CLIP_INSET:
            return None
        frame = self._frame_f(pos.x())
        i = bisect_right(row.ends, frame)
        under = row.clips[i] if i < len(row.clips) and row.clips[i].start <= frame else None
        # Edge grab zones, also a few px outside a clip.
        candidates = ([under] if under else []) + [c for c in row.clips[max(0, i - 1):i + 1]
                                                   if c is not under]
        for clip in candidates:
            x0, x1 = self.frame_to_x(clip.start), self.frame_to_x(clip.end)
            zone = min(EDGE_PX, max(2.0, (x1 - x0) / 4))
            inside = clip is under
            if abs(pos.x() - x0) <= zone and (inside or pos.x() < x0):
                return row, clip, "in"
            if abs(pos.x() - x1) <= zone and (inside or pos.x() >= x1):
                return row, clip, "out"
        if under is not None:
            return row, under, "body"
        return None

    def _lane_at(self, y: float) -> _Lane | None:
        lanes = self._ensure().lanes
        i = int((y - RULER_H) // LANE_H)
        if y >= RULER_H and 0 <= i < len(lanes):
            return lanes[i]
        return None

    def _item_at(self, pos: QPointF) -> tuple[_Lane, _Item] | None:
        if pos.x() < HEADER_W:
            return None
        lane = self._lane_at(pos.y())
        if lane is None:
            return None
        frame = self._frame_f(pos.x())
        tol = 4 / self._ppf
        lo = bisect_left(lane.starts, frame - lane.max_span - tol)
        hi = bisect_right(lane.starts, frame + tol)
        best, best_d = None, None
        for item in lane.items[lo:hi]:
            if item.point or item.end - item.start < 1:
                d = abs(item.start - frame)
                ok = d <= tol
            else:
                ok = item.start - tol <= frame <= item.end + tol
                d = 0 if item.start <= frame <= item.end else min(abs(frame - item.start),
                                                                   abs(frame - item.end))
            if ok and (best_d is None or d < best_d or (d == best_d and item.point)):
                best, best_d = item, d
        return (lane, best) if best else None

    def _marker_at(self, pos: QPointF) -> Marker | None:
        if pos.y() > RULER_H or pos.x() < HEADER_W:
            return None
        layout = self._ensure()
        frame = self._frame_f(pos.x())
        tol = 6 / self._ppf
        lo = bisect_left(layout.marker_frames, frame - tol)
        hi = bisect_right(layout.marker_frames, frame + tol)
        near = layout.markers[lo:hi]
        return min(near, key=lambda m: abs(m.frame - frame)) if near else None

    # ========================================================================= snapping

    def _snap_points(self, exclude_clips: list[str] = (), with_playhead: bool = True) -> list[int]:
        layout = self._ensure()
        points = layout.snap
        if exclude_clips:
            drop: dict[int, int] = {}
            for cid in exclude_clips:
                entry = layout.clip_index.get(cid)
                if entry:
                    clip = entry[1]
                    drop[clip.start] = drop.get(clip.start, 0) + 1
                    drop[clip.end] = drop.get(clip.end, 0) + 1
            kept = []
            for f in points:
                if drop.get(f):
                    drop[f] -= 1
                else:
                    kept.append(f)
            points = kept
        else:
            points = list(points)
        if with_playhead:
            points.insert(bisect_left(points, self._playhead), self._playhead)
        return points

    def _nearest(self, points: list[int], frame: float) -> int | None:
        """The snap point within SNAP_PX of ``frame``, if any."""
        if not points:
            return None
        i = bisect_left(points, frame)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(points):
                if best is None or abs(points[j] - frame) < abs(best - frame):
                    best = points[j]
        if best is not None and abs(best - frame) * self._ppf <= SNAP_PX:
            return best
        return None

    def _snapping_on(self, modifiers) -> bool:
        return self.snapping and not modifiers & Qt.KeyboardModifier.AltModifier

    # ============================================================================ mouse

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._drag = None
        self._press(event.position(), event.modifiers())
        if self._drag is not None:
            self._drag.press_frame = self._frame_f(event.position().x())

    def _press(self, pos: QPointF, mods) -> None:
        if pos.x() < HEADER_W:
            row = self._row_at(pos.y())
            if row is not None:
                for flag in ("muted", "locked"):
                    if self._button_rect(row, flag).contains(pos):
                        self.toggle_track_flag(row.track.id, flag)
                        return
            return
        if pos.y() < RULER_H:
            self._drag = _Drag("scrub", pos, mods, started=True,
                               snap=self._snap_points(with_playhead=False))
            self._scrub_to(pos, mods)
            return
        hit = self._item_at(pos)
        if hit is not None:
            lane, item = hit
            self._active_suggestion = item.suggestion.id
            self._move_playhead_by_user(item.start)
            self.suggestion_activated.emit(item.suggestion.id)
            self.viewport().update()
            return
        if pos.y() < self._tracks_top():
            return
        found = self._clip_at(pos)
        if found is None:
            base = list(self._selection) if mods & (Qt.KeyboardModifier.ControlModifier
                                                    | Qt.KeyboardModifier.ShiftModifier) else []
            if not base:
                self._set_selection([])
            self._drag = _Drag("band", pos, mods, base_selection=base)
            return
        row, clip, part = found
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        collapse = None
        if ctrl:
            if clip.id in self._selection:
                self._set_selection([c for c in self._selection if c != clip.id])
                return
            self._set_selection(self._selection + [clip.id])
        elif shift:
            if clip.id not in self._selection:
                self._set_selection(self._selection + [clip.id])
        elif clip.id not in self._selection:
            self._set_selection([clip.id])
        elif len(self._selection) > 1:
            collapse = clip.id
        if part == "body":
            ids = list(self._selection) if clip.id in self._selection else [clip.id]
            self._drag = _Drag("move", pos, mods, clip_id=clip.id, ids=ids, collapse_to=collapse)
        else:
            self._drag = _Drag("trim_" + part, pos, mods, clip_id=clip.id, ids=[clip.id],
                               frame=clip.start if part == "in" else clip.end)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        drag = self._drag
        if drag is None:
            self._hover(pos)
            return
        mods = event.modifiers()
        self._last_drag_pos = (QPointF(pos), mods)
        self._check_autoscroll(pos)
        self._drag_to(drag, pos, mods)

    def _drag_to(self, drag: _Drag, pos: QPointF, mods) -> None:
        if drag.mode == "scrub":
            self._scrub_to(pos, mods)
            return
        if drag.mode == "band":
            anchor = QPointF(self.frame_to_x(drag.press_frame), drag.press.y())
            self._band = QRectF(anchor, pos).normalized()
            self._band_select()
            self.viewport().update()
            return
        if not drag.started:
            if (pos - drag.press).manhattanLength() < QApplication.startDragDistance():
                return
            if not self._begin_edit_drag(drag):
                self._drag = None
                return
        if drag.mode == "move":
            self._update_move(drag, pos, mods)
        else:
            self._update_trim(drag, pos, mods)
        self.viewport().update()

    def _check_autoscroll(self, pos: QPointF) -> None:
        w = self.viewport().width()
        near = pos.x() > w - AUTOSCROLL_PX or (pos.x() < HEADER_W + AUTOSCROLL_PX and self._sx > 0)
        if near and self._drag is not None and not self._autoscroll.isActive():
            self._autoscroll.start()
        elif not near:
            self._autoscroll.stop()

    def _on_autoscroll(self) -> None:
        """While a drag holds the mouse near the left or right edge, scroll that way."""
        if self._drag is None or self._last_drag_pos is None:
            self._autoscroll.stop()
            return
        pos, mods = self._last_drag_pos
        w = self.viewport().width()
        if pos.x() > w - AUTOSCROLL_PX:
            step = pos.x() - (w - AUTOSCROLL_PX) + 4
        elif pos.x() < HEADER_W + AUTOSCROLL_PX and self._sx > 0:
            step = -(HEADER_W + AUTOSCROLL_PX - pos.x() + 4)
        else:
            self._autoscroll.stop()
            return
        self._set_scroll(self._sx + step * 1.5)
        self._drag_to(self._drag, pos, mods)

    def mouseReleaseEvent(self, event) -> None:
        self._autoscroll.stop()
        self._last_drag_pos = None
        drag, self._drag = self._drag, None
        self._snap_line = None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        if drag.mode == "band":
            self._band = None
        elif drag.mode in ("move", "trim_in", "trim_out"):
            if drag.started:
                self._commit_edit_drag(drag)
            elif drag.collapse_to:
                self._set_selection([drag.collapse_to])
        self.viewport().update()

    def mouseDoubleClickEvent(self, event) -> None:
        self.mousePressEvent(event)

    def _cancel_drag(self) -> None:
        self._drag = None
        self._autoscroll.stop()
        self._band = None
        self._snap_line = None
        self.viewport().update()

    def _hover(self, pos: QPointF) -> None:
        shape = Qt.CursorShape.ArrowCursor
        if pos.x() >= HEADER_W and pos.y() >= self._tracks_top():
            found = self._clip_at(pos)
            if found and found[2] != "body" and not found[0].track.locked:
                shape = Qt.CursorShape.SizeHorCursor
        elif pos.x() >= HEADER_W and pos.y() < RULER_H:
            shape = Qt.CursorShape.IBeamCursor
        elif pos.x() >= HEADER_W and self._item_at(pos) is not None:
            shape = Qt.CursorShape.PointingHandCursor
        self.viewport().setCursor(shape)

    def _scrub_to(self, pos: QPointF, mods) -> None:
        frame = self.x_to_frame(pos.x())
        self._snap_line = None
        if self._snapping_on(mods) and self._drag is not None:
            snapped = self._nearest(self._drag.snap, self._frame_f(pos.x()))
            if snapped is not None:
                frame = snapped
        self._move_playhead_by_user(frame)

    def _begin_edit_drag(self, drag: _Drag) -> bool:
        layout = self._ensure()
        for cid in drag.ids:
            entry = layout.clip_index.get(cid)
            if entry is None:
                return False
            if entry[0].track.locked:
                self.message.emit(f"Track {entry[0].track.name or entry[0].track.id} is locked.")
                return False
        drag.started = True
        drag.snap = self._snap_points(exclude_clips=drag.ids)
        return True

    def _update_move(self, drag: _Drag, pos: QPointF, mods) -> None:
        layout = self._ensure()
        grabbed = layout.clip_index.get(drag.clip_id)
        if grabbed is None:
            return
        row, clip = grabbed
        delta = round(self._frame_f(pos.x()) - drag.press_frame)
        earliest = min(layout.clip_index[c][1].start for c in drag.ids if c in layout.clip_index)
        delta = max(delta, -earliest)
        drag.snapped = None
        if self._snapping_on(mods):
            best = None
            for edge in (clip.start + delta, clip.end + delta):
                target = self._nearest(drag.snap, edge)
                if target is not None and (best is None or abs(target - edge) < abs(best[0] - best[1])):
                    best = (target, edge)
            if best is not None and best[0] - best[1] + delta >= -earliest:
                delta += best[0] - best[1]
                drag.snapped = best[0]
        drag.delta = delta
        self._snap_line = drag.snapped
        # Track change: same-kind rows, offset applied to every moving clip of that kind.
        same_kind = [r for r in layout.rows if r.track.kind == row.track.kind]
        target_row = self._row_at(pos.y())
        offset = 0
        if target_row is not None and target_row.track.kind == row.track.kind:
            offset = same_kind.index(target_row) - same_kind.index(row)
        if offset:
            for cid in drag.ids:
                r, _c = layout.clip_index[cid]
                if r.track.kind == row.track.kind:
                    j = same_kind.index(r) + offset
                    if not 0 <= j < len(same_kind) or same_kind[j].track.locked:
                        offset = 0
                        break
        drag.track_offset = offset

    def _move_targets(self, drag: _Drag) -> list[tuple[Clip, _Row, int]]:
        """(clip, target row, new start) for each clip a move drag carries."""
        layout = self._ensure()
        grabbed_kind = layout.clip_index[drag.clip_id][0].track.kind
        out = []
        for cid in drag.ids:
            entry = layout.clip_index.get(cid)
            if entry is None:
                continue
            row, clip = entry
            target = row
            if drag.track_offset and row.track.kind == grabbed_kind:
                same_kind = [r for r in layout.rows if r.track.kind == grabbed_kind]
                target = same_kind[same_kind.index(row) + drag.track_offset]
            out.append((clip, target, clip.start + drag.delta))
        return out

    def _move_is_valid(self, targets) -> bool:
        moving = {clip.id for clip, _r, _s in targets}
        for clip, row, start in targets:
            end = start + clip.duration
            if start < 0:
                return False
            i = bisect_right(row.ends, start)
            while i < len(row.clips) and row.clips[i].start < end:
                if row.clips[i].id not in moving:
                    return False
                i += 1
        return True

    def _trim_limits(self, clip: Clip, row: _Row, edge: str) -> tuple[int, int]:
        layout = self._ensure()
        asset = layout.assets.get(clip.asset_id)
        rate = layout.rate
        i = row.clips.index(clip)
        if edge == "in":
            lo = row.clips[i - 1].end if i > 0 else 0
            if asset is not None:
                lo = max(lo, clip.start - rate.frame_at(asset.frame_rate.seconds(clip.source_in)))
            return lo, clip.end - 1
        hi = row.clips[i + 1].start if i + 1 < len(row.clips) else 1 << 60
        if asset is not None:
            remaining = asset.duration - asset.frame_rate.seconds(clip.source_in)
            hi = min(hi, clip.start + rate.frame_at(remaining))
        return clip.start + 1, hi

    def _update_trim(self, drag: _Drag, pos: QPointF, mods) -> None:
        layout = self._ensure()
        entry = layout.clip_index.get(drag.clip_id)
        if entry is None:
            return
        row, clip = entry
        edge = drag.mode[5:]
        original = clip.start if edge == "in" else clip.end
        frame = original + round(self._frame_f(pos.x()) - drag.press_frame)
        drag.snapped = None
        if self._snapping_on(mods):
            target = self._nearest(drag.snap, frame)
            if target is not None:
                frame, drag.snapped = target, target
        lo, hi = self._trim_limits(clip, row, edge)
        clamped = min(hi, max(lo, frame))
        if clamped != frame:
            drag.snapped = None
        drag.frame = clamped
        self._snap_line = drag.snapped

    def _commit_edit_drag(self, drag: _Drag) -> None:
        layout = self._ensure()
        if drag.clip_id not in layout.clip_index:
            return
        tl = layout.timeline.id
        if drag.mode == "move":
            if drag.delta == 0 and drag.track_offset == 0:
                return
            targets = self._move_targets(drag)
            if len(targets) == 1:
                clip, row, start = targets[0]
                origin = layout.clip_index[clip.id][0]
                self._push(cmd.move_clip(tl, clip.id, start,
                                         row.track.id if row is not origin else None))
                return
            commands = [cmd.remove_clips(tl, [c.id for c, _r, _s in targets])]
            for clip, row, start in sorted(targets, key=lambda t: t[2]):
                moved = Clip.from_dict({**clip.to_dict(), "start": max(0, start)})
                commands.append(cmd.insert_clip(tl, row.track.id, moved))
            command = cmd.compound("Move clips", commands)
            self._push(command)
            return
        row, clip = layout.clip_index[drag.clip_id]
        edge = drag.mode[5:]
        if drag.frame != (clip.start if edge == "in" else clip.end):
            self._push(cmd.trim_clip(tl, clip.id, edge, drag.frame))

    def _band_select(self) -> None:
        drag, band = self._drag, self._band
        if drag is None or band is None:
            return
        f0, f1 = self._frame_f(max(band.left(), HEADER_W)), self._frame_f(band.right())
        picked = list(drag.base_selection)
        for row in self._ensure().rows:
            top = self._row_top(row)
            if top + row.h < band.top() or top > band.bottom():
                continue
            i = bisect_right(row.ends, f0)
            while i < len(row.clips) and row.clips[i].start < f1:
                if row.clips[i].id not in picked:
                    picked.append(row.clips[i].id)
                i += 1
        if picked != self._selection:
            self._set_selection(picked)

    def _set_selection(self, ids: list[str]) -> None:
        if ids == self._selection:
            return
        self._selection = list(ids)
        self.viewport().update()
        self.selection_changed.emit(list(ids))

    def _push(self, command: cmd.Command) -> bool:
        """Apply an edit; a refused one becomes a message and changes nothing."""
        try:
            self._document.push(command)
        except CutwiseError as error:
            self.message.emit(error.message)
            self.viewport().update()
            return False
        return True

    # ========================================================================== wheel/keys

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier:
            steps = (delta.y() or delta.x()) / 120.0
            if steps:
                self.set_pixels_per_frame(self._ppf * (1.25 ** steps), event.position().x()
                                          if event.position().x() >= HEADER_W else HEADER_W)
            event.accept()
            return
        if mods & Qt.KeyboardModifier.ShiftModifier:
            amount = delta.y() or delta.x()
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() - round(amount / 120 * 3 * bar.singleStep()))
        else:
            amount = delta.x() if delta.x() and not delta.y() else delta.y()
            self._set_scroll(self._sx - amount / 120 * self._track_width() / 8)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected(ripple=bool(mods & Qt.KeyboardModifier.ShiftModifier))
        elif key == Qt.Key.Key_Escape and self._drag is not None:
            self._cancel_drag()
        elif key == Qt.Key.Key_Escape:
            self._set_selection([])
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:
        pos = QPointF(event.pos())
        menu = None
        hit = self._item_at(pos)
        if hit is not None:
            menu = self.suggestion_menu(hit[1].suggestion.id)
        elif (marker := self._marker_at(pos)) is not None:
            menu = self.marker_menu(marker.id)
        elif (found := self._clip_at(pos)) is not None:
            menu = self.clip_menu(found[1].id)
        if menu is not None and not menu.isEmpty():
            menu.exec(event.globalPos())
            menu.deleteLater()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self._tooltip(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def _tooltip(self, pos: QPointF) -> str:
        layout = self._ensure()
        tc = layout.rate.timecode
        hit = self._item_at(pos)
        if hit is not None:
            lane, item = hit
            s = item.suggestion
            what = s.label or s.kind or lane.name
            return (f"<b>{what}</b> · {lane.name}<br>{tc(item.start)}"
                    + (f" – {tc(item.end)}" if not item.point else "")
                    + f"<br>{s.status}, confidence {s.confidence:.0%}")
        marker = self._marker_at(pos)
        if marker is not None:
            return f"<b>{marker.name or 'Marker'}</b> {tc(marker.frame)}" + (
                f"<br>{marker.note}" if marker.note else "")
        found = self._clip_at(pos)
        if found is not None:
            _row, clip, _part = found
            asset = layout.assets.get(clip.asset_id)
            name = clip.name or (asset.name if asset else clip.asset_id)
            return (f"<b>{name}</b><br>{tc(clip.start)} – {tc(clip.end)}"
                    f"<br>duration {tc(clip.duration)}")
        return ""

    # ============================================================================= drops

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(ASSET_MIME):
            event.acceptProposedAction()
            self._update_drop(event)
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dragLeaveEvent(self, event) -> None:
        self._drop = None
        self._snap_line = None
        self.viewport().update()

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(ASSET_MIME):
            event.ignore()
            return
        self._update_drop(event)
        preview, self._drop = self._drop, None
        self._snap_line = None
        event.acceptProposedAction()
        if preview is not None:
            self._commit_drop(preview)
        self.viewport().update()

    def _update_drop(self, event) -> None:
        asset_id = bytes(event.mimeData().data(ASSET_MIME)).decode("utf-8", "replace").strip()
        pos = event.position()
        frame = self.x_to_frame(pos.x())
        row = self._row_at(pos.y())
        if self._snapping_on(event.modifiers()):
            snapped = self._nearest(self._snap_points(), self._frame_f(pos.x()))
            frame = snapped if snapped is not None else frame
            self._snap_line = snapped
        self._drop = self._plan_drop(asset_id, frame, row.track.id if row else None)
        self.viewport().update()

    def _plan_drop(self, asset_id: str, frame: int, track_id: str | None) -> _DropPreview | None:
        layout = self._ensure()
        asset = layout.assets.get(asset_id)
        if asset is None:
            return None
        frame = max(0, frame)
        duration = layout.rate.frame_at(asset.duration)
        if duration <= 0:
            return None
        under = layout.row_of_track.get(track_id) if track_id else None
        has_video = asset.width > 0 and asset.height > 0
        placements = []
        for kind, wanted in ((VIDEO, has_video), (AUDIO, asset.has_audio)):
            if not wanted:
                continue
            if under is not None and under.track.kind == kind:
                row = under
            else:
                # V1 (the first video track in the model) / A1 (the first audio track).
                row = next((layout.row_of_track[t.id] for t in layout.timeline.tracks
                            if t.kind == kind), None)
            if row is not None:
                placements.append((row.track.id, frame, duration))
        if not placements:
            return None
        valid = True
        for tid, start, dur in placements:
            row = layout.row_of_track[tid]
            i = bisect_right(row.ends, start)
            if row.track.locked or (i < len(row.clips) and row.clips[i].start < start + dur):
                valid = False
        return _DropPreview(asset_id, frame, placements, valid)

    def _commit_drop(self, preview: _DropPreview) -> bool:
        layout = self._ensure()
        asset = layout.assets.get(preview.asset_id)
        if asset is None:
            return False
        name = asset.name or asset.path.replace("\\", "/").rsplit("/", 1)[-1]
        tl = layout.timeline.id
        commands = [cmd.insert_clip(tl, tid, Clip(asset_id=asset.id, start=start, duration=dur,
                                                  source_in=0, name=name))
                    for tid, start, dur in preview.placements]
        command = commands[0] if len(commands) == 1 else cmd.compound(f"Add clip {name}", commands)
        before = set(layout.clip_index)
        if not self._push(command):
            return False
        added = [c for c in self._ensure().clip_index if c not in before]
        self._set_selection(added)
        return True

    # ============================================================================ paint
    #
    # Cost model: a paint is O(visible pixels). Python work per frame is bounded by
    # numpy slicing of sorted arrays; items narrower than a few pixels are merged into
    # runs; text goes through cached QStaticText; the header column is a cached pixmap.

    def paintEvent(self, event) -> None:
        layout = self._ensure()
        vp = self.viewport()
        h = vp.height()
        stats = {"clips": 0, "markers": 0, "suggestions": 0, "thumbnails": 0, "waveforms": 0}
        region = event.region()
        # Playback moves the playhead every frame: repaint its old and new strips (and the
        # timecode corner) separately instead of the bounding box between them.
        areas = [QRectF(r) for r in region] if 1 < region.rectCount() <= 6 else [QRectF(event.rect())]
        tracks_top = self._tracks_top()
        p = QPainter(vp)
        p.setFont(self._font)
        for area in areas:
            self._paint_area(p, layout, area, tracks_top, stats)
        p.setClipping(False)
        self._paint_playhead(p, tracks_top, h)
        p.end()
        self.paint_stats = stats

    def _paint_area(self, p: QPainter, layout: _Layout, area: QRectF, tracks_top: int,
                    stats: dict) -> None:
        vp = self.viewport()
        w, h = vp.width(), vp.height()
        x_lo, x_hi = max(area.left(), HEADER_W), min(area.right() + 1, w)
        if x_hi > x_lo:
            f0, f1 = self._frame_f(x_lo), self._frame_f(x_hi)
            p.setClipRect(QRectF(x_lo, tracks_top, x_hi - x_lo, h - tracks_top))
            self._paint_tracks(p, layout, f0, f1, tracks_top, h, stats)
            self._paint_ghosts(p, layout)
            if self._band is not None:
                p.setPen(QPen(_Theme.band_line, 1))
                p.setBrush(_Theme.band)
                p.drawRect(self._band)
            p.setClipRect(QRectF(x_lo, 0, x_hi - x_lo, tracks_top))
            self._paint_lanes(p, layout, f0, f1, stats)
            self._paint_ruler(p, layout, f0, f1, stats)
        if area.left() < HEADER_W:
            p.setClipRect(QRectF(0, 0, HEADER_W, h).intersected(area))
            self._paint_headers(p, layout, tracks_top, h)

    # --- cached text ------------------------------------------------------------------
    def _static(self, text: str, bold: bool = False) -> QStaticText:
        key = (bold, text)
        static = self._texts.get(key)
        if static is None:
            if len(self._texts) > 4000:
                self._texts.clear()
            static = QStaticText(text)
            static.setTextFormat(_PLAIN)
            static.prepare(QTransform(), self._bold if bold else self._font)
            self._texts[key] = static
        return static

    def _text(self, p: QPainter, x: float, top: float, height: float, text: str,
              bold: bool = False) -> None:
        """Draw ``text`` vertically centred in a band (the painter's pen is the colour)."""
        if bold:
            p.setFont(self._bold)
        p.drawStaticText(QPointF(x, top + (height - self._fm_h) / 2), self._static(text, bold))
        if bold:
            p.setFont(self._font)

    def _elided(self, text: str, width: float) -> str:
        key = (text, int(width))
        out = self._elisions.get(key)
        if out is None:
            if len(self._elisions) > 4000:
                self._elisions.clear()
            out = self._fm.elidedText(text, _ELIDE_RIGHT, int(width))
            self._elisions[key] = out
        return out

    # --- tracks & clips ---------------------------------------------------------------
    def _paint_tracks(self, p: QPainter, layout: _Layout, f0, f1, top, bottom, stats) -> None:
        w = self.viewport().width()
        ppf = self._ppf
        origin = HEADER_W - self._sx
        sy = self.verticalScrollBar().value()
        selected = set(self._selection)
        # Clips being dragged are drawn dimmed in place; the ghost shows where they go.
        dragging = set(self._drag.ids) if self._drag and self._drag.started and \
            self._drag.mode == "move" else set()
        for index, row in enumerate(layout.rows):
            y = top + row.y - sy
            if y > bottom or y + row.h < top:
                continue
            locked = row.track.locked
            p.fillRect(QRectF(HEADER_W, y, w - HEADER_W, row.h),
                       _Theme.track_locked if locked else _Theme.track_bg[index % 2])
            p.fillRect(QRectF(HEADER_W, y + row.h, w - HEADER_W, TRACK_GAP), _Theme.header_line)
            if locked:
                self._paint_hatch(p, QRectF(HEADER_W, y, w - HEADER_W, row.h))
            if not row.clips:
                continue
            lo = int(np.searchsorted(row.np_ends, f0, "right"))
            hi = int(np.searchsorted(row.np_starts, f1, "left"))
            if hi <= lo:
                continue
            x0 = origin + row.np_starts[lo:hi] * ppf
            x1 = origin + row.np_ends[lo:hi] * ppf
            small = (x1 - x0) < DETAIL_PX
            cy, ch = y + CLIP_INSET, row.h - 2 * CLIP_INSET
            if small.any():
                stats["clips"] += self._paint_dense_clips(p, row, lo, x0, x1, small, cy, ch,
                                                          selected)
            for k in np.flatnonzero(~small).tolist():
                clip = row.clips[lo + k]
                self._paint_clip(p, layout, row, clip, float(x0[k]), float(x1[k]), cy, ch,
                                 clip.id in selected, clip.id in dragging, stats)
                stats["clips"] += 1
        content_bottom = top + layout.content_h - sy
        if content_bottom < bottom:
            p.fillRect(QRectF(HEADER_W, max(top, content_bottom), w - HEADER_W,
                              bottom - max(top, content_bottom)), _Theme.bg)

    def _paint_hatch(self, p: QPainter, rect: QRectF) -> None:
        p.save()
        p.setClipRect(rect, _INTERSECT)
        p.setPen(QPen(_c("#3a2e2e"), 1))
        h = rect.height()
        start = int(rect.left() - (self._sx % 12) - h)
        p.drawLines([QLineF(x, rect.bottom(), x + h, rect.top())
                     for x in range(start, int(rect.right()), 12)])
        p.restore()

    def _paint_dense_clips(self, p: QPainter, row: _Row, lo: int, x0, x1, small, cy, ch,
                           selected: set) -> int:
        """Clips a few pixels wide: one block per run of touching clips, thin separators
        where there is room, rasterised as one row of pixels. Returns the blocks drawn."""
        index = np.flatnonzero(small)
        xs0, xs1 = x0[index], x1[index]
        breaks = np.flatnonzero((np.diff(index) != 1) | (xs0[1:] - xs1[:-1] >= 1.5))
        firsts = np.concatenate(([0], breaks + 1))
        lasts = np.concatenate((breaks, [len(index) - 1]))
        lefts = np.floor(xs0[firsts])
        rights = np.maximum(np.ceil(xs1[lasts]), lefts + 1)
        fill, _title, border = _Theme.clip[row.track.kind]
        strip = _Strip(self.viewport().width())
        strip.spans(lefts, rights, fill.rgba())
        inner = np.ones(len(index), dtype=bool)
        inner[firsts] = False
        if inner.any():
            cols = np.floor(xs0[inner])
            _, keep = np.unique((cols // 4).astype(np.int64), return_index=True)
            strip.columns(cols[keep], border.rgba())
        if row.track.muted:
            p.setOpacity(0.45)
        strip.draw(p, cy, ch)
        p.setOpacity(1.0)
        if selected:
            p.setPen(QPen(_Theme.select, 1))
            p.setBrush(_NO_BRUSH)
            for k in index.tolist():
                if row.clips[lo + k].id in selected:
                    a, b = float(x0[k]), max(float(x1[k]), float(x0[k]) + 2)
                    p.drawRect(QRectF(a, cy, b - a, ch - 1))
        return len(firsts)

    def _paint_clip(self, p: QPainter, layout: _Layout, row: _Row, clip: Clip, x0, x1, y, h,
                    selected: bool, dimmed: bool, stats) -> None:
        kind = row.track.kind
        fill, title_fill, border = _Theme.clip[kind]
        vis_l = max(x0, HEADER_W - 2)
        vis_r = min(x1, self.viewport().width() + 2)
        rect = QRectF(x0 + 0.5, y + 0.5, x1 - x0 - 1, h - 1)
        if row.track.muted or dimmed:
            p.setOpacity(0.45)
        p.setPen(_NO_PEN)
        p.setBrush(_Theme.clip_selected[kind] if selected else fill)
        p.drawRoundedRect(rect, 3, 3)
        asset = layout.assets.get(clip.asset_id)
        if self._provider is not None and asset is not None and vis_r - vis_l > 6:
            body = QRectF(x0 + 1, y + TITLE_H, x1 - x0 - 2, h - TITLE_H - 1)
            p.save()
            p.setClipRect(body.intersected(QRectF(vis_l, y, vis_r - vis_l, h)), _INTERSECT)
            if kind == VIDEO:
                self._paint_filmstrip(p, layout, clip, asset, body, vis_l, vis_r, stats)
            else:
                self._paint_waveform(p, layout, clip, asset, body, vis_l, vis_r, stats)
            p.restore()
        p.fillRect(QRectF(x0 + 1, y + 1, x1 - x0 - 2, TITLE_H - 1), title_fill)
        if vis_r - vis_l > 24:
            name = clip.name or (asset.name if asset else "") or clip.asset_id
            text_x = vis_l + 5
            p.setPen(_Theme.clip_text)
            self._text(p, text_x, y, TITLE_H, self._elided(name, vis_r - text_x - 4))
        p.setBrush(_NO_BRUSH)
        if selected:
            p.setPen(QPen(_Theme.select, 2))
            p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        else:
            p.setPen(border)
            p.drawRoundedRect(rect, 3, 3)
        if row.track.muted or dimmed:
            p.setOpacity(1.0)

    def _source_seconds(self, layout: _Layout, clip: Clip, asset: MediaAsset, x: np.ndarray | float):
        """Source time (seconds, float) shown at viewport x inside ``clip``."""
        frame = (x - HEADER_W + self._sx) / self._ppf
        return (clip.source_in / float(asset.frame_rate)
                + (frame - clip.start) / float(layout.rate))

    def _paint_filmstrip(self, p, layout, clip, asset, body: QRectF, vis_l, vis_r, stats) -> None:
        th = int(body.height())
        if th < 8:
            return
        aspect = asset.width / asset.height if asset.height else 16 / 9
        tile_w = max(8.0, th * aspect)
        k0 = max(0, int((vis_l - body.left()) // tile_w))
        k1 = int(math.ceil((vis_r - body.left()) / tile_w))
        fps = float(asset.frame_rate)
        last = max(0, asset.frame_count - 1)
        lines = []
        for k in range(k0, k1):
            tx = body.left() + k * tile_w
            src = min(last, max(0, int(self._source_seconds(layout, clip, asset, tx) * fps + 1e-6)))
            image = self._provider.thumbnail(asset.id, src, th, exact=k == 0)
            if k > 0:
                lines.append(QLineF(tx, body.top(), tx, body.bottom()))
            if image is None or image.isNull():
                continue
            if abs(image.height() - th) <= 1:
                p.drawImage(QPointF(tx, body.top()), image)   # no scaling: the common case
            else:
                p.drawImage(QRectF(tx, body.top(), tile_w, th), image)
            stats["thumbnails"] += 1
        if lines:  # a soft dark line between tiles reads as a filmstrip
            p.setPen(_c("#000000", 90))
            p.drawLines(lines)

    def _paint_waveform(self, p, layout, clip, asset, body: QRectF, vis_l, vis_r, stats) -> None:
        """Waveform in tiles of WAVE_TILE px, cached per (asset, zoom, source offset), so
        scrolling and moving clips only blit cached images."""
        peaks = self._provider.waveform(asset.id)
        if peaks is None or len(peaks) == 0:
            return
        hh = int(body.height()) - 2
        if hh < 4:
            return
        clip_x = body.left() - 1           # viewport x of the clip's first frame
        rel_l = max(vis_l, body.left()) - clip_x
        rel_r = min(vis_r, body.right()) - clip_x
        if rel_r <= rel_l:
            return
        rates = (float(asset.frame_rate), float(layout.rate))
        for k in range(int(rel_l // WAVE_TILE), int(math.ceil(rel_r / WAVE_TILE))):
            key = (asset.id, id(peaks), len(peaks), self._ppf, hh, clip.source_in, rates, k)
            tile = self._wave_tiles.get(key)
            if tile is None:
                tile = _waveform_tile(peaks, clip.source_in / rates[0], self._ppf * rates[1],
                                      k * WAVE_TILE, hh)
                self._wave_tiles[key] = tile
                if len(self._wave_tiles) > 400:
                    self._wave_tiles.popitem(last=False)
            else:
                self._wave_tiles.move_to_end(key)
            p.drawImage(QPointF(clip_x + k * WAVE_TILE, body.top() + 1), tile)
        stats["waveforms"] += 1

    def _paint_ghosts(self, p: QPainter, layout: _Layout) -> None:
        drag = self._drag
        if drag is not None and drag.started and drag.mode == "move":
            targets = self._move_targets(drag)
            ok = self._move_is_valid(targets)
            for clip, row, start in targets:
                top = self._row_top(row) + CLIP_INSET
                x0, x1 = self.frame_to_x(start), self.frame_to_x(start + clip.duration)
                self._ghost(p, QRectF(x0, top, x1 - x0, row.h - 2 * CLIP_INSET), ok,
                            clip.name or clip.asset_id)
        elif drag is not None and drag.started and drag.mode.startswith("trim_"):
            entry = layout.clip_index.get(drag.clip_id)
            if entry:
                row, clip = entry
                a, b = ((drag.frame, clip.end) if drag.mode == "trim_in" else (clip.start, drag.frame))
                top = self._row_top(row) + CLIP_INSET
                x0, x1 = self.frame_to_x(a), self.frame_to_x(b)
                self._ghost(p, QRectF(x0, top, x1 - x0, row.h - 2 * CLIP_INSET), True,
                            layout.rate.timecode(b - a))
        if self._drop is not None:
            asset = layout.assets.get(self._drop.asset_id)
            for tid, start, dur in self._drop.placements:
                row = layout.row_of_track[tid]
                top = self._row_top(row) + CLIP_INSET
                x0, x1 = self.frame_to_x(start), self.frame_to_x(start + dur)
                self._ghost(p, QRectF(x0, top, x1 - x0, row.h - 2 * CLIP_INSET), self._drop.valid,
                            asset.name if asset else "")

    def _ghost(self, p: QPainter, rect: QRectF, ok: bool, text: str) -> None:
        color = QColor("#ffffff") if ok else _Theme.invalid
        fill = QColor(color)
        fill.setAlpha(45 if ok else 70)
        p.setPen(QPen(color, 1.5, Qt.PenStyle.DashLine))
        p.setBrush(fill)
        p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        if text and rect.width() > 30:
            p.setPen(color)
            left = max(rect.left(), HEADER_W) + 6
            self._text(p, left, rect.top(), TITLE_H, self._elided(text, rect.right() - left - 4))

    # --- suggestion lanes -------------------------------------------------------------
    def _lane_color(self, name: str) -> QColor:
        return _Theme.lanes.get(name, _Theme.lane_other)

    def _lane_colors(self, name: str) -> list[tuple[QColor, QColor]]:
        """(fill, line) per status code: pending, accepted, rejected."""
        base = self._lane_color(name)
        return [(_c(base.name(), 110), base), (base, base.lighter(150)),
                (_c(_Theme.rejected.name(), 90), _Theme.rejected)]

    def _paint_lanes(self, p: QPainter, layout: _Layout, f0, f1, stats) -> None:
        w = self.viewport().width()
        ppf = self._ppf
        tol = 4 / ppf
        for li, lane in enumerate(layout.lanes):
            y = RULER_H + li * LANE_H
            p.fillRect(QRectF(HEADER_W, y, w - HEADER_W, LANE_H - 1), _Theme.lane_bg)
            p.fillRect(QRectF(HEADER_W, y + LANE_H - 1, w - HEADER_W, 1), _Theme.header_line)
            lo = int(np.searchsorted(lane.np_starts, f0 - lane.max_span - tol, "left"))
            hi = int(np.searchsorted(lane.np_starts, f1 + tol, "right"))
            if hi <= lo:
                continue
            colors = self._lane_colors(lane.name)
            if hi - lo > (w - HEADER_W) / 8:
                stats["suggestions"] += self._paint_dense_lane(p, lane, lo, hi, y, colors)
            else:
                for item in lane.items[lo:hi]:
                    if item.end >= f0 - tol:
                        self._paint_item(p, lane, item, y, colors)
                        stats["suggestions"] += 1
        if layout.lanes:
            top = RULER_H + len(layout.lanes) * LANE_H
            p.fillRect(QRectF(HEADER_W, top, w - HEADER_W, LANE_GAP), _Theme.header_line)

    def _paint_dense_lane(self, p: QPainter, lane: _Lane, lo: int, hi: int, y: float,
                          colors) -> int:
        """Many suggestions on screen: merged range bars and one tick per pixel column,
        rasterised as rows of pixels. Returns the bars and ticks drawn."""
        origin = HEADER_W - self._sx
        xs = origin + lane.np_starts[lo:hi] * self._ppf
        xe = origin + lane.np_ends[lo:hi] * self._ppf
        status, point = lane.np_status[lo:hi], lane.np_point[lo:hi]
        w = self.viewport().width()
        bars, ticks = _Strip(w), _Strip(w)
        drawn = 0
        for code in (2, 0, 1):  # rejected under pending under accepted
            fill, line = colors[code]
            ranges = (status == code) & ~point
            if ranges.any():
                a, b = xs[ranges], np.maximum(xe[ranges], xs[ranges] + 2)
                reach = np.maximum.accumulate(b)
                breaks = np.flatnonzero(a[1:] > reach[:-1] + 1)
                firsts = np.concatenate(([0], breaks + 1))
                lasts = np.concatenate((breaks, [len(a) - 1]))
                bars.spans(np.floor(a[firsts]), np.ceil(reach[lasts]), fill.rgba())
                drawn += len(firsts)
            marks = (status == code) & point
            if marks.any():
                cols = np.unique(np.floor(xs[marks]))
                ticks.columns(cols, line.rgba())
                drawn += len(cols)
        bars.draw(p, y + 4, LANE_H - 9)
        ticks.draw(p, y + 2, LANE_H - 5)
        return drawn

    def _paint_item(self, p: QPainter, lane: _Lane, item: _Item, y: float, colors) -> None:
        origin = HEADER_W - self._sx
        ppf = self._ppf
        x0 = origin + item.start * ppf
        fill, line = colors[_STATUS_CODE.get(item.suggestion.status, 0)]
        active = item.suggestion.id == self._active_suggestion
        if item.point:
            p.fillRect(QRectF(x0 - 1, y + 2, 2, LANE_H - 5), line)
            p.setPen(_NO_PEN)
            p.setBrush(line)
            p.drawPolygon(QPolygonF([QPointF(x0 - 4, y + 2), QPointF(x0 + 4, y + 2),
                                     QPointF(x0, y + 7)]))
            if active:
                p.setPen(QPen(_WHITE, 1))
                p.setBrush(_NO_BRUSH)
                p.drawRect(QRectF(x0 - 5, y + 1, 10, LANE_H - 4))
            return
        x1 = max(origin + item.end * ppf, x0 + 2)
        r = QRectF(x0, y + 4, x1 - x0, LANE_H - 9)
        if lane.name == LANE_REFRAME and item.keys:
            p.fillRect(QRectF(x0, y + LANE_H / 2 - 1, x1 - x0, 2), fill)
            p.setPen(QPen(_c("#000000", 120), 1))
            p.setBrush(line)
            w = self.viewport().width()
            cy = y + LANE_H / 2 - 0.5
            prev = -1e9
            for key in item.keys:
                kx = origin + key * ppf
                if kx - prev < 4 or kx < HEADER_W - 6 or kx > w + 6:
                    continue
                prev = kx
                p.drawPolygon(QPolygonF([QPointF(kx, cy - 5), QPointF(kx + 5, cy),
                                         QPointF(kx, cy + 5), QPointF(kx - 5, cy)]))
        else:
            p.setPen(QPen(line, 1))
            p.setBrush(fill)
            p.drawRoundedRect(r, 2, 2)
            if item.suggestion.status == REJECTED:
                p.setPen(_Theme.rejected.lighter(130))
                p.drawLine(QLineF(x0, y + LANE_H / 2 - 0.5, x1, y + LANE_H / 2 - 0.5))
            label = item.suggestion.label
            if label and x1 - x0 > 40:
                left = max(x0, HEADER_W) + 4
                p.setPen(_c("#101114") if item.suggestion.status != REJECTED else _Theme.header_dim)
                self._text(p, left, y + 3, LANE_H - 7, self._elided(label, x1 - left - 3))
        if active:
            p.setPen(QPen(_WHITE, 1.5))
            p.setBrush(_NO_BRUSH)
            p.drawRoundedRect(r.adjusted(-1, -2, 1, 2), 2, 2)

    # --- ruler ------------------------------------------------------------------------
    def _ruler_steps(self, rate: FrameRate) -> tuple[int, int]:
        """(major, minor) tick spacing in frames for the current zoom."""
        fps = max(1, rate.nominal)
        label_w = self._label_w
        candidates = [f for f in (1, 2, 5, 10) if f < fps] + [s * fps for s in _TICK_SECONDS]
        major = next((f for f in candidates if f * self._ppf >= label_w), candidates[-1])
        while major * self._ppf < label_w:
            major *= 2
        minor = major
        for parts in (10, 5, 4, 2):
            if major % parts == 0 and major / parts * self._ppf >= 7:
                minor = major // parts
                break
        return major, minor

    def _paint_ruler(self, p: QPainter, layout: _Layout, f0, f1, stats) -> None:
        w = self.viewport().width()
        p.fillRect(QRectF(HEADER_W, 0, w - HEADER_W, RULER_H - 1), _Theme.ruler_bg)
        p.fillRect(QRectF(HEADER_W, RULER_H - 1, w - HEADER_W, 1), _Theme.header_line)
        end_x = self.frame_to_x(layout.duration)
        if end_x < w:  # past the end of the timeline reads darker
            left = max(end_x, HEADER_W)
            p.fillRect(QRectF(left, 0, w - left, RULER_H - 1), _Theme.ruler_past_end)
        major, minor = self._ruler_steps(layout.rate)
        origin = HEADER_W - self._sx
        ppf = self._ppf
        first = max(0, int((f0 - self._label_w / ppf) // minor) * minor)
        frames = np.arange(first, f1 + minor, minor, dtype=np.int64)
        xs = (origin + frames * ppf + 0.5).tolist()
        kinds = np.where(frames % major == 0, 2, np.where(
            (major % 2 == 0) & (frames % max(1, major // 2) == 0), 1, 0)).tolist()
        bottom = RULER_H - 1
        heights = (4, 7, bottom - 2)
        pens = (_Theme.ruler_tick, _Theme.ruler_tick, _Theme.ruler_major)
        for kind in (0, 1, 2):
            lines = [QLineF(x, bottom - heights[kind], x, bottom)
                     for x, k in zip(xs, kinds) if k == kind]
            if lines:
                p.setPen(pens[kind])
                p.drawLines(lines)
        p.setPen(_Theme.ruler_text)
        timecode = layout.rate.timecode
        for frame, x, kind in zip(frames.tolist(), xs, kinds):
            if kind == 2:
                p.drawStaticText(QPointF(x + 3.5, 2), self._static(timecode(frame)))
        self._paint_markers(p, layout, f0, f1, stats)

    def _paint_markers(self, p: QPainter, layout: _Layout, f0, f1, stats) -> None:
        if not layout.markers:
            return
        origin = HEADER_W - self._sx
        ppf = self._ppf
        lo = int(np.searchsorted(layout.np_marker_frames, f0 - 10 / ppf, "left"))
        hi = int(np.searchsorted(layout.np_marker_frames, f1 + 2 / ppf, "right"))
        if hi <= lo:
            return
        base = RULER_H - 1
        if hi - lo > (self.viewport().width() - HEADER_W) / 12:
            # Dense: a tick per pixel column, rasterised as one row of pixels.
            cols = np.floor(origin + layout.np_marker_frames[lo:hi] * ppf)
            argb = np.asarray([c.rgba() for c in layout.marker_colors], dtype=np.uint32)
            strip = _Strip(self.viewport().width())
            strip.columns(cols, argb[layout.np_marker_color[lo:hi]])
            strip.draw(p, base - 7, 7)
            stats["markers"] += int(len(np.unique(cols)))
            return
        frames = layout.marker_frames
        p.setPen(_NO_PEN)
        i = lo
        while i < hi:
            marker = layout.markers[i]
            x = origin + marker.frame * ppf
            color = layout.marker_colors[int(layout.np_marker_color[i])]
            if marker.duration > 0:
                xe = origin + (marker.frame + marker.duration) * ppf
                p.fillRect(QRectF(x, base - 4, max(1.0, xe - x), 3), _c(color.name(), 150))
            p.setBrush(color)
            p.drawPolygon(QPolygonF([QPointF(x, base - 13), QPointF(x + 8, base - 13),
                                     QPointF(x + 8, base - 6), QPointF(x + 4, base - 3),
                                     QPointF(x, base - 6)]))
            p.fillRect(QRectF(x, base - 13, 1, 13), color.darker(140))
            stats["markers"] += 1
            gap = (origin + frames[i + 1] * ppf - x) if i + 1 < len(frames) else 1e9
            if marker.name and gap > 60:
                p.setPen(color.lighter(115))
                self._text(p, x + 11, base - 15, 12, self._elided(marker.name, min(gap - 14, 140)))
                p.setPen(_NO_PEN)
            # Skip markers that would land on the same pixel column as this flag.
            i = max(i + 1, bisect_right(frames, (x + 2 - origin) / ppf))

    # --- headers ----------------------------------------------------------------------
    def _paint_headers(self, p: QPainter, layout: _Layout, tracks_top: int, bottom: int) -> None:
        # Corner: the playhead's timecode (changes with every frame: drawn directly).
        p.fillRect(QRectF(0, 0, HEADER_W, RULER_H - 1), _Theme.corner_bg)
        p.fillRect(QRectF(0, RULER_H - 1, HEADER_W, 1), _Theme.header_line)
        p.setFont(self._tc_font)
        p.setPen(_Theme.select)
        p.drawText(QRectF(10, 0, HEADER_W - 14, RULER_H - 1), _ALIGN_LEFT_VC,
                   layout.rate.timecode(self._playhead))
        p.setFont(self._font)
        # The rest (lanes and tracks) only changes with the model or the vertical scroll.
        dpr = self.viewport().devicePixelRatioF()
        key = (self._generation, self.verticalScrollBar().value(), bottom, tracks_top, dpr)
        if self._header_cache is None or self._header_cache[0] != key:
            pixmap = QPixmap(int(HEADER_W * dpr), int(max(1, bottom - RULER_H) * dpr))
            pixmap.setDevicePixelRatio(dpr)
            painter = QPainter(pixmap)
            painter.translate(0, -RULER_H)
            painter.setFont(self._font)
            self._paint_header_column(painter, layout, tracks_top, bottom)
            painter.end()
            self._header_cache = (key, pixmap)
        p.drawPixmap(QPointF(0, RULER_H), self._header_cache[1])

    def _paint_header_column(self, p: QPainter, layout: _Layout, tracks_top: int, bottom: int) -> None:
        p.fillRect(QRectF(0, RULER_H, HEADER_W, bottom - RULER_H), _Theme.header_bg)
        for li, lane in enumerate(layout.lanes):
            y = RULER_H + li * LANE_H
            p.fillRect(QRectF(0, y, HEADER_W, LANE_H), _Theme.lane_header_bg)
            p.fillRect(QRectF(8, y + 6, 8, 8), self._lane_color(lane.name))
            p.setPen(_Theme.header_text)
            self._text(p, 22, y, LANE_H - 1, lane.name.capitalize())
            p.setPen(_Theme.header_dim)
            p.drawText(QRectF(HEADER_W - 70, y, 62, LANE_H - 1), _ALIGN_RIGHT_VC,
                       f"{lane.pending}/{lane.total}" if lane.pending else f"{lane.total}")
            p.fillRect(QRectF(0, y + LANE_H - 1, HEADER_W, 1), _Theme.header_line)
        if layout.lanes:
            p.fillRect(QRectF(0, tracks_top - LANE_GAP, HEADER_W, LANE_GAP), _Theme.header_line)
        p.setClipRect(QRectF(0, tracks_top, HEADER_W, bottom - tracks_top))
        sy = self.verticalScrollBar().value()
        for row in layout.rows:
            y = tracks_top + row.y - sy
            if y > bottom or y + row.h < tracks_top:
                continue
            track = row.track
            p.fillRect(QRectF(4, y, HEADER_W - 4, row.h), _Theme.header_bg)
            p.fillRect(QRectF(0, y, 4, row.h), _Theme.kind_strip[track.kind])
            p.setPen(_Theme.header_text)
            self._text(p, 12, y + 6, 20, track.name or ("V" if track.kind == VIDEO else "A"),
                       bold=True)
            p.setPen(_Theme.header_dim)
            count = len(row.clips)
            self._text(p, 12, y + 26, 16, f"{'Video' if track.kind == VIDEO else 'Audio'} · "
                                          f"{count} clip{'' if count == 1 else 's'}")
            for flag in ("muted", "locked"):
                self._paint_button(p, self._button_rect(row, flag), flag, track.kind,
                                   getattr(track, flag))
            p.fillRect(QRectF(0, y + row.h, HEADER_W, TRACK_GAP), _Theme.header_line)
        p.setClipping(False)
        p.fillRect(QRectF(HEADER_W - 1, RULER_H, 1, bottom - RULER_H), _Theme.header_line)

    def _paint_button(self, p: QPainter, r: QRectF, flag: str, kind: str, on: bool) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(_c("#3d4047"), 1))
        p.setBrush(_Theme.button_on[flag] if on else _c("#30323a"))
        p.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        ink = QColor("#15161a") if on else QColor("#b8bcc6")
        p.setPen(QPen(ink, 1.4))
        p.setBrush(_NO_BRUSH)
        cx, cy = r.center().x(), r.center().y()
        if flag == "locked":
            p.setBrush(ink)
            p.drawRect(QRectF(cx - 4, cy - 1, 8, 6))
            p.setBrush(_NO_BRUSH)
            shackle = QPainterPath()
            shackle.moveTo(cx - 2.5, cy - 1)
            shackle.lineTo(cx - 2.5, cy - 3)
            shackle.arcTo(QRectF(cx - 2.5, cy - 6, 5, 5), 180, -180)
            if on:
                shackle.lineTo(cx + 2.5, cy - 1)
            p.drawPath(shackle)
        elif kind == VIDEO:
            eye = QPainterPath()
            eye.moveTo(cx - 6, cy)
            eye.quadTo(cx, cy - 6, cx + 6, cy)
            eye.quadTo(cx, cy + 6, cx - 6, cy)
            p.drawPath(eye)
            p.setBrush(ink)
            p.drawEllipse(QPointF(cx, cy), 1.8, 1.8)
            if on:
                p.drawLine(QLineF(cx - 6, cy + 5, cx + 6, cy - 5))
        else:
            p.setBrush(ink)
            p.drawPolygon(QPolygonF([QPointF(cx - 6, cy - 2), QPointF(cx - 3, cy - 2),
                                     QPointF(cx + 1, cy - 5.5), QPointF(cx + 1, cy + 5.5),
                                     QPointF(cx - 3, cy + 2), QPointF(cx - 6, cy + 2)]))
            p.setBrush(_NO_BRUSH)
            if on:
                p.drawLine(QLineF(cx + 3, cy - 3, cx + 7, cy + 3))
                p.drawLine(QLineF(cx + 3, cy + 3, cx + 7, cy - 3))
            else:
                p.drawArc(QRectF(cx - 1, cy - 4, 6, 8), -60 * 16, 120 * 16)
        p.restore()

    # --- playhead & snap indicator ----------------------------------------------------
    def _paint_playhead(self, p: QPainter, tracks_top: int, bottom: int) -> None:
        w = self.viewport().width()
        if self._snap_line is not None:
            sx = self.frame_to_x(self._snap_line)
            if HEADER_W <= sx <= w:
                p.setPen(QPen(_Theme.snap, 1, Qt.PenStyle.DashLine))
                p.drawLine(QLineF(sx + 0.5, 0, sx + 0.5, bottom))
        x = self.frame_to_x(self._playhead)
        if not HEADER_W - 8 <= x <= w + 8:
            return
        p.save()
        p.setClipRect(QRectF(HEADER_W, 0, w - HEADER_W, bottom))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(QRectF(x, 12, 1.5, bottom), _Theme.playhead)
        p.setPen(_NO_PEN)
        p.setBrush(_Theme.playhead)
        p.drawPolygon(QPolygonF([QPointF(x - 6, 2), QPointF(x + 7.5, 2), QPointF(x + 7.5, 12),
                                 QPointF(x + 0.75, RULER_H - 10), QPointF(x - 6, 12)]))
        p.restore()



def _waveform_tile(peaks: np.ndarray, source_s: float, px_per_second: float, x0: int,
                   height: int) -> QImage:
    """WAVE_TILE columns of waveform starting ``x0`` px after a clip's first frame, for a
    clip whose first frame is ``source_s`` seconds into its media."""
    peaks = np.asarray(peaks, dtype=np.float32)
    n = len(peaks)
    edges = source_s + (x0 + np.arange(WAVE_TILE + 1)) / px_per_second
    idx = np.floor(edges * PEAKS_PER_SECOND).astype(np.int64)
    valid = (idx[:-1] < n) & (idx[1:] > 0)
    pixels = np.zeros((height, WAVE_TILE), dtype=np.uint32)
    mid = height / 2.0
    if valid.any():
        first = int(min(max(idx[0], 0), n - 1))
        last = int(min(max(idx[-1], first + 1), n))
        segment = peaks[first:last]
        starts = np.clip(idx[:-1], first, last - 1) - first
        mins = np.where(valid, np.clip(np.minimum.reduceat(segment[:, 0], starts), -1, 1), 0.0)
        maxs = np.where(valid, np.clip(np.maximum.reduceat(segment[:, 1], starts), -1, 1), 0.0)
        top = np.floor(mid - maxs * mid * 0.95)
        bot = np.ceil(mid - mins * mid * 0.95)
        ys = np.arange(height, dtype=np.float32)[:, None]
        pixels[(ys >= top) & (ys <= bot) & valid] = _WAVE_ARGB
    pixels[int(mid), :] |= _WAVE_MID_ARGB
    return QImage(pixels.tobytes(), WAVE_TILE, height, WAVE_TILE * 4,
                  QImage.Format.Format_ARGB32).copy()


class _Strip:
    """A one-pixel-high ARGB row across the track area, stretched to a band's height
    when drawn: how thousands of ticks and tiny blocks cost one drawImage."""

    def __init__(self, viewport_width: int):
        self.width = max(1, int(viewport_width) - HEADER_W)
        self.row = np.zeros(self.width, dtype=np.uint32)
        self.used = False

    def spans(self, lefts: np.ndarray, rights: np.ndarray, argb: int) -> None:
        """Fill columns [left, right) (viewport x) with one colour."""
        a = np.clip(np.asarray(lefts) - HEADER_W, 0, self.width).astype(np.int64)
        b = np.clip(np.asarray(rights) - HEADER_W, 0, self.width).astype(np.int64)
        if not len(a):
            return
        edges = np.zeros(self.width + 1, dtype=np.int32)
        np.add.at(edges, a, 1)
        np.add.at(edges, b, -1)
        covered = np.cumsum(edges[:-1]) > 0
        self.row[covered] = argb
        self.used = self.used or bool(covered.any())

    def columns(self, xs: np.ndarray, argb) -> None:
        """Set single columns (viewport x) to a colour (or one colour per column)."""
        cols = np.asarray(xs).astype(np.int64) - HEADER_W
        inside = (cols >= 0) & (cols < self.width)
        if inside.any():
            self.row[cols[inside]] = argb if np.isscalar(argb) else np.asarray(argb)[inside]
            self.used = True

    def draw(self, p: QPainter, top: float, height: float) -> None:
        if not self.used:
            return
        data = self.row.tobytes()
        image = QImage(data, self.width, 1, self.width * 4, QImage.Format.Format_ARGB32)
        p.drawImage(QRectF(HEADER_W, top, self.width, height), image)


def _keyframes(s: Suggestion) -> list[int]:
    """Source frames of a reframe suggestion's keyframes (``data["keyframes"]``: dicts with
    a ``frame``, or sequences / numbers whose first value is the frame)."""
    out = []
    raw = s.data.get("keyframes") if isinstance(s.data, dict) else None
    if not isinstance(raw, list):
        return out
    for key in raw:
        frame = key.get("frame") if isinstance(key, dict) else (
            key[0] if isinstance(key, (list, tuple)) and key else key)
        if isinstance(frame, (int, float)) and not isinstance(frame, bool):
            out.append(int(frame))
    return sorted(out)
