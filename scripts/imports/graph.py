"""The import graph between the .rs files of a Cargo workspace.

An edge A -> B: a `use` or a path in file A names an item defined in file B
(re-exports followed to where the item is defined). Not edges: `mod`
declarations, re-exports (`pub use`) themselves, a file and its parent module
(either way), a file and itself.
"""

import os
import tomllib
from dataclasses import dataclass, field

from rust_source import parse


@dataclass(eq=False)
class Node:
    """A module in one compilation target: a file, or an inline module in it."""

    tree: str
    file: str  # relative to the workspace root
    data: object  # rust_source.Module
    parent: "Node | None"
    base_dir: str  # where its `mod x;` files are looked for
    children: dict = field(default_factory=dict)


@dataclass
class Edge:
    """Why file `src` depends on file `dst`: the first import or path seen."""

    src: str
    dst: str
    line: int
    what: str


MOD_RS = ("lib.rs", "main.rs", "mod.rs")


def crates(root):
    """(library name or None, [target root files]) for each workspace member."""
    with open(os.path.join(root, "Cargo.toml"), "rb") as f:
        members = tomllib.load(f).get("workspace", {}).get("members", [])
    out = []
    for member in members:
        with open(os.path.join(root, member, "Cargo.toml"), "rb") as f:
            manifest = tomllib.load(f)
        package = manifest.get("package", {}).get("name", os.path.basename(member))
        lib_name = manifest.get("lib", {}).get("name", package).replace("-", "_")
        lib = os.path.join(member, manifest.get("lib", {}).get("path", "src/lib.rs"))
        targets = []
        for section in ("bin", "test", "bench", "example"):
            targets += [os.path.join(member, t["path"]) for t in manifest.get(section, []) if "path" in t]
        for sub in ("src/main.rs",):
            targets.append(os.path.join(member, sub))
        for sub in ("src/bin", "tests", "benches", "examples"):
            d = os.path.join(root, member, sub)
            if os.path.isdir(d):
                for e in sorted(os.listdir(d)):
                    if e.endswith(".rs"):
                        targets.append(os.path.join(member, sub, e))
                    elif os.path.isfile(os.path.join(d, e, "main.rs")):
                        targets.append(os.path.join(member, sub, e, "main.rs"))
        has_lib = os.path.isfile(os.path.join(root, lib))
        targets = [t for t in dict.fromkeys(targets) if os.path.isfile(os.path.join(root, t))]
        out.append((lib_name if has_lib else None, ([lib] if has_lib else []) + targets))
    return out


class Workspace:
    """Every target's module tree, and the resolution of paths through them."""

    def __init__(self, root):
        self.root = root
        self.parsed = {}
        self.libs = {}  # crate name -> root Node of its library
        self.trees = []  # root Nodes of every target
        for lib_name, targets in crates(root):
            for i, target in enumerate(targets):
                node = self._load(target, target, None, True)
                self.trees.append(node)
                if i == 0 and lib_name and target.endswith("lib.rs"):
                    self.libs[lib_name] = node

    def _parse(self, file):
        if file not in self.parsed:
            with open(os.path.join(self.root, file), encoding="utf-8") as f:
                self.parsed[file] = parse(f.read())
        return self.parsed[file]

    def _load(self, tree, file, parent, is_root=False):
        name = os.path.basename(file)
        d = os.path.dirname(file)
        base = d if is_root or name in MOD_RS else os.path.join(d, name[:-3])
        node = Node(tree, file, self._parse(file), parent, base)
        self._attach(node)
        return node

    def _attach(self, node):
        for name, path in node.data.file_mods:
            if path is not None:
                candidates = [os.path.normpath(os.path.join(os.path.dirname(node.file), path))]
            else:
                candidates = [os.path.join(node.base_dir, name + ".rs"), os.path.join(node.base_dir, name, "mod.rs")]
            for c in candidates:
                if os.path.isfile(os.path.join(self.root, c)):
                    node.children[name] = self._load(node.tree, c, node)
                    break
        for name, inline in node.data.inline.items():
            child = Node(node.tree, node.file, inline, node, os.path.join(node.base_dir, name))
            node.children[name] = child
            self._attach(child)

    def nodes(self):
        stack = list(self.trees)
        while stack:
            n = stack.pop()
            yield n
            stack.extend(n.children.values())

    # Resolution: a path's target is ("item", file) or ("mod", Node) or None.

    def _root_of(self, node):
        while node.parent is not None:
            node = node.parent
        return node

    def _lookup(self, node, name, seen):
        if name in node.children:
            return ("mod", node.children[name])
        if name in node.data.items:
            return ("item", node.file)
        for use in node.data.uses:
            if use.alias == name:
                return self._resolve(node, use.path, seen)
        for use in node.data.uses:
            if use.alias == "*":
                found = self._resolve(node, use.path, seen)
                if found and found[0] == "mod":
                    hit = self._lookup(found[1], name, seen)
                    if hit:
                        return hit
        return None

    def _resolve(self, node, path, seen=None):
        seen = set() if seen is None else seen
        key = (id(node), tuple(path))
        if key in seen:
            return None
        seen.add(key)
        first, rest = path[0], path[1:]
        if first == "crate":
            cur = ("mod", self._root_of(node))
        elif first == "self":
            cur = ("mod", node)
        elif first == "super":
            cur = ("mod", node.parent) if node.parent else None
        else:
            cur = self._lookup(node, first, seen)
            if cur is None and first in self.libs:
                cur = ("mod", self.libs[first])
        for seg in rest:
            if cur is None or cur[0] == "item":
                break
            if seg == "super":
                cur = ("mod", cur[1].parent) if cur[1].parent else None
            elif seg != "self":
                cur = self._lookup(cur[1], seg, seen)
        return cur

    def _parent_files(self):
        parents = {}
        for n in self.nodes():
            if n.parent is not None and n.parent.file != n.file:
                parents.setdefault(n.file, set()).add(n.parent.file)
        return parents

    def edges(self):
        """Every edge between two files, with the first import or path behind it."""
        parents = self._parent_files()
        out = {}

        def add(node, target, line, what):
            if target is None:
                return
            dst = target[1] if target[0] == "item" else target[1].file
            src = node.file
            if dst == src or dst in parents.get(src, ()) or src in parents.get(dst, ()):
                return
            out.setdefault((src, dst), Edge(src, dst, line, what))

        for node in self.nodes():
            for use in node.data.uses:
                if use.public:
                    continue
                target = self._resolve(node, use.path)
                # Importing a module is no edge until something in it is used,
                # except a glob, which takes all of it.
                if target and (target[0] == "item" or use.alias == "*"):
                    add(node, target, use.line, "use " + "::".join(use.path) + ("::*" if use.alias == "*" else ""))
            for segs, line in node.data.paths:
                if segs[0] in ("Self",):
                    continue
                target = self._resolve(node, segs)
                if target and target[0] == "item":
                    add(node, target, line, "::".join(segs))
        return sorted(out.values(), key=lambda e: (e.src, e.dst))
