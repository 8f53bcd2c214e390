"""persons' names in parts; an inbound referral's snapshot of what its sender submitted

A partner's `basic` share showed the "given name" guessed as the last word of `full_name`, which disclosed the
surname of "Bolot Temirov" and the patronymic of "Асанов Бакыт Жумабекович". Names are now entered in parts
(family_name, given_name, patronymic; organization_name for a legal person) and `full_name` is derived. Rows
written before are split here by the same rule (the last word that is not a patronymic; a patronymic marker
word with the word before it, or a word with a Russian patronymic ending, is the patronymic; the words before
the given name are the family name) and marked `name_parts_inferred`, so officers can check them and a
partner is shown no given name until they have. `full_name` of those rows is kept as written.

The rule is copied here, frozen: a later change to the application's name code must not change what this
migration does.

An inbound referral's sender (a partner) read the consulate's live case; `referral.submitted_view` holds
what it submitted (sealed JSON, written by the application). Older inbound referrals have none, and their
senders see no case data.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKERS = frozenset(
    {
        "уулу",
        "кызы",
        "улы",
        "қызы",
        "угли",
        "ўғли",
        "кизи",
        "қизи",
        "uulu",
        "uly",
        "kyzy",
        "ugli",
        "kizi",
        "qizi",
    }
    | {"o'g'li", "o‘g‘li", "ogli", "oglu"}
)
_ENDINGS = ("ович", "евич", "овна", "евна", "ична", "ovich", "evich", "ovna", "evna", "ichna")
_REMOVED = "[removed under retention]"
_BATCH = 5000


def split_name(full_name: str) -> tuple[str | None, str | None, str | None]:
    """(family_name, given_name, patronymic) of a name written as the application's clients wrote it."""
    rest: list[str] = []
    patronymic: list[str] = []
    for word in full_name.split():
        low = word.lower()
        if low in _MARKERS and rest and not patronymic:
            patronymic = [rest.pop(), word]
        elif not patronymic and len(low) > 6 and low.endswith(_ENDINGS):
            patronymic = [word]
        else:
            rest.append(word)
    if not rest:
        return None, None, " ".join(patronymic) or None
    family = " ".join(rest[:-1]) or None
    return (
        family[:100] if family else None,
        rest[-1][:100],
        " ".join(patronymic)[:100] if patronymic else None,
    )


def upgrade() -> None:
    op.add_column("case_person", sa.Column("family_name", sa.String(length=100), nullable=True))
    op.add_column("case_person", sa.Column("given_name", sa.String(length=100), nullable=True))
    op.add_column("case_person", sa.Column("patronymic", sa.String(length=100), nullable=True))
    op.add_column("case_person", sa.Column("organization_name", sa.String(length=200), nullable=True))
    op.add_column(
        "case_person",
        sa.Column("name_parts_inferred", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("referral", sa.Column("submitted_view", sa.LargeBinary(), nullable=True))

    bind = op.get_bind()
    after = None
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, full_name FROM case_person WHERE (CAST(:after AS uuid) IS NULL OR id > :after) "
                "ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": _BATCH},
        ).all()
        if not rows:
            break
        after = rows[-1][0]
        values = []
        for person_id, full_name in rows:
            if full_name == _REMOVED:
                continue
            family, given, patronymic = split_name(full_name)
            values.append({"id": person_id, "family": family, "given": given, "patronymic": patronymic})
        if values:
            bind.execute(
                sa.text(
                    "UPDATE case_person SET family_name = :family, given_name = :given, "
                    "patronymic = :patronymic, name_parts_inferred = true WHERE id = :id"
                ),
                values,
            )


def downgrade() -> None:
    op.drop_column("referral", "submitted_view")
    for column in ("name_parts_inferred", "organization_name", "patronymic", "given_name", "family_name"):
        op.drop_column("case_person", column)
