"""``thinfile limits policy register DIR [--activate | --challenger SHARE]`` and ``... list``
on both databases: a version by content, the challenger never the active version."""

from __future__ import annotations

import json
import shutil

from tests.support.cli import run
from thinfile.decisioning.limit_policy import DEFAULT_LIMIT_POLICY_DIR


def test_the_limits_policy_commands_register_list_and_refuse_the_champion_as_challenger(
    database_url, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    code, out, _ = run(capsys, "limits", "policy", "register", str(DEFAULT_LIMIT_POLICY_DIR))
    assert code == 0 and out.strip().endswith(": active")
    default = out.split()[2].rstrip(":")
    code, _, err = run(
        capsys, "limits", "policy", "register", str(DEFAULT_LIMIT_POLICY_DIR), "--challenger", "0.2"
    )
    assert code != 0 and "active" in err and "challenger" in err
    strict = tmp_path / "strict"
    shutil.copytree(DEFAULT_LIMIT_POLICY_DIR, strict)
    settings = json.loads((strict / "policy.json").read_text("utf-8"))
    settings["ceiling_fen"] = 2_000_000
    (strict / "policy.json").write_text(json.dumps(settings), "utf-8")
    code, out, _ = run(capsys, "limits", "policy", "register", str(strict), "--challenger", "20%")
    assert code == 0 and out.strip().endswith(": challenger"), out
    challenger = out.split()[2].rstrip(":")
    code, out, _ = run(capsys, "limits", "policy", "list", "--json")
    rows = {r["version"]: (r["status"], r["share"], r["ceiling_fen"]) for r in json.loads(out)}
    assert rows == {
        default: ("active", "0", 3_000_000),
        challenger: ("challenger", "0.2", 2_000_000),
    }
    code, _, err = run(
        capsys, "limits", "policy", "register", str(strict), "--activate", "--challenger", "0.1"
    )
    assert code != 0 and "--challenger" in err
    code, out, _ = run(capsys, "limits", "policy", "register", str(strict), "--activate")
    assert code == 0 and out.strip() == f"limit policy {challenger}: active"
    code, out, _ = run(capsys, "limits", "policy", "list")
    assert f"{default}  retired" in out and f"{challenger}  active" in out
