#!/usr/bin/env python3
"""Reports import cycles between the modules of a Rust crate's `src/` (default: ./src).

For every group of sibling modules (the top-level modules of the crate, the submodules of each
module), an edge A -> B means code in A's subtree names B's subtree (`crate::…` paths, `super::…`
and `self::…` resolved against the file's module). A cycle in any group is reported, with one
file and line per edge; the exit status is 1 when there is one. Comments and string literals
are ignored; `#[cfg(test)] mod tests` blocks are not (tests count as code).

Usage: scripts/module-cycles.py [SRC_DIR]
"""

import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "src"


def module_of(path):
    rel = os.path.relpath(path, SRC)[: -len(".rs")].split(os.sep)
    if rel == ["lib"] or rel == ["main"]:
        return ()
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


def strip(text):
    """The code without comments, string literals and char literals (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r"r(#*)", text[i:]).group(1)
            start = i + 1 + len(hashes) + 1
            j = text.find('"' + hashes, start)
            j = n if j < 0 else j + 1 + len(hashes)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:]):
            i += re.match(r"'(\\.[^']*|[^\\'])'", text[i:]).end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


files = {}
for root, _, names in os.walk(SRC):
    for n in names:
        if n.endswith(".rs"):
            p = os.path.join(root, n)
            files[module_of(p)] = p
modules = set(files)

# Paths inside `use` trees: expand `a::{b, c::d}` into a::b, a::c::d.
def expand(tree):
    tree = tree.replace(" ", "").replace("\n", "")
    m = re.match(r"^(.*?)::\{(.*)\}$", tree)
    if not m:
        return [tree]
    prefix, inner = m.groups()
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    return [prefix + "::" + q for p in parts if p for q in expand(p)]


def resolve(mod, path, is_mod_rs):
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    base = list(mod)
    # In `a/b.rs` (module a::b), `super` is a; in `a/mod.rs` (module a) it is the crate root.
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    elif segs[0] == "self":
        segs = segs[1:]
    elif segs[0] == "super":
        while segs and segs[0] == "super":
            base = base[:-1]
            segs = segs[1:]
    else:
        return None
    full = tuple(base + segs)
    while full and full not in modules:
        full = full[:-1]
    return full


edges = {}  # (parent, child_a, child_b) -> (file, line)
for mod, path in files.items():
    text = strip(open(path, encoding="utf-8").read())
    refs = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        for p in expand(m.group(1)):
            refs.append((re.sub(r"\bas\b.*$", "", p), m.start()))
    for m in re.finditer(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        refs.append((m.group(1), m.start()))
    for p, at in refs:
        target = resolve(mod, p, path.endswith("mod.rs"))
        if target is None:
            continue
        # The deepest common ancestor, and the two siblings under it.
        k = 0
        while k < min(len(mod), len(target)) and mod[k] == target[k]:
            k += 1
        if k >= len(mod) or k >= len(target):
            continue  # a module naming its own ancestor or descendant
        key = (mod[:k], mod[k], target[k])
        line = text.count("\n", 0, at) + 1
        edges.setdefault(key, (path, line))

groups = {}
for (parent, a, b), where in edges.items():
    groups.setdefault(parent, {}).setdefault(a, {})[b] = where

cycles = []
for parent, graph in groups.items():
    # Tarjan's strongly connected components.
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    for comp in out:
        cycles.append((parent, comp, graph))

name = lambda parent, m: "::".join(("crate",) + parent + (m,))
for parent, comp, graph in cycles:
    print("cycle: " + " <-> ".join(name(parent, m) for m in comp))
    for a in comp:
        for b, (f, line) in graph.get(a, {}).items():
            if b in comp:
                print(f"  {name(parent, a)} -> {name(parent, b)}  ({f}:{line})")
n_edges = len(edges)
print(f"module-cycles: {len(files)} modules, {n_edges} edges between siblings, {len(cycles)} cycle(s)")
sys.exit(1 if cycles else 0)
