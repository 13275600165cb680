#!/usr/bin/python3
"""cdp.py URL [SCRIPT...]: drive headless Chromium over the DevTools pipe.

Loads URL, then for each SCRIPT evaluates it in the page and, when it
starts a navigation (a form's submit()), waits for the next page to load.
Prints the final page's URL on the first line, then its DOM.  No
WebSocket library: --remote-debugging-pipe speaks NUL-terminated JSON on
file descriptors 3 (commands) and 4 (replies and events).
"""
import json, os, shutil, subprocess, sys, tempfile

TIMEOUT = int(os.environ.get("CDP_TIMEOUT", "30"))


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="cdp.")
        cmd_r, self.cmd_w = os.pipe()
        self.ev_r, ev_w = os.pipe()
        # Chromium reads commands on fd 3 and writes on fd 4
        args = ["/usr/bin/chromium", "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + self.profile,
                "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$@" 3<&%d 4>&%d' % (cmd_r, ev_w),
             "sh"] + args,
            pass_fds=(cmd_r, ev_w), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(ev_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def read_one(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.ev_r, 65536)
            if not chunk:
                raise SystemExit("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self.read_one()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise SystemExit("%s: %s" % (method, m["error"]))
                return m["result"]
            self.events.append(m)

    def wait_load(self):
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == "Page.loadEventFired":
                    del self.events[: i + 1]
                    return
            self.events = []
            self.events.append(self.read_one())

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    b = Browser()
    try:
        targets = b.call("Target.getTargets", session=False)["targetInfos"]
        page = [t for t in targets if t["type"] == "page"][0]
        b.session = b.call("Target.attachToTarget",
                           {"targetId": page["targetId"], "flatten": True},
                           session=False)["sessionId"]
        b.call("Page.enable")
        b.call("Page.navigate", {"url": sys.argv[1]})
        b.wait_load()
        for script in sys.argv[2:]:
            b.events = []
            b.call("Runtime.evaluate", {"expression": script})
            b.wait_load()
        url = b.call("Runtime.evaluate", {"expression": "location.href",
                                          "returnByValue": True})
        dom = b.call("Runtime.evaluate", {
            "expression": "document.documentElement.outerHTML",
            "returnByValue": True})
        print(url["result"]["value"])
        print(dom["result"]["value"])
    finally:
        b.close()


if __name__ == "__main__":
    import signal
    signal.alarm(TIMEOUT)
    main()
