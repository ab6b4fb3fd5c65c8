"""Classify N complaint texts (default 20,000) with the lexicon alone and with the trained model; report texts/s.

The texts are the training corpus's, cycled (real lengths and registers). The model runs in batches
of the import's size (2,000), as ``ingest.service.prepare_batch`` calls it. The last line is JSON.

    PYTHONPATH=$PWD python bench/classify_speed.py [--texts 20000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# bench/ingest.py would shadow the ingest package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.classifier_model import default_model_classifier  # noqa: E402
from ingest.classify import default_classifier  # noqa: E402
from ingest.training import corpus_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    corpus = [r.text for r in corpus_rows()]
    texts = [corpus[i % len(corpus)] for i in range(args.texts)]
    lexicon, model = default_classifier(), default_model_classifier()
    lexicon.classify("预热")  # jieba's dictionary loads once, outside the timing
    model.classify("预热")
    started = time.perf_counter()
    for text in texts:
        lexicon.classify(text)
    lexicon_s = time.perf_counter() - started
    started = time.perf_counter()
    for at in range(0, len(texts), args.batch):
        model.classify_many(texts[at:at + args.batch])
    model_s = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"{len(texts):,} texts: lexicon {len(texts) / lexicon_s:,.0f}/s, trained model {len(texts) / model_s:,.0f}/s "
          f"(batches of {args.batch}; load average {load:.1f})")
    print(json.dumps({"bench": "classify_speed", "texts": len(texts), "lexicon_per_s": round(len(texts) / lexicon_s),
                      "model_per_s": round(len(texts) / model_s), "model_version": model.version,
                      "load_average": round(load, 1)}))


if __name__ == "__main__":
    main()
