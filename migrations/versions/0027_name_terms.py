"""duplicates: one GIN index of each person's name words and word pairs, in place of the words alone

The duplicate search asked for persons holding a spelling of each of two words of the subject's name: two
overlaps on the index of name words, whose posting lists PostgreSQL intersected. A common word is held by
thousands of persons (at 1M persons, every word of the bench names), so the search read thousands of
entries to keep a handful. `name_terms(name_key)` holds each word of the name and each two words of it as
one term ('a b', the lower first in byte order), and the search asks for one overlap with the pairs of the
subject's spellings (`src/cases/duplicates.py::terms`): a pair's posting list is the handful of persons
who hold both. The single words stay in the terms, for one-word names and for a spelling shared by two of
the subject's words; retention's pruning of the dictionary finds a word there as before.

Measured in docs/performance.md ("Duplicate search", 2026-12-03). The words-only index goes: nothing else
reads it, and every intake writes each index.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# IMMUTABLE (an index expression must be): the terms depend on the text alone; COLLATE "C" orders a pair's
# words by their bytes, as Python orders str, whatever the database's collation. Pairs are made of the first
# 12 words only: no real name has more, and three name parts of 60 characters can hold 60 words, whose 1 770
# pairs would be as many index entries for one person (up to 50 persons an intake).
_NAME_TERMS = """
CREATE FUNCTION name_terms(name_key text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(DISTINCT term) FROM (
        SELECT word AS term FROM unnest(string_to_array(name_key, ' ')) AS word
        UNION ALL
        SELECT least(a.word COLLATE "C", b.word COLLATE "C") || ' '
            || greatest(a.word COLLATE "C", b.word COLLATE "C")
        FROM unnest(string_to_array(name_key, ' ')) WITH ORDINALITY AS a(word, at)
        JOIN unnest(string_to_array(name_key, ' ')) WITH ORDINALITY AS b(word, at)
            ON a.at < b.at AND b.at <= 12
    ) AS terms
$$
"""


def upgrade() -> None:
    op.execute(_NAME_TERMS)
    op.execute(
        "CREATE INDEX ix_case_person_name_terms ON case_person USING gin (name_terms(name_key)) "
        "WITH (fastupdate = off)"
    )
    op.drop_index("ix_case_person_name_tokens", table_name="case_person")
    # The planner knows an expression's values only once the table is analyzed after its index exists; until
    # then it guesses how many persons share a term. Not left to autovacuum, which may be off.
    op.execute("ANALYZE case_person")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_case_person_name_tokens ON case_person USING gin (string_to_array(name_key, ' ')) "
        "WITH (fastupdate = off)"
    )
    op.drop_index("ix_case_person_name_terms", table_name="case_person")
    op.execute("DROP FUNCTION name_terms(text)")
    op.execute("ANALYZE case_person")
