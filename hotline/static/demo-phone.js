// The demo's call simulator (hotline/web/demo_phone.py): record from the microphone into a 16-bit mono WAV and put
// it in the form's file field, so the same form is sent as without JavaScript. Demo pages only.
(function () {
  "use strict";
  var box = document.getElementById("microphone");
  var input = document.getElementById("recording");
  if (!box || !input || !navigator.mediaDevices || !window.AudioContext || !window.DataTransfer) { return; }
  box.hidden = false;
  var start = document.getElementById("mic-start"), stop = document.getElementById("mic-stop");
  var status = document.getElementById("mic-status");
  var context = null, source = null, processor = null, stream = null, chunks = [];

  function wav(samples, rate) {
    var buffer = new ArrayBuffer(44 + samples.length * 2), view = new DataView(buffer);
    function text(offset, s) { for (var i = 0; i < s.length; i++) { view.setUint8(offset + i, s.charCodeAt(i)); } }
    text(0, "RIFF"); view.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVE"); text(12, "fmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, samples.length * 2, true);
    for (var i = 0; i < samples.length; i++) {
      var s = Math.max(-1, Math.min(1, samples[i]));
      view.setInt16(44 + i * 2, s < 0 ? s * 32768 : s * 32767, true);
    }
    return new Blob([view], {type: "audio/wav"});
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (media) {
      stream = media; context = new AudioContext(); chunks = [];
      source = context.createMediaStreamSource(media);
      processor = context.createScriptProcessor(4096, 1, 1);
      processor.onaudioprocess = function (event) { chunks.push(new Float32Array(event.inputBuffer.getChannelData(0))); };
      source.connect(processor); processor.connect(context.destination);
      start.disabled = true; stop.disabled = false; status.textContent = "Recording…";
    }).catch(function () { status.textContent = "The microphone is not available: choose a WAV file instead."; });
  });

  stop.addEventListener("click", function () {
    processor.disconnect(); source.disconnect(); stream.getTracks().forEach(function (t) { t.stop(); });
    var length = chunks.reduce(function (n, c) { return n + c.length; }, 0), all = new Float32Array(length), at = 0;
    chunks.forEach(function (c) { all.set(c, at); at += c.length; });
    var file = new File([wav(all, context.sampleRate)], "microphone.wav", {type: "audio/wav"});
    var transfer = new DataTransfer(); transfer.items.add(file); input.files = transfer.files;
    context.close(); start.disabled = false; stop.disabled = true;
    status.textContent = "Recorded " + Math.round(length / context.sampleRate) + " s: send it below.";
  });
})();
