#!/usr/bin/env python3
"""Turn scripts/bench results (hyperfine JSON, RSS and byte counts) into the
markdown table and target verdicts that docs/benchmarks.md quotes.

usage: summarize.py RESULTS_DIR > summary.md
"""

import json
import os
import re
import statistics
import sys

OURS = "optimus-plugin install"


def load(res, name):
    path = os.path.join(res, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data = json.load(f)
    out = {}
    for r in data["results"]:
        out[r["command"]] = {
            "median": r["median"],
            "mean": r["mean"],
            "stddev": r.get("stddev") or 0.0,
            "min": r["min"],
            "max": r["max"],
            "runs": len(r["times"]),
            "cpu": (r.get("user") or 0.0) + (r.get("system") or 0.0),
        }
    return out


def read(res, name):
    path = os.path.join(res, name)
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def find(results, prefix):
    for k, v in (results or {}).items():
        if k.startswith(prefix):
            return k, v
    return None, None


def table(results, ref_label):
    ref = (results.get(ref_label) or {}).get("median")
    lines = [
        "| command | median (s) | mean ± sd (s) | min (s) | runs | CPU user+sys (s) | ours / this (median) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in results.items():
        ratio = f"{ref / r['median']:.2f}" if ref and r["median"] > 0 else "—"
        shown = label.replace("|", "\\|")
        lines.append(
            f"| {shown} | {r['median']:.3f} | {r['mean']:.3f} ± {r['stddev']:.3f} "
            f"| {r['min']:.3f} | {r['runs']} | {r['cpu']:.3f} | {ratio} |"
        )
    return "\n".join(lines)


def verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


SHAPES = [("", "random walk"), ("z", "half random, half zeros")]


def cold_case(res, sfx, shape, verdicts):
    """P1 (20 plugins, cold) for one artifact shape."""
    name = "p1" + sfx
    p1 = load(res, name)
    if not p1:
        return []
    out = [f"### P1{sfx.upper()}: cold install, 20 plugins ({shape})", "", table(p1, OURS), ""]
    ours = (p1.get(OURS) or {}).get("median")
    _, dl = find(p1, "limit: download only")
    _, inf = find(p1, "limit: inflate only")
    limit = max(dl["median"], inf["median"]) if dl and inf else None
    which = "download" if dl and inf and dl["median"] >= inf["median"] else "inflate"
    out.append(read(res, name + "-bytes.txt").strip())
    out += ["", "Single-resource rates (best of 3):", "", "```", read(res, f"rates-{name}.txt").strip(), "```", ""]
    tag = f"P1{sfx.upper()} ({shape})"
    for peer, target in (("go-getter", 0.6), ("curl|tar sequential", 0.3), ("curl|tar xargs -P4", 0.5)):
        other = (p1.get(peer) or {}).get("median")
        if ours and other:
            r = ours / other
            verdicts.append(
                f"- {tag} ours / {peer} = {ours:.3f} / {other:.3f} = **{r:.2f}** "
                f"(target ≤ {target:.2f}): {verdict(r <= target)}".replace("|", "\\|")
            )
        else:
            verdicts.append(f"- {tag} ours / {peer}: " + verdict(None))
    if ours and limit:
        verdicts.append(
            f"- ({tag} ours / limit, the larger of download {dl['median']:.3f} and inflate "
            f"{inf['median']:.3f} ({which}): {ours / limit:.2f})"
        )
    ns = (p1.get(OURS + " --no-sync") or {}).get("median")
    gg = (p1.get("go-getter") or {}).get("median")
    if ns and gg:
        verdicts.append(f"- ({tag} without the final syncfs, like the peers: ours / go-getter = {ns / gg:.2f})")
    _, work = find(p1, "ref: inflate+untar+write+sha256")
    if ns and work:
        verdicts.append(
            f"- ({tag} against the reference unpacker that hashes like us, inflate + untar + write + "
            f"sha256 on 2 threads, {work['median']:.3f} s: ours --no-sync / that = {ns / work['median']:.2f})"
        )
    return out


def reinstall_case(res, sfx, shape, verdicts):
    """P2 (100 plugins, cold then unchanged) for one artifact shape."""
    name = "p2" + sfx
    cold = load(res, name + "-cold")
    re_ = load(res, name + "-reinstall")
    re1 = load(res, name + "-reinstall-form1")
    if not (cold and re_):
        return []
    out = [f"### P2{sfx.upper()}: 100 plugins, cold then unchanged re-install ({shape})", "",
           table(cold, OURS), "", table({**re_, **(re1 or {})}, ""), ""]
    bytes_txt = read(res, name + "-bytes.txt").strip()
    out += ["```", bytes_txt, "```", ""]
    tag = f"P2{sfx.upper()} ({shape})"
    c = cold[OURS]["median"]
    r = next(iter(re_.values()))["median"]
    m = re.search(r"one run: requests=(\d+) get_body_bytes=(\d+)", bytes_txt)
    m_all = re.search(r"all runs: requests=(\d+) get_body_bytes=(\d+)", bytes_txt)
    zero = m is not None and m_all is not None and m.group(2) == "0" and m_all.group(2) == "0"
    verdicts.append(
        f"- {tag} re-install / cold = {r:.3f} / {c:.3f} = **{r / c:.3f}** (target ≤ 0.05): {verdict(r / c <= 0.05)}; "
        f"artifact bytes transferred: {m.group(2) if m else '?'} in {m.group(1) if m else '?'} requests "
        f"(target 0): {verdict(zero)}"
    )
    if re1:
        r1 = next(iter(re1.values()))["median"]
        verdicts.append(
            f"- {tag} with one form-1 http provider: re-install / cold = {r1:.3f} / {c:.3f} = "
            f"**{r1 / c:.3f}** (target ≤ 0.05): {verdict(r1 / c <= 0.05)}"
        )
    return out


def large_case(res, sfx, shape, verdicts):
    """P3 (one large artifact) for one artifact shape."""
    p3 = load(res, "p3" + sfx)
    rss_txt = read(res, f"p3{sfx}-rss.txt")
    out = []
    tag = f"P3{sfx.upper()} ({shape})"
    if p3:
        out += [f"### P3{sfx.upper()}: one large artifact ({shape})", "", table(p3, OURS), ""]
    if rss_txt:
        out += ["Peak RSS (KiB, `/usr/bin/time -v`):", "", "```", rss_txt.strip(), "```", ""]
    if p3:
        ours = (p3.get(OURS) or {}).get("median")
        gg = (p3.get("go-getter") or {}).get("median")
        if ours and gg:
            verdicts.append(f"- {tag} wall ours / go-getter = **{ours / gg:.2f}** (target ≤ 0.60): {verdict(ours / gg <= 0.6)}")
        ns = (p3.get(OURS + " --no-sync") or {}).get("median")
        if ns and gg:
            verdicts.append(f"- ({tag} without the final syncfs, like go-getter: {ns / gg:.2f})")
    rss = {}
    for line in rss_txt.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("p3") and parts[2].isdigit():
            rss[(parts[0], parts[1])] = int(parts[2])
    big = rss.get(("p3big" + sfx, "optimus-plugin"))
    small = rss.get(("p3small" + sfx, "optimus-plugin"))
    if big and small:
        ok = big <= 64 * 1024 and big <= small * 1.05
        verdicts.append(
            f"- {tag} peak RSS ours: {big / 1024:.1f} MiB at the large artifact, {small / 1024:.1f} MiB at the small one "
            f"(target ≤ 64 MiB and not larger than at the small one, 5% noise allowed): {verdict(ok)}"
        )
    return out


def main():
    res = sys.argv[1]
    out = ["## Install benchmark results", "", "```", read(res, "machine.txt").rstrip(), "```", ""]
    verdicts = []
    for case in (cold_case, reinstall_case, large_case):
        for sfx, shape in SHAPES:
            out += case(res, sfx, shape, verdicts)

    p4 = load(res, "p4")
    if p4:
        out += ["### P4: 20 plugins from S3 (moto)", "", table(p4, OURS + " (s3)"), ""]
        ours = (p4.get(OURS + " (s3)") or {}).get("median")
        peers = {k: v["median"] for k, v in p4.items() if k.startswith("aws")}
        if ours and peers:
            for k, v in peers.items():
                verdicts.append(f"- P4 ours / `{k}` = **{ours / v:.2f}** (target ≤ 0.50): {verdict(ours / v <= 0.5)}")

    out += ["### Targets", ""] + (verdicts or ["- nothing measured"]) + [""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
