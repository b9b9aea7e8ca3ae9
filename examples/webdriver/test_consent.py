"""A suite in another language seeding kelisim consent through WebDriver.

The cookie comes from `npx kelisim cookie ... --json` (here `node js/cli.js`,
the same command from this checkout); the browser is driven over the W3C
WebDriver protocol with the standard library only (any WebDriver client, such
as Selenium, sends the same add-cookie command). It runs in CI (`npm test`)
against the demo:

    npm run build && python3 -m unittest discover -s examples/webdriver -v
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = os.path.join(ROOT, "www", "kelisim.config.json")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-quic",
]


def kelisim_cookie(*args):
    """`npx kelisim cookie --config FILE ...` as a suite in any language runs it."""
    out = subprocess.run(
        ["node", os.path.join(ROOT, "js", "cli.js"), "cookie", "--config", CONFIG, *args],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """The few W3C WebDriver commands the suite needs."""

    def __init__(self, base):
        self.base = base
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": os.environ.get("CHROME_PATH", "/usr/bin/chromium"), "args": CHROMIUM_ARGS},
        }}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r)["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError(f"WebDriver {method} {path}: {e.code} {e.read().decode()[:500]}") from None

    def cmd(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def add_cookie(self, cookie):
        self.cmd("POST", "/cookie", {"cookie": cookie})

    def script(self, source):
        return self.cmd("POST", "/execute/sync", {"script": source, "args": []})

    def quit(self):
        self.cmd("DELETE", "")

    def wait(self, source, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.script(source)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for: {source}")


class ConsentThroughWebDriver(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        collector = os.path.join(ROOT, "target", "release", "kelisim-collector")
        if not os.path.exists(collector) or not os.path.exists(os.path.join(ROOT, "dist", "testing.js")):
            raise RuntimeError("the demo is not built: run `npm run build` first")
        cls.tmp = tempfile.mkdtemp(prefix="kelisim-webdriver-")
        cls.demo = subprocess.Popen(
            [collector, "--addr", "127.0.0.1:0", "--www", "www", "--dist", "dist", "--quiet",
             "--db", os.path.join(cls.tmp, "receipts.sqlite3")],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        line = cls.demo.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
        if not m:
            cls.demo.kill()
            raise RuntimeError(f"the demo did not start: {line!r}")
        cls.url = m.group(1) + "/"
        port = free_port()
        cls.chromedriver = subprocess.Popen(
            [shutil.which("chromedriver") or "/usr/bin/chromedriver", f"--port={port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/status", timeout=1) as r:
                    if json.load(r)["value"]["ready"]:
                        break
            except OSError:
                time.sleep(0.1)
        cls.base = base

    @classmethod
    def tearDownClass(cls):
        cls.chromedriver.kill()
        cls.chromedriver.wait()
        cls.demo.kill()
        cls.demo.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.driver = WebDriver(self.base)
        self.addCleanup(self.driver.quit)

    def open_with(self, accept):
        """Opens the demo with the consent `kelisim cookie --accept <accept>` gives."""
        cookie = json.loads(kelisim_cookie("--accept", accept, "--url", self.url, "--json"))
        self.driver.get(self.url)  # a cookie is added on its site's page
        # WebDriver names the expiry `expiry`; the rest is as printed.
        self.driver.add_cookie({**{k: v for k, v in cookie.items() if k != "expires"}, "expiry": cookie["expires"]})
        self.driver.get(self.url)
        return self.view()

    def view(self):
        return self.driver.wait(
            "const root = document.querySelector('[data-kelisim-root]');"
            "return window.kelisim && root && root.getAttribute('data-kelisim-view');"
        )

    def tag_state(self, src):
        return self.driver.script(f"return document.querySelector('script[data-src=\"{src}\"]').getAttribute('data-kelisim-state')")

    def test_accept_all_hides_the_banner_and_releases_the_scripts(self):
        self.assertEqual(self.open_with("all"), "closed")
        self.driver.wait("return document.querySelector('script[data-src=\"/demo/analytics.js\"]').getAttribute('data-kelisim-state') === 'released'")
        self.assertEqual(self.driver.script("return kelisim.getConsent().method"), "accept-all")

    def test_reject_all_hides_the_banner_and_holds_the_scripts(self):
        self.assertEqual(self.open_with("none"), "closed")
        self.assertEqual(self.tag_state("/demo/analytics.js"), "held")
        self.assertEqual(self.tag_state("/demo/marketing.js"), "held")

    def test_the_ids_given_are_exactly_what_is_accepted(self):
        self.assertEqual(self.open_with("yandex-metrica"), "closed")
        services = self.driver.script("return kelisim.getConsent().services")
        self.assertEqual(services, {"yandex-metrica": True, "google-analytics": False, "facebook-pixel": False, "vk-pixel": False})

    def test_without_a_cookie_the_banner_shows(self):
        self.driver.get(self.url)
        self.assertEqual(self.view(), "banner")
        self.assertEqual(self.tag_state("/demo/analytics.js"), "held")


if __name__ == "__main__":
    unittest.main()
