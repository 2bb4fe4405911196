"""``thinfile decide`` and ``thinfile policy simulate`` with a real model on synthetic data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.decisioning import application
from thinfile.decisioning import DEFAULT_POLICY_DIR
from thinfile.scoring import train_model
from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    frame = generate_applicants(3000, seed=5)
    model = train_model(
        frame,
        target="bad_12m",
        kind="gbm",
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
        seed=1,
    )
    folder = tmp_path_factory.mktemp("model")
    model.save(folder)
    return folder


def test_decide_prints_a_replayable_decision_as_json(capsys, tmp_path, model_dir):
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application()))
    code, out, _ = run(
        capsys, "decide", str(path), "--model", str(model_dir), "--on", "2026-11-25", "--json"
    )
    assert code == 0
    decision = json.loads(out)
    assert decision["outcome"] in {"approve", "refer", "decline"}
    assert decision["model_version"].startswith("sha256:")
    assert decision["inputs"]["application"]["requested_amount"] == "6000.00"
    for offer in decision["offers"]:
        assert float(offer["annualized_rate"]["effective"]) <= 0.24


def test_decide_lists_every_bad_field_on_one_line(capsys, tmp_path, model_dir):
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application(requested_amount=-1, segment="astronaut")))
    code, _, err = run(capsys, "decide", str(path), "--model", str(model_dir))
    assert code == 2
    assert "requested_amount" in err and "segment" in err
    assert len(err.strip().splitlines()) == 1


def test_decide_reads_full_width_digits_as_the_digits_and_knocks_out_other_scripts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    decisions = {}
    for name, digits in (
        ("ascii", "0123456789"),
        ("wide", "０１２３４５６７８９"),
        ("arabic", "٠١٢٣٤٥٦٧٨٩"),
    ):
        spell = str.maketrans("0123456789", digits)
        path = tmp_path / f"{name}.json"
        typed = application()
        typed.update(id_number=str(typed["id_number"]).translate(spell))
        path.write_text(json.dumps(typed), encoding="utf-8")
        code, out, err = run(
            capsys, "decide", str(path), "--model", str(model_dir), "--on", "2026-11-25", "--json"
        )
        assert code == 0, err
        decisions[name] = json.loads(out)
    assert decisions["wide"] == decisions["ascii"]
    assert decisions["ascii"]["inputs"]["application"]["id_number"].isascii()
    assert decisions["arabic"]["outcome"] == "decline"
    assert "KO_ID_INVALID" in decisions["arabic"]["reason_codes"]


def test_decide_without_a_model_says_how_to_get_one(capsys, tmp_path):
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application()))
    code, _, err = run(capsys, "decide", str(path), "--model", str(tmp_path / "none"))
    assert code == 2 and "--model" in err and "thinfile model train" in err


def test_policy_simulate_writes_a_report_and_prints_json(capsys, tmp_path, model_dir):
    data = tmp_path / "past.parquet"
    generate_applicants(800, seed=9).to_parquet(data)
    out = tmp_path / "report.html"
    code, printed, _ = run(
        capsys,
        "policy",
        "simulate",
        "--policy",
        str(DEFAULT_POLICY_DIR),
        "--model",
        str(model_dir),
        "--data",
        str(data),
        "--out",
        str(out),
        "--json",
        "--workers",
        "1",
    )
    assert code == 0
    report = json.loads(printed)
    overall = report["candidate"]["overall"]
    assert overall["applications"] == 800 and 0 < overall["approval_rate"] < 1
    assert "thin-file" in out.read_text()


def test_policy_simulate_prints_occupations_and_flags_those_below_the_minimum_share(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    data = tmp_path / "past.parquet"
    generate_applicants(600, seed=9).to_parquet(data)
    out = tmp_path / "report.html"
    args = ["policy", "simulate", "--policy", str(DEFAULT_POLICY_DIR), "--model", str(model_dir)]
    args += ["--data", str(data), "--out", str(out), "--workers", "1"]
    code, printed, _ = run(capsys, *args, "--min-segment-share", "1")
    assert code == 0
    words = " ".join(printed.split())
    assert "FLAG LOW: approval rate below 100% of the overall approval rate" in words
    flagged = [line for line in printed.splitlines() if "FLAG LOW" in line]
    assert any("micro_shop_owner" in line for line in flagged)
    html = out.read_text()
    assert "below 100% of the overall approval rate" in html and "Flagged:" in html
    code, printed, _ = run(capsys, *args, "--min-segment-share", "0", "--json")
    report = json.loads(printed)
    assert report["min_segment_share"] == "0"
    assert not any(r["below_min_share"] for r in report["candidate"]["by_segment"].values())
    code, _, err = run(capsys, *args, "--min-segment-share", "1.5")
    assert code == 2 and "--min-segment-share" in err


def test_policy_register_activates_or_routes_a_share_to_a_challenger(capsys, tmp_path, monkeypatch):
    import shutil

    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    monkeypatch.setenv("THINFILE_DATABASE_URL", url)
    code, out, _ = run(capsys, "policy", "register", str(DEFAULT_POLICY_DIR))
    assert code == 0 and "active" in out
    candidate = tmp_path / "candidate"
    shutil.copytree(DEFAULT_POLICY_DIR, candidate)
    settings = json.loads((candidate / "policy.json").read_text())
    settings["max_offers"] = 1
    (candidate / "policy.json").write_text(json.dumps(settings))
    code, out, _ = run(capsys, "policy", "register", str(candidate), "--challenger", "0.25")
    assert code == 0 and "challenger at 0.25" in out
    code, _, err = run(capsys, "policy", "register", str(candidate), "--challenger", "2")
    assert code == 2 and "--challenger" in err
    other = tmp_path / "other"
    shutil.copytree(candidate, other)
    (other / "policy.json").write_text(json.dumps({**settings, "max_offers": 2}))
    code, _, err = run(capsys, "policy", "register", str(other), "--challenger", "5")
    assert code == 2 and "--challenger" in err  # refused before anything is registered
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT status, share FROM policy_versions ORDER BY created_at")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("active", "0"), ("challenger", "0.25")]


def test_an_unedited_copy_of_the_active_policy_is_refused_as_its_challenger(
    capsys, tmp_path, monkeypatch
):
    import shutil

    monkeypatch.setenv("THINFILE_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.sqlite'}")
    assert run(capsys, "policy", "register", str(DEFAULT_POLICY_DIR))[0] == 0
    copy = tmp_path / "copy"
    shutil.copytree(DEFAULT_POLICY_DIR, copy)
    code, out, err = run(capsys, "policy", "register", str(copy), "--challenger", "0.1")
    assert code != 0 and "challenger at" not in out
    assert "active policy" in err and "change the challenger" in err
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, share FROM policy_versions")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("active", "0")]


def test_decide_reads_a_file_with_a_byte_order_mark_and_names_what_it_cannot_read(
    capsys, tmp_path, model_dir
):
    text = json.dumps(application(), ensure_ascii=False)
    marked, gbk = tmp_path / "bom.json", tmp_path / "gbk.json"
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode())  # as Windows Notepad saves UTF-8
    gbk.write_bytes(json.dumps(application(name="张三"), ensure_ascii=False).encode("gbk"))
    args = ("--model", str(model_dir), "--on", "2026-11-25", "--json")
    code, out, _ = run(capsys, "decide", str(marked), *args)
    assert code == 0 and json.loads(out)["outcome"] in {"approve", "refer", "decline"}
    for path, said in ((gbk, "is not UTF-8 text"), (tmp_path, "is a folder")):
        code, _out, err = run(capsys, "decide", str(path), *args)
        assert code == 2 and err.startswith("error: APPLICATION:") and said in err, err
