"""Sound while playing: the export's own mix (engine.render.audio.AudioMixer, the one audio render
path), mixed a little ahead on a thread and played through Qt Multimedia's QAudioSink.

At 1× the sound is playback's clock: `heard_frame()` is the timeline frame being played out now,
and the picture shows that frame, so picture and sound stay together however long it plays.
Shuttling (any other speed or direction) is silent. Without a sound device (a server, CI, a
sink that cannot open), a clock that consumes the mix in real time stands in for the device: the
mix is still made and the picture still follows it, only nothing is heard.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Sequence
from fractions import Fraction

from PySide6.QtCore import QObject, Qt, QTimer, Signal

SAMPLE_RATE = 48000  # the export's rate (engine.render.export.AUDIO_RATE)
CHANNELS = 2
BYTES_PER_SAMPLE = 2 * CHANNELS  # interleaved signed 16-bit
CHUNK_SECONDS = Fraction(1, 10)
AHEAD_CHUNKS = 6  # mixed ahead of what is playing (0.6 s)
DEVICE_BUFFER_SECONDS = 0.2


def sample_at(frame: int, fps: Fraction, sample_rate: int = SAMPLE_RATE) -> int:
    from engine.render.audio import sample_at as exact

    return exact(frame, fps, sample_rate)


def to_pcm(mix) -> bytes:
    """float32 (channels, n) in -1..1 → interleaved little-endian int16."""
    import numpy as np

    return np.round(np.clip(mix, -1.0, 1.0) * 32767.0).astype("<i2").T.tobytes()


class _Mixing(threading.Thread):
    """Mixes timeline frames from `start` to the end of the cut into a bounded queue, chunk by chunk."""

    def __init__(self, mixer, start: int, end: int, chunk: int) -> None:
        super().__init__(name="shotloom-audio-mix", daemon=True)
        self.mixer, self.start_frame, self.end, self.chunk = mixer, start, end, chunk
        self.chunks: queue.Queue = queue.Queue(maxsize=AHEAD_CHUNKS)
        self.stopped = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        t = self.start_frame
        try:
            while t < self.end and not self.stopped.is_set():
                t1 = min(t + self.chunk, self.end)
                item = (t, t1, to_pcm(self.mixer.frames(t, t1)))
                while not self.stopped.is_set():
                    try:
                        self.chunks.put(item, timeout=0.05)
                        break
                    except queue.Full:
                        continue
                t = t1
        except Exception as exc:  # noqa: BLE001 - a file that fails to decode makes playback silent, not dead
            self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _DeviceOutput:
    """The default sound device through QAudioSink (push mode: we write as it has room)."""

    def __init__(self, volume: float) -> None:
        from PySide6.QtMultimedia import QAudio, QAudioFormat, QAudioSink, QMediaDevices

        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            raise OSError("no sound output device")
        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE)
        fmt.setChannelCount(CHANNELS)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            raise OSError(f"{device.description()} cannot play 48 kHz stereo")
        self.sink = QAudioSink(device, fmt)
        self.sink.setBufferSize(int(SAMPLE_RATE * DEVICE_BUFFER_SECONDS) * BYTES_PER_SAMPLE)
        self.sink.setVolume(volume)
        self.io = self.sink.start()
        if self.io is None or self.sink.error() != QAudio.Error.NoError:
            self.sink.stop()
            raise OSError(f"{device.description()} could not be opened")
        self.name = device.description()

    def free(self) -> int:
        return self.sink.bytesFree()

    def write(self, data: bytes) -> int:
        return max(0, int(self.io.write(data)))

    def played(self) -> int:
        """Samples the device has taken from us so far."""
        return self.sink.processedUSecs() * SAMPLE_RATE // 1_000_000

    def set_volume(self, volume: float) -> None:
        self.sink.setVolume(volume)

    def stop(self) -> None:
        self.sink.stop()


class _ClockOutput:
    """No device: the mix is consumed in real time, as a device would, and stalls when starved."""

    name = ""

    def __init__(self, volume: float) -> None:
        self.volume = volume
        self.written = 0
        self._played = 0
        self._since: float | None = None

    def free(self) -> int:
        return max(0, int(SAMPLE_RATE * DEVICE_BUFFER_SECONDS) - (self.written - self.played())) * BYTES_PER_SAMPLE

    def write(self, data: bytes) -> int:
        if self._since is None:
            self._since = time.perf_counter()
        self.written += len(data) // BYTES_PER_SAMPLE
        return len(data)

    def played(self) -> int:
        if self._since is None:
            return 0
        now = time.perf_counter()
        played = self._played + int((now - self._since) * SAMPLE_RATE)
        if played >= self.written:  # an underrun: the clock waits for more sound
            self._played, self._since = self.written, now
            return self.written
        return played

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def stop(self) -> None:
        self._since = None


class AudioPlayer(QObject):
    """Plays the cut's mix from a timeline frame and tells playback which frame is being heard."""

    deviceMissing = Signal(str)  # one line, once: why nothing is heard (playback still works)

    def __init__(self, transport, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.transport = transport
        self.plan = None
        self.clips: tuple = ()
        self.volume = 1.0
        self.muted = False
        self.device_name = ""
        self.log: list | None = None
        """When a list: the PCM bytes of every piece written to the output since the last start, in
        order, from timeline frame `log_start` (tests and benchmarks compare it with the export's mix)."""
        self.log_start: int | None = None
        self._mixer = None
        self._mixing: _Mixing | None = None
        self._output = None
        self._base_frame = 0  # the timeline frame the output's first sample belongs to
        self._pending: tuple[int, bytes] | None = None  # (first sample offset, bytes) not yet written
        self._warned = False
        self._use_device = True
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._pump)

    # -- what plays ------------------------------------------------------------------------------
    def set_cut(self, plan, clips: Sequence = ()) -> None:
        """The cut changed (an edit): what plays from now on is the new mix."""
        changed = plan is not self.plan or tuple(clips) != self.clips
        self.plan, self.clips = plan, tuple(clips)
        if changed and self.playing:
            frame = self.heard_frame()
            self.start(int(frame) if frame is not None else self.transport.frame)

    @property
    def playing(self) -> bool:
        return self._mixing is not None

    def _make_mixer(self):
        from engine.render.audio import AudioMixer

        if self._mixer is None:
            self._mixer = AudioMixer(self.plan, self.clips, sample_rate=SAMPLE_RATE, channels=CHANNELS)
        else:  # keep the decoded sources: a restart after an edit must not decode them again
            self._mixer.plan, self._mixer.clips = self.plan, self.clips
        return self._mixer

    def start(self, frame: int) -> bool:
        """Play from timeline frame `frame` (mixing starts now; the output opens with the first chunk)."""
        self.stop()
        plan = self.plan
        if plan is None or not 0 <= frame < plan.frames:
            return False
        chunk = max(1, math.ceil(plan.rate * CHUNK_SECONDS))
        self._mixing = _Mixing(self._make_mixer(), frame, plan.frames, chunk)
        self._mixing.start()
        self._timer.start()
        return True

    def stop(self) -> None:
        self._timer.stop()
        mixing, self._mixing = self._mixing, None
        if mixing is not None:
            mixing.stopped.set()
            mixing.join(timeout=2)
        if self._output is not None:
            self._output.stop()
            self._output = None
        self._pending = None

    def heard_frame(self) -> float | None:
        """The timeline frame being played out now (fractional), or None before the sound starts."""
        if self._output is None or self.plan is None:
            return None
        played = self._output.played()
        return self._base_frame + float(Fraction(played) * self.plan.rate / SAMPLE_RATE)

    def set_volume(self, volume: float, muted: bool | None = None) -> None:
        self.volume = min(max(volume, 0.0), 1.0)
        if muted is not None:
            self.muted = muted
        if self._output is not None:
            self._output.set_volume(0.0 if self.muted else self.volume)

    # -- feeding the output ----------------------------------------------------------------------
    def _open(self):
        if self._use_device:
            try:
                output = _DeviceOutput(0.0 if self.muted else self.volume)
                self.device_name = output.name
                return output
            except (OSError, ImportError, RuntimeError) as exc:
                self._use_device = False  # do not try the device at every play
                if not self._warned:
                    self._warned = True
                    self.deviceMissing.emit(str(exc))
        return _ClockOutput(0.0 if self.muted else self.volume)

    def _pump(self) -> None:
        mixing = self._mixing
        if mixing is None:
            return
        if mixing.error is not None and not self._warned:
            self._warned = True
            self.deviceMissing.emit(mixing.error)
        if self._output is None and not self._first(mixing):
            return
        output = self._output
        while True:
            if self._pending is None:
                try:
                    t0, _t1, pcm = mixing.chunks.get_nowait()
                except queue.Empty:
                    return
                self._pending = (t0, pcm)
            t0, pcm = self._pending
            room = output.free() // BYTES_PER_SAMPLE * BYTES_PER_SAMPLE
            if room <= 0:
                return
            piece = pcm[:room]
            written = output.write(piece) // BYTES_PER_SAMPLE * BYTES_PER_SAMPLE
            if self.log is not None and written:
                self.log.append(piece[:written])
            rest = pcm[written:]
            if not rest:
                self._pending = None
            else:
                # The rest of the chunk starts `written` bytes later; its frame is kept as the chunk's.
                self._pending = (t0, rest)
                if written == 0:
                    return

    def _first(self, mixing: _Mixing) -> bool:
        """Open the output with the first chunk, aligned to the frame the picture is on now (the
        picture ran on the wall clock while the first chunk was being mixed)."""
        plan = self.plan
        frame = max(self.transport.frame, mixing.start_frame)
        while True:
            try:
                t0, t1, pcm = mixing.chunks.get_nowait()
            except queue.Empty:
                return False
            if t1 > frame:
                break
        frame = max(frame, t0)
        skip = (sample_at(frame, plan.rate) - sample_at(t0, plan.rate)) * BYTES_PER_SAMPLE
        self._pending = (frame, pcm[skip:])
        self._base_frame = self.log_start = frame
        if self.log is not None:
            self.log.clear()
        self._output = self._open()
        return True
