"""The portfolio report page: every section of the report (``portfolio_sections``) in one
self-contained HTML file, in English or Chinese.

Nothing loads from the network and no script runs; charts scale down to a 360 px screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from thinfile.services.portfolio_sections import Gettext, report_sections

__all__ = ["render_portfolio_report"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:0.75rem;color:#222}
svg{max-width:100%;height:auto;display:block}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:0.85rem}
td,th{border:1px solid #ccc;padding:0.2rem 0.4rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.flag{color:#a40000;font-weight:bold}
"""


def _same(message: str) -> str:
    return message


def render_portfolio_report(
    report: Mapping[str, object], *, gettext: Gettext = _same, lang: str = "en"
) -> str:
    """The self-contained HTML page of ``report`` (the shape of ``build_report``), its texts
    through ``gettext`` (English as written when none is given)."""
    _ = gettext
    title = _("Portfolio report")
    html_lang = "zh-Hans" if lang == "zh" else "en"
    parts = [
        "<!doctype html>",
        f'<html lang="{html_lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    version = report.get("alert_thresholds")
    for section in report_sections(report, gettext):
        parts.append(f'<section id="{section.key}"><h2>{escape(section.title)}</h2>')
        if section.key == "alerts" and isinstance(version, str):
            parts.append(f"<p>{escape(_('Thresholds'))}: {escape(version)}</p>")
        parts.append(section.html + "</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
