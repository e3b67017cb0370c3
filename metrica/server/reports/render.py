"""The weekly report as HTML (email and in-app preview) and as a complete email: text,
HTML with the chart inline (CID), and the week's CSV attached."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from html import escape

from metrica.server.reports.chart import daily_in_png
from metrica.server.reports.figures import WeekFigures, to_csv

CHART_CID = "weekly-chart@metrica"


def _range(f: WeekFigures) -> str:
    start, end = f.week_start, f.week_end
    return f"{start.strftime('%a %d %b')} – {end.strftime('%a %d %b %Y')}"


def _change(f: WeekFigures) -> str:
    pct = f.change_pct
    if pct is None:
        return "no visits the week before"
    return f"{pct:+.1f} % against the week before ({f.previous_in:,})"


def _peak(f: WeekFigures) -> str:
    if f.peak_hour is None:
        return "–"
    hour, n = f.peak_hour
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00 ({n:,} IN over the week)"


def _dwell(f: WeekFigures) -> str:
    if f.average_dwell_s is None:
        return "–"
    return f"{round(f.average_dwell_s / 60)} min"


def subject(f: WeekFigures) -> str:
    return f"Metrica weekly report: {f.store_name}, {_range(f)}"


def text(f: WeekFigures, *, unsubscribe_url: str, app_url: str) -> str:
    lines = [
        f"{f.store_name}: week of {_range(f)} ({f.timezone})",
        "",
        f"Visitors (IN): {f.footfall_in:,}, {_change(f)}",
        f"Busiest hour: {_peak(f)}",
        f"Average visit: {_dwell(f)}",
        "",
        *(
            f"{r.day.strftime('%a %d %b')}: {r.footfall_in:,} in, {r.footfall_out:,} out"
            for r in f.days
        ),
        "",
        "Hourly figures are in the attached CSV.",
        f"Open the dashboard: {app_url}",
        f"Stop these weekly emails: {unsubscribe_url}",
    ]
    return "\n".join(lines) + "\n"


_BODY = (
    "margin:0;padding:16px;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
    "color:#0f172a;background:#fff"
)
_MUTED = "color:#475569"
_LINK = "color:#1d4ed8"
_CELL = "text-align:right;padding:4px 12px"


def _day_rows(f: WeekFigures) -> str:
    return "".join(
        f"<tr><th scope='row' style='text-align:left;padding:4px 12px 4px 0;font-weight:400'>"
        f"{escape(r.day.strftime('%a %d %b'))}</th>"
        f"<td style='{_CELL}'>{r.footfall_in:,}</td>"
        f"<td style='{_CELL}'>{r.footfall_out:,}</td></tr>"
        for r in f.days
    )


def html(f: WeekFigures, *, chart_src: str, unsubscribe_url: str, app_url: str) -> str:
    """A self-contained page (inline styles: mail clients drop style sheets)."""
    name = escape(f.store_name)
    alt = "Visitors per day: " + ", ".join(
        f"{r.day.strftime('%a')} {r.footfall_in}" for r in f.days
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(subject(f))}</title></head>",
        f'<body style="{_BODY}"><main style="max-width:600px;margin:0 auto">',
        f'<h1 style="font-size:20px;margin:0 0 4px">{name}</h1>',
        f'<p style="margin:0 0 16px;{_MUTED}">Weekly report, {escape(_range(f))} '
        f"({escape(f.timezone)})</p>",
        f'<p style="font-size:28px;font-weight:600;margin:0">{f.footfall_in:,} visitors</p>',
        f'<p style="margin:0 0 16px;{_MUTED}">{escape(_change(f))}</p>',
        f'<img src="{escape(chart_src)}" width="600" alt="{escape(alt)}" '
        'style="max-width:100%;height:auto;display:block;margin:0 0 16px">',
        '<table style="border-collapse:collapse;margin:0 0 16px">',
        '<caption style="text-align:left;font-weight:600;padding:0 0 4px">Visitors per day'
        "</caption>",
        '<thead><tr><th scope="col" style="text-align:left;padding:4px 12px 4px 0">Day</th>'
        f'<th scope="col" style="{_CELL}">IN</th><th scope="col" style="{_CELL}">OUT</th>'
        "</tr></thead>",
        f"<tbody>{_day_rows(f)}</tbody></table>",
        f'<p style="margin:0 0 4px">Busiest hour: {escape(_peak(f))}</p>',
        f'<p style="margin:0 0 16px">Average visit: {escape(_dwell(f))}</p>',
        '<p style="margin:0 0 16px">Hourly figures are in the attached CSV. '
        f'<a href="{escape(app_url)}" style="{_LINK}">Open the dashboard</a></p>',
        f'<p style="margin:0;{_MUTED};font-size:13px">You get this email every Monday as an '
        f'owner of {name}. <a href="{escape(unsubscribe_url)}" style="{_LINK}">Unsubscribe</a>'
        "</p>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def preview_html(f: WeekFigures, *, unsubscribe_url: str, app_url: str) -> str:
    """The same page with the chart as a data: URL (no email around it to carry a CID)."""
    png = base64.b64encode(daily_in_png(f)).decode()
    return html(
        f,
        chart_src=f"data:image/png;base64,{png}",
        unsubscribe_url=unsubscribe_url,
        app_url=app_url,
    )


def message(
    f: WeekFigures, *, sender: str, to: str, unsubscribe_url: str, app_url: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject(f)
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text(f, unsubscribe_url=unsubscribe_url, app_url=app_url))
    msg.add_alternative(
        html(f, chart_src=f"cid:{CHART_CID}", unsubscribe_url=unsubscribe_url, app_url=app_url),
        subtype="html",
    )
    parts = msg.get_payload()
    assert isinstance(parts, list)
    html_part = parts[1]
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(
        daily_in_png(f),
        maintype="image",
        subtype="png",
        cid=f"<{CHART_CID}>",
        filename="visitors-per-day.png",
        disposition="inline",
    )
    msg.add_attachment(
        to_csv(f).encode(),
        maintype="text",
        subtype="csv",
        filename=f"metrica-{f.week_start.isoformat()}.csv",
    )
    return msg
