"""Prints every import cycle between the workspace's .rs files, and any import
of `local` from `shared` or `functions/`; exits 1 when there is either.

    python3 scripts/imports/cycles.py [workspace root]   (scripts/import-cycles.sh)
    python3 scripts/imports/cycles.py --self-test
"""

import os
import sys

from graph import Workspace

MAX_CYCLES_PER_GROUP = 200


def groups(nodes, succ):
    """Strongly connected groups of more than one file (Tarjan, iteratively)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(succ.get(start, ())))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        group.append(w)
                        if w == v:
                            break
                    if len(group) > 1:
                        out.append(sorted(group))
    return sorted(out)


def cycles_in(group, succ):
    """The elementary cycles of one group, each starting at its smallest file."""
    order = {f: i for i, f in enumerate(group)}
    found = []
    for s in group:
        path = [s]

        def walk(v):
            for w in sorted(succ.get(v, ())):
                if w not in order or order[w] < order[s]:
                    continue
                if w == s:
                    found.append(list(path))
                elif w not in path and len(found) < MAX_CYCLES_PER_GROUP:
                    path.append(w)
                    walk(w)
                    path.pop()

        walk(s)
    return found


def report(root, out=sys.stdout):
    """Prints the cycles and `local` imports of the workspace at root; returns the exit code."""
    edges = Workspace(root).edges()
    succ, why = {}, {}
    for e in edges:
        succ.setdefault(e.src, set()).add(e.dst)
        why[(e.src, e.dst)] = e
    files = sorted(set(succ) | {d for s in succ.values() for d in s})
    found = groups(files, succ)
    n = 0
    for group in found:
        for cycle in cycles_in(group, succ):
            n += 1
            print(f"cycle {n}: " + " -> ".join(cycle + [cycle[0]]), file=out)
            for a, b in zip(cycle, cycle[1:] + cycle[:1]):
                e = why[(a, b)]
                print(f"    {a}:{e.line} -> {b}: {e.what}", file=out)
    up = [e for e in edges if e.dst.startswith("local/") and e.src.startswith(("shared/", "functions/"))]
    for e in up:
        print(f"imports local: {e.src}:{e.line} -> {e.dst}: {e.what}", file=out)
    print(f"{len(edges)} imports between {len(files)} files; {n} cycles in {len(found)} groups; "
          f"{len(up)} imports of local from shared or functions", file=out)
    return 1 if n or up else 0


def main(argv):
    if argv[1:2] == ["--self-test"]:
        import self_test

        return self_test.run()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    return report(os.path.abspath(root))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
