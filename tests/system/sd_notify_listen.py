#!/usr/bin/env python3
# tests/system/sd_notify_listen.py -- the service manager's side of the sd_notify protocol:
# bind an AF_UNIX datagram socket at PATH and write every datagram received to LOG, one
# per line (newlines inside a datagram become '|'), each prefixed with the sender's PID
# (SO_PASSCRED, as systemd checks it). On READY=1 the command given after '--' runs at
# once and its exit status is logged as "probe=N" (the test checks DNS answers by then).
import os, socket, struct, subprocess, sys

path, log = sys.argv[1], sys.argv[2]
probe = sys.argv[4:] if len(sys.argv) > 3 and sys.argv[3] == "--" else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
with open(log, "a", buffering=1) as out:
    out.write("listening\n")
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        text = msg.decode(errors="replace")
        out.write("%d %s\n" % (pid, text.replace("\n", "|")))
        if probe and "READY=1" in text.split("\n"):
            rc = subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out.write("probe=%d\n" % rc)
