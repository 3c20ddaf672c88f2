"""PyTorch peer of bench/gpt-step.ts: the same GPT (same weights, injected from tfjs), trained
with torch.optim.AdamW on one CPU thread. Speaks JSON lines on stdin/stdout (see bench/peer.ts).

Layout of the injected weights (as in the course): y = x @ W + b with W [d_in, d_out]. Queries,
keys and values are computed with one fused [d, 3d] product, as GPT implementations do.
"""
import math
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F
from peer_io import load_weights, serve

torch.set_num_threads(1)


class Gpt:
    def __init__(self, config, tensors):
        self.c = config
        self.p = {}  # name -> leaf tensor (requires_grad)
        self.init = tensors
        self.reset()

    def reset(self):
        L = self.c["numLayers"]
        p = {k: torch.tensor(v, requires_grad=False) for k, v in self.init.items()}
        q = {}
        q["tokenEmbedding"] = p["tokenEmbedding"]
        q["positionEmbedding"] = p["positionEmbedding"]
        for i in range(L):
            a = f"layers.{i}.selfAttn."
            q[a + "wqkv"] = torch.cat([p[a + "wq"], p[a + "wk"], p[a + "wv"]], 1)
            q[a + "bqkv"] = torch.cat([p[a + "bq"], p[a + "bk"], p[a + "bv"]], 0)
            for k in ["wo", "bo"]:
                q[a + k] = p[a + k]
            for k in ["ffn.w1", "ffn.b1", "ffn.w2", "ffn.b2", "norm1.gamma", "norm1.beta", "norm2.gamma", "norm2.beta"]:
                q[f"layers.{i}.{k}"] = p[f"layers.{i}.{k}"]
        for k in ["finalNorm.gamma", "finalNorm.beta", "head.w", "head.b"]:
            q[k] = p[k]
        self.p = {k: v.clone().requires_grad_(True) for k, v in q.items()}
        T = self.c["context"]
        self.causal = torch.ones(T, T).tril().bool()

    def forward(self, ids):
        c, p = self.c, self.p
        B, T = ids.shape
        d, h = c["d"], c["numHeads"]
        dh = d // h
        x = p["tokenEmbedding"][ids] + p["positionEmbedding"][:T]
        mask = self.causal[:T, :T]
        for i in range(c["numLayers"]):
            a = f"layers.{i}."
            n1 = F.layer_norm(x, (d,), p[a + "norm1.gamma"], p[a + "norm1.beta"], 1e-5)
            qkv = torch.addmm(p[a + "selfAttn.bqkv"], n1.view(B * T, d), p[a + "selfAttn.wqkv"]).view(B, T, 3, h, dh)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each [B, h, T, dh]
            s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
            w = torch.softmax(s.masked_fill(~mask, float("-inf")), -1)
            o = (w @ v).transpose(1, 2).reshape(B * T, d)
            x = x + torch.addmm(p[a + "selfAttn.bo"], o, p[a + "selfAttn.wo"]).view(B, T, d)
            n2 = F.layer_norm(x, (d,), p[a + "norm2.gamma"], p[a + "norm2.beta"], 1e-5).view(B * T, d)
            f = torch.addmm(p[a + "ffn.b2"], torch.relu(torch.addmm(p[a + "ffn.b1"], n2, p[a + "ffn.w1"])), p[a + "ffn.w2"])
            x = x + f.view(B, T, d)
        x = F.layer_norm(x, (d,), p["finalNorm.gamma"], p["finalNorm.beta"], 1e-5).view(B * T, d)
        return torch.addmm(p["head.b"], x, p["head.w"])  # [B*T, V]

    def loss(self, batch):
        ids = batch[:, :-1]
        tgt = batch[:, 1:].reshape(-1)
        return F.cross_entropy(self.forward(ids), tgt)

    def grads_in_manifest_order(self, manifest):
        """Gradients laid out like the injected weights (the fused q|k|v split back)."""
        out = []
        for entry in manifest:
            name = entry["name"]
            for part, j in (("wq", 0), ("wk", 1), ("wv", 2), ("bq", 0), ("bk", 1), ("bv", 2)):
                if name.endswith("selfAttn." + part):
                    fused = name[: -len(part)] + ("wqkv" if part[0] == "w" else "bqkv")
                    g = self.p[fused].grad
                    d = self.c["d"]
                    g = g[:, j * d:(j + 1) * d] if part[0] == "w" else g[j * d:(j + 1) * d]
                    break
            else:
                g = self.p[name].grad
            out.append(g.detach().numpy().astype(np.float32).ravel())
        return np.concatenate(out)


def main():
    state = {"cursor": 0}

    def load(msg):
        state["manifest"] = msg["manifest"]
        b = msg["batch"]
        state["batches"] = torch.from_numpy(np.fromfile(msg["batches"], dtype=np.int32).astype(np.int64).reshape(-1, b["size"], b["length"]))
        model = state["model"] = Gpt(msg["config"], load_weights(msg["weights"], msg["manifest"]))
        state["opt"] = torch.optim.AdamW(list(model.p.values()), lr=msg["learningRate"], weight_decay=msg["weightDecay"])
        return {"ok": True, "parameters": sum(v.numel() for v in model.p.values()), "torch": torch.__version__, "threads": torch.get_num_threads()}

    def check(msg):
        # Loss and gradients at the injected weights, then the losses of `steps` AdamW steps.
        model, batches, opt = state["model"], state["batches"], state["opt"]
        model.reset()
        opt = state["opt"] = torch.optim.AdamW(list(model.p.values()), lr=opt.defaults["lr"], weight_decay=opt.defaults["weight_decay"])
        loss = model.loss(batches[0])
        loss.backward()
        model.grads_in_manifest_order(state["manifest"]).tofile(msg["grads"])
        losses = []
        for s in range(msg["steps"]):
            opt.zero_grad(set_to_none=True)
            l = model.loss(batches[s % len(batches)])
            l.backward()
            opt.step()
            losses.append(l.item())
        with torch.no_grad():
            after = model.loss(batches[0]).item()
        return {"loss0": loss.item(), "losses": losses, "after": after}

    def timed(msg):
        model, batches, opt = state["model"], state["batches"], state["opt"]
        walls = []
        c0 = time.process_time()
        for _ in range(msg["steps"]):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            l = model.loss(batches[state["cursor"] % len(batches)])
            l.backward()
            opt.step()
            l.item()
            walls.append((time.perf_counter() - t0) * 1000)
            state["cursor"] += 1
        cpu = (time.process_time() - c0) * 1000
        return {"wall_ms": walls, "cpu_ms": cpu, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}

    serve({"load": load, "check": check, "time": timed})


if __name__ == "__main__":
    main()
