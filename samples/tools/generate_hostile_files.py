#!/usr/bin/env python3
"""Writes the hostile inputs of samples/bad-files' second part into a folder: files made to take the machine,
lose lines or hang an ingest. They are generated, never committed (some are 20-100 MB once expanded).

    python3 samples/tools/generate_hostile_files.py /tmp/hostile
    relevance ingest /tmp/hostile

Each file's expected outcome is in README.md ("Hostile input"): one failure row per bad file with a reason,
every good file and every good row ingested, in well under a minute and a gigabyte. The unreadable folder
only bites a user other than root, and the named pipe needs mkfifo (Linux, macOS).
"""
import json, os, shutil, stat, sys, zipfile

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def docx(path, body_chunks, extra_parts=0):
    """A minimal Word document whose body is streamed from body_chunks (so 100 MB never sits in memory here)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'.encode())
            for chunk in body_chunks:
                f.write(chunk)
            f.write(b"</w:body></w:document>")
        for i in range(extra_parts):
            z.writestr(f"customXml/item{i}.xml", "<a/>")


def main(out):
    if os.path.exists(out):
        for root, dirs, _ in os.walk(out):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(out)
    os.makedirs(out)

    def put(name, data):
        path = os.path.join(out, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def row(**fields):
        return json.dumps(fields) + "\n"

    # Good files beside the bad ones: all of them must be ingested.
    put("fine.md", "# Travel policy\n\nBook flights through the portal at least two weeks before you travel. The hotel limit is EUR 180 a night.\n")
    put("sloppy.html", "<html><body><h1>Release notes</h1>" + "".join(f"<p>Change {i}: fixed the login timeout<li>item<br>" for i in range(3000)) + "</body></html>")
    put("no-spaces.txt", "".join(chr(ord("a") + i % 26) for i in range(180_000)))
    put("nul.jsonl", row(id="nul", title="Badge\u0000s", text="Collect your badge\u0000 at reception on the first day."))

    # 1. A zip bomb: 300 KB on disk, 100 MB of XML inside; and a zip of 20,000 parts.
    paragraph = ("<w:p><w:r><w:t>" + "x" * 10_000 + "</w:t></w:r></w:p>").encode()
    docx(os.path.join(out, "docx-bomb.docx"), (paragraph for _ in range(10_000)))
    docx(os.path.join(out, "docx-parts.docx"), [b"<w:p><w:r><w:t>Many parts.</w:t></w:r></w:p>"], extra_parts=20_000)

    # 4. One bad line among good ones: an escaped lone surrogate, JSON nested 200 deep, an id too long for an index, a 21 MB line.
    put("lone-surrogate.jsonl", row(id="before", text="The row before the bad one.") + '{"id": "bad", "text": "bad \\ud800 x"}\n' + row(id="after", text="The row after the bad one."))
    put("deep-json.jsonl", '{"id": "deep", "text": "x", "meta": ' + "[" * 200 + "]" * 200 + "}\n" + row(id="shallow", text="A row of ordinary depth."))
    put("long-id.jsonl", row(id="x" * 5000, text="An id of 5,000 characters.") + row(id="short", text="A row with a short id."))
    with open(os.path.join(out, "huge-line.jsonl"), "w") as f:
        f.write('{"id": "huge", "text": "' + "y" * (21 * 1024 * 1024) + '"}\n')
        f.write(row(id="small", text="A small row after a line of 21 MB."))

    # 11. Deep nesting: 100,000 nested <div> and 100,000 nested Markdown quotes.
    put("deep.html", "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>")
    put("deep-quotes.md", "# Quotes\n\n" + ">" * 100_000 + " deep\n")

    # 2. Links: a cycle, a link to the folder itself, one leaving the corpus, one dangling, an alias of a real file.
    put("links/a/real.md", "# Real\n\nThe only document behind these links.\n")
    os.symlink("..", os.path.join(out, "links/a/loop"))
    os.symlink("../links", os.path.join(out, "links/self"))
    os.symlink("/etc/passwd", os.path.join(out, "links/passwd.txt"))
    os.symlink("nowhere.md", os.path.join(out, "links/dangling.md"))
    os.symlink("a/real.md", os.path.join(out, "links/alias.md"))

    # 3. An unreadable folder (bites users other than root) and a named pipe (reading it would never end).
    put("locked/secret.md", "# Locked\n\nNobody but root may list this folder.\n")
    os.chmod(os.path.join(out, "locked"), 0)
    if hasattr(os, "mkfifo"):
        os.mkfifo(os.path.join(out, "pipe.md"))
    print(f"wrote the hostile inputs to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
