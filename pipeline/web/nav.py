"""The navigation bar: one line per page. To add a page: add its URL pattern (web/urls.py) and one
NavItem line here; the base layout shows it, marked current on its own pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar: Chinese label, URL name, and the URL-name prefix it owns."""

    label: str
    url_name: str
    section: str = ""      # URL names starting with this mark the item current (default: url_name)


NAV: list[NavItem] = [
    NavItem("首页", "web:home"),
    NavItem("收件箱", "web:inbox", section="web:inbox"),
    NavItem("检索", "web:search", section="web:search"),
    NavItem("鉴定批次", "web:rounds", section="web:round"),
    NavItem("借阅", "web:loans", section="web:loan"),
    NavItem("鉴定销毁", "web:destruction", section="web:destruction"),
    NavItem("统计", "web:stats", section="web:stats"),
    NavItem("审计日志", "web:audit"),
    NavItem("校验", "web:verify", section="web:verify"),
    NavItem("用户与角色", "web:users", section="web:user"),
]
