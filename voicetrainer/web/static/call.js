// The call page: microphone -> worklet -> WebSocket; customer's voice <- WebSocket -> Web Audio.
"use strict";
const main = document.getElementById("call");
const $ = (id) => document.getElementById(id);
const state = { ws: null, ctx: null, stream: null, nextAt: 0, sources: new Set(), framesSent: 0, framesPlayed: 0 };
window.voicetrainer = state;  // the browser tests read the counters

function status(text) { $("status").textContent = text; }

function setInCall(on) {
  for (const id of ["hang-up", "mute", "repeat"]) $(id).disabled = !on;
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function addLine(speaker, text) {
  const li = document.createElement("li");
  li.className = speaker;
  li.textContent = text || (speaker === "agent" ? "(silence)" : "");
  $("transcript").appendChild(li);
}

function setMood(mood) {
  if (mood === null || mood === undefined) return;
  $("mood").value = mood;
  $("mood-value").textContent = Number(mood).toFixed(1);
}

// The customer's voice: each 16 kHz frame is scheduled right after the one before, a little
// ahead of now, so network jitter does not make gaps.
function playFrame(buffer) {
  const pcm = new Int16Array(buffer);
  const audio = state.ctx.createBuffer(1, pcm.length, 16000);
  const data = audio.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const src = state.ctx.createBufferSource();
  src.buffer = audio;
  src.connect(state.ctx.destination);
  state.nextAt = Math.max(state.nextAt, state.ctx.currentTime + 0.08);
  src.start(state.nextAt);
  state.nextAt += audio.duration;
  state.sources.add(src);
  src.onended = () => state.sources.delete(src);
  state.framesPlayed++;
}

function stopVoice() {  // barge-in: what is scheduled but not heard is dropped
  for (const src of state.sources) { try { src.stop(); } catch (e) { /* already ended */ } }
  state.sources.clear();
  state.nextAt = 0;
}

function stopMicrophone() {
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
}

function onMessage(event) {
  if (typeof event.data !== "string") { if (!state.hungUp) playFrame(event.data); return; }
  const m = JSON.parse(event.data);
  if (m.type === "started") { state.session = m.session; status("In the call: speak when you are ready."); setInCall(true); }
  else if (m.type === "turn") { addLine(m.speaker, m.text); setMood(m.mood); }
  else if (m.type === "stop") stopVoice();
  else if (m.type === "ended") { stopMicrophone(); setInCall(false); status("The call is over: " + m.message + "."); }
  else if (m.type === "grading") status($("status").textContent + " Grading…");
  else if (m.type === "report") showReport(m.url);
  else if (m.type === "error") { stopMicrophone(); status(m.message); setInCall(false); }
}

function showReport(url) {
  status("The call is graded.");
  $("report").src = url;
  $("report-link").href = url;
  $("report-box").hidden = false;
  if (state.ws) state.ws.close();
}

async function start() {
  $("start-call").disabled = true;
  status("Asking for the microphone…");
  try {
    state.stream = await navigator.mediaDevices.getUserMedia(
      { audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 } });
  } catch (e) {
    status("The microphone cannot be used (" + e.name + "): allow it for this page, and open the page on localhost or HTTPS.");
    $("start-call").disabled = false;
    return;
  }
  state.ctx = new AudioContext();
  await state.ctx.audioWorklet.addModule("/static/mic-worklet.js");
  const mic = new AudioWorkletNode(state.ctx, "mic-frames");
  state.ctx.createMediaStreamSource(state.stream).connect(mic);
  mic.connect(state.ctx.destination);  // silent output: keeps the worklet pulled in every browser
  const q = new URLSearchParams({ agent: main.dataset.agent, persona: main.dataset.persona });
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/call?" + q);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  ws.onmessage = onMessage;
  ws.onclose = () => { stopMicrophone(); };
  ws.onerror = () => status("The connection to the server was lost; the finished turns are saved.");
  mic.port.onmessage = (e) => {
    if (ws.readyState === WebSocket.OPEN && state.stream) { ws.send(e.data); state.framesSent++; }
  };
}

$("start-call").addEventListener("click", start);
$("mute").addEventListener("click", () => {  // the server hears silence while muted (the headset's m key)
  const muted = $("mute").getAttribute("aria-pressed") !== "true";
  $("mute").setAttribute("aria-pressed", String(muted));
  $("mute").textContent = muted ? "Unmute" : "Mute";
  send({ type: "mute", on: muted });
});
$("repeat").addEventListener("click", () => send({ type: "repeat" }));
$("hang-up").addEventListener("click", () => {
  send({ type: "hangup" });
  state.hungUp = true;  // frames still on their way are not played
  stopMicrophone();
  stopVoice();
  setInCall(false);
  status("Hanging up…");
});
