"""Generate the tables of src/auth/confusables.py: the TR39 prototype of every code point, as ICU's spoof checker has it.

Run with ICU's shared libraries present (Debian: libicu72). Prints a Python module body on stdout.
For each code point c (not a surrogate) it asks uspoof_getSkeletonUTF8 for skeleton(c) = NFD(prototype(NFD(c)))
and keeps c -> skeleton(c) where they differ; it also lists the Default_Ignorable_Code_Point ranges.
"""

import ctypes
import ctypes.util
import sys
import unicodedata

VERSION = sys.argv[1] if len(sys.argv) > 1 else "72"
i18n = ctypes.CDLL(f"libicui18n.so.{VERSION}")
uc = ctypes.CDLL(f"libicuuc.so.{VERSION}")


def fn(lib, name, restype, *argtypes):
    f = getattr(lib, f"{name}_{VERSION}")
    f.restype = restype
    f.argtypes = argtypes
    return f


status = ctypes.c_int(0)
uspoof_open = fn(i18n, "uspoof_open", ctypes.c_void_p, ctypes.POINTER(ctypes.c_int))
get_skeleton = fn(
    i18n,
    "uspoof_getSkeletonUTF8",
    ctypes.c_int32,
    ctypes.c_void_p,
    ctypes.c_uint32,
    ctypes.c_char_p,
    ctypes.c_int32,
    ctypes.c_char_p,
    ctypes.c_int32,
    ctypes.POINTER(ctypes.c_int),
)
has_property = fn(uc, "u_hasBinaryProperty", ctypes.c_int8, ctypes.c_int32, ctypes.c_int)
unicode_version = fn(uc, "u_getUnicodeVersion", None, ctypes.c_char * 4)
icu_version = fn(uc, "u_getVersion", None, ctypes.c_char * 4)
UCHAR_DEFAULT_IGNORABLE_CODE_POINT = 5

checker = uspoof_open(ctypes.byref(status))
assert status.value <= 0, status.value
buffer = ctypes.create_string_buffer(256)
prototypes: dict[int, str] = {}
ignorable: list[int] = []
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    if has_property(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT):
        ignorable.append(cp)
    source = chr(cp).encode()
    status.value = 0
    length = get_skeleton(checker, 0, source, len(source), buffer, 256, ctypes.byref(status))
    assert status.value <= 0, (hex(cp), status.value)
    target = buffer.raw[:length].decode()
    # A character NFD changes never reaches the table: the skeleton takes NFD first.
    if target != chr(cp) and unicodedata.normalize("NFD", chr(cp)) == chr(cp):
        prototypes[cp] = target

uv, iv = (ctypes.c_char * 4)(), (ctypes.c_char * 4)()
unicode_version(uv)
icu_version(iv)
print("# unicode", ".".join(str(b) for b in uv.raw[:3]), "icu", ".".join(str(b) for b in iv.raw[:2]))
ranges = []
for cp in ignorable:
    if ranges and ranges[-1][1] == cp - 1:
        ranges[-1][1] = cp
    else:
        ranges.append([cp, cp])


def literal(text: str) -> str:
    out = []
    for ch in text:
        o = ord(ch)
        if 0x20 <= o < 0x7F and ch not in "\"\\":
            out.append(ch)
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return '"' + "".join(out) + '"'


print("DEFAULT_IGNORABLE = (")
for a, b in ranges:
    print(f"    (0x{a:04X}, 0x{b:04X}),")
print(")")
print("PROTOTYPES: dict[int, str] = {")
for cp, target in sorted(prototypes.items()):
    print(f"    0x{cp:04X}: {literal(target)},")
print("}")
print(len(prototypes), "entries", file=sys.stderr)
