"""Alert payloads carry ingested dimension values: they must reach Slack as text, never as markup."""

import json

from analytics.alert_delivery import Channel, render, slack_text

HOSTILE = "intent=<!channel> <https://evil.example|click here> *bold* _it_ ~s~ `code` & more"


def _alert(title: str) -> dict:
    return {"alert_id": "a1", "created_at": "2026-11-30", "source": "anomaly", "dedup_key": "k",
            "severity": "critical", "title": title, "payload": {}}


def test_slack_text_escapes_control_sequences_and_formatting():
    text = slack_text(HOSTILE)
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example|click here&gt;" in text
    assert "&amp; more" in text
    # no two formatting characters can pair up: each is followed by a zero-width space
    for mark in "*_~`":
        assert all(text[i + 1] == "\u200b" for i, c in enumerate(text) if c == mark)
    assert text.replace("\u200b", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == HOSTILE


def test_slack_message_shows_a_hostile_title_literally():
    body, _ = render(Channel("team", "https://hooks.slack.invalid/x", "slack"), _alert(HOSTILE))
    message = json.loads(body)
    texts = [message["text"], message["blocks"][0]["text"]["text"], message["blocks"][1]["elements"][0]["text"]]
    assert all("<!channel>" not in t and "<https://" not in t for t in texts)
    assert "&lt;!channel&gt;" in message["text"]


def test_json_webhook_keeps_the_title_as_sent():
    # JSON receivers get data, not markup: escaping there would corrupt the value.
    body, _ = render(Channel("ops", "https://hooks.invalid/x", "json", "s3cret"), _alert(HOSTILE))
    assert json.loads(body)["title"] == HOSTILE
