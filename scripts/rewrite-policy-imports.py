"""Replace import aliases of confgate's own packages by full data references (see docs)."""
import re, sys, pathlib

def rewrite(text):
    imports = {}
    keep = []
    for line in text.split("\n"):
        m = re.match(r"^import (data\.confgate\.[A-Za-z0-9_.]+)(?: as ([A-Za-z_][A-Za-z0-9_]*))?\s*$", line)
        if m:
            path, alias = m.group(1), m.group(2) or m.group(1).rsplit(".", 1)[1]
            imports[alias] = path
            continue
        keep.append(line)
    if not imports:
        return text, 0
    src = "\n".join(keep)
    out = []
    i, n, count = 0, len(src), 0
    while i < n:
        c = src[i]
        if c == "#":
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(src[i:j]); i = j; continue
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j+1]); i = j + 1; continue
        if c == "`":
            j = src.find("`", i + 1)
            out.append(src[i:j+1]); i = j + 1; continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            word = src[i:j]
            prev = src[i-1] if i > 0 else ""
            if word in imports and prev != "." and j < n and src[j] == ".":
                out.append(imports[word]); count += 1
            else:
                out.append(word)
            i = j; continue
        out.append(c); i += 1
    return "".join(out), count

total = 0
for p in sys.argv[1:]:
    path = pathlib.Path(p)
    text = path.read_text()
    new, count = rewrite(text)
    if count or new != text:
        path.write_text(new)
        total += count
print("rewritten references:", total)
