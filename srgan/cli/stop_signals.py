"""Stop signals reach the main thread as a request and never interrupt a compute thread.

A signal is delivered to whichever thread of the process the kernel picks, and that thread runs
the C-level handler wherever it was, often inside oneDNN's or XLA's kernels. On a machine this
project runs on (AMD EPYC, AVX-512), that broke training runs: now and then a single SIGTERM aborted the
run ("corrupted size vs. prev_size while consolidating") before its checkpoint was written, and a
barrage of signals (``scripts/signal_barrage.py``) aborted or deadlocked every run. So ``train``
blocks the signals in its first thread before any other thread exists (threads inherit the mask);
one waiter thread takes them with ``sigwait`` and hands each to the main thread's Python handler
(``_thread.interrupt_main``), which is where Python runs signal handlers anyway.

What stays the same: SIGINT raises ``KeyboardInterrupt`` in the main thread, a handler installed with
``signal.signal`` (the trainer's) runs there, and a signal left at its default action (SIGTERM
outside a handler) still ends the process by that signal. What differs: a main thread sleeping in
a system call is not woken early; it sees the request when the call returns.
"""

from __future__ import annotations

import _thread
import signal
import threading
from collections.abc import Iterable

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)

_routed: set[int] = set()


def route_signals(signals: Iterable[int] = STOP_SIGNALS) -> None:
    """Block ``signals`` in the calling (main) thread and hand them to its Python handlers from a
    waiter thread. Call it before threads are started (before importing NumPy, TensorFlow or
    OpenVINO): threads started earlier keep their own mask. Calling it again for the same signals
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("route_signals must be called from the main thread")
    todo = {int(s) for s in signals} - _routed
    if not todo:
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, todo)
    _routed.update(todo)
    threading.Thread(target=_wait, args=(frozenset(todo),), name="srgan-signals", daemon=True).start()


def _wait(signals: frozenset[int]) -> None:
    while True:
        signum = signal.sigwait(signals)
        handler = signal.getsignal(signum)
        if handler is signal.SIG_IGN:
            continue
        if handler in (signal.SIG_DFL, None):  # not handled in Python: its default action, as before
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
            signal.pthread_kill(threading.get_ident(), signum)  # ends the process (SIGINT, SIGTERM)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signum})  # a signal whose default is to be ignored
            continue
        _thread.interrupt_main(signum)
