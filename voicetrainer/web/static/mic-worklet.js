// Runs on the audio thread: the microphone at the context's rate in, 16 kHz mono 16-bit PCM
// frames of 512 samples (32 ms, the voice detector's window) out to the page.
class MicFrames extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / 16000;  // input samples per output sample
    this.pos = 0;                    // where the next output sample falls in the input
    this.prev = 0;                   // last input sample of the previous block (for interpolation)
    this.frame = new Int16Array(512);
    this.filled = 0;
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    // Linear interpolation: enough for speech going to Whisper, no filter state to keep.
    while (this.pos < input.length) {
      const i = Math.floor(this.pos), frac = this.pos - i;
      const a = i === 0 ? this.prev : input[i - 1], b = input[i];
      const s = Math.max(-1, Math.min(1, a + (b - a) * frac));
      this.frame[this.filled++] = s * 32767;
      if (this.filled === this.frame.length) {
        this.port.postMessage(this.frame.buffer.slice(0));
        this.filled = 0;
      }
      this.pos += this.step;
    }
    this.pos -= input.length;
    this.prev = input[input.length - 1];
    return true;
  }
}
registerProcessor("mic-frames", MicFrames);
