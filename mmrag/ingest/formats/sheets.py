"""Spreadsheets (XLSX/XLS/ODS with python-calamine, CSV/TSV with the csv module): each row as text with its header.

A row reads "Row 7 — Name: Ada; Born: 1815", so a passage of rows still says what each value means.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from mmrag.errors import InputError
from mmrag.ingest.formats.base import Document, Section, one_line, require
from mmrag.ingest.text import read_utf8

#: Cells at most per row and characters per cell kept (a stray 16k-column row or a pasted blob).
MAX_COLUMNS = 200
MAX_CELL_CHARS = 2000


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        v = v.date()
    return " ".join(str(v).split())[:MAX_CELL_CHARS]


def row_text(header: list[str], row: list[str]) -> str:
    """'Header: value; …' for the non-empty cells (unnamed columns keep their position)."""
    parts = []
    for i, v in enumerate(row):
        if not v:
            continue
        h = header[i] if i < len(header) and header[i] else f"column {i + 1}"
        parts.append(f"{h}: {v}")
    return "; ".join(parts)


def rows_to_text(rows, label: str, first_row: int = 1) -> str:
    """Rows (iterables of cell values) to text; the first non-empty row is the header. Empty rows cost little."""
    header: list[str] | None = None
    lines: list[str] = []
    for n, raw in enumerate(rows, start=first_row):
        cells = [_cell(v) for v in list(raw)[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        lines.append(f"Row {n} — {row_text(header, cells)}")
    if header is not None and not lines:
        lines.append(" | ".join(h for h in header if h))  # a one-row sheet: the row itself
    # A blank line per row: the paragraph splitter then packs rows into passages of the usual size.
    return "\n\n".join(lines)


def read_sheet(path: Path) -> Document:
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv"):
        sections = [Section(_csv_text(path), sheet=None)]
    else:
        sections = _xlsx_sections(path)
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise InputError(f"spreadsheet '{path}' has no filled cells: add data or remove the file")
    return Document(path.stem.replace("_", " ").replace("-", " "), sections, format=ext.lstrip("."))


def _csv_text(path: Path) -> str:
    text = read_utf8(path)
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    try:
        return rows_to_text(csv.reader(io.StringIO(text), dialect), path.name)
    except csv.Error as e:
        raise InputError(f"CSV '{path}' is malformed ({one_line(e)}): fix the quoting or re-export it") from None


def _xlsx_sections(path: Path) -> list[Section]:
    calamine = require("python_calamine", "python-calamine", "spreadsheets (.xlsx/.xls/.ods)")
    try:
        wb = calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError:
        raise InputError(f"spreadsheet '{path}' is password-protected: save an unprotected copy and ingest that") from None
    except (calamine.CalamineError, OSError, ValueError) as e:
        raise InputError(f"'{path}' is not a readable spreadsheet ({one_line(e)}): re-save it as .xlsx") from None
    out = []
    try:
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            # Row numbers as the user sees them: the used area may start below row 1.
            first = (sheet.start or (0, 0))[0]
            rows = sheet.iter_rows()
            out.append(Section(rows_to_text(rows, name, first_row=first + 1), sheet=name))
    except calamine.CalamineError as e:
        raise InputError(f"spreadsheet '{path}' is damaged ({one_line(e)}): re-save it as .xlsx") from None
    finally:
        wb.close()
    return out
