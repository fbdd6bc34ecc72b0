#!/usr/bin/env python3
"""Extracts the test cases of llama.cpp's tests/test-json-schema-to-grammar.cpp as data.

Usage: extract-json-schema-cases.py <llama.cpp tree> <output file>

Each test({STATUS, "name", schema, expected}) call becomes one block of the output:

    === <name>
    status: SUCCESS|FAILURE
    --- schema
    <schema text, verbatim>
    --- grammar
    <expected grammar, normalised as the C++ test's trim(): no indentation, no blank ends>

The two checks at the end of main() that are not test(...) calls are written by hand in the test class.
"""
import re
import sys

CALL = re.compile(
    r'test\(\{\s*(SUCCESS|FAILURE),\s*"((?:[^"\\]|\\.)*)",\s*'
    r'(?:R"""\((.*?)\)"""|"((?:[^"\\]|\\.)*)"),\s*'
    r'(?:R"""\((.*?)\)"""|"((?:[^"\\]|\\.)*)")\s*\}\);',
    re.S)


def c_unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == '\\':
            nxt = s[i + 1]
            out.append({'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\'}[nxt])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)


def trim(s):
    """The C++ test's trim(): strip both ends, then the indentation of every line."""
    s = s.strip(' \n\r\t')
    return re.sub(r'(^|\n)[ \t]+', r'\1', s)


def main():
    tree, output = sys.argv[1], sys.argv[2]
    with open(tree + '/tests/test-json-schema-to-grammar.cpp', encoding='utf-8') as f:
        text = f.read()
    blocks = []
    for m in CALL.finditer(text):
        status, name = m.group(1), c_unescape(m.group(2))
        schema = m.group(3) if m.group(3) is not None else c_unescape(m.group(4))
        grammar = m.group(5) if m.group(5) is not None else c_unescape(m.group(6))
        grammar = trim(grammar)
        for part in (schema, grammar):
            for line in part.split('\n'):
                assert not line.startswith('=== ') and not line.startswith('--- '), line
        assert '\n' not in name
        blocks.append(f'=== {name}\nstatus: {status}\n--- schema\n{schema}\n--- grammar\n{grammar}\n')
    calls = len(re.findall(r'^\s*test\(\{', text, re.M))
    assert calls == len(blocks), f'{calls} test calls, {len(blocks)} extracted'
    with open(output, 'w', encoding='utf-8') as f:
        f.write(f'# {len(blocks)} cases extracted by scripts/extract-json-schema-cases.py from\n')
        f.write('# llama.cpp tests/test-json-schema-to-grammar.cpp (tree de3ff815ea7d). Data, not code.\n')
        f.write(''.join(blocks))
    print(len(blocks), 'cases')


if __name__ == '__main__':
    main()
