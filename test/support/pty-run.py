"""Runs a command in a real pseudo-terminal and types into it, for tests of interactive prompts.

Reads its instructions as JSON on stdin (never argv, so a secret typed in a test is not in any process's
command line): {"command": [...], "waitFor": "text of the prompt", "chunks": ["typed", "\u001b[D", ...],
"timeoutSeconds": 40}. Waits for `waitFor` in the terminal's output, writes each chunk as one write (a
key press or a paste), then reads until the command exits. Prints {"exitCode", "output", "timedOut"} as
JSON. Bounded: past the timeout the command is killed.
"""

import json
import os
import pty
import select
import signal
import sys
import time

spec = json.load(sys.stdin)
deadline = time.monotonic() + float(spec.get("timeoutSeconds", 40))

pid, fd = pty.fork()
if pid == 0:
    os.execvp(spec["command"][0], spec["command"])

output = b""
closed = False


def pump(until, max_seconds: float) -> None:
    """Reads the terminal until `until(output)` holds, it closes, max_seconds pass, or the deadline."""
    global output, closed
    stop = min(deadline, time.monotonic() + max_seconds)
    while not closed and not until(output) and time.monotonic() < stop:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command exited and closed the terminal
                data = b""
            if not data:
                closed = True
            output += data


wait_for = spec["waitFor"].encode("utf-8")
pump(lambda out: wait_for in out, 1e9)
# The prompt is written just before the terminal is put in raw mode: let that happen before typing.
pump(lambda out: False, 0.3)
for chunk in spec["chunks"]:
    if closed:
        break
    try:
        os.write(fd, chunk.encode("utf-8"))
    except OSError:  # the command already exited
        break
    pump(lambda out: False, 0.1)
pump(lambda out: False, 1e9)

timed_out = not closed
if timed_out:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
print(json.dumps({
    "exitCode": os.waitstatus_to_exitcode(status),
    "output": output.decode("utf-8", "replace"),
    "timedOut": timed_out,
}))
