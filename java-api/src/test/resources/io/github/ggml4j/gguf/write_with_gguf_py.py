"""Writes a GGUF file with llama.cpp's gguf-py, then prints what it wrote, line by line, for GgufPyTest.

Usage: PYTHONPATH=<llama.cpp>/gguf-py python3 write_with_gguf_py.py OUT.gguf

Output lines (tab-separated):
  kv      <key as UTF-8 hex>  <canonical value>
  tensor  <name>  <ggml type id>  <ne, comma-separated>  <offset in data section>  <sha256 of bytes>
  data_offset  <n>
A canonical value is "<type>:<repr>": integers in decimal, floats as the hex of their little-endian encoding,
bools 0/1, strings as UTF-8 hex; arrays are "arr:<element type>[<canonical>,...]".
Offsets come from gguf-py's own reader reading the file back.
"""
import hashlib
import struct
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType as T, GGUFWriter, GGMLQuantizationType as Q

NAMES = {T.UINT8: "u8", T.INT8: "i8", T.UINT16: "u16", T.INT16: "i16", T.UINT32: "u32", T.INT32: "i32",
         T.FLOAT32: "f32", T.BOOL: "bool", T.STRING: "str", T.ARRAY: "arr", T.UINT64: "u64", T.INT64: "i64",
         T.FLOAT64: "f64"}


def canon(value, vtype, sub=None):
    if vtype == T.ARRAY:
        et = sub if sub is not None else T.get_type(value[0])
        return "arr:" + NAMES[et] + "[" + ",".join(canon(v, et) for v in value) + "]"
    if vtype == T.STRING:
        return "str:" + value.encode("utf-8").hex()
    if vtype == T.FLOAT32:
        return "f32:" + struct.pack("<f", value).hex()
    if vtype == T.FLOAT64:
        return "f64:" + struct.pack("<d", value).hex()
    if vtype == T.BOOL:
        return "bool:" + ("1" if value else "0")
    return NAMES[vtype] + ":" + str(int(value))


def main(out):
    w = GGUFWriter(out, "pytest")
    kvs = [("general.architecture", "pytest", T.STRING, None)]
    w.add_uint8("v.u8", 255); kvs.append(("v.u8", 255, T.UINT8, None))
    w.add_int8("v.i8", -128); kvs.append(("v.i8", -128, T.INT8, None))
    w.add_uint16("v.u16", 65535); kvs.append(("v.u16", 65535, T.UINT16, None))
    w.add_int16("v.i16", -32768); kvs.append(("v.i16", -32768, T.INT16, None))
    w.add_uint32("v.u32", 4294967295); kvs.append(("v.u32", 4294967295, T.UINT32, None))
    w.add_int32("v.i32", -2147483648); kvs.append(("v.i32", -2147483648, T.INT32, None))
    w.add_float32("v.f32", 0.1); kvs.append(("v.f32", 0.1, T.FLOAT32, None))
    w.add_bool("v.bool", True); kvs.append(("v.bool", True, T.BOOL, None))
    w.add_string("v.str", "héllo 世界 🦙 %n%s ../x"); kvs.append(("v.str", "héllo 世界 🦙 %n%s ../x", T.STRING, None))
    w.add_uint64("v.u64", 18446744073709551615); kvs.append(("v.u64", 18446744073709551615, T.UINT64, None))
    w.add_int64("v.i64", -9223372036854775808); kvs.append(("v.i64", -9223372036854775808, T.INT64, None))
    w.add_float64("v.f64", 2.718281828459045); kvs.append(("v.f64", 2.718281828459045, T.FLOAT64, None))
    arrays = [
        ("a.u8", [0, 1, 255], T.UINT8), ("a.i8", [-1, 2], T.INT8), ("a.u16", [65535], T.UINT16),
        ("a.i16", [-300, 300], T.INT16), ("a.u32", [3000000000], T.UINT32), ("a.i32", [1, -2, 3], T.INT32),
        ("a.f32", [0.5, -1.25, 3.0e38], T.FLOAT32), ("a.bool", [True, False], T.BOOL),
        ("a.str", ["<unk>", "", "ü", "▁the"], T.STRING), ("a.u64", [18446744073709551614], T.UINT64),
        ("a.i64", [-5, 9223372036854775807], T.INT64), ("a.f64", [1e300, -1e-300], T.FLOAT64),
    ]
    for key, val, sub in arrays:
        w.add_key_value(key, val, T.ARRAY, sub_type=sub)
        kvs.append((key, val, T.ARRAY, sub))
    nested = [[1, 2], [3], [4, 5, 6]]
    w.add_array("a.nested.i32", nested); kvs.append(("a.nested.i32", nested, T.ARRAY, None))
    nested_str = [["a"], ["b", "c"]]
    w.add_array("a.nested.str", nested_str); kvs.append(("a.nested.str", nested_str, T.ARRAY, None))

    rng = np.random.default_rng(7)
    tensors = {
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f16": rng.standard_normal((5,)).astype(np.float16),
        "i8": rng.integers(-128, 127, (2, 3, 4), dtype=np.int8),
        "i32": rng.integers(-1000, 1000, (7,), dtype=np.int32),
    }
    for name, t in tensors.items():
        w.add_tensor(name, t)
    q8 = rng.integers(0, 255, (2, 34), dtype=np.uint8)
    w.add_tensor("q8_0", q8, raw_dtype=Q.Q8_0)
    tensors["q8_0"] = q8

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    for key, val, vtype, sub in kvs:
        print("kv", key.encode("utf-8").hex(), canon(val, vtype, sub), sep="\t")
    r = GGUFReader(out)
    print("data_offset", r.data_offset, sep="\t")
    for t in r.tensors:
        raw = tensors[t.name].tobytes()
        ne = ",".join(str(int(d)) for d in t.shape)
        print("tensor", t.name, int(t.tensor_type), ne, t.data_offset - r.data_offset,
              hashlib.sha256(raw).hexdigest(), sep="\t")


if __name__ == "__main__":
    main(sys.argv[1])
