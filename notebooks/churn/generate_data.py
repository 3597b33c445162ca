"""Generate the synthetic subscription-churn data set used by churn.ipynb.

The data is fully synthetic but built to look like a real export from a
subscription business: a snapshot of every customer taken after an 18-month
observation window, plus a label saying whether the customer cancelled in the
following 6 months.

The output is deterministic: running this script twice produces a
byte-identical data/churn.csv.

Usage:
    python generate_data.py            # writes data/churn.csv next to this file
    python generate_data.py -o out.csv
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240611
N_CUSTOMERS = 6000

CONTRACT_TYPES = ["month-to-month", "one-year", "two-year"]
CUSTOMER_SIZES = ["small", "medium", "enterprise"]
PAYMENT_METHODS = ["card", "bank-transfer", "invoice", "paypal"]


def generate(n: int = N_CUSTOMERS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    customer_id = [f"C{i:06d}" for i in range(1, n + 1)]

    # Company size drives price level, contract choice and payment method.
    size = rng.choice(CUSTOMER_SIZES, size=n, p=[0.52, 0.33, 0.15])
    is_medium = size == "medium"
    is_enterprise = size == "enterprise"

    # Tenure in months since sign-up: many young accounts, a long tail of old ones.
    tenure = np.clip(np.round(rng.gamma(shape=1.6, scale=16.0, size=n)), 1, 96).astype(int)

    # Contract type: larger and older customers tend to sign longer contracts.
    contract_logits = np.column_stack(
        [
            np.full(n, 1.2),
            0.2 + 0.6 * is_medium + 0.9 * is_enterprise + 0.010 * tenure,
            -0.6 + 0.5 * is_medium + 1.6 * is_enterprise + 0.020 * tenure,
        ]
    )
    contract_p = np.exp(contract_logits)
    contract_p /= contract_p.sum(axis=1, keepdims=True)
    u = rng.random(n)
    contract_idx = (u[:, None] > np.cumsum(contract_p, axis=1)).sum(axis=1)
    contract = np.array(CONTRACT_TYPES)[contract_idx]

    # Monthly charges depend on the plan size, with some spread.
    base_price = np.where(is_enterprise, 165.0, np.where(is_medium, 85.0, 42.0))
    monthly_charges = np.round(
        np.clip(base_price * rng.lognormal(mean=0.0, sigma=0.25, size=n), 9.99, None), 2
    )

    # Payment method: enterprises mostly pay by invoice, small customers by card/paypal.
    pay_p = np.where(
        is_enterprise[:, None],
        [0.15, 0.25, 0.55, 0.05],
        np.where(is_medium[:, None], [0.35, 0.30, 0.25, 0.10], [0.50, 0.18, 0.07, 0.25]),
    )
    u = rng.random(n)
    pay_idx = np.minimum((u[:, None] > np.cumsum(pay_p, axis=1)).sum(axis=1), 3)
    payment = np.array(PAYMENT_METHODS)[pay_idx]

    # Usage trend: relative change in product usage over the last 3 months
    # (e.g. -0.25 means usage dropped by 25%).
    usage_trend = rng.normal(loc=0.03, scale=0.18, size=n)

    # Support tickets over the observation window.
    support_tickets = rng.poisson(lam=np.where(is_enterprise, 2.2, np.where(is_medium, 1.5, 1.0)))

    # --- churn label from a logistic model plus noise --------------------------
    contract_effect = np.select(
        [contract == "month-to-month", contract == "one-year"], [0.9, -0.4], default=-1.5
    )
    size_effect = np.select([is_enterprise, is_medium], [-0.5, -0.15], default=0.2)
    payment_effect = np.select(
        [payment == "paypal", payment == "invoice", payment == "bank-transfer"],
        [0.35, 0.15, -0.2],
        default=0.0,
    )
    logit = (
        -1.0
        - 0.035 * tenure
        + contract_effect
        + 0.006 * (monthly_charges - 70.0)
        - 3.5 * usage_trend
        + 0.30 * support_tickets
        + size_effect
        + payment_effect
        + rng.normal(scale=0.6, size=n)
    )
    churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)

    df = pd.DataFrame(
        {
            "customer_id": customer_id,
            "tenure_months": tenure,
            "contract_type": contract,
            "monthly_charges": monthly_charges,
            "usage_trend": np.round(usage_trend, 3),
            "support_tickets": support_tickets,
            "customer_size": size.astype(object),
            "payment_method": payment,
            "churned": churned,
        }
    )

    # Real exports are never complete: usage tracking is missing for some
    # accounts and the CRM does not know the size of every customer.
    df.loc[rng.random(n) < 0.05, "usage_trend"] = np.nan
    df.loc[rng.random(n) < 0.03, "customer_size"] = np.nan
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent / "data" / "churn.csv"
    parser.add_argument("-o", "--output", type=Path, default=default_out)
    args = parser.parse_args()

    df = generate()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.output, index=False, lineterminator="\n", float_format="%.10g")
    print(f"wrote {len(df)} rows to {args.output} (churn rate {df['churned'].mean():.1%})")


if __name__ == "__main__":
    main()
