#!/usr/bin/env python3
"""Writes the Unicode tables the Java tokenizers need, from the pinned llama.cpp tree.

llama.cpp classifies code points with its own tables (src/unicode-data.cpp, generated from one
UnicodeData.txt), not with the C++ library's. The pre-tokenizers must see exactly the same categories,
so ggml4j ships those tables as data instead of asking java.lang.Character, whose Unicode version
depends on the JDK running it.

Usage: scripts/gen-tokenizer-unicode-data.py <llama.cpp source dir> <output .bin>

Format (big-endian, as java.io.DataInputStream reads it):
  int magic 0x4C4C5544 ("LLUD"), int version 1
  int n; n x (int first, short categoryFlags)     ranges; each runs to the next first - 1
  int n; n x int                                 whitespace code points
  int n; n x (int cp, int lower)                 simple lowercase mapping, sorted by cp
  int n; n x (int first, int last, int nfd)      first code point of the NFD form, by range
"""
import re
import struct
import sys


def table(src, name):
    m = re.search(name + r"\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        sys.exit(f"table {name} not found")
    return m.group(1)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src = open(f"{sys.argv[1]}/src/unicode-data.cpp", encoding="utf-8").read()
    hexnum = r"0x([0-9A-Fa-f]+)"

    ranges = [(int(a, 16), int(b, 16)) for a, b in
              re.findall(r"\{" + hexnum + r",\s*" + hexnum + r"\}", table(src, "unicode_ranges_flags"))]
    whitespace = [int(a, 16) for a in re.findall(hexnum, table(src, "unicode_set_whitespace"))]
    lower = [(int(a, 16), int(b, 16)) for a, b in
             re.findall(r"\{" + hexnum + r",\s*" + hexnum + r"\}", table(src, "unicode_map_lowercase"))]
    nfd = [(int(a, 16), int(b, 16), int(c, 16)) for a, b, c in
           re.findall(r"\{" + hexnum + r",\s*" + hexnum + r",\s*" + hexnum + r"\}", table(src, "unicode_ranges_nfd"))]

    assert ranges[0][0] == 0 and ranges[-1][0] == 0x110000, "flag ranges must cover 0..0x10FFFF"
    assert all(f < 0x10000 for _, f in ranges)
    assert lower == sorted(lower) and nfd == sorted(nfd)

    out = bytearray()
    out += struct.pack(">ii", 0x4C4C5544, 1)
    out += struct.pack(">i", len(ranges))
    for first, flags in ranges:
        out += struct.pack(">iH", first, flags)
    out += struct.pack(">i", len(whitespace))
    for cp in sorted(whitespace):
        out += struct.pack(">i", cp)
    out += struct.pack(">i", len(lower))
    for cp, lo in lower:
        out += struct.pack(">ii", cp, lo)
    out += struct.pack(">i", len(nfd))
    for first, last, n in nfd:
        out += struct.pack(">iii", first, last, n)
    with open(sys.argv[2], "wb") as f:
        f.write(out)
    print(f"{sys.argv[2]}: {len(ranges)} ranges, {len(whitespace)} whitespace, "
          f"{len(lower)} lowercase, {len(nfd)} nfd; {len(out)} bytes")


if __name__ == "__main__":
    main()
