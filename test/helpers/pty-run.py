"""Runs a command on a real pseudo-terminal and talks to it like a person would.

Node has no pty module here, Python's standard library does. Usage: pty-run.py '<json spec>' with
  argv:    the command line to exec
  cwd, env: where and with what environment (env is the whole environment)
  steps:   [{"expect": "text", "send": "keys"}...]: wait until `text` appears in the output (after the
           previous match), then write `keys` to the terminal ("\u0003" is Ctrl-C, "\r" is Enter)
  stdout_path: optional file for the child's stdout (stdin and stderr stay on the terminal)
  timeout_ms: for the whole run; on expiry the child is killed and timed_out is reported

Prints one JSON line last: the whole terminal output, the exit code (as a shell would show it: 130
for exit(130), -2 for death by SIGINT), ms from the last keys written to the exit, and whether the
terminal was left with echo and canonical mode on (the slave side stays open here to look at it).
"""
import json
import os
import select
import signal
import struct
import sys
import termios
import fcntl
import time


def main():
    spec = json.loads(sys.argv[1])
    deadline = time.monotonic() + spec.get("timeout_ms", 15000) / 1000
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.login_tty(slave)  # new session, slave as controlling terminal and fds 0-2
            os.chdir(spec.get("cwd") or ".")
            if spec.get("stdout_path"):  # stdout to a file: the terminal then shows only stderr
                fd = os.open(spec["stdout_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 1)
                os.close(fd)
            os.execvpe(spec["argv"][0], spec["argv"], spec["env"])
        finally:
            os._exit(127)

    out = bytearray()
    pos = 0  # where the next expected text is searched from
    status = None
    timed_out = False
    failed_expect = None
    sent_at = None

    def pump(wait):
        """Reads what is available (waiting up to `wait` s); notes the exit status when the child ends."""
        nonlocal status
        r, _, _ = select.select([master], [], [], wait)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            out.extend(chunk)
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                status = st
                return time.monotonic()
        return None

    exited_at = None
    for step in spec.get("steps", []):
        want = step["expect"].encode()
        while True:
            i = out.find(want, pos)
            if i >= 0:
                pos = i + len(want)
                break
            if status is not None or time.monotonic() > deadline:
                failed_expect = step["expect"]
                break
            t = pump(0.05)
            exited_at = exited_at or t
        if failed_expect is not None:
            break
        time.sleep(step.get("pause_ms", 50) / 1000)  # let the prompt finish drawing and start reading
        os.write(master, step["send"].encode())
        sent_at = time.monotonic()

    while status is None and time.monotonic() < deadline:
        t = pump(0.02)
        exited_at = exited_at or t
    if status is None:
        timed_out = True
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        exited_at = time.monotonic()
    while select.select([master], [], [], 0.05)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out.extend(chunk)

    lflag = termios.tcgetattr(slave)[3]
    result = {
        "output": out.decode("utf-8", "replace"),
        "exit_code": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "failed_expect": failed_expect,
        "ms_after_last_send": None if sent_at is None else round((exited_at - sent_at) * 1000),
        "echo": bool(lflag & termios.ECHO),
        "icanon": bool(lflag & termios.ICANON),
    }
    sys.stdout.write(json.dumps(result) + "\n")


main()
