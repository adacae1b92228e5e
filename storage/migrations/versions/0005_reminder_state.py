"""reminder state per person and round

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder_state',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('last_sent', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'respondent_id')
    )


def downgrade() -> None:
    op.drop_table('reminder_state')
