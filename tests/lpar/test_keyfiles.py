"""SSH files are parsed once while unchanged, and again as soon as they change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lpar.keyfiles import ParsedFiles


class CountingParser:
    def __init__(self) -> None:
        self.parsed: list[str] = []

    def __call__(self, path: str) -> str:
        self.parsed.append(path)
        return Path(path).read_text()


def test_an_unchanged_file_is_parsed_once(tmp_path: Path) -> None:
    hosts = tmp_path / "known_hosts"
    hosts.write_text("[127.0.0.1]:2201 ssh-ed25519 AAAA1\n")
    parse = CountingParser()
    files = ParsedFiles(parse)
    assert [files.read(hosts) for _ in range(200)] == [hosts.read_text()] * 200
    assert parse.parsed == [str(hosts)]


def test_a_key_appended_is_seen_at_the_next_read(tmp_path: Path) -> None:
    hosts = tmp_path / "known_hosts"
    hosts.write_text("[127.0.0.1]:2201 ssh-ed25519 AAAA1\n")
    files = ParsedFiles(CountingParser())
    files.read(hosts)
    with hosts.open("a") as out:  # what `ssh-keyscan ... >> known_hosts` does
        out.write("[127.0.0.1]:2202 ssh-ed25519 AAAA2\n")
    assert files.read(hosts).splitlines()[-1] == "[127.0.0.1]:2202 ssh-ed25519 AAAA2"


def test_a_file_replaced_by_one_of_the_same_size_and_time_is_read_again(tmp_path: Path) -> None:
    hosts = tmp_path / "known_hosts"
    hosts.write_text("[127.0.0.1]:2201 ssh-ed25519 AAAA1\n")
    files = ParsedFiles(CountingParser())
    files.read(hosts)
    stat = hosts.stat()
    edited = tmp_path / "known_hosts.new"
    edited.write_text("[127.0.0.1]:2201 ssh-ed25519 BBBB1\n")
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited.replace(hosts)  # an editor's save: a new file renamed over the old one
    assert files.read(hosts) == "[127.0.0.1]:2201 ssh-ed25519 BBBB1\n"


def test_a_missing_file_raises_each_time_until_it_exists(tmp_path: Path) -> None:
    hosts = tmp_path / "known_hosts"
    parse = CountingParser()
    files = ParsedFiles(parse)
    for _ in range(2):
        with pytest.raises(FileNotFoundError):
            files.read(hosts)
    hosts.write_text("[127.0.0.1]:2201 ssh-ed25519 AAAA1\n")
    assert files.read(hosts) == "[127.0.0.1]:2201 ssh-ed25519 AAAA1\n"
    assert parse.parsed == [str(hosts)]


def test_a_parse_error_is_not_remembered(tmp_path: Path) -> None:
    key = tmp_path / "lkubot_ed25519"
    key.write_text("not a key")

    def parse(path: str) -> str:
        text = Path(path).read_text()
        if not text.startswith("-----BEGIN"):
            raise ValueError("not a private key")
        return text

    files = ParsedFiles(parse)
    with pytest.raises(ValueError, match="not a private key"):
        files.read(key)
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert files.read(key).startswith("-----BEGIN")
