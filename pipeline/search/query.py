"""The query language staff type, parsed into a tree and planned into backend primitives.

Syntax: words separated by spaces (or AND) must all match; OR between alternatives; NOT or a
leading minus excludes; "quoted phrases" match in order; ( ) group; field:value restricts
(姓名: 工种: 等级: 年度: 类别: 表: 批次: 身份证: 准考证: 档号: 日期: 标题:). An ID number (18
characters, or 6 or more digits as a prefix), a ticket number, a form-instance code or a 档号
is looked up in its exact field first. Pure: no I/O, no Django.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.core.domain import ArchivalCode, id_check_digit, normalise_id, parse_level
from pipeline.core.errors import BadInput
from pipeline.search.analyzer import bigrams, is_cjk, normalise, words
from pipeline.search.schema import SearchFilters

# ---------------------------------------------------------------- tree


@dataclass(frozen=True)
class Word:
    text: str                 # normalised
    field: str | None = None  # "title" restricts the word to the title


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Exact:
    """A value for one exact field (姓名:张伟, 批次:2026-12)."""

    field: str
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class Ident:
    """An identifier typed as a word: exact field first, text as fall-back."""

    kind: str        # id, id_prefix, digits, ticket, instance, archival_code
    value: str
    raw: str


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass
class ParsedQuery:
    """The tree, the filters given as field:value, and notices for staff."""

    tree: object | None
    filters: SearchFilters = field(default_factory=SearchFilters)
    notices: list[str] = field(default_factory=list)

    @property
    def has_ident(self) -> bool:
        return _contains(self.tree, Ident)


def _contains(node, kind) -> bool:
    if isinstance(node, kind):
        return True
    if isinstance(node, (And, Or)):
        return any(_contains(item, kind) for item in node.items)
    return isinstance(node, Not) and _contains(node.item, kind)


# ---------------------------------------------------------------- identifiers

_ID18 = re.compile(r"^\d{17}[\dX]$")
_DIGITS = re.compile(r"^\d{6,17}$")
_INSTANCE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[0-9A-HJKMNP-TV-Z]{8}$")
_TICKET = re.compile(r"^(?=.*\d)[0-9A-Z][0-9A-Z-]{5,31}$")


def _typed_code(value: str) -> str:
    """A 档号 as typed → its canonical form (unchanged when it is not one)."""
    try:
        return str(ArchivalCode.parse_typed(value))
    except ValueError:
        return normalise_id(value)


def classify_ident(token: str, notices: list[str]) -> Ident | None:
    """The identifier token stands for, or None; a wrong ID check digit adds a notice."""
    value = normalise_id(token)
    if _ID18.match(value):
        expected = id_check_digit(value[:17])
        if value[17] != expected:
            notices.append(f"身份证号校验位不符：{value[:6]}…{value[-4:]} 的末位应为 {expected}，"
                           f"输入的是 {value[17]}，可能输错。下面列出前17位相同的记录，请核对号码。")
            return Ident("id_prefix", value[:17], token)
        return Ident("id", value, token)
    try:
        return Ident("archival_code", str(ArchivalCode.parse_typed(token)), token)
    except ValueError:
        pass
    if _DIGITS.match(value):
        return Ident("digits", value, token)
    if _INSTANCE.match(value):
        return Ident("instance", value, token)
    if _TICKET.match(value):
        return Ident("ticket", value, token)
    return None


# ---------------------------------------------------------------- tokens and fields

_TOKEN = re.compile(r'[^\s()"“”]+:(?:"[^"]*"|“[^”]*”)|"[^"]*"?|“[^”]*”?|[()]|[^\s()"“”]+')
FIELD_ALIASES = {
    "姓名": "name", "name": "name", "考生": "name",
    "工种": "occupation", "职业": "occupation", "occupation": "occupation",
    "等级": "level", "level": "level", "年度": "year", "年份": "year", "year": "year",
    "类别": "category", "category": "category", "表": "form", "表单": "form", "form": "form",
    "批次": "round", "round": "round", "身份证": "id", "身份证号": "id", "id": "id",
    "准考证": "ticket", "准考证号": "ticket", "ticket": "ticket", "档号": "code", "code": "code",
    "日期": "date", "date": "date", "标题": "title", "题名": "title", "title": "title",
    "状态": "status", "status": "status",
}


def _unquote(text: str) -> str:
    return text.strip('"“”')


def parse_date_range(text: str) -> tuple[dt.date, dt.date]:
    """'2024', '2024-05', '2024-05-01', or 'A..B' of those → (first day, last day)."""
    start, sep, end = text.partition("..")
    low = _date_bound(start, last=False) if start else dt.date.min
    high = _date_bound(end if sep else start, last=True) if (end or not sep) else dt.date.max
    return low, high


def _date_bound(text: str, *, last: bool) -> dt.date:
    parts = text.strip().replace("/", "-").replace(".", "-").split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 1:
            return dt.date(numbers[0], 12, 31) if last else dt.date(numbers[0], 1, 1)
        if len(numbers) == 2:
            first = dt.date(numbers[0], numbers[1], 1)
            if not last:
                return first
            following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(numbers[0], numbers[1], numbers[2])
    except (ValueError, IndexError):
        raise BadInput(f"日期“{text}”无法识别，请写成 2024、2024-05 或 2024-05-01，范围用 .. 连接。",
                       f"bad date {text!r} in query", code="query_date") from None


def _field_node(name: str, value: str, filters: dict, notices: list[str]):
    """The tree node for field:value, or None when it only sets a filter."""
    kind = FIELD_ALIASES[name]
    value = _unquote(value)
    if kind == "name":
        return Exact("candidate_name", normalise(value).replace(" ", ""))
    if kind in ("occupation", "form", "status"):
        filters[kind] = normalise(value) if kind == "occupation" else value
    elif kind == "category":
        filters["category"] = value.upper()
    elif kind == "level":
        level = parse_level(value)
        if level is None:
            raise BadInput(f"等级“{value}”无法识别，请写一级至五级或 1–5。", f"bad level {value!r}",
                           code="query_level")
        filters["level"] = level
    elif kind == "year":
        if not value.isdigit():
            raise BadInput(f"年度“{value}”应为四位数字，例如 年度:2024。", f"bad year {value!r}",
                           code="query_year")
        filters["year"] = int(value)
    elif kind == "date":
        filters["date_from"], filters["date_to"] = parse_date_range(value)
    elif kind == "round":
        return Exact("round_code", value)
    elif kind == "id":
        digits = normalise_id(value)
        return (classify_ident(digits, notices) if _ID18.match(digits)
                else Exact("id_number", digits, prefix=len(digits) < 18))
    elif kind == "ticket":
        return Exact("ticket_number", normalise_id(value))
    elif kind == "code":
        return Exact("archival_code", _typed_code(value))
    elif kind == "title":
        return Word(normalise(value), field="title")
    return None


# ---------------------------------------------------------------- parser


class _Parser:
    """Recursive descent: expr := or_expr ((AND)? or_expr)* ; or_expr := unary (OR unary)*."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = tokens, 0
        self.filters: dict = {}
        self.notices: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expr(self):
        items = []
        while (token := self.peek()) is not None and token != ")":
            if token in ("AND", "&&", "&"):
                self.take()
                continue
            node = self.or_expr()
            if node is not None:
                items.append(node)
        return _join(And, items)

    def or_expr(self):
        items = [self.unary()]
        while self.peek() in ("OR", "||", "|"):
            self.take()
            items.append(self.unary())
        return _join(Or, [item for item in items if item is not None])

    def unary(self):
        token = self.peek()
        if token is None:
            return None
        if token == "NOT":
            self.take()
            inner = self.unary()
            return Not(inner) if inner is not None else None
        if token.startswith("-") and len(token) > 1:
            self.tokens[self.pos] = token[1:]
            inner = self.unary()
            return Not(inner) if inner is not None else None
        if token == "(":
            self.take()
            inner = self.expr()
            if self.peek() == ")":
                self.take()
            return inner
        return self.atom(self.take())

    def atom(self, token: str):
        if token.startswith(('"', "“")):
            text = normalise(_unquote(token)).strip()
            return Phrase(text) if text else None
        name, sep, value = token.partition(":")
        if sep and name in FIELD_ALIASES and value:
            return _field_node(name, value, self.filters, self.notices)
        ident = classify_ident(token, self.notices)
        if ident is not None:
            return ident
        text = normalise(token)
        return Word(text) if words(text, normalised=True) else None


def _join(kind, items: list):
    items = [item for item in items if item is not None]
    if not items:
        return None
    return items[0] if len(items) == 1 else kind(tuple(items))


def parse(query: str) -> ParsedQuery:
    """Parse what staff typed; raise BadInput for a field value that cannot be understood."""
    text = unicodedata.normalize("NFKC", query or "").replace("：", ":")
    parser = _Parser(_TOKEN.findall(text))
    tree = parser.expr()
    while parser.peek() is not None:      # a stray ")" : skip it and go on
        parser.take()
        tree = _join(And, [tree, parser.expr()])
    return ParsedQuery(tree, SearchFilters(**parser.filters), parser.notices)


# ---------------------------------------------------------------- plan: backend primitives


@dataclass(frozen=True)
class QTerm:
    field: str
    value: str
    boost: float = 1.0


@dataclass(frozen=True)
class QPhrase:
    field: str
    values: tuple
    boost: float = 1.0


@dataclass(frozen=True)
class QPrefix:
    field: str
    value: str
    boost: float = 1.0


@dataclass(frozen=True)
class QAll:
    pass


@dataclass(frozen=True)
class QAnd:
    must: tuple
    must_not: tuple = ()


@dataclass(frozen=True)
class QOr:
    items: tuple


def _one(kind, items: list):
    items = [item for item in items if item is not None]
    if not items:
        return None
    return items[0] if len(items) == 1 else kind(tuple(items))


def _field_words(field_name: str, tokens: list[str], boost: float = 1.0):
    if not tokens:
        return None
    if len(tokens) == 1:
        return QTerm(field_name, tokens[0], boost)
    return QPhrase(field_name, tuple(tokens), boost)


def _gram_clause(text: str):
    """Bigram match for CJK text: finds it inside any longer unspaced run."""
    if not is_cjk(text):
        return None
    if len(text) == 1:
        return QPrefix("grams", text)
    return _field_words("grams", bigrams(text))


def plan_word(word: Word, *, split: bool = True):
    """A word matches the title (boosted), the segmented text, its bigrams or a name.

    An unspaced run that segments into several words ("考场记录" → 考场 记录) matches the run
    itself, or else all of its words anywhere ("考场情况记录表"), as staff expect.
    """
    tokens = words(word.text, normalised=True)
    if word.field == "title":
        return _field_words("title", tokens)
    clauses = [_field_words("title", tokens, 2.0), _field_words("text", tokens), _gram_clause(word.text)]
    if is_cjk(word.text) and 2 <= len(word.text) <= 4:
        clauses.append(QTerm("candidate_name", word.text, 4.0))
    if split and len(tokens) > 1:
        clauses.append(_one(QAnd, [plan_word(Word(token), split=False) for token in tokens]))
    return _one(QOr, clauses)


def plan_phrase(phrase: Phrase):
    """A quoted phrase: its words in order, or its bigrams in order."""
    tokens = words(phrase.text, normalised=True)
    return _one(QOr, [_field_words("title", tokens, 2.0), _field_words("text", tokens),
                      _gram_clause(phrase.text)])


def _exact_ident(ident: Ident):
    if ident.kind == "id":
        return QTerm("id_number", ident.value)
    if ident.kind == "id_prefix":
        return QPrefix("id_number", ident.value)
    if ident.kind == "digits":
        return _one(QOr, [QPrefix("id_number", ident.value), QTerm("ticket_number", ident.value)])
    if ident.kind == "archival_code":
        return QTerm("archival_code", ident.value)
    if ident.kind == "instance":
        return _one(QOr, [QTerm("instance_code", ident.value), QTerm("ticket_number", ident.value)])
    return QTerm("ticket_number", ident.value)


def plan(node, *, exact_only: bool = False):
    """Backend primitives for a tree; exact_only keeps identifiers to their exact fields."""
    if node is None:
        return QAll()
    if isinstance(node, Word):
        return plan_word(node)
    if isinstance(node, Phrase):
        return plan_phrase(node)
    if isinstance(node, Exact):
        return (QPrefix if node.prefix else QTerm)(node.field, node.value)
    if isinstance(node, Ident):
        exact = _exact_ident(node)
        return exact if exact_only else _one(QOr, [exact, plan_word(Word(normalise(node.raw)))])
    if isinstance(node, Or):
        return _one(QOr, [plan(item, exact_only=exact_only) for item in node.items])
    if isinstance(node, Not):
        return QAnd((QAll(),), (plan(node.item),))
    return _plan_and(node, exact_only)


def _plan_and(node: And, exact_only: bool):
    must = [plan(i, exact_only=exact_only) for i in node.items if not isinstance(i, Not)]
    must_not = [plan(i.item) for i in node.items if isinstance(i, Not)]
    return QAnd(tuple(must or [QAll()]), tuple(must_not))


CONTENT_FIELDS = frozenset({"text", "grams"})   # words of the document itself (grams hold the title's too)


def content_free(node):
    """The plan with every clause on the document's own words removed, or None when nothing is left.

    What a user without the right may match a restricted item by: its title and exact fields. A
    removed AND-clause makes the whole AND unmatchable; a removed NOT-clause is dropped, so the
    answer never depends on the words inside the item (no guessing them by NOT).
    """
    if isinstance(node, (QTerm, QPhrase, QPrefix)):
        return None if node.field in CONTENT_FIELDS else node
    if isinstance(node, QAll):
        return node
    if isinstance(node, QOr):
        return _one(QOr, [content_free(item) for item in node.items])
    must = [content_free(item) for item in node.must]
    if any(item is None for item in must):
        return None
    must_not = tuple(item for item in (content_free(i) for i in node.must_not) if item is not None)
    return QAnd(tuple(must), must_not)


def access_plan(node, restricted: object, *, hidden: bool):
    """node for a user who may not see restricted items' content: open items as usual; restricted
    ones (those matching the restricted clause) only by content_free(node), or not at all (hidden)."""
    open_part = QAnd((node,), (restricted,))
    free = None if hidden else content_free(node)
    return open_part if free is None else QOr((open_part, QAnd((free, restricted))))
