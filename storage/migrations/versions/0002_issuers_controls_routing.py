"""issuers, card controls and routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 09:40:12.045731
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New non-null columns get defaults for existing rows (standard cards, airline payments on).
    op.create_table(
        "sandbox_disputes",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("tenant", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("card_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("transaction_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transaction_id"),
    )
    with op.batch_alter_table("sandbox_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandbox_disputes_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sandbox_disputes_tenant"), ["tenant"], unique=False)

    op.create_table(
        "provider_customers",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("tenant", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("kyc_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kyc_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "provider", name="uq_provider_customers"),
    )
    with op.batch_alter_table("provider_customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_customers_tenant"), ["tenant"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_provider_customers_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("disposable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("wallet", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("daily_limit_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("per_txn_limit_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("daily_count_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("airline_payments", sa.Boolean(), nullable=True))

    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wallet", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("disposable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )

    with op.batch_alter_table("sandbox_cards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "product",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="USD_VIRTUAL",
            )
        )
        batch_op.add_column(
            sa.Column("disposable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("wallet", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("airline_payments", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("daily_limit_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("per_txn_limit_minor", sa.BigInteger(), nullable=True))

    # A cardholder's issuer customer moves from users to provider_customers (one per issuer).
    op.execute(
        """
        INSERT INTO provider_customers
            (id, tenant, user_id, provider, customer_id, kyc_status, kyc_reason, submitted_at)
        SELECT id, tenant, id, provider, provider_customer_id, kyc_status, kyc_reason, created_at
        FROM users WHERE provider IS NOT NULL AND provider_customer_id IS NOT NULL
        """
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("provider")
        batch_op.drop_column("provider_customer_id")

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("provider_customer_id", sa.VARCHAR(length=128), nullable=True)
        )
        batch_op.add_column(sa.Column("provider", sa.VARCHAR(length=32), nullable=True))

    with op.batch_alter_table("sandbox_cards", schema=None) as batch_op:
        batch_op.drop_column("per_txn_limit_minor")
        batch_op.drop_column("daily_limit_minor")
        batch_op.drop_column("airline_payments")
        batch_op.drop_column("wallet")
        batch_op.drop_column("disposable")
        batch_op.drop_column("product")

    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_column("provider")
        batch_op.drop_column("disposable")
        batch_op.drop_column("wallet")

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("airline_payments")
        batch_op.drop_column("daily_count_limit")
        batch_op.drop_column("per_txn_limit_minor")
        batch_op.drop_column("daily_limit_minor")
        batch_op.drop_column("wallet")
        batch_op.drop_column("disposable")

    with op.batch_alter_table("provider_customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_customers_user_id"))
        batch_op.drop_index(batch_op.f("ix_provider_customers_tenant"))

    op.drop_table("provider_customers")
    with op.batch_alter_table("sandbox_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_disputes_tenant"))
        batch_op.drop_index(batch_op.f("ix_sandbox_disputes_card_id"))

    op.drop_table("sandbox_disputes")
    # ### end Alembic commands ###
