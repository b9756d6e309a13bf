"""What an incoming document says about itself, read from its OCR text: its heading (题名) and the
date it was issued (成文日期, written near the end: "二〇二六年十一月五日" or "2026年11月5日").
Pure functions: no Django, no I/O."""

from __future__ import annotations

import datetime as dt
import re

_ZH_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "O": 0, "o": 0, "○": 0, "Ｏ": 0}
_ZH_YEAR = "〇○零OoＯ一二三四五六七八九"
_DATE_RE = re.compile(
    rf"(?P<y>\d{{4}}|[{_ZH_YEAR}]{{4}})\s*年\s*(?P<m>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月"
    rf"\s*(?P<d>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*日"
)
# a heading: 关于…的通知/通报/决定/意见/函/批复/报告/请示/办法/规定/方案/纪要/公告…
_HEADING_END = re.compile(
    r"(通知|通报|决定|意见|函|批复|报告|请示|办法|规定|方案|纪要|公告|通告|细则|计划|总结"
    r"|任务书|合同|协议|情况说明)$"
)
_SENTENCE_END = tuple("。；，、：;,:")  # how a line of running text ends (checked before _NOISE strips it)
_NOISE = re.compile(r"[\s|_~`'\"“”‘’·.。,，:：;；\-—]+")


def _zh_number(text: str) -> int:
    """一 … 三十一 → 1 … 31 (Chinese numerals as used in dates)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_ZH_DIGITS.get(tens, 1) if tens else 1) * 10 + (_ZH_DIGITS.get(units, 0) if units else 0)
    return _ZH_DIGITS.get(text, 0)


def _year(text: str) -> int:
    return int(text) if text.isdigit() else int("".join(str(_ZH_DIGITS.get(c, 0)) for c in text))


def issue_date(text: str) -> dt.date | None:
    """The 成文日期: the last well-formed date in the text (it stands under the signature), or None."""
    found = None
    for match in _DATE_RE.finditer(text or ""):
        try:
            found = dt.date(_year(match["y"]), _zh_number(match["m"]), _zh_number(match["d"]))
        except ValueError:
            continue
    return found


def heading(text: str) -> str | None:
    """The document's heading: the first lines of its first page up to one ending like a heading, or None."""
    pairs = [(_NOISE.sub("", line), line.strip()) for line in (text or "").splitlines()]
    pairs = [pair for pair in pairs if pair[0]][:12]
    lines = [line for line, _ in pairs]
    for end, (line, raw) in enumerate(pairs):
        if _HEADING_END.search(line) and not raw.endswith(_SENTENCE_END):  # not a sentence ending in 通知；
            start = end
            # a heading broken over two or three lines: join the lines before it that begin with 关于
            for back in range(end, max(-1, end - 3), -1):
                if lines[back].startswith("关于"):
                    start = back
                    break
            title = "".join(lines[start : end + 1])
            if 4 <= len(title) <= 120:
                return title
    return None


# ---------------------------------------------------------------- where words stand: rules on title lines

TITLE_LINES = 12  # a document's header and title stand in the first lines of its first page
_CLAUSE_START = re.compile(
    r"^(（[一二三四五六七八九十]+）|\([一二三四五六七八九十\d]+\)|[一二三四五六七八九十]+、|\d+[.、．]|第[一二三四五六七八九十百\d]+[章条节])"
)


def title_lines(text: str) -> list[str]:
    """The lines of a document that are a header or a title, not running text.

    Looked for in the first TITLE_LINES lines of the first page: a line clearly shorter than the page's
    body lines that does not end like a sentence, does not open a clause ("（一）", "1.", "第十条") and
    does not finish a paragraph the line before began; plus the heading (`heading`, joined when broken).
    """
    page = (text or "").split("\f", 1)[0]
    raw = [line.strip() for line in page.splitlines() if _NOISE.sub("", line)]
    if not raw:
        return []
    body = sorted(len(line) for line in raw)[int(0.8 * (len(raw) - 1))]  # a typical full line
    found = []
    for number, line in enumerate(raw[:TITLE_LINES]):
        previous = raw[number - 1] if number else ""
        carried = previous and len(previous) >= 0.85 * body and not previous.endswith(_SENTENCE_END)
        if (
            len(line) <= max(16, 0.7 * body)
            and not line.endswith(_SENTENCE_END)
            and not _CLAUSE_START.match(line)
            and not carried
        ):
            found.append(_NOISE.sub("", line))
    title = heading(page)
    return found + [title] if title and title not in found else found


def rules_matching(rules, text: str) -> tuple[list, list]:
    """The rules whose words stand in the document's title lines, and those whose words occur only in its body.

    rules: objects with `matches(text)` (config.TextRule). A rule that matches only in the body
    (a regulation page that mentions 考评任务书 in a sentence) does not classify the document.
    """
    titles = "\n".join(title_lines(text))
    in_title = [rule for rule in rules if rule.matches(titles)]
    in_body = [rule for rule in rules if rule not in in_title and rule.matches(text or "")]
    return in_title, in_body


def unclassified_reason(in_title: list, in_body: list) -> tuple[str, str]:
    """Why the rules did not classify a document: (Chinese for staff, English detail)."""
    if len({rule.category for rule in in_title}) > 1:
        names = "”“".join(rule.title for rule in in_title)
        return (
            f"标题同时符合“{names}”几条分类规则，无法确定类别，未自动归档。",
            f"title lines match rules of several categories: {[rule.title for rule in in_title]}",
        )
    if in_body:
        names = "”“".join(rule.title for rule in in_body)
        return (
            f"正文中提到“{names}”的词语，但标题不是这类文件，未自动归类。",
            f"rule words only in the body, not in the title lines: {[rule.title for rule in in_body]}",
        )
    return "也无法从文字判断类别。", "no rule matched the OCR text"
