#!/usr/bin/env python3
"""Writes samples/acme-intranet (the intranet of Acme Robotics, a fictional company) and samples/bad-files.

Deterministic: the same script always writes the same bytes (fixed seed, fixed dates, no timestamps from
the clock), so the committed files can be regenerated and diffed. Needs only Python 3; the encrypted PDF
needs `qpdf` (apt-get install qpdf) and is kept as committed when qpdf is absent.

    python3 samples/tools/generate_samples.py
"""
import json, os, random, shutil, subprocess, sys, zipfile
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "acme-intranet")
BAD = os.path.join(ROOT, "bad-files")
rng = random.Random(20240611)

PEOPLE = {
    "hr": ["Priya Raman", "Tomasz Nowak", "Grace Okafor", "Lena Fischer"],
    "it": ["Marcus Chen", "Aisha Bello", "Jonas Berg", "Sofia Alvarez"],
    "engineering": ["Dmitri Volkov", "Hannah Lee", "Rafael Souza", "Ingrid Haugen", "Kenji Watanabe"],
    "sales": ["Olivia Grant", "Samuel Mensah", "Chloe Dubois", "Arjun Mehta"],
    "legal": ["Beatrice Holm", "Daniel Cohen", "Mei Lin"],
    "finance": ["Victor Petrov", "Nadia Haddad", "George Whitfield"],
    "facilities": ["Carlos Mendes", "Yuki Tanaka", "Fiona Walsh"],
}
PROJECTS = ["Falcon", "Nimbus", "Orion", "Kestrel", "Atlas", "Beacon"]
TEAMS = ["Motion Control", "Vision Platform", "Fleet Cloud", "Firmware", "Data Platform", "Developer Experience"]
CUSTOMERS = ["Globex Manufacturing", "Initech Logistics", "Umbrella Health", "Stark Warehousing", "Wayne Foods", "Tyrell Agritech",
             "Cyberdyne Parts", "Hooli Retail"]
OFFICES = [("Berlin", "Torstraße 140, 10119 Berlin"), ("Austin", "500 Congress Ave, Austin, TX 78701"),
           ("Singapore", "1 Fusionopolis Way, Singapore 138632"), ("Leeds", "Wellington Place 3, Leeds LS1 4AP")]
SERVICES = ["fleet-api", "map-sync", "telemetry-ingest", "auth-gateway", "billing-service", "firmware-updater"]


def d(y, m, day):
    return date(y, m, day)


def iso(x):
    return x.isoformat()


def person(dept):
    return rng.choice(PEOPLE[dept])


def pick(xs, k):
    return rng.sample(xs, k)


# ---------------------------------------------------------------------------------------------------------------
# Writers. Every document is a dict: path, title, author, department, created, modified, sections [(level, heading, [paragraphs])]

def front_matter(doc, extra=None):
    lines = ["---", f"title: {doc['title']}", f"author: {doc['author']}", f"department: {doc['department']}",
             f"created: {iso(doc['created'])}", f"modified: {iso(doc['modified'])}"]
    for k, v in (extra or {}).items():
        lines.append(f"{k}: {v}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def write_text(path, text):
    full = os.path.join(CORPUS, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def to_markdown(doc):
    out = [front_matter(doc, doc.get("extra")), f"# {doc['title']}\n"]
    for level, heading, paragraphs in doc["sections"]:
        if heading:
            out.append("#" * (level + 1) + " " + heading + "\n")
        for p in paragraphs:
            out.append(("- " + p[2:]) if p.startswith("* ") else p)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def to_html(doc):
    meta = [f'<meta name="author" content="{esc(doc["author"])}">',
            f'<meta name="department" content="{esc(doc["department"])}">',
            f'<meta name="created" content="{iso(doc["created"])}">',
            f'<meta name="modified" content="{iso(doc["modified"])}">']
    for k, v in (doc.get("extra") or {}).items():
        meta.append(f'<meta name="{esc(k)}" content="{esc(str(v))}">')
    body = [f"<h1>{esc(doc['title'])}</h1>"]
    for level, heading, paragraphs in doc["sections"]:
        if heading:
            body.append(f"<h{level + 1}>{esc(heading)}</h{level + 1}>")
        items = [p for p in paragraphs if p.startswith("* ")]
        for p in paragraphs:
            if not p.startswith("* "):
                body.append(f"<p>{esc(p)}</p>")
        if items:
            body.append("<ul>" + "".join(f"<li>{esc(i[2:])}</li>" for i in items) + "</ul>")
    nav = '<nav><a href="/">Acme Intranet</a> | <a href="/search">Search</a> | <a href="/people">People</a></nav>'
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(doc['title'])}</title>\n" + "\n".join(meta) +
            "\n<style>body { font-family: sans-serif; }</style>\n<script>window.intranet = { tracking: false };</script>\n</head>\n<body>\n"
            + nav + "\n<main>\n" + "\n".join(body) + "\n</main>\n<footer>Acme Robotics internal. Do not forward outside the company.</footer>\n</body>\n</html>\n")


def to_txt(doc):
    out = [f"---\ntitle: {doc['title']}\nauthor: {doc['author']}\ndepartment: {doc['department']}\n"
           f"created: {iso(doc['created'])}\nmodified: {iso(doc['modified'])}\n---\n", doc["title"].upper(), ""]
    for level, heading, paragraphs in doc["sections"]:
        if heading:
            out.append(heading)
            out.append("")
        for p in paragraphs:
            out.append(p)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def docx_bytes(doc):
    def run_p(text, style=None):
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f'<w:p>{ppr}<w:r><w:t xml:space="preserve">{esc(text)}</w:t></w:r></w:p>'
    paras = [run_p(doc["title"], "Title")]
    for level, heading, paragraphs in doc["sections"]:
        if heading:
            paras.append(run_p(heading, f"Heading{level}"))
        for p in paragraphs:
            paras.append(run_p(("• " + p[2:]) if p.startswith("* ") else p))
    W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W}><w:body>{"".join(paras)}<w:sectPr/></w:body></w:document>'
    styles = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles {W}>'
              '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style>'
              + "".join(f'<w:style w:type="paragraph" w:styleId="Heading{i}"><w:name w:val="heading {i}"/><w:basedOn w:val="Normal"/>'
                        f'<w:pPr><w:outlineLvl w:val="{i - 1}"/></w:pPr><w:rPr><w:b/><w:sz w:val="{32 - 4 * i}"/></w:rPr></w:style>' for i in (1, 2, 3))
              + '</w:styles>')
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{esc(doc["title"])}</dc:title><dc:creator>{esc(doc["author"])}</dc:creator><cp:category>{esc(doc["department"])}</cp:category>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{iso(doc["created"])}T09:00:00Z</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{iso(doc["modified"])}T09:00:00Z</dcterms:modified></cp:coreProperties>')
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
              'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
              + "".join(f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i + 2}" name="{esc(k)}"><vt:lpwstr>{esc(str(v))}</vt:lpwstr></property>'
                        for i, (k, v) in enumerate((doc.get("extra") or {"status": "current"}).items()))
              + '</Properties>')
    content_types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                     '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
                     '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                     '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in [("[Content_Types].xml", content_types), ("_rels/.rels", rels), ("word/document.xml", document),
                           ("word/_rels/document.xml.rels", doc_rels), ("word/styles.xml", styles), ("docProps/core.xml", core),
                           ("docProps/custom.xml", custom)]:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # fixed time: byte-identical output
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def wrap(text, width):
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + " " + w) if cur else w
    if cur:
        lines.append(cur)
    return lines


def pdf_bytes(doc):
    """A plain PDF 1.4 with the standard Helvetica fonts, an Info dictionary and one text stream per page."""
    def pdfstr(s):
        s = s.encode("latin-1", "replace").decode("latin-1")
        return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    lines = [("F2", 18, doc["title"])]
    for level, heading, paragraphs in doc["sections"]:
        if heading:
            lines.append(("F2", 13 if level == 1 else 11, ""))
            lines.append(("F2", 13 if level == 1 else 11, heading))
        for p in paragraphs:
            for l in wrap(("- " + p[2:]) if p.startswith("* ") else p, 95):
                lines.append(("F1", 10, l))
            lines.append(("F1", 10, ""))
    pages, cur, y = [], [], 800
    for font, size, text in lines:
        if y < 60:
            pages.append(cur)
            cur, y = [], 800
        if text:
            cur.append(f"BT /{font} {size} Tf 50 {y} Td {pdfstr(text)} Tj ET")
        y -= size + 4
    if cur:
        pages.append(cur)
    objects = []  # index 0 -> object 1
    objects.append("<< /Type /Catalog /Pages 2 0 R >>")
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects.append(f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(pages)} >>")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for i, content in enumerate(pages):
        stream = "\n".join(content)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {page_ids[i] + 1} 0 R >>")
        objects.append(f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream")
    c = doc["created"].strftime("%Y%m%d") + "090000Z"
    m = doc["modified"].strftime("%Y%m%d") + "090000Z"
    objects.append(f"<< /Title {pdfstr(doc['title'])} /Author {pdfstr(doc['author'])} /Subject {pdfstr(doc['department'])} "
                   f"/Keywords {pdfstr(doc['department'] + ' acme')} /CreationDate (D:{c}) /ModDate (D:{m}) /Producer (Acme samples generator) >>")
    info_id = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects):
        offsets.append(len(out))
        out += f"{i + 1} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write(doc, fmt):
    path = doc["path"]
    if fmt == "md":
        write_text(path, to_markdown(doc))
    elif fmt == "html":
        write_text(path, to_html(doc))
    elif fmt == "txt":
        write_text(path, to_txt(doc))
    else:
        full = os.path.join(CORPUS, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(docx_bytes(doc) if fmt == "docx" else pdf_bytes(doc))


# ---------------------------------------------------------------------------------------------------------------
# Content

DOCS = []  # (doc, format)


def add(path, title, dept, created, modified, sections, fmt, author=None, extra=None):
    DOCS.append(({"path": path, "title": title, "department": dept, "author": author or person(dept), "created": created,
                  "modified": modified, "sections": sections, "extra": extra}, fmt))


def travel_policy(version):
    v2 = version == 2
    per_diem = "EUR 55" if v2 else "EUR 45"
    hotel = "EUR 180 (EUR 240 in London, New York, Singapore and Zurich)" if v2 else "EUR 150 (EUR 200 in London and New York)"
    flight = "8 hours" if v2 else "6 hours"
    tool = "Navan, our travel booking platform" if v2 else "the travel desk mailbox travel@acme-robotics.example"
    status = {"status": "current", "supersedes": "hr/policies/travel-policy-v1.md", "version": "2.0"} if v2 else \
        {"status": "superseded", "superseded_by": "hr/policies/travel-policy-v2.md", "version": "1.3"}
    sections = [
        (1, "Purpose and scope", [
            "This policy explains how Acme Robotics employees plan, book and get reimbursed for business travel. It applies to all employees, "
            "contractors travelling on behalf of Acme, and interns, in every office (Berlin, Austin, Singapore and Leeds).",
            ("Version 2.0 replaces version 1.3 from March 2022. The main changes are higher per diem and hotel limits, booking through Navan, "
             "and a longer flight duration before business class is allowed." if v2 else
             "Travel must be approved by your manager before you book. Trips to customer sites must be linked to an opportunity in the CRM.")]),
        (1, "Booking travel", [
            f"Book flights, trains and hotels through {tool}. Bookings made elsewhere are reimbursed only if they were cheaper than the "
            "lowest fare offered at the time of booking; attach a screenshot of the comparison.",
            f"Economy class is the default. Business class may be booked for flights longer than {flight} of scheduled flying time, "
            "with the approval of a vice president.",
            "Rail is preferred over flying for journeys under four hours, for example Berlin to Hamburg or Leeds to London."]),
        (1, "Hotels and per diem", [
            f"The nightly hotel limit is {hotel}, including taxes. Choose hotels within reasonable distance of the office or customer site.",
            f"Meals and incidentals are covered by a per diem of {per_diem} per full travel day; on the first and last day you receive 80 percent. "
            "Meals paid for by a customer or at a conference are deducted from the per diem."]),
        (1, "Expenses and reimbursement", [
            "Submit travel expenses in the expense tool within 30 days of returning. Receipts are required for every item above EUR 25." if v2 else
            "Submit travel expenses within 60 days of returning, using the expense spreadsheet on the finance intranet. Receipts are required for every item above EUR 10.",
            "Personal travel combined with a business trip is allowed if it does not increase the cost to Acme. Any extra nights are at your own expense."]),
        (1, "Safety and insurance", [
            "All business travellers are covered by the company travel insurance with Allianz Global Assistance. Register every international trip "
            "in the travel safety portal so that we can reach you in an emergency.",
            "Travel to countries with a travel warning from the German Federal Foreign Office needs prior approval from the HR director."]),
    ]
    add(f"hr/policies/travel-policy-v{version}.md", f"Business Travel Policy (version {'2.0' if v2 else '1.3'})", "hr",
        d(2024, 2, 1) if v2 else d(2022, 3, 14), d(2024, 5, 20) if v2 else d(2023, 1, 9), sections, "md",
        author="Priya Raman" if v2 else "Tomasz Nowak", extra=status)


def remote_work(version):
    v2 = version == 2
    sections = [
        (1, "Who can work remotely", [
            ("Employees can work from home up to three days a week after their probation period, in agreement with their manager. "
             "Teams agree on at least two anchor days in the office." if v2 else
             "Employees may work from home on up to two days a week, with approval from their manager. Remote work during probation is not possible.")]),
        (1, "Working from abroad", [
            ("You may work from another country for up to 20 working days per calendar year. Register the dates in Workday at least two weeks before "
             "you travel so that HR and Legal can check tax and social security rules." if v2 else
             "Working from another country is not permitted, because of tax and social security rules.")]),
        (1, "Equipment and costs", [
            "Acme provides a laptop, a monitor, a keyboard and a headset. " + (
                "A one-off home office allowance of EUR 400 covers a desk chair or desk; claim it in the expense tool." if v2 else
                "Furniture is not reimbursed."),
            "Internet costs are not reimbursed. Keep company devices secure at home: lock the screen when you leave and never let family members use them."]),
        (1, "Availability", [
            "Remote workers keep core hours from 10:00 to 15:00 local time and keep their calendar and Slack status up to date."]),
    ]
    if v2:
        add("hr/policies/remote-work-policy.md", "Remote and Hybrid Work Policy", "hr", d(2023, 9, 1), d(2024, 3, 12), sections, "md",
            author="Grace Okafor", extra={"status": "current", "supersedes": "hr/policies/archive/remote-work-policy-2021.html"})
    else:
        add("hr/policies/archive/remote-work-policy-2021.html", "Remote Work Policy (2021)", "hr", d(2021, 4, 6), d(2021, 11, 30), sections, "html",
            author="Tomasz Nowak", extra={"status": "superseded"})


def hr_docs():
    travel_policy(1)
    travel_policy(2)
    remote_work(1)
    remote_work(2)
    add("hr/policies/parental-leave-policy.docx", "Parental Leave Policy", "hr", d(2023, 1, 10), d(2024, 6, 3), [
        (1, "Entitlement", ["Every parent at Acme Robotics, regardless of gender, receives 16 weeks of fully paid parental leave after the birth or adoption of a child. "
                            "The leave can be taken in up to three blocks within the first 18 months.",
                            "This is in addition to statutory leave, for example Elterngeld in Germany or Shared Parental Leave in the United Kingdom."]),
        (1, "How to apply", ["Tell your manager and HR at least eight weeks before the planned start. Submit the leave request in Workday with the expected date of birth or adoption.",
                             "HR sends a written confirmation and a return-to-work plan within five working days."]),
        (1, "Returning to work", ["Returning parents may work 80 percent of their hours at full pay for the first four weeks. "
                                  "A keep-in-touch budget of ten paid days lets you join training or team events during leave."]),
    ], "docx", author="Grace Okafor")
    add("hr/policies/annual-leave-policy.md", "Annual Leave Policy", "hr", d(2022, 12, 1), d(2024, 1, 15), [
        (1, "Holiday entitlement", ["Full-time employees receive 28 days of paid annual leave plus the public holidays of their office location. "
                                    "Part-time employees receive a pro-rated amount.",
                                    "Up to five unused days can be carried over to 31 March of the following year; the rest expires."]),
        (1, "Requesting leave", ["Request leave in Workday. Managers answer requests within three working days. "
                                 "For leave longer than two weeks, ask at least one month in advance."]),
        (1, "Company closure", ["The company closes between Christmas and New Year. Three days of annual leave are reserved for this closure."]),
    ], "md")
    add("hr/policies/sick-leave.txt", "Sick Leave and Reporting Absence", "hr", d(2021, 6, 1), d(2023, 10, 2), [
        (1, "Reporting sickness", ["If you are ill, tell your manager before 10:00 on the first day of absence, by phone or Slack, and mark the absence in Workday.",
                                   "From the fourth day of absence a doctor's certificate is required (in Germany the electronic certificate eAU is retrieved by HR)."]),
        (1, "Pay during sickness", ["Acme pays full salary for up to six weeks of sickness per illness. After that, statutory sick pay or insurance benefits apply."]),
    ], "txt")
    for year, dental in ((2024, "80"), (2025, "90")):
        add(f"hr/benefits/benefits-overview-{year}.pdf", f"Employee Benefits Overview {year}", "hr", d(year - 1, 11, 15), d(year - 1, 12, 10), [
            (1, "Health insurance", [f"Acme pays the full employee premium for the company health plan with Northwind Health. Dental treatment is reimbursed at {dental} percent "
                                     "up to EUR 1,500 a year. Family members can join at the employee rate.",
                                     "In the United States the plan is administered by Northwind Health Plus; in Singapore by AIA Group."]),
            (1, "Pension", [f"Acme matches pension contributions up to {'4' if year == 2024 else '5'} percent of base salary. Contributions vest immediately."]),
            (1, "Wellbeing", [f"Each employee has a wellbeing budget of EUR {'300' if year == 2024 else '400'} per year for gym membership, sports equipment or mental health apps.",
                              "The employee assistance programme offers free confidential counselling, 24 hours a day, through Lyra."]),
            (1, "Mobility", ["Employees can lease a bicycle or e-bike through JobRad (Germany) or Cyclescheme (United Kingdom). Public transport tickets are subsidised at 50 percent."]),
        ], "pdf", author="Lena Fischer", extra=None)
    add("hr/onboarding/onboarding-checklist.md", "New Joiner Onboarding Checklist", "hr", d(2023, 2, 20), d(2024, 8, 1), [
        (1, "Before day one", ["* HR sends the contract through DocuSign and creates the Workday profile.", "* IT prepares the laptop and the Okta account (see the IT laptop request process).",
                               "* The manager chooses an onboarding buddy from the team."]),
        (1, "First week", ["* Attend the welcome session with the CEO, Maria Santos, on Monday at 10:00.", "* Complete the security awareness and code of conduct trainings in the learning portal.",
                           "* Set up MFA with Okta Verify and enrol your phone."]),
        (1, "First month", ["* Agree on 30-60-90 day goals with your manager.", "* Visit a customer deployment with the field team if you work in engineering or sales."]),
    ], "md", author="Lena Fischer")
    add("hr/performance/performance-review-guide.docx", "Performance Review Guide 2024", "hr", d(2024, 5, 2), d(2024, 6, 18), [
        (1, "The review cycle", ["Reviews happen twice a year, in June and December. Each cycle has a self-review, peer feedback from two or three colleagues, and a manager review.",
                                 "Calibration meetings per department make ratings comparable across teams."]),
        (1, "Ratings", ["Acme uses four ratings: below expectations, meets expectations, exceeds expectations, and outstanding. "
                        "Ratings inform salary reviews in January but are not the only input."]),
        (2, "Writing useful feedback", ["Give specific examples, describe the impact, and suggest one thing to keep and one thing to change."]),
    ], "docx", author="Priya Raman")
    add("hr/policies/code-of-conduct.pdf", "Code of Conduct", "hr", d(2020, 9, 1), d(2023, 9, 1), [
        (1, "Our principles", ["We treat colleagues, customers and partners with respect. Harassment and discrimination of any kind are not tolerated.",
                               "We avoid conflicts of interest and disclose gifts above EUR 50 to the compliance team."]),
        (1, "Speaking up", ["Report concerns to your manager, HR or the confidential whistleblowing line run by EQS. Reports can be anonymous and retaliation is forbidden."]),
    ], "pdf", author="Beatrice Holm")
    add("hr/policies/whistleblowing.txt", "Whistleblowing Procedure", "hr", d(2023, 7, 1), d(2023, 7, 1), [
        (1, "Reporting channels", ["Concerns about fraud, bribery, safety or data protection violations can be reported through the EQS Integrity Line, by post to the compliance officer, or in person."]),
        (1, "Handling of reports", ["The compliance officer acknowledges a report within seven days and gives feedback within three months, as required by the EU Whistleblower Directive."]),
    ], "txt", author="Beatrice Holm")
    add("hr/benefits/referral-bonus.html", "Employee Referral Bonus", "hr", d(2022, 5, 5), d(2024, 2, 12), [
        (1, "How much", ["A successful referral earns a bonus of EUR 2,500, or EUR 4,000 for hard-to-fill engineering roles such as firmware or robotics perception engineers."]),
        (1, "Conditions", ["The bonus is paid after the new hire completes the probation period. Referrals of former employees and agency candidates do not qualify."]),
    ], "html")
    add("hr/learning/learning-budget.md", "Learning and Development Budget", "hr", d(2022, 1, 20), d(2024, 4, 4), [
        (1, "Budget", ["Every employee has EUR 1,200 per year for courses, books, certifications and conferences, plus three learning days."]),
        (1, "Approval", ["Spend under EUR 300 needs no approval. Above that, ask your manager in the learning request form. Unused budget does not carry over."]),
    ], "md")
    for city, addr in OFFICES:
        holidays = {"Berlin": "New Year, Good Friday, Easter Monday, 1 May, Ascension, Whit Monday, 3 October, Christmas", "Austin": "New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas",
                    "Singapore": "New Year, Chinese New Year (two days), Good Friday, Hari Raya Puasa, National Day, Deepavali, Christmas", "Leeds": "New Year, Good Friday, Easter Monday, early May and spring bank holidays, August bank holiday, Christmas, Boxing Day"}[city]
        add(f"hr/holidays/public-holidays-2024-{city.lower()}.md", f"Public Holidays 2024 – {city} Office", "hr", d(2023, 11, 20), d(2023, 12, 5), [
            (1, "Holidays", [f"The {city} office ({addr}) observes these public holidays in 2024: {holidays}.",
                             "If a public holiday falls on your regular day off, it is not moved to another day."]),
            (1, "Working on a holiday", ["On-call engineers who work on a public holiday receive a day off in lieu plus the on-call allowance."]),
        ], "md", author="Lena Fischer")
    for i, when in enumerate([d(2024, 1, 8), d(2024, 2, 5), d(2024, 3, 4), d(2024, 4, 8), d(2024, 5, 6)]):
        topics = [("Hiring", f"{rng.randint(6, 14)} open roles, mostly in {rng.choice(TEAMS)}; time to hire is {rng.randint(32, 55)} days on average."),
                  ("Engagement survey", f"Participation was {rng.randint(71, 89)} percent; the lowest score was for career growth, the highest for team spirit."),
                  ("Policies", rng.choice(["The travel policy v2 draft was reviewed; the per diem increase needs the CFO's approval.",
                                           "The remote work policy now allows 20 days of working abroad.",
                                           "Parental leave blocks can now be split into three parts."]))]
        add(f"hr/meetings/hr-team-sync-{iso(when)}.md", f"HR Team Sync {iso(when)}", "hr", when, when, [
            (1, t, [p]) for t, p in topics] + [(1, "Actions", [f"* {person('hr')} to share the hiring dashboard.", f"* {person('hr')} to draft the onboarding survey."])], "md")


def it_docs():
    add("it/guides/vpn-setup.md", "Connecting to the VPN (WireGuard)", "it", d(2023, 5, 2), d(2024, 7, 9), [
        (1, "Before you start", ["Acme moved from Cisco AnyConnect to WireGuard in May 2023. You need the Acme Connect app from the Self Service portal and an enrolled Okta Verify device."]),
        (1, "Setup on macOS and Windows", ["* Install Acme Connect from Self Service (macOS) or Software Center (Windows).", "* Sign in with your Okta account and approve the push notification.",
                                           "* Choose the gateway closest to you: Frankfurt, Virginia or Singapore."]),
        (1, "Troubleshooting", ["If the tunnel connects but internal sites do not load, flush the DNS cache and reconnect. Error 'handshake did not complete' usually means UDP port 51820 is blocked by a hotel or guest network; switch to the TCP fallback in the settings."]),
    ], "md", author="Marcus Chen", extra={"status": "current", "supersedes": "it/guides/archive/vpn-setup-anyconnect.md"})
    add("it/guides/archive/vpn-setup-anyconnect.md", "Connecting to the VPN (Cisco AnyConnect)", "it", d(2019, 10, 1), d(2022, 8, 15), [
        (1, "Before you start", ["You need Cisco AnyConnect and an RSA token. Request the token from the IT service desk."]),
        (1, "Setup on macOS and Windows", ["* Install Cisco AnyConnect from the software portal.", "* Connect to vpn.acme-robotics.example and enter your password followed by the RSA code.",
                                           "* Choose the gateway closest to you: Frankfurt or Virginia."]),
        (1, "Troubleshooting", ["If the tunnel connects but internal sites do not load, flush the DNS cache and reconnect. If AnyConnect reports 'login failed', your RSA token may be out of sync; call the service desk."]),
    ], "md", author="Jonas Berg", extra={"status": "superseded", "superseded_by": "it/guides/vpn-setup.md"})
    for v, (length, rotate, mgr) in ((1, ("10", "every 90 days", "LastPass")), (2, ("14", "only after a suspected compromise", "1Password"))):
        add(f"it/policies/password-policy-v{v}.md", f"Password Policy (version {v}.0)", "it", d(2020 + 3 * (v - 1), 3, 1), d(2020 + 3 * (v - 1) + 1, 1, 10), [
            (1, "Requirements", [f"Passwords must be at least {length} characters long. Passphrases of four or more random words are encouraged.",
                                 f"Passwords are changed {rotate}." + (" Following NIST SP 800-63B, regular rotation was dropped in version 2.0." if v == 2 else "")]),
            (1, "Password manager", [f"Store all work passwords in {mgr}, the company password manager. Never reuse your Okta password elsewhere."]),
            (1, "Multi-factor authentication", ["MFA is mandatory for Okta, GitHub, AWS and the VPN. Use Okta Verify push or a YubiKey; SMS codes are not allowed."]),
        ], "md", author="Aisha Bello", extra={"status": "current" if v == 2 else "superseded"})
    add("it/guides/mfa-enrollment.html", "Enrolling in Multi-Factor Authentication", "it", d(2022, 4, 11), d(2024, 1, 22), [
        (1, "Okta Verify", ["Open https://acme.okta.example, go to Settings, and choose Set up next to Okta Verify. Scan the QR code with the app on your phone."]),
        (1, "YubiKey", ["Engineers with production access must also enrol a YubiKey 5. Collect one from the IT desk in your office."]),
        (1, "Lost phone", ["Call the service desk on extension 4357 (HELP). After identity verification, the desk resets your factors within one hour."]),
    ], "html", author="Aisha Bello")
    add("it/requests/laptop-request.docx", "Requesting a Laptop or Replacement", "it", d(2021, 2, 3), d(2024, 3, 19), [
        (1, "Standard models", ["Engineers receive a MacBook Pro 16 inch with 36 GB of memory; everyone else a MacBook Air 15 inch or a Lenovo ThinkPad T14. Laptops are replaced every four years."]),
        (1, "How to request", ["Open a ticket in Jira Service Management with the category Hardware. New joiner laptops are requested by HR as part of onboarding."]),
        (1, "Damaged or stolen devices", ["Report theft to the police and to IT immediately so the device can be locked and wiped through Jamf or Intune."]),
    ], "docx", author="Jonas Berg")
    add("it/guides/software-catalog.md", "Approved Software Catalog", "it", d(2022, 6, 1), d(2024, 9, 2), [
        (1, "Collaboration", ["Slack, Zoom, Google Workspace, Confluence, Jira, Miro and Figma are approved for all employees."]),
        (1, "Engineering", ["JetBrains IDEs, Visual Studio Code, Docker Desktop (with a company licence), GitHub Copilot Business and Postman are approved. Local LLM tools need a security review."]),
        (1, "Requesting new software", ["Ask in #it-help or open a Software Request ticket. The security team reviews data processing and the vendor's SOC 2 report before approval."]),
    ], "md", author="Sofia Alvarez")
    add("it/guides/guest-wifi.txt", "Guest Wi-Fi Access", "it", d(2022, 9, 9), d(2024, 2, 2), [
        (1, "Guest network", ["Visitors connect to the network ACME-GUEST. The daily password is shown on the screens at reception and changes every morning at 06:00."]),
        (1, "Employees", ["Employees use ACME-CORP with their Okta credentials. Do not connect company laptops to ACME-GUEST."]),
    ], "txt")
    for city, _ in OFFICES:
        printer = {"Berlin": "Ricoh IM C3000", "Austin": "HP LaserJet M611", "Singapore": "Canon imageRUNNER 2630", "Leeds": "Ricoh IM C3000"}[city]
        add(f"it/guides/printing-{city.lower()}.txt", f"Printing in the {city} Office", "it", d(2022, 10, 1), d(2023, 11, 1), [
            (1, "Printers", [f"The {city} office has {printer} printers on every floor. Print jobs are held until you tap your badge at the printer (follow-me printing)."]),
            (1, "Setup", ["On macOS, add the printer AcmePrint from System Settings; on Windows it is installed automatically. Colour printing is enabled by default for marketing only."]),
            (1, "Problems", ["For paper jams or empty toner, open a Facilities ticket. For driver problems, ask in #it-help."]),
        ], "txt", author="Jonas Berg")
    for name, title, steps in [
        ("email-outage", "Runbook: Email Delivery Outage", ["Check the Google Workspace status dashboard.", "Check MX records for acme-robotics.example with dig.", "Post an update in #incidents every 30 minutes."]),
        ("sso-outage", "Runbook: Okta SSO Outage", ["Confirm the outage on status.okta.com.", "Enable the break-glass accounts stored in the 1Password vault IT-Emergency.", "Tell employees through the status page and SMS broadcast."]),
        ("vpn-outage", "Runbook: VPN Gateway Outage", ["Check the WireGuard gateways in Grafana (dashboard VPN Health).", "Fail over DNS for connect.acme-robotics.example to the standby gateway.", "Open a ticket with the hosting provider if the Frankfurt region is down."]),
    ]:
        add(f"it/runbooks/{name}.md", title, "it", d(2023, rng.randint(1, 12), rng.randint(1, 28)), d(2024, rng.randint(1, 9), rng.randint(1, 28)), [
            (1, "Detection", [f"Alerts come from PagerDuty service IT-Core. The on-call IT engineer acknowledges within 15 minutes."]),
            (1, "Steps", ["* " + s for s in steps]),
            (1, "Communication", ["Incident commander is the on-call IT lead. Write a short postmortem within five working days for any outage longer than one hour."]),
        ], "md", author="Marcus Chen")
    add("it/policies/acceptable-use-policy.pdf", "Acceptable Use Policy for IT Systems", "it", d(2021, 1, 5), d(2024, 2, 28), [
        (1, "Use of company systems", ["Company laptops, accounts and networks are for business use. Limited personal use is acceptable if it does not affect work or security."]),
        (1, "Prohibited activities", ["Installing unapproved software, disabling endpoint protection (CrowdStrike Falcon), sharing accounts, and uploading confidential data to personal cloud storage or public AI chatbots are prohibited."]),
        (1, "Monitoring", ["Security events on company devices are logged for up to 90 days. Content of personal communications is not monitored."]),
    ], "pdf", author="Aisha Bello")
    add("it/policies/backup-policy.md", "Backup and Restore Policy", "it", d(2022, 3, 3), d(2024, 5, 5), [
        (1, "What is backed up", ["Google Workspace, Confluence, Jira and GitHub are backed up daily by Backupify and kept for one year. Laptops are not backed up: store work in Google Drive."]),
        (1, "Restore requests", ["Request a restore through a Jira Service Management ticket. Restores of single files take one working day."]),
    ], "md")
    for when in [d(2024, 1, 15), d(2024, 3, 11), d(2024, 5, 13), d(2024, 7, 15)]:
        add(f"it/meetings/it-ops-review-{iso(when)}.md", f"IT Operations Review {iso(when)}", "it", when, when, [
            (1, "Tickets", [f"{rng.randint(180, 320)} tickets were opened and {rng.randint(170, 310)} resolved; median time to resolution was {rng.randint(5, 19)} hours."]),
            (1, "Projects", [rng.choice(["The Okta to Entra ID evaluation is paused until Q4.", "Laptop refresh for the Austin office is 60 percent complete.",
                                         "The WireGuard rollout reached all offices; AnyConnect licences end in June.", "Jamf migration of the Leeds office is done."])]),
            (1, "Security", [f"{rng.randint(1, 6)} phishing reports were escalated; none led to a compromised account."]),
        ], "md")


def eng_docs():
    for i, project in enumerate(PROJECTS):
        team = TEAMS[i]
        lead = PEOPLE["engineering"][i % 5]
        goal = {"Falcon": "a new motion planner for the AR-7 warehouse robot that cuts average pick time by 15 percent",
                "Nimbus": "the fleet management cloud that replaces the on-premise Fleet Server 3 at customer sites",
                "Orion": "a camera-based obstacle detection model that runs on the Jetson Orin module",
                "Kestrel": "firmware 5.x with signed over-the-air updates for every robot model",
                "Atlas": "the telemetry data lake on S3 and Apache Iceberg that feeds analytics and billing",
                "Beacon": "an internal developer portal based on Backstage with golden paths for new services"}[project]
        fmt = ["docx", "md", "docx", "md", "pdf", "md"][i]
        add(f"engineering/projects/{project.lower()}/design-doc.{fmt}", f"Project {project}: Design Document", "engineering", d(2023, 2 + i, 10), d(2024, 1 + i, 20), [
            (1, "Summary", [f"Project {project} builds {goal}. It is owned by the {team} team, led by {lead}, with a target launch in {rng.choice(['Q2', 'Q3', 'Q4'])} 2024."]),
            (1, "Goals and non-goals", [f"* Goal: ship {goal.split(' that ')[0]} to the first three customers.", "* Goal: keep the p99 latency of the control loop under 20 milliseconds.",
                                        "* Non-goal: support the legacy AR-4 robot, which reaches end of life in 2025."]),
            (1, "Design", [f"The {project} service is written in {rng.choice(['Rust', 'C++', 'Go', 'Python'])} and deployed on Kubernetes (EKS) in eu-central-1 and us-east-1. "
                           f"It talks to {rng.choice(SERVICES)} over gRPC and publishes events to Kafka topics prefixed {project.lower()}.",
                           "Configuration lives in the config-service; feature flags are managed in LaunchDarkly."]),
            (2, "Alternatives considered", [f"We considered extending the existing {rng.choice(SERVICES)} but rejected it because its data model cannot represent multi-floor sites."]),
            (1, "Risks", [f"The main risk is {rng.choice(['sensor calibration drift', 'customer network restrictions', 'GPU supply for Jetson modules', 'data migration from Fleet Server 3'])}. "
                          "Mitigation is a staged rollout starting with the Globex pilot site."]),
        ], fmt, author=lead, extra={"project": project, "team": team, "status": rng.choice(["approved", "in review", "approved"])})
        add(f"engineering/teams/{team.lower().replace(' ', '-')}.html", f"{team} Team", "engineering", d(2022, 6, 1), d(2024, rng.randint(1, 9), 5), [
            (1, "What we do", [f"The {team} team owns Project {project} and the services {', '.join(pick(SERVICES, 2))}. Our Slack channel is #team-{team.lower().replace(' ', '-')}."]),
            (1, "People", [f"Engineering manager: {lead}. Members: {', '.join(pick(PEOPLE['engineering'], 3))}. Product manager: {rng.choice(['Nora Quinn', 'Ethan Brooks', 'Amara Diallo'])}."]),
            (1, "How to reach us", [f"File requests in Jira project {project[:3].upper()}. For incidents, page the {team} on-call rotation in PagerDuty."]),
        ], "html", author=lead)
    adrs = [("0001", "Use Kafka for robot telemetry", "Telemetry volume reached 40,000 messages per second; Kafka (Amazon MSK) replaces RabbitMQ for telemetry while RabbitMQ stays for commands."),
            ("0002", "Adopt gRPC between backend services", "gRPC with protobuf contracts in the shared api-contracts repository replaces ad-hoc JSON over HTTP."),
            ("0003", "PostgreSQL as the default database", "New services use Amazon RDS for PostgreSQL 15 unless a document store is clearly needed."),
            ("0004", "Rust for safety-critical robot components", "New code on the robot that can move actuators is written in Rust; C++ remains for existing drivers."),
            ("0005", "OpenTelemetry for tracing", "All services export traces through the OpenTelemetry collector to Grafana Tempo."),
            ("0006", "Trunk-based development", "Short-lived branches, merged within two days, with feature flags in LaunchDarkly."),
            ("0007", "Signed firmware images", "Firmware images are signed with keys held in AWS KMS; robots refuse unsigned images."),
            ("0008", "Retire Fleet Server 3", "Fleet Server 3 is supported until December 2025; customers migrate to Nimbus.")]
    for num, title, decision in adrs:
        add(f"engineering/adr/adr-{num}-{title.lower().replace(' ', '-')}.md", f"ADR {num}: {title}", "engineering", d(2022, 1 + int(num) % 12, 3), d(2023, 1 + int(num) % 12, 9), [
            (1, "Status", [rng.choice(["Accepted.", "Accepted.", "Accepted, partially superseded by a later ADR."])]),
            (1, "Context", [f"{rng.choice(TEAMS)} raised the question during the architecture review. " + decision.split(";")[0] + "."]),
            (1, "Decision", [decision]),
            (1, "Consequences", ["Teams update their service templates in Beacon. Existing services migrate when they next change significantly."]),
        ], "md", author=rng.choice(PEOPLE["engineering"]))
    for i, svc in enumerate(SERVICES):
        when = d(2024, 1 + i, 4 + 3 * i)
        cause = ["an expired TLS certificate on the load balancer", "a database migration that locked the robots table", "a Kafka consumer group rebalance storm",
                 "a misconfigured feature flag that disabled retries", "a memory leak in the protobuf parser", "an S3 bucket policy change"][i]
        add(f"engineering/postmortems/{iso(when)}-{svc}.{'md' if i % 2 else 'html'}", f"Postmortem: {svc} outage on {iso(when)}", "engineering", when, when + timedelta(days=4), [
            (1, "Summary", [f"On {iso(when)} the {svc} service was unavailable for {rng.randint(18, 140)} minutes because of {cause}. "
                            f"{rng.randint(2, 9)} customer sites, including {rng.choice(CUSTOMERS)}, saw robots pause at charging stations."]),
            (1, "Timeline", [f"* {rng.randint(8, 11)}:0{rng.randint(0, 9)} UTC alert fired in PagerDuty.", "* 15 minutes later the incident commander opened #inc channel.",
                             "* Mitigation deployed after rollback; service recovered."]),
            (1, "Root cause", [f"The root cause was {cause}. Monitoring did not alert earlier because the health check only tested the process, not its dependencies."]),
            (1, "Action items", ["* Add dependency checks to the readiness probe.", f"* Add an alert on {svc} error rate above 2 percent for 5 minutes."]),
        ], "md" if i % 2 else "html", author=rng.choice(PEOPLE["engineering"]))
    add("engineering/process/release-process.md", "Release Process for Robot Software", "engineering", d(2022, 2, 1), d(2024, 6, 1), [
        (1, "Release train", ["Robot software ships every four weeks. The release branch is cut on Monday of week three; only fixes are merged after that."]),
        (1, "Staged rollout", ["Releases go to the internal test fleet in Berlin, then to 5 percent of customer robots, then to everyone after 72 hours without regressions."]),
        (1, "Rollback", ["Any engineer on the release rota can halt the rollout in Nimbus. Robots keep the previous image and roll back automatically after three failed boots."]),
    ], "md", author="Ingrid Haugen")
    add("engineering/process/on-call.md", "Engineering On-Call Guide", "engineering", d(2021, 8, 1), d(2024, 4, 15), [
        (1, "Rotation", ["Each team runs a weekly rotation in PagerDuty with a primary and a secondary. Handover is on Monday at 10:00 CET."]),
        (1, "Compensation", ["On-call engineers receive EUR 350 per week plus EUR 60 per hour of incident work outside working hours."]),
        (1, "Escalation", ["If you cannot resolve an incident within 30 minutes, escalate to the secondary and to the engineering manager."]),
    ], "md", author="Dmitri Volkov")
    for v in (1, 2):
        add(f"engineering/process/coding-standards-v{v}.md", f"Coding Standards (version {v})", "engineering", d(2020 + 2 * v, 1, 10), d(2021 + 2 * v, 3, 1), [
            (1, "Code review", ["Every change needs one approving review" + (" from a code owner; changes to firmware need two." if v == 2 else ".")]),
            (1, "Testing", [f"Unit test coverage should stay above {'70' if v == 1 else '80'} percent for backend services. Integration tests run in CI on every pull request."]),
            (1, "Style", ["Use the formatter of each language: rustfmt, clang-format, gofmt, black. CI rejects unformatted code." if v == 2 else
                          "Use the formatter of each language where one exists. Style discussions in review should be rare."]),
        ], "md", author="Hannah Lee", extra={"status": "current" if v == 2 else "superseded"})
    for sprint in range(41, 47):
        when = d(2024, 1, 12) + timedelta(days=14 * (sprint - 41))
        team = rng.choice(TEAMS)
        add(f"engineering/sprints/sprint-{sprint}-review.md", f"Sprint {sprint} Review – {team}", "engineering", when, when, [
            (1, "Delivered", [f"The {team} team closed {rng.randint(14, 31)} tickets, including {rng.choice(['the new map editor', 'faster charging dock detection', 'the billing export', 'signed OTA updates', 'the Iceberg compaction job'])}."]),
            (1, "Not delivered", [f"{rng.choice(['Battery telemetry dashboards', 'Multi-floor routing', 'SSO for the customer portal'])} slipped to sprint {sprint + 1} because of on-call load."]),
        ], "md", author=rng.choice(PEOPLE["engineering"]))


def sales_docs():
    for i, customer in enumerate(CUSTOMERS):
        owner = PEOPLE["sales"][i % 4]
        robots = rng.randint(12, 180)
        fmt = ["docx", "md"][i % 2]
        add(f"sales/accounts/{customer.lower().replace(' ', '-')}-account-plan.{fmt}", f"Account Plan: {customer}", "sales", d(2023, 9, 1 + i), d(2024, 2 + i % 6, 10), [
            (1, "Account overview", [f"{customer} runs {robots} Acme AR-7 robots across {rng.randint(2, 9)} warehouses. Account owner: {owner}. Annual recurring revenue: EUR {rng.randint(3, 40) * 50},000."]),
            (1, "Stakeholders", [f"Champion: {rng.choice(['Head of Operations', 'VP Supply Chain', 'Director of Automation'])}. Economic buyer: the CFO. Technical contact works with the Nimbus pilot."]),
            (1, "Opportunities", [f"Expansion to {rng.randint(10, 60)} more robots in {rng.choice(['Q3', 'Q4'])} 2024, and migration from Fleet Server 3 to Nimbus.",
                                  f"Risk: the customer is also evaluating {rng.choice(['Locus Robotics', 'GreyOrange', 'Geek+'])}."]),
            (1, "Next steps", [f"* Quarterly business review on {iso(d(2024, 6 + i % 4, 12))}.", "* Share the Project Falcon pick-time results from the pilot site."]),
        ], fmt, author=owner, extra={"customer": customer})
    for year, base in ((2023, 2400), (2024, 2650)):
        add(f"sales/pricing/price-list-{year}.pdf", f"Acme Robotics Price List {year}", "sales", d(year - 1, 12, 1), d(year, 1, 5), [
            (1, "Robots", [f"AR-7 warehouse robot subscription: EUR {base} per robot per month, including maintenance and software updates. Minimum term 36 months.",
                           f"AR-7 purchase option: EUR {base * 30:,} per robot plus a support plan at 12 percent per year."]),
            (1, "Software", [f"Fleet management (Nimbus): EUR {'300' if year == 2024 else '250'} per site per month. Fleet Server 3 on-premise licences are no longer sold from 2024." if year == 2024 else
                             "Fleet Server 3 on-premise licence: EUR 18,000 per site per year."]),
            (1, "Discounts", ["Volume discounts: 5 percent from 50 robots, 10 percent from 150 robots. Larger discounts need deal desk approval."]),
        ], "pdf", author="Arjun Mehta", extra=None)
    add("sales/playbook/sales-playbook.md", "Sales Playbook", "sales", d(2022, 4, 1), d(2024, 3, 3), [
        (1, "Ideal customer profile", ["Warehouses with more than 20,000 square metres, at least two shifts, and pick rates above 1,000 lines per hour."]),
        (1, "Sales stages", ["* Discovery", "* Site assessment", "* Pilot (usually 8 weeks with 5 robots)", "* Proposal", "* Contract", "* Rollout"]),
        (1, "Pilot success criteria", ["Agree on measurable criteria before the pilot starts, for example picks per hour per worker and order accuracy."]),
    ], "md", author="Olivia Grant")
    add("sales/policies/discount-approval.md", "Discount Approval Policy", "sales", d(2023, 1, 3), d(2024, 1, 8), [
        (1, "Approval levels", ["Account executives may give up to 10 percent. Up to 20 percent needs the regional sales director; above 20 percent the deal desk and the CFO."]),
        (1, "Non-standard terms", ["Payment terms longer than 60 days, uncapped liability and source code escrow must be approved by Legal."]),
    ], "md", author="Samuel Mensah")
    for q in range(1, 5):
        when = d(2024, 3 * q, 28)
        add(f"sales/reviews/pipeline-review-2024-q{q}.html", f"Pipeline Review Q{q} 2024", "sales", when, when, [
            (1, "Numbers", [f"Pipeline EUR {rng.randint(8, 19)}.{rng.randint(0, 9)} million, {rng.randint(22, 48)} open opportunities; bookings reached {rng.randint(71, 118)} percent of the quarterly target."]),
            (1, "Top deals", [f"{c}: {rng.choice(['expansion', 'renewal', 'new logo', 'Nimbus migration'])}, stage {rng.choice(['pilot', 'proposal', 'contract'])}." for c in pick(CUSTOMERS, 3)]),
            (1, "Risks", [f"Competition from {rng.choice(['Locus Robotics', 'GreyOrange', 'Geek+'])} in {rng.choice(['the DACH region', 'the UK', 'Southeast Asia', 'Texas'])}."]),
        ], "html", author="Olivia Grant")
    add("sales/enablement/demo-script.txt", "AR-7 Demo Script", "sales", d(2023, 5, 5), d(2024, 4, 20), [
        (1, "Setup", ["Use the demo warehouse in Berlin or the virtual site in Nimbus. Charge the robots the day before."]),
        (1, "Flow", ["Show order release, robot assignment, the pick screen, and the live heatmap. End with the pick rate dashboard from the Globex pilot."]),
    ], "txt", author="Chloe Dubois")
    for comp in ["Locus Robotics", "GreyOrange", "Geek+"]:
        add(f"sales/battlecards/{comp.lower().replace(' ', '-').replace('+', 'plus')}.md", f"Battlecard: {comp}", "sales", d(2023, 10, 1), d(2024, 5, 1), [
            (1, "Where they win", [f"{comp} is strong in {rng.choice(['large e-commerce fulfilment', 'goods-to-person systems', 'fast deployments'])} and offers aggressive pilot pricing."]),
            (1, "Where we win", ["Acme's AR-7 handles mixed pallets and multi-floor sites, and Nimbus integrates with SAP EWM and Manhattan without middleware."]),
            (1, "Objection handling", ["If the customer raises price, compare the three-year total cost including integration and downtime."]),
        ], "md", author="Arjun Mehta")


def legal_docs():
    for kind in ("mutual", "one-way"):
        add(f"legal/templates/nda-{kind}.md", f"Non-Disclosure Agreement Template ({kind.replace('-', ' ')})", "legal", d(2021, 3, 1), d(2024, 2, 14), [
            (1, "When to use", [("Use the mutual NDA when both parties share confidential information, for example in a pilot or a technology partnership." if kind == "mutual" else
                                 "Use the one-way NDA when only Acme discloses confidential information, for example in a site assessment or a supplier tender.")]),
            (1, "Key terms", ["Confidential information includes technical data, source code, pricing and customer lists. The obligations last five years after disclosure.",
                              "The agreement is governed by German law with Berlin as the place of jurisdiction, unless Legal agrees otherwise."]),
            (1, "Signing", ["Send the NDA for signature through DocuSign from Salesforce. Changes to the template must be approved by Legal."]),
        ], "md", author="Daniel Cohen")
    add("legal/process/contract-review.md", "Contract Review Process", "legal", d(2022, 2, 2), d(2024, 6, 6), [
        (1, "What needs review", ["Every customer contract, supplier agreement above EUR 25,000, and any agreement with non-standard liability, IP or data protection terms."]),
        (1, "How to request", ["Create a Legal Request in Jira with the draft contract, the counterparty, the deal value and the deadline. Standard turnaround is five working days."]),
        (1, "Signature authority", ["Contracts up to EUR 250,000 can be signed by a vice president; above that by two managing directors."]),
    ], "md", author="Beatrice Holm")
    add("legal/privacy/data-processing-agreement.pdf", "Data Processing Agreement: Summary for Sales", "legal", d(2022, 5, 25), d(2024, 1, 30), [
        (1, "Why a DPA", ["Nimbus processes personal data of customer employees (operator names and shift logs), so Acme acts as a processor under GDPR Article 28."]),
        (1, "Key commitments", ["Data is hosted in the EU (Frankfurt) for EU customers. Sub-processors are listed on the trust page; customers are notified 30 days before changes.",
                                "Personal data breaches are reported to the customer within 48 hours."]),
    ], "pdf", author="Mei Lin")
    add("legal/brand/trademark-guidelines.html", "Trademark and Brand Name Guidelines", "legal", d(2021, 7, 7), d(2023, 7, 7), [
        (1, "Our marks", ["ACME ROBOTICS, AR-7 and NIMBUS are registered trademarks in the EU, the UK and the US. Use the ® symbol at the first mention in external documents."]),
        (1, "Customer logos", ["Customer logos may only be used in marketing material with written permission, tracked in the reference customer list."]),
    ], "html", author="Daniel Cohen")
    add("legal/compliance/export-control.docx", "Export Control Compliance", "legal", d(2022, 11, 11), d(2024, 3, 3), [
        (1, "Classification", ["The AR-7 robot is classified as EAR99 in the US and is not listed in Annex I of the EU dual-use regulation. The Orion vision module is under review."]),
        (1, "Screening", ["All new customers and distributors are screened against sanctions lists in the Salesforce screening step before a quote is sent."]),
    ], "docx", author="Mei Lin")
    add("legal/policies/open-source-policy.md", "Open Source Usage Policy", "legal", d(2021, 9, 1), d(2024, 8, 8), [
        (1, "Allowed licences", ["MIT, BSD, Apache-2.0 and ISC may be used without review. LGPL needs review for robot firmware. GPL and AGPL code must not ship on robots or in Nimbus."]),
        (1, "Contributing", ["Contributions to external projects need approval from your manager and Legal through the OSS contribution form."]),
    ], "md", author="Daniel Cohen")
    for v in (1, 2):
        add(f"legal/policies/records-retention-v{v}.txt", f"Records Retention Policy (version {v})", "legal", d(2019 + 3 * v, 1, 15), d(2020 + 3 * v, 2, 1), [
            (1, "Retention periods", [f"Contracts are kept for {'10' if v == 1 else '10'} years after expiry. Invoices and accounting records for 10 years. HR files for {'3' if v == 1 else '6'} years after employment ends.",
                                      "Robot telemetry with personal data is deleted after " + ("12 months." if v == 1 else "90 days unless the customer contract says otherwise.")]),
            (1, "Legal hold", ["When litigation is expected, Legal issues a legal hold and deletion stops for the affected records."]),
        ], "txt", author="Beatrice Holm", extra=None)
    for customer in CUSTOMERS[:6]:
        add(f"legal/contracts/{customer.lower().replace(' ', '-')}-contract-summary.txt", f"Contract Summary: {customer}", "legal", d(2023, rng.randint(1, 12), 1), d(2024, rng.randint(1, 8), 15), [
            (1, "Terms", [f"Master subscription agreement with {customer}, signed {iso(d(2022 + rng.randint(0, 1), rng.randint(1, 12), rng.randint(1, 28)))}, term {rng.choice([36, 48, 60])} months, "
                          f"liability cap {rng.choice(['12 months of fees', '2 times annual fees', 'EUR 1 million'])}.",
                          f"Service level: {rng.choice(['99.5', '99.7', '99.9'])} percent monthly availability of Nimbus, with service credits up to 10 percent of monthly fees."]),
            (1, "Special clauses", [rng.choice(["Source code escrow with NCC Group.", "Most favoured customer pricing for two years.", "On-site spare parts stock at the customer's expense.",
                                                "Termination for convenience after 24 months with six months' notice."])]),
        ], "txt", author=rng.choice(PEOPLE["legal"]), extra=None)


def finance_docs():
    for v in (1, 2):
        add(f"finance/policies/expense-policy-v{v}.md", f"Expense Policy (version {v}.0)", "finance", d(2021 + 2 * v, 1, 1), d(2022 + 2 * v, 1, 20), [
            (1, "General rules", ["Expenses must be necessary for the business, reasonable and supported by a receipt. " +
                                  ("Submit claims in Pleo within 30 days." if v == 2 else "Submit claims on the expense spreadsheet within 60 days.")]),
            (1, "Meals and entertainment", [f"Client meals up to EUR {'60' if v == 1 else '75'} per person including drinks. Team events up to EUR {'40' if v == 1 else '50'} per person, approved by the department head."]),
            (1, "Travel", ["Travel costs follow the Business Travel Policy published by HR, including per diem, hotel limits and class of travel." +
                           (" The per diem is EUR 55 per full day and the hotel limit EUR 180 per night." if v == 2 else " The per diem is EUR 45 per full day and the hotel limit EUR 150 per night.")]),
            (1, "Non-reimbursable", ["Fines, personal grooming, alcohol without a meal, and first-class travel are not reimbursed."]),
        ], "md", author="Nadia Haddad", extra={"status": "current" if v == 2 else "superseded"})
    add("finance/policies/travel-reimbursement.html", "Travel Expense Reimbursement", "finance", d(2024, 2, 15), d(2024, 5, 21), [
        (1, "Per diem and hotels", ["Meals and incidentals are covered by a per diem of EUR 55 per full travel day; on the first and last day you receive 80 percent. "
                                    "The nightly hotel limit is EUR 180 (EUR 240 in London, New York, Singapore and Zurich), including taxes."]),
        (1, "Submitting claims", ["Submit travel expenses in Pleo within 30 days of returning. Receipts are required for every item above EUR 25. Finance pays approved claims with the next payroll."]),
        (1, "Foreign currency", ["Expenses in foreign currency are converted at the rate on your card statement, or the ECB reference rate on the day of the expense for cash."]),
    ], "html", author="Nadia Haddad")
    for fy in (2024, 2025):
        add(f"finance/budget/budget-process-fy{fy}.docx", f"Budget Process FY{fy}", "finance", d(fy - 1, 8, 1), d(fy - 1, 9, 15), [
            (1, "Timeline", [f"Department heads submit headcount and operating budgets by {iso(d(fy - 1, 10, 15 if fy == 2024 else 1))}. The board approves the budget in December."]),
            (1, "Assumptions", [f"Revenue growth of {'35' if fy == 2024 else '28'} percent, salary increases of {'4.5' if fy == 2024 else '3.5'} percent, and a EUR/USD rate of {'1.08' if fy == 2024 else '1.10'}."]),
            (1, "Headcount", [f"New roles must be justified in the headcount template. FY{fy} plans {'42' if fy == 2024 else '31'} net new hires, mostly in engineering and field service."]),
        ], "docx", author="Victor Petrov")
    add("finance/procurement/procurement-policy.md", "Procurement Policy", "finance", d(2022, 7, 1), d(2024, 7, 1), [
        (1, "Thresholds", ["Purchases up to EUR 5,000 need one quote. Up to EUR 50,000 three quotes. Above EUR 50,000 a tender with Procurement."]),
        (1, "Purchase orders", ["Create a purchase order in Coupa before ordering. Invoices without a PO number are returned to the supplier."]),
        (1, "New suppliers", ["New suppliers complete the onboarding form, the sanctions screening and, if they process personal data, a security review."]),
    ], "md", author="George Whitfield")
    add("finance/ap/invoice-approval.html", "Invoice Approval Workflow", "finance", d(2022, 8, 8), d(2024, 4, 4), [
        (1, "Approval", ["Invoices are matched to purchase orders in Coupa. Matching invoices under EUR 10,000 are approved automatically; others go to the budget owner."]),
        (1, "Payment runs", ["Payment runs are on Tuesdays and Fridays. Standard payment terms are 30 days."]),
    ], "html", author="George Whitfield")
    for q in range(1, 5):
        add(f"finance/reports/quarterly-business-report-2024-q{q}.pdf", f"Quarterly Business Report Q{q} 2024", "finance", d(2024, 3 * q + 1 if q < 4 else 12, 15), d(2024, 3 * q + 1 if q < 4 else 12, 20), [
            (1, "Highlights", [f"Revenue EUR {rng.randint(14, 22)}.{rng.randint(0, 9)} million ({rng.randint(18, 41)} percent year over year). Robots under subscription: {1800 + 260 * q}.",
                               f"Gross margin {rng.randint(48, 57)} percent; operating cash flow {rng.choice(['positive', 'slightly negative', 'break-even'])}."]),
            (1, "Costs", [f"Operating expenses EUR {rng.randint(11, 16)} million, of which R&D {rng.randint(38, 45)} percent. Headcount at quarter end: {410 + 12 * q}."]),
            (1, "Outlook", ["Full-year guidance is " + rng.choice(["confirmed", "raised slightly", "confirmed with risk in Southeast Asia"]) + "."]),
        ], "pdf", author="Victor Petrov", extra=None)
    add("finance/policies/corporate-card.txt", "Corporate Card Policy", "finance", d(2023, 3, 1), d(2024, 3, 1), [
        (1, "Who gets a card", ["Employees who travel at least four times a year or buy software for their team receive a Pleo card with a monthly limit agreed by their manager."]),
        (1, "Rules", ["Upload a receipt within seven days. Personal purchases are not allowed; if one happens by mistake, repay it within 14 days."]),
    ], "txt", author="Nadia Haddad")
    add("finance/close/month-end-close.md", "Month-End Close Checklist", "finance", d(2022, 1, 31), d(2024, 6, 30), [
        (1, "Working day 1 to 3", ["* Accrue unbilled revenue from Nimbus usage.", "* Reconcile bank accounts and Pleo.", "* Book payroll journal from Personio and Gusto."]),
        (1, "Working day 4 to 6", ["* Review deferred revenue for subscriptions.", "* Prepare the management accounts pack for the CFO."]),
    ], "md", author="George Whitfield")


def facilities_docs():
    for city, addr in OFFICES:
        add(f"facilities/offices/{city.lower()}-office-guide.html", f"{city} Office Guide", "facilities", d(2022, 3, 1), d(2024, rng.randint(1, 9), 1), [
            (1, "Getting here", [f"The {city} office is at {addr}. " + {"Berlin": "Take the U8 to Rosenthaler Platz.", "Austin": "Parking is in the Congress Avenue garage, level 3.",
                                                                         "Singapore": "One-north MRT station is a five-minute walk.", "Leeds": "Leeds station is a ten-minute walk."}[city]]),
            (1, "Opening hours", ["The office is open from 07:00 to 20:00 on working days. Out of hours access needs a badge with extended access."]),
            (1, "Desks and rooms", ["Book desks and meeting rooms in Robin. Rooms are named after famous robots; the large room fits 20 people."]),
        ], "html", author=rng.choice(PEOPLE["facilities"]))
    add("facilities/access/badge-access.md", "Badge Access and Visitors", "facilities", d(2021, 5, 5), d(2024, 2, 2), [
        (1, "Badges", ["Badges are issued on your first day. Report a lost badge to facilities@acme-robotics.example; the old badge is blocked immediately."]),
        (1, "Visitors", ["Register visitors in Envoy the day before. Visitors wear a visitor badge and are accompanied in the lab areas."]),
    ], "md", author="Carlos Mendes")
    add("facilities/safety/fire-safety.pdf", "Fire Safety and Evacuation", "facilities", d(2020, 1, 1), d(2024, 1, 1), [
        (1, "Alarm", ["When the alarm sounds, leave the building by the nearest exit, do not use lifts, and go to the assembly point in front of the main entrance."]),
        (1, "Fire wardens", ["Each floor has two trained fire wardens. Lithium batteries in the robot lab are stored in fire-resistant cabinets."]),
    ], "pdf", author="Fiona Walsh")
    add("facilities/parking/parking-austin.txt", "Parking in Austin", "facilities", d(2022, 6, 1), d(2024, 6, 1), [
        (1, "Garage", ["Employees park in the Congress Avenue garage on level 3. Register your licence plate with facilities to get a free permit."]),
        (1, "EV charging", ["Four EV chargers are available; move your car after four hours."]),
    ], "txt", author="Yuki Tanaka")
    add("facilities/parking/parking-leeds.txt", "Parking in Leeds", "facilities", d(2022, 6, 1), d(2024, 6, 1), [
        (1, "Garage", ["Employees park in the Wellington Place car park. Register your licence plate with facilities to get a discounted permit."]),
        (1, "EV charging", ["Two EV chargers are available; move your car after four hours."]),
    ], "txt", author="Fiona Walsh")
    add("facilities/services/mail-room.md", "Mail Room and Deliveries", "facilities", d(2022, 2, 2), d(2023, 2, 2), [
        (1, "Deliveries", ["Personal parcels may be delivered to the office but must be collected within three days. Robot spare parts go to the lab loading bay."]),
    ], "md", author="Carlos Mendes")


def wiki_rows():
    rows = []
    glossary = [("AR-7", "Acme's seventh-generation autonomous mobile robot for warehouse picking, payload 300 kg."),
                ("Nimbus", "The cloud fleet management platform; successor to Fleet Server 3."),
                ("Fleet Server 3", "The legacy on-premise fleet management server, supported until December 2025."),
                ("Pick rate", "Order lines picked per hour per worker, the main KPI in customer pilots."),
                ("Site assessment", "A two-day visit in which solution engineers map a customer warehouse and estimate robot counts.")]
    for term, meaning in glossary:
        rows.append({"id": f"wiki/glossary/{term.lower().replace(' ', '-')}", "title": f"Glossary: {term}", "text": f"{term}: {meaning} See also the sales playbook and the Nimbus design document.",
                     "space": "glossary", "author": "Nora Quinn", "updated": "2024-04-02"})
    howtos = [("How to book a meeting room", "Open Robin, pick the office and time, and choose a room. Rooms with a robot icon have a demo robot. Cancel bookings you do not need so others can use the room.", "facilities"),
              ("How to get access to AWS", "Request the AWS role in the Access Request form in Jira. Your manager approves, then the platform team adds you to the Okta group aws-<team>-developers. MFA with a YubiKey is required.", "it"),
              ("How to request a learning budget refund", "Pay the course yourself or with your Pleo card, then upload the invoice to the learning request form. HR approves within five working days.", "hr"),
              ("How to submit a travel expense", "Open Pleo, choose Travel, attach the receipts and select the trip. The per diem is added automatically from the travel dates. Claims are due within 30 days.", "finance"),
              ("How to start a new service", "Use the golden path template in Beacon. It creates the repository, CI pipeline, Kubernetes manifests, dashboards and an on-call rotation stub.", "engineering"),
              ("How to escalate a customer incident", "Page the on-call support engineer in PagerDuty, open an incident in #inc, and tell the account owner. For robot safety incidents call the safety officer immediately.", "engineering"),
              ("How to request a contract review", "Create a Legal Request in Jira with the draft, counterparty, value and deadline. Legal answers within five working days.", "legal"),
              ("How to order business cards", "Order business cards in the print portal; marketing approves the layout. Delivery takes one week.", "facilities"),
              ("How to reset your Okta password", "Go to the Okta sign-in page and choose Forgot password. You need Okta Verify on your phone. If you lost your phone, call the service desk on extension 4357.", "it"),
              ("How to plan a customer pilot", "Agree the success criteria, book the robots from the pilot pool, schedule the site assessment, and create the pilot project in Nimbus.", "sales")]
    for title, text, space in howtos:
        rows.append({"id": "wiki/howto/" + title.lower().replace(" ", "-"), "title": title, "text": f"# {title}\n\n{text}\n\n## Questions\n\nAsk in #ask-{space} on Slack.",
                     "space": space, "author": person(space), "updated": iso(d(2024, rng.randint(1, 9), rng.randint(1, 28)))})
    for i, team in enumerate(TEAMS):
        rows.append({"id": f"wiki/teams/{team.lower().replace(' ', '-')}", "title": f"{team} team page", "space": "engineering", "author": PEOPLE["engineering"][i % 5],
                     "updated": iso(d(2024, 1 + i, 3)),
                     "text": f"# {team}\n\nThe {team} team works on Project {PROJECTS[i]}. Weekly planning is on Tuesday at 10:00 CET; demos every second Friday.\n\n"
                             f"## Contacts\n\nManager: {PEOPLE['engineering'][i % 5]}. On-call: see PagerDuty schedule {team}.\n\n## Links\n\nDesign document for Project {PROJECTS[i]}, the team's Jira board and Grafana dashboards."})
    # A wiki copy of the travel policy summary: a near-duplicate of the HR page and the finance page.
    rows.append({"id": "wiki/hr/travel-policy-summary", "title": "Travel policy in short", "space": "hr", "author": "Priya Raman", "updated": "2024-05-22",
                 "text": "Meals and incidentals are covered by a per diem of EUR 55 per full travel day; on the first and last day you receive 80 percent. "
                         "The nightly hotel limit is EUR 180 (EUR 240 in London, New York, Singapore and Zurich), including taxes. Book through Navan. "
                         "Business class only for flights longer than 8 hours, approved by a vice president."})
    rows.append({"id": "wiki/it/vpn-quickstart", "title": "VPN quick start", "space": "it", "author": "Marcus Chen", "updated": "2024-07-10",
                 "text": "Install Acme Connect, sign in with Okta, approve the push and pick the Frankfurt, Virginia or Singapore gateway. If internal sites do not load, flush DNS and reconnect."})
    return rows


def bad_files():
    if os.path.isdir(BAD):
        keep = os.path.join(BAD, "encrypted.pdf")
        for name in os.listdir(BAD):
            if os.path.join(BAD, name) != keep:
                os.remove(os.path.join(BAD, name))
    os.makedirs(BAD, exist_ok=True)

    def put(name, data):
        with open(os.path.join(BAD, name), "wb") as f:
            f.write(data)
    put("empty.md", b"")
    # A PNG image renamed to .txt: NUL bytes in the first kilobyte.
    put("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(rng.randrange(256) for _ in range(600)))
    # Latin-1 text saved with a .md extension: the é and ü bytes are not valid UTF-8.
    put("invalid-utf8.md", "---\ntitle: Café policy\n---\n\n# Café and Küche rules\n\nPlease clean the café after use.\n".encode("latin-1"))
    # A PDF cut off after a few bytes of its first object: no cross-reference table, no trailer.
    good = pdf_bytes({"title": "Quarterly Forecast", "author": "Victor Petrov", "department": "finance", "created": d(2024, 1, 1), "modified": d(2024, 1, 2),
                      "sections": [(1, "Forecast", ["Revenue forecast for the next quarter is confidential."])]})
    put("corrupt.pdf", good[:220])
    put("duplicate-ids.jsonl", (json.dumps({"id": "wiki/dup-1", "title": "First copy", "text": "The first row with this id is ingested."}) + "\n"
                                + json.dumps({"id": "wiki/dup-1", "title": "Second copy", "text": "The second row with the same id must fail."}) + "\n").encode())
    put("diagram.vsdx", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(200)))
    plain = os.path.join(BAD, "plain-for-encryption.pdf")
    put("plain-for-encryption.pdf", good)
    # AES-256 salts are random, so re-encrypting would change the committed bytes on every run: keep an existing file.
    if os.path.exists(os.path.join(BAD, "encrypted.pdf")):
        pass
    elif shutil.which("qpdf"):
        subprocess.run(["qpdf", "--static-id", "--encrypt", "user-secret", "owner-secret", "256", "--", plain, os.path.join(BAD, "encrypted.pdf")], check=True)
    else:
        sys.exit("qpdf is needed to write bad-files/encrypted.pdf (apt-get install qpdf)")
    os.remove(plain)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    hr_docs(); it_docs(); eng_docs(); sales_docs(); legal_docs(); finance_docs(); facilities_docs()
    for doc, fmt in DOCS:
        write(doc, fmt)
    rows = wiki_rows()
    write_text("wiki/pages.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    bad_files()
    counts = {}
    for doc, fmt in DOCS:
        counts[fmt] = counts.get(fmt, 0) + 1
    print(f"{len(DOCS)} files + {len(rows)} wiki rows = {len(DOCS) + len(rows)} documents; by format {counts}")


if __name__ == "__main__":
    main()
