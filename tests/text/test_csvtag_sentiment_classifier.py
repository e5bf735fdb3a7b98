"""The CSV tagging, the sentiment and the learning from corrections."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from surveyapp.text import TextAnalyticsError
from surveyapp.text.classifier import CorrectionModel, tag_with_model
from surveyapp.text.csvtag import tag_csv_file
from surveyapp.text.sentiment import sentiment
from surveyapp.text.tagging import tag_text


@pytest.mark.parametrize(("delimiter", "bom"), [(",", False), (";", False), (";", True)])
def test_csv_is_tagged_and_written_back(tmp_path: Path, delimiter: str, bom: bool) -> None:
    source = tmp_path / "in.csv"
    rows = [
        ["id", "comment"],
        ["1", "Far too expensive, and the staff were rude"],
        ["2", "Je n'ai jamais reçu ma commande"],
        ["3", ""],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    source.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    target = tmp_path / "out.csv"

    assert tag_csv_file(source, "comment", "auto", target) == 3

    written = target.read_text(encoding="utf-8")
    assert not written.startswith("\ufeff")
    out = list(csv.DictReader(io.StringIO(written), delimiter=delimiter))
    assert list(out[0]) == ["id", "comment", "tags", "confidence", "sentiment", "language"]
    assert [row["id"] for row in out] == ["1", "2", "3"]
    assert out[0]["tags"] == "price|support"
    assert len(out[0]["confidence"].split("|")) == 2
    assert float(out[0]["sentiment"]) < 0
    assert out[0]["language"] == "en"
    assert (out[1]["tags"], out[1]["language"]) == ("onboarding", "fr")
    assert (out[2]["tags"], out[2]["confidence"], out[2]["sentiment"]) == ("", "", "0.000")


def test_language_hint_is_applied(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("text\nStill nothing\n", encoding="utf-8")
    out = io.StringIO()
    tag_csv_file(source, "text", "fr", stdout=out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["language"] == "fr"


def test_wrong_column_lists_the_columns_found(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("\ufeffid;comment;score\n1;hello;3\n", encoding="utf-8")
    with pytest.raises(TextAnalyticsError) as error:
        tag_csv_file(source, "text", stdout=io.StringIO())
    assert (
        str(error.value) == "no column 'text' in the CSV; columns found: 'id', 'comment', 'score'"
    )


@pytest.mark.parametrize(
    ("text", "language", "sign"),
    [
        ("Great service, very happy", "en", 1),
        ("Terrible, awful experience", "en", -1),
        ("Très bon site, livraison parfaite", "fr", 1),
        ("Service client nul et horrible", "fr", -1),
    ],
)
def test_sentiment_sign(text: str, language: str, sign: int) -> None:
    value = sentiment(text, language)
    assert -1.0 <= value <= 1.0
    assert value * sign > 0


@pytest.mark.parametrize("text", ["", "😀😀", "a" * 5000, "<b>ok</b>"])
def test_sentiment_of_bad_input_is_bounded(text: str) -> None:
    assert -1.0 <= sentiment(text) <= 1.0
    assert sentiment("", "en") == 0.0


def test_textblob_misreads_a_complaint_the_tagger_does_not() -> None:
    text = "The price was way too high and support never answered my tickets"
    assert sentiment(text, "en") > 0
    assert {tag.tag for tag in tag_text(text, "en")} == {"price", "support"}


def test_untrained_model_reproduces_the_rules() -> None:
    model = CorrectionModel()
    assert tag_with_model("Far too expensive", model, "en") == tag_text("Far too expensive", "en")


def test_model_learns_a_new_association_from_a_handful_of_corrections() -> None:
    text = "The widget looks hideous"
    assert tag_text(text, "en") == []
    corrections = [
        ("The colour is hideous", ["other"]),
        ("Hideous design", ["other"]),
        ("A hideous looking box", ["other"]),
        ("The packaging was hideous", ["other"]),
        ("Great speed, no complaints", []),
        ("Installation was quick", []),
        ("The engineer was late", ["onboarding"]),
        ("Very fast delivery", []),
    ]
    model = CorrectionModel().learn(corrections, "en")

    learned = tag_with_model(text, model, "en")
    assert [tag.tag for tag in learned] == ["other"]
    assert "hideous" in learned[0].words
    assert tag_with_model("The widget looks lovely", model, "en") == []
    # the rules still hold for what was not corrected
    assert [t.tag for t in tag_with_model("Far too expensive", model, "en")] == ["price"]
    restored = CorrectionModel.from_dict(model.to_dict())
    assert tag_with_model(text, restored, "en") == learned


def test_model_learns_to_drop_a_rule_tag_it_was_corrected_on() -> None:
    corrections = [(f"Wait {n}: the fibre was delayed", []) for n in range(6)]
    corrections += [("The staff were rude", ["support"]), ("No engineer came", ["onboarding"])]
    model = CorrectionModel(updates=2000, learning_rate=0.2).learn(corrections, "en")
    assert "onboarding" in {t.tag for t in tag_text("The fibre was delayed", "en")}
    revised = tag_with_model("The fibre was delayed", model, "en")
    assert "onboarding" not in {t.tag for t in revised}
