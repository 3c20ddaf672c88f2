"""PyTorch peer of bench/efficient.ts: standard attention softmax(Q Kᵀ / sqrt(d)) V and the same
tiled algorithm (online softmax over blocks, written with torch ops in a Python loop) on the
benchmark's own inputs, forward only, one CPU thread (JSON lines on stdin/stdout, see
bench/peer.ts). The inputs arrive as base64 float32 so both sides compute on the same numbers."""
import base64
import json
import math
import sys
import time

import torch

torch.set_num_threads(1)


def tensor(b64, shape):
    return torch.frombuffer(bytearray(base64.b64decode(b64)), dtype=torch.float32).reshape(shape)


def standard(q, k, v):
    w = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1])), -1)
    return w @ v


def tiled(q, k, v, block_q, block_k):
    n, d = q.shape
    tk = k.shape[0]
    out = []
    for i0 in range(0, n, block_q):
        qb = q[i0:i0 + block_q] * (1.0 / math.sqrt(d))
        m = torch.full((qb.shape[0], 1), -math.inf)
        l = torch.zeros(qb.shape[0], 1)
        acc = torch.zeros(qb.shape[0], v.shape[1])
        for j0 in range(0, tk, block_k):
            s = qb @ k[j0:j0 + block_k].T
            m_new = torch.maximum(m, s.max(-1, keepdim=True).values)
            p = torch.exp(s - m_new)
            rescale = torch.exp(m - m_new)
            l = l * rescale + p.sum(-1, keepdim=True)
            acc = acc * rescale + p @ v[j0:j0 + block_k]
            m = m_new
        out.append(acc / l)
    return torch.cat(out, 0)


def main():
    q = k = v = ours = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "setup":
                n, d = msg["n"], msg["d"]
                q, k, v = (tensor(msg[name], (n, d)) for name in ("q", "k", "v"))
                ours = tensor(msg["standard"], (n, d))
                with torch.no_grad():
                    s = standard(q, k, v)
                    t = tiled(q, k, v, msg["blockQ"], msg["blockK"])
                reply = {
                    "torch": torch.__version__,
                    "standard_vs_ours": float((s - ours).abs().max()),
                    "tiled_vs_standard": float((t - s).abs().max()),
                }
                sys.stdout.write(json.dumps(reply) + "\n")
            elif msg["cmd"] == "time":
                fn = msg["method"]
                c0 = time.process_time()
                t0 = time.perf_counter()
                with torch.no_grad():
                    out = standard(q, k, v) if fn == "standard" else tiled(q, k, v, msg["blockQ"], msg["blockK"])
                    float(out[0, 0])
                wall = (time.perf_counter() - t0) * 1000
                cpu = (time.process_time() - c0) * 1000
                sys.stdout.write(json.dumps({"wall_ms": wall, "cpu_ms": cpu}) + "\n")
            else:
                sys.stdout.write(json.dumps({"error": f"unknown command {msg['cmd']}"}) + "\n")
        except Exception as e:
            sys.stdout.write(json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
