"""The ``zoo_hub`` fixture as a plugin author meets it: inner pytest runs in fresh interpreters.

Each inner run is a separate process because what is tested is the order of imports and
environment variables (huggingface_hub reads HF_ENDPOINT once, at import), which this process
has long settled. The inner runs do not see this suite's conftest.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

DOWNLOAD = (
    "from huggingface_hub import hf_hub_download; "
    "print(open(hf_hub_download('zoo-tester/{repo}', 'w.txt')).read())"
)


def _outcome(result: pytest.RunResult, passed: int) -> None:
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=passed)


def test_ini_option_points_in_process_clients_at_the_hub(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nzoo_hub = true\n")
    pytester.makeconftest("import huggingface_hub  # too early without the ini option\n")
    pytester.makepyfile(
        f"""
        from pathlib import Path

        import huggingface_hub


        def test_push_and_download_in_process(zoo_hub, tmp_path):
            zoo_hub.require_in_process()
            assert huggingface_hub.constants.ENDPOINT == zoo_hub.url
            api = huggingface_hub.HfApi()
            api.create_repo("demo")
            (tmp_path / "w.txt").write_text("hello")
            api.upload_file(path_or_fileobj=str(tmp_path / "w.txt"), path_in_repo="w.txt",
                            repo_id="zoo-tester/demo")
            assert zoo_hub.server.files("zoo-tester/demo")["w.txt"] == b"hello"
            path = huggingface_hub.hf_hub_download("zoo-tester/demo", "w.txt")
            assert Path(path).read_text() == "hello"
            assert Path(path).is_relative_to(zoo_hub.cache)
            # a subprocess client sees the same Hub
            assert zoo_hub.python({DOWNLOAD.format(repo="demo")!r}).stdout.strip() == "hello"


        def test_the_session_shares_one_hub(zoo_hub):
            assert "zoo-tester/demo" in {{repo for _, repo in zoo_hub.server.repos}}
        """
    )
    _outcome(pytester.runpytest_subprocess("-p", "no:cacheprovider"), passed=2)


def test_without_the_option_subprocess_clients_work_and_in_process_use_says_what_to_do(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # a Hub set up by someone else
    pytester.makepyfile(
        f"""
        import os

        import huggingface_hub
        import pytest


        def test_subprocess(zoo_hub):
            assert not zoo_hub.in_process
            assert os.environ["HF_ENDPOINT"] == "http://127.0.0.1:9"  # left alone
            with pytest.raises(pytest.UsageError, match="zoo_hub = true"):
                zoo_hub.require_in_process()
            zoo_hub.server.commit("zoo-tester/x", {{"w.txt": b"42"}})
            assert zoo_hub.python({DOWNLOAD.format(repo="x")!r}).stdout.strip() == "42"
            assert "generate" in zoo_hub.zoo("--help").stdout
            failed = zoo_hub.python("raise SystemExit(3)", check=False)
            assert failed.returncode == 3
        """
    )
    _outcome(pytester.runpytest_subprocess("-p", "no:cacheprovider"), passed=1)


def test_without_the_option_a_fresh_process_is_pointed_at_the_hub_by_the_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    pytester.makepyfile(
        """
        import os


        def test_lazy(zoo_hub):
            assert os.environ["HF_ENDPOINT"] == zoo_hub.url
            import huggingface_hub  # imported after the fixture: talks to the loopback Hub

            assert zoo_hub.in_process
            huggingface_hub.HfApi().create_repo("lazy")
            assert ("model", "zoo-tester/lazy") in zoo_hub.server.repos
        """
    )
    _outcome(pytester.runpytest_subprocess("-p", "no:cacheprovider"), passed=1)
