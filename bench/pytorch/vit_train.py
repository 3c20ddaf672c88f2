"""PyTorch peer of bench/vit.ts: the same ViT (weights injected from tfjs at the start) trained on
the same MNIST files with the same recipe (AdamW, linear warm-up then cosine decay, batches of
digits shifted by up to maxShift pixels, a fixed number of steps) on one CPU thread, then scored
on the same test digits. Built from PyTorch's own layers: nn.Conv2d(kernel = stride = p) as the
patch embedding and nn.TransformerEncoderLayer(norm_first=True, activation="relu", dropout=0).
The batch order and shifts come from numpy's generator, not from the kit's, so the two runs see
different (equally distributed) batches. Speaks JSON lines on stdin/stdout (see bench/peer.ts).

Injected layout (the kit's): y = x @ W + b with W [d_in, d_out]; patchEmbed.w [p*p*C, d] with
rows in (row, column, channel) order, i.e. the conv weight [d, C, p, p] permuted to [p, p, C, d].
"""
import gzip
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from peer_io import load_weights, serve

torch.set_num_threads(1)


class Vit(nn.Module):
    def __init__(self, c):
        super().__init__()
        p, d, n = c["patchSize"], c["d"], (c["imageSize"] // c["patchSize"]) ** 2
        self.c = c
        self.embed = nn.Conv2d(c["channels"], d, kernel_size=p, stride=p)
        self.cls = nn.Parameter(torch.zeros(d))
        self.positions = nn.Parameter(torch.zeros(n + 1, d))
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d, c["numHeads"], dim_feedforward=c["dff"], dropout=0.0, activation="relu", batch_first=True, norm_first=True)
            for _ in range(c["numLayers"])
        )
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, c["numClasses"])

    def forward(self, x_nhwc):
        y = self.embed(x_nhwc.permute(0, 3, 1, 2))  # [B, d, H/p, W/p]
        b, d = y.shape[:2]
        x = torch.cat([self.cls.expand(b, 1, d), y.flatten(2).transpose(1, 2)], 1) + self.positions
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x[:, 0]))

    def inject(self, t):
        c = self.c
        p, d, C = c["patchSize"], c["d"], c["channels"]
        T = lambda k: torch.from_numpy(t[k])  # noqa: E731
        with torch.no_grad():
            self.embed.weight.copy_(T("patchEmbed.w").reshape(p, p, C, d).permute(3, 2, 0, 1))
            self.embed.bias.copy_(T("patchEmbed.b"))
            self.cls.copy_(T("cls"))
            self.positions.copy_(T("positions"))
            for i, l in enumerate(self.layers):
                a = f"layers.{i}."
                l.self_attn.in_proj_weight.copy_(torch.cat([T(a + "selfAttn.wq").T, T(a + "selfAttn.wk").T, T(a + "selfAttn.wv").T], 0))
                l.self_attn.in_proj_bias.copy_(torch.cat([T(a + "selfAttn.bq"), T(a + "selfAttn.bk"), T(a + "selfAttn.bv")], 0))
                l.self_attn.out_proj.weight.copy_(T(a + "selfAttn.wo").T)
                l.self_attn.out_proj.bias.copy_(T(a + "selfAttn.bo"))
                l.linear1.weight.copy_(T(a + "ffn.w1").T)
                l.linear1.bias.copy_(T(a + "ffn.b1"))
                l.linear2.weight.copy_(T(a + "ffn.w2").T)
                l.linear2.bias.copy_(T(a + "ffn.b2"))
                for n in ("norm1", "norm2"):
                    getattr(l, n).weight.copy_(T(a + n + ".gamma"))
                    getattr(l, n).bias.copy_(T(a + n + ".beta"))
            self.norm.weight.copy_(T("finalNorm.gamma"))
            self.norm.bias.copy_(T("finalNorm.beta"))
            self.head.weight.copy_(T("head.w").T)
            self.head.bias.copy_(T("head.b"))


def read_split(folder, split):
    with gzip.open(os.path.join(folder, f"{split}-images.u8.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8)
    labels = np.fromfile(os.path.join(folder, f"{split}-labels.u8"), dtype=np.uint8)
    return images.reshape(len(labels), 28, 28).astype(np.float32) / 255.0, labels.astype(np.int64)


def lr_at(step, r):
    if step <= r["warmupSteps"]:
        return r["learningRate"] * step / r["warmupSteps"]
    t = min(1.0, (step - r["warmupSteps"]) / (r["steps"] - r["warmupSteps"]))
    return 0.5 * r["learningRate"] * (1 + math.cos(math.pi * t))


def accuracy(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(labels), 500):
            x = torch.from_numpy(images[s:s + 500, :, :, None])
            correct += (model(x).argmax(-1) == torch.from_numpy(labels[s:s + 500])).sum().item()
    model.train()
    return correct / len(labels)


def train(model, images, labels, r, seed):
    rng = np.random.default_rng(seed)
    s = r["maxShift"]
    padded = np.pad(images, ((0, 0), (s, s), (s, s)))
    opt = torch.optim.AdamW(model.parameters(), lr=r["learningRate"], weight_decay=r["weightDecay"])
    order, step, losses = [], 0, []
    while step < r["steps"]:
        if len(order) == 0:
            perm = rng.permutation(len(labels))
            order = [perm[i:i + r["batchSize"]] for i in range(0, len(perm) - r["batchSize"] + 1, r["batchSize"])]
        idx = order.pop(0)
        dy, dx = rng.integers(-s, s + 1, size=(2, len(idx)))
        batch = np.stack([padded[j, s - a:s - a + 28, s - b:s - b + 28] for j, a, b in zip(idx, dy, dx)])
        step += 1
        for g in opt.param_groups:
            g["lr"] = lr_at(step, r)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(torch.from_numpy(batch[:, :, :, None])), torch.from_numpy(labels[idx]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main():
    state = {}

    def load(msg):
        model = state["model"] = Vit(msg["config"])
        model.inject(load_weights(msg["weights"], msg["manifest"]))
        model.train()  # dropout is 0: deterministic, and no fused inference path
        data = state["data"] = {split: read_split(msg["mnist"], split) for split in ("train", "test")}
        x, y = data["test"]
        with torch.no_grad():
            first = model(torch.from_numpy(x[:64, :, :, None]))
            loss0 = F.cross_entropy(first, torch.from_numpy(y[:64])).item()
        return {"parameters": sum(p.numel() for p in model.parameters()), "torch": torch.__version__, "threads": torch.get_num_threads(),
                "loss0": loss0, "logits0": first[:4].numpy().ravel().tolist()}

    def train_cmd(msg):
        model, data = state["model"], state["data"]
        c0, t0 = time.process_time(), time.perf_counter()
        losses = train(model, *data["train"], msg["recipe"], msg["seed"])
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        return {"cpu_s": cpu, "wall_s": wall, "steps": len(losses), "final_loss": float(np.mean(losses[-50:])), "accuracy": accuracy(model, *data["test"])}

    serve({"load": load, "train": train_cmd})


if __name__ == "__main__":
    main()
