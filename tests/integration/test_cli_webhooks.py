"""``thinfile merchants deliver-webhooks`` on SQLite and PostgreSQL: one round sends the due
events to a real local endpoint, signed so that the documented recipe accepts them."""

from __future__ import annotations

import pytest

from tests.support.cli import run
from tests.support.webhooks import Receiver, receiving
from thinfile.commerce import credit_code_check_character, organisation_code_check_character
from thinfile.commerce.merchant import MerchantCategory
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.security.crypto import pii_cipher
from thinfile.services import merchants, webhooks
from thinfile.services.identity_records import SYSTEM
from thinfile.services.merchant_records import MerchantDraft
from thinfile.services.uow import UnitOfWork
from thinfile.settings import load_settings
from thinfile.store import make_engine, upgrade


def _credit_code() -> str:
    body = "55501234"
    first17 = "91440300" + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def test_one_round_delivers_the_due_events_signed(database_url, monkeypatch, capsys):
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    settings = load_settings()
    cipher = pii_cipher(settings)
    engine = make_engine(database_url)
    upgrade(engine)
    draft = MerchantDraft(
        legal_name="工具批发有限公司",
        credit_code=_credit_code(),
        category=MerchantCategory.TOOLS_AND_STOCK,
        settlement_bank="中国农业银行",
        settlement_account="6228480012345678",
        contact_name="李强",
        contact_phone="13912345678",
    )
    shop = merchants.onboard(engine, cipher, SYSTEM, draft).id
    receiver = Receiver()
    with receiving(receiver):
        made = webhooks.set_endpoint(
            engine,
            cipher,
            SYSTEM,
            shop,
            url=receiver.url,
            event_types=["settlement.ready"],
            allow_local=True,
        )
        assert made.secret is not None
        receiver.secrets = [made.secret]
        with UnitOfWork(engine) as uow:
            for day in ("2026-12-01", "2026-12-02"):
                webhooks.enqueue_merchant_event_in_unit(
                    uow, shop, WebhookEventType.SETTLEMENT_READY, {"date": day}
                )
            uow.commit()
        engine.dispose()
        code, out, err = run(capsys, "merchants", "deliver-webhooks", "--once", "--batch", "5")
        assert (code, err) == (0, "")
        assert out.strip() == "claimed 2: delivered 2, retrying 0, failed 0, skipped 0"
        code, out, _ = run(capsys, "merchants", "deliver-webhooks", "--once")
        assert out.strip().startswith("claimed 0:")
    assert [r.verdict for r in receiver.received] == ["new", "new"]


@pytest.mark.parametrize("argv", [["--batch", "0"], ["--batch", "501"], ["--batch", "x"]])
def test_a_bad_batch_is_one_line_and_exit_2(argv, capsys):
    code, _out, err = run(capsys, "merchants", "deliver-webhooks", "--once", *argv)
    assert code == 2 and "--batch" in err and len(err.strip().splitlines()) == 1
