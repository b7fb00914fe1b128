"""The gateway against a real HTTP server speaking the OpenAI wire format."""

import time

import pytest

from bot.config import Settings, redact_url
from bot.errors import ModelReplyError, ModelTimeout, ModelUnavailable
from bot.llm import ChatGateway, ChatParams, describe_model
from tests.support.openai_server import FakeOpenAI

MSG = [{"role": "user", "content": "hi"}]


def gateway(fake: FakeOpenAI, **kw: object) -> ChatGateway:
    s = Settings(base_url=fake.base_url, api_key="sk-secret-123", **kw)  # type: ignore[arg-type]
    return ChatGateway(s, fake.base_url, "fake-model", extra_ok=False)


def test_complete_and_stream(fake_model: FakeOpenAI) -> None:
    fake_model.replies = ["one two three", "four five"]
    gw = gateway(fake_model)
    assert gw.complete(MSG, ChatParams()) == "one two three"
    deltas = list(gw.stream(MSG, ChatParams()))
    assert len(deltas) == 2 and "".join(deltas) == "four five"
    body = fake_model.chat_requests()[-1]
    assert body["stream"] is True and body["model"] == "fake-model"


def test_extra_sampling_sent_only_where_allowed(fake_model: FakeOpenAI) -> None:
    params = ChatParams(extra={"repeat_penalty": 1.1})
    gateway(fake_model).complete(MSG, params)
    assert "repeat_penalty" not in fake_model.chat_requests()[-1]
    s = Settings(base_url=fake_model.base_url)
    ChatGateway(s, fake_model.base_url, "m", extra_ok=True).complete(MSG, params)
    assert fake_model.chat_requests()[-1]["repeat_penalty"] == 1.1


def test_429_then_200_is_retried(fake_model: FakeOpenAI) -> None:
    fake_model.fail(429, times=2)
    fake_model.replies = ["ok"]
    assert gateway(fake_model, max_retries=3).complete(MSG, ChatParams()) == "ok"
    assert len(fake_model.chat_requests()) == 3


def test_persistent_5xx_gives_up_with_one_line(fake_model: FakeOpenAI) -> None:
    fake_model.fail(503, times=10)
    with pytest.raises(ModelUnavailable) as err:
        list(gateway(fake_model, max_retries=1).stream(MSG, ChatParams()))
    assert "kept failing after 2 attempts (HTTP 503)" in str(err.value)
    assert "\n" not in str(err.value)


def test_client_errors_are_not_retried(fake_model: FakeOpenAI) -> None:
    fake_model.fail(400, times=1)
    with pytest.raises(ModelUnavailable, match="HTTP 400"):
        gateway(fake_model).complete(MSG, ChatParams())
    assert len(fake_model.chat_requests()) == 1


def test_server_down_is_one_clear_line_without_the_key(fake_model: FakeOpenAI) -> None:
    fake_model.stop()
    with pytest.raises(ModelUnavailable) as err:
        gateway(fake_model).complete(MSG, ChatParams())
    text = str(err.value)
    assert "is not reachable" in text and fake_model.base_url in text
    assert "sk-secret" not in text and "\n" not in text


def test_timeout_is_reported(fake_model: FakeOpenAI) -> None:
    fake_model.delay = 2.0
    t = time.perf_counter()
    with pytest.raises(ModelTimeout, match="did not answer in time"):
        gateway(fake_model, request_timeout=0.5).complete(MSG, ChatParams())
    assert time.perf_counter() - t < 1.9


def test_recovers_when_the_server_comes_back(fake_model: FakeOpenAI) -> None:
    gw = gateway(fake_model)
    fake_model.stop()
    assert gw.health() is not None
    fake_model.start()
    fake_model.replies = ["back"]
    assert gw.health() is None
    assert gw.complete(MSG, ChatParams()) == "back"


@pytest.mark.parametrize("mode", ["cut", "html", "garbage", "plain", "length"])
def test_a_broken_stream_is_a_model_error_never_an_answer(
    fake_model: FakeOpenAI, mode: str
) -> None:
    """A stream that stops without its finish marker, an HTML page or garbage with status
    200, or a reply cut at the length limit is an error, never a (short or empty) answer."""
    fake_model.replies = ["Three hundred farmers took part in the festival [1]."]
    fake_model.break_next(mode)
    got: list[str] = []
    with pytest.raises(ModelReplyError) as err:
        for delta in gateway(fake_model).stream(MSG, ChatParams()):
            got.append(delta)
    assert "\n" not in str(err.value)
    if mode == "cut":
        assert "".join(got) == "Three hundred farmers took"  # what came before the cut


@pytest.mark.parametrize("mode", ["html", "garbage", "length"])
def test_a_broken_whole_reply_is_a_model_error(fake_model: FakeOpenAI, mode: str) -> None:
    fake_model.break_next(mode)
    with pytest.raises(ModelReplyError):
        gateway(fake_model).complete(MSG, ChatParams())


def test_server_error_text_is_one_line(fake_model: FakeOpenAI) -> None:
    fake_model.fail(400)
    fake_model.fail_message = "bad\n\n![x](http://evil.example/x.png)\r\r[link](http://evil)"
    with pytest.raises(ModelUnavailable) as err:
        gateway(fake_model).complete(MSG, ChatParams())
    assert "\n" not in str(err.value) and "\r" not in str(err.value)


def test_credentials_in_urls_are_never_shown(fake_model: FakeOpenAI) -> None:
    url = fake_model.base_url.replace("http://", "http://ann:hunter2@") + "?key=sk-q"
    s = Settings(base_url=url, chat_model="m")
    assert redact_url(url) == fake_model.base_url
    assert "hunter2" not in describe_model(s) and "sk-q" not in describe_model(s)
    fake_model.stop()
    with pytest.raises(ModelUnavailable) as err:
        ChatGateway(s, url, "m", extra_ok=False).complete(MSG, ChatParams())
    assert "hunter2" not in str(err.value) and "ann" not in str(err.value)


def test_a_serial_lock_runs_calls_one_at_a_time_across_gateways(
    fake_model: FakeOpenAI, tmp_path: object
) -> None:
    """The bundled model's two servers share one lock: a gloss waits for the answer's
    stream to end, as one server's queue made it wait (4 llama.cpp threads on 2 cores
    slow both down)."""
    import threading
    from pathlib import Path

    lock = Path(str(tmp_path)) / "compute.lock"
    s = Settings(base_url=fake_model.base_url)
    answer = ChatGateway(s, fake_model.base_url, "m", extra_ok=False, serial=lock)
    writer = ChatGateway(s, fake_model.base_url, "m", extra_ok=False, serial=lock)
    fake_model.delay = 0.4
    fake_model.replies = ["a b c"] * 4
    spans: list[tuple[float, float]] = []

    def call(gw: ChatGateway, streamed: bool) -> None:
        t = time.monotonic()
        if streamed:
            list(gw.stream(MSG, ChatParams()))
        else:
            gw.complete(MSG, ChatParams())
        spans.append((t, time.monotonic()))

    threads = [
        threading.Thread(target=call, args=(answer, True)),
        threading.Thread(target=call, args=(writer, False)),
    ]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - t0 >= 0.8  # one after the other
    # without the lock the same two calls overlap
    free = [ChatGateway(s, fake_model.base_url, "m", extra_ok=False) for _ in range(2)]
    threads = [threading.Thread(target=call, args=(gw, False)) for gw in free]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - t0 < 0.75
