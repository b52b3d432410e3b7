"""Try a trained model in a browser: draw a digit or upload a picture, see what it reads.

A page and one JSON endpoint on Python's own http.server: no web framework to install, and
nothing fetched from the internet (no fonts, scripts, analytics or share links), so it works
on a closed machine. A picture goes through exactly --mode=predict's preparation
(digits.prepare_bytes), and the prepared 28x28 image is shown beside the answer.

Every answer but the page is JSON: a bad request, header, body or picture is a 4xx with a
one-line reason, a fault of the server a 500 with one line in its log. Connections wait in a
deep listen backlog and are served by a bounded pool of threads, so a burst of clients is
queued, not dropped; a client that stops sending is cut off after REQUEST_SECONDS.
"""

import base64
import concurrent.futures
import io
import json
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
from PIL import Image

from keras_mnist7.use.pictures import ImageError, prepare_bytes

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
LISTEN_BACKLOG = 1024  # connections the kernel holds while every worker is busy
WORKERS = 8  # threads serving requests; more connections wait in the backlog and the pool
REQUEST_SECONDS = 20.0  # the longest a client may take to send its request

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
    preparation as --mode=predict."""
    try:
        image = prepare_bytes(data)
    except ImageError as err:
        return {"error": str(err)}
    with _PREDICT:
        probabilities = np.asarray(model.predict_on_batch(image[None]))[0]
    png = io.BytesIO()
    Image.fromarray(image).save(png, format="PNG")
    return {"digit": int(np.argmax(probabilities)),
            "probabilities": [round(float(p), 4) for p in probabilities],
            "prepared": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()}


class RequestRefused(Exception):
    """A request the demo answers with a 4xx: (status, one-line reason)."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def upload_length(headers):
    """The body's length from Content-Length, refused in one line unless it is a sane one."""
    given = headers.get("Content-Length")
    if given is None:
        raise RequestRefused(HTTPStatus.LENGTH_REQUIRED,
                             "send the picture as the request body, with its Content-Length")
    if not given.strip().isdigit():
        raise RequestRefused(HTTPStatus.BAD_REQUEST,
                             f"Content-Length must be a number of bytes, got {given[:40]!r}")
    length = int(given)
    if length == 0:
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "empty body: send one picture")
    if length > MAX_UPLOAD_BYTES:
        raise RequestRefused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"{length:,} bytes: send one picture of at most "
                             f"{MAX_UPLOAD_BYTES:,} bytes")
    return length


class PooledHTTPServer(HTTPServer):
    """http.server with a deep listen backlog and a bounded pool of worker threads: requests
    beyond the pool wait their turn instead of being reset. Errors are one line in the log."""

    request_queue_size = LISTEN_BACKLOG
    allow_reuse_address = True

    def __init__(self, address, handler, workers=WORKERS):
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="demo")
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        self.pool.submit(self._serve, request, client_address)

    def _serve(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one client's failure must not end the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        print(f"[demo] {client_address[0]}: {type(error).__name__}: {error}", file=sys.stderr)

    def server_close(self):
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)


def make_server(model, model_name, host="127.0.0.1", port=0, request_seconds=REQUEST_SECONDS):
    """A PooledHTTPServer serving the page at / and POST /predict; port 0 picks a free one."""
    page = PAGE.replace("MODEL_NAME", model_name).encode()

    class Handler(BaseHTTPRequestHandler):
        timeout = request_seconds  # per socket read: a stalled client is cut off
        error_content_type = "application/json"
        error_message_format = '{"error": "%(code)d %(message)s"}'

        def do_GET(self):
            if self.path not in ("/", "/index.html"):
                return self.reply_json(HTTPStatus.NOT_FOUND, {"error": "not found: the page is "
                                                              "at /, the endpoint POST /predict"})
            self.reply(HTTPStatus.OK, page, "text/html; charset=utf-8")

        def do_POST(self):
            try:
                if self.path != "/predict":
                    raise RequestRefused(HTTPStatus.NOT_FOUND, "not found: POST to /predict")
                length = upload_length(self.headers)
                body = self.rfile.read(length)
                if len(body) < length:
                    raise RequestRefused(HTTPStatus.BAD_REQUEST, f"the body ended after "
                                         f"{len(body):,} of the {length:,} bytes announced")
                result = classify_bytes(model, body)
                status = HTTPStatus.BAD_REQUEST if "error" in result else HTTPStatus.OK
            except RequestRefused as refused:
                self.close_connection = True
                result, status = {"error": str(refused)}, refused.status
            except TimeoutError:
                self.close_connection = True
                result = {"error": f"the request took longer than {request_seconds:g} s to "
                                   "arrive"}
                status = HTTPStatus.REQUEST_TIMEOUT
            except Exception as err:  # noqa: BLE001 - a fault of ours: 500, one line in the log
                print(f"[demo] POST /predict failed: {type(err).__name__}: {err}",
                      file=sys.stderr)
                result, status = {"error": "the server failed on this picture (logged)"}, 500
            self.reply_json(status, result)

        def reply_json(self, status, result):
            self.reply(status, json.dumps(result).encode(), "application/json")

        def reply(self, status, body, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def send_error(self, code, message=None, explain=None):
            """http.server's own refusals (a malformed request line, an unknown method, a
            header too long) as JSON too."""
            self.close_connection = True
            # A request line too broken to name its version is answered as HTTP/1.0, with a
            # status line, not as HTTP/0.9's bare body.
            if self.request_version == "HTTP/0.9":
                self.request_version = self.protocol_version
            reason = message or HTTPStatus(code).phrase
            try:
                self.reply_json(code, {"error": f"{code} {reason}"})
            except OSError:
                pass

        def log_message(self, *args):  # one line per request would bury the start-up line
            pass

    return PooledHTTPServer((host, port), Handler)
