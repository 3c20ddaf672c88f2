"""PyTorch peer of bench/names.ts: the names task's GPT (the model of gpt_step.py, same injected
weights) trained on the very same batches with the same learning-rate schedule, with
torch.optim.AdamW on one CPU thread. Speaks JSON lines on stdin/stdout (see bench/peer.ts).

Batches arrive padded to a fixed width with PAD (id 0); each is cut to its longest name, as the
tfjs side does, and PAD targets are ignored in the loss. The validation NLL is the sum of the
per-token losses over the whole split divided by the number of real targets.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from gpt_step import Gpt, reply

torch.set_num_threads(1)
PAD = 0


def trim(batch):
    """The batch cut to its longest row (the last column holding a real token)."""
    real = (batch != PAD).any(0).nonzero()
    return batch[:, : int(real[-1]) + 1]


def batch_loss(model, batch, reduction="mean"):
    b = trim(batch)
    logits = model.forward(b[:, :-1].contiguous())
    return F.cross_entropy(logits, b[:, 1:].reshape(-1), ignore_index=PAD, reduction=reduction)


def main():
    model = opt = batches = val = schedule = None
    step = 0
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "load":
                flat = np.fromfile(msg["weights"], dtype=np.float32)
                tensors, off = {}, 0
                for e in msg["manifest"]:
                    n = int(np.prod(e["shape"]))
                    tensors[e["name"]] = flat[off:off + n].reshape(e["shape"]).copy()
                    off += n
                width = msg["width"]
                batches = torch.from_numpy(np.fromfile(msg["batches"], dtype=np.int32).astype(np.int64).reshape(-1, msg["batchSize"], width))
                val = torch.from_numpy(np.fromfile(msg["val"], dtype=np.int32).astype(np.int64).reshape(-1, width))
                schedule = msg["schedule"]
                model = Gpt(msg["config"], tensors)
                opt = torch.optim.AdamW(list(model.p.values()), lr=schedule[0], weight_decay=msg["weightDecay"])
                step = 0
                reply({"ok": True, "parameters": sum(v.numel() for v in model.p.values()), "torch": torch.__version__, "threads": torch.get_num_threads()})
            elif msg["cmd"] == "train":
                losses = []
                c0 = time.process_time()
                w0 = time.perf_counter()
                for _ in range(msg["steps"]):
                    for g in opt.param_groups:
                        g["lr"] = schedule[step]
                    opt.zero_grad(set_to_none=True)
                    loss = batch_loss(model, batches[step])
                    loss.backward()
                    opt.step()
                    losses.append(loss.item())
                    step += 1
                reply({"losses": losses, "cpu_ms": (time.process_time() - c0) * 1000, "wall_ms": (time.perf_counter() - w0) * 1000})
            elif msg["cmd"] == "eval":
                with torch.no_grad():
                    total = batch_loss(model, val, reduction="sum").item()
                reply({"nll": total / int((trim(val)[:, 1:] != PAD).sum())})
            else:
                reply({"error": f"unknown command {msg['cmd']}"})
        except Exception as e:  # report, keep serving
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
