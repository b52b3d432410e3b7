"""Try a trained model in a browser: draw a digit or upload a picture, see what it reads.

A page and one JSON endpoint on Python's own http.server: no web framework to install, and
nothing fetched from the internet (no fonts, scripts, analytics or share links), so it works
on a closed machine. A picture goes through exactly --mode=predict's preparation
(digits.prepare), and the prepared 28x28 image is shown beside the answer.
"""

import base64
import io
import json
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image

from keras_mnist7.digits import ImageError, prepare

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keras_mnist7: MODEL_NAME</title>
<style>
 body { font-family: sans-serif; margin: 2em; color: #222; }
 .row { display: flex; gap: 2em; align-items: flex-start; flex-wrap: wrap; }
 canvas { border: 1px solid #888; cursor: crosshair; touch-action: none; background: #fff; }
 #prepared { width: 140px; height: 140px; image-rendering: pixelated; border: 1px solid #888;
             background: #000; }
 #digit { font-size: 4em; font-weight: bold; margin: 0; }
 table { border-collapse: collapse; } td { padding: 1px 6px; }
 .bar { background: #4a7bd0; height: 12px; }
 #error { color: #b00; }
</style></head>
<body>
<h1>Draw a digit</h1>
<p>Model <code>MODEL_NAME</code>. Draw one digit with the mouse (or a finger), or upload a
photo of one; it is prepared as MNIST's digits were, as <code>--mode=predict</code> does.</p>
<div class="row">
 <div>
  <canvas id="pad" width="280" height="280"></canvas><br>
  <button id="clear">Clear</button> <button id="classify">Classify drawing</button><br><br>
  <label>or upload a picture: <input id="upload" type="file" accept="image/*"></label>
 </div>
 <div>
  <p>Prepared 28x28 input:</p><img id="prepared" alt="prepared input">
 </div>
 <div>
  <p>Predicted digit:</p><p id="digit">-</p><p id="error"></p>
  <table id="probabilities"></table>
 </div>
</div>
<script>
const pad = document.getElementById("pad"), ctx = pad.getContext("2d");
function clearPad() { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, pad.width, pad.height); }
clearPad();
ctx.lineWidth = 18; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#000";
let drawing = false;
function at(e) { const r = pad.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
pad.addEventListener("pointerdown", e => { drawing = true; const [x, y] = at(e);
  ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x, y); ctx.stroke(); });
pad.addEventListener("pointermove", e => { if (!drawing) return; const [x, y] = at(e);
  ctx.lineTo(x, y); ctx.stroke(); });
pad.addEventListener("pointerup", () => { if (drawing) { drawing = false; classifyDrawing(); } });
pad.addEventListener("pointerleave", () => { drawing = false; });
document.getElementById("clear").onclick = () => { clearPad(); show(null); };
document.getElementById("classify").onclick = classifyDrawing;
document.getElementById("upload").onchange = e => { if (e.target.files[0]) send(e.target.files[0]); };
function classifyDrawing() { pad.toBlob(send, "image/png"); }
async function send(blob) {
  const response = await fetch("predict", { method: "POST", body: blob });
  show(await response.json());
}
function show(result) {
  const table = document.getElementById("probabilities");
  document.getElementById("error").textContent = result && result.error ? result.error : "";
  document.getElementById("digit").textContent = result && result.digit !== undefined ? result.digit : "-";
  document.getElementById("prepared").src = result && result.prepared ? result.prepared : "";
  table.innerHTML = "";
  if (!result || !result.probabilities) return;
  result.probabilities.forEach((p, d) => {
    const row = table.insertRow();
    row.className = "probability"; row.dataset.digit = d;
    row.insertCell().textContent = d;
    row.insertCell().innerHTML = '<div class="bar" style="width:' + Math.round(200 * p) + 'px"></div>';
    row.insertCell().textContent = p.toFixed(4);
  });
}
</script>
</body></html>
"""


_PREDICT = threading.Lock()  # one model.predict at a time, whatever the server's threads do


def classify_bytes(model, data):
    """{"digit", "probabilities", "prepared"} for a picture's bytes, or {"error"}: the same
    preparation as --mode=predict, which reads files, so the bytes are one for a moment."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "upload")
        path.write_bytes(data)
        try:
            image = prepare(path)
        except ImageError as err:
            return {"error": str(err)}
    with _PREDICT:
        probabilities = model.predict(image[None], verbose=0)[0]
    png = io.BytesIO()
    Image.fromarray(image).save(png, format="PNG")
    return {"digit": int(np.argmax(probabilities)),
            "probabilities": [round(float(p), 4) for p in probabilities],
            "prepared": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()}


def make_server(model, model_name, host="127.0.0.1", port=0):
    """A ThreadingHTTPServer serving the page at / and POST /predict; port 0 picks a free one."""
    page = PAGE.replace("MODEL_NAME", model_name).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path not in ("/", "/index.html"):
                return self.reply(404, b"not found", "text/plain")
            self.reply(200, page, "text/html; charset=utf-8")

        def do_POST(self):
            if self.path != "/predict":
                return self.reply(404, b"not found", "text/plain")
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_UPLOAD_BYTES:
                result, status = {"error": f"send one picture of at most {MAX_UPLOAD_BYTES:,} "
                                           "bytes"}, 400
            else:
                result = classify_bytes(model, self.rfile.read(length))
                status = 400 if "error" in result else 200
            self.reply(status, json.dumps(result).encode(), "application/json")

        def reply(self, status, body, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # one line per request would bury the start-up line
            pass

    return ThreadingHTTPServer((host, port), Handler)
