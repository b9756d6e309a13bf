"""Lock-out (django-axes) for sign-ins from the web; the CLI on the server's own shell has no address."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class StationAxesBackend(AxesStandaloneBackend):
    """django-axes' check by user name + address for web sign-ins; passes over a request-less call
    (the `station … --user U` password check), which the next backend answers."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
