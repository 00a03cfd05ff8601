"""Seed experiment: learnable beta(x) trained on -mean(log(sigmoid(beta(x) * delta))).

Faithful, parametrised version of the script in the seed document (the
document's printed output corresponds to 200 epochs).  With --json FILE the
data, initial weights, per-epoch losses and final beta values are written out
as golden reference values for the Java tests.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.optim as optim


class BetaNetwork(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super(BetaNetwork, self).__init__()
        self.net = nn.Sequential(
            nn.Linear(input_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, 1),
            nn.Softplus(),  # beta(x) > 0
        )

    def forward(self, x):
        return self.net(x)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--samples", type=int, default=20)
    p.add_argument("--dim", type=int, default=5)
    p.add_argument("--hidden", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--json", metavar="FILE", help="write golden values to FILE")
    a = p.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    n, half = a.samples, a.samples // 2

    x = torch.randn(n, a.dim)
    y_w = torch.randn(n, 1)
    y_l = torch.randn(n, 1)
    delta = (y_w - y_l).squeeze() + torch.randn(n) * 0.1
    delta[half:] = -torch.abs(delta[half:])  # second half negative
    delta[:half] = torch.abs(delta[:half])   # first half positive

    beta_net = BetaNetwork(a.dim, a.hidden)
    lin1, lin2 = beta_net.net[0], beta_net.net[2]
    init = {
        "w1": lin1.weight.tolist(), "b1": lin1.bias.tolist(),
        "w2": lin2.weight.tolist(), "b2": lin2.bias.tolist(),
    }
    sigmoid = nn.Sigmoid()

    def loss_fn(beta_net, x, delta):
        beta_x = beta_net(x).squeeze()
        z = beta_x * delta
        return -torch.log(sigmoid(z)).mean()

    optimizer = optim.Adam(beta_net.parameters(), lr=a.lr)
    losses = []
    for epoch in range(a.epochs):
        optimizer.zero_grad()
        loss = loss_fn(beta_net, x, delta)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if (epoch + 1) % 40 == 0:
            print(f'Epoch {epoch + 1}, Loss: {loss.item():.4f}')

    with torch.no_grad():
        beta = beta_net(x).squeeze()
        beta_values = beta.numpy()
        delta_values = delta.numpy()
        print('\n训练结果：')
        print(f'{"Sample":<8} {"Δ":<10} {"β(x)":<10}')
        print('-' * 30)
        for i in range(n):
            print(f'{i:<8} {delta_values[i]:<10.4f} {beta_values[i]:<10.4f}')
        print(f'\n前 {half} 个样本 (Δ > 0) 的 β(x) 平均值:', beta_values[:half].mean())
        print(f'后 {n - half} 个样本 (Δ < 0) 的 β(x) 平均值:', beta_values[half:].mean())

    if a.json:
        out = {
            "seed": a.seed, "epochs": a.epochs, "samples": n, "dim": a.dim,
            "hidden": a.hidden, "lr": a.lr,
            "x": x.tolist(), "delta": delta.tolist(), "init": init,
            "loss": losses, "beta": beta.tolist(),
            # means of the (float32) beta values, accumulated in float64
            "mean_beta_pos": beta[:half].double().mean().item(),
            "mean_beta_neg": beta[half:].double().mean().item(),
        }
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
