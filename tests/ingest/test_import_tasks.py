"""Importing task files: good files land whole, bad files land not at all."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.ingest.errors import ImportRefused
from projects.ingest.services import import_tasks
from projects.models import Task, TaskImport
from tests.actors import SYSTEM, actor_for
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory
from tests.ingest.pii import BEIJING_ID, VISA, spaced

FILES = Path(__file__).parent / "files"

# file name → (line, field, part of the message). None: the error is about the whole file.
BAD_FILES = {
    "broken_json_line.jsonl": (3, None, "not valid JSON"),
    "missing_required_key.jsonl": (2, "reply", "missing"),
    "duplicate_external_id.csv": (4, "external_id", "appears twice (first on line 2)"),
    "wrong_encoding_latin1.csv": (3, None, "byte 0xe9 (byte 23 of the line) is not valid UTF-8 or GB18030"),
    "oversized_field.jsonl": (2, "message", "the limit is 100,000"),
    "invalid_gold_answer.jsonl": (2, "gold_answer", "lost_in_space"),
    "empty.csv": (1, None, "the file is empty"),
    "ragged_row.csv": (3, None, "the row has 4 fields but the header has 3"),
    "missing_external_id.csv": (2, "external_id", "missing"),
    "utf16.csv": (1, None, "UTF-16"),
    "not_an_object.jsonl": (2, None, "expected a JSON object"),
    "gold_not_json.csv": (2, "gold_answer", "must be JSON"),
    "labelstudio_unclosed.json": (4, None, "not closed"),
    "invalid_prediction.json": (11, "predictions[0].result", "'senario' is not a control"),
    "header_only.csv": (1, None, "holds no tasks"),
    "duplicate_header.csv": (1, "message", "appears twice in the header"),
    "gold_two_choices.jsonl": (1, "gold_answer", "takes a single choice"),
    "rating_out_of_range.jsonl": (3, "gold_answer", "helpfulness"),
    "external_id_too_long.jsonl": (1, "external_id", "the limit is 255"),
    "nul_bytes.csv": (2, None, "NUL bytes"),
    "already_in_project.jsonl": (2, "external_id", "'existing-1' is already in project triage"),
    "unknown_type.txt": (None, None, "unknown file type '.txt'"),
    "paragraph_text_as_number.jsonl": (2, "message", "expected text, got int"),
    "gb18030_then_bad_byte.csv": (3, None, "byte 0xff (byte 5 of the line) is not valid GB18030"),
}


def test_the_bad_file_corpus_is_complete():
    on_disk = {path.name for path in (FILES / "bad").iterdir()}
    assert on_disk == set(BAD_FILES)
    assert len(on_disk) >= 15


@pytest.mark.parametrize("file_name", sorted(BAD_FILES))
def test_bad_file_exits_non_zero_names_line_and_field_and_writes_nothing(triage_project, file_name):
    TaskFactory(project=triage_project, external_id="existing-1")
    line, field, fragment = BAD_FILES[file_name]
    path = FILES / "bad" / file_name

    # manage.py turns CommandError into exit status 1 with the message on stderr.
    with pytest.raises(CommandError) as refused:
        call_command("import_tasks", "triage", str(path), "--no-progress")

    message = str(refused.value)
    assert "Nothing was imported" in message
    where = f"{file_name}:{line}: " if line else f"{file_name}: "
    expected = f"{where}{field}: " if field else where
    assert expected in message
    assert fragment in message
    assert Task.objects.count() == 1
    assert TaskImport.objects.count() == 0


def test_gb18030_csv_of_mandarin_conversations_keeps_its_text(triage_project):
    result = import_tasks(project=triage_project, path=FILES / "good" / "mandarin_gb18030.csv", actor=SYSTEM)

    assert result.encoding == "gb18030"
    assert result.task_count == 4
    task = Task.objects.get(external_id="zh-004")
    assert task.data["message"] == "手机壳颜色发错了，我要的是“雾霾蓝”，收到的是粉色"
    assert task.data["reply"] == "亲，已为您补发正确颜色，原商品无需寄回哦～"
    assert task.language == "zh"
    gold = Task.objects.get(external_id="zh-001")
    assert gold.is_gold
    assert {region["from_name"]: region["value"]["choices"] for region in gold.gold_answer} == {
        "scenario": ["damaged"],
        "hallucination": ["no"],
    }


def test_utf8_with_bom_reads_the_first_column_name_cleanly(triage_project):
    result = import_tasks(project=triage_project, path=FILES / "good" / "mandarin_utf8_bom.csv", actor=SYSTEM)

    assert result.encoding == "utf-8"
    assert set(Task.objects.values_list("external_id", flat=True)) == {"bom-001", "bom-002", "bom-003", "bom-004"}


def test_jsonl_with_gold_predictions_and_mixed_language(triage_project):
    result = import_tasks(project=triage_project, path=FILES / "good" / "mixed.jsonl", actor=SYSTEM)

    assert result.task_count == 4
    assert result.gold_count == 1
    assert dict(Task.objects.values_list("external_id", "language")) == {
        "t-1": "en",
        "t-2": "zh",
        "t-3": "en",
        "t-4": "mixed",
    }
    assert Task.objects.get(external_id="t-3").predictions[0]["model_version"] == "triage-v3"


def test_label_studio_export_takes_ground_truth_as_gold_and_ids_as_external_ids(triage_project):
    import_tasks(project=triage_project, path=FILES / "good" / "labelstudio_export.json", actor=SYSTEM)

    gold = Task.objects.get(external_id="ls-1")
    assert gold.is_gold
    assert gold.gold_answer[0]["value"] == {"choices": ["damaged"]}
    assert not Task.objects.get(external_id="902").is_gold


def test_import_into_a_batch_records_who_and_which_file(triage_project, django_user_model):
    batch = BatchFactory(project=triage_project, name="week-47")
    user = django_user_model.objects.create_user("pm", password="a-long-test-password")

    result = import_tasks(
        project=triage_project, path=FILES / "good" / "mixed.jsonl", batch=batch, actor=actor_for(user)
    )

    task_import = TaskImport.objects.get(pk=result.task_import_id)
    assert (task_import.file_name, task_import.task_count, task_import.created_by) == ("mixed.jsonl", 4, user)
    assert batch.tasks.count() == 4


def test_the_same_file_twice_is_refused_the_second_time(triage_project):
    import_tasks(project=triage_project, path=FILES / "good" / "mixed.jsonl", actor=SYSTEM)

    with pytest.raises(ImportRefused) as refused:
        import_tasks(project=triage_project, path=FILES / "good" / "mixed.jsonl", actor=SYSTEM)

    assert len(refused.value.errors) == 4
    assert Task.objects.count() == 4


def test_many_errors_are_reported_together_up_to_the_limit(triage_project, tmp_path, settings):
    settings.IMPORT_MAX_ERRORS = 5
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(json.dumps({"external_id": f"t-{n}", "message": "hi"}) for n in range(20)))

    with pytest.raises(ImportRefused) as refused:
        import_tasks(project=triage_project, path=path, actor=SYSTEM)

    assert [error.line for error in refused.value.errors] == [1, 2, 3, 4, 5]
    assert refused.value.more
    assert "more errors not shown" in str(refused.value)


def test_large_file_is_written_in_chunks_in_one_transaction(triage_project, tmp_path, settings):
    settings.IMPORT_CHUNK_SIZE = 7
    path = tmp_path / "fifty.jsonl"
    path.write_text(
        "\n".join(json.dumps({"external_id": f"t-{n}", "message": "Where is it?", "reply": "Soon"}) for n in range(50))
    )

    result = import_tasks(project=triage_project, path=path, actor=SYSTEM)

    assert result.task_count == Task.objects.count() == 50


def test_command_prints_a_summary(triage_project):
    out = io.StringIO()
    call_command("import_tasks", "triage", str(FILES / "good" / "mixed.jsonl"), "--no-progress", stdout=out)
    assert "Imported 4 tasks (1 gold) into triage from jsonl (utf-8)" in out.getvalue()


def test_command_names_an_unknown_project(db):
    with pytest.raises(CommandError, match="No labeling project with slug 'nope'"):
        call_command("import_tasks", "nope", str(FILES / "good" / "mixed.jsonl"))


# -- redaction on the way in ----------------------------------------------------------------------

DIALOGUE_CONFIG = """<View>
  <Paragraphs name="dialogue" value="$dialogue" layout="dialogue" nameKey="author" textKey="text"/>
  <Choices name="scenario" toName="dialogue" choice="single">
    <Choice value="refund"/><Choice value="not_received"/>
  </Choices>
</View>"""
PREDICTION = {
    "model_version": "triage-v3",
    "score": 0.8,
    "result": [{"from_name": "scenario", "to_name": "dialogue", "type": "choices", "value": {"choices": ["refund"]}}],
}


def write_conversations(path: Path) -> list[dict]:
    """Three conversations: two carry PII (one of them gold), one carries only prices and dates."""
    rows = [
        {
            "external_id": "c-1",
            "dialogue": [
                {"author": "buyer", "text": f"退款退到这张卡 {spaced(VISA, (4, 4, 4, 4))}，手机13800138000"},
                {"author": "agent", "text": "好的亲，¥1299.00 预计2026年11月27日前到账"},
            ],
            "gold_answer": {"scenario": "refund"},
        },
        {
            "external_id": "c-2",
            "dialogue": [
                {"author": "buyer", "text": "Parcel lost. Email lena.w@example.com or call +44 20 7946 0958."},
                {"author": "buyer", "text": f"My ID for customs: {BEIJING_ID}, order SO-2026-004417"},
            ],
            "predictions": [PREDICTION],
        },
        {
            "external_id": "c-3",
            "dialogue": [{"author": "buyer", "text": "2 items, $45.99 each, ordered 2026-11-24 at 14:30"}],
        },
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    return rows


@pytest.fixture
def dialogue_project(db):
    return LabelingProjectFactory(
        slug="dialogues",
        label_config=DIALOGUE_CONFIG,
        redaction={"patterns": [{"name": "order_no", "regex": r"SO-\d{4}-\d{6}"}]},
    )


def test_imported_tasks_are_redacted_and_originals_are_not_kept_by_default(dialogue_project, tmp_path):
    path = tmp_path / "conversations.jsonl"
    rows = write_conversations(path)

    result = import_tasks(project=dialogue_project, path=path, actor=SYSTEM)

    tasks = {task.external_id: task for task in Task.objects.all()}
    assert [turn["text"] for turn in tasks["c-1"].data["dialogue"]] == [
        "退款退到这张卡 [CARD]，手机[PHONE]",
        "好的亲，¥1299.00 预计2026年11月27日前到账",
    ]
    assert [turn["text"] for turn in tasks["c-2"].data["dialogue"]] == [
        "Parcel lost. Email [EMAIL] or call [PHONE].",
        "My ID for customs: [CN_ID], order [ORDER_NO]",
    ]
    assert tasks["c-3"].data == {"dialogue": rows[2]["dialogue"]}
    assert all(task.original_data is None for task in tasks.values())
    assert tasks["c-1"].gold_answer[0]["value"] == {"choices": ["refund"]}
    assert tasks["c-2"].predictions == [PREDICTION]
    assert result.redaction_report == TaskImport.objects.get().redaction_report


def test_the_import_report_counts_per_kind_and_field_and_never_holds_values(dialogue_project, tmp_path):
    path = tmp_path / "conversations.jsonl"
    write_conversations(path)

    import_tasks(project=dialogue_project, path=path, actor=SYSTEM)

    report = TaskImport.objects.get().redaction_report
    assert report == {
        "policy": ["email", "phone", "card", "cn_id", "order_no"],
        "originals_kept": False,
        "tasks": 2,
        "values": 6,
        "kinds": {"card": 1, "cn_id": 1, "email": 1, "order_no": 1, "phone": 2},
        "fields": {"dialogue[].text": {"card": 1, "cn_id": 1, "email": 1, "order_no": 1, "phone": 2}},
    }
    assert "13800138000" not in json.dumps(report)


def test_originals_are_kept_for_redacted_tasks_when_the_project_opts_in(dialogue_project, tmp_path):
    dialogue_project.keep_originals = True
    dialogue_project.save()
    path = tmp_path / "conversations.jsonl"
    rows = write_conversations(path)

    result = import_tasks(project=dialogue_project, path=path, actor=SYSTEM)

    tasks = {task.external_id: task for task in Task.objects.all()}
    assert tasks["c-1"].original_data == {"dialogue": rows[0]["dialogue"]}
    assert tasks["c-2"].original_data == {"dialogue": rows[1]["dialogue"]}
    assert "[PHONE]" in tasks["c-1"].data["dialogue"][0]["text"]
    # Nothing was masked in c-3: its data is its original.
    assert tasks["c-3"].original_data is None
    assert result.redaction_report["originals_kept"] is True


def test_a_project_with_redaction_off_imports_data_as_it_is(dialogue_project, tmp_path):
    dialogue_project.redaction = {"kinds": []}
    dialogue_project.keep_originals = True
    dialogue_project.save()
    path = tmp_path / "conversations.jsonl"
    rows = write_conversations(path)

    import_tasks(project=dialogue_project, path=path, actor=SYSTEM)

    assert Task.objects.get(external_id="c-2").data == {"dialogue": rows[1]["dialogue"]}
    assert Task.objects.filter(original_data__isnull=False).count() == 0
    assert TaskImport.objects.get().redaction_report == {
        "policy": [],
        "originals_kept": False,
        "tasks": 0,
        "values": 0,
        "kinds": {},
        "fields": {},
    }


def test_a_csv_of_text_fields_is_redacted_too(triage_project, tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_text(
        "external_id,message,reply\n"
        "m-1,我的手机 138-0013-8000，邮箱 wang.demo@example.cn,亲，已为您登记\n"
        "m-2,Where is my order? I paid $45.99 on 2026-11-24,It ships today\n",
        encoding="utf-8",
    )

    import_tasks(project=triage_project, path=path, actor=SYSTEM)

    assert Task.objects.get(external_id="m-1").data == {
        "message": "我的手机 [PHONE]，邮箱 [EMAIL]",
        "reply": "亲，已为您登记",
    }
    assert Task.objects.get(external_id="m-2").data["message"] == "Where is my order? I paid $45.99 on 2026-11-24"


@pytest.mark.parametrize(
    ("redaction", "fragment"),
    [
        ({"kinds": ["email", "passport"]}, "unknown kind 'passport'"),
        ({"patterns": [{"name": "order_no", "regex": "SO-[0-9"}]}, "pattern 1 (order_no): the regex does not compile"),
    ],
)
def test_a_bad_redaction_config_refuses_the_import_and_writes_nothing(dialogue_project, tmp_path, redaction, fragment):
    dialogue_project.redaction = redaction
    dialogue_project.save()
    path = tmp_path / "conversations.jsonl"
    write_conversations(path)

    with pytest.raises(CommandError) as refused:
        call_command("import_tasks", "dialogues", str(path), "--no-progress")

    message = str(refused.value)
    assert "Nothing was imported" in message
    assert "conversations.jsonl: redaction: the redaction config of project dialogues is wrong" in message
    assert fragment in message
    assert Task.objects.count() == 0
    assert TaskImport.objects.count() == 0


def test_command_prints_a_one_line_redaction_summary(dialogue_project, tmp_path):
    path = tmp_path / "conversations.jsonl"
    write_conversations(path)
    out = io.StringIO()

    call_command("import_tasks", "dialogues", str(path), "--no-progress", stdout=out)

    assert (
        "Redacted 6 values in 2 tasks (card 1, cn_id 1, email 1, order_no 1, phone 2); originals not kept."
        in out.getvalue()
    )


def test_command_says_when_redaction_found_nothing(triage_project):
    out = io.StringIO()
    call_command("import_tasks", "triage", str(FILES / "good" / "mixed.jsonl"), "--no-progress", stdout=out)
    assert "Redaction (email, phone, card, cn_id): nothing found." in out.getvalue()
