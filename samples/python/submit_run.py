#!/usr/bin/env python3
"""Submit a search system's TREC run for continuous evaluation and wait for the result.

Uses only Debian's python3-pika (apt-get install python3-pika). The submission is plain JSON on the
`evaluate-run-submission` queue; the outcome comes back as one of three events, published by the
evaluation worker (MassTransit) to fanout exchanges named after the event type:

  Relevance.Contracts:RunEvaluated           the run's measures (trec_eval names), baseline, Δ, p, regressed
  Relevance.Contracts:RunRegressed           significantly worse than the system's baseline (nDCG@10)
  Relevance.Contracts:RunSubmissionRejected  bad input, with line-numbered errors

Example:
  python3 samples/python/submit_run.py --amqp amqp://relevance:relevance@127.0.0.1:5672/relevance \
      --system intranet-search --run runs/acme/bm25.run --topics runs/acme/topics.tsv \
      --passages runs/acme/passages.jsonl --labeler current

Prints the outcome as one JSON object. Exit status: 0 evaluated, 2 regressed, 3 rejected, 4 timed out.
"""
import argparse
import json
import sys
import time
import uuid

import pika

QUEUE = "evaluate-run-submission"
EVENTS = {
    "Relevance.Contracts:RunEvaluated": "evaluated",
    "Relevance.Contracts:RunRegressed": "regressed",
    "Relevance.Contracts:RunSubmissionRejected": "rejected",
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--amqp", required=True, help="amqp://user:password@host:port/vhost")
    p.add_argument("--system", required=True, help="the search system's name (its history key)")
    p.add_argument("--run", required=True, help="TREC run file: qid Q0 docid rank score tag")
    p.add_argument("--topics", help="qid<TAB>query per line (or give --benchmark)")
    p.add_argument("--passages", help="JSONL {pid, text}, sent inline")
    p.add_argument("--passages-path", help="JSONL {pid, text} on the evaluation worker's file system")
    p.add_argument("--benchmark", help="a benchmark set stored on the worker side (its queries and passages)")
    p.add_argument("--baseline", help="an earlier submission's run name (default: the latest that did not regress)")
    p.add_argument("--labeler", help="current (default), base, a model version, teacher:NAME")
    p.add_argument("--depth", type=int, help="pool depth (default 10)")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for the outcome")
    args = p.parse_args()

    submission_id = str(uuid.uuid4())
    message = {"submissionId": submission_id, "system": args.system, "run": read(args.run)}
    if args.topics:
        message["topics"] = read(args.topics)
    if args.passages:
        message["passages"] = read(args.passages)
    for key, value in (("passagesPath", args.passages_path), ("benchmark", args.benchmark), ("baseline", args.baseline),
                       ("labeler", args.labeler), ("depth", args.depth)):
        if value is not None:
            message[key] = value

    connection = pika.BlockingConnection(pika.URLParameters(args.amqp))
    channel = connection.channel()
    # Listen before submitting, so the answer cannot be missed: a private queue bound to the three event exchanges.
    # Declaring an exchange the worker also declares is harmless (same type and durability).
    answers = channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
    for exchange in EVENTS:
        channel.exchange_declare(exchange=exchange, exchange_type="fanout", durable=True)
        channel.queue_bind(queue=answers, exchange=exchange)

    # Publisher confirms + mandatory: a missing queue (no worker ever started) is an error, not a silent drop.
    channel.confirm_delivery()
    try:
        channel.basic_publish(exchange="", routing_key=QUEUE, body=json.dumps(message).encode("utf-8"), mandatory=True,
                              properties=pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                              message_id=submission_id))
    except pika.exceptions.UnroutableError:
        print(json.dumps({"outcome": "error", "error": f"no queue '{QUEUE}': is an evaluation worker running?"}))
        return 5

    outcome = {"submission_id": submission_id}
    deadline = time.monotonic() + args.timeout
    status = 4
    for method, properties, body in channel.consume(answers, inactivity_timeout=1.0):
        if time.monotonic() > deadline:
            outcome["outcome"] = "timeout"
            break
        if method is None:
            continue
        channel.basic_ack(method.delivery_tag)
        envelope = json.loads(body)
        event = envelope.get("message", envelope)
        if event.get("submissionId") != submission_id:
            continue
        kind = EVENTS.get(method.exchange, method.exchange)
        outcome[kind] = event
        if kind == "rejected":
            outcome["outcome"], status = "rejected", 3
            break
        if kind == "evaluated":
            outcome["outcome"] = "regressed" if event.get("regressed") else "evaluated"
            status = 2 if event.get("regressed") else 0
            # RunRegressed is published right after RunEvaluated: wait a moment for it when the run regressed.
            if not event.get("regressed") or "regressed" in outcome:
                break
        if kind == "regressed" and "evaluated" in outcome:
            break
    channel.cancel()
    connection.close()
    print(json.dumps(outcome, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
