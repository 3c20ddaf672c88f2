"""PyTorch peer of bench/spam.ts's baseline: the same bag-of-words features (sent as sparse rows),
logistic regression fitted to scikit-learn's objective (C * summed log-loss + 1/2 |w|^2, bias not
penalised) by L-BFGS to convergence, as scikit-learn's default solver does. It tells whether the
tfjs baseline (a fixed number of Adam steps) reached the same optimum. JSON lines, one thread."""
import time

import torch
from peer_io import serve

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def dense(rows, features):
    x = torch.zeros(len(rows), features)
    for r, (ids, values) in enumerate(rows):
        x[r, ids] = torch.tensor(values)
    return x


def main():
    def fit(msg):
        c0 = time.process_time()
        f = msg["features"]
        xs = {k: dense(msg[k]["rows"], f) for k in ("train", "val", "test")}
        ys = {k: torch.tensor(msg[k]["labels"], dtype=torch.float64) for k in ("train", "val", "test")}
        w = torch.zeros(f, requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=500, tolerance_grad=1e-8, tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")
        C = msg["C"]

        def closure():
            opt.zero_grad()
            z = xs["train"] @ w + b
            loss = C * torch.nn.functional.binary_cross_entropy_with_logits(z, ys["train"], reduction="sum") + 0.5 * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            n = len(msg["train"]["labels"])
            z = xs["train"] @ w + b
            mean_loss = float(torch.nn.functional.binary_cross_entropy_with_logits(z, ys["train"]) + 0.5 * (w * w).sum() / (C * n))
            acc = {k: float(((xs[k] @ w + b > 0).double() == ys[k]).double().mean()) for k in ("train", "val", "test")}
        return {"accuracy": acc, "objective": mean_loss, "cpu_s": time.process_time() - c0, "torch": torch.__version__}

    serve({"fit": fit})


if __name__ == "__main__":
    main()
