#!/usr/bin/env python3
"""Fit saved leave-one-collection-out students together and ask where their grades miss the assessors.

`relevance-lab experiment loco` saves each student's scores as `test-<collection>.json` in its folder under
--work: the held-out training queries' scores ("Validation") with their teacher grades ("ValidationTeacher"),
and the test collection's scores ("Test"). This script reads several such files of one fold (they must hold
out the same training queries: same seed, same collections) and reports, against the test collection's human
grades:

- each student alone and a least-squares fit over all of them (as `loco --beside` does for two), and a fit
  over group means (the z-scored cross-encoders averaged, the z-scored bi-encoders averaged): the fits and the
  thresholds (the teacher's grade shares) come from the held-out training queries only;
- where the best fit misses: Pearson with the human grades overall, within a query (scores minus the query's
  mean) and of the per-query means (the query's "level"), beside the teacher's; and what κ_quad the fit would
  reach cut at the test pairs' own grade shares, or with the teacher's or the assessors' per-query level in
  place of its own (oracles: they read the test collection's grades, so they are diagnoses, not labelers).

Standard library only. The human grade is read for scoring and the oracles, never for fitting.

    python3 samples/tools/loco_students.py --collection ../shared/data/trec-dl-2019-dev \
        /tmp/loco/cross-encoder-1fa1114f3673/test-trec-dl-2019-dev.json /tmp/loco/bi-encoder-c3e9804feb25/test-trec-dl-2019-dev.json
"""
import argparse
import collections
import json
import math
import os


def quadratic_kappa(a, b, k=4):
    observed = [[0] * k for _ in range(k)]
    for x, y in zip(a, b):
        observed[x][y] += 1
    n = len(a)
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    w = [[((i - j) / (k - 1)) ** 2 for j in range(k)] for i in range(k)]
    o = sum(w[i][j] * observed[i][j] for i in range(k) for j in range(k))
    e = sum(w[i][j] * rows[i] * cols[j] / n for i in range(k) for j in range(k))
    return 1 - o / e


def ordinal_alpha(a, b, k=4):
    c = [[0] * k for _ in range(k)]
    for x, y in zip(a, b):
        c[x][y] += 1
        c[y][x] += 1
    n = [sum(r) for r in c]
    total = sum(n)
    d = [[(sum(n[min(i, j):max(i, j) + 1]) - (n[i] + n[j]) / 2) ** 2 for j in range(k)] for i in range(k)]
    observed = sum(c[i][j] * d[i][j] for i in range(k) for j in range(k)) / total
    expected = sum(n[i] * n[j] * d[i][j] for i in range(k) for j in range(k)) / (total * (total - 1))
    return 1 - observed / expected


def by_query(qids, *columns):
    groups = collections.defaultdict(list)
    for i, q in enumerate(qids):
        groups[q].append(i)
    return [[[col[i] for i in idx] for col in columns] for idx in groups.values()]


def ndcg10(qids, scores, human):
    """Tie-aware NDCG@10 of the scores ranking each query's judged pairs, gains 2^grade - 1."""
    disc = [1 / math.log2(r + 2) for r in range(10)]
    out = []
    for s, g in by_query(qids, scores, human):
        gains = [2 ** x - 1 for x in g]
        idcg = sum(x * d for x, d in zip(sorted(gains, reverse=True)[:10], disc))
        if idcg == 0:
            continue
        tied = collections.defaultdict(list)
        for x, gain in zip(s, gains):
            tied[x].append(gain)
        dcg, pos = 0.0, 0
        for x in sorted(tied, reverse=True):
            mean = sum(tied[x]) / len(tied[x])
            for p in range(pos, min(pos + len(tied[x]), 10)):
                dcg += mean * disc[p]
            pos += len(tied[x])
            if pos >= 10:
                break
        out.append(dcg / idcg)
    return sum(out) / len(out)


def pairwise_accuracy(qids, scores, human):
    out = []
    for s, g in by_query(qids, scores, human):
        right = total = 0.0
        for i in range(len(s)):
            for j in range(len(s)):
                if g[i] > g[j]:
                    total += 1
                    right += 1 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0
        if total:
            out.append(right / total)
    return sum(out) / len(out)


def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def least_squares(rows, y):
    """Intercept first; normal equations solved by Gauss-Jordan elimination (a handful of features)."""
    x = [[1.0] + list(r) for r in rows]
    m = len(x[0])
    a = [[sum(r[i] * r[j] for r in x) for j in range(m)] + [sum(r[i] * t for r, t in zip(x, y))] for i in range(m)]
    for c in range(m):
        p = max(range(c, m), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        for r in range(m):
            if r != c:
                f = a[r][c] / a[c][c]
                a[r] = [u - f * v for u, v in zip(a[r], a[c])]
    return [a[i][m] / a[i][i] for i in range(m)]


def predict(w, rows):
    return [w[0] + sum(a * b for a, b in zip(w[1:], r)) for r in rows]


def cuts_at_shares(scores, grades):
    s = sorted(scores)
    n = len(s)
    cuts, cum = [], 0
    for g in range(3):
        cum += sum(1 for x in grades if x == g) / len(grades)
        cuts.append(s[min(n - 1, int(round(cum * n)))])
    return cuts


def grade(scores, cuts):
    return [sum(1 for c in cuts if c <= x) for x in scores]


def per_query_means(qids, values):
    sums, counts = collections.defaultdict(float), collections.Counter()
    for q, v in zip(qids, values):
        sums[q] += v
        counts[q] += 1
    return {q: sums[q] / counts[q] for q in sums}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--collection", required=True, help="the test collection's folder (judged_pairs.jsonl, teacher-labels/)")
    ap.add_argument("--teacher", default="umbrela-gpt4o_zeroshot")
    ap.add_argument("--queries", action="store_true", help="also list each query's mean human grade, teacher grade and fitted score")
    ap.add_argument("--shrink", action="store_true",
                    help="also pull the fit's per-query level toward its mean, on the held-out training queries and on the test "
                         "(a diagnosis, not a labeler: the level is read off each query's judged pool)")
    ap.add_argument("students", nargs="+", help="test-<collection>.json files of saved students, one fold")
    args = ap.parse_args()

    with open(os.path.join(args.collection, "judged_pairs.jsonl"), encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f]
    teacher = {}
    with open(os.path.join(args.collection, "teacher-labels", args.teacher + ".qrels"), encoding="utf-8") as f:
        for line in f:
            q, _, p, g = line.split()
            teacher[(q, p)] = int(g)
    records = []
    for path in args.students:
        with open(path, encoding="utf-8") as f:
            records.append(json.load(f))
    held_out = sorted(records[0]["Validation"])
    for path, r in zip(args.students, records):
        if sorted(r["Validation"]) != held_out:
            raise SystemExit(f"{path} held out other training queries than {args.students[0]}: not one fold's students")
    names = [os.path.basename(os.path.dirname(os.path.abspath(p))) or p for p in args.students]
    y = [records[0]["ValidationTeacher"][k] for k in held_out]
    v = [[r["Validation"][k] for r in records] for k in held_out]
    keys = [f"{p['qid']}\t{p['pid']}" for p in pairs]
    missing = [k for k in keys if any(k not in r["Test"] for r in records)]
    if missing:
        raise SystemExit(f"{len(missing)} test pairs have no score (e.g. {missing[0]!r}): the files are not of this collection")
    t = [[r["Test"][k] for r in records] for k in keys]
    qids = [p["qid"] for p in pairs]
    human = [p["grade"] for p in pairs]
    gpt = [teacher.get((p["qid"], p["pid"])) for p in pairs]

    print(f"{len(pairs)} test pairs, {len(set(qids))} queries; {len(held_out)} held-out training pairs fit the heads")
    print(f"{'labeler':58s} κ_quad  α_ord  NDCG@10 pairwise")

    def report(name, score, grades):
        print(f"{name:58s} {quadratic_kappa(human, grades):.3f}  {ordinal_alpha(human, grades):.3f}  "
              f"{ndcg10(qids, score, human):.3f}   {pairwise_accuracy(qids, score, human):.3f}")

    def fitted(name, fit_rows, test_rows):
        w = least_squares(fit_rows, y)
        cuts = cuts_at_shares(predict(w, fit_rows), y)
        score = predict(w, test_rows)
        report(name, score, grade(score, cuts))
        return score, cuts, w

    for i, n in enumerate(names):
        v_rows = [[r[i]] for r in v]
        score, _, w = fitted(n, v_rows, [[r[i]] for r in t])
    if len(records) > 1:
        v_rows = v
        score, _, w = fitted("least squares over all", v, t)
        print("  weights: intercept %.3f, %s" % (w[0], ", ".join(f"{n} {x:.3f}" for n, x in zip(names, w[1:]))))
        groups = [[i for i, n in enumerate(names) if n.startswith(kind)] for kind in ("cross-encoder", "bi-encoder")]
        groups = [g for g in groups if g]
        if len(groups) == 2 and any(len(g) > 1 for g in groups):
            mean = [sum(r[i] for r in v) / len(v) for i in range(len(names))]
            sd = [math.sqrt(sum((r[i] - mean[i]) ** 2 for r in v) / len(v)) for i in range(len(names))]
            z = lambda rows: [[sum((r[i] - mean[i]) / sd[i] for i in g) / len(g) for g in groups] for r in rows]
            fitted("z-scored means of the cross- and the bi-encoders", z(v), z(t))

    if all(g is not None for g in gpt):
        report(args.teacher, gpt, gpt)
        print()
        print("where the fit misses (Pearson with the human grades):")
        hl = per_query_means(qids, human)
        hwithin = [x - hl[q] for q, x in zip(qids, human)]
        for name, s in (("the fit", score), (args.teacher, gpt)):
            level = per_query_means(qids, s)
            within = [x - level[q] for q, x in zip(qids, s)]
            qs = sorted(level)
            print(f"  {name:30s} overall {pearson(s, human):.3f}  within a query {pearson(within, hwithin):.3f}  "
                  f"per-query means {pearson([level[q] for q in qs], [hl[q] for q in qs]):.3f}")
        for name, values in ((args.teacher, gpt), ("the assessors (an oracle)", human)):
            report(f"the fit, cut at the test pairs' shares by {name}", score, grade(score, cuts_at_shares(score, values)))
        own = per_query_means(qids, score)
        for name, values in ((args.teacher, gpt), ("the assessors (an oracle)", human)):
            level = per_query_means(qids, values)
            mean = sum(level.values()) / len(level)
            swapped = [x - own[q] + level[q] - mean + sum(score) / len(score) for q, x in zip(qids, score)]
            report(f"the fit, per-query level from {name}", swapped,
                   grade(swapped, cuts_at_shares(swapped, gpt)))
        if args.shrink:
            # Does the fit's own per-query level help? Shrink it by λ on both sides; the cuts are re-learned on the
            # held-out training queries at every λ, as the labeler's are.
            vqids = [k.split("\t")[0] for k in held_out]
            fit_v = predict(w, v_rows)
            def shrunk(qs, values, lam):
                level = per_query_means(qs, values)
                mean = sum(values) / len(values)
                return [x - lam * (level[q] - mean) for q, x in zip(qs, values)]
            print()
            print("the fit's per-query level shrunk toward its mean by λ: κ_quad with the teacher on the held-out training queries,"
                  " κ_quad / α with the assessors on the test")
            for lam in (0.0, 0.25, 0.5, 0.75, 1.0):
                sv, st = shrunk(vqids, fit_v, lam), shrunk(qids, score, lam)
                cuts_l = cuts_at_shares(sv, y)
                gv, gt = grade(sv, cuts_l), grade(st, cuts_l)
                print(f"  λ {lam:.2f}: held-out teacher {quadratic_kappa([int(t) for t in y], gv):.3f}   "
                      f"test {quadratic_kappa(human, gt):.3f} / {ordinal_alpha(human, gt):.3f}")
        if args.queries:
            tl = per_query_means(qids, gpt)
            text = {p["qid"]: p["query"] for p in pairs}
            counts = collections.Counter(qids)
            print()
            print("per query, by the fit's mean score minus the assessors' mean grade:")
            print("humans teacher  fit  pairs query")
            for q in sorted(own, key=lambda q: own[q] - hl[q]):
                print(f"{hl[q]:6.2f} {tl[q]:6.2f} {own[q]:6.2f} {counts[q]:5d} {text[q]}")


if __name__ == "__main__":
    main()
