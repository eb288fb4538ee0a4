"""Reads the module structure of Rust source files: tokens, `mod` declarations,
the items a module defines, its `use` statements and the paths in its code.

Enough of Rust's grammar for an import graph, not a parser: comments, strings
and character literals are skipped so that nothing inside them counts.
"""

import re
from dataclasses import dataclass, field

IDENT = re.compile(r"r#[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*")
ITEM_KEYWORDS = {"fn", "struct", "enum", "trait", "type", "const", "static", "union"}
# Words after which `fn`/`const`/... still introduce an item of the module.
QUALIFIERS = {"pub", "async", "unsafe", "extern", "const", "default"}


@dataclass
class Tok:
    kind: str  # "id", "str", "::", or the punctuation character itself
    text: str
    line: int


def tokens(src):
    """Splits Rust source into identifiers, strings, `::` and punctuation."""
    out, i, line, n = [], 0, 1, len(src)
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    line += src[i] == "\n"
                    i += 1
        elif (m := re.compile(r'b?r(#*)"').match(src, i)) and (
            i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")
        ):
            end = '"' + m.group(1)
            j = src.find(end, m.end())
            j = n if j < 0 else j
            out.append(Tok("str", src[m.end():j], line))
            line += src.count("\n", i, j)
            i = j + len(end)
        elif c == '"' or (c == "b" and src.startswith('b"', i)):
            j = i + (2 if c == "b" else 1)
            start = j
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(Tok("str", src[start:j], line))
            line += src.count("\n", i, j)
            i = j + 1
        elif c == "'":
            # A character literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            if src.startswith("\\", i + 1):
                j = src.find("'", i + 3)
                i = n if j < 0 else j + 1
            elif i + 2 < n and src[i + 2] == "'":
                i += 3
            else:
                m = IDENT.match(src, i + 1)
                i = m.end() if m else i + 1
        elif m := IDENT.match(src, i):
            out.append(Tok("id", m.group(0).removeprefix("r#"), line))
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"[0-9][0-9A-Za-z_.]*").match(src, i)
            i = m.end()
        elif src.startswith("::", i):
            out.append(Tok("::", "::", line))
            i += 2
        else:
            out.append(Tok(c, c, line))
            i += 1
    return out


@dataclass
class Use:
    """One leaf of a `use` tree: `use a::b::{c, d as e, f::*}` has three."""

    path: list  # segments, e.g. ["crate", "store", "EventStore"]
    alias: str  # the name it binds ("*" for a glob, "_" for none)
    line: int
    public: bool  # `pub use` / `pub(crate) use`: a re-export


@dataclass
class Module:
    """What one module (a file, or an inline `mod x { … }` in it) holds."""

    name: str
    items: set = field(default_factory=set)
    uses: list = field(default_factory=list)
    paths: list = field(default_factory=list)  # (segments, line)
    file_mods: list = field(default_factory=list)  # (name, #[path] or None)
    inline: dict = field(default_factory=dict)  # name -> Module


def _use_tree(toks, i, prefix, public, out):
    """Parses a use tree at toks[i]; appends its leaves; returns the index after it."""
    path = list(prefix)
    while i < len(toks):
        t = toks[i]
        if t.kind == "id" and t.text != "as":
            path.append(t.text)
            i += 1
        elif t.kind == "::":
            i += 1
        elif t.kind == "*":
            out.append(Use(path, "*", t.line, public))
            return i + 1
        elif t.kind == "{":
            i += 1
            while i < len(toks) and toks[i].kind != "}":
                i = _use_tree(toks, i, path, public, out)
                if i < len(toks) and toks[i].kind == ",":
                    i += 1
            return i + 1
        else:
            break
    alias = path[-1] if path else "_"
    if i < len(toks) and toks[i].text == "as":
        alias = toks[i + 1].text
        i += 2
    if path and path[-1] == "self":
        path = path[:-1]
        alias = path[-1] if alias == "self" and path else alias
    if path:
        out.append(Use(path, alias, toks[max(i - 1, 0)].line, public))
    return i


def _is_public(toks, i):
    """Whether the `use` at toks[i] is preceded by `pub` or `pub(…)`."""
    j = i - 1
    if j >= 0 and toks[j].kind == ")":
        while j >= 0 and toks[j].kind != "(":
            j -= 1
        j -= 1
    return j >= 0 and toks[j].text == "pub"


def parse(src):
    """Parses a file into its top-level Module (inline modules nested in it)."""
    toks = tokens(src)
    root = Module("")
    stack = [(root, 0)]  # (module, brace depth of its body)
    depth, pending_path, i = 0, None, 0
    while i < len(toks):
        t = toks[i]
        mod, mod_depth = stack[-1]
        at_module_level = depth == mod_depth
        if t.kind == "#" and i + 2 < len(toks) and toks[i + 1].kind in ("[", "!"):
            if toks[i + 2].text == "path" and i + 4 < len(toks) and toks[i + 4].kind == "str":
                pending_path = toks[i + 4].text
            j, bracket = i + (2 if toks[i + 1].kind == "!" else 1), 0
            while j < len(toks):
                bracket += {"[": 1, "]": -1}.get(toks[j].kind, 0)
                j += 1
                if bracket == 0:
                    break
            i = j
            continue
        if t.kind == "{":
            depth += 1
        elif t.kind == "}":
            depth -= 1
            if len(stack) > 1 and depth < mod_depth:
                stack.pop()
        elif t.kind == "id" and t.text == "mod" and i + 2 < len(toks) and toks[i + 1].kind == "id":
            name = toks[i + 1].text
            if toks[i + 2].kind == ";":
                mod.file_mods.append((name, pending_path))
                mod.items.add(name)
                i += 3
                pending_path = None
                continue
            if toks[i + 2].kind == "{":
                child = Module(name)
                mod.inline[name] = child
                mod.items.add(name)
                depth += 1
                stack.append((child, depth))
                i += 3
                pending_path = None
                continue
        elif t.kind == "id" and t.text == "use" and (i == 0 or toks[i - 1].kind != "::"):
            public = _is_public(toks, i)
            j = i + 1
            if j < len(toks) and toks[j].kind == "::":
                j += 1
            leaves = []
            j = _use_tree(toks, j, [], public, leaves)
            mod.uses.extend(leaves)
            i = j
            continue
        elif t.kind == "id" and t.text in ITEM_KEYWORDS and at_module_level:
            if i + 1 < len(toks) and toks[i + 1].kind == "id" and toks[i + 1].text not in QUALIFIERS | ITEM_KEYWORDS | {"mut"}:
                mod.items.add(toks[i + 1].text)
            elif t.text == "static" and i + 2 < len(toks) and toks[i + 1].text == "mut":
                mod.items.add(toks[i + 2].text)
        elif t.kind == "id" and t.text == "macro_rules" and i + 2 < len(toks) and toks[i + 1].kind == "!":
            mod.items.add(toks[i + 2].text + "!")
        elif t.kind == "id" and (i == 0 or toks[i - 1].kind not in ("::", ".")):
            # A path in code: ident (:: ident)+.
            segs, j = [t.text], i + 1
            while j + 1 < len(toks) and toks[j].kind == "::" and toks[j + 1].kind == "id":
                segs.append(toks[j + 1].text)
                j += 2
            if len(segs) > 1:
                mod.paths.append((segs, t.line))
                i = j
                continue
        if not (t.kind in "()" or t.text in ("pub", "crate", "super", "in", "self")):
            pending_path = None
        i += 1
    return root
