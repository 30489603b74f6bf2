"""The preview player: libmpv embedded through its render API, frame-exact.

Three layers, each usable on its own:

* :class:`Player` (a ``QObject``) owns one ``mpv.MPV`` and speaks in frames. Its signals
  are always emitted on the GUI thread: mpv's property observers and event callbacks run
  on mpv's own thread and only re-emit a private queued signal; nothing else happens there.
* :class:`MpvVideoWidget` (a ``QOpenGLWidget``) draws the player's picture with
  ``MpvRenderContext`` and lets panels paint overlays on top (crop windows, mask tints,
  prompt points) in the letterboxed picture rectangle; clicks come back in picture pixels.
* :class:`PlayerPanel` is the dock content: the video plus a transport bar.

Source vs timeline viewer
-------------------------
``Player.load(path, fps)`` plays one file; frame ``n`` is the ``n``-th frame in decode
order (pass ``pts`` from the probe for VFR media, otherwise the nominal rate is used).
``Player.load_timeline(project, timeline)`` plays the timeline's first video track as one
stream through mpv's EDL protocol (``edl://`` entries ``%len%path,start=S,length=L``). The
player maps stream time back to timeline frames with :class:`TimelineMap`.
**Gaps are skipped** in the stream (mpv 0.35's EDL cannot synthesise black): playing runs
straight from the end of one clip to the start of the next and the playhead jumps over
the gap. Parking the playhead in a gap (``seek_frame`` into it) reports that frame, blanks
the picture (``Player.blank`` / ``blank_changed``) and plays on from the next clip.

Shuttle
-------
L plays forward at 1x, 2x, 4x, 8x on repeated presses; K pauses; J plays backwards at
1x, 2x, 4x, 8x. mpv 0.35 has ``play-dir=backward`` but on this machine it took ~1 s to
start and stalled entirely on a file without audio under ``vo=null``, so J is
*emulated*: a GUI timer issues frame-exact seeks to the frame that a real reverse play
would show (one outstanding seek at a time, so slow decoding drops frames instead of
lagging behind).

Steps
-----
``step(+1/-1)`` is a frame-exact seek to the neighbouring frame (the same path as
scrubbing, so it also crosses timeline gaps and works with known VFR timestamps). Only for
VFR media without timestamps does it fall back to mpv's ``frame-step``/``frame-back-step``.

Missing libmpv
--------------
``import mpv`` raises ``OSError`` when the shared library is missing. :func:`player_available`
reports that as ``(False, message)``; :class:`PlayerPanel` then shows the message in place
of the video with its controls disabled.
"""

from __future__ import annotations

import bisect
import importlib
import locale
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PySide6.QtCore import (QObject, QPointF, QRectF, QSignalBlocker, QSize, Qt, QTimer, Signal,
                            Slot)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QSlider, QStackedLayout, QStyle,
                               QToolButton, QVBoxLayout, QWidget)

from editor.core.model import VIDEO, Project, Timeline
from editor.core.timecode import FrameRate

_log = logging.getLogger(__name__)

__all__ = [
    "INSTALL_HINT", "MpvVideoWidget", "Player", "PlayerPanel", "TimelineMap", "SourceMap",
    "player_available", "build_edl",
]

INSTALL_HINT = ("Preview unavailable: libmpv is not installed. "
                "Install it with: sudo apt-get install libmpv2")
PYTHON_MPV_HINT = ("Preview unavailable: the python-mpv package is not installed. "
                   "Install it with: pip install mpv")

_SHUTTLE_SPEEDS = (1, 2, 4, 8)
_SEEK_EPSILON = Fraction(1, 2000)   # mpv's hr-seek shows the first frame with pts >= target - 5 ms
_FRAME_SLACK = 0.05                  # container timestamps are rounded to their time base
_availability: tuple[bool, str] | None = None
_mpv_module = None


# ---------------------------------------------------------------------------------------
# libmpv availability

def player_available(importer: Callable[[str], object] | None = None) -> tuple[bool, str]:
    """``(True, "")`` when python-mpv and libmpv load, else ``(False, readable message)``.

    ``importer`` replaces :func:`importlib.import_module` (tests pass one that fails); the
    answer for the real importer is cached.
    """
    global _availability, _mpv_module
    if importer is None and _availability is not None:
        return _availability
    try:
        module = (importer or importlib.import_module)("mpv")
    except OSError as exc:  # python-mpv is there but libmpv.so is not
        result = (False, f"{INSTALL_HINT}\n({exc})")
    except ImportError:
        result = (False, PYTHON_MPV_HINT)
    else:
        result = (True, "")
        if importer is None:
            _mpv_module = module
    if importer is None:
        _availability = result
    return result


def _mpv():
    ok, message = player_available()
    if not ok:
        raise RuntimeError(message)
    return _mpv_module


# ---------------------------------------------------------------------------------------
# Frame <-> stream time maps (Qt-free)

class SourceMap:
    """Frames of one file: nominal rate, or the real presentation times when known."""

    def __init__(self, fps: FrameRate, frame_count: int | None = None,
                 pts: Sequence[float | Fraction] | None = None):
        self.fps = FrameRate.of(fps)
        self.pts = [float(t) for t in pts] if pts else None
        if self.pts:
            base = self.pts[0]
            self.pts = [t - base for t in self.pts]  # mpv rebases the first frame to 0
        self.frame_count = frame_count if frame_count is not None else (
            len(self.pts) if self.pts else None)

    def time_of(self, frame: int) -> float:
        """Stream time to seek to so that mpv shows ``frame``."""
        frame = self.clamp(frame)
        if self.pts:
            return self.pts[frame] + float(_SEEK_EPSILON)
        return float(self.fps.seconds(frame) + _SEEK_EPSILON)

    def frame_of(self, t: float) -> int:
        if self.pts:
            slack = _FRAME_SLACK * float(self.fps.frame_duration)
            return self.clamp(bisect.bisect_right(self.pts, t + slack) - 1)
        return self.clamp(math.floor(t * float(self.fps) + _FRAME_SLACK))

    def clamp(self, frame: int) -> int:
        last = (self.frame_count - 1) if self.frame_count else None
        frame = max(0, int(frame))
        return min(frame, last) if last is not None and last >= 0 else frame

    def in_gap(self, frame: int) -> bool:
        return False

    @property
    def duration(self) -> int:
        return self.frame_count or 0


@dataclass(frozen=True)
class EdlSegment:
    """One clip of the played track: where it sits on the timeline and in the stream."""

    path: str
    source_start: Fraction   # seconds into the file
    timeline_start: int      # frames
    frames: int              # timeline frames
    stream_start: Fraction   # seconds into the EDL stream
    asset_id: str
    asset_rate: FrameRate    # the clip's media's: source frames from its seconds


class TimelineMap:
    """Timeline frames of a track played as one EDL stream with its gaps cut out."""

    def __init__(self, fps: FrameRate, segments: Sequence[EdlSegment], duration: int):
        self.fps = FrameRate.of(fps)
        self.segments = list(segments)
        self.frame_count = duration
        self._stream_starts = [float(s.stream_start) for s in self.segments]

    @property
    def duration(self) -> int:
        return self.frame_count

    def clamp(self, frame: int) -> int:
        return max(0, min(int(frame), max(self.frame_count - 1, 0)))

    def segment_at(self, frame: int) -> EdlSegment | None:
        for seg in self.segments:
            if seg.timeline_start <= frame < seg.timeline_start + seg.frames:
                return seg
        return None

    def in_gap(self, frame: int) -> bool:
        return bool(self.segments) and self.segment_at(frame) is None

    def source_at(self, frame: int) -> tuple[str, int] | None:
        """``(asset id, source frame)`` shown at timeline ``frame``; None in a gap."""
        seg = self.segment_at(frame)
        if seg is None:
            return None
        at = seg.source_start + self.fps.seconds(frame - seg.timeline_start)
        return seg.asset_id, seg.asset_rate.frame_at(at)

    def time_of(self, frame: int) -> float:
        """Stream time for ``frame``; a frame in a gap maps to the next clip's start."""
        frame = self.clamp(frame)
        for seg in self.segments:
            if frame < seg.timeline_start + seg.frames:
                offset = max(0, frame - seg.timeline_start)
                return float(seg.stream_start + self.fps.seconds(offset) + _SEEK_EPSILON)
        if not self.segments:
            return 0.0
        last = self.segments[-1]
        return float(last.stream_start + self.fps.seconds(last.frames - 1) + _SEEK_EPSILON)

    def frame_of(self, t: float) -> int:
        if not self.segments:
            return 0
        i = max(0, bisect.bisect_right(self._stream_starts, t + 1e-6) - 1)
        seg = self.segments[i]
        offset = math.floor((t - float(seg.stream_start)) * float(self.fps) + _FRAME_SLACK)
        offset = max(0, min(offset, seg.frames - 1))
        return seg.timeline_start + offset


def _edl_escape(text: str) -> str:
    return f"%{len(text.encode('utf-8'))}%{text}"


def build_edl(project: Project, timeline: Timeline) -> tuple[str, TimelineMap]:
    """The ``edl://`` URL of ``timeline``'s first video track and its frame map.

    Each clip becomes ``%len%path,start=S,length=L``: ``S`` from the clip's ``source_in`` at
    its asset's rate, ``L`` from its duration at the timeline's rate. Gaps are left out.
    """
    track = next((t for t in timeline.tracks if t.kind == VIDEO), None)
    rate = timeline.frame_rate
    entries, segments, stream_t = [], [], Fraction(0)
    for clip in (track.clips if track else []):
        asset = project.asset(clip.asset_id)
        start = asset.frame_rate.seconds(clip.source_in)
        length = rate.seconds(clip.duration)
        entries.append(f"{_edl_escape(asset.path)},start={float(start):.6f},"
                       f"length={float(length):.6f}")
        segments.append(EdlSegment(asset.path, start, clip.start, clip.duration, stream_t,
                                   asset.id, asset.frame_rate))
        stream_t += length
    duration = track.end if track else 0
    url = "edl://" + ";".join(entries) if entries else ""
    return url, TimelineMap(rate, segments, duration)


# ---------------------------------------------------------------------------------------
# The player

class Player(QObject):
    """One mpv instance addressed in frames. All signals fire on the GUI thread.

    ``headless=True`` uses ``vo=null``/``ao=null`` (tests, offscreen); otherwise
    ``vo=libmpv`` and a :class:`MpvVideoWidget` must render it.
    """

    position_changed = Signal(int)       # current frame (source or timeline frames)
    duration_changed = Signal(int)       # frames
    playing_changed = Signal(bool)
    file_loaded = Signal(str)            # the path, or "timeline:<id>" for a timeline
    error = Signal(str)
    speed_changed = Signal(int)          # shuttle speed: -8..8, 0 when paused
    in_out_changed = Signal(object, object)  # in frame or None, out frame or None
    video_size_changed = Signal(int, int)    # display (upright, aspect-corrected) size
    volume_changed = Signal(int)
    muted_changed = Signal(bool)
    blank_changed = Signal(bool)         # True while parked in a timeline gap
    about_to_close = Signal()            # render contexts must be freed on this
    picture_changed = Signal()           # a seek or an opened file has landed on screen
    _wake = Signal()                     # private: emitted on mpv's thread, delivered queued

    def __init__(self, parent: QObject | None = None, *, headless: bool = False,
                 **mpv_options):
        super().__init__(parent)
        mpv = _mpv()
        app = QGuiApplication.instance()
        if app is None:
            raise RuntimeError("Create the QApplication before the Player.")
        locale.setlocale(locale.LC_NUMERIC, "C")  # libmpv refuses to start otherwise
        self.headless = headless
        options = dict(vo="null" if headless else "libmpv", keep_open="yes", hr_seek="yes",
                       idle="yes", pause=True, osc=False, input_default_bindings=False,
                       input_vo_keyboard=False, hwdec="no", audio_display="no")
        if headless:
            options["ao"] = "null"
        options.update(mpv_options)
        # Values cross from mpv's thread through a plain queue; only an argument-less
        # signal crosses Qt's thread boundary (queued PyObject arguments proved fragile:
        # refcount errors at interpreter exit with PySide6 6.12).
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._wake_pending = threading.Event()
        self._wake.connect(self._drain, Qt.QueuedConnection)
        self._mpv = mpv.MPV(log_handler=self._mpv_log, loglevel="error", **options)
        self._mpv.register_event_callback(self._event)
        for name in ("time-pos", "pause", "dwidth", "dheight", "volume", "mute"):
            self._mpv.observe_property(name, self._observe)
        self._map: SourceMap | TimelineMap | None = None
        self._path = ""
        self._frame = 0
        self._playing = False
        self._speed = 0
        self._in: int | None = None
        self._out: int | None = None
        self._loop = False
        self._blank = False
        self._seek_target: int | None = None
        self._seek_in_flight: int | None = None
        self._waiting_since = 0.0      # when the seek in flight (or the file's opening) began
        self._opening = False          # a file is loading: its first restart is still to come
        self._entry = None             # mpv's playlist id of the file we last asked for
        self._started_entry = None     # ... and of the file whose events arrive now
        self._video_size = (0, 0)
        self._vfr = False
        self._url = ""
        self._vo_lost = False          # a render context was freed while a file was open
        self._has_render_context = False
        self._announce_on_reopen = False  # the deferred first open still owes file_loaded
        self._restore: tuple[int, bool] | None = None
        self._volume = 100
        self._muted = False
        app.aboutToQuit.connect(self.close)  # never leave libmpv running into interpreter exit
        self._reverse_timer = QTimer(self)
        self._reverse_timer.setTimerType(Qt.PreciseTimer)
        self._reverse_timer.timeout.connect(self._reverse_tick)
        self._reverse_anchor = (0, 0.0)

    # --- mpv thread: only hand over to the GUI thread -----------------------------------
    def _post(self, name: str, value) -> None:
        self._inbox.put((name, value))
        if not self._wake_pending.is_set():
            self._wake_pending.set()
            self._wake.emit()

    def _observe(self, name, value):
        self._post(name, value)

    def _event(self, event):
        eid = event.event_id.value
        if eid == 21:  # PLAYBACK_RESTART
            self._post("@restart", None)
        elif eid == 8:  # FILE_LOADED
            self._post("@loaded", None)
        elif eid in (6, 7):  # START_FILE, END_FILE
            try:
                info = event.as_dict(decoder=_mpv().lazy_decoder)
            except Exception:  # noqa: BLE001 - never raise on mpv's thread
                return
            entry = info.get("playlist_entry_id")
            if eid == 6:
                self._post("@start", entry)
            elif info.get("reason") == "error" and not self._vo_lost:
                self._post("@error", (entry, str(info.get("file_error", "unknown error"))))

    def _mpv_log(self, level, prefix, text):
        # mpv's own errors go to the log (no audio device is not worth a dialog); failures
        # to open a file arrive as end-file events and become the ``error`` signal.
        _log.warning("mpv %s: %s", prefix, text.strip())

    # --- GUI thread ----------------------------------------------------------------------
    @Slot()
    def _drain(self) -> None:
        self._wake_pending.clear()
        while True:
            try:
                name, value = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._on_mpv(name, value)

    def _on_mpv(self, name: str, value) -> None:
        if self._mpv is None:
            return
        if name == "@start":
            self._started_entry = value
            return
        if name in ("@restart", "@loaded") and self._started_entry != self._entry:
            return  # the end of a file replaced since: mpv's events are in order
        if name == "time-pos":
            if value is not None:
                self._on_time(float(value))
        elif name == "pause":
            if not self._reverse_timer.isActive():
                self._set_playing(not value)
                if value and self._speed > 0:
                    self._set_speed(0)
        elif name in ("dwidth", "dheight"):
            size = (self._safe_get("dwidth") or 0, self._safe_get("dheight") or 0)
            if size != self._video_size and all(size):
                self._video_size = size
                self.video_size_changed.emit(*size)
        elif name == "volume" and value is not None:
            if round(value) != self._volume:
                self._volume = round(value)
                self.volume_changed.emit(self._volume)
        elif name == "mute" and value is not None:
            if bool(value) != self._muted:
                self._muted = bool(value)
                self.muted_changed.emit(self._muted)
        elif name == "@restart":
            self._on_restart()
        elif name == "@loaded":
            self._on_loaded()
        elif name == "@error" and value[0] == self._entry:
            self.error.emit(f"Could not play {self._path or 'the file'}: {value[1]}")

    def _safe_get(self, name):
        try:
            return getattr(self._mpv, name.replace("-", "_")) if self._mpv is not None else None
        except Exception:  # noqa: BLE001 - property unavailable (no file yet)
            return None

    def _on_time(self, t: float) -> None:
        if self._map is None or self._blank:
            return
        if self._seek_target is not None:
            return  # the seek in flight decides; intermediate positions would jitter
        self._set_frame(self._map.frame_of(t))

    def _on_restart(self) -> None:
        """mpv finished a seek. Seeks are serialised (one in flight, the latest wanted one
        queued), because until a seek completes mpv's ``time-pos`` reports the *target*
        of the newest seek, not the frame on screen. While a file opens no seek is sent
        (mpv may drop one that arrives while it sets the file up, and its restarts carry no
        seek id): the file's first restart sends the latest one asked for."""
        self.picture_changed.emit()
        if self._opening:
            self._opening = False
            if self._seek_target is not None and self._map is not None:
                self._issue_seek()
            return
        issued, self._seek_in_flight = self._seek_in_flight, None
        if issued is None or self._map is None or self._seek_target is None:
            return
        if self._seek_target != issued:
            self._issue_seek()  # the user moved on while this one ran
            return
        t = self._safe_get("time-pos")
        frame = self._map.frame_of(t) if t is not None else issued
        self._seek_target = None
        if not self._blank:
            self._set_frame(frame)

    def _issue_seek(self) -> None:
        frame = self._seek_target
        self._seek_in_flight = frame
        self._waiting_since = time.monotonic()
        try:
            self._mpv.seek(self._map.time_of(frame), "absolute+exact")
        except Exception as exc:  # noqa: BLE001 - no file (yet), or it failed to open
            _log.debug("seek to frame %s refused: %s", frame, exc)
            self._seek_in_flight = None
            return
        QTimer.singleShot(1000, self, self._seek_watchdog)

    def _seek_watchdog(self) -> None:
        # mpv answers every seek and every opened file with playback-restart; this only
        # guards against a lost one (a slow seek is still ``seeking``).
        waiting = self._opening or self._seek_in_flight is not None
        if not waiting or time.monotonic() - self._waiting_since < 0.9:
            return
        if self._safe_get("seeking"):
            QTimer.singleShot(1000, self, self._seek_watchdog)
        else:
            self._on_restart()

    def _on_loaded(self) -> None:
        if self._opening:  # its first restart follows at once, unless lost
            self._waiting_since = time.monotonic()
            QTimer.singleShot(1000, self, self._seek_watchdog)
        if self._map is not None and self._map.frame_count is None:
            duration = self._safe_get("duration") or 0
            self._map.frame_count = max(1, round(duration * float(self._map.fps)))
        self._apply_ab_loop()
        if self._restore is not None:  # reopened after losing the video output
            playing = self._restore[1]
            self._restore = None
            self._seek_target = self._seek_in_flight = None
            self.seek_frame(self._frame)  # the latest position asked for
            if playing:
                self.play()
            if not self._announce_on_reopen:
                return
            self._announce_on_reopen = False
        self.duration_changed.emit(self.duration)
        self.file_loaded.emit(self._path)

    def _set_frame(self, frame: int) -> None:
        if frame != self._frame:
            self._frame = frame
            self.position_changed.emit(frame)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def _set_speed(self, speed: int) -> None:
        if speed != self._speed:
            self._speed = speed
            self.speed_changed.emit(speed)

    def _set_blank(self, blank: bool) -> None:
        if blank != self._blank:
            self._blank = blank
            self.blank_changed.emit(blank)

    # --- properties ----------------------------------------------------------------------
    @property
    def mpv(self):
        """The underlying ``mpv.MPV`` (for the render context and tests)."""
        return self._mpv

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def duration(self) -> int:
        return self._map.duration if self._map is not None else 0

    @property
    def fps(self) -> FrameRate | None:
        return self._map.fps if self._map is not None else None

    @property
    def path(self) -> str:
        return self._path

    @property
    def is_timeline(self) -> bool:
        return isinstance(self._map, TimelineMap)

    def shows_source(self, path: str) -> bool:
        """Whether the media file ``path`` is loaded as a source (not the timeline)."""
        return not self.is_timeline and bool(self._path) and Path(self._path) == Path(path)

    def source_at(self, frame: int) -> tuple[str, int] | None:
        """On a timeline, ``(asset id, source frame)`` of the clip shown at ``frame``
        (None in a gap, or when a source is loaded)."""
        return self._map.source_at(frame) if self.is_timeline else None

    @property
    def seeking(self) -> bool:
        """True until mpv shows the frame last asked for with :meth:`seek_frame`."""
        return self._seek_target is not None

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> int:
        return self._speed

    @property
    def in_point(self) -> int | None:
        return self._in

    @property
    def out_point(self) -> int | None:
        return self._out

    @property
    def looping(self) -> bool:
        return self._loop

    @property
    def blank(self) -> bool:
        return self._blank

    @property
    def video_size(self) -> tuple[int, int]:
        return self._video_size

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def loaded(self) -> bool:
        return self._map is not None

    # --- loading -------------------------------------------------------------------------
    def load(self, path: str, fps: FrameRate, *, frame_count: int | None = None,
             pts: Sequence[float | Fraction] | None = None,
             variable_frame_rate: bool = False) -> None:
        """Open ``path`` paused on its first frame. ``fps``/``frame_count``/``pts`` come from
        our probe (mpv's rate is approximate on VFR media). A VFR file without ``pts`` steps
        with mpv's own ``frame-step``; its seeks use the nominal rate."""
        self._reset_for_load()
        self._vfr = variable_frame_rate
        self._map = SourceMap(fps, frame_count, pts)
        self._path = str(path)
        self._open(self._path)

    def load_timeline(self, project: Project, timeline: Timeline) -> None:
        """Play ``timeline``'s first video track as one stream (see the module notes)."""
        url, tmap = build_edl(project, timeline)
        self._reset_for_load()
        self._map = tmap
        self._path = f"timeline:{timeline.id}"
        if url:
            self._open(url)
        else:
            self._mpv.command("stop")
            self.duration_changed.emit(0)
            self.file_loaded.emit(self._path)

    def _open(self, url: str) -> None:
        self._url = url
        if not self.headless and not self._has_render_context:
            # vo=libmpv needs a render context before a file opens: wait for the widget.
            self._vo_lost, self._restore, self._announce_on_reopen = True, (self._frame, False), True
            return
        try:
            self._load_url(url)
        except Exception as exc:  # noqa: BLE001 - mpv refused the command
            self.error.emit(f"Could not open {self._path}: {exc}")

    def unload(self) -> None:
        self._reset_for_load()
        self._path = ""
        self._mpv.command("stop")
        self.duration_changed.emit(0)

    def _reset_for_load(self) -> None:
        self._stop_reverse()
        self._mpv.pause = True
        self._set_speed(0)
        self._seek_target = self._seek_in_flight = None
        self._opening = False
        self._set_blank(False)
        self._in = self._out = None
        self._map = None
        self._set_frame(0)
        self.in_out_changed.emit(None, None)

    # --- transport -----------------------------------------------------------------------
    @Slot()
    def play(self) -> None:
        if self._map is None:
            return
        self._stop_reverse()
        last = self.duration - 1
        if self._frame >= last > 0:  # at the end: start over from the in point
            self.seek_frame(self._in if self._in is not None else 0)
        elif self._blank:
            self._mpv.seek(self._map.time_of(self._frame), "absolute+exact")
            self._set_blank(False)
        self._mpv.speed = 1.0
        self._set_speed(1)
        self._mpv.pause = False
        self._set_playing(True)

    @Slot()
    def pause(self) -> None:
        self._stop_reverse()
        if self._mpv is not None:
            self._mpv.pause = True
            self._mpv.speed = 1.0
        self._set_speed(0)
        self._set_playing(False)

    @Slot()
    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    @Slot(int)
    def seek_frame(self, frame: int) -> None:
        """Show exactly ``frame`` (clamped to the media); ``position_changed`` follows."""
        if self._map is None:
            return
        frame = self._map.clamp(frame)
        self._seek_target = frame
        self._set_blank(self._map.in_gap(frame))
        self._set_frame(frame)
        if self._seek_in_flight is None and not self._opening:
            self._issue_seek()

    @Slot(int)
    def step(self, delta: int = 1) -> None:
        """Pause and move ``delta`` frames (see the module notes)."""
        if self._map is None or delta == 0:
            return
        self.pause()
        if self._vfr and isinstance(self._map, SourceMap) and self._map.pts is None:
            for _ in range(abs(delta)):
                self._mpv.command("frame-step" if delta > 0 else "frame-back-step")
            return
        self.seek_frame(self._frame + delta)

    @Slot(int)
    def shuttle(self, direction: int) -> None:
        """J/K/L: ``+1`` faster forward, ``0`` pause, ``-1`` faster backward."""
        if self._map is None:
            return
        if direction == 0:
            self.pause()
            return
        current = self._speed
        if direction > 0:
            speed = 1 if current <= 0 else min(current * 2, _SHUTTLE_SPEEDS[-1])
            self._stop_reverse()
            self._set_blank(False)
            self._mpv.speed = float(speed)
            self._mpv.pause = False
            self._set_speed(speed)
            self._set_playing(True)
        else:
            speed = -1 if current >= 0 else max(current * 2, -_SHUTTLE_SPEEDS[-1])
            self._mpv.pause = True
            self._mpv.speed = 1.0
            self._set_speed(speed)
            self._reverse_anchor = (self._frame, time.monotonic())
            fps = float(self._map.fps)
            self._reverse_timer.start(max(10, int(1000 / (fps * min(abs(speed), 2)))))
            self._set_playing(True)

    def _reverse_tick(self) -> None:
        if self._map is None or self._speed >= 0:
            self._stop_reverse()
            return
        if self._seek_in_flight is not None:
            return  # one seek in flight at a time: drop frames rather than lag
        start, t0 = self._reverse_anchor
        target = start - round(abs(self._speed) * float(self._map.fps) * (time.monotonic() - t0))
        floor = self._in if (self._loop and self._in is not None) else 0
        if target <= floor:
            if self._loop and self._out is not None:
                self._reverse_anchor = (self._out, time.monotonic())
                self.seek_frame(self._out)
                return
            self.seek_frame(floor)
            self.pause()
            return
        if target != self._frame:
            self.seek_frame(target)

    def _stop_reverse(self) -> None:
        if self._reverse_timer.isActive():
            self._reverse_timer.stop()

    # --- audio ---------------------------------------------------------------------------
    @Slot(int)
    def set_volume(self, volume: int) -> None:
        volume = max(0, min(100, int(volume)))
        self._mpv.volume = volume
        if volume != self._volume:
            self._volume = volume
            self.volume_changed.emit(volume)

    @Slot(bool)
    def set_muted(self, muted: bool) -> None:
        self._mpv.mute = bool(muted)
        if bool(muted) != self._muted:
            self._muted = bool(muted)
            self.muted_changed.emit(self._muted)

    @Slot()
    def toggle_mute(self) -> None:
        self.set_muted(not self._muted)

    # --- in/out and looping --------------------------------------------------------------
    @Slot(int)
    def set_in(self, frame: int | None) -> None:
        self._in = None if frame is None else (self._map.clamp(frame) if self._map else frame)
        if self._in is not None and self._out is not None and self._out < self._in:
            self._out = None
        self.in_out_changed.emit(self._in, self._out)
        self._apply_ab_loop()

    @Slot(int)
    def set_out(self, frame: int | None) -> None:
        self._out = None if frame is None else (self._map.clamp(frame) if self._map else frame)
        if self._in is not None and self._out is not None and self._out < self._in:
            self._in = None
        self.in_out_changed.emit(self._in, self._out)
        self._apply_ab_loop()

    def clear_in_out(self) -> None:
        self._in = self._out = None
        self.in_out_changed.emit(None, None)
        self._apply_ab_loop()

    @Slot(bool)
    def loop_in_out(self, enabled: bool) -> None:
        """Loop between the in and out points (mpv's ``ab-loop-a``/``ab-loop-b``)."""
        self._loop = bool(enabled)
        self._apply_ab_loop()

    def _apply_ab_loop(self) -> None:
        if self._mpv is None:
            return
        a = b = "no"
        if self._loop and self._map is not None and (self._in is not None or self._out is not None):
            first = self._in if self._in is not None else 0
            a = f"{self._map.time_of(first):.6f}"
            if self._out is not None:
                # The loop point sits half a frame into the out frame: it is shown, the
                # next frame is not.
                half = float(self._map.fps.frame_duration) / 2
                b = f"{self._map.time_of(self._out) - float(_SEEK_EPSILON) + half:.6f}"
            else:
                b = f"{self._map.time_of(max(self.duration - 1, 0)) + 1:.6f}"
        self._mpv["ab-loop-a"] = a
        self._mpv["ab-loop-b"] = b

    def _render_context_detached(self) -> None:
        """The widget freed its render context (closing, or a dock floated and Qt
        replaced its GL context). mpv loses its video output and stops the file."""
        self._has_render_context = False
        if self._mpv is not None and self._map is not None and self._url:
            self._vo_lost = True
            self._restore = (self._frame, self._playing)

    def _render_context_attached(self) -> None:
        """A new render context exists: reopen the file where it was if mpv lost it."""
        self._has_render_context = True
        if self._mpv is None or not self._vo_lost:
            return
        self._vo_lost = False
        if self._restore is not None and self._url:
            self._load_url(self._url)

    def _load_url(self, url: str) -> None:
        reply = self._mpv.command("loadfile", url, "replace")
        self._entry = (reply or {}).get("playlist_entry_id")
        self._opening = True

    # --- frames for tests and thumbnails ------------------------------------------------
    def grab_frame(self) -> np.ndarray | None:
        """The decoded picture at the current position as an RGB ``uint8`` array
        (mpv's ``screenshot-raw``; works with ``vo=null``)."""
        try:
            shot = self._mpv.command("screenshot-raw", "video")
        except Exception:  # noqa: BLE001 - no video yet
            return None
        w, h, stride = shot["w"], shot["h"], shot["stride"]
        data = np.frombuffer(shot["data"], np.uint8).reshape(h, stride)[:, :w * 4]
        bgr0 = data.reshape(h, w, 4)
        return np.ascontiguousarray(bgr0[..., 2::-1]) if shot["format"] == "bgr0" \
            else np.ascontiguousarray(bgr0[..., :3])

    # --- shutdown ------------------------------------------------------------------------
    @Slot()
    def close(self) -> None:
        """Free render contexts (via ``about_to_close``), then terminate mpv. Idempotent."""
        if self._mpv is None:
            return
        self._stop_reverse()
        self.about_to_close.emit()
        handle, self._mpv = self._mpv, None
        self._map = None
        try:
            handle.terminate()
        except Exception:  # noqa: BLE001 - already dead
            pass


# ---------------------------------------------------------------------------------------
# Video widgets

OverlayFn = Callable[[QPainter, QRectF, int], None]


def letterbox(video_size: tuple[int, int], area: QSize | tuple[float, float]) -> QRectF:
    """The rectangle the picture occupies when fitted, centred, into ``area``."""
    aw, ah = (area.width(), area.height()) if isinstance(area, QSize) else area
    vw, vh = video_size
    if not (vw and vh and aw > 0 and ah > 0):
        return QRectF(0, 0, aw, ah)
    scale = min(aw / vw, ah / vh)
    w, h = vw * scale, vh * scale
    return QRectF((aw - w) / 2, (ah - h) / 2, w, h)


class _OverlayMixin:
    """Overlays and picture-pixel clicks, shared by the GL widget and the headless one."""

    def _init_overlays(self, player: Player | None) -> None:
        self._overlays: list[OverlayFn] = []
        self._player = player

    def add_overlay(self, painter_fn: OverlayFn) -> OverlayFn:
        """``painter_fn(painter, video_rect, frame)`` runs after each picture is drawn;
        returns ``painter_fn`` so it can be removed later."""
        self._overlays.append(painter_fn)
        self.update()
        return painter_fn

    def remove_overlay(self, painter_fn: OverlayFn) -> None:
        if painter_fn in self._overlays:
            self._overlays.remove(painter_fn)
            self.update()

    def video_rect(self) -> QRectF:
        size = self._player.video_size if self._player is not None else (0, 0)
        return letterbox(size, self.size())

    def map_to_video(self, pos: QPointF) -> QPointF | None:
        """Widget position -> picture pixel (display orientation), or None outside it."""
        if self._player is None or not all(self._player.video_size):
            return None
        rect = self.video_rect()
        if not rect.contains(pos):
            return None
        vw, vh = self._player.video_size
        return QPointF((pos.x() - rect.x()) * vw / rect.width(),
                       (pos.y() - rect.y()) * vh / rect.height())

    def map_from_video(self, pixel: QPointF) -> QPointF:
        rect = self.video_rect()
        vw, vh = self._player.video_size if self._player else (0, 0)
        if not (vw and vh):
            return QPointF(pixel)
        return QPointF(rect.x() + pixel.x() * rect.width() / vw,
                       rect.y() + pixel.y() * rect.height() / vh)

    def _paint_overlays(self, painter: QPainter) -> None:
        if not self._overlays:
            return
        rect = self.video_rect()
        frame = self._player.frame if self._player is not None else 0
        painter.setRenderHint(QPainter.Antialiasing)
        for fn in list(self._overlays):
            painter.save()
            try:
                fn(painter, rect, frame)
            except Exception as exc:  # noqa: BLE001 - one broken overlay must not kill paint
                import traceback
                traceback.print_exception(exc)
            painter.restore()

    def _press(self, event) -> bool:
        pixel = self.map_to_video(event.position())
        if pixel is not None:
            self.mouse_pressed_on_video.emit(pixel, event.button())
            return True
        return False


class MpvVideoWidget(_OverlayMixin, QOpenGLWidget):
    """Draws a :class:`Player` with mpv's OpenGL render API; panels add overlays."""

    mouse_pressed_on_video = Signal(QPointF, Qt.MouseButton)
    _frame_ready = Signal()  # emitted on mpv's render thread, delivered queued

    def __init__(self, player: Player, parent: QWidget | None = None):
        QOpenGLWidget.__init__(self, parent)
        self._init_overlays(player)
        self._ctx = None
        self._proc_fn = None
        self._watched_context = None
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setUpdateBehavior(QOpenGLWidget.NoPartialUpdate)
        self._frame_ready.connect(self.update, Qt.QueuedConnection)
        player.about_to_close.connect(self.release_render_context, Qt.DirectConnection)
        player.video_size_changed.connect(lambda *_: self.update())
        player.blank_changed.connect(lambda *_: self.update())
        player.position_changed.connect(lambda *_: self.update() if self._overlays else None)

    @property
    def player(self) -> Player:
        return self._player

    # QOpenGLWidget --------------------------------------------------------------------
    def initializeGL(self) -> None:
        self._create_render_context()

    def _create_render_context(self) -> None:
        if self._ctx is not None or self._player.mpv is None or self._player.headless:
            return
        mpv = _mpv()
        from PySide6.QtGui import QOpenGLContext

        def get_proc_address(_ctx, name):
            ctx = QOpenGLContext.currentContext()
            if ctx is None:
                return 0
            address = ctx.getProcAddress(name.decode("utf-8"))
            return int(address) if address else 0

        self._proc_fn = mpv.MpvGlGetProcAddressFn(get_proc_address)
        self._ctx = mpv.MpvRenderContext(
            self._player.mpv, "opengl",
            opengl_init_params={"get_proc_address": self._proc_fn})
        self._ctx.update_cb = lambda: self._frame_ready.emit()
        # Re-parenting (a dock floating) destroys the GL context: free ours with it.
        if self._watched_context is not self.context():
            self._watched_context = self.context()
            self.context().aboutToBeDestroyed.connect(self.release_render_context,
                                                      Qt.DirectConnection)
        self._player._render_context_attached()

    def paintGL(self) -> None:
        ratio = self.devicePixelRatioF()
        w, h = max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio))
        if self._ctx is None:
            self._create_render_context()  # after an explicit release, e.g. a reopened panel
        painter = QPainter(self)
        # mpv changes GL state behind QPainter's back: wrap it in native painting so the
        # paint engine re-syncs (blending for translucent overlays) afterwards.
        painter.beginNativePainting()
        try:
            if self._ctx is not None and not self._player.blank:
                self._ctx.render(flip_y=True, opengl_fbo={
                    "w": w, "h": h, "fbo": self.defaultFramebufferObject()})
            else:
                gl = self.context().functions()
                gl.glClearColor(0.0, 0.0, 0.0, 1.0)
                gl.glClear(0x4000)  # GL_COLOR_BUFFER_BIT
        finally:
            painter.endNativePainting()
        self._paint_overlays(painter)
        painter.end()

    @Slot()
    def release_render_context(self) -> None:
        """Free the render context (needs its GL context current). Safe to call twice."""
        if self._ctx is None:
            return
        ctx, self._ctx = self._ctx, None
        made_current = False
        if self.context() is not None and self.context().isValid():
            self.makeCurrent()
            made_current = True
        try:
            ctx.update_cb = None
            ctx.free()
        finally:
            if made_current:
                self.doneCurrent()
        self._player._render_context_detached()

    def mousePressEvent(self, event) -> None:
        if not self._press(event):
            super().mousePressEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)


class HeadlessVideoWidget(_OverlayMixin, QWidget):
    """Stands in for :class:`MpvVideoWidget` when the player runs with ``vo=null``
    (offscreen tests and snapshots): the current frame from mpv's software screenshot,
    the same overlays and click mapping."""

    mouse_pressed_on_video = Signal(QPointF, Qt.MouseButton)

    def __init__(self, player: Player | None, parent: QWidget | None = None):
        super().__init__(parent)
        self._init_overlays(player)
        self._picture: QImage | None = None
        self._picture_stale = True
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        if player is not None:
            player.video_size_changed.connect(self._frame_changed)
            player.position_changed.connect(self._frame_changed)
            player.file_loaded.connect(self._frame_changed)
            # the position changes when a seek is asked for; the picture when it lands
            player.picture_changed.connect(self._frame_changed)

    @property
    def player(self) -> Player | None:
        return self._player

    def _frame_changed(self, *_args) -> None:
        self._picture_stale = True
        self.update()

    def _current_picture(self) -> QImage | None:
        if self._picture_stale and self._player is not None and self._player.loaded \
                and not self._player.blank:
            rgb = self._player.grab_frame()
            if rgb is not None:
                rgb = np.ascontiguousarray(rgb)
                h, w = rgb.shape[:2]
                self._picture = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
            self._picture_stale = False
        return self._picture

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.black)
        if self._player is not None and all(self._player.video_size):
            picture = self._current_picture()
            if picture is not None:
                painter.setRenderHint(QPainter.SmoothPixmapTransform)
                painter.drawImage(self.video_rect(), picture)
            else:
                painter.fillRect(self.video_rect(), QColor(24, 24, 24))
        self._paint_overlays(painter)
        painter.end()

    def mousePressEvent(self, event) -> None:
        if not self._press(event):
            super().mousePressEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)


# ---------------------------------------------------------------------------------------
# The panel

def _is_headless_platform() -> bool:
    return QGuiApplication.platformName() in ("offscreen", "minimal", "vnc")


class PlayerPanel(QWidget):
    """The preview dock's content: video, transport bar, timecode, scrub bar.

    ``player``: use this player (the panel does not own it), else the panel makes one
    (headless on the offscreen platform) and closes it in :meth:`shutdown`/``closeEvent``.
    ``availability``: override :func:`player_available` (tests).
    """

    def __init__(self, parent: QWidget | None = None, *, player: Player | None = None,
                 availability: tuple[bool, str] | None = None, headless: bool | None = None):
        super().__init__(parent)
        self.setObjectName("PlayerPanel")
        ok, message = availability if availability is not None else player_available()
        self.available = ok
        self.unavailable_reason = "" if ok else message
        self._owns_player = False
        self._jump_points: list[int] = []
        if headless is None:
            headless = _is_headless_platform()
        if ok and player is None:
            player = Player(self, headless=headless)
            self._owns_player = True
        self.player: Player | None = player if ok else None

        # video area
        self._stack = QStackedLayout()
        if self.player is None:
            self.video = None
            self.message = QLabel(message or INSTALL_HINT)
            self.message.setObjectName("PlayerUnavailable")
            self.message.setWordWrap(True)
            self.message.setAlignment(Qt.AlignCenter)
            self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.message.setMinimumSize(320, 180)
            self.message.setAutoFillBackground(True)
            pal = self.message.palette()
            pal.setColor(QPalette.Window, QColor(20, 20, 20))
            pal.setColor(QPalette.WindowText, QColor(230, 230, 230))
            self.message.setPalette(pal)
            self._stack.addWidget(self.message)
        else:
            self.message = None
            self.video = (HeadlessVideoWidget(self.player) if self.player.headless
                          else MpvVideoWidget(self.player))
            self._stack.addWidget(self.video)

        # transport
        style = self.style()

        def button(icon, tip, slot, checkable=False, text=""):
            b = QToolButton(self)
            if icon is not None:
                b.setIcon(style.standardIcon(icon))
            if text:
                b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(checkable)
            b.setAutoRaise(True)
            (b.toggled if checkable else b.clicked).connect(slot)
            return b

        self.prev_button = button(QStyle.SP_MediaSkipBackward, "Previous cut or marker",
                                  self.jump_previous)
        self.step_back_button = button(QStyle.SP_MediaSeekBackward, "Step back one frame",
                                       self.step_back)
        self.play_button = button(QStyle.SP_MediaPlay, "Play/pause (Space)", self.toggle_play)
        self.step_forward_button = button(QStyle.SP_MediaSeekForward, "Step forward one frame",
                                          self.step_forward)
        self.next_button = button(QStyle.SP_MediaSkipForward, "Next cut or marker",
                                  self.jump_next)
        self.in_button = button(None, "Mark in (I)", self.mark_in, text="[ In")
        self.out_button = button(None, "Mark out (O)", self.mark_out, text="Out ]")
        self.loop_button = button(QStyle.SP_BrowserReload, "Loop between in and out",
                                  self.set_loop, checkable=True)
        self.mute_button = button(QStyle.SP_MediaVolume, "Mute", self._mute_clicked,
                                  checkable=True)
        self.volume_slider = QSlider(Qt.Horizontal, self)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setFixedWidth(90)
        self.volume_slider.setToolTip("Volume")
        self.volume_slider.valueChanged.connect(self._volume_moved)
        self.timecode_label = QLabel("00:00:00:00", self)
        self.timecode_label.setObjectName("PlayerTimecode")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.TypeWriter)
        self.timecode_label.setFont(mono)
        self.timecode_label.setToolTip("Current position / duration")
        self.mode_label = QLabel("", self)
        self.mode_label.setObjectName("PlayerMode")
        self.scrub = QSlider(Qt.Horizontal, self)
        self.scrub.setObjectName("PlayerScrub")
        self.scrub.setRange(0, 0)
        self.scrub.setToolTip("Scrub")
        self.scrub.sliderMoved.connect(self._scrubbed)
        self.scrub.actionTriggered.connect(self._scrub_action)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.setSpacing(2)
        for w in (self.prev_button, self.step_back_button, self.play_button,
                  self.step_forward_button, self.next_button):
            bar.addWidget(w)
        bar.addSpacing(8)
        bar.addWidget(self.in_button)
        bar.addWidget(self.out_button)
        bar.addWidget(self.loop_button)
        bar.addStretch(1)
        bar.addWidget(self.mode_label)
        bar.addSpacing(8)
        bar.addWidget(self.timecode_label)
        bar.addStretch(1)
        bar.addWidget(self.mute_button)
        bar.addWidget(self.volume_slider)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addLayout(self._stack, 1)
        layout.addWidget(self.scrub)
        layout.addLayout(bar)

        self.controls = [self.prev_button, self.step_back_button, self.play_button,
                         self.step_forward_button, self.next_button, self.in_button,
                         self.out_button, self.loop_button, self.mute_button,
                         self.volume_slider, self.scrub]
        if self.player is None:
            for w in self.controls:
                w.setEnabled(False)
            self.timecode_label.setText("--:--:--:--")
            return
        p = self.player
        p.position_changed.connect(self._position)
        p.duration_changed.connect(self._duration)
        p.playing_changed.connect(self._playing)
        p.muted_changed.connect(self._muted)
        p.volume_changed.connect(self._volume)
        p.in_out_changed.connect(self._in_out)
        p.file_loaded.connect(self._loaded)
        self._set_loaded(False)

    # public slots for the action registry ------------------------------------------------
    @Slot()
    def toggle_play(self) -> None:
        if self.player:
            self.player.toggle()

    @Slot()
    def step_forward(self) -> None:
        if self.player:
            self.player.step(1)

    @Slot()
    def step_back(self) -> None:
        if self.player:
            self.player.step(-1)

    @Slot()
    def shuttle_left(self) -> None:
        if self.player:
            self.player.shuttle(-1)

    @Slot()
    def shuttle_stop(self) -> None:
        if self.player:
            self.player.shuttle(0)

    @Slot()
    def shuttle_right(self) -> None:
        if self.player:
            self.player.shuttle(1)

    @Slot()
    def mark_in(self) -> None:
        if self.player:
            self.player.set_in(self.player.frame)

    @Slot()
    def mark_out(self) -> None:
        if self.player:
            self.player.set_out(self.player.frame)

    @Slot(bool)
    def set_loop(self, enabled: bool) -> None:
        if self.player:
            self.player.loop_in_out(enabled)
            with QSignalBlocker(self.loop_button):
                self.loop_button.setChecked(enabled)

    @Slot()
    def toggle_loop(self) -> None:
        self.set_loop(not self.loop_button.isChecked())

    @Slot()
    def toggle_mute(self) -> None:
        if self.player:
            self.player.toggle_mute()

    @Slot()
    def jump_previous(self) -> None:
        if not self.player:
            return
        i = bisect.bisect_left(self._jump_points, self.player.frame)
        if i > 0:
            self.player.seek_frame(self._jump_points[i - 1])
        elif self.player.frame > 0:
            self.player.seek_frame(0)

    @Slot()
    def jump_next(self) -> None:
        if not self.player:
            return
        i = bisect.bisect_right(self._jump_points, self.player.frame)
        if i < len(self._jump_points):
            self.player.seek_frame(self._jump_points[i])

    def set_jump_points(self, frames) -> None:
        """Cuts and markers to jump between (any order; duplicates are dropped)."""
        self._jump_points = sorted({int(f) for f in frames})

    @property
    def jump_points(self) -> list[int]:
        return list(self._jump_points)

    # convenience -------------------------------------------------------------------------
    def load(self, path: str, fps: FrameRate, **kwargs) -> None:
        if self.player:
            self.mode_label.setText("Source")
            self.player.load(path, fps, **kwargs)

    def load_timeline(self, project: Project, timeline: Timeline) -> None:
        if self.player:
            self.mode_label.setText("Timeline")
            self.player.load_timeline(project, timeline)
            cuts = set()
            for track in timeline.tracks:
                for clip in track.clips:
                    cuts.update((clip.start, clip.end))
            cuts.update(m.frame for m in timeline.markers)
            self.set_jump_points(cuts)

    def add_overlay(self, painter_fn: OverlayFn) -> OverlayFn | None:
        return self.video.add_overlay(painter_fn) if self.video is not None else None

    def remove_overlay(self, painter_fn: OverlayFn) -> None:
        if self.video is not None:
            self.video.remove_overlay(painter_fn)

    def shutdown(self) -> None:
        """Release the render context and, if the panel made it, terminate the player."""
        if self.player is None:
            return
        if isinstance(self.video, MpvVideoWidget):
            self.video.release_render_context()
        if self._owns_player:
            self.player.close()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # player -> widgets --------------------------------------------------------------------
    def _timecode(self, frame: int) -> str:
        fps = self.player.fps if self.player else None
        return fps.timecode(frame) if fps else "00:00:00:00"

    def _update_timecode(self) -> None:
        p = self.player
        total = self._timecode(max(p.duration - 1, 0)) if p.duration else "00:00:00:00"
        self.timecode_label.setText(f"{self._timecode(p.frame)} / {total}")

    def _position(self, frame: int) -> None:
        if not self.scrub.isSliderDown():
            with QSignalBlocker(self.scrub):
                self.scrub.setValue(frame)
        self._update_timecode()

    def _duration(self, frames: int) -> None:
        with QSignalBlocker(self.scrub):
            self.scrub.setRange(0, max(frames - 1, 0))
        self._update_timecode()

    def _loaded(self, _path: str) -> None:
        self._set_loaded(True)

    def _set_loaded(self, loaded: bool) -> None:
        for w in self.controls:
            if w not in (self.volume_slider, self.mute_button):
                w.setEnabled(loaded)
        self._update_timecode()

    def _playing(self, playing: bool) -> None:
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _muted(self, muted: bool) -> None:
        with QSignalBlocker(self.mute_button):
            self.mute_button.setChecked(muted)
        icon = QStyle.SP_MediaVolumeMuted if muted else QStyle.SP_MediaVolume
        self.mute_button.setIcon(self.style().standardIcon(icon))

    def _volume(self, volume: int) -> None:
        with QSignalBlocker(self.volume_slider):
            self.volume_slider.setValue(volume)

    def _in_out(self, in_frame, out_frame) -> None:
        fps = self.player.fps
        self.in_button.setToolTip("Mark in (I)" + (f": {fps.timecode(in_frame)}"
                                                   if in_frame is not None and fps else ""))
        self.out_button.setToolTip("Mark out (O)" + (f": {fps.timecode(out_frame)}"
                                                     if out_frame is not None and fps else ""))
        self.in_button.setText("[ In*" if in_frame is not None else "[ In")
        self.out_button.setText("Out* ]" if out_frame is not None else "Out ]")

    # widgets -> player --------------------------------------------------------------------
    def _scrubbed(self, value: int) -> None:
        self.player.seek_frame(value)

    def _scrub_action(self, action: int) -> None:
        if action != QSlider.SliderMove:  # page/step clicks on the groove
            QTimer.singleShot(0, lambda: self.player.seek_frame(self.scrub.value()))

    def _volume_moved(self, value: int) -> None:
        self.player.set_volume(value)

    def _mute_clicked(self, muted: bool) -> None:
        self.player.set_muted(muted)
