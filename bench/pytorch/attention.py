"""PyTorch peer of bench/attention.ts: softmax(Q Kᵀ / sqrt(d)) V at the benchmark's size, forward
only, on one CPU thread (JSON lines on stdin/stdout, see bench/peer.ts)."""
import math
import time

import torch
from peer_io import serve

torch.set_num_threads(1)


def main():
    state = {}

    def setup(msg):
        g = torch.Generator().manual_seed(msg["seed"])
        h, n, d = msg["heads"], msg["n"], msg["d"]
        state["qkv"] = tuple(torch.randn(h, n, d, generator=g) for _ in range(3))
        return {"ok": True, "torch": torch.__version__}

    def timed(msg):
        q, k, v = state["qkv"]
        walls = []
        c0 = time.process_time()
        with torch.no_grad():
            for _ in range(msg["runs"]):
                t0 = time.perf_counter()
                w = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1])), -1)
                out = w @ v
                float(out[0, 0, 0])
                walls.append((time.perf_counter() - t0) * 1000)
        return {"wall_ms": walls, "cpu_ms": (time.process_time() - c0) * 1000 / msg["runs"]}

    serve({"setup": setup, "time": timed})


if __name__ == "__main__":
    main()
