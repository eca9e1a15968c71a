"""The deployer's botocore session (cloudlet/deploy/_botocore.py): data files cached as
marshal files give the same models and working clients against a real server; a torn
cache file or an unknown service behaves as plain botocore does."""

from __future__ import annotations

from pathlib import Path

import botocore.exceptions
import botocore.session
import pytest

from cloudlet.deploy import Target
from cloudlet.deploy._botocore import session as cached_session


def _models(session: botocore.session.Session, service: str) -> dict[str, object]:
    loader = session.get_component("data_loader")
    return {
        "service": loader.load_service_model(service, "service-2"),
        "rules": loader.load_service_model(service, "endpoint-rule-set-1"),
        "endpoints": loader.load_data("endpoints"),
    }


def test_cached_models_equal_botocores(tmp_path: Path) -> None:
    plain = _models(botocore.session.Session(), "lambda")
    first = _models(cached_session(tmp_path), "lambda")  # parses and writes the cache
    assert list((tmp_path).glob("botocore-*/*.marshal"))
    again = _models(cached_session(tmp_path), "lambda")  # reads the cache
    assert first == plain
    assert again == plain


def test_clients_from_the_cache_work(tmp_path: Path, endpoint: str) -> None:
    for _ in range(2):  # cold cache, then warm
        target = Target(endpoint, session=_local(cached_session(tmp_path)))
        assert len(target.account) == 12
        target.client("sqs").list_queues()
        assert "Functions" in target.client("lambda").list_functions(MaxItems=1)


def test_a_torn_cache_file_is_parsed_again(tmp_path: Path, endpoint: str) -> None:
    _models(cached_session(tmp_path), "sts")
    for cached in tmp_path.glob("botocore-*/*.marshal"):
        cached.write_bytes(cached.read_bytes()[:10])
    target = Target(endpoint, session=_local(cached_session(tmp_path)))
    assert len(target.account) == 12
    assert _models(cached_session(tmp_path), "sts") == _models(botocore.session.Session(), "sts")


def test_an_unknown_service_fails_as_in_botocore(tmp_path: Path) -> None:
    with pytest.raises(botocore.exceptions.UnknownServiceError) as raised:
        cached_session(tmp_path).create_client("no-such-service", region_name="us-east-1")
    assert "sqs" in str(raised.value)  # botocore's message lists the known services


def _local(session: botocore.session.Session) -> botocore.session.Session:
    session.set_credentials("test", "test")
    session.set_config_variable("region", "us-east-1")
    return session
