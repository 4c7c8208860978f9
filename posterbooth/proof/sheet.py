"""The proof sheet's outputs: the printed report, report.json and the index.html contact sheet."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from posterbooth.proof.run import ProofReport

REPORT_FILE = "report.json"
INDEX_FILE = "index.html"
_ENV = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent), autoescape=select_autoescape(["html"]))


def report_data(report: ProofReport) -> dict[str, Any]:
    """Return the report as plain data (what report.json holds)."""
    data = dataclasses.asdict(report)
    data["problems"] = [{**dataclasses.asdict(p), "text": str(p)} for p in report.problems]
    data["ok"] = report.ok
    for poster, item in zip(data["posters"], report.posters, strict=True):
        poster["problems"] = [f"{p.kind}: {p.where}: {p.message}" for p in item.problems]
        for text, check in zip(poster["texts"], item.texts, strict=True):
            text.update(where=check.where, low_contrast=check.low_contrast, overflows=check.overflows)
    return data


def text_report(report: ProofReport) -> str:
    """Return the report printed by ``campaigns preview``: what was made, then every problem."""
    reach = report.reach
    lines = [
        f"{report.slug}: {len(report.posters)} posters ({', '.join(report.languages)} × "
        f"{len({p.outcome for p in report.posters})} outcomes × {len({p.style for p in report.posters})} styles) "
        f"with the {report.provider} provider in {report.seconds:g} s",
        f"answers searched: {reach.answer_sets} sets" + ("" if reach.exhaustive else " (not exhaustive: sampled)"),
    ]
    for poster in report.posters:
        qr = ("QR " + (f"reads {poster.qr_decoded}" if poster.qr_decoded else "DOES NOT DECODE")
              if poster.qr_expected else "no QR code")
        lines.append(f"  {poster.poster_file or poster.outcome}: {qr}" + (f" — {poster.error}" if poster.error else ""))
    if report.ok:
        lines.append("no problems found")
    else:
        lines.append(f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}:")
        lines.extend(f"  {problem}" for problem in report.problems)
    return "\n".join(lines)


def write_sheet(report: ProofReport, out: Path) -> Path:
    """Write report.json and the index.html contact sheet beside the JPEGs; return the index's path."""
    data = report_data(report)
    (out / REPORT_FILE).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    index = out / INDEX_FILE
    index.write_text(_ENV.get_template("sheet.html").render(r=data, summary=text_report(report)), encoding="utf-8")
    return index


def read_report(out: Path) -> dict[str, Any] | None:
    """Return the report.json written in ``out``, if there is one."""
    try:
        data: dict[str, Any] = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data
