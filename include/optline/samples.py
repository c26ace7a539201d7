"""Sample inbox files for the demo and benchmarks: the contact lists' (small messy ones, or N
generated rows), and the writers every kind's `write_samples(folder, as_of)` uses.

US/CA numbers are in the fictional 555-01xx range; UK ones around phonenumbers' own example
mobile number (phonenumbers rejects Ofcom's drama ranges as invalid).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import yaml

# Area codes for generated NANP numbers (555-0100..0199 exchange-line numbers are fictional).
_AREA_CODES = ("212", "305", "312", "415", "512", "617", "702", "206", "405", "410", "860", "416", "604")
_FIRST = ("Ann", "Bob", "Chloé", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Mo", "Nia")
_LAST = ("Lee", "Ng", "Okafor", "Smith", "García", "Kowalski", "Tanaka", "Brown", "Dubois", "Ivanova")


def _when(as_of: dt.date, days_ago: int) -> str:
    return (as_of - dt.timedelta(days=days_ago)).isoformat()


def write_manifest(data_file: Path, manifest: dict) -> Path:
    """`<stem>.manifest.yaml` beside `data_file`, keys in the order given."""
    path = data_file.with_name(f"{data_file.name.split('.')[0]}.manifest.yaml")
    path.write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """`rows` as CSV with CRLF line ends, as spreadsheets and providers export it."""
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def messy_csv_rows(as_of: dt.date) -> list[list[str]]:
    """A hand-made Windows-1252 `;` export with one example of each problem."""
    d = lambda n: (as_of - dt.timedelta(days=n)).strftime("%m/%d/%Y")  # noqa: E731 (US order)
    return [
        ["Mobile Number", "First Name", "Surname", "Birthday", "Opt-in Date", "Email", "Company", "Address", "Tags"],
        ["(415) 555-0101", "Ann", "Lee", "01/02/1990", d(20), "ann@example.com", "Acme", "1 Main St", "vip"],
        ["415.555.0102", "Bob", "Ng", "03/04/1985", d(40), "", "", "", ""],
        ["+1 212 555 0103", "Chloé", "Dubois", "07/08/1979", d(10), "chloe@example.com", "=HYPERLINK(\"x\")", "",
         "vip;events"],
        ["4155550101", "ann", "LEE", "01/02/1990", d(20), "", "", "", ""],          # duplicate of row 1
        ["4.15555E+09", "Dev", "Smith", "05/06/1991", d(5), "", "", "", ""],        # Excel-mangled
        ["+1 800 555 0199", "Toll", "Free", "05/06/1991", d(5), "", "", "", ""],   # toll-free: not mobile
        ["555-0100", "Eva", "Brown", "05/06/1991", d(5), "", "", "", ""],          # too short: invalid
        ["+44 7400 123460", "Femi", "Okafor", "05/06/1991", d(5), "", "", "", ""], # not US/CA
        ["(312) 555-0104", "Gus", "Tanaka", "05/06/1991", "", "", "", "", ""],     # no opt-in timestamp
        ["(312) 555-0105", "Hana", "Kowalski", "05/06/1991", "12/31/2099", "", "", "", ""],  # future opt-in
        ["(312) 555-0106", "Ivan", "Ivanova", d(365 * 15), d(3), "", "", "", ""],  # 15 years old
        ["(617) 555-0107", "Jo", "García", "", d(3), "", "", "", ""],              # no date of birth
        ["(617) 555-0108", "Kai", "Smith", "09/10/1970", d(300), "", "", "", ""],  # stale: warned
        ["(617) 555-0109", "L" * 60, "Long", "09/10/1970", d(3), "", "", "", ""],  # first name too long
        ["", "", "", "", "", "", "", "", ""],                                       # blank row
        ["(416) 555-0110", "Mo", "Tremblay", "11/12/1988", d(2), "", "", "12 Rue\nApt 3", ""],  # CA, quoted newline
        ["(212) 555-0103", "Nia", "Dubois", "02/02/1992", d(2), "", "", "", ""],   # shares Chloé's number
    ]


def write_samples(inbox: Path, as_of: dt.date | None = None, force: bool = False) -> list[Path]:
    """Write the demo's inbox files with their manifests; existing files are kept unless `force`.

    Under the default policy's gate the three files end three ways: `store_events.xlsx`
    passes and merges, `uk_keyword_numbers.txt` is held for review (over 10 % of its rows
    rejected), `spring_signups.csv` is rejected whole (over 60 % rejected: it shows every rule).
    """
    as_of = as_of or dt.date.today()
    inbox.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    csv_path = inbox / "spring_signups.csv"
    if force or not csv_path.exists():
        write_csv(csv_path, messy_csv_rows(as_of), encoding="cp1252", delimiter=";")
        write_manifest(csv_path, {
            "lists": ["Spring Promo"], "default_country": "US", "channel": "sms", "tags": ["spring-2026"],
            "consent": {"source": "website signup form", "method": "web_form"},
        })
        written.append(csv_path)

    xlsx_path = inbox / "store_events.xlsx"
    if force or not xlsx_path.exists():
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Contacts"
        sheet.append(["Cell #", "First", "Last", "DOB", "Consent Date", "Email"])
        sheet.append([4155550101, "Ann", "Lee", dt.date(1990, 1, 2), as_of - dt.timedelta(days=3),
                      "ann.lee@example.com"])
        sheet.append([2125550111, "Oli", "Brown", dt.date(1995, 6, 7), as_of - dt.timedelta(days=8), None])
        sheet.append(["(305) 555-0112", "Pia", "Ng", dt.date(1999, 9, 9), as_of - dt.timedelta(days=1), None])
        sheet.append([3055550113, "Raj", "Kumar", dt.date(1984, 4, 4), as_of - dt.timedelta(days=2), None])
        sheet.cell(row=5, column=1).number_format = "0.00E+00"  # shown in scientific notation
        sheet.append([6045550114, "Sam", "Roy", dt.date(2001, 1, 1), as_of - dt.timedelta(days=4), "sam@example.com"])
        for n, (first, last) in enumerate([("Tia", "Lee"), ("Uma", "Ng"), ("Vic", "Fox"), ("Wes", "Kim"),
                                           ("Xin", "Wu"), ("Yan", "Ito")], start=15):
            sheet.append([f"+1 702 555 01{n:02d}", first, last, dt.date(1980 + n, 2, 3), as_of - dt.timedelta(days=n),
                          None])
        book.save(xlsx_path)
        write_manifest(xlsx_path, {
            "lists": ["spring promo", "In-Store Events"], "default_country": "US", "channel": "sms",
            "tags": ["in-store"], "consent": {"source": "in-store tablet", "method": "tablet_form"},
        })
        written.append(xlsx_path)

    txt_path = inbox / "uk_keyword_numbers.txt"
    if force or not txt_path.exists():
        txt_path.write_text("\n".join([
            "07400 123456", "447400123457", "+44 7400 123458", "07400 123456", "", "020 7946 0004", "12345",
        ]) + "\n", encoding="utf-8")
        write_manifest(txt_path, {
            "lists": ["UK WhatsApp Club"], "default_country": "GB", "channel": "whatsapp", "header": False,
            "consent": {"source": "paper sign-up sheet, Leeds store", "method": "written"},
            # the demo policy allows this loosening (a paper sheet has no timestamps or birth dates)
            "policy": "demo",
            "policy_overrides": {"require_opt_in": False, "require_age_or_dob": False},
        })
        written.append(txt_path)
    return written


def write_bulk_csv(path: Path, rows: int, as_of: dt.date | None = None, seed: int = 7,
                   duplicate_share: float = 0.02) -> Path:
    """A large, mostly valid contact CSV (for benchmarks), with a manifest beside it."""
    as_of = as_of or dt.date.today()
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["phone", "first_name", "last_name", "dob", "opt_in_date", "email"])
        for i in range(rows):
            n = i if rng.random() > duplicate_share or i == 0 else rng.randrange(i)
            area = _AREA_CODES[n % len(_AREA_CODES)]
            exchange = 200 + (n // 10_000) % 800
            number = f"({area}) {exchange:03d}-{n % 10_000:04d}"
            first, last = _FIRST[n % len(_FIRST)], _LAST[(n // len(_FIRST)) % len(_LAST)]
            dob = dt.date(1950 + n % 55, 1 + n % 12, 1 + n % 28).isoformat()
            writer.writerow([number, first, last, dob, _when(as_of, n % 150), f"user{n}@example.com"])
    write_manifest(path, {
        "lists": ["Bulk"], "default_country": "US", "consent": {"source": "benchmark", "method": "generated"},
    })
    return path
