#!/usr/bin/env python3
"""Writes Sources/KVReplayEvaluation/UserAgent/UAParserJSRules.swift: the browser, OS and device rules of
ua-parser-js 1.0.41 (the parser statsig-node 6.5.1 calls), read from its `src/ua-parser.js` and stored as data,
with every JavaScript regex translated to an ICU pattern that matches exactly what the JavaScript one matches.

    python3 Tests/Tools/generate_uaparserjs_rules.py [UA_PARSER_JS_SRC]

UA_PARSER_JS_SRC: the git dir that `fetch github:faisalman/ua-parser-js` prints (tag 1.0.41 is read) or a
checkout (its src/ua-parser.js). Default: /work/.mirror/faisalman+ua-parser-js/repo. The rules are data under
the MIT License (ua-parser-js, https://github.com/faisalman/ua-parser-js); the generated file records the
version and the source commit. No ua-parser-js code is copied: the script reads the `regexes` object literal
(and the constants and string maps it refers to) with a small tokenizer for the subset of JavaScript it uses.

Translation (JavaScript non-unicode regex semantics on ICU):
- `i` flag: every ASCII letter becomes a two-case class (`a` -> `[aA]`, `[a-e]` -> `[a-eA-E]`); JavaScript's
  non-unicode case folding never matches a non-ASCII character to an ASCII letter, which ICU's would (ſ, K).
  A pattern with a backreference keeps ICU's `(?i)` as well (the backreference compares case-insensitively).
- `\\d \\w \\s` and their negations become the JavaScript (ASCII) classes; `\\b`/`\\B` become lookarounds on
  `[A-Za-z0-9_]`; `.` becomes `[^\\n\\r\\u2028\\u2029]`; `$` becomes `\\z` (end of input only).
- a quantified lookahead (`(?=x)?`, allowed by JavaScript's Annex B) is wrapped in a group;
  `[`, `&`, `-` and the other punctuation inside a class are escaped for ICU's set syntax; `\\_` is `_`.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Sources", "KVReplayEvaluation", "UserAgent", "UAParserJSRules.swift")
DEFAULT_SRC = "/work/.mirror/faisalman+ua-parser-js/repo"
TAG = "1.0.41"
SECTIONS = ("browser", "os", "device")   # what statsig-node reads (engine and cpu are not used)

JS_WS = "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
WORD = "A-Za-z0-9_"
LB_WORD, LB_NONWORD = "(?<=[A-Za-z0-9_])", "(?<![A-Za-z0-9_])"
LA_WORD, LA_NONWORD = "(?=[A-Za-z0-9_])", "(?![A-Za-z0-9_])"


def read_source(src):
    if os.path.isfile(os.path.join(src, "HEAD")) and os.path.isdir(os.path.join(src, "objects")):
        git = ["git", "--git-dir", src]
        commit = subprocess.run(git + ["rev-parse", f"{TAG}^{{commit}}"], capture_output=True, text=True,
                                check=True).stdout.strip()
        text = subprocess.run(git + ["show", f"{TAG}:src/ua-parser.js"], capture_output=True, text=True,
                              check=True).stdout
        return text, commit
    with open(os.path.join(src, "src", "ua-parser.js"), encoding="utf-8") as f:
        return f.read(), "checkout:" + os.path.abspath(src)


# ----------------------------------------------------------------------------- tokenizer (JS subset)
class Tok:
    def __init__(self, kind, value):
        self.kind, self.value = kind, value

    def __repr__(self):
        return f"{self.kind}:{self.value!r}"


def tokenize(s):
    toks, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif s.startswith("//", i):
            i = s.find("\n", i)
            i = n if i < 0 else i
        elif s.startswith("/*", i):
            i = s.index("*/", i) + 2
        elif c == "/":
            # a regex literal: there is no division in the parsed regions
            j, in_class = i + 1, False
            while True:
                ch = s[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch == "\n":
                    raise SystemExit(f"unterminated regex at {i}")
                if in_class:
                    in_class = ch != "]"
                elif ch == "[":
                    in_class = True
                elif ch == "/":
                    break
                j += 1
            body = s[i + 1:j]
            k = j + 1
            while k < n and s[k].isalpha():
                k += 1
            toks.append(Tok("regex", (body, s[j + 1:k])))
            i = k
        elif c in "'\"":
            j, out = i + 1, []
            while s[j] != c:
                if s[j] == "\\":
                    e = s[j + 1]
                    out.append({"n": "\n", "t": "\t", "r": "\r"}.get(e, e))
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            toks.append(Tok("str", "".join(out)))
            i = j + 1
        elif c.isalpha() or c in "_$":
            j = i
            while j < n and (s[j].isalnum() or s[j] in "_$"):
                j += 1
            toks.append(Tok("id", s[i:j]))
            i = j
        elif c.isdigit():
            j = i
            while j < n and (s[j].isdigit() or s[j] == "."):
                j += 1
            toks.append(Tok("num", s[i:j]))
            i = j
        elif c in "[]{},:+;=":
            toks.append(Tok("p", c))
            i += 1
        else:
            raise SystemExit(f"unexpected character {c!r} at {i}: {s[max(0, i - 40):i + 40]!r}")
    return toks


class Parser:
    FUNCS = {"strMapper", "lowerize", "trim"}

    def __init__(self, toks, consts, maps):
        self.t, self.i, self.consts, self.maps = toks, 0, consts, maps

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, kind=None, value=None):
        tok = self.t[self.i]
        if (kind and tok.kind != kind) or (value is not None and tok.value != value):
            raise SystemExit(f"expected {kind} {value!r}, got {tok}")
        self.i += 1
        return tok

    def expr(self):
        v = self.term()
        while self.peek() and self.peek().kind == "p" and self.peek().value == "+":
            self.take()
            w = self.term()
            if not (isinstance(v, str) and isinstance(w, str)):
                raise SystemExit(f"cannot concatenate {v!r} + {w!r}")
            v = v + w
        return v

    def term(self):
        tok = self.take()
        if tok.kind == "str":
            return tok.value
        if tok.kind == "num":
            return float(tok.value) if "." in tok.value else int(tok.value)
        if tok.kind == "regex":
            return {"regex": tok.value[0], "flags": tok.value[1]}
        if tok.kind == "id":
            if tok.value in self.consts:
                return self.consts[tok.value]
            if tok.value in self.FUNCS:
                return {"fn": tok.value}
            if tok.value in self.maps:
                return {"map": self.maps[tok.value]}
            raise SystemExit(f"unknown identifier {tok.value}")
        if tok.kind == "p" and tok.value == "[":
            items = []
            while not (self.peek().kind == "p" and self.peek().value == "]"):
                items.append(self.expr())
                if self.peek().kind == "p" and self.peek().value == ",":
                    self.take()
            self.take("p", "]")
            return items
        if tok.kind == "p" and tok.value == "{":
            pairs = []
            while not (self.peek().kind == "p" and self.peek().value == "}"):
                k = self.take()
                if k.kind not in ("str", "id", "num"):
                    raise SystemExit(f"bad object key {k}")
                self.take("p", ":")
                pairs.append((str(k.value), self.expr()))
                if self.peek().kind == "p" and self.peek().value == ",":
                    self.take()
            self.take("p", "}")
            return {"object": pairs}
        raise SystemExit(f"unexpected token {tok}")


def js_key_order(pairs):
    """`for (var i in obj)` order: array-index keys ascending, then the other keys in insertion order."""
    def is_index(k):
        return k.isdigit() and (k == "0" or not k.startswith("0")) and int(k) < 2 ** 32 - 1
    idx = sorted((p for p in pairs if is_index(p[0])), key=lambda p: int(p[0]))
    return idx + [p for p in pairs if not is_index(p[0])]


def as_map(obj):
    """A string map for strMapper: ordered [[key, [values]]]."""
    out = []
    for k, v in js_key_order(obj["object"]):
        vals = v if isinstance(v, list) else [v]
        if not all(isinstance(x, str) for x in vals):
            raise SystemExit(f"map value of {k!r} is not a string or list of strings: {v!r}")
        out.append([k, vals, isinstance(v, list)])
    return out


# ----------------------------------------------------------------------------- regex translation
def translate(body, flags):
    """JavaScript regex (non-unicode mode) -> ICU pattern with the same matches and captures."""
    ci = "i" in flags
    out = []
    group_stack = []         # (output index of "(", is lookaround)
    ngroups = 0
    has_backref = False
    i, n = 0, len(body)

    def letter_class(c):
        return f"[{c.lower()}{c.upper()}]" if ci and c.isascii() and c.isalpha() else None

    while i < n:
        c = body[i]
        if c == "\\":
            e = body[i + 1]
            i += 2
            if e == "d":
                out.append("[0-9]")
            elif e == "D":
                out.append("[^0-9]")
            elif e == "w":
                out.append(f"[{WORD}]")
            elif e == "W":
                out.append(f"[^{WORD}]")
            elif e == "s":
                out.append(f"[{JS_WS}]")
            elif e == "S":
                out.append(f"[^{JS_WS}]")
            elif e == "b":
                out.append(f"(?:{LB_WORD}{LA_NONWORD}|{LB_NONWORD}{LA_WORD})")
            elif e == "B":
                out.append(f"(?:{LB_WORD}{LA_WORD}|{LB_NONWORD}{LA_NONWORD})")
            elif e.isdigit() and e != "0":
                j = i
                while j < n and body[j].isdigit():
                    j += 1
                num = int(body[i - 1:j])
                out.append(f"\\{num}")
                has_backref = True
                i = j
            elif e in "nrtf":
                out.append("\\" + e)
            elif e == "v":
                out.append("\\x{0B}")
            elif e.isascii() and e.isalnum():
                raise SystemExit(f"unsupported escape \\{e} in /{body}/")
            elif e == "_":
                out.append("_")
            else:
                out.append("\\" + e)
            continue
        if c == "[":
            j = i + 1
            neg = j < n and body[j] == "^"
            if neg:
                j += 1
            items = []          # ("raw", icu text) | ("char", c) | ("range", lo, hi)
            while body[j] != "]":
                ch = body[j]
                if ch == "\\":
                    e = body[j + 1]
                    j += 2
                    if e == "d":
                        items.append(("raw", "0-9"))
                    elif e == "w":
                        items.append(("raw", WORD))
                    elif e == "s":
                        items.append(("raw", JS_WS))
                    elif e in "DWS":
                        raise SystemExit(f"negated class escape in a class: /{body}/")
                    elif e == "b":
                        items.append(("char", "\b"))
                    elif e in "nrtf":
                        items.append(("char", {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}[e]))
                    elif e.isascii() and e.isalnum():
                        raise SystemExit(f"unsupported class escape \\{e} in /{body}/")
                    else:
                        items.append(("char", e))
                    continue
                if ch == "-" and items and items[-1][0] == "char" and body[j + 1] != "]":
                    hi = body[j + 1]
                    j += 2
                    if hi == "\\":
                        hi = body[j]
                        j += 1
                        if hi.isalnum():
                            raise SystemExit(f"range to an escape in /{body}/")
                    items[-1] = ("range", items[-1][1], hi)
                    continue
                items.append(("char", ch))
                j += 1
            rendered = []
            for it in items:
                if it[0] == "raw":
                    rendered.append(it[1])
                elif it[0] == "char":
                    rendered.append(esc_set(it[1]))
                    if ci and it[1].isascii() and it[1].isalpha():
                        rendered.append(it[1].swapcase())
                else:
                    lo, hi = it[1], it[2]
                    rendered.append(f"{esc_set(lo)}-{esc_set(hi)}")
                    if ci:
                        if lo.isascii() and hi.isascii() and lo.isalpha() and hi.isalpha() and \
                                lo.islower() == hi.islower():
                            rendered.append(f"{lo.swapcase()}-{hi.swapcase()}")
                        elif ord(lo) <= ord("z") and ord(hi) >= ord("A") and not (lo.isdigit() and hi.isdigit()):
                            raise SystemExit(f"range {lo}-{hi} across letters in /{body}/")
            out.append("[" + ("^" if neg else "") + "".join(rendered) + "]")
            i = j + 1
            continue
        if c == "(":
            look = body.startswith("(?=", i) or body.startswith("(?!", i)
            lookbehind = body.startswith("(?<=", i) or body.startswith("(?<!", i)
            if not body.startswith("(?", i):
                ngroups += 1
            group_stack.append((len(out), look or lookbehind))
            prefix = body[i:i + 4] if lookbehind else (body[i:i + 3] if body.startswith("(?", i) else "(")
            out.append(prefix)
            i += len(prefix)
            continue
        if c == ")":
            start, look = group_stack.pop()
            out.append(")")
            i += 1
            if look and i < n and body[i] in "?*+{":
                out.insert(start, "(?:")
                out.append(")")
            continue
        if c == ".":
            out.append("[^\\n\\r\\x{2028}\\x{2029}]")
            i += 1
            continue
        if c == "$":
            out.append("\\z")
            i += 1
            continue
        if c == "{":
            m = re.match(r"\{\d+(,\d*)?\}", body[i:])
            if m:
                out.append(m.group(0))
                i += len(m.group(0))
                if i < n and body[i] == "?":
                    out.append("?")
                    i += 1
            else:
                out.append("\\{")
                i += 1
            continue
        if c in "}]":
            out.append("\\" + c)
            i += 1
            continue
        lc = letter_class(c)
        if lc:
            out.append(lc)
        elif c in "^|?*+":
            out.append(c)
        elif c.isascii() and (c.isalnum() or c in " _,;:/'\"<>=!@#%&~`-"):
            out.append(c if c.isalnum() or c in " _,;:'\"<>=@%~`" else "\\" + c)
        else:
            raise SystemExit(f"unexpected character {c!r} in /{body}/")
        i += 1
    if group_stack:
        raise SystemExit(f"unbalanced group in /{body}/")
    pattern = "".join(out)
    if has_backref and ci:
        pattern = "(?i)" + pattern
    return pattern, ngroups


def esc_set(ch):
    if ch.isascii() and ch.isalnum():
        return ch
    if ch == " ":
        return "\\x{20}"
    if ch.isascii():
        return "\\" + ch
    return "\\x{%X}" % ord(ch)


# ----------------------------------------------------------------------------- rules -> data
def prop_spec(q):
    """One element of a props array -> {"p": name, ...} (see UAParserJS.Prop)."""
    if isinstance(q, str):
        return {"p": q}
    if not isinstance(q, list) or not q:
        raise SystemExit(f"bad prop {q!r}")
    name = q[0]
    if len(q) == 2:
        v = q[1]
        if isinstance(v, dict) and "fn" in v:
            return {"p": name, "fn": v["fn"]}
        if isinstance(v, str):
            return {"p": name, "value": v}
        raise SystemExit(f"bad 2-prop {q!r}")
    if len(q) == 3:
        if isinstance(q[1], dict) and q[1].get("fn") == "strMapper":
            m = q[2]["map"] if isinstance(q[2], dict) and "map" in q[2] else q[2]
            return {"p": name, "map": as_map(m)}
        if isinstance(q[1], dict) and "regex" in q[1] and isinstance(q[2], str):
            pat, _ = translate(q[1]["regex"], q[1]["flags"])
            return {"p": name, "replace": pat, "global": "g" in q[1]["flags"], "with": q[2]}
        raise SystemExit(f"bad 3-prop {q!r}")
    if len(q) == 4:
        if isinstance(q[1], dict) and "regex" in q[1] and isinstance(q[2], str) and isinstance(q[3], dict) \
                and "fn" in q[3]:
            pat, _ = translate(q[1]["regex"], q[1]["flags"])
            return {"p": name, "replace": pat, "global": "g" in q[1]["flags"], "with": q[2], "fn": q[3]["fn"]}
        raise SystemExit(f"bad 4-prop {q!r}")
    raise SystemExit(f"bad prop {q!r}")


def main(argv):
    src = argv[1] if len(argv) > 1 else DEFAULT_SRC
    text, commit = read_source(src)
    version = re.search(r"LIBVERSION\s*=\s*'([^']+)'", text).group(1)
    if version != TAG:
        raise SystemExit(f"ua-parser-js {version}, expected {TAG}")
    # string constants of the Constants block (NAME = 'name', CHROME = 'Chrome', ...)
    head = text[:text.index("// Helper")]
    consts = {k: v for k, v in re.findall(r"\b([A-Z_][A-Z0-9_]*)\s*=\s*'([^']*)'", head)}
    # the string maps
    maps = {}
    for name in ("oldSafariMap", "windowsVersionMap"):
        start = text.index(name + " = {") + len(name + " = ")
        toks = tokenize(text[start:text.index("}", start) + 1])
        maps[name] = Parser(toks, consts, {}).expr()
    start = text.index("var regexes = {") + len("var regexes = ")
    end = text.index("\n    };", start) + len("\n    }")
    regexes = Parser(tokenize(text[start:end]), consts, maps).expr()
    sections = dict(regexes["object"])
    data = {"version": version, "commit": commit}
    counts = {}
    for sec in SECTIONS:
        arr = sections[sec]
        if len(arr) % 2:
            raise SystemExit(f"{sec}: odd number of arrays")
        rules = []
        for k in range(0, len(arr), 2):
            pats = []
            for r in arr[k]:
                pat, ng = translate(r["regex"], r["flags"])
                pats.append({"source": r["regex"], "flags": r["flags"], "icu": pat, "groups": ng})
            rules.append({"regexes": pats, "props": [prop_spec(q) for q in arr[k + 1]]})
        data[sec] = rules
        counts[sec] = (len(rules), sum(len(r["regexes"]) for r in rules))
    body = json.dumps(data, ensure_ascii=True, indent=0)
    if '"#' in body:
        raise SystemExit("the data contains '\"#', which would end the Swift raw string")
    swift = f'''// Generated by Tests/Tools/generate_uaparserjs_rules.py. Do not edit.
//
// The browser, OS and device rules of ua-parser-js {version} (https://github.com/faisalman/ua-parser-js, MIT
// License), source commit {commit} (tag {TAG}, src/ua-parser.js), the parser statsig-node 6.5.1
// calls. Each regex is kept as written ("source", "flags") and as the ICU pattern that matches what the
// JavaScript one matches ("icu"; see the generator for the translation).

enum UAParserJSRules {{
    static let version = "{version}"
    static let sourceCommit = "{commit}"

    /// `{{"browser"|"os"|"device": [{{"regexes": [{{source, flags, icu, groups}}], "props": [{{p, value?, fn?, map?,
    /// replace?, global?, with?}}]}}]}}`, in ua-parser-js's order.
    static let json = #"""
{body}
"""#
}}
'''
    with open(OUT, "w") as f:
        f.write(swift)
    print(f"wrote {os.path.normpath(OUT)}: ua-parser-js {version} @ {commit}; "
          + ", ".join(f"{s} {c[0]} rules / {c[1]} regexes" for s, c in counts.items()))


if __name__ == "__main__":
    main(sys.argv)
