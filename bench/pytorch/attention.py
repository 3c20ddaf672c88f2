"""PyTorch peer of bench/attention.ts: softmax(Q Kᵀ / sqrt(d)) V at the benchmark's size, forward
only, on one CPU thread (JSON lines on stdin/stdout, see bench/peer.ts)."""
import json
import math
import sys
import time

import torch

torch.set_num_threads(1)


def main():
    q = k = v = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "setup":
                g = torch.Generator().manual_seed(msg["seed"])
                h, n, d = msg["heads"], msg["n"], msg["d"]
                q, k, v = (torch.randn(h, n, d, generator=g) for _ in range(3))
                sys.stdout.write(json.dumps({"ok": True, "torch": torch.__version__}) + "\n")
            elif msg["cmd"] == "time":
                walls = []
                c0 = time.process_time()
                with torch.no_grad():
                    for _ in range(msg["runs"]):
                        t0 = time.perf_counter()
                        w = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1])), -1)
                        out = w @ v
                        float(out[0, 0, 0])
                        walls.append((time.perf_counter() - t0) * 1000)
                cpu = (time.process_time() - c0) * 1000 / msg["runs"]
                sys.stdout.write(json.dumps({"wall_ms": walls, "cpu_ms": cpu}) + "\n")
            else:
                sys.stdout.write(json.dumps({"error": f"unknown command {msg['cmd']}"}) + "\n")
        except Exception as e:
            sys.stdout.write(json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
