"""Real Whisper (tiny.en, int8, bundled) on real recorded human speech."""

from __future__ import annotations

import pytest

from voicetrainer.audio import read_audio
from voicetrainer.testing.wer import corpus_wer, wer

from .conftest import SHARED_SPEECH

pytestmark = pytest.mark.slow

# tiny.en is the smallest Whisper: about 6 % corpus WER here, but single clips of
# old-fashioned read prose or meeting speech reach 20-35 %. A clip above 45 % means
# something is broken (wrong rate, wrong channel mix), not that the model is small.
CLIP_BOUND = 0.45
CORPUS_BOUND = 0.10


def test_whisper_reads_the_shared_speech_corpus(transcriber, shared_speech):
    pairs, worst = [], []
    for clip in shared_speech:
        audio = read_audio(SHARED_SPEECH / clip["file"])
        text = transcriber.transcribe(audio).text
        pairs.append((clip["transcript"], text))
        worst.append((wer(clip["transcript"], text), clip["file"], text))
    worst.sort(reverse=True)
    assert worst[0][0] <= CLIP_BOUND, f"worst clip: {worst[0]}"
    assert corpus_wer(pairs) <= CORPUS_BOUND


def test_word_timestamps_cover_the_speech(transcriber, shared_speech):
    audio = read_audio(SHARED_SPEECH / "audio/fasterwhisper_jfk.flac")
    transcript = transcriber.transcribe(audio)
    assert "ask not what your country can do for you" in transcript.text.lower().replace(",", "")
    starts = [w.start_s for w in transcript.words]
    assert starts == sorted(starts) and len(starts) >= 20
    assert 0 <= starts[0] < 1.0 and 9.0 < transcript.words[-1].end_s <= audio.duration_s + 0.5


def test_stereo_44k_flac_is_mixed_and_resampled(shared_speech):
    audio = read_audio(SHARED_SPEECH / "audio/fasterwhisper_jfk.flac")
    assert audio.rate == 16000 and audio.samples.ndim == 1
    assert abs(audio.duration_s - 11.0) < 0.1


def test_a_missing_or_corrupt_audio_file_gets_a_plain_error(tmp_path):
    from voicetrainer.errors import AudioFileError

    with pytest.raises(AudioFileError, match="does not exist"):
        read_audio(tmp_path / "nowhere.wav")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(AudioFileError, match="cannot be read as audio"):
        read_audio(broken)
