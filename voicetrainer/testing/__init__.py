"""Test helpers: WER scoring and a local OpenAI-protocol chat server."""
