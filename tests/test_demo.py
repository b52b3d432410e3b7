"""The draw-a-digit demo: its endpoint against --mode=predict, hostile and idle clients, its
end on a signal, and the page in a real browser."""

import concurrent.futures
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import keras
from PIL import Image

from keras_mnist7.use.demo import DemoServer, classify_bytes
from keras_mnist7.use.prediction import classify_files
from tests.helpers import REPO, full_tier, run_python

MODEL = REPO / "pretrained" / "m5.keras"
SAMPLES = REPO / "samples"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def serving(model, **kwargs):
    """A DemoServer serving on a thread until the test ends."""
    server = DemoServer(model, "m5.keras", **kwargs)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread


def stop(server, thread):
    server.stop()
    thread.join(30)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EndpointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = keras.saving.load_model(MODEL)

    def test_a_picture_reads_as_predict_reads_it(self):
        expected = {r["path"]: r for r in classify_files(self.model, [SAMPLES])}
        for path, record in expected.items():
            with self.subTest(sample=path):
                result = classify_bytes(self.model, Path(path).read_bytes())
                self.assertEqual(result["digit"], record["digit"])
                self.assertAlmostEqual(max(result["probabilities"]), record["probability"], 3)
                self.assertAlmostEqual(sum(result["probabilities"]), 1.0, places=2)
                self.assertTrue(result["prepared"].startswith("data:image/png;base64,"))

    def test_the_server_answers_and_refuses_what_is_not_a_picture(self):
        server, thread = serving(self.model)
        self.addCleanup(stop, server, thread)
        url = f"http://127.0.0.1:{server.port}"
        page = urllib.request.urlopen(url).read().decode()
        self.assertIn("<canvas", page)
        self.assertIn("<code>m5.keras</code>", page)
        self.assertNotRegex(page, r"(src|href)=\"https?://")  # nothing from the internet
        sample = (SAMPLES / "seven_scan.png").read_bytes()
        answer = json.load(urllib.request.urlopen(urllib.request.Request(
            f"{url}/predict", data=sample, method="POST")))
        self.assertEqual(answer["digit"], 7)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"{url}/predict", data=b"hello",
                                                          method="POST"))
        self.assertEqual(refused.exception.code, 400)
        self.assertIn("not an image", json.load(refused.exception)["error"])


@full_tier("200 requests")
class HostileClientsTest(unittest.TestCase):
    """Bad headers, bodies and pictures each get a JSON 4xx; a burst of clients is queued, not
    dropped; the page is served throughout."""

    @classmethod
    def setUpClass(cls):
        cls.model = keras.saving.load_model(MODEL)
        cls.server, cls.thread = serving(cls.model, request_seconds=1.0)
        cls.port = cls.server.port
        cls.url = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        stop(cls.server, cls.thread)

    def raw(self, request, then_close=True):
        """Sends raw bytes; returns (status, JSON body) of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            connection.sendall(request)
            if then_close:
                connection.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)

    def post(self, body, headers=b""):
        return self.raw(b"POST /predict HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body)

    def test_bad_headers_and_bodies_get_a_json_reason(self):
        picture = (SAMPLES / "seven_scan.png").read_bytes()
        bomb = io.BytesIO()
        Image.new("1", (40000, 40000)).save(bomb, format="PNG")
        strip = io.BytesIO()  # 49,000,000 x 1 pixels, under the pixel limit, 47 KB
        Image.new("1", (49_000_000, 1)).save(strip, format="PNG")
        cases = [
            (self.post(b"abc", b"Content-Length: ten\r\n"), 400, "400 Bad request"),
            (self.post(b"abc", b"Content-Length: -3\r\n"), 400, "400 Bad request"),
            (self.post(b""), 411, "Content-Length"),
            (self.post(b"", b"Content-Length: 0\r\n"), 400, "empty body"),
            (self.post(b"", b"Content-Length: 99999999999\r\n"), 413, "at most"),
            (self.post(picture[:100], b"Content-Length: %d\r\n" % len(picture)), 400,
             "the body ended before"),
            (self.raw(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-"), 400,
             "ended before its head"),
            (self.post(b"abc", b"Content-Length: 3\r\nX-Long: " + b"a" * 100_000 + b"\r\n"),
             431, "bytes of headers"),
            (self.post(bomb.getvalue(), b"Content-Length: %d\r\n" % len(bomb.getvalue())),
             400, "more pixels than"),
            (self.post(strip.getvalue(), b"Content-Length: %d\r\n" % len(strip.getvalue())),
             400, "a side longer than the 20,000"),
            (self.raw(b"PUT /predict HTTP/1.1\r\nHost: x\r\n\r\n"), 405, "405"),
            (self.raw(b"GET / HTTP/1.1 and more\r\n\r\n"), 400, "400 Bad request"),
            (self.raw(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"), 404, "not found"),
            (self.raw(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc",
                      then_close=False), 408, "longer than 1 s"),
            (self.raw(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-", then_close=False),
             408, "longer than 1 s"),
        ]
        for (status, body), expected, reason in cases:
            with self.subTest(reason=reason):
                self.assertEqual(status, expected)
                self.assertIn(reason, body["error"])
                self.assertNotIn("\n", body["error"])

    def test_a_burst_of_clients_is_answered_and_the_page_still_served(self):
        picture = (SAMPLES / "seven_scan.png").read_bytes()
        bad = b"not a picture"

        def ask(index):
            body = picture if index % 4 else bad
            request = urllib.request.Request(f"{self.url}/predict", data=body, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=120) as answer:
                    return answer.status, json.load(answer)
            except urllib.error.HTTPError as refused:
                return refused.code, json.load(refused)

        with concurrent.futures.ThreadPoolExecutor(40) as clients:
            answers = list(clients.map(ask, range(200)))
        statuses = [status for status, _ in answers]
        self.assertEqual(statuses.count(200), 150)
        self.assertEqual(statuses.count(400), 50)
        self.assertTrue(all(body["digit"] == 7 for status, body in answers if status == 200))
        self.assertIn("<canvas", urllib.request.urlopen(self.url, timeout=30).read().decode())


@full_tier("500 requests and 200 idle sockets")
class IdleClientsTest(unittest.TestCase):
    """Sockets that send half a request head and wait hold no worker: good requests beside
    them are answered at once; keep-alive connections carry request after request."""

    @classmethod
    def setUpClass(cls):
        cls.model = keras.saving.load_model(MODEL)
        cls.picture = (SAMPLES / "seven_scan.png").read_bytes()

    def setUp(self):
        self.server, thread = serving(self.model, request_seconds=60.0)
        self.addCleanup(stop, self.server, thread)

    def test_good_requests_are_answered_beside_200_idle_half_open_connections(self):
        idle = []
        for _ in range(200):
            connection = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            connection.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Le")
            idle.append(connection)
        self.addCleanup(lambda: [connection.close() for connection in idle])

        def ask(_):
            start = time.monotonic()
            request = urllib.request.Request(f"http://127.0.0.1:{self.server.port}/predict",
                                             data=self.picture, method="POST")
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.load(answer)["digit"], time.monotonic() - start

        with concurrent.futures.ThreadPoolExecutor(40) as clients:
            answers = list(clients.map(ask, range(40)))
        self.assertEqual({(status, digit) for status, digit, _ in answers}, {(200, 7)})
        self.assertLess(max(seconds for *_, seconds in answers), 10)
        for connection in idle:  # still open: the server waits for them, without a worker
            connection.setblocking(False)
            with self.assertRaises(BlockingIOError):
                connection.recv(1)

    def test_keep_alive_connections_carry_500_requests(self):
        def session(_):
            connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
            try:
                answers = []
                for index in range(50):
                    body = self.picture if index % 5 else b"not a picture"
                    connection.request("POST", "/predict", body=body)
                    answer = connection.getresponse()
                    answers.append((answer.status, json.loads(answer.read()).get("digit")))
                    if index % 10 == 9:
                        connection.request("GET", "/")
                        answer = connection.getresponse()
                        answers.append((answer.status, b"<canvas" in answer.read()))
                return answers, connection.sock is not None
            finally:
                connection.close()

        with concurrent.futures.ThreadPoolExecutor(10) as clients:
            sessions = list(clients.map(session, range(10)))
        answers = [answer for answers, _ in sessions for answer in answers]
        self.assertEqual(len(answers), 550)
        self.assertEqual(answers.count((200, 7)), 400)
        self.assertEqual(answers.count((400, None)), 100)
        self.assertEqual(answers.count((200, True)), 50)
        self.assertTrue(all(kept for _, kept in sessions))  # one connection each, kept alive


class DemoFlagsTest(unittest.TestCase):
    def test_a_bad_model_is_refused_in_one_line_before_serving(self):
        result = run_python(["main.py", "--mode=demo", "--model=/no/such.keras"])
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr.strip(), r"^error: --model /no/such.keras: no such file")


@full_tier("two demo processes")
class SignalTest(unittest.TestCase):
    def test_ctrl_c_and_sigterm_end_the_demo_with_a_line_and_no_traceback(self):
        for stopping in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=stopping.name):
                port = free_port()
                server = subprocess.Popen(
                    [sys.executable, "main.py", "--mode=demo", f"--model={MODEL}",
                     f"--port={port}"], cwd=REPO, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
                self.addCleanup(server.kill)
                self.assertRegex(server.stdout.readline(), rf"at http://127.0.0.1:{port}/")
                self.assertIn(b"<canvas", urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/", timeout=30).read())
                server.send_signal(stopping)
                out, err = server.communicate(timeout=60)
                self.assertEqual(server.returncode, 0, err[-2000:])
                self.assertEqual(out.strip(), "[demo] stopped")
                self.assertNotIn("Traceback", err)


@unittest.skipUnless(CHROMIUM and CHROMEDRIVER,
                     "needs Debian's chromium and chromium-driver (apt-get install chromium "
                     "chromium-driver; .ci/run installs them)")
@full_tier("Chromium")
class BrowserTest(unittest.TestCase):
    """main.py --mode=demo, driven by headless Chromium: draw a 1, upload a 7 (about 20 s)."""

    def setUp(self):
        try:
            from selenium import webdriver
        except ImportError:
            self.skipTest("needs selenium (pip install -r requirements-test.txt)")
        port = free_port()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.server = subprocess.Popen(
            [sys.executable, "main.py", "--mode=demo", f"--model={MODEL}", f"--port={port}"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.server.wait)
        self.addCleanup(self.server.kill)
        self.addCleanup(self.server.stdout.close)
        self.assertRegex(self.server.stdout.readline(), rf"^\[demo\] .* at http://127.0.0.1:{port}/")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-sync", "--window-size=1100,700"):
            options.add_argument(flag)
        service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
        self.browser = webdriver.Chrome(options=options, service=service)
        self.addCleanup(self.browser.quit)
        self.browser.get(f"http://127.0.0.1:{port}/")

    def shown_digit(self, changed_from="-"):
        from selenium.webdriver.common.by import By

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = self.browser.find_element(By.ID, "digit").text
            if text != changed_from:
                return text
            time.sleep(0.1)
        self.fail("the page showed no digit")

    def test_draw_a_digit_then_upload_one(self):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        pad = self.browser.find_element(By.ID, "pad")
        # A vertical stroke down the middle of the 280x280 pad: a 1. Offsets are from its centre.
        ActionChains(self.browser).move_to_element_with_offset(pad, 5, -90).click_and_hold() \
            .move_by_offset(-3, 60).move_by_offset(-3, 60).move_by_offset(-2, 60).release() \
            .perform()
        self.assertEqual(self.shown_digit(), "1")
        rows = self.browser.find_elements(By.CSS_SELECTOR, "tr.probability")
        self.assertEqual([row.get_attribute("data-digit") for row in rows],
                         [str(d) for d in range(10)])
        self.assertTrue(self.browser.find_element(By.ID, "prepared").get_attribute("src")
                        .startswith("data:image/png;base64,"))
        if os.environ.get("KERAS_MNIST7_SCREENSHOT"):  # scripts/demo_screenshot.sh
            # One action on the picture: the drawn 1, its prepared input and its answer.
            self.browser.save_screenshot(os.environ["KERAS_MNIST7_SCREENSHOT"])

        upload = self.browser.find_element(By.ID, "upload")
        upload.send_keys(str(SAMPLES / "seven_scan.png"))
        self.assertEqual(self.shown_digit(changed_from="1"), "7")


if __name__ == "__main__":
    unittest.main()
