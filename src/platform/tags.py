"""The contract's tags: one description per group of operations, in the order the docs show them."""

from __future__ import annotations

from typing import Any

OPENAPI_TAGS: list[dict[str, Any]] = [
    {
        "name": "auth",
        "description": "Sign in and out. `POST /v1/auth/token` issues a 15-minute ES256 access token (and a "
        "refresh token, rotated on use) for the password, client_credentials and refresh_token grants; send "
        "it as `Authorization: Bearer ...` on every other call.",
    },
    {
        "name": "organizations",
        "description": "The directory of organizations (ministry, consulates, partners, oversight bodies): "
        "every signed-in caller reads it to find whom to refer to; a platform administrator adds to it.",
    },
    {
        "name": "users",
        "description": "People's accounts, each in one organization with one role. An organization's "
        "administrator manages them; a supervisor lists its own organization's users to assign cases.",
    },
    {
        "name": "clients",
        "description": "API clients of partner and oversight systems (client_credentials grant). The secret "
        "is shown once, when the client is created.",
    },
    {
        "name": "consulates",
        "description": "Consulates and their jurisdictions (a country, or regions of it), and routing a "
        "place to the consulate that covers it.",
    },
    {
        "name": "cases",
        "description": "Cases of abuse, child return and trafficking: intake, persons, violations, consent, "
        "workflow transitions, assignment, notes, timeline, duplicates, links, legal holds and the "
        "subject-access export. Writes to a case take its ETag in If-Match (412 when stale, 428 when "
        "missing); a case the caller may not see answers 404.",
    },
    {
        "name": "transfers",
        "description": "Moving a case from one consulate to another of the same state: the owner's "
        "supervisor asks, the receiving consulate's supervisor accepts or declines.",
    },
    {
        "name": "referrals",
        "description": "Referrals of cases to partners and consulates for services, within the consent the "
        "subject gave: sent, accepted, declined, completed or withdrawn, with updates from both sides. The "
        "recipient sees a consent-scoped view of the case while the referral is open.",
    },
    {
        "name": "attachments",
        "description": "Evidence files of a case (documents, photos, recordings): streamed in and out, "
        "sealed at rest, images stripped of location metadata; shared with a referral's recipient when the "
        "referral shares `evidence`.",
    },
    {
        "name": "redress",
        "description": "The catalog of legal instruments (agreements, conventions, laws) and the redress "
        "actions of a case that rest on them: claims, forums, amounts claimed and recovered.",
    },
    {
        "name": "webhooks",
        "description": "An organization's webhook endpoint and its deliveries (Standard Webhooks signatures, "
        "retried with backoff from a transactional outbox).",
    },
    {
        "name": "audit",
        "description": "The append-only, hash-chained audit log: events (ids, never personal data), chain "
        "verification, signed checkpoints and their keys, consistency proofs, and a case's access log.",
    },
    {
        "name": "reports",
        "description": "Aggregates for coordinators and oversight bodies, with small cells suppressed: "
        "cases, referrals, redress and timeliness, as JSON or CSV.",
    },
    {
        "name": "exports",
        "description": "Trafficking cases as records of the Human Trafficking Case Data Standard (HTCDS), "
        "de-identified for pooling (k-anonymous), as JSON with a data dictionary or CSV; coordinators only.",
    },
    {
        "name": "reference",
        "description": "Reference data clients build forms from: the taxonomies (codes labelled in en, ru "
        "and ky) and the workflows of each case kind.",
    },
    {
        "name": "ops",
        "description": "Liveness, readiness and Prometheus metrics for the platform that runs the service.",
    },
]
