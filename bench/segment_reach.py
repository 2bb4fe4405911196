"""Does the default model and policy reach every occupation, and at what bad rate? (#16)

Trains the default model as ``thinfile demo`` does (the synthetic population, 80 % for
training, ``NOT_MODEL_INPUTS`` left out), decides the other 20 % with the shipped policy and
prints approval, referral and bad rates by occupation with the simulation's flags. Then the
discrimination cost of leaving the occupation (and the purpose standing in for it) out of the
model: held-out AUC with and without them.

    .venv/bin/python bench/segment_reach.py --n 30000 --seed 7
"""

from __future__ import annotations

import argparse
from datetime import date

from thinfile.decisioning import load_policy, simulate
from thinfile.scoring import train_model
from thinfile.scoring.evaluation import metrics
from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kind", default="both")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    frame = generate_applicants(args.n, seed=args.seed)
    cut = int(args.n * 0.8)
    train, held = frame.iloc[:cut], frame.iloc[cut:]
    print(f"{args.n:,} applicants (seed {args.seed}); {args.kind} model on {cut:,}")
    for label, dropped in (
        ("with segment and purpose", ("segment", "purpose")),
        ("without segment", ("purpose",)),
        ("without segment and purpose (shipped)", ()),
    ):
        excluded = [c for c in NOT_MODEL_INPUTS if c not in dropped]
        model = train_model(
            train,
            target="bad_12m",
            kind=args.kind,
            id_col="applicant_id",
            exclude=excluded,
            seed=args.seed,
        )
        m = metrics(held["bad_12m"].to_numpy(), model.score_frame(held)["pd"].to_numpy())
        print(f"  held-out AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Brier {m['brier']:.4f}  {label}")
    records = held.to_dict("records")
    report = simulate(
        records, policy=load_policy(), model=model, on=date(2026, 1, 1), workers=args.workers
    ).as_dict()
    print(
        f"flag: approval below {report['min_segment_share']} of the overall rate, "
        f"or bad rate of approvals above {report['target_bad_rate']}"
    )
    candidate = report["candidate"]
    assert isinstance(candidate, dict)
    header = ("occupation", "n", "approved", "referred", "vs all", "expected", "realised", "flag")
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    rows = {"all": candidate["overall"], **candidate["by_segment"]}
    for name, row in rows.items():
        flags = [k for k in ("below_min_share", "above_target_bad_rate") if row.get(k)]
        share = row.get("approval_share_of_average")
        cells = (
            name,
            str(row["applications"]),
            f"{row['approval_rate']:.1%}",
            f"{row['referral_rate']:.1%}",
            "" if share is None else f"{share:.2f}",
            f"{row['expected_bad_rate']:.2%}",
            f"{row['realised_bad_rate']:.2%}",
            ", ".join(flags),
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
