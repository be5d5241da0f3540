"""Generated dirty tables: what users' CSV files look like, with a known signal to learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def dirty_frame(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A table with a learnable target and every kind of dirt the loader must handle.

    - ``income``: numeric, written as strings with thousands separators, some missing;
    - ``age``: numeric with a few absurd outliers, some missing;
    - ``member``: "yes"/"no" booleans;
    - ``city``: low-cardinality category (one-hot), with gaps;
    - ``user``: high-cardinality category (ordinal codes);
    - ``constant``: a single value;
    - ``empty``: nothing at all;
    - ``label``: three classes, one of them rare, decided mostly by income and member;
    - a block of exact duplicate rows.
    """
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 15_000, n_rows).round(0)
    member = rng.random(n_rows) < 0.5
    age = rng.integers(18, 80, n_rows).astype(float)
    age[rng.choice(n_rows, 3, replace=False)] = [999.0, -5.0, 1e6]
    city = rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n_rows)
    score = (income - 50_000) / 15_000 + 1.5 * member + rng.normal(0, 0.3, n_rows)
    label = np.where(score > 1.2, "high", np.where(score > -0.2, "mid", "low"))
    label[np.argsort(score)[:12]] = "rare"  # a rare class, still enough for 5 folds
    frame = pd.DataFrame(
        {
            "income": [f"{v:,.0f}" for v in income],
            "age": age,
            "member": np.where(member, "yes", "no"),
            "city": city,
            "user": [f"user{i:04d}" for i in rng.integers(0, n_rows, n_rows)],
            "constant": "same",
            "empty": np.nan,
            "label": label,
        }
    )
    frame.loc[rng.choice(n_rows, 20, replace=False), "income"] = np.nan
    frame.loc[rng.choice(n_rows, 15, replace=False), "city"] = np.nan
    frame.loc[rng.choice(n_rows, 10, replace=False), "age"] = np.nan
    return pd.concat([frame, frame.iloc[:10]], ignore_index=True)  # 10 exact duplicates


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` written in the format ``path``'s suffix names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


#: the placeholders a CRM export writes for "no value", in the spellings users meet
PLACEHOLDERS = ("unknown", "N/A", "?", "-", "NA", "null", "None", "--", "Unknown", "")


def messy_and_clean(n_rows: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A messy CRM export and its clean twin: the same rows, the twin with proper dtypes
    (floats, booleans, datetimes, canonical categories) and missing values where the messy
    one has placeholder tokens.

    The label (three classes) depends on income, utilization, age, membership, the plan,
    the region (a many-valued category) and the tenure since signup, so a reader that gets
    any of their types wrong loses accuracy. The messy table has every pattern the loader
    must read: currency with thousands separators, percentages, placeholders for missing,
    yes/no in several spellings, categories with case and whitespace variants, ISO dates, an
    ID column, a constant column and exact duplicate rows (in both tables alike).
    """
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.8, 0.45, n_rows).round(2)
    utilization = rng.uniform(0, 1, n_rows).round(4)
    age = rng.integers(18, 80, n_rows).astype(float)
    member = rng.random(n_rows) < 0.45
    plan = rng.choice(["Gold", "Silver", "Bronze"], n_rows, p=[0.2, 0.35, 0.45])
    regions = [f"region-{i:02d}" for i in range(60)]
    region_effect = dict(zip(regions, rng.normal(0, 1.0, len(regions)), strict=True))
    region = rng.choice(regions, n_rows)
    signup = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n_rows), "D")
    tenure_years = (pd.Timestamp("2025-01-01") - signup).days.to_numpy() / 365
    score = (
        1.2 * (np.log(income) - 10.8) / 0.45
        - 1.5 * (utilization - 0.5) * 2
        + 0.02 * (age - 48)
        + 0.9 * member
        + np.select([plan == "Gold", plan == "Silver"], [0.8, 0.2], -0.4)
        + np.array([region_effect[r] for r in region])
        + 0.35 * (tenure_years - 3)
        + rng.normal(0, 0.6, n_rows)
    )
    label = np.where(score > 1.0, "good", np.where(score > -0.6, "fair", "poor"))
    clean = pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in rng.permutation(n_rows)],
            "income": income,
            "utilization": utilization,
            "age": age,
            "member": member,
            "plan": plan,
            "region": region,
            "signup": signup,
            "source": "crm-export",
            "rating": label,
        }
    )
    for column, share in (("income", 0.08), ("age", 0.06), ("utilization", 0.04)):
        clean.loc[rng.random(n_rows) < share, column] = np.nan

    messy = pd.DataFrame(
        {
            "customer_id": clean["customer_id"],
            "income": [
                rng.choice(PLACEHOLDERS) if np.isnan(v) else f"${v:,.2f}" for v in clean["income"]
            ],
            "utilization": [
                rng.choice(PLACEHOLDERS) if np.isnan(v) else f"{100 * v:.2f}%"
                for v in clean["utilization"]
            ],
            "age": [rng.choice(PLACEHOLDERS) if np.isnan(v) else f"{v:.1f}" for v in clean["age"]],
            "member": [
                rng.choice(["yes", "Yes", "Y"]) if v else rng.choice(["no", "NO", "n"])
                for v in clean["member"]
            ],
            "plan": [rng.choice([v, v.lower(), f" {v.upper()} ", f"{v} "]) for v in plan],
            "region": region,
            "signup": clean["signup"].dt.strftime("%Y-%m-%d"),
            "source": "crm-export",
            "rating": label,
        }
    )
    copies = rng.choice(n_rows, n_rows // 40, replace=False)
    return (
        pd.concat([messy, messy.iloc[copies]], ignore_index=True),
        pd.concat([clean, clean.iloc[copies]], ignore_index=True),
    )


def house_prices(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A messy regression table with a known signal: a price from size, rooms, district and
    age, written as a user's export writes it.

    - ``sqft``: numbers as text with thousands separators, some "n/a";
    - ``rooms``: small whole numbers (a feature, not the target);
    - ``district``: 40 values (target-encoded), with case variants and gaps;
    - ``city``: 3 values (one-hot);
    - ``built``: dates;
    - ``listing``: an identifier (dropped);
    - ``price``: the target, as "$123,456" text, a few blank (dropped and counted).
    """
    rng = np.random.default_rng(seed)
    sqft = rng.uniform(500, 3500, n_rows)
    rooms = rng.integers(1, 7, n_rows)
    districts = [f"District {i:02d}" for i in range(40)]
    district_effect = dict(zip(districts, rng.normal(0, 40_000, 40), strict=True))
    district = rng.choice(districts, n_rows)
    year = rng.integers(1950, 2020, n_rows)
    price = (
        150_000
        + 120 * sqft
        + 8_000 * rooms
        + np.array([district_effect[d] for d in district])
        - 600 * (2020 - year)
        + rng.normal(0, 15_000, n_rows)
    )
    sqft_text = [f"{v:,.0f}" for v in sqft]
    for i in rng.choice(n_rows, 8, replace=False):
        sqft_text[i] = "n/a"
    district_text = [d.upper() if i % 17 == 0 else d for i, d in enumerate(district)]
    for i in rng.choice(n_rows, 6, replace=False):
        district_text[i] = ""
    price_text = [f"${v:,.0f}" for v in price]
    for i in rng.choice(n_rows, 5, replace=False):
        price_text[i] = ""
    return pd.DataFrame(
        {
            "listing": [f"L{i:05d}" for i in range(n_rows)],
            "sqft": sqft_text,
            "rooms": rooms,
            "district": district_text,
            "city": rng.choice(["Lyon", "Nice", "Lille"], n_rows),
            "built": [f"{y}-06-01" for y in year],
            "price": price_text,
        }
    )


def neighbourhood_prices(n_rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A regression table in the spirit of the Ames housing sales: a price in dollars (hundreds
    of thousands) carried mostly by a many-valued category (80 neighbourhoods, target-encoded
    by every estimator that does not take categories natively), plus a few numbers and a
    one-hot category.

    An encoding left in the target's units (up to about 500,000) next to standardised
    numbers is what sank ``dense`` on the real table."""
    rng = np.random.default_rng(seed)
    neighbourhoods = [f"N{i:03d}" for i in range(80)]
    level = dict(zip(neighbourhoods, rng.lognormal(12.2, 0.35, 80), strict=True))
    neighbourhood = rng.choice(neighbourhoods, n_rows)
    area = rng.uniform(60, 260, n_rows)
    quality = rng.integers(1, 11, n_rows)
    style = rng.choice(["ranch", "colonial", "modern", "victorian"], n_rows)
    price = np.array([level[n] for n in neighbourhood]) * (
        0.55 + area / 400 + 0.03 * quality + np.where(style == "modern", 0.08, 0.0)
    ) + rng.normal(0, 12_000, n_rows)
    return pd.DataFrame(
        {
            "area_m2": area.round(1),
            "quality": quality,
            "style": style,
            "neighbourhood": neighbourhood,
            "sale_price": price.round(0),
        }
    )
