"""Command groups loaded when used: `station status` imports the status command's module, not the
form renderer, the planner or the spreadsheet reader. Help and the docs test still see every command."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

# command name → (module, attribute): a `register(app)` function, a Typer sub-app, or a command function
Spec = tuple[str, str]


class LazyCommands(MutableMapping):
    """The root group's commands: names known up front, each module imported on first access."""

    def __init__(self, specs: dict[str, Spec], loaded: dict[str, Any], before_load: Callable[[], None]):
        self._specs = specs
        self._loaded = dict(loaded)         # commands registered the ordinary way stay as they are
        self._before_load = before_load

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded and name in self._specs:
            self._load(*self._specs[name])
        return self._loaded[name]

    def _load(self, module_name: str, attribute: str) -> None:
        """Import one command module and build every command it defines (Typer's own conversion)."""
        self._before_load()
        target = getattr(importlib.import_module(module_name), attribute)
        holder = typer.Typer()
        for name, spec in self._specs.items():
            if spec != (module_name, attribute):
                continue
            if isinstance(target, typer.Typer):
                holder.add_typer(target, name=name)
            elif attribute != "register":
                holder.command(name)(target)
        if attribute == "register":
            target(holder)
        built = typer.main.get_group(holder).commands
        for name, spec in self._specs.items():
            if spec == (module_name, attribute) and name in built:
                self._loaded.setdefault(name, built[name])

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name)
        self._specs.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._specs
        yield from (name for name in self._loaded if name not in self._specs)

    def __len__(self) -> int:
        return len(set(self._specs) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in self._specs or name in self._loaded


def lazy_group(specs: dict[str, Spec], before_load: Callable[[], None]) -> type[TyperGroup]:
    """A TyperGroup class whose commands come from specs, loaded one module at a time."""

    class LazyGroup(TyperGroup):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.commands = LazyCommands(specs, self.commands, before_load)

    return LazyGroup
