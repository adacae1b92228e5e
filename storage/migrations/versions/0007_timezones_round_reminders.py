"""a person's time zone; a round's own reminder days and cap

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('reminder_max', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.drop_column('reminder_max')
        batch_op.drop_column('reminder_days')
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_column('timezone')
