"""Sound in the viewer: at 1× the editor plays the same mix as export (one audio render path), and
the picture follows the sound; shuttling is silent; the volume is remembered; waveforms are drawn on
the audio track and on clips with sound.

There is no sound device here (offscreen, CI): the player then consumes the mix in real time as a
device would (it says so once in the status bar), so the mixing and the sync are the real ones."""

from __future__ import annotations

import statistics
import wave
from fractions import Fraction

import numpy as np
import pytest
from editor_helpers import SIZE, import_and_wait, make_project, wait_for, zoomed_timeline
from PySide6.QtCore import Qt


@pytest.fixture(scope="module")
def sound_clips(tmp_path_factory):
    from engine.media.synthetic import make_test_clip

    folder = tmp_path_factory.mktemp("sound")
    clips = [make_test_clip(folder / f"talk{i}.mp4", frames=36, rate=Fraction(24), size=SIZE, seed=i, audio=True)
             for i in range(2)]
    # Music: three seconds of a 48 kHz stereo WAV (a chord that swells and fades).
    t = np.arange(3 * 48000) / 48000
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3 * np.sin(np.pi * t / 3) * 0.5
    pcm = np.round(np.stack([chord, chord * 0.8], axis=1) * 32767).astype("<i2")
    music = folder / "music.wav"
    with wave.open(str(music), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(pcm.tobytes())
    return clips, music


def cut_with_sound(qtbot, win, tmp_path, sound_clips, footage):
    from engine.project import AddAudioClip

    clips, music = sound_clips
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, [clips[0], footage[0], clips[1]])
    assert win.document.apply(AddAudioClip(music, 12, 48, gain_db=-6.0), "Add Music")
    return clips, music


def test_playing_sounds_like_the_export_and_the_picture_follows_the_sound(qtbot, window, footage, tmp_path,
                                                                          sound_clips):
    from engine.render import export

    win = window
    cut_with_sound(qtbot, win, tmp_path, sound_clips, footage)
    win.audio.log = []
    painted = []
    win.viewer.canvas.painted.connect(lambda frame: painted.append((frame, win.audio.heard_frame())))
    win.transport.seek(20)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.playback.playing and win.playback.audible
    wait_for(qtbot, lambda: (win.audio.heard_frame() or 0) >= 20 + 36, timeout=20)
    # The picture is driven by the sound's clock.
    heard = win.audio.heard_frame()
    assert abs(win.playback._target() - heard) <= 1
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert not win.playback.playing and not win.audio.playing
    # No sound device here: the status bar said so once, and playback went on.
    assert "No sound" in win.statusBar().currentMessage() or win.audio.device_name

    # In sync: each painted frame against the frame being heard when it was painted.
    offsets = [frame - heard for frame, heard in painted if heard is not None]
    assert len(offsets) >= 20
    assert abs(statistics.median(offsets)) <= 1.0
    assert sum(abs(o) <= 1.5 for o in offsets) >= 0.8 * len(offsets)

    # What was played is the export's mix of the same frames (the WAV of a PNG export), to the bit.
    start = win.audio.log_start
    played = np.frombuffer(b"".join(win.audio.log), "<i2").reshape(-1, 2)
    frames = int(len(played) * Fraction(24) / 48000) - 1
    assert frames >= 30
    out = tmp_path / "check"
    export(win.document.project, out, preset="png", frame_range=(start, start + frames))
    with wave.open(str(next(out.glob("*.wav"))), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (48000, 2, 2)
        exported = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)
    n = min(len(exported), len(played))
    assert n >= 48000 * frames // 24 - 2
    difference = np.abs(exported[:n].astype(np.int32) - played[:n].astype(np.int32))
    assert difference.max() <= 1
    assert np.abs(played[:n]).max() > 5000  # there was sound: the clips' tones and the music


def test_shuttling_is_silent(qtbot, window, footage, tmp_path, sound_clips):
    win = window
    cut_with_sound(qtbot, win, tmp_path, sound_clips, footage)
    qtbot.keyClick(win, Qt.Key.Key_L)
    assert win.playback.speed == 1 and win.audio.playing
    qtbot.keyClick(win, Qt.Key.Key_L)  # 2×: no sound
    assert win.playback.speed == 2 and not win.audio.playing and win.audio.heard_frame() is None
    start = win.transport.frame
    wait_for(qtbot, lambda: win.transport.frame >= start + 6, timeout=10)  # the picture runs on the clock
    assert not win.audio.playing
    qtbot.keyClick(win, Qt.Key.Key_J)  # slower: back to 1× forward... J reverses: backward is silent too
    assert not win.audio.playing or win.playback.speed == 1
    qtbot.keyClick(win, Qt.Key.Key_K)
    assert not win.playback.playing and not win.audio.playing


def drag_slider(qtbot, slider, value: int) -> None:
    """Drag the slider's handle with the mouse to where `value` is."""
    from editor_helpers import mouse
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    style = slider.style()
    handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, slider)
    groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, slider)
    span = groove.width() - handle.width()
    x = groove.left() + handle.width() / 2 + QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(),
                                                                           value, span)
    y = handle.center().y()
    mouse(slider, QEvent.Type.MouseButtonPress, handle.center().x(), y)
    mouse(slider, QEvent.Type.MouseMove, (handle.center().x() + x) / 2, y)
    mouse(slider, QEvent.Type.MouseMove, x, y)
    mouse(slider, QEvent.Type.MouseButtonRelease, x, y, Qt.MouseButton.NoButton)


def test_volume_and_mute_are_remembered(qtbot, window, tmp_path, footage, sound_clips):
    from desktop.app import build_window

    win = window
    cut_with_sound(qtbot, win, tmp_path, sound_clips, footage)
    qtbot.mouseClick(win.viewer.mute, Qt.MouseButton.LeftButton)
    assert win.settings.muted and win.audio.muted
    qtbot.mouseClick(win.viewer.mute, Qt.MouseButton.LeftButton)
    assert not win.settings.muted
    drag_slider(qtbot, win.viewer.volume, 30)
    volume = win.viewer.volume.value()
    assert abs(volume - 30) <= 3  # as near as a pixel of a 90-pixel slider gets
    assert win.settings.volume == volume and win.audio.volume == pytest.approx(volume / 100)
    win._closing_ok = True
    win.document.undo_stack.setClean()
    win.close()
    again = build_window()
    try:
        assert again.viewer.volume.value() == volume and again.audio.volume == pytest.approx(volume / 100)
    finally:
        again._closing_ok = True
        again.close()


def test_waveforms_on_the_audio_track_and_on_clips_with_sound(qtbot, window, footage, tmp_path, sound_clips):
    win = window
    clips, music = cut_with_sound(qtbot, win, tmp_path, sound_clips, footage)
    canvas = zoomed_timeline(win, 4.0)
    wait_for(qtbot, lambda: all(win.waveforms.get(p) is not None for p in (clips[0], footage[0], music)), 30)
    assert win.waveforms.get(footage[0]) is False  # no sound: no waveform
    wave_of = win.waveforms.get(clips[0])
    assert 0.35 < float(np.max(wave_of.peaks)) < 0.45  # the synthetic tone's level
    canvas.repaint()
    image = canvas.grab().toImage()

    def light_pixels(x0, x1, y0, y1) -> int:
        return sum(image.pixelColor(x, y).lightness() > 150 for x in range(int(x0), int(x1), 2)
                   for y in range(int(y0), int(y1)))

    video = canvas.video_rect()
    talk, silent = win.shots[0], win.shots[1]
    low = (video.top() + video.height() * 0.5, video.bottom() - 4)
    with_sound = light_pixels(canvas.x_of(talk.start) + 12, canvas.x_of(talk.end) - 12, *low)
    without = light_pixels(canvas.x_of(silent.start) + 12, canvas.x_of(silent.end) - 12, *low)
    assert with_sound > 30 and without == 0
    audio = canvas.audio_rect()
    clip = win.model.audio[0]
    track = light_pixels(canvas.x_of(clip.start) + 4, canvas.x_of(clip.end) - 4, audio.top() + 16,
                         audio.bottom() - 3)
    assert track > 30
