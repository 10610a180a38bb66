"""Helpers for the browser tests: signing in, reading Cube directly, the known truth of the
synthetic world, and a PNG reader (no imaging library in the project)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from urllib.parse import parse_qs, urlparse

ANCHOR = dt.date(2025, 3, 12)  # the synthetic world's last day (cube_fixtures: 12 days from 1 March)


def paste_token(page, token: str) -> None:
    """On the sign-in page: the pasted-token form (behind its disclosure)."""
    page.wait_for_selector(".signin-token summary")
    page.click(".signin-token summary")
    page.fill("#token", token)
    page.click("#signin-submit")


def sign_in(page, base_url: str, token: str, path: str = "/overview") -> None:
    page.goto(base_url + path)
    paste_token(page, token)
    page.wait_for_selector("#page")


def sign_in_with_password(page, base_url: str, email: str, password: str, path: str = "/overview") -> None:
    page.goto(base_url + path)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#signin-password")
    page.wait_for_selector("#page")


def wait_kpi(page, name: str = "conversion_rate") -> str:
    page.wait_for_selector(f"#kpi-{name}")
    return page.get_attribute(f"#kpi-{name}", "data-value")


def url_query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def days(start: dt.date, end: dt.date) -> list[str]:
    return [start.isoformat(), end.isoformat()]


def cube_rows(cube, query: dict, token: str) -> list[dict]:
    return cube.load(query, token)["data"]


def truth_conversion(world: dict, start: dt.date, end: dt.date, **where) -> float:
    rows = [c for c in world["conversations"] if start <= c["date_day"] <= end
            and all(c[k] == v for k, v in where.items())]
    return sum(c["converted"] for c in rows) / len(rows)


def select_option(page, key: str, value: str) -> None:
    """Choose `value` in the filter dropdown `key` (Dash 4's searchable dropdown)."""
    page.click(f"""[id='{{"key":"{key}","type":"f-seg"}}']""")
    page.fill(".dash-dropdown-search", value)
    page.locator(".dash-dropdown-option", has=page.locator(f"input[value='{value}']")).click()
    page.keyboard.press("Escape")


def choose(page, dropdown_id: str, label: str) -> None:
    """Choose the option whose text contains `label` in the single-value dropdown `dropdown_id`."""
    page.click(f"#{dropdown_id}")
    page.fill(".dash-dropdown-search", label)
    page.locator(".dash-dropdown-option", has_text=label).first.click()
    page.keyboard.press("Escape")


def read_png(path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG (pdftoppm's)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw, rows, prev = zlib.decompress(idat), [], bytearray(width * bpp)
    stride = width * bpp + 1
    for y in range(height):
        kind, line = raw[y * stride], bytearray(raw[y * stride + 1:(y + 1) * stride])
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def count_colour(png_path, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    width, _, rows = read_png(png_path)
    bpp = len(rows[0]) // width
    hits = 0
    for line in rows:
        for x in range(0, len(line), bpp):
            if all(abs(line[x + i] - rgb[i]) <= tolerance for i in range(3)):
                hits += 1
    return hits


def click_bar(page, graph_selector: str, index: int = 0) -> None:
    """Click a plotly bar near its base (plotly's drag layer takes the pointer events, and the
    overlaid markers sit higher up)."""
    bars = page.locator(f"{graph_selector} .bars .point path")
    bars.first.wait_for()
    bars.nth(index).scroll_into_view_if_needed()
    box = bars.nth(index).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 6)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 4)
