"""The recorder's heartbeat: a daemon thread in the controller that writes the run's
``heartbeat_at`` every ``every`` seconds, whatever Ansible is doing (a device taking
minutes, a paused run), so that a run whose controller died is seen lost within
``state.MISSED_BEATS`` intervals. It also reports what an operator asked (pause, resume,
cancel) to the console once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Heartbeat:
    def __init__(
        self,
        beat: Callable[[], Any],
        every: float,
        on_change: Callable[[Any], None] | None = None,
        initial: Any = None,
    ) -> None:
        self.beat, self.every, self.on_change = beat, every, on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="confvault-heartbeat", daemon=True)
        self._last: Any = initial

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                seen = self.beat()
            except Exception:  # noqa: BLE001 - a missed beat is what the readers look for anyway
                continue
            if seen != self._last and self.on_change is not None:
                self.on_change(seen)
            self._last = seen

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
