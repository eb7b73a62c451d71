"""Contracts of the retail domain: stores, the product catalog, till sales, stock, promotions."""

from __future__ import annotations

from retail_factory.sources.contracts.model import Column, Contract

SNAPSHOT_DATE = Column("snapshot_date", "date", "Date the snapshot describes (the delivery folder's date).")

NUTRIMENTS = tuple(
    Column(name, "decimal", description, required=False, unit=unit)
    for name, description, unit in (
        ("energy-kj_100g", "Energy", "kJ per 100 g/ml"),
        ("energy-kcal_100g", "Energy", "kcal per 100 g/ml"),
        ("fat_100g", "Fat", "g per 100 g/ml"),
        ("saturated-fat_100g", "Saturated fat", "g per 100 g/ml"),
        ("carbohydrates_100g", "Carbohydrates", "g per 100 g/ml"),
        ("sugars_100g", "Sugars", "g per 100 g/ml"),
        ("fiber_100g", "Fibre", "g per 100 g/ml"),
        ("proteins_100g", "Proteins", "g per 100 g/ml"),
        ("salt_100g", "Salt", "g per 100 g/ml"),
        ("sodium_100g", "Sodium", "g per 100 g/ml"),
        (
            "fruits-vegetables-legumes-estimate-from-ingredients_100g",
            "Share of fruit, vegetables and legumes",
            "% of weight",
        ),
    )
)

CATEGORIES = (
    "fruits_vegetables",
    "dairy",
    "cheese",
    "bakery",
    "meat",
    "fish",
    "grocery",
    "snacks_sweets",
    "beverages",
    "water",
    "frozen",
    "oils_fats",
    "household",
)

STORES = Contract(
    domain="retail",
    entity="stores",
    version="1.0.0",
    format="jsonl",
    kind="snapshot",
    description="Every store of the chain, one JSON object per line, delivered daily as a full snapshot.",
    file_example="stores_2025-01-06.jsonl",
    primary_key=("store_gln",),
    business_date="snapshot_date",
    columns=(
        Column("store_gln", "gln", "GLN of the store (GS1 Global Location Number)."),
        Column("name", "string", "Store name as shown to customers.", max_length=120),
        Column("format", "string", "Store format.", enum=("hyper", "super", "proximity")),
        Column("region", "string", "French administrative region."),
        Column("city", "string", "City."),
        Column("postal_code", "string", "Postal code.", max_length=10),
        Column("sales_area_m2", "integer", "Sales area.", unit="m²"),
        Column("warehouse_gln", "gln", "GLN of the warehouse that delivers the store."),
        Column("order_days", "array", "Weekdays on which the store orders (MON … SUN)."),
        Column("is_open_sunday", "boolean", "Whether the store opens on Sunday mornings."),
        Column("opened_on", "date", "Opening date of the store."),
        Column("latitude", "decimal", "WGS 84 latitude.", unit="degree"),
        Column("longitude", "decimal", "WGS 84 longitude.", unit="degree"),
        SNAPSHOT_DATE,
    ),
)

PRODUCTS = Contract(
    domain="retail",
    entity="products",
    version="1.0.0",
    format="jsonl",
    kind="snapshot",
    description=(
        "The product catalog, one JSON object per line, delivered daily as a full snapshot. Nutrition "
        "facts use Open Food Facts field names under `nutriments` (null for non-food); the category "
        "flags are what the Nutri-Score algorithm needs."
    ),
    file_example="products_2025-01-06.jsonl",
    primary_key=("gtin",),
    business_date="snapshot_date",
    columns=(
        Column("gtin", "gtin", "GTIN-13 of the consumer unit."),
        Column("name", "string", "Product name (French, as printed on the pack).", max_length=200),
        Column("brand", "string", "Brand."),
        Column("is_own_brand", "boolean", "Whether the product is sold under the chain's own brand."),
        Column("category", "string", "Category.", enum=CATEGORIES),
        Column("subcategory", "string", "Subcategory."),
        Column("producer_gln", "gln", "GLN of the producer (manufacturer or own plant)."),
        Column("origin_country", "string", "Country of origin, ISO 3166-1 alpha-2.", max_length=2),
        Column("net_content", "decimal", "Net content of one consumer unit."),
        Column("net_content_unit", "string", "Unit of net_content.", enum=("g", "kg", "ml", "l")),
        Column("case_size", "integer", "Consumer units per case: stores order whole cases.", unit="units"),
        Column("shelf_life_days", "integer", "Shelf life from production.", unit="days"),
        Column("is_fresh", "boolean", "Fresh product (short shelf life, expiry managed)."),
        Column("price_eur", "decimal", "Regular shelf price including VAT.", unit="EUR"),
        Column("vat_rate", "decimal", "VAT rate.", unit="%"),
        Column("nutriments", "object", "Nutrition facts per 100 g or 100 ml.", required=False, fields=NUTRIMENTS),
        Column("is_beverage", "boolean", "Beverage (Nutri-Score beverage algorithm)."),
        Column("is_water", "boolean", "Plain water."),
        Column("is_cheese", "boolean", "Cheese."),
        Column("is_red_meat", "boolean", "Red meat product (protein points capped)."),
        Column("is_fat_oil_nuts_seeds", "boolean", "Fats, oils, nuts and seeds."),
        Column("has_non_nutritive_sweeteners", "boolean", "Contains non-nutritive sweeteners."),
        SNAPSHOT_DATE,
    ),
)

POS = Contract(
    domain="retail",
    entity="pos",
    version="1.0.0",
    format="csv",
    kind="event",
    description=(
        "Till lines of one store for one day, as French tills export them: ';'-separated, decimal "
        "commas, UTF-8, one line per product on a ticket."
    ),
    file_example="pos_3760001000017_2025-01-06.csv",
    primary_key=("ticket_id", "line_number"),
    business_date="sold_at",
    columns=(
        Column("store_gln", "gln", "GLN of the store."),
        Column("ticket_id", "string", "Ticket (receipt) identifier, unique in the store.", max_length=40),
        Column("line_number", "integer", "Line on the ticket, from 1."),
        Column("sold_at", "timestamp", "Local time of the sale with its UTC offset."),
        Column("gtin", "gtin", "GTIN scanned."),
        Column("label", "string", "Label printed on the ticket.", max_length=200),
        Column("quantity", "integer", "Units sold on the line.", unit="units"),
        Column("unit_price", "decimal", "Shelf price of one unit including VAT.", unit="EUR"),
        Column("discount_amount", "decimal", "Promotion discount on the line.", unit="EUR"),
        Column("line_amount", "decimal", "Amount paid for the line.", unit="EUR"),
        Column("promo_id", "string", "Promotion applied, if any.", required=False),
    ),
)

STOCK = Contract(
    domain="retail",
    entity="stock",
    version="1.0.0",
    format="parquet",
    kind="snapshot",
    description=(
        "End-of-day stock of one store as its stock system records it (recorded stock can drift from "
        "what is physically on the shelf), with the day's write-offs and inventory corrections."
    ),
    file_example="stock_3760001000017_2025-01-06.parquet",
    primary_key=("store_gln", "gtin"),
    business_date="snapshot_date",
    columns=(
        SNAPSHOT_DATE,
        Column("store_gln", "gln", "GLN of the store."),
        Column("gtin", "gtin", "GTIN of the product."),
        Column("on_hand_qty", "integer", "Recorded units on hand at closing.", unit="units"),
        Column("waste_qty", "integer", "Units written off during the day (expired, damaged).", unit="units"),
        Column(
            "adjustment_qty",
            "integer",
            "Correction from a physical count (+ found, − missing).",
            unit="units",
        ),
        Column("is_counted", "boolean", "Whether the product was physically counted today."),
    ),
)

PROMOTIONS = Contract(
    domain="retail",
    entity="promotions",
    version="1.0.0",
    format="csv",
    kind="event",
    description=(
        "Promotions announced on the day (they start on a later date). A day with none sends a header-only file."
    ),
    file_example="promotions_2025-01-06.csv",
    primary_key=("promo_id", "gtin"),
    business_date="announced_on",
    columns=(
        Column("promo_id", "string", "Promotion identifier.", max_length=40),
        Column("gtin", "gtin", "Product on promotion."),
        Column("store_format", "string", "Formats where it applies.", enum=("all", "hyper", "super", "proximity")),
        Column("start_date", "date", "First day of the promotion."),
        Column("end_date", "date", "Last day of the promotion."),
        Column("discount_pct", "decimal", "Price reduction.", unit="%"),
        Column("mechanism", "string", "How the discount is given.", enum=("price_cut", "loyalty_card")),
        Column("announced_on", "date", "Date of the announcement (the delivery folder's date)."),
    ),
)

CONTRACTS = (STORES, PRODUCTS, POS, STOCK, PROMOTIONS)
