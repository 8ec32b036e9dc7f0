#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/probe.py -- TCP connection probes for the scenarios: how does a target answer?
#
#   probe.py [--src ADDR] [--timeout S] [--send TEXT] ADDR:PORT...
#
# One line per target, in order: "ADDR:PORT open [reply]" (connected; with --send, the first
# line received after sending TEXT), "ADDR:PORT refused" (RST), "ADDR:PORT timeout" (no answer),
# or "ADDR:PORT error <reason>". Targets are probed in parallel.
import argparse
import socket
import sys
import threading


def probe(target, src, timeout, send, out, idx):
    host, _, port = target.rpartition(":")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect((host, int(port)))
    except ConnectionRefusedError:
        out[idx] = f"{target} refused"
        s.close()
        return
    except (socket.timeout, TimeoutError):
        out[idx] = f"{target} timeout"
        s.close()
        return
    except OSError as e:
        out[idx] = f"{target} error {e.strerror or e}"
        s.close()
        return
    reply = ""
    if send is not None:
        try:
            s.sendall((send + "\n").encode())
            buf = b""
            while b"\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            reply = " " + buf.decode(errors="replace").splitlines()[0] if buf else " <eof>"
        except (socket.timeout, TimeoutError):
            reply = " <no reply>"
        except OSError as e:
            reply = f" <{e.strerror or e}>"
    out[idx] = f"{target} open{reply}"
    s.close()


def main():
    ap = argparse.ArgumentParser(description="TCP connection probes")
    ap.add_argument("--src", default=None)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--send", default=None)
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    out = [None] * len(a.targets)
    threads = []
    for i, t in enumerate(a.targets):
        th = threading.Thread(target=probe, args=(t, a.src, a.timeout, a.send, out, i))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    for line in out:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
