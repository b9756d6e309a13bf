"""station keys new | keys rotate, station release ROUND, station extract 档号 (secret items)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from pipeline.archive.keys import KEY_FILE_ENV, key_new
from pipeline.catalog.items import item_get, item_view
from pipeline.catalog.sealing import item_extract, keys_rotate, round_release
from pipeline.cli.common import JsonOption, UserOption, acting_user, console, emit, err_console
from pipeline.core.paths import data_paths

app = typer.Typer(help="档案密钥：生成、轮换（保密档案 AES-256-GCM 加密）", no_args_is_help=True)


@app.command("new")
def new(out: Path = typer.Option(..., "--out", help="新密钥文件（数据目录之外；权限 600；不会覆盖已有文件）"),
        as_json: bool = JsonOption) -> None:
    """生成一把新的档案密钥（256 位随机数，权限 600）。请立即备份到离线介质。"""
    key = key_new(out)
    emit({"key_file": str(out), "key_id": key.label}, as_json, lambda d: console.print(
        f"[green]已生成档案密钥[/] {d['key_file']}（编号 {d['key_id']}）。\n"
        f"  使用：export {KEY_FILE_ENV}={d['key_file']}\n"
        "  [bold]请立即把它备份到离线介质（两份，分开保管）：密钥丢失，用它加密的试卷将永远无法打开。[/]"))


@app.command("rotate")
def rotate(new_key_file: Path = typer.Option(..., "--new-key-file", help="station keys new 生成的新密钥文件"),
           user: str = UserOption, as_json: bool = JsonOption) -> None:
    """用新密钥重新加密全部保密档案（仅站长；可随时中断，再次运行即从中断处继续）。"""
    actor = acting_user(user)
    with Progress(console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("重新加密", total=None)
        result = keys_rotate(user=actor, paths=data_paths(), new_key_file=new_key_file,
                             progress=lambda done, total, _: bar.update(task, completed=done, total=total))
    emit(result, as_json, lambda d: console.print(
        f"[green]密钥轮换完成[/]：保密档案 {d['items']} 件（本次重新加密 {d['reencrypted']} 件），"
        f"扫描件 {d['scans']} 份，"
        f"密钥 {d['old']} → {d['new']}。\n  现在请把 {KEY_FILE_ENV} 改为 {new_key_file}，备份新密钥；"
        "旧密钥在确认全部备份已更新后再销毁。"))


def release(round_code: str = typer.Argument(..., help="批次代码"), user: str = UserOption,
            as_json: bool = JsonOption) -> None:
    """考试结束后解密本批次的试卷：成为普通的限制利用档案（建全文索引，逐件记入审计日志）。"""
    actor = acting_user(user)
    with Progress(console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("解密", total=None)
        result = round_release(round_code=round_code, user=actor, paths=data_paths(),
                               progress=lambda done, total, _: bar.update(task, completed=done, total=total))
    emit(result, as_json, lambda d: console.print(
        f"[green]已解密[/]：批次 {d['round']} 的保密档案 {len(d['released'])} 件，现为限制利用档案。"))


def extract(code: str = typer.Argument(..., help="档号"),
            out: Path = typer.Option(..., "--out", help="导出到的文件夹（数据目录之外）"),
            user: str = UserOption, as_json: bool = JsonOption) -> None:
    """导出一件档案的 PDF（保密档案解密后导出；仅有权限的用户，记入审计日志）。"""
    actor = acting_user(user)
    paths = data_paths()
    item_view(code=code, user=actor, paths=paths)
    target = item_extract(item=item_get(code), user=actor, paths=paths, out=out)
    emit({"archival_code": code, "file": str(target)}, as_json,
         lambda d: console.print(f"[green]已导出[/] {d['file']}（用毕请删除或妥善保管）"))


def register(root: typer.Typer) -> None:
    """Add `keys`, `release` and `extract` to the top-level command."""
    root.add_typer(app, name="keys")
    root.command("release")(release)
    root.command("extract")(extract)
