"""How far to trust one English sentence newsbot wrote from Arabic: one calibrated score.

Signals, all offline and cheap enough to compute for every sentence:

- ``lp_mean`` / ``lp_min``: the mean and the lowest token log-probability of the output,
  as the model server returned them (llama.cpp and OpenAI do; a cassette does not);
- ``cosine``: e5 cosine of the Arabic sentence and the English (the multilingual
  embedder already loaded for retrieval);
- ``flags``: how many of the pipeline's checks failed (numbers, names, negation,
  length, language).

They are combined by a logistic model, P(right in meaning), whose weights were fitted
by ``bench/confidence.py`` on the labelled seed dev split (bench/data/) and live in the
settings (``confidence_weights``) with the threshold (``confidence_floor``). A missing
signal takes its dev mean, so a server without log-probabilities still gets a score
from the rest. The bench reports how well each signal and the combination separate
wrong from right sentences on held-out data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from bot.embed import Embedder

FEATURES = ("lp_mean", "lp_min", "cosine", "flags")


@dataclass(frozen=True)
class Signals:
    lp_mean: float | None = None
    lp_min: float | None = None
    cosine: float | None = None
    flags: int = 0

    @classmethod
    def of(cls, logprobs: Sequence[float] | None, cosine: float | None, flags: int) -> Signals:
        lps = [x for x in logprobs or [] if math.isfinite(x)]  # a server's NaN is no signal
        return cls(
            lp_mean=sum(lps) / len(lps) if lps else None,
            lp_min=min(lps) if lps else None,
            cosine=cosine,
            flags=flags,
        )

    def as_json(self) -> dict[str, float | int | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def cross_cosines(embedder: Embedder, pairs: Sequence[tuple[str, str]]) -> list[float]:
    """e5 cosine of each (Arabic, English) pair, both embedded as passages."""
    if not pairs:
        return []
    ar = embedder.embed_passages([a for a, _ in pairs])
    en = embedder.embed_passages([e or "-" for _, e in pairs])
    return [float(np.dot(a, e)) for a, e in zip(ar, en, strict=True)]


def score(signals: Signals, weights: Mapping[str, float]) -> float:
    """P(the sentence is right in meaning), from the fitted logistic weights.

    ``weights`` holds ``bias``, one weight per feature, and ``mean_<feature>`` /
    ``scale_<feature>`` (the dev split's standardisation, also used for a missing value)."""
    z = weights.get("bias", 0.0)
    for name in FEATURES:
        value = getattr(signals, name)
        mean = weights.get(f"mean_{name}", 0.0)
        scale = weights.get(f"scale_{name}", 1.0) or 1.0
        x = mean if value is None else float(value)
        z += weights.get(name, 0.0) * (x - mean) / scale
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def fit(
    rows: Sequence[tuple[Signals, bool]], l2: float = 1.0, steps: int = 3000
) -> dict[str, float]:
    """Logistic regression (gradient descent, L2) on standardised features: the weights
    ``score`` takes. Small and dependency-free; the dev split has a few hundred rows."""
    cols: dict[str, list[float]] = {name: [] for name in FEATURES}
    for s, _ in rows:
        for name in FEATURES:
            v = getattr(s, name)
            if v is not None:
                cols[name].append(float(v))
    weights: dict[str, float] = {}
    for name, vals in cols.items():
        mean = sum(vals) / len(vals) if vals else 0.0
        var = sum((v - mean) ** 2 for v in vals) / len(vals) if vals else 1.0
        weights[f"mean_{name}"] = mean
        weights[f"scale_{name}"] = math.sqrt(var) or 1.0
    x = [
        [
            (
                (float(v) if (v := getattr(s, n)) is not None else weights[f"mean_{n}"])
                - weights[f"mean_{n}"]
            )
            / weights[f"scale_{n}"]
            for n in FEATURES
        ]
        for s, _ in rows
    ]
    y = [1.0 if right else 0.0 for _, right in rows]
    w = [0.0] * len(FEATURES)
    b = 0.0
    lr = 0.1
    n = max(1, len(rows))
    for _ in range(steps):
        gw = [0.0] * len(w)
        gb = 0.0
        for xi, yi in zip(x, y, strict=True):
            z = b + sum(wj * xj for wj, xj in zip(w, xi, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for j, xj in enumerate(xi):
                gw[j] += (p - yi) * xj
            gb += p - yi
        w = [wj - lr * (g / n + l2 * wj / n) for wj, g in zip(w, gw, strict=True)]
        b -= lr * gb / n
    weights["bias"] = b
    weights.update(dict(zip(FEATURES, w, strict=True)))
    return {k: round(v, 5) for k, v in weights.items()}


def auroc(scores: Sequence[float], right: Sequence[bool]) -> float:
    """Probability that a right sentence scores above a wrong one (ties count half)."""
    pos = [s for s, r in zip(scores, right, strict=True) if r]
    neg = [s for s, r in zip(scores, right, strict=True) if not r]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))
