"""Git remotes (issue 13): credentials masked everywhere, remotes git would misread refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.module_utils.urls import mask_url, remote_kind, url_secrets
from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store as store

TOKEN = "ghp_TOKEN1234secret"


@pytest.mark.parametrize(
    "text,masked",
    [
        (f"http://user:{TOKEN}@127.0.0.1:9/x.git", "http://***@127.0.0.1:9/x.git"),
        (f"https://{TOKEN}@github.com/o/r.git", "https://***@github.com/o/r.git"),
        (
            f"fatal: unable to access 'https://u:{TOKEN}@h/r.git/': refused",
            "fatal: unable to access 'https://***@h/r.git/': refused",
        ),
        ("https://u:p%40ss@h/r and ssh://git@h:22/r", "https://***@h/r and ssh://***@h:22/r"),
        ("https://u:p@ss@h/r", "https://***@h/r"),  # an unencoded @ in the password
        ("HTTPS://u:pw@h", "HTTPS://***@h"),
        (
            "git@github.com:o/r.git /srv/x.git origin https://h/r",
            "git@github.com:o/r.git /srv/x.git origin https://h/r",
        ),
        ("", ""),
    ],
)
def test_mask_url(text: str, masked: str) -> None:
    assert mask_url(text) == masked


def test_mask_url_also_masks_the_bare_secret_of_a_remote() -> None:
    remote = f"https://user:{TOKEN}@h/r.git"
    assert url_secrets(remote) == (f"user:{TOKEN}", TOKEN)
    assert mask_url(f"password {TOKEN} rejected for https://user:{TOKEN}@h", remote) == (
        "password *** rejected for https://***@h"
    )
    assert url_secrets(f"https://{TOKEN}@h/r") == (TOKEN,)
    assert url_secrets("https://h/r") == url_secrets("origin") == url_secrets("git@h:r") == ()
    assert url_secrets("https://u:ab@h/r") == ("u:ab",)  # a 2-letter password is not searched for alone


@pytest.mark.parametrize(
    "remote,kind",
    [
        ("origin", "name"),
        ("backup.site-2_x", "name"),
        ("ssh://git@h.example.com:2222/net/configs.git", "url"),
        (f"https://user:{TOKEN}@git.example.com/net/configs.git", "url"),
        ("http://127.0.0.1:8080/x.git", "url"),
        ("git://h/x.git", "url"),
        ("file:///srv/git/configs.git", "url"),
        ("ssh://[::1]/x.git", "url"),
        ("git@github.com:net/configs.git", "scp"),
        ("h.example.com:configs.git", "scp"),
        ("/srv/git/configs.git", "path"),
    ],
)
def test_accepted_remotes(remote: str, kind: str) -> None:
    assert remote_kind(remote) == kind


@pytest.mark.parametrize(
    "remote,why",
    [
        ("--receive-pack=touch /tmp/pwned", "starts with '-'"),
        ("-oProxyCommand=x", "starts with '-'"),
        ("--upload-pack=x", "starts with '-'"),
        ("ext::sh -c touch% /tmp/pwned", "not a remote git can be given safely"),
        ("ext::sh", "remotes are not allowed"),
        ("fd::17", "remotes are not allowed"),
        ("codecommit://repo", "scheme 'codecommit' is not allowed"),
        ("ssh://-oProxyCommand=touch/x", "host"),
        ("ssh://-l@h/x", "host"),
        ("-u@h:x", "starts with '-'"),
        ("https:///x.git", "host"),
        ("https://h:port/x.git", "not a valid URL"),
        ("https://h/a b", "no spaces"),
        ("file://remote-host/x.git", "file:///absolute/path"),
        ("relative/dir", "not a remote git can be given safely"),
        ("origin\n--receive-pack=x", "control character"),
        ("", "is empty"),
        ("   ", "is empty"),
    ],
)
def test_refused_remotes(remote: str, why: str) -> None:
    with pytest.raises(ValueError, match="confvault_git_remote") as caught:
        remote_kind(remote)
    assert why in str(caught.value)


def test_refusal_masks_the_token() -> None:
    with pytest.raises(ValueError) as caught:
        remote_kind(f"https://user:{TOKEN}@h:notaport/x.git")
    assert TOKEN not in str(caught.value) and "https://***@h:notaport/x.git" in str(caught.value)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_check_remote_wants_a_configured_name(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    _git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    assert store.check_remote(str(repo), "origin") == "name"
    with pytest.raises(store.BadRemote, match=r"confvault_git_remote 'upstream' is neither a URL nor a remote.*origin"):
        store.check_remote(str(repo), "upstream")


def test_push_refuses_an_option_and_runs_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    pwned = tmp_path / "pwned"
    for remote in (f"--receive-pack=touch {pwned}", f"--exec=touch {pwned}", f"ext::sh -c touch% {pwned}"):
        with pytest.raises(store.BadRemote, match="confvault_git_remote"):
            store.push(str(repo), remote)
    assert not pwned.exists()


def test_push_failure_masks_the_token(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    with pytest.raises(store.StorageError) as caught:
        store.push(str(repo), f"http://user:{TOKEN}@127.0.0.1:9/x.git", attempts=2)
    message = str(caught.value)
    assert TOKEN not in message and "user" not in message
    assert message.startswith("git push to http://***@127.0.0.1:9/x.git failed: ")


def test_push_to_a_path_and_a_file_url(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    commit = store.store(str(repo), "sw01", "hostname sw01\nend\n").commit
    for remote in (tmp_path / "a.git", tmp_path / "b.git"):
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    assert store.push(str(repo), str(tmp_path / "a.git")) == commit
    assert store.push(str(repo), f"file://{tmp_path / 'b.git'}") == commit
    assert _git(tmp_path / "b.git", "rev-parse", "HEAD").strip() == commit
