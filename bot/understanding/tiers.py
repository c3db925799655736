"""Topic ids (EVAL.md) and what each tier means for drafting."""

from __future__ import annotations

SELLER_TOPICS_CORE = frozenset(
    {
        "check_refund_policy",
        "get_refund",
        "track_refund",
        "cancel_order",
        "change_order",
        "track_order",
        "delivery_period",
        "delivery_options",
        "change_shipping_address",
        "check_cancellation_fee",
        "check_payment_methods",
        "place_order",
    }
)
SELLER_TOPICS_COVERED = frozenset(
    {
        "check_invoice",
        "get_invoice",
        "payment_issue",
        "review",
        "contact_customer_service",
        "set_up_shipping_address",
        "newsletter_subscription",
    }
)
# Tier C: always a person.
PERSON_TOPICS = frozenset({"contact_human_agent", "complaint"})
# Tier D: the marketplace's business (the buyer's Amazon account), not the seller's.
MARKETPLACE_TOPICS = frozenset(
    {
        "create_account",
        "delete_account",
        "edit_account",
        "recover_password",
        "registration_problems",
        "switch_account",
    }
)
OUT_OF_SCOPE = "out_of_scope"
ANSWERABLE_TOPICS = SELLER_TOPICS_CORE | SELLER_TOPICS_COVERED
ALL_TOPICS = ANSWERABLE_TOPICS | PERSON_TOPICS | MARKETPLACE_TOPICS
