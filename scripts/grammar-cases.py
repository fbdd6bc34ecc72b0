#!/usr/bin/env python3
"""Converts the pinned llama.cpp tree's grammar tests into data files for ggml4j's tests.

Reads tests/test-grammar-parser.cpp and tests/test-grammar-integration.cpp of the tree given as the first
argument and writes, in the directory given as the second:
  grammar-parser-cases.json       [{"grammar", "symbols": {name: id}, "rules": [[type, value], ...]} or
                                   {"grammar", "fails": true}]
  grammar-integration-cases.json  {"grammars": [{"desc", "grammar", "pass": [seq], "fail": [seq]}],
                                   "schemas": [{"desc", "schema", "pass": [seq], "fail": [seq]}],
                                   "builds": [{"grammar", "root", "ok"}]}
A seq is a list whose items are text (a string) or a token id (an int: llama.cpp's token(id) marker).
The expectations are the C++ files' own data, converted; nothing here runs a grammar.
Usage: grammar-cases.py LLAMA_TREE OUT_DIR
"""
import json
import re
import sys
from pathlib import Path

TYPES = {
    "LLAMA_GRETYPE_END": 0, "LLAMA_GRETYPE_ALT": 1, "LLAMA_GRETYPE_RULE_REF": 2, "LLAMA_GRETYPE_CHAR": 3,
    "LLAMA_GRETYPE_CHAR_NOT": 4, "LLAMA_GRETYPE_CHAR_RNG_UPPER": 5, "LLAMA_GRETYPE_CHAR_ALT": 6,
    "LLAMA_GRETYPE_CHAR_ANY": 7, "LLAMA_GRETYPE_TOKEN": 8, "LLAMA_GRETYPE_TOKEN_NOT": 9,
}
ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def lex(src):
    """C++ tokens: ('str', text) ('chr', int) ('num', int) ('id', name) ('p', char)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            i = src.index("\n", i) if "\n" in src[i:] else n
        elif src.startswith("/*", i):
            i = src.index("*/", i) + 2
        elif c.isspace():
            i += 1
        elif src.startswith('R"', i):
            j = src.index("(", i)
            delim = src[i + 2:j]
            end = src.index(")" + delim + '"', j)
            out.append(("str", src[j + 1:end]))
            i = end + len(delim) + 2
        elif c == '"':
            j, buf = i + 1, []
            while src[j] != '"':
                if src[j] == "\\":
                    e = src[j + 1]
                    if e == "x":
                        m = re.match(r"[0-9a-fA-F]+", src[j + 2:])
                        buf.append(chr(int(m.group(0), 16)))
                        j += 2 + len(m.group(0))
                        continue
                    buf.append(ESC[e])
                    j += 2
                else:
                    buf.append(src[j])
                    j += 1
            out.append(("str", "".join(buf)))
            i = j + 1
        elif c == "'":
            j = i + 1
            if src[j] == "\\":
                ch, j = ESC[src[j + 1]], j + 2
            else:
                ch, j = src[j], j + 1
            assert src[j] == "'", src[i:j + 5]
            out.append(("chr", ord(ch)))
            i = j + 1
        elif c.isdigit():
            m = re.match(r"\d+", src[i:])
            out.append(("num", int(m.group(0))))
            i += len(m.group(0))
        elif c.isalpha() or c == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", src[i:])
            out.append(("id", m.group(0)))
            i += len(m.group(0))
        else:
            out.append(("p", c))
            i += 1
    return out


class P:
    def __init__(self, toks, i):
        self.t, self.i = toks, i

    def peek(self, k=0):
        return self.t[self.i + k]

    def take(self, kind=None, val=None):
        tok = self.t[self.i]
        assert kind is None or tok[0] == kind, (tok, kind, self.t[self.i - 5:self.i + 5])
        assert val is None or tok[1] == val, (tok, val)
        self.i += 1
        return tok

    def is_p(self, ch):
        return self.peek() == ("p", ch)

    def string(self):
        s = self.take("str")[1]
        while self.peek()[0] == "str":
            s += self.take("str")[1]
        return s

    def seq(self):
        """A test string: text and token(n) joined by +."""
        items = [self.term()]
        while self.is_p("+"):
            self.take()
            items.append(self.term())
        out = []
        for it in items:
            if isinstance(it, str) and out and isinstance(out[-1], str):
                out[-1] += it
            else:
                out.append(it)
        return out

    def term(self):
        if self.peek() == ("id", "token"):
            self.take()
            self.take("p", "(")
            n = self.take("num")[1]
            self.take("p", ")")
            return n
        return self.string()

    def braces(self, item):
        self.take("p", "{")
        out = []
        while not self.is_p("}"):
            out.append(item())
            if self.is_p(","):
                self.take()
        self.take("p", "}")
        return out


def parser_cases(src):
    toks = lex(src[src.index("int main"):])
    cases = []
    for i, tok in enumerate(toks):
        if tok == ("id", "verify_failure"):
            p = P(toks, i + 2)
            cases.append({"grammar": p.string(), "fails": True})
        elif tok == ("id", "verify_parsing"):
            p = P(toks, i + 2)
            grammar = p.string()
            p.take("p", ",")

            def sym():
                p.take("p", "{")
                name = p.string()
                p.take("p", ",")
                num = p.take("num")[1]
                p.take("p", "}")
                return [name, num]

            def elem():
                p.take("p", "{")
                typ = TYPES[p.take("id")[1]]
                p.take("p", ",")
                v = p.take()
                assert v[0] in ("num", "chr"), v
                p.take("p", "}")
                return [typ, v[1]]

            symbols = dict(p.braces(sym))
            p.take("p", ",")
            rules = p.braces(elem)
            cases.append({"grammar": grammar, "symbols": symbols, "rules": rules})
    return cases


def integration_cases(src):
    toks = lex(src[src.index("static void test_simple_grammar"):])
    grammars, schemas = [], []
    for i, tok in enumerate(toks):
        if tok in (("id", "test_grammar"), ("id", "test_schema")) and toks[i + 1] == ("p", "("):
            p = P(toks, i + 2)
            desc = p.string()
            p.take("p", ",")
            text = p.string()
            p.take("p", ",")
            passing = p.braces(p.seq)
            p.take("p", ",")
            failing = p.braces(p.seq)
            key = "grammar" if tok[1] == "test_grammar" else "schema"
            (grammars if key == "grammar" else schemas).append(
                {"desc": desc, key: text, "pass": passing, "fail": failing})
    return grammars, schemas


def build_cases(src):
    """The failure tests: which grammars build (llama_grammar_init_impl) with which root."""
    out = []

    def body(name):
        start = src.index("static void " + name)
        return src[start:src.index("\n}\n", start)]

    def strings(text):
        toks = lex(text)
        found = {}
        for i, tok in enumerate(toks):
            if tok == ("id", "grammar_str") or (tok[0] == "id" and tok[1].endswith("_str")):
                if toks[i + 1] == ("p", "="):
                    found[tok[1]] = P(toks, i + 2).string()
        return found, toks

    found, toks = strings(body("test_failure_left_recursion"))
    for i, tok in enumerate(toks):
        if tok == ("id", "test_build_grammar_fails"):
            out.append({"grammar": found[toks[i + 2][1]], "root": "root", "ok": False})
    found, _ = strings(body("test_failure_missing_reference"))
    out.append({"grammar": found["grammar_str"], "root": "root", "ok": False})
    found, _ = strings(body("test_failure_missing_root"))
    out.append({"grammar": found["grammar_str"], "root": "root", "ok": False})
    found, _ = strings(body("test_failure_missing_root_symbol"))
    out.append({"grammar": found["grammar_str"], "root": "nonexistent", "ok": False})
    found, _ = strings(body("test_custom_root_symbol_check"))
    out.append({"grammar": found["custom_root_grammar_str"], "root": "root", "ok": False})
    out.append({"grammar": found["custom_root_grammar_str"], "root": "foobar", "ok": True})
    return out


def main():
    tree, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    parser_src = (tree / "tests/test-grammar-parser.cpp").read_text()
    integ_src = (tree / "tests/test-grammar-integration.cpp").read_text()
    pc = parser_cases(parser_src)
    grammars, schemas = integration_cases(integ_src)
    builds = build_cases(integ_src)
    (out / "grammar-parser-cases.json").write_text(json.dumps(pc, indent=1, ensure_ascii=False) + "\n")
    (out / "grammar-integration-cases.json").write_text(json.dumps(
        {"grammars": grammars, "schemas": schemas, "builds": builds}, indent=1, ensure_ascii=False) + "\n")
    print(f"parser: {len(pc)} cases; integration: {len(grammars)} grammars, {len(schemas)} schemas, "
          f"{len(builds)} build checks")


if __name__ == "__main__":
    main()
