"""Line generators for the customer: `scripted` (offline default) and `llm`."""
