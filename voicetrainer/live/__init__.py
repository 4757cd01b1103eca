"""Live headset calls: microphone endpointing, playback with barge-in, devices, the live view.

Only this package imports sounddevice, and only when a live call or `voicetrainer devices`
needs it, so offline calls and the tests run where PortAudio is missing.
"""
