"""The JSON-lines side of every PyTorch peer (see bench/peer.ts): one request per line on stdin,
one reply per line on stdout, and the injected weights as tfjs writes them."""
import json
import sys

import numpy as np


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load_weights(path, manifest):
    """The injected weights: one float32 file, tensors in manifest order (bench/peer.ts writeFlatWeights), by name."""
    flat = np.fromfile(path, dtype=np.float32)
    tensors, off = {}, 0
    for e in manifest:
        n = int(np.prod(e["shape"]))
        tensors[e["name"]] = flat[off:off + n].reshape(e["shape"]).copy()
        off += n
    return tensors


def serve(handlers):
    """Answers JSON-line requests on stdin: handlers[msg["cmd"]](msg) returns the reply; errors are replied, not raised."""
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            handler = handlers.get(msg["cmd"])
            reply(handler(msg) if handler else {"error": f"unknown command {msg['cmd']}"})
        except Exception as e:  # report, keep serving
            reply({"error": f"{type(e).__name__}: {e}"})
