#!/usr/bin/env python3
"""What scripts/run.sh reads and prints about the network it started.

Everything here is plain functions over the JSON the network already gives, so it is tested
without a network (`python3 scripts/lib/run_status.py self-test`, which scripts/test.sh runs):

- the metagraph: `mindos --json subnet show N` (cli/README.md, "--json");
- who each uid is: the "hotkey registered" line each miner and validator logs with its
  netuid and uid (run.sh names each log after its process: `miner-digits-1.log`,
  `miner-digits-FAULTY-garbage.log`, `validator-a.log`, ...);
- whether a validator revealed weights: its "weights revealed" log line;
- each miner's last answer latency: the `served_by` of the last sample query run.sh sent
  through the gateway (`mindos --json query`: the latency the gateway measured), merged
  per subnet into `latency-N.json`;
- each miner's challenge score: the gateway's `subnet_info` (validator/README.md,
  "Gateway reference").

Subcommands (run.sh's only interface to this file):
  cargo-bins NAME[:+FEATURE|:-FEATURE]...   cargo's JSON messages on stdin: those
                                      binaries' paths, checked for (or against) a feature
  record-query NETUID QUERY LATENCY   merge a query's served_by into LATENCY; print a line
  progress NETUID SHOW LOGDIR         "revealed paid": 0/1 each
  epoch-key SHOW                      what changes when an epoch pays (to refresh on it)
  table NETUID SHOW INFO LATENCY LOGDIR   the status table
  self-test
"""

import json
import os
import re
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FIELD = re.compile(r"(\w+)=(\S+)")


def log_fields(line):
    """The `key=value` fields of one tracing log line, ANSI colours removed."""
    return dict(FIELD.findall(ANSI.sub("", line)))


def number(text):
    """The number in a logged value (`3`, or `NetUid(3)` should its display change)."""
    found = re.search(r"\d+", text or "")
    return int(found.group()) if found else None


def process_logs(logdir):
    """(name, path) of each miner's and validator's log in logdir."""
    out = []
    for entry in sorted(os.listdir(logdir)):
        if entry.endswith(".log") and entry.startswith(("miner-", "validator-")):
            out.append((entry[: -len(".log")], os.path.join(logdir, entry)))
    return out


def read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except OSError:
        return []


def roles(logdir):
    """{(netuid, uid): process name} from the processes' "hotkey registered" lines."""
    found = {}
    for name, path in process_logs(logdir):
        for line in read_lines(path):
            if "hotkey registered" not in line:
                continue
            fields = log_fields(line)
            netuid, uid = number(fields.get("netuid")), number(fields.get("uid"))
            if netuid is not None and uid is not None:
                found[(netuid, uid)] = name
    return found


def revealed(logdir, netuid):
    """Whether any validator logged revealed weights on netuid."""
    for name, path in process_logs(logdir):
        if not name.startswith("validator-"):
            continue
        for line in read_lines(path):
            if "weights revealed" in line and number(log_fields(line).get("netuid")) == netuid:
                return True
    return False


def paid(show):
    """An epoch has paid on this metagraph: some miner has incentive and some validator
    dividends (both parts per billion)."""
    neurons = show.get("neurons", [])
    return any(n.get("incentive", 0) > 0 for n in neurons) and any(
        n.get("dividends", 0) > 0 for n in neurons
    )


def epoch_key(show):
    """The columns an epoch's payout changes; the block is left out."""
    return json.dumps(
        [
            [
                n.get("uid"),
                n.get("incentive"),
                n.get("dividends"),
                (n.get("emission") or {}).get("planck"),
                (n.get("stake") or {}).get("planck"),
                n.get("reputation"),
                n.get("quarantined_until"),
                n.get("validator_permit"),
            ]
            for n in show.get("neurons", [])
        ],
        sort_keys=True,
    )


def merge_latency(latency, query, now):
    """latency: {uid: {"ms", "at"}} (keys as strings, JSON's); adds the query's served_by."""
    for served in query.get("served_by", []):
        latency[str(served["uid"])] = {"ms": served["latency_ms"], "at": now}
    return latency


def answer_line(netuid, query):
    """One line about a sample query's answer."""
    output = query.get("output", {})
    if "label" in output:
        what = f"label {output['label']}"
    elif "embedding" in output:
        what = f"embedding of {len(output['embedding'])} numbers"
    else:
        what = json.dumps(output)[:60]
    served = ", ".join(
        f"uid {s['uid']} in {s['latency_ms']:.1f} ms" for s in query.get("served_by", [])
    )
    return (
        f"subnet {netuid} ({query.get('subnet', '?')}): {what}, agreement "
        f"{query.get('agreement', 0):.2f}, served by {served}; round trip "
        f"{query.get('latency_ms', 0):.1f} ms"
    )


def role_of(name, neuron):
    """The role column: the process's name as run.sh started it, else what the chain says."""
    if name is None:
        kind = "validator" if neuron.get("validator_permit") else "neuron"
        return f"{kind} (not started by run.sh)"
    if name.startswith("validator-"):
        permit = "" if neuron.get("validator_permit") else ", no permit yet"
        return f"{name}{permit}"
    return name


def percent(ppb):
    return f"{ppb / 1e7:.1f}%"


def table(netuid, show, info, latency, names):
    """The status table of one subnet, as lines."""
    scores = {m["uid"]: m for m in (info or {}).get("miners", [])}
    head = ("UID", "ROLE", "STAKE", "INCENTIVE", "DIVIDENDS", "REPUTATION", "QUARANTINE",
            "SCORE", "LATENCY")
    rows = []
    for n in sorted(show.get("neurons", []), key=lambda n: n["uid"]):
        uid = n["uid"]
        name = names.get((netuid, uid))
        # The gateway challenges every served neuron, validators too; a validator's score
        # (always 0: it serves no model) says nothing.
        score = None if (name or "").startswith("validator-") else scores.get(uid)
        seen = latency.get(str(uid))
        until = n.get("quarantined_until")
        rows.append((
            str(uid),
            role_of(name, n),
            f"{float((n.get('stake') or {}).get('mind', 0)):g}",
            percent(n.get("incentive", 0)),
            percent(n.get("dividends", 0)),
            percent(n.get("reputation", 0)),
            "-" if until is None else f"until {until}",
            "-" if score is None else f"{score['score']:.2f} ({score['samples']})",
            "-" if seen is None else f"{seen['ms']:.1f} ms",
        ))
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    title = (
        f"subnet {netuid} `{show.get('name', '?')}` at block #{show.get('block', '?')}: "
        f"{len(rows)} neurons"
    )
    return [title] + [fmt.format(*r).rstrip() for r in [head] + rows]


TABLE_NOTE = (
    "STAKE in MIND; INCENTIVE, DIVIDENDS, REPUTATION from the chain (mindos subnet show); "
    "SCORE (samples): validator-a's challenge score of each miner (gateway subnet_info; "
    "served miners that are not quarantined); LATENCY: the miner's last answer to run.sh's sample queries, "
    "as validator-a's gateway measured it"
)


def cargo_bins(lines, wanted):
    """The executables of the binaries `wanted` names, in its order, from cargo's
    `--message-format=json` lines. Each is `NAME`, `NAME:+FEATURE` (built with FEATURE) or
    `NAME:-FEATURE` (built without it). Raises SystemExit naming what is missing or wrong."""
    rules = {}
    for spec in wanted:
        name, _, rule = spec.partition(":")
        rules[name] = rule
    found = {}
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        target = message.get("target") or {}
        if message.get("reason") != "compiler-artifact" or "bin" not in target.get("kind", []):
            continue
        # A test build also compiles each binary's unit tests, as a `bin` of the same name.
        if (message.get("profile") or {}).get("test"):
            continue
        name = target.get("name")
        if name not in rules:
            continue
        rule, features = rules[name], message.get("features", [])
        if rule.startswith("+") and rule[1:] not in features:
            raise SystemExit(f"[run] {name} was built without {rule[1:]}")
        if rule.startswith("-") and rule[1:] in features:
            raise SystemExit(f"[run] {name} was built with {rule[1:]}")
        found[name] = message["executable"]
    missing = [name for name in rules if name not in found]
    if missing:
        raise SystemExit("[run] cargo reported no binary for " + ", ".join(missing))
    return [found[name] for name in rules]


def load(path, default=None):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "cargo-bins":
        for path in cargo_bins(sys.stdin, argv[2:]):
            print(path)
    elif cmd == "record-query":
        netuid, query_path, latency_path = argv[2:5]
        query = load(query_path)
        latency = merge_latency(load(latency_path, {}), query, time.time())
        with open(latency_path, "w", encoding="utf-8") as f:
            json.dump(latency, f)
        print(answer_line(netuid, query))
    elif cmd == "progress":
        netuid, show_path, logdir = int(argv[2]), argv[3], argv[4]
        show = load(show_path, {})
        print(int(revealed(logdir, netuid)), int(paid(show)))
    elif cmd == "epoch-key":
        print(epoch_key(load(argv[2], {})))
    elif cmd == "table":
        netuid = int(argv[2])
        show, info, latency = load(argv[3], {}), load(argv[4], {}), load(argv[5], {})
        # The gateway's JSON-RPC reply, or its result alone.
        if isinstance(info, dict) and "result" in info:
            info = info["result"]
        for line in table(netuid, show, info, latency, roles(argv[6])):
            print(line)
    elif cmd == "note":
        print(TABLE_NOTE)
    elif cmd == "self-test":
        self_test()
    else:
        sys.exit(__doc__)


def self_test():
    """Fixtures in the shapes documented in cli/README.md and validator/README.md."""
    import tempfile

    def neuron(uid, stake="0", permit=False, incentive=0, dividends=0, rep=0, until=None):
        return {"uid": uid, "hotkey": "x", "coldkey": "y", "validator_permit": permit,
                "stake": {"planck": str(int(float(stake) * 1e12)), "mind": stake},
                "incentive": incentive, "dividends": dividends, "trust": 0, "consensus": 0,
                "validator_trust": 0, "reputation": rep,
                "emission": {"planck": "0", "mind": "0"}, "quarantined_until": until,
                "endpoint": None, "registered_at": 1, "immune": True, "last_update": 0}

    fresh = {"block": 12, "netuid": 1, "name": "digits",
             "neurons": [neuron(0), neuron(1), neuron(2, "300", permit=True)]}
    assert not paid(fresh)
    after = json.loads(json.dumps(fresh))
    after["neurons"][0]["incentive"] = 1_000_000_000
    assert not paid(after), "incentive without dividends is not a payout"
    after["neurons"][2]["dividends"] = 1_000_000_000
    assert paid(after)
    assert epoch_key(fresh) != epoch_key(after)
    later = dict(after, block=99)
    assert epoch_key(later) == epoch_key(after), "the block alone is not an epoch"

    with tempfile.TemporaryDirectory() as d:
        esc = "\x1b[3m"
        lines = {
            "miner-digits-1.log": "2026-12-07T17:00:00Z  INFO mindos_miner::start: hotkey "
            "registered hotkey=0xab uid=0 netuid=1\n",
            "miner-digits-FAULTY-garbage.log": f"INFO hotkey registered {esc}hotkey\x1b[0m"
            "\x1b[2m=\x1b[0m0xcd uid=1 netuid=1\n",
            "validator-a.log": "INFO hotkey registered netuid=1 uid=2 hotkey=0xef\n"
            "INFO hotkey registered netuid=0 uid=0 hotkey=0xef\n"
            "INFO weights revealed netuid=0 epoch=3 miners=2\n",
            "node.log": "hotkey registered netuid=1 uid=3\n",
        }
        for name, text in lines.items():
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        names = roles(d)
        assert names == {(1, 0): "miner-digits-1", (1, 1): "miner-digits-FAULTY-garbage",
                         (1, 2): "validator-a", (0, 0): "validator-a"}, names
        assert revealed(d, 0) and not revealed(d, 1)

        query = {"gateway": "http://127.0.0.1:9946", "netuid": 1, "subnet": "digits",
                 "output": {"label": 0, "probabilities": [1] + [0] * 9}, "agreement": 1.0,
                 "served_by": [{"uid": 0, "peer_id": "12D3", "latency_ms": 5.25}],
                 "latency_ms": 14.0}
        latency = merge_latency({"1": {"ms": 800.0, "at": 1.0}}, query, 2.0)
        assert latency == {"1": {"ms": 800.0, "at": 1.0}, "0": {"ms": 5.25, "at": 2.0}}
        assert "label 0" in answer_line(1, query) and "uid 0 in 5.2 ms" in answer_line(1, query)

        info = {"miners": [{"uid": 0, "peer_id": "12D3", "score": 0.91, "samples": 7,
                            "reputation": 0, "resting": False},
                           {"uid": 2, "peer_id": "12D4", "score": 0.0, "samples": 7,
                            "reputation": 0, "resting": False}]}
        after["neurons"][1]["quarantined_until"] = 40
        out = table(1, after, info, latency, names)
        assert out[0].startswith("subnet 1 `digits` at block #12: 3 neurons"), out[0]
        assert out[1].split() == ["UID", "ROLE", "STAKE", "INCENTIVE", "DIVIDENDS",
                                  "REPUTATION", "QUARANTINE", "SCORE", "LATENCY"]
        row0, row1, row2 = (r.split() for r in out[2:])
        assert row0 == ["0", "miner-digits-1", "0", "100.0%", "0.0%", "0.0%", "-",
                        "0.91", "(7)", "5.2", "ms"], row0
        assert row1[1] == "miner-digits-FAULTY-garbage" and row1[6:8] == ["until", "40"], row1
        assert row1[-2:] == ["800.0", "ms"] and row1[8] == "-", row1
        assert row2 == ["2", "validator-a", "300", "0.0%", "100.0%", "0.0%", "-", "-", "-"], row2
        assert all(line == line.rstrip() for line in out), out
        lone = table(0, {"neurons": [neuron(5, permit=True)]}, None, {}, {})
        assert "validator (not started by run.sh)" in lone[2], lone

    bins = [json.dumps({"reason": "compiler-artifact", "features": ["fault-injection"],
                        "target": {"name": "mindos-miner", "kind": ["bin"]},
                        "executable": "/t/debug/mindos-miner"}),
            "not json",
            json.dumps({"reason": "compiler-artifact", "features": [],
                        "target": {"name": "mindos", "kind": ["bin"]},
                        "executable": "/t/debug/mindos"})]
    harness = json.dumps({"reason": "compiler-artifact", "features": [],
                          "profile": {"test": True},
                          "target": {"name": "mindos", "kind": ["bin"]},
                          "executable": "/t/debug/deps/mindos-0123"})
    test_build = ["mindos-miner:+fault-injection", "mindos"]
    assert cargo_bins(bins, test_build) == ["/t/debug/mindos-miner", "/t/debug/mindos"]
    assert cargo_bins(bins + [harness], test_build) == ["/t/debug/mindos-miner",
                                                        "/t/debug/mindos"]
    honest = [bins[0].replace('["fault-injection"]', "[]"), bins[2]]
    assert cargo_bins(honest, ["mindos-miner:-fault-injection"]) == ["/t/debug/mindos-miner"]
    for lines, wanted, error in [
        (honest, test_build, "mindos-miner was built without fault-injection"),
        (bins, ["mindos-miner:-fault-injection"], "mindos-miner was built with fault-injection"),
        (bins, ["mindos", "mindos-validator"], "no binary for mindos-validator"),
    ]:
        try:
            cargo_bins(lines, wanted)
            raise AssertionError(f"{wanted} taken from {lines}")
        except SystemExit as e:
            assert error in str(e), e
    print("[run_status] self-test passed")


if __name__ == "__main__":
    main(sys.argv)
