"""Make values safe to show: masked personal data, neutralized spreadsheet formulas."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: str | None) -> str:
    """Prefix a cell a spreadsheet would run as a formula (OWASP) with a quote."""
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def mask_phone(value: str | None) -> str:
    """Keep the shape and the last two digits: `(415) 555-0123` -> `(•••) •••-••23`."""
    if not value:
        return ""
    digits_seen = sum(ch.isdigit() for ch in value)
    out, index = [], 0
    for ch in value:
        if ch.isdigit():
            index += 1
            out.append(ch if index > digits_seen - 2 else "•")
        else:
            out.append(ch)
    return "".join(out)


def mask_text(value: str | None) -> str:
    """First character and length only: `Annabel` -> `A••••••`."""
    if not value:
        return ""
    return value[0] + "•" * (len(value) - 1)


MASKERS = {
    "phone": mask_phone,
    "alternate_phone": mask_phone,
    "dob": lambda v: "••••" if v else "",
    "age": lambda v: "••" if v else "",
    "first_name": mask_text,
    "last_name": mask_text,
    "email": mask_text,
}


def safe_value(column: str | None, value: str | None) -> str:
    """A value fit for a report people open: masked if personal, never a live formula."""
    masked = MASKERS.get(column or "", lambda v: v or "")(value)
    return neutralize_formula(masked)
