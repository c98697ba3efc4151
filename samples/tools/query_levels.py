#!/usr/bin/env python3
"""Two checks of where a distilled labeler's per-query grade level comes from, and whether a pointwise fix could reach it.

`terms` asks whether an unseen query's level follows how familiar its words are to the student. For every query of
a leave-one-collection-out fold it computes three features that depend on the query alone and on the training
split's text (the passages and queries of the training collections, less the student's held-out queries): the
share of the query's terms the training text never holds, the share it holds fewer than 3 times, and the mean
log document frequency of the terms. It correlates each with the student's per-query mean score (its "level") and
with the gap between the reference's level and the student's (both z-scored): on the held-out training queries,
where the reference is the teacher and a pointwise head could fit such a feature, and on the test collection,
where the reference is the assessors. A feature worth a head needs a clear correlation with the gap on both.

`neighbours` asks whether the labeler confuses topic with relevance across queries. For each query of a judged
collection it takes the k passages of other queries' pools that BM25 ranks highest for it (off its own pool),
labels them with `relevance label`, and prints their grade shares beside those of the query's own pool pairs the
assessors graded 0 (and, with --teacher, the teacher's shares on those). Training on cross-query passages as
assumed zeros only teaches something if the labeler grades them above 0.

The assessors' grades are read for scoring only. Standard library only.

    python3 samples/tools/query_levels.py terms --test ../shared/data/trec-dl-2019-dev \
        --train ../shared/data/trec-dl-2020,../shared/data/trec-dl-2021 /tmp/loco/cross-encoder-1fa1114f3673/test-trec-dl-2019-dev.json
    python3 samples/tools/query_levels.py neighbours --collection ../shared/data/trec-dl-2019-dev --model DIR \
        --teacher ../shared/data/trec-dl-2019-dev/teacher-labels/umbrela-gpt4o_zeroshot.qrels
"""
import argparse
import collections
import json
import math
import os
import re
import statistics
import sys
import tempfile

from job_composition import label, shares
from loco_students import per_query_means

# The project's BM25 baseline drops a longer list; these are enough for query-term statistics.
STOP = set("a an and are as at be by for from has he in is it its of on that the to was were will with what how who why "
           "when where which do does did can".split())


def tokens(text):
    return [t for t in re.findall(r"\w+", text.lower()) if t not in STOP]


def read_pairs(folder):
    path = os.path.join(folder, "judged_pairs.jsonl")
    if not os.path.exists(path):
        sys.exit(f"{path} not found (the judged collections live in ../shared/data)")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pearson(x, y):
    return statistics.correlation(x, y) if len(x) > 2 and len(set(x)) > 1 and len(set(y)) > 1 else float("nan")


def z(values):
    mean, sd = statistics.fmean(values), statistics.pstdev(values)
    return [(v - mean) / sd for v in values] if sd > 0 else [0.0] * len(values)


def terms(a):
    with open(a.student, encoding="utf-8") as f:
        record = json.load(f)
    held = {k.split("\t")[0] for k in record["Validation"]}
    train = [r for folder in a.train.split(",") for r in read_pairs(folder)]
    test = read_pairs(a.test)
    df = collections.Counter()
    for r in train:
        if r["qid"] not in held:
            df.update(set(tokens(r["passage"])))
    for query in {r["query"] for r in train if r["qid"] not in held}:
        df.update(tokens(query))

    def features(query):
        t = tokens(query) or [""]
        return [statistics.fmean(df[x] == 0 for x in t), statistics.fmean(df[x] < 3 for x in t),
                statistics.fmean(math.log1p(df[x]) for x in t)]

    def report(name, rows, scores, reference):
        scored = [(r, f"{r['qid']}\t{r['pid']}") for r in rows if f"{r['qid']}\t{r['pid']}" in scores]
        pair_qids = [r["qid"] for r, _ in scored]
        own = per_query_means(pair_qids, [scores[k] for _, k in scored])
        theirs = per_query_means(pair_qids, [reference(r, k) for r, k in scored])
        text = {r["qid"]: r["query"] for r, _ in scored}
        qids = sorted(own)
        level, ref = [own[q] for q in qids], [theirs[q] for q in qids]
        gap = [r - s for r, s in zip(z(ref), z(level))]
        feats = [features(text[q]) for q in qids]
        print(f"{name}: {len(qids)} queries, r(student level, reference level) {pearson(level, ref):+.2f}")
        for i, label in enumerate(["terms unseen in training text", "terms seen < 3 times", "mean log document frequency"]):
            f = [row[i] for row in feats]
            print(f"  {label:30s} queries with any {sum(v > 0 for v in f) / len(f):.2f}  "
                  f"r with the student's level {pearson(f, level):+.2f}  r with reference − student {pearson(f, gap):+.2f}")

    report("held-out training queries (reference: the teacher)", train, record["Validation"],
           lambda r, key: record["ValidationTeacher"][key])
    report("test queries (reference: the assessors)", test, record["Test"], lambda r, key: r["grade"])
    return 0


def bm25_neighbours(rows, k):
    passages, pool, queries = {}, collections.defaultdict(set), {}
    for r in rows:
        passages[r["pid"]] = r["passage"]
        pool[r["qid"]].add(r["pid"])
        queries[r["qid"]] = r["query"]
    tf = {p: collections.Counter(tokens(t)) for p, t in passages.items()}
    length = {p: sum(c.values()) for p, c in tf.items()}
    avg, n = statistics.fmean(length.values()), len(tf)
    df = collections.Counter(t for c in tf.values() for t in c)
    postings = collections.defaultdict(list)
    for p, c in tf.items():
        for t in c:
            postings[t].append(p)
    out = []
    for qid, query in queries.items():
        score = collections.defaultdict(float)
        for t in set(tokens(query)):
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            for p in postings.get(t, []):
                f = tf[p][t]
                score[p] += idf * f * 1.9 / (f + 0.9 * (0.6 + 0.4 * length[p] / avg))
        ranked = [p for p, _ in sorted(score.items(), key=lambda x: (-x[1], x[0])) if p not in pool[qid]]
        out += [{"qid": qid, "query": query, "pid": p, "passage": passages[p]} for p in ranked[:k]]
    return out


def neighbours(a):
    rows = read_pairs(a.collection)
    cross = bm25_neighbours(rows, a.k)
    zeros = [r for r in rows if r.get("grade") == 0]
    with tempfile.TemporaryDirectory() as work:
        options = ["--precision", a.precision]
        cross_labels = label(a.cli.split(), a.model, cross, work, "neighbours", options)
        zero_labels = label(a.cli.split(), a.model, zeros, work, "pool-zeros", options)
    zero_keys = [(r["qid"], r["pid"]) for r in zeros]
    rows_out = [("grade shares", "0 / 1 / 2 / 3"),
                (f"other queries' passages BM25 ranks highest ({len(cross)} pairs, {a.k} a query)", shares(cross_labels, list(cross_labels))),
                (f"the query's own pool, the assessors' grade 0 ({len(zeros)} pairs)", shares(zero_labels, zero_keys))]
    if a.teacher:
        teacher = {}
        with open(a.teacher, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    qid, _, pid, grade = line.split()[:4]
                    teacher[(qid, pid)] = (int(grade), None)
        known = [k for k in zero_keys if k in teacher]
        rows_out.append((f"  the teacher on those pairs ({len(known)} graded)", shares(teacher, known) if known else "none graded"))
    for name, value in rows_out:
        print(f"{name:68s} {value}")
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("terms", help="query-term familiarity against the student's per-query level")
    t.add_argument("--test", required=True, help="the test collection's folder")
    t.add_argument("--train", required=True, help="the training collections' folders, comma-separated")
    t.add_argument("student", help="a student's test-<collection>.json from relevance-lab experiment loco")
    n = sub.add_parser("neighbours", help="grades of other queries' passages against the pool's assessed zeros")
    n.add_argument("--collection", required=True)
    n.add_argument("--model", required=True, help="anything relevance label --model takes")
    n.add_argument("--k", type=int, default=20)
    n.add_argument("--teacher", help="the teacher's qrels for the collection")
    n.add_argument("--precision", default="fp32", choices=["auto", "fp32", "int8"])
    n.add_argument("--cli", default=f"dotnet {os.path.join(root, 'src', 'Relevance.Cli', 'bin', 'Release', 'net10.0', 'relevance.dll')}",
                   help="how to run the relevance CLI (default: the Release build)")
    a = ap.parse_args()
    return terms(a) if a.command == "terms" else neighbours(a)


if __name__ == "__main__":
    sys.exit(main())
