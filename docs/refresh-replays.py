#!/usr/bin/env python3
"""Refresh the CPU-column blocks pasted into docs/*.md from `kmodel replay` (its default,
condensed view: the top-level calls and the race, then the violation).

Each block follows a line "`cargo run --release -- replay counterexamples/M/S-HASH.trace`".
When the trace was regenerated under a new name, the newest trace of the same scenario is
used (loom's first, then PCT's, then random's). Run from the repository root after
`kmodel check` refreshed counterexamples/; review the diff.
"""
import glob, re, subprocess, sys

KMODEL = "./kmodel"  # the wrapper: rebuilds the CLI first if a source changed
CMD = re.compile(r"^`cargo run --release -- replay (counterexamples/([a-z_]+)/([a-z0-9_]+)-[0-9a-f]+\.trace)`$")

def pick(path, model, scenario):
    if glob.glob(path):
        return path
    found = glob.glob(f"counterexamples/{model}/{scenario}-*.trace")
    def rank(p):
        head = open(p).read(2000)
        m = re.search(r"^explorer: (\w+)", head, re.M)
        return ["loom", "pct", "random"].index(m.group(1)) if m and m.group(1) in ("loom", "pct", "random") else 9
    found.sort(key=rank)
    if not found:
        sys.exit(f"no trace left for {model}/{scenario}")
    return found[0]

def block(trace):
    out = subprocess.run([KMODEL, "replay", trace], capture_output=True, text=True).stdout
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("CPU0 ("))
    end = next(i for i, l in enumerate(lines) if l.startswith("reproduced"))
    # The columns and the violation line; not the "(N of M steps ...)" note.
    keep = [l for l in lines[start:end] if not l.endswith("--full shows every step)")]
    return "\n".join(keep).rstrip() + "\n\n"

for doc in sorted(glob.glob("docs/*.md")):
    lines = open(doc).read().split("\n")
    out, i, changed = [], 0, False
    while i < len(lines):
        m = CMD.match(lines[i])
        if not m:
            out.append(lines[i]); i += 1; continue
        trace = pick(*m.groups())
        out.append(f"`cargo run --release -- replay {trace}`")
        i += 1
        while i < len(lines) and lines[i] != "```":
            out.append(lines[i]); i += 1
        end = lines.index("```", i + 1)
        out.append("```")
        out.extend(block(trace).rstrip("\n").split("\n"))
        out.append("```")
        i = end + 1
        changed = True
    if changed:
        open(doc, "w").write("\n".join(out))
        print("refreshed", doc)
