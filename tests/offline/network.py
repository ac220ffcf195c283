"""Cut and restore the network of a whole Chromium, service workers included,
through the DevTools protocol.

Selenium's execute_cdp_cmd speaks only to the page; a service worker is a
target of its own, and its fetches (the cached pages, the outbox it sends
again) do not see the page's emulated offline state. This talks to the
browser endpoint instead: it auto-attaches to every page and service worker
(new ones are paused until they have the current state, so a worker that the
browser restarts while "offline" cannot slip out), and emulates the network
on each, as DevTools does when "Offline" is ticked. It can also record the
Background Sync events the browser reports (BackgroundService domain)."""
import json
import threading
import urllib.request

import websocket

KINDS = ("page", "service_worker")


class NetworkSwitch:
    def __init__(self, driver):
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        with urllib.request.urlopen(f"http://{address}/json/version", timeout=10) as answer:
            endpoint = json.load(answer)["webSocketDebuggerUrl"]
        self.ws = websocket.create_connection(endpoint, suppress_origin=True, timeout=None)
        self.online = True
        self.sessions: dict[str, dict] = {}   # sessionId -> targetInfo
        self.sync_events: list[dict] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._next = 0
        self._waiting: dict[int, tuple[threading.Event, list]] = {}
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True,
                                           "filter": [{"type": k, "exclude": False} for k in KINDS]})
        attached = {info["targetId"] for info in self.sessions.values()}
        for info in self.call("Target.getTargets")["targetInfos"]:
            if info["type"] in KINDS and info["targetId"] not in attached:
                session = self.call("Target.attachToTarget", {"targetId": info["targetId"], "flatten": True})
                self._prepare(session["sessionId"], info, resume=False)

    # -- protocol ---------------------------------------------------------
    def _send(self, method, params=None, session=None) -> int:
        with self._lock:
            self._next += 1
            ident = self._next
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        with self._send_lock:
            self.ws.send(json.dumps(message))
        return ident

    def call(self, method, params=None, session=None, timeout: float = 30):
        done, box = threading.Event(), []
        with self._lock:
            self._next += 1
            ident = self._next
            self._waiting[ident] = (done, box)
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        with self._send_lock:
            self.ws.send(json.dumps(message))
        if not done.wait(timeout):
            raise TimeoutError(method)
        answer = box[0]
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def _read(self):
        while not self._closed:
            try:
                message = json.loads(self.ws.recv())
            except Exception:
                return
            if "id" in message:
                with self._lock:
                    waiter = self._waiting.pop(message["id"], None)
                if waiter:
                    waiter[1].append(message)
                    waiter[0].set()
                continue
            method, params = message.get("method"), message.get("params", {})
            if method == "Target.attachedToTarget" and params["targetInfo"]["type"] in KINDS:
                self._prepare(params["sessionId"], params["targetInfo"], resume=params.get("waitingForDebugger"))
            elif method == "Target.detachedFromTarget":
                self.sessions.pop(params.get("sessionId"), None)
            elif method == "BackgroundService.backgroundServiceEventReceived":
                self.sync_events.append(params["backgroundServiceEvent"])

    def _conditions(self) -> dict:
        return {"offline": not self.online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}

    def _prepare(self, session, info, *, resume):
        """Give a target the current network state (without waiting: this may
        run on the reader thread), then let it run."""
        self.sessions[session] = info
        self._send("Network.enable", {}, session)
        self._send("Network.emulateNetworkConditions", self._conditions(), session)
        if resume:
            self._send("Runtime.runIfWaitingForDebugger", {}, session)

    # -- what tests use ----------------------------------------------------
    def set(self, online: bool):
        self.online = online
        for session in list(self.sessions):
            try:
                self.call("Network.emulateNetworkConditions", self._conditions(), session)
            except (RuntimeError, TimeoutError):
                self.sessions.pop(session, None)   # the target went away meanwhile

    def watch_background_sync(self):
        """Record Background Sync events (registered, dispatched, completed)."""
        for session, info in list(self.sessions.items()):
            if info["type"] == "page":
                self.call("BackgroundService.startObserving", {"service": "backgroundSync"}, session)
                self.call("BackgroundService.setRecording", {"shouldRecord": True, "service": "backgroundSync"},
                          session)
                return

    def close(self):
        try:
            if not self.online:
                self.set(True)
            self.call("Target.setAutoAttach", {"autoAttach": False, "waitForDebuggerOnStart": False,
                                               "flatten": True}, timeout=5)
        except Exception:
            pass
        self._closed = True
        self.ws.close()
