#!/usr/bin/env python3
"""Checks the layering of host/src: which files import which, and the rules docs/architecture.md
states. A file's imports are the `crate::` and `super::` paths in its code (comments and its
`mod tests` left out), each resolved to the file of the longest module prefix.

    scripts/layers.py            check the rules and that no import cycle runs through two folders;
                                 exit 1 when either fails
    scripts/layers.py --edges    also print every file -> file import
    scripts/layers.py --folders  also print the folder -> folder imports
"""
import collections
import os
import re
import sys

# (importer prefix, imported prefix): an import from the first into the second breaks a rule.
# Prefixes are module paths ("engine" covers engine.rs and engine/**).
FORBIDDEN = [
    ("engine", p) for p in ("modules", "kinds", "app", "process", "durable", "http", "config", "cli")
] + [("config", "engine"), ("config", "cli")] + [
    (p, "cli") for p in ("app", "codec", "durable", "engine", "env", "error", "http", "kinds", "lint",
                         "modules", "process", "registry", "sql", "store", "temporal", "terminal",
                         "typed", "units", "bindings")
]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "host", "src")


def load(root):
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), root)
            parts = rel[:-3].split("/")
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts in (["lib"], ["main"]):
                parts = ["<%s>" % parts[0]]
            files[tuple(parts)] = rel
    return files


def resolve(files, path):
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in files:
            return tuple(path[:n])
    return None


def imports(files, me, text):
    found = set()
    path_re = r"crate::((?:[A-Za-z_]\w*::)*)(\{[^;]*?\}|[A-Za-z_]\w*)"
    for m in re.finditer(path_re, text, re.S):
        prefix = [p for p in m.group(1).split("::") if p]
        tail = m.group(2)
        items = [tail] if not tail.startswith("{") else re.split(r",", tail[1:-1])
        for item in items:
            item = re.sub(r"\{.*", "", item.strip(), flags=re.S)
            segs = [s.split(" as ")[0].strip() for s in item.split("::") if s and s != "self"]
            target = resolve(files, prefix + segs)
            if target:
                found.add(target)
    # `super` is the parent of the file's module, whether the file is `x.rs` or `x/mod.rs`.
    for m in re.finditer(r"\bsuper::((?:[A-Za-z_]\w*::)*[A-Za-z_]\w*)", text):
        target = resolve(files, list(me[:-1]) + m.group(1).split("::"))
        if target:
            found.add(target)
    # A folder's own file reaches its children by relative paths (`funcs::Funcs`, `self::x`).
    if files[me].endswith("mod.rs") or me[0].startswith("<"):
        base = [] if me[0].startswith("<") else list(me)
        for m in re.finditer(r"(?<![\w:])(?:self::)?([a-z_]\w*)::", text):
            if m.group(1) in ("crate", "super", "self", "std", "core"):
                continue
            target = resolve(files, base + [m.group(1)])
            if target and len(target) == len(base) + 1:
                found.add(target)
    found.discard(me)
    return found


def graph(root):
    files = load(root)
    edges = {}
    for module, rel in files.items():
        text = open(os.path.join(root, rel)).read()
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
        edges[module] = imports(files, module, text)
    return edges


def cycles(edges):
    index, low, stack, on, found = {}, {}, [], set(), []
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted("/".join(x) for x in component))

    for v in edges:
        if v not in index:
            visit(v)
    return sorted(found, key=len, reverse=True)


def main():
    edges = graph(os.path.normpath(ROOT))
    name = "/".join
    broken = [
        (name(a), name(b))
        for a, targets in edges.items()
        for b in targets
        for (src, dst) in FORBIDDEN
        if a[0] == src and b[0] == dst
    ]
    if "--edges" in sys.argv:
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print(f"{name(a)} -> {name(b)}")
    if "--folders" in sys.argv:
        folders = collections.defaultdict(set)
        for a, targets in edges.items():
            for b in targets:
                if a[0] != b[0]:
                    folders[a[0]].add(b[0])
        for a in sorted(folders):
            print(f"{a} -> {' '.join(sorted(folders[a]))}")
    found = cycles(edges)
    # A folder's own file and its children may use each other; a cycle through two folders
    # means no layer order exists between them.
    across = [c for c in found if len({f.split("/")[0] for f in c}) > 1]
    within = [c for c in found if c not in across]
    print(f"{len(edges)} files; import cycles across folders: {[len(c) for c in across] or 'none'}"
          f"; within one folder: {[len(c) for c in within] or 'none'}")
    for component in across:
        print("  cycle across folders:", " ".join(component))
    for a, b in sorted(set(broken)):
        print(f"layering rule broken: {a} imports {b}")
    return 1 if broken or across else 0


if __name__ == "__main__":
    sys.exit(main())
