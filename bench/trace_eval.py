"""Evaluation: does the trace name the true source of synthetic odour episodes?

    .venv/bin/python bench/trace_eval.py                 # the evaluation split (seeds 100000+)
    .venv/bin/python bench/trace_eval.py --split dev     # the tuning split (seeds 0+, other city settings)

Episodes come from ``bench/trace_synth.py`` (puffs under a meandering, turning, sometimes calm true
wind; stations with errors and gaps; complainants from population above an odour threshold; plants
of other smells on the same bearing at other distances). The constants of
``monitoring.attribution.Params`` were tuned on the dev split only; the eval split uses other seeds
and other city settings (more plants, monitors and stations, more calm, a less complete odour table).
In the same run: the nearest enterprise to the complaints, and the old rule
(``monitoring.trace_rules``: the first complaint, a 3 km radius, the mean wind over [t - 3 h, t + 1 min]
with look-ahead, a proximity bonus, exceedances at a plant's own monitors). Then the ablation:
top-1 with each evidence term left out. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trace_synth import DEV, EVAL, Episode, episode  # noqa: E402

from monitoring.attribution import TERMS, Params, Ranked, attribute  # noqa: E402
from monitoring.trace_rules import Candidate as OldCandidate  # noqa: E402
from monitoring.trace_rules import circular_mean_deg, rank_candidates  # noqa: E402

SPLITS = {"dev": (0, DEV), "eval": (100000, EVAL)}


def rank_of(ids: list[int], truth: int) -> int:
    """1-based rank of the truth in a ranking (a large number when absent)."""
    return ids.index(truth) + 1 if truth in ids else 10**6


def nearest_rank(ep: Episode) -> int:
    """Rank of the source when plants are ordered by distance to the complaints' median point."""
    xs = np.median([c.x for c in ep.scene.complaints])
    ys = np.median([c.y for c in ep.scene.complaints])
    order = sorted(ep.scene.candidates, key=lambda c: np.hypot(c.x - xs, c.y - ys))
    return rank_of([c.id for c in order], ep.source_id)


def old_rule_rank(ep: Episode) -> int:
    """Rank of the source under the old per-complaint rule, applied to the incident's first complaint."""
    first = ep.scene.complaints[0]
    directions = []
    for t, d in ep.station_readings:
        sel = (t >= first.t - 3 * 3600) & (t < first.t + 60)  # the old window, with its look-ahead
        directions.extend(d[sel].tolist())
    wind = circular_mean_deg(directions)
    peaks: dict[int, int] = {}
    for pk in ep.scene.peaks:  # walk-navigation peaks attached to the nearest plant
        near = min(ep.scene.candidates, key=lambda c: np.hypot(c.x - pk.x, c.y - pk.y))
        peaks[near.id] = peaks.get(near.id, 0) + 1
    cands = []
    for c in ep.scene.candidates:
        d = float(np.hypot(c.x - first.x, c.y - first.y))
        if d <= 3000:
            bearing = float(np.degrees(np.arctan2(c.x - first.x, c.y - first.y)) % 360)
            cands.append(OldCandidate(c.id, c.name, d, bearing, ep.exceed_counts.get(c.id, 0), peaks.get(c.id, 0)))
    ranked = rank_candidates(cands, wind_from_deg=wind, radius_m=3000)
    return rank_of([c.enterprise_id for c in ranked], ep.source_id)


def rescored(ranked: list[Ranked], skip: set[str]) -> list[int]:
    """Candidate ids best first with the terms in ``skip`` left out of every score."""
    scores = {r.candidate_id: sum(t.llr for t in r.terms if t.key not in skip) for r in ranked}
    return sorted(scores, key=lambda k: -scores[k])


def episodes(split: str, n: int) -> list[Episode]:
    """The first ``n`` episodes of a split that produced complaints."""
    start, settings = SPLITS[split]
    out, seed = [], start
    while len(out) < n:
        ep = episode(seed, settings)
        seed += 1
        if ep.scene.complaints:
            out.append(ep)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="eval")
    parser.add_argument("--episodes", type=int, default=240)
    parser.add_argument("--no-ablation", action="store_true")
    args = parser.parse_args()
    t_gen = time.perf_counter()
    eps = episodes(args.split, args.episodes)
    t_gen = time.perf_counter() - t_gen
    params = Params()
    t_run = time.perf_counter()
    results = [attribute(ep.scene, params).ranked for ep in eps]
    t_run = time.perf_counter() - t_run
    ours_a = np.array([rank_of([r.candidate_id for r in ranked], ep.source_id) for ranked, ep in zip(results, eps, strict=True)])
    nearest = np.array([nearest_rank(ep) for ep in eps])
    old = np.array([old_rule_rank(ep) for ep in eps])
    dist = np.array([np.median([np.hypot(c.x - s.x, c.y - s.y) for c in ep.scene.complaints])
                     for ep in eps for s in ep.scene.candidates if s.id == ep.source_id])
    n_comp = np.array([len(ep.scene.complaints) for ep in eps])
    print(f"split {args.split}: {len(eps)} episodes, complaints per episode median {int(np.median(n_comp))} "
          f"(min {n_comp.min()}, max {n_comp.max()}), source-complaint distance median {np.median(dist) / 1000:.1f} km "
          f"(10-90 %: {np.percentile(dist, 10) / 1000:.1f}-{np.percentile(dist, 90) / 1000:.1f} km); "
          f"generated in {t_gen:.0f} s, traced in {t_run:.1f} s")
    print(f"episodes with plants on the source's bearing (hard): {sum(ep.hard for ep in eps)}")
    for lo, hi in ((0, 5000), (5000, 12000), (12000, 10**9)):
        sel = (dist >= lo) & (dist < hi)
        if sel.any():
            print(f"  complaints {lo / 1000:.0f}-{min(hi, 99999) / 1000:.0f} km from the source: {sel.sum()} episodes, "
                  f"top-1 {np.mean(ours_a[sel] == 1):.3f}, nearest {np.mean(nearest[sel] == 1):.3f}, "
                  f"old rule {np.mean(old[sel] == 1):.3f}")
    top1, top3 = float(np.mean(ours_a == 1)), float(np.mean(ours_a <= 3))
    print(f"ours            top-1 {top1:.3f}  top-3 {top3:.3f}")
    print(f"nearest plant   top-1 {np.mean(nearest == 1):.3f}  top-3 {np.mean(nearest <= 3):.3f}")
    print(f"old rule        top-1 {np.mean(old == 1):.3f}  top-3 {np.mean(old <= 3):.3f}")
    ablation = {}
    if not args.no_ablation:
        for term in TERMS:
            # The terms do not depend on each other: leaving one out is re-summing the others.
            ranks = [rank_of(rescored(ranked, {term}), ep.source_id) for ranked, ep in zip(results, eps, strict=True)]
            ablation[term] = float(np.mean(np.array(ranks) == 1))
            print(f"without {term:9s} top-1 {ablation[term]:.3f} ({ablation[term] - top1:+.3f})")
    print(json.dumps({"episodes": len(eps), "top1": round(top1, 4), "top3": round(top3, 4),
                      "baseline_nearest_top1": round(float(np.mean(nearest == 1)), 4),
                      "baseline_old_top1": round(float(np.mean(old == 1)), 4),
                      "split": args.split, "ablation_top1": {k: round(v, 4) for k, v in ablation.items()}}))


if __name__ == "__main__":
    main()
