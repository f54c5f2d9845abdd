"""Logging in the form go-plugin's host reads from a plugin's stderr.

go-plugin parses every stderr line of a plugin as hclog JSON:
``{"@level": "warn", "@message": "...", "@timestamp": "...", key: value...}``
and logs it through the host's logger at that level (other keys become
key=value pairs). A line that is not such JSON is logged at debug level.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
import threading
import traceback
from typing import IO, Any

#: Attributes every logging.LogRecord has; anything else came from ``extra=``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

#: The longest message written; go-plugin reads lines of up to 64 KiB and
#: logs a longer one, split, at debug level.
_MAX_MESSAGE = 16 << 10


def hclog_level(levelno: int) -> str:
    """The hclog level name of a logging level number."""
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


def hclog_timestamp(created: float) -> str:
    """A time in the layout go-plugin parses ("2006-01-02T15:04:05.000000Z07:00"), in UTC."""
    t = datetime.datetime.fromtimestamp(created, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _clip(s: str) -> str:
    return s if len(s) <= _MAX_MESSAGE else s[:_MAX_MESSAGE] + f"... ({len(s) - _MAX_MESSAGE} more characters)"


class HclogJSONFormatter(logging.Formatter):
    """Formats a record as one line of hclog JSON."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single JSON line (no newline)."""
        entry: dict[str, Any] = {
            "@level": hclog_level(record.levelno),
            "@message": _clip(record.getMessage()),
            "@module": record.name,
            "@timestamp": hclog_timestamp(record.created),
        }
        for k, v in vars(record).items():
            if k not in _RECORD_ATTRS and not k.startswith("_"):
                entry[k] = v if isinstance(v, (str, int, float, bool)) or v is None else repr(v)
        if record.exc_info:
            entry["traceback"] = _clip("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(entry, ensure_ascii=False)


def install(stream: IO[str], level: int = logging.WARNING) -> logging.Handler:
    """Send every log record of the process, as hclog JSON, to ``stream``.

    Replaces the root logger's handlers and sets its level; warnings.warn
    goes to logging too. Returns the handler.
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(HclogJSONFormatter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    return handler


def early_crash_report(stream: IO[str], module: str = "srbench_plugin") -> None:
    """Until serve() sets up logging: write an uncaught exception as one hclog error line.

    A plugin whose own modules fail to import never reaches serve(); without
    this its traceback would reach the host as plain lines, which go-plugin
    logs at debug level only, and the user would see just "plugin exited
    before we could connect".
    """

    def excepthook(tp: type[BaseException], value: BaseException, tb: Any) -> None:
        entry = {
            "@level": "error",
            "@message": _clip(f"plugin failed before serving: {tp.__name__}: {value}"),
            "@module": module,
            "@timestamp": hclog_timestamp(datetime.datetime.now().timestamp()),
            "traceback": _clip("".join(traceback.format_exception(tp, value, tb))),
        }
        try:
            stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
            stream.flush()
        except Exception:
            sys.__excepthook__(tp, value, tb)

    sys.excepthook = excepthook


def log_uncaught(logger: logging.Logger) -> None:
    """Log exceptions nobody caught (main thread and other threads) as errors."""

    def excepthook(tp: type[BaseException], value: BaseException, tb: Any) -> None:
        logger.error("uncaught exception: %s", value, exc_info=(tp, value, tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        logger.error("uncaught exception in thread %s: %s", name, args.exc_value,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
