"""`kartoitus content check`: the shipped content passes; a broken copy is reported problem by problem."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from adapters.slack.capabilities import CAPABILITIES as SLACK
from adapters.telegram.capabilities import CAPABILITIES as TELEGRAM
from bot.core.instrument import LANGUAGES
from bot.shell.content import SHIPPED_CONTENT_DIR, ContentError, load_instrument
from bot.shell.content_check import check_content

PLATFORMS = (TELEGRAM, SLACK)


def edit_yaml(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT_DIR, tmp_path / "content"))


def test_shipped_content_is_complete_and_fits_every_platform() -> None:
    assert check_content(SHIPPED_CONTENT_DIR, PLATFORMS) == []
    instrument = load_instrument()
    assert [p.number for p in instrument.points] == list(range(1, 9))
    assert [p.id for p in instrument.points if p.derived] == ["siirtymat", "asiakassuhde"]
    assert instrument.point("valmiudet").laws, "the seed lists laws for point 2"
    assert [level.id for level in instrument.levels] == ["arjen", "kehittava", "strateginen", "verkostot"]
    for point in instrument.points:
        assert set(point.title) == set(LANGUAGES)
        assert point.guide


def test_the_seed_wording_is_used_in_finnish() -> None:
    instrument = load_instrument()
    assert instrument.point("tavoitettavuus").descriptors["fi"] == (
        "asiakkaan palvelu, kanavat, vastuu asiakkaasta, viestintä ja markkinointi")
    assert instrument.deepening["works"]["fi"] == "Mikä meillä jo toimii?"
    assert instrument.deepening["develop"]["fi"] == "Missä meillä on vielä kehitettävää?"
    assert instrument.deepening["promise"]["fi"] == "Miten lunastatte palvelulupauksen?"


def test_every_problem_is_reported_with_file_and_path(copy: Path) -> None:
    point_file = copy / "points" / "03-ennakkosuunnittelu.yaml"

    def break_point(data: dict) -> None:  # type: ignore[type-arg]
        del data["title"]["sv"]
        data["id"] = "valmiudet"
        data["title"]["en"] = "A title that is far too long for any button on a phone screen, truly"

    edit_yaml(point_file, break_point)
    edit_yaml(copy / "points" / "05-siirtymat.yaml",
              lambda data: data.update(id="siirtymat_" + "x" * 60))
    edit_yaml(copy / "ui" / "sv.yaml", lambda data: (data["welcome"].pop("back"),
                                                     data["part1"].update(heading="Del 1 {nummer}")))
    (copy / "partnership.yaml").write_text("levels: [unclosed\n", encoding="utf-8")

    problems = [str(problem) for problem in check_content(copy, PLATFORMS)]
    text = "\n".join(problems)
    assert "points/03-ennakkosuunnittelu.yaml: title.sv: missing translation (sv)" in text
    assert "points/03-ennakkosuunnittelu.yaml: id: duplicate point id 'valmiudet'" in text
    assert "ui/sv.yaml: welcome.back: missing translation (sv)" in text
    assert "ui/sv.yaml: part1.heading: placeholders ['nummer'] differ" in text
    assert "partnership.yaml: not valid YAML" in text


def test_labels_and_callback_data_over_the_platform_limits(copy: Path) -> None:
    edit_yaml(copy / "points" / "03-ennakkosuunnittelu.yaml",
              lambda data: data["title"].update(en="A title that is far too long for a phone button"))
    edit_yaml(copy / "points" / "05-siirtymat.yaml", lambda data: data.update(id="siirtymat_" + "x" * 60))
    text = "\n".join(str(problem) for problem in check_content(copy, PLATFORMS))
    assert "points/03-ennakkosuunnittelu.yaml: title.en: button label" in text
    assert "a telegram button shows at most 40" in text
    assert "points/05-siirtymat.yaml: id: callback data for 'works:siirtymat_xxx" in text
    assert "telegram allows at most 64" in text
    assert "slack" not in text, "these still fit Slack's limits"


def test_loading_broken_content_raises_with_every_problem(copy: Path) -> None:
    edit_yaml(copy / "instrument.yaml", lambda data: data["settings"].update(max_answer_length="lots"))
    (copy / "ui" / "en.yaml").unlink()
    with pytest.raises(ContentError) as raised:
        load_instrument(copy)
    text = str(raised.value)
    assert "instrument.yaml: settings.max_answer_length: expected a positive whole number" in text
    assert "ui/en.yaml: file is missing" in text


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "content", "check", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_command_exits_1_on_problems_and_0_when_fine(copy: Path) -> None:
    fine = cli(str(copy))
    assert fine.returncode == 0, fine.stderr
    assert "on kunnossa" in fine.stdout and "8 kriittistä pistettä" in fine.stdout
    edit_yaml(copy / "points" / "01-tavoitettavuus.yaml", lambda data: data["descriptors"].pop("en"))
    broken = cli(str(copy))
    assert broken.returncode == 1
    assert "points/01-tavoitettavuus.yaml: descriptors.en: missing translation (en)" in broken.stderr
    missing = cli(str(copy / "nowhere"))
    assert missing.returncode == 1 and "content directory does not exist" in missing.stderr
