"""The archive key: AES-256-GCM encryption at rest of secret items (exam papers before release).

The key lives OUTSIDE the data root: a key file named by STATION_KEY_FILE (owner-only
permissions, refused otherwise), or the key itself in STATION_KEY (base64). A ciphertext file is
MAGIC + key id (8 bytes) + nonce (12 bytes) + AES-GCM(ciphertext ‖ tag); the associated data is
the file's path inside its item folder, so a file moved to another name does not decrypt. The
key id says which key a file is under (rotation resumes by it). No Django here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pipeline.core.errors import ConfigError, IntegrityProblem
from pipeline.core.paths import data_paths

KEY_FILE_ENV = "STATION_KEY_FILE"
KEY_ENV = "STATION_KEY"
MAGIC = b"STNENC1\n"
HEADER = len(MAGIC) + 8 + 12


class KeyMissing(ConfigError):
    code = "key_missing"


@dataclass(frozen=True)
class ArchiveKey:
    """One 256-bit key and where it came from (for messages; never the key itself)."""

    secret: bytes
    source: str

    @property
    def key_id(self) -> bytes:
        """8 bytes that name the key in every file encrypted under it (not the key)."""
        return hashlib.sha256(b"station-archive-key-id:" + self.secret).digest()[:8]

    @property
    def label(self) -> str:
        return self.key_id.hex()

    def __repr__(self) -> str:      # never print the key
        return f"ArchiveKey({self.label}, {self.source})"


def _parse(text: str, source: str) -> ArchiveKey:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        secret = b""
    if len(secret) != 32:
        raise ConfigError(f"档案密钥 {source} 格式不对：应为 32 字节密钥的 base64 文本（用 station keys new 生成）。",
                          f"key from {source} is not base64 of 32 bytes", code="key_invalid")
    return ArchiveKey(secret, source)


def _inside_data_root(path: Path) -> bool:
    root = data_paths().root
    return path == root or root in path.parents


def key_file_check(path: Path) -> None:
    """Refuse a key file that is missing, inside the data root, not ours or readable by others."""
    path = path.expanduser()
    resolved = path.resolve()
    if _inside_data_root(resolved):
        raise ConfigError(f"档案密钥文件 {path} 位于数据目录 {data_paths().root} 之内。密钥必须放在数据目录之外"
                          "（例如 /etc/station/archive.key），否则拿到数据目录的人也拿到了密钥。",
                          f"key file {resolved} inside the data root", code="key_inside_data")
    try:
        info = resolved.stat()
    except OSError:
        raise ConfigError(f"找不到档案密钥文件 {path}（环境变量 {KEY_FILE_ENV}）。请检查路径，"
                          "或用 station keys new --out 文件 生成新密钥（已加密的试卷只能用原密钥打开）。",
                          f"key file {resolved} missing", code="key_file_missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"档案密钥 {path} 不是普通文件。", f"key file {resolved} is not a regular file",
                          code="key_not_file")
    if info.st_mode & 0o077 or info.st_uid != os.getuid():
        raise ConfigError(f"档案密钥文件 {path} 的权限过宽（当前 {stat.filemode(info.st_mode)}，属主 uid {info.st_uid}）："
                          f"必须只有运行本系统的用户可读写。请执行 chmod 600 {path}"
                          f"{'' if info.st_uid == os.getuid() else f'，并把属主改为 uid {os.getuid()}'}。",
                          f"key file {resolved} mode {oct(info.st_mode & 0o777)} uid {info.st_uid}",
                          code="key_permissions")


def key_load(path: Path) -> ArchiveKey:
    """The key in a key file, after key_file_check."""
    key_file_check(path)
    return _parse(path.expanduser().resolve().read_text(encoding="ascii", errors="replace"), str(path))


def key_configured() -> ArchiveKey | None:
    """The key named by the environment (STATION_KEY_FILE, else STATION_KEY), or None when none is set."""
    if os.environ.get(KEY_FILE_ENV):
        return key_load(Path(os.environ[KEY_FILE_ENV]))
    if os.environ.get(KEY_ENV):
        return _parse(os.environ[KEY_ENV], f"环境变量 {KEY_ENV}")
    return None


def key_require(purpose_zh: str) -> ArchiveKey:
    """The configured key, or KeyMissing saying what needed it and how to set one."""
    key = key_configured()
    if key is None:
        raise KeyMissing(f"{purpose_zh}需要档案密钥，但未配置：请设置环境变量 {KEY_FILE_ENV}=密钥文件路径"
                         f"（数据目录之外，权限 600；用 station keys new --out 文件 生成），见 docs/security.md。",
                         f"no archive key ({KEY_FILE_ENV}/{KEY_ENV} unset) for: {purpose_zh}")
    return key


def key_check_start() -> None:
    """At start-up: a configured key file must be owner-only and outside the data root (ConfigError,
    exit 3, otherwise). One not made yet is reported when a command needs it (`keys new` makes it)."""
    if os.environ.get(KEY_FILE_ENV) and Path(os.environ[KEY_FILE_ENV]).expanduser().exists():
        key_file_check(Path(os.environ[KEY_FILE_ENV]))


def key_new(path: Path) -> ArchiveKey:
    """Write a fresh random key to a new file (mode 600, outside the data root); never overwrite."""
    path = path.expanduser()
    if _inside_data_root(path.resolve()):
        raise ConfigError(f"密钥文件 {path} 不能放在数据目录之内。", f"new key {path} inside data root",
                          code="key_inside_data")
    secret = AESGCM.generate_key(bit_length=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} 已存在，未覆盖（覆盖密钥会使用它加密的试卷无法打开）。请换一个文件名。",
                          f"key file {path} exists", code="key_exists") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(secret).decode("ascii") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return ArchiveKey(secret, str(path))


# ---------------------------------------------------------------- encryption of one file's bytes


def is_encrypted(blob: bytes) -> bool:
    """True when blob starts like a file this module encrypted."""
    return blob[:len(MAGIC)] == MAGIC


def blob_key_id(blob: bytes) -> bytes | None:
    """The id of the key a ciphertext was made with, or None when it is not ours."""
    return blob[len(MAGIC):len(MAGIC) + 8] if is_encrypted(blob) and len(blob) >= HEADER else None


def encrypt(key: ArchiveKey, data: bytes, aad: str) -> bytes:
    """AES-256-GCM of data under key with a fresh nonce, bound to aad (the file's place)."""
    nonce = os.urandom(12)
    return MAGIC + key.key_id + nonce + AESGCM(key.secret).encrypt(nonce, data, aad.encode("utf-8"))


def decrypt(keys: list[ArchiveKey], blob: bytes, aad: str, *, where: str = "") -> bytes:
    """The plaintext of blob under whichever of keys made it; Refused-like errors name the file."""
    key_id = blob_key_id(blob)
    if key_id is None:
        raise IntegrityProblem(f"{where or aad} 不是本系统加密的文件（文件头不符），可能已损坏或被替换。",
                               f"{where or aad}: no encryption header", code="cipher_header")
    key = next((k for k in keys if k.key_id == key_id), None)
    if key is None:
        raise KeyMissing(f"{where or aad} 是用另一把档案密钥（编号 {key_id.hex()}）加密的，当前密钥"
                         f"（{'、'.join(k.label for k in keys) or '无'}）打不开。请设置加密时使用的密钥文件。",
                         f"{where or aad}: key {key_id.hex()} not among {[k.label for k in keys]}",
                         code="key_wrong")
    nonce = blob[len(MAGIC) + 8:HEADER]
    try:
        return AESGCM(key.secret).decrypt(nonce, blob[HEADER:], aad.encode("utf-8"))
    except InvalidTag:
        raise IntegrityProblem(f"{where or aad} 解密校验失败：密文被改动或损坏。请运行 station verify。",
                               f"{where or aad}: GCM tag mismatch", code="cipher_tag") from None
