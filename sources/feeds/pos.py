"""Feed contract for point-of-sale transaction lines."""

from __future__ import annotations

from sources.contracts import Column, FeedContract, RowRule, contact_columns

# Allowed values of return_reason (reverse logistics); the pandera rule on core.fct_returns and the
# simulator read them from here.
RETURN_REASONS = ("returns", "recall", "repair", "repackaging", "recycling")

CONTRACT = FeedContract(
    name="pos",
    landing_subdir="pos",
    daily=True,
    formats=("csv",),
    record_id=("transaction_id", "line_number"),
    description=(
        "One row per transaction line from stores, the online shop and phone orders. Return lines "
        "carry negative quantity and amount and point to the original transaction."
    ),
    columns=(
        Column("transaction_id", "VARCHAR", "Receipt or order number.", required=True, example="T-000001"),
        Column("line_number", "INTEGER", "Line within the transaction, from 1.", required=True, example="1"),
        Column(
            "store_id",
            "VARCHAR",
            "Store, or ONLINE / PHONE for remote orders.",
            required=True,
            example="S-001",
        ),
        Column(
            "transaction_at",
            "TIMESTAMPTZ",
            "Time of sale, ISO 8601 with offset.",
            required=True,
            example="2026-03-01T12:01:00+00:00",
            bounds="sale_time",
        ),
        Column("sku", "VARCHAR", "Product SKU.", required=True, example="SKU-0042"),
        Column("quantity", "INTEGER", "Units; negative on return lines.", required=True, example="2"),
        Column(
            "unit_price", "DECIMAL(12,2)", "Price per unit before discount.", required=True, example="19.99"
        ),
        Column(
            "amount",
            "DECIMAL(12,2)",
            "quantity * unit_price - discount; negative on returns.",
            required=True,
            example="39.98",
        ),
        Column(
            "customer_ref",
            "VARCHAR",
            "Who bought: loyalty card (LC-...), account id (ACC-...) or the shop's own customer number; "
            "which is which is configured per feed (CRM360_CUSTOMER_REF_PATTERNS). Any other value is "
            "kept as the feed's own number.",
            example="LC-0001234",
            personal="customer_id",
        ),
        *contact_columns(),
        Column("product_name", "VARCHAR", "Product name.", example="Trail shoe"),
        Column("category", "VARCHAR", "Product category.", example="footwear"),
        Column("unit_cost", "DECIMAL(12,2)", "Cost per unit where known, for margin.", example="9.50"),
        Column("discount", "DECIMAL(12,2)", "Discount on the line, positive.", example="0.00"),
        Column(
            "payment_type",
            "VARCHAR",
            "How it was paid.",
            allowed=("card", "cash", "voucher", "invoice", "wallet"),
            example="card",
        ),
        Column("channel", "VARCHAR", "Sales channel.", allowed=("store", "online", "phone"), example="store"),
        Column(
            "promised_at",
            "TIMESTAMPTZ",
            "Delivery promised to the customer (shipped orders).",
            example="2026-03-04T18:00:00+00:00",
        ),
        Column("shipped_at", "TIMESTAMPTZ", "When the line shipped.", example="2026-03-02T10:00:00+00:00"),
        Column("delivered_at", "TIMESTAMPTZ", "When it was delivered.", example="2026-03-03T15:30:00+00:00"),
        Column("quantity_ordered", "INTEGER", "Units ordered (shipped orders).", example="2"),
        Column("quantity_shipped", "INTEGER", "Units shipped (shipped orders).", example="2"),
        Column("documentation_ok", "BOOLEAN", "Invoice and packing list were correct.", example="true"),
        Column(
            "substituted",
            "BOOLEAN",
            "Shipped orders: the warehouse sent another item than the one ordered (right product).",
            example="false",
        ),
        Column(
            "delivery_postcode",
            "VARCHAR",
            "Shipped orders: postcode the carrier scanned at delivery; compared with the order's "
            "postcode (right place).",
            example="SW1A 1AA",
            personal="address",
        ),
        Column(
            "signed_by_customer",
            "BOOLEAN",
            "Shipped orders: the ordering customer (or their household) signed for the parcel "
            "(right customer).",
            example="true",
        ),
        Column(
            "quoted_unit_price",
            "DECIMAL(12,2)",
            "Shipped orders: price per unit quoted when the order was placed; invoiced unit_price "
            "should equal it (right cost).",
            example="19.99",
        ),
        Column(
            "return_of_transaction_id",
            "VARCHAR",
            "On return lines: the original transaction.",
            example="T-000001",
        ),
        Column(
            "return_reason",
            "VARCHAR",
            "On return lines: reverse-logistics reason.",
            allowed=RETURN_REASONS,
            example="returns",
        ),
        Column("damaged", "BOOLEAN", "On return lines: the goods arrived damaged.", example="false"),
    ),
    row_rules=(
        RowRule(
            "return_of_transaction_id",
            "TRY_CAST(quantity AS INTEGER) < 0 AND return_of_transaction_id IS NULL",
            "negative quantity without return_of_transaction_id: a return must name its original sale",
        ),
    ),
)
