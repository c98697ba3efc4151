#!/usr/bin/env python3
"""Does a pair's grade depend on the other pairs of its label job?

Splits a judged collection into the pairs the human assessors graded >= 2 ("strong", what a good ranker
returns) and the pairs they graded 0 ("weak"), labels each set alone and both together with
`relevance label`, and prints the grade shares of each set in each job and how many pairs changed grade.
A pointwise labeler gives the same grades in every job; a job-relative one does not.

The human grade only splits the sets here; the labeler never reads it.

    python3 samples/tools/job_composition.py --model DIR [--pairs ../shared/data/trec-dl-2019-dev/judged_pairs.jsonl]
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile


def label(cli, model, pairs, work, name, options=()):
    src = os.path.join(work, name + ".jsonl")
    out = os.path.join(work, name + "-labels.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps({k: p[k] for k in ("qid", "query", "pid", "passage")}) + "\n")
    subprocess.run(cli + ["label", "--model", model, "--input", src, "--output", out, *options], check=True, stdout=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        return {(r["qid"], r["pid"]): (r["grade"], r["score"]) for r in map(json.loads, f)}


def shares(labels, keys):
    counts = collections.Counter(labels[k][0] for k in keys)
    return " / ".join(f"{counts[g] / len(keys):.3f}" for g in range(4))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="model version directory (or anything relevance label --model takes)")
    ap.add_argument("--pairs", default=os.path.join(root, "..", "shared", "data", "trec-dl-2019-dev", "judged_pairs.jsonl"))
    ap.add_argument("--cli", default=f"dotnet {os.path.join(root, 'src', 'Relevance.Cli', 'bin', 'Release', 'net10.0', 'relevance.dll')}",
                    help="how to run the relevance CLI (default: the Release build)")
    a = ap.parse_args()
    if not os.path.exists(a.pairs):
        sys.exit(f"{a.pairs} not found (the judged collections live in ../shared/data)")
    with open(a.pairs, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    strong = [r for r in rows if r.get("grade") is not None and r["grade"] >= 2]
    weak = [r for r in rows if r.get("grade") == 0]
    cli = a.cli.split()
    with tempfile.TemporaryDirectory() as work:
        alone_strong = label(cli, a.model, strong, work, "strong")
        alone_weak = label(cli, a.model, weak, work, "weak")
        mixed = label(cli, a.model, strong + weak, work, "mixed")
    ks = [(r["qid"], r["pid"]) for r in strong]
    kw = [(r["qid"], r["pid"]) for r in weak]
    print(f"{len(ks)} strong pairs (human grade >= 2), {len(kw)} weak pairs (human grade 0); grade shares 0 / 1 / 2 / 3")
    print(f"strong, own job:   {shares(alone_strong, ks)}")
    print(f"strong, mixed job: {shares(mixed, ks)}")
    print(f"weak, own job:     {shares(alone_weak, kw)}")
    print(f"weak, mixed job:   {shares(mixed, kw)}")
    changed = sum(alone_strong[k] != mixed[k] for k in ks) + sum(alone_weak[k] != mixed[k] for k in kw)
    print(f"pairs whose grade or score differs between their own job and the mixed job: {changed}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
