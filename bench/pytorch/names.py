"""PyTorch peer of bench/names.ts: the names task's GPT (the model of gpt_step.py, same injected
weights) trained on the very same batches with the same learning-rate schedule, with
torch.optim.AdamW on one CPU thread. Speaks JSON lines on stdin/stdout (see bench/peer.ts).

Batches arrive padded to a fixed width with PAD (id 0); each is cut to its longest name, as the
tfjs side does, and PAD targets are ignored in the loss. The validation NLL is the sum of the
per-token losses over the whole split divided by the number of real targets.
"""
import time

import numpy as np
import torch
import torch.nn.functional as F

from gpt_step import Gpt
from peer_io import load_weights, serve

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
    state = {}

    def load(msg):
        width = msg["width"]
        state["batches"] = torch.from_numpy(np.fromfile(msg["batches"], dtype=np.int32).astype(np.int64).reshape(-1, msg["batchSize"], width))
        state["val"] = torch.from_numpy(np.fromfile(msg["val"], dtype=np.int32).astype(np.int64).reshape(-1, width))
        state["schedule"] = msg["schedule"]
        model = state["model"] = Gpt(msg["config"], load_weights(msg["weights"], msg["manifest"]))
        state["opt"] = torch.optim.AdamW(list(model.p.values()), lr=msg["schedule"][0], weight_decay=msg["weightDecay"])
        state["step"] = 0
        return {"ok": True, "parameters": sum(v.numel() for v in model.p.values()), "torch": torch.__version__, "threads": torch.get_num_threads()}

    def train(msg):
        model, opt = state["model"], state["opt"]
        losses = []
        c0 = time.process_time()
        w0 = time.perf_counter()
        for _ in range(msg["steps"]):
            for g in opt.param_groups:
                g["lr"] = state["schedule"][state["step"]]
            opt.zero_grad(set_to_none=True)
            loss = batch_loss(model, state["batches"][state["step"]])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            state["step"] += 1
        return {"losses": losses, "cpu_ms": (time.process_time() - c0) * 1000, "wall_ms": (time.perf_counter() - w0) * 1000}

    def evaluate(msg):
        with torch.no_grad():
            total = batch_loss(state["model"], state["val"], reduction="sum").item()
        return {"nll": total / int((trim(state["val"])[:, 1:] != PAD).sum())}

    serve({"load": load, "train": train, "eval": evaluate})


if __name__ == "__main__":
    main()
