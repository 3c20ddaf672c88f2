"""PyTorch peer of bench/g2p.ts: notebook 06's two models (the pre-norm encoder-decoder
Transformer with tied output embedding and sinusoidal positions, and the GRU encoder-decoder
whose decoder sees one fixed context vector), with the same weights injected from tfjs, trained
with torch.optim.AdamW on one CPU thread on the same batches. Speaks JSON lines on stdin/stdout
(see bench/peer.ts).

Weights arrive in the kit's layout (y = x @ W + b, W [d_in, d_out]; GRU wx [din, 3h] and
wh [h, 3h] with PyTorch's r | z | n gate order), by name as in lib/support/models/*.ts.
"""
import json
import math
import resource
import time

import torch
import torch.nn.functional as F
from peer_io import load_weights, serve

torch.set_num_threads(1)
PAD = 0


def sinusoidal(n, d):
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    i2 = torch.arange(0, d, 2, dtype=torch.float64)
    angles = pos / torch.pow(10000.0, i2 / d)
    return torch.stack([torch.sin(angles), torch.cos(angles)], 2).reshape(n, d).float()


class Transformer:
    def __init__(self, c, p):
        self.c, self.p = c, p
        self.pos = sinusoidal(c["maxLen"], c["d"])

    def mha(self, xq, xkv, a, allowed):
        c = self.c
        B, Tq, d = xq.shape
        Tk = xkv.shape[1]
        h = c["numHeads"]
        dh = d // h
        q = (xq @ self.p[a + "wq"] + self.p[a + "bq"]).view(B, Tq, h, dh).transpose(1, 2)
        k = (xkv @ self.p[a + "wk"] + self.p[a + "bk"]).view(B, Tk, h, dh).transpose(1, 2)
        v = (xkv @ self.p[a + "wv"] + self.p[a + "bv"]).view(B, Tk, h, dh).transpose(1, 2)
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
        w = torch.softmax(s.masked_fill(~allowed[:, None], float("-inf")), -1)
        o = (w @ v).transpose(1, 2).reshape(B, Tq, d)
        return o @ self.p[a + "wo"] + self.p[a + "bo"]

    def ln(self, x, n):
        return F.layer_norm(x, (self.c["d"],), self.p[n + ".gamma"], self.p[n + ".beta"], 1e-5)

    def ffn(self, x, a):
        return torch.relu(x @ self.p[a + "w1"] + self.p[a + "b1"]) @ self.p[a + "w2"] + self.p[a + "b2"]

    def logits(self, src, tgt_in):
        c, p = self.c, self.p
        d = c["d"]
        B, Ts = src.shape
        Tt = tgt_in.shape[1]
        valid = src != PAD  # [B, Ts]
        x = p["srcEmbedding"][src] * math.sqrt(d) + self.pos[:Ts]
        enc_mask = valid[:, None, :].expand(B, Ts, Ts)
        for i in range(c["numLayers"]):
            a = f"encoder.{i}."
            n1 = self.ln(x, a + "norm1")
            x = x + self.mha(n1, n1, a + "selfAttn.", enc_mask)
            x = x + self.ffn(self.ln(x, a + "norm2"), a + "ffn.")
        memory = self.ln(x, "encoderNorm")
        y = p["embedding"][tgt_in] * math.sqrt(d) + self.pos[:Tt]
        causal = torch.ones(Tt, Tt).tril().bool()[None].expand(B, Tt, Tt)
        cross_mask = valid[:, None, :].expand(B, Tt, Ts)
        for i in range(c["numLayers"]):
            a = f"decoder.{i}."
            n1 = self.ln(y, a + "norm1")
            y = y + self.mha(n1, n1, a + "selfAttn.", causal)
            y = y + self.mha(self.ln(y, a + "norm2"), memory, a + "crossAttn.", cross_mask)
            y = y + self.ffn(self.ln(y, a + "norm3"), a + "ffn.")
        return self.ln(y, "decoderNorm") @ p["embedding"].T + p["outBias"]

    def parameters(self):
        return list(self.p.values())


class Gru:
    """nn.GRU modules (PyTorch's fused CPU kernels) holding the injected weights."""

    def __init__(self, c, p):
        self.c = c
        self.emb_src = p["srcEmbedding"]
        self.emb_tgt = p["tgtEmbedding"]
        self.head_w, self.head_b = p["head.w"], p["head.b"]
        self.enc = self._gru(p, "encoder", c["embed"])
        self.dec = self._gru(p, "decoder", c["embed"] + c["hidden"])

    def _gru(self, p, name, din):
        g = torch.nn.GRU(din, self.c["hidden"], batch_first=True)
        with torch.no_grad():
            g.weight_ih_l0.copy_(p[name + ".wx"].detach().T)
            g.bias_ih_l0.copy_(p[name + ".bx"].detach())
            g.weight_hh_l0.copy_(p[name + ".wh"].detach().T)
            g.bias_hh_l0.copy_(p[name + ".bh"].detach())
        return g

    def logits(self, src, tgt_in):
        lengths = (src != PAD).sum(1)
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.emb_src[src], lengths, batch_first=True, enforce_sorted=False)
        _, context = self.enc(packed)  # [1, B, h]: the state after each word's last letter
        B, Tt = tgt_in.shape
        x = torch.cat([self.emb_tgt[tgt_in], context.transpose(0, 1).expand(B, Tt, self.c["hidden"])], 2)
        states, _ = self.dec(x, context)
        return states @ self.head_w + self.head_b

    def parameters(self):
        return [self.emb_src, self.emb_tgt, self.head_w, self.head_b, *self.enc.parameters(), *self.dec.parameters()]


def build(kind, config, tensors):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in tensors.items()}
    return Transformer(config, p) if kind == "transformer" else Gru(config, p)


def loss_of(model, batch):
    src, tgt_in, tgt_out = batch
    logits = model.logits(src, tgt_in)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=PAD)


def main():
    state = {}

    def load(msg):
        tensors = load_weights(msg["weights"], msg["manifest"])
        with open(msg["batches"]) as f:
            raw = json.load(f)
        batches = [tuple(torch.tensor(b[k], dtype=torch.int64) for k in ("src", "tgtIn", "tgtOut")) for b in raw]
        state.update({"msg": msg, "tensors": tensors, "batches": batches, "cursor": 0})
        state["model"] = build(msg["kind"], msg["config"], tensors)
        state["opt"] = torch.optim.AdamW(state["model"].parameters(), lr=msg["learningRate"], weight_decay=msg["weightDecay"])
        return {"parameters": sum(t.numel() for t in state["model"].parameters()), "torch": torch.__version__, "threads": torch.get_num_threads()}

    def check(msg):
        # Loss at the injected weights, then the losses of `steps` AdamW steps from them.
        m = state["msg"]
        model = build(m["kind"], m["config"], state["tensors"])
        opt = torch.optim.AdamW(model.parameters(), lr=m["learningRate"], weight_decay=m["weightDecay"])
        with torch.no_grad():
            loss0 = loss_of(model, state["batches"][0]).item()
        losses = []
        for s in range(msg["steps"]):
            opt.zero_grad(set_to_none=True)
            l = loss_of(model, state["batches"][s % len(state["batches"])])
            l.backward()
            opt.step()
            losses.append(l.item())
        return {"loss0": loss0, "losses": losses}

    def timed(msg):
        model, opt, batches = state["model"], state["opt"], state["batches"]
        walls = []
        c0 = time.process_time()
        for _ in range(msg["steps"]):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            l = loss_of(model, batches[state["cursor"] % len(batches)])
            l.backward()
            opt.step()
            l.item()
            walls.append((time.perf_counter() - t0) * 1000)
            state["cursor"] += 1
        return {"wall_ms": walls, "cpu_ms": (time.process_time() - c0) * 1000, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}

    serve({"load": load, "check": check, "time": timed})


if __name__ == "__main__":
    main()
