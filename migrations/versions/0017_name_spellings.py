"""duplicates: each name word's spellings stored when it enters the dictionary; GIN indexes without a pending list

The duplicate search looked up the spellings of every word of a name with a trigram scan of the whole
dictionary (`name_token`, pg_trgm `%`), then kept those the name score accepts. Those spellings now live in
`name_spelling` (word, spelling), both directions, written by the application when a word first enters the
dictionary; here for every word already in it, with the same rule: pg_trgm similarity at or above
WORD_SIMILARITY (the `%` operator) and the edit score at or above SPELLING_FLOOR (a frozen copy of
`names.token_similarity`; the rule is symmetric, so each pair is found once and stored both ways).

The search's GIN indexes (the persons' name words, the dictionary's trigrams) stop using a pending list
(`fastupdate = off`): under sustained intake every search read the whole unsorted list (up to 4 MB) until
the next VACUUM; measured at 1M persons in docs/performance.md ("Duplicate search"). What is pending now is
merged into the index here.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: the application's copies (src/cases/names.py) may change without changing this migration.
WORD_SIMILARITY = 0.2
SPELLING_FLOOR = 0.7
GIN_INDEXES = ("ix_case_person_name_tokens", "ix_name_token_trgm")
BATCH = 10_000


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, right in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            if i > 1 and j > 1 and left == b[j - 2] and a[i - 2] == right:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a + "a" == b or b + "a" == a:
        return 0.5
    shorter, longer = sorted((a, b), key=len)
    if len(longer) - len(shorter) >= 2 and longer.startswith(shorter):
        return 0.5
    return 1.0 - _edit_distance(a, b) / max(len(a), len(b))


def _pairs(connection: sa.Connection) -> Iterator[tuple[str, str]]:
    """Every pair of dictionary words (lower first) that are spellings of each other."""
    connection.execute(sa.text(f"SET LOCAL pg_trgm.similarity_threshold = {WORD_SIMILARITY}"))
    rows = connection.execute(
        sa.text(
            "SELECT a.token, b.token FROM name_token a JOIN name_token b ON b.token % a.token "
            "AND a.token < b.token"
        )
    )
    for a, b in rows:
        if _token_similarity(a, b) >= SPELLING_FLOOR:
            yield a, b


def upgrade() -> None:
    op.create_table(
        "name_spelling",
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("spelling", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["token"],
            ["name_token.token"],
            name=op.f("fk_name_spelling_token_name_token"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["spelling"],
            ["name_token.token"],
            name=op.f("fk_name_spelling_spelling_name_token"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "spelling", name=op.f("pk_name_spelling")),
    )
    op.create_index("ix_name_spelling_spelling", "name_spelling", ["spelling"])
    connection = op.get_bind()
    found = list(_pairs(connection))
    insert = sa.text(
        "INSERT INTO name_spelling (token, spelling) "
        "SELECT * FROM unnest(CAST(:a AS text[]), CAST(:b AS text[])) ON CONFLICT DO NOTHING"
    )
    for start in range(0, len(found), BATCH):
        batch = found[start : start + BATCH]
        left, right = [a for a, _ in batch], [b for _, b in batch]
        connection.execute(insert, {"a": left + right, "b": right + left})
    for index in GIN_INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")
    op.execute("ANALYZE name_spelling")


def downgrade() -> None:
    for index in GIN_INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
    op.drop_index("ix_name_spelling_spelling", table_name="name_spelling")
    op.drop_table("name_spelling")
