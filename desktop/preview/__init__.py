"""Preview: a frame server thread over the engine's render plan and compositor, and playback."""
