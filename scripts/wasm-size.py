#!/usr/bin/env python3
"""What a wasm's bytes are: sections, code by crate, largest functions (docs/wasm-size.md).

Needs a wasm that kept its name section: `WASM_NAMES=1 bash scripts/build.sh client`, then
`python3 scripts/wasm-size.py dist/client/hf_buckets_client_bg.wasm [TOP]`. Percentages are of
the file without its name section (what ships). A function counts for the first crate its
demangled name mentions other than core/alloc/std (so `Vec<serde_json::Value>`'s drop counts
for serde_json); names that mention none count as "(no crate)".
"""
import collections
import re
import sys

ESCAPES = {"LT": "<", "GT": ">", "RF": "&", "C": ",", "BP": "*", "SP": "@", "LP": "(", "RP": ")"}
STD = {"core", "alloc", "std"}
SECTIONS = {1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global", 7: "export",
            8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}


def leb(b, i):
    value = shift = 0
    while True:
        x = b[i]
        i += 1
        value |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return value, i


def demangle(name):
    """Legacy Rust mangling (`_ZN…E`) to a path; other names (already demangled) unchanged."""
    if not name.startswith("_ZN"):
        return re.sub(r"::h[0-9a-f]{16}$", "", name)
    i, parts = 3, []
    while i < len(name) and name[i] != "E":
        m = re.match(r"\d+", name[i:])
        if not m:
            break
        i += len(m.group(0))
        parts.append(name[i:i + int(m.group(0))])
        i += int(m.group(0))
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()

    def unescape(p):
        p = p[1:] if p.startswith("_$") else p
        p = re.sub(r"\$u([0-9a-f]+)\$", lambda m: chr(int(m.group(1), 16)), p)
        p = re.sub(r"\$([A-Z]+)\$", lambda m: ESCAPES.get(m.group(1), m.group(0)), p)
        return p.replace("..", "::")

    return "::".join(unescape(p) for p in parts)


def crate(path):
    roots = re.findall(r"(?<![A-Za-z0-9_:])([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::", path)
    for root in roots:
        if root not in STD:
            return root
    return roots[0] if roots else "(no crate)"


def read(path):
    b = open(path, "rb").read()
    i, sections, names, bodies, imported = 8, [], {}, [], 0
    while i < len(b):
        sid = b[i]
        size, i = leb(b, i + 1)
        end = i + size
        if sid == 0:
            n, j = leb(b, i)
            custom = b[j:j + n].decode()
            sections.append(("custom " + custom, size))
            j += n
            while custom == "name" and j < end:
                sub = b[j]
                sub_size, j = leb(b, j + 1)
                sub_end = j + sub_size
                if sub == 1:  # function names
                    count, j = leb(b, j)
                    for _ in range(count):
                        idx, j = leb(b, j)
                        n, j = leb(b, j)
                        names[idx] = b[j:j + n].decode("utf8", "replace")
                        j += n
                j = sub_end
        else:
            sections.append((SECTIONS.get(sid, str(sid)), size))
            if sid == 2:  # count imported functions: code indices start after them
                count, j = leb(b, i)
                for _ in range(count):
                    for _ in range(2):
                        n, j = leb(b, j)
                        j += n
                    kind = b[j]
                    j += 1
                    if kind == 0:
                        _, j = leb(b, j)
                        imported += 1
                    elif kind in (1, 2):
                        j += 1 if kind == 1 else 0
                        flags = b[j]
                        _, j = leb(b, j + 1)
                        if flags & 1:
                            _, j = leb(b, j)
                    elif kind == 3:
                        j += 2
                    else:
                        _, j = leb(b, j)
            if sid == 10:
                count, j = leb(b, i)
                for k in range(count):
                    n, body = leb(b, j)
                    bodies.append((imported + k, body - j + n))
                    j = body + n
        i = end
    return len(b), sections, names, bodies


def main():
    path, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30
    total, sections, names, bodies = read(path)
    shipped = total - sum(s for n, s in sections if n == "custom name")
    pct = lambda n: f"{100 * n / shipped:5.1f}"
    print(f"{path}: {total} bytes, {shipped} without the name section")
    print("\n| section | bytes | % |\n|---|---:|---:|")
    for name, size in sections:
        print(f"| {name} | {size:,} | {pct(size)} |")
    by_crate, count = collections.Counter(), collections.Counter()
    for idx, size in bodies:
        c = crate(demangle(names.get(idx, "")))
        by_crate[c] += size
        count[c] += 1
    print(f"\n| crate | bytes | % | functions |\n|---|---:|---:|---:|")
    for c, size in by_crate.most_common():
        print(f"| {c} | {size:,} | {pct(size)} | {count[c]} |")
    print(f"\n| function | bytes | % |\n|---|---:|---:|")
    for idx, size in sorted(bodies, key=lambda x: -x[1])[:top]:
        print(f"| `{demangle(names.get(idx, f'#{idx}'))[:120]}` | {size:,} | {pct(size)} |")


if __name__ == "__main__":
    main()
