from __future__ import annotations

import pytest

from projects.ingest.language import detect_language, texts_of


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (["My rice cooker arrived with a dented lid."], "en"),
        (["亲，快递三天没更新了，怎么回事？"], "zh"),
        (["我的 AirPods Pro 左耳没有声音，能换货吗？"], "zh"),
        (["我的AirPods Pro左耳没声音 and the box was already open when it arrived"], "mixed"),
        (["The parcel says delivered but nothing arrived at my door today", "退款什么时候到账？"], "mixed"),
        (["12345 !!! ???"], "other"),
        ([], "other"),
    ],
)
def test_detect_language(texts, language):
    assert detect_language(texts) == language


def test_texts_of_walks_conversation_turns():
    data = {"dialogue": [{"author": "buyer", "text": "没收到货"}, {"author": "bot", "text": "亲，正在查询"}], "n": 3}
    assert list(texts_of(data)) == ["buyer", "没收到货", "bot", "亲，正在查询"]
