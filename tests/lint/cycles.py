"""Fails on an include cycle among the daemon's modules and on an import
cycle among the web pages' modules.

A C module is the files that share the name before the first '_':
http.c, http_reply.c, daemon/http_int.h and include/http.h are "http";
api_*.c and include/api.h are "api". A module depends on another when
one of its files includes a header of the other ('#include "x.h"'); a
cycle is two or more modules that depend on each other, directly or
round about. A www/*.js file is a module of its own and depends on what
it imports ('./x.js'). Each check prints "ok" or "FAIL" with the cycle;
the last line is "N passed, M failed". Usage: cycles.py [TOP]"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
IMPORT = re.compile(r'''(?:\bimport\b[^'"();]*?\bfrom\s*|\bimport\s*\(?\s*)['"]\./([^'"]+)['"]''')


def c_module(name):
    """The module of a C file name: its name up to the first '_' or '.'."""
    return re.split(r"[_.]", name, 1)[0]


def c_graph(top):
    """{module: {module it includes a header of}} over daemon/*.[ch] and
    include/*.h; headers that are not ours (autoconf.h) are left out."""
    files = []
    for d, exts in (("daemon", (".c", ".h")), ("include", (".h",))):
        path = os.path.join(top, d)
        files += [os.path.join(path, n) for n in sorted(os.listdir(path))
                  if n.endswith(exts)]
    ours = {os.path.basename(f) for f in files if f.endswith(".h")}
    graph = {}
    for f in files:
        mod = c_module(os.path.basename(f))
        deps = graph.setdefault(mod, set())
        with open(f) as fh:
            for inc in INCLUDE.findall(fh.read()):
                inc = os.path.basename(inc)
                if inc in ours and c_module(inc) != mod:
                    deps.add(c_module(inc))
    return graph


def js_graph(top):
    """{file: {file it imports}} over www/*.js."""
    path = os.path.join(top, "www")
    graph = {}
    for n in sorted(os.listdir(path)):
        if n.endswith(".js"):
            with open(os.path.join(path, n)) as fh:
                graph[n] = set(IMPORT.findall(fh.read())) - {n}
    return graph


def cycles(graph):
    """The strongly connected components of more than one node (Tarjan),
    each as a sorted list, sorted; a node that depends on itself too."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def path_in(graph, comp):
    """One cycle through the component, as "a -> b -> a", to read."""
    start, seen, walk = comp[0], set(), [comp[0]]
    v = start
    for _ in range(len(comp) + 1):  # bounded: each step a new node or home
        seen.add(v)
        nxt = sorted(w for w in graph[v] if w in comp)
        if start in nxt and len(walk) > 1 or nxt == [start]:
            return " -> ".join(walk + [start])
        v = next((w for w in nxt if w not in seen), start)
        walk.append(v)
        if v == start:
            break
    return " <-> ".join(comp)


def check(label, graph):
    found = cycles(graph)
    for comp in found:
        print(f"FAIL {label}: {', '.join(comp)} depend on each other, "
              f"e.g. {path_in(graph, comp)}")
    if not found:
        print(f"ok   {label}: no cycle among {len(graph)} modules")
    return not found


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    # the check itself: a planted cycle must be found, a chain not
    planted = (cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) ==
               [["a", "b", "c"]] and cycles({"a": {"b"}, "b": set()}) == [])
    print("ok   a planted cycle is found" if planted else
          "FAIL a planted cycle is not found")
    results = [
        planted,
        check("daemon/ include/ (C includes)", c_graph(top)),
        check("www/ (JavaScript imports)", js_graph(top)),
    ]
    passed = sum(1 for r in results if r)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
