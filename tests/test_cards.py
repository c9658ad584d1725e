"""The model-card schema, checked against every card in the repository."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from helpers.cards import card_metadata, card_text

from zoo_core import cards
from zoo_core.cli.scaffold import render_plugin
from zoo_core.errors import CardError

REPO = Path(__file__).resolve().parents[1]
REPO_CARDS = sorted([*REPO.glob("model_cards/*.md"), *REPO.glob("plugins/*/*/model_cards/*.md")])


@pytest.fixture(scope="module")
def template_card(tmp_path_factory) -> Path:
    project = render_plugin("cardgan", "doe", tmp_path_factory.mktemp("template"))
    return project / "zoo_cardgan" / "model_cards" / "doe-cardgan-example.md"


@pytest.mark.parametrize("path", REPO_CARDS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_card_in_the_repository_validates(path: Path):
    card = cards.read(path)
    cards.validate(card)
    assert card.zoo["id"] == path.stem  # model_cards/<id>.md
    assert card.metadata.get("library_name", cards.LIBRARY_NAME) == cards.LIBRARY_NAME


def test_the_template_card_validates_and_says_no_weights(template_card: Path):
    card = cards.read(template_card)
    cards.validate(card)
    assert card.zoo["id"] == "doe-cardgan-example"
    assert card.weights is None
    summary = cards.summary(card)
    assert summary == {
        "architecture": "cardgan",
        "paper": "Radford 2016",
        "modality": "MR",
        "task": "unconditional-generation",
        "dims": 2,
        "resolution": "32x32",
        "weights": False,
    }


def test_cards_are_hugging_face_model_cards(template_card: Path):
    from huggingface_hub import ModelCard

    card = cards.read(template_card)
    hub_card = ModelCard(cards.for_hub(card).text())
    assert hub_card.data.license == "apache-2.0"  # the Hub's spelling of the SPDX id
    assert hub_card.data.library_name == "zoo-core"
    assert hub_card.data.to_dict()["zoo"]["id"] == "doe-cardgan-example"
    assert cards.parse(str(hub_card)).metadata == cards.for_hub(card).metadata


def _broken(mutate) -> cards.ModelCard:
    metadata = copy.deepcopy(card_metadata("doe-toy-card", "toy"))
    mutate(metadata)
    return cards.parse(f"---\n{yaml.safe_dump(metadata)}---\nbody\n", "model_cards/x.md")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda m: m["zoo"].pop("modality"), r"key 'zoo\.modality' is missing"),
        (lambda m: m["zoo"].update(dims="two"), r"key 'zoo\.dims'.*Integer"),
        (lambda m: m["zoo"].update(colour="red"), r"key 'zoo\.colour'.*not in 'ZooCardFields'"),
        (lambda m: m["zoo"]["paper"].pop("year"), r"key 'zoo\.paper\.year' is missing"),
        (lambda m: m["zoo"]["outputs"][0].pop("name"), r"key 'zoo\.outputs\[0\]\.name' is"),
        (lambda m: m["zoo"]["outputs"][0].update(value_range="wide"), r"value_range"),
        (lambda m: m.update(license="Proprietary-1.0"), r"license 'Proprietary-1\.0' is not one"),
        (lambda m: m["zoo"].update(modality="MRI"), r"zoo\.modality 'MRI' is not one of"),
        (lambda m: m["zoo"].update(task="painting"), r"zoo\.task 'painting' is not one of"),
        (lambda m: m["zoo"].update(dims=4), r"zoo\.dims must be 2 or 3"),
        (lambda m: m["zoo"].update(resolution=[16, 16, 16]), r"zoo\.resolution must have one"),
        (
            lambda m: m["zoo"]["outputs"][0].update(value_range=[1.0, -1.0]),
            r"image: value_range must be \[low, high\]",
        ),
        (
            lambda m: m["zoo"].update(weights={"repo_id": "a/b", "files": {"m.safetensors": "x"}}),
            r"zoo\.weights\.files\['m\.safetensors'\] is not a lower-case sha256",
        ),
        (
            lambda m: m["zoo"].update(
                weights={"repo_id": "a/b", "revision": "main", "files": {"m": "a" * 64}}
            ),
            r"zoo\.weights\.revision must be a 40-hex commit id",
        ),
        (lambda m: m["zoo"].update(weights={"files": {}}), r"key 'zoo\.weights\.repo_id'"),
        (lambda m: m.update({"model-index": {}}), r"model-index must be a list"),
        (
            lambda m: m.update({"model-index": [{"name": "x", "results": [{"task": {}}]}]}),
            r"a model-index result lacks 'dataset'",
        ),
    ],
)
def test_a_broken_card_names_the_key_at_fault(mutate, expected):
    with pytest.raises(CardError, match=expected) as caught:
        cards.validate(_broken(mutate))
    assert str(caught.value).startswith("model_cards/x.md: ")


def test_model_index_is_hugging_face_eval_results_and_validates():
    metadata = copy.deepcopy(card_metadata("doe-toy-card", "toy"))
    result = {
        "task": {"type": "image-to-image", "name": "super-resolution x2"},
        "dataset": {"type": "mni152", "name": "MNI152 superior slab", "split": "held-out"},
        "metrics": [{"type": "psnr", "value": 31.5, "name": "PSNR (dB)"}],
    }
    metadata["model-index"] = cards.model_index("doe-toy-card", [result])
    card = cards.parse(f"---\n{yaml.safe_dump(metadata)}---\nbody\n", "x.md")
    cards.validate(card)
    assert card.metadata["model-index"][0]["results"][0]["metrics"][0]["value"] == 31.5


def test_a_valid_card_with_weights_passes():
    weights = {"repo_id": "doe/toy", "revision": "a" * 40, "files": {"model.safetensors": "b" * 64}}
    card = cards.parse(card_text("doe-toy-card", "toy", weights=weights, dims=3))
    cards.validate(card)
    assert cards.summary(card)["weights"] is True
    assert card.weights == weights


def test_front_matter_errors_name_the_file(tmp_path: Path):
    with pytest.raises(CardError, match="must start with YAML front matter"):
        cards.parse("# no metadata\n", "a.md")
    with pytest.raises(CardError, match=r"b\.md: front matter is not valid YAML"):
        cards.parse("---\nzoo: [unclosed\n---\n", "b.md")
    with pytest.raises(CardError, match=r"c\.md: front matter must be a mapping"):
        cards.parse("---\n- a\n- b\n---\n", "c.md")
    with pytest.raises(CardError, match=r"cannot read model card .*missing\.md"):
        cards.read(tmp_path / "missing.md")


def test_card_text_round_trips():
    card = cards.parse(card_text("doe-toy-card", "toy"), "x.md")
    again = cards.parse(card.text(), "x.md")
    assert again.metadata == card.metadata and again.body == card.body


@pytest.mark.parametrize(
    ("authors", "label"),
    [
        ("Martin Arjovsky, Soumith Chintala, Léon Bottou", "Arjovsky 2017"),
        ("Beers, Brown, Chang", "Beers 2017"),
        ("Jun-Yan Zhu", "Zhu 2017"),
    ],
)
def test_the_list_names_a_paper_by_its_first_authors_surname(template_card, authors, label):
    card = cards.read(template_card)
    card.zoo["paper"].update(authors=authors, year=2017)
    assert cards.summary(card)["paper"] == label


# -- what the Hub and MONAI read (issue 15) ---------------------------------------------------

#: Cards whose training data's terms restrict the weights: the Hub's `license: other`.
RESTRICTED_DATA = ("terms of use", "not public", "private")


@pytest.mark.parametrize("path", REPO_CARDS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_card_is_read_by_the_hub_and_monai(path: Path):
    from zoo_core import cards_hub

    card = cards.read(path)
    meta = card.metadata
    data_terms = card.zoo["training_data"]["license"].lower()
    if any(phrase in data_terms for phrase in RESTRICTED_DATA):
        assert meta["license"] == "other", "the training data's terms restrict the weights"
        assert meta["license_name"] and meta["license_link"]
    for name in meta.get("datasets") or []:
        assert cards_hub.HUB_DATASET_ID.match(name), f"{name!r} is no Hub dataset id"
    nd = meta[cards_hub.NETWORK_DATA_FORMAT]
    assert nd == cards_hub.network_data_format(card.zoo)
    keys = {"type", "format", "num_channels", "spatial_shape", "dtype", "value_range"}
    keys |= {"is_patch_data", "channel_def"}
    for spec in [nd["inputs"]["image"], nd["outputs"]["pred"]]:
        assert keys <= set(spec)
        assert len(spec["channel_def"]) == spec["num_channels"]


def test_shipped_cards_have_model_index():
    for path in REPO.glob("plugins/*/*/weights/*/README.md"):
        assert cards.read(path).metadata.get("model-index"), path


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda m: m.update(license="other"), r"license: other needs license_name"),
        (
            lambda m: m.update(license="other", license_name="Bad Name", license_link="x"),
            r"license_name, a lower-case slug",
        ),
        (lambda m: m.update(datasets=["mni152"]), r"'mni152' is not a Hub dataset id"),
        (
            lambda m: m.update(network_data_format={"inputs": {}, "outputs": {}}),
            r"network_data_format differs from what zoo\.inputs/outputs say",
        ),
    ],
)
def test_hub_and_monai_keys_are_checked(mutate, expected):
    with pytest.raises(CardError, match=expected):
        cards.validate(_broken(mutate))


def _monai_cases() -> list[str]:
    return sorted({path.stem if path.name != "README.md" else path.parent.name
                   for path in REPO_CARDS})  # fmt: skip


@pytest.mark.parametrize("model_id", _monai_cases())
def test_monai_network_check_passes_on_every_model(model_id: str):
    """monai.bundle.verify_net_in_out on the card's front matter, the untrained network."""
    import zoo_core as zoo
    from zoo_core.monai_bundle import verify_network

    verify_network(zoo.model_card(model_id).metadata)
