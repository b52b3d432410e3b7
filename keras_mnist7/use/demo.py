"""Try a trained model in a browser: draw a digit or upload a picture, see what it reads.

A page (demo.html, beside this file) and one JSON endpoint, a Starlette app served by uvicorn:
an event loop, so a client that connects and goes quiet holds a socket, never a worker, and
cannot delay anyone else's answer. Nothing is fetched from the internet (no fonts, scripts,
analytics or share links), so it works on a closed machine. A picture goes through exactly
--mode=predict's preparation (pictures.prepare_bytes), and the prepared 28x28 image is shown
beside the answer.

Every answer but the page is JSON: a bad request line, header, body or picture is a 4xx with a
one-line reason (uvicorn's own refusals included), a fault of the server a 500 with one line in
its log. The model runs on one thread of its own, one picture at a time.
"""

import asyncio
import base64
import concurrent.futures
import html
import io
import json
import socket
import sys
from http import HTTPStatus
from pathlib import Path

import h11
import numpy as np
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from keras_mnist7.use.pictures import ImageError, prepare_bytes

PAGE = Path(__file__).with_name("demo.html")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024  # as uvicorn's parser holds an unfinished head to
LISTEN_BACKLOG = 1024  # connections the kernel holds before the loop accepts them
REQUEST_SECONDS = 20.0  # the longest a client may take to send its request, head and body


def classify_bytes(model, data):
    """{"digit", "probabilities", "prepared"} for a picture's bytes, or {"error"}: the same
    preparation as --mode=predict."""
    try:
        image = prepare_bytes(data)
    except ImageError as err:
        return {"error": str(err)}
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


def check_upload(headers):
    """Refuses in one line an upload whose headers are too big, or whose Content-Length is
    missing, zero or too big (the HTTP parser holds the body to the length announced)."""
    size = sum(len(name) + len(value) for name, value in headers.raw)
    if size > MAX_HEADER_BYTES:
        raise RequestRefused(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                             f"{size:,} bytes of headers: at most {MAX_HEADER_BYTES:,}")
    given = headers.get("Content-Length")
    if given is None:
        raise RequestRefused(HTTPStatus.LENGTH_REQUIRED,
                             "send the picture as the request body, with its Content-Length")
    length = int(given)  # the HTTP parser has refused any that is not a number
    if length == 0:
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "empty body: send one picture")
    if length > MAX_UPLOAD_BYTES:
        raise RequestRefused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"{length:,} bytes: send one picture of at most "
                             f"{MAX_UPLOAD_BYTES:,} bytes")


def make_app(model, model_name, request_seconds=REQUEST_SECONDS):
    """The Starlette app: the page at /, POST /predict, JSON for everything else."""
    page = PAGE.read_text().replace("MODEL_NAME", html.escape(model_name))
    model_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="demo-model")

    async def show_page(request):
        return HTMLResponse(page)

    async def predict(request):
        try:
            check_upload(request.headers)
            body = bytearray()
            async with asyncio.timeout(request_seconds):
                async for chunk in request.stream():
                    body += chunk
            result = await asyncio.get_running_loop().run_in_executor(
                model_thread, classify_bytes, model, bytes(body))
            status = HTTPStatus.BAD_REQUEST if "error" in result else HTTPStatus.OK
        except RequestRefused as refused:
            result, status = {"error": str(refused)}, refused.status
        except TimeoutError:
            result = {"error": f"the request took longer than {request_seconds:g} s to arrive"}
            status = HTTPStatus.REQUEST_TIMEOUT
        except ClientDisconnect:
            return JSONResponse({"error": "the client left"}, HTTPStatus.BAD_REQUEST)
        except Exception as err:  # noqa: BLE001 - a fault of ours: 500, one line in the log
            print(f"[demo] POST /predict failed: {type(err).__name__}: {err}", file=sys.stderr)
            result, status = {"error": "the server failed on this picture (logged)"}, 500
        return JSONResponse(result, status)

    async def refuse(request, error):
        where = ("not found: the page is at /, the endpoint POST /predict"
                 if error.status_code == HTTPStatus.NOT_FOUND else error.detail)
        return JSONResponse({"error": f"{error.status_code} {where}"}, error.status_code,
                            headers=error.headers)

    app = Starlette(routes=[Route("/", show_page), Route("/index.html", show_page),
                            Route("/predict", predict, methods=["POST"])],
                    exception_handlers={HTTPException: refuse})
    app.state.model_thread = model_thread
    return app


class JsonRefusals(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, refusing in JSON as the app does: a request line or header
    the parser rejects is a JSON 400, and a client that has not sent a whole request head within
    `request_seconds` (of connecting, or of its last answer) gets a JSON 408 and is cut off
    (one that sent nothing at all is closed without a word)."""

    request_seconds = REQUEST_SECONDS
    sent_all = False  # the client closed its side after a whole request

    def connection_made(self, transport):
        super().connection_made(transport)
        self.await_head()

    def await_head(self):
        self.answered_cycle = self.cycle  # None, or the request answered last
        self.head_deadline = self.loop.call_later(self.request_seconds, self.head_timed_out)

    def handle_events(self):
        super().handle_events()
        if self.cycle is not self.answered_cycle:  # a new request head has arrived whole
            self.head_deadline.cancel()

    def on_response_complete(self):
        self.head_deadline.cancel()
        self.await_head()
        super().on_response_complete()
        if self.sent_all:
            self.transport.close()

    def eof_received(self):
        """A client may close its side once its request is out (`nc -N`, shutdown(SHUT_WR)):
        it still gets its answer, then the connection closes. One that stops mid-request is
        refused."""
        in_progress = self.cycle is not None and self.cycle is not self.answered_cycle
        if in_progress and (self.cycle.response_started or self.conn.their_state is h11.DONE):
            self.sent_all = True
            return True  # keep the transport open for the answer
        if in_progress and self.conn.their_state is h11.SEND_BODY:
            self.refuse(HTTPStatus.BAD_REQUEST, "the body ended before the bytes its "
                                                "Content-Length announced")
        elif self.conn.trailing_data[0]:
            self.refuse(HTTPStatus.BAD_REQUEST, "the request ended before its head did")
        return None  # asyncio closes the transport

    def connection_lost(self, exc):
        self.head_deadline.cancel()
        super().connection_lost(exc)

    def head_timed_out(self):
        if self.cycle is not self.answered_cycle or self.transport.is_closing():
            return
        if not self.conn.trailing_data[0]:  # not a byte of a request: an idle connection
            self.transport.close()
            return
        self.refuse(HTTPStatus.REQUEST_TIMEOUT, f"the request took longer than "
                                                f"{self.request_seconds:g} s to arrive")

    def send_400_response(self, msg):
        self.refuse(HTTPStatus.BAD_REQUEST, "Bad request: not a valid HTTP/1.1 request line, "
                                            "header or Content-Length")

    def refuse(self, status, reason):
        body = json.dumps({"error": f"{int(status)} {reason}"}).encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (status, status.phrase.encode(), len(body), body))
        self.transport.close()


class DemoServer:
    """The app on uvicorn, on a socket bound up front: a port in use fails before anything is
    served, and port 0's free port is known (`port`). `serve()` blocks until `stop()`, Ctrl-C or
    SIGTERM."""

    def __init__(self, model, model_name, host="127.0.0.1", port=0,
                 request_seconds=REQUEST_SECONDS):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(LISTEN_BACKLOG)  # clients queue from now, before serve()
        except OSError:
            self.socket.close()
            raise
        self.port = self.socket.getsockname()[1]
        protocol = type("DemoProtocol", (JsonRefusals,), {"request_seconds": request_seconds})
        self.app = make_app(model, model_name, request_seconds)
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, http=protocol, lifespan="off", access_log=False, log_level="warning",
            backlog=LISTEN_BACKLOG))

    def serve(self):
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.close()

    def stop(self):
        self.server.should_exit = True

    def close(self):
        self.socket.close()
        self.app.state.model_thread.shutdown(wait=False, cancel_futures=True)
